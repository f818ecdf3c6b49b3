/* echo.c - the harness echo protocol (see echo.h).
 *
 * The host keeps one output pipe per reply pipe it has been asked to answer
 * on (binding is the expensive part; Java clients reuse one reply pipe for
 * a whole run).  The client is a small state machine on the loop: bind,
 * warm up, measure stop-and-wait round trips, then an optional windowed
 * throughput phase; each step is bounded by a timer, so a peer that stops
 * answering ends the run with an error instead of a hang. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "echo.h"

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void echo_pipe_id(jxta_id_t *out)
{
    uint8_t seed[20];
    jxta_seed_from_text(seed, ECHO_PIPE_SEED);
    jxta_id_pipe_from_seed(out, &jxta_id_net_group, seed, sizeof seed);
}

/* ---- host ----------------------------------------------------------------- */

#define HOST_MAX_REPLY_PIPES 64

struct echo_host {
    jxta_pipes_t *ps;
    jxta_id_t self;
    jxta_input_pipe_t *in;
    struct {
        jxta_id_t id;
        jxta_output_pipe_t *op;
    } replies[HOST_MAX_REPLY_PIPES];
    size_t nreplies, next_evict;
    uint64_t echoed;
};

static jxta_output_pipe_t *host_reply_pipe(echo_host_t *h, const jxta_adv_t *adv)
{
    jxta_id_t id;
    if (jxta_adv_id(adv, &id) < 0)
        return NULL;
    for (size_t i = 0; i < h->nreplies; i++)
        if (jxta_id_equal(&h->replies[i].id, &id))
            return h->replies[i].op;
    size_t slot = h->nreplies;
    if (slot == HOST_MAX_REPLY_PIPES) { /* bounded: the oldest goes */
        slot = h->next_evict++ % HOST_MAX_REPLY_PIPES;
        jxta_output_pipe_close(h->replies[slot].op);
    } else {
        h->nreplies++;
    }
    jxta_output_pipe_t *op = NULL;
    if (jxta_output_pipe_open_adv(h->ps, adv, NULL, NULL, &op) < 0) {
        h->replies[slot] = h->replies[--h->nreplies];
        return NULL;
    }
    h->replies[slot].id = id;
    h->replies[slot].op = op;
    return op;
}

static void host_on_msg(void *ud, jxta_input_pipe_t *ip, jxta_msg_t *m,
                        const jxta_pipe_msg_info_t *info)
{
    (void)ip;
    (void)info;
    echo_host_t *h = ud;
    const jxta_msg_elem_t *resp = jxta_msg_find(m, ECHO_NS, "resp");
    jxta_adv_t *adv = NULL;
    size_t len = 0;
    const uint8_t *body = resp ? jxta_msg_elem_body(resp, &len) : NULL;
    if (!body || jxta_adv_parse(body, len, &adv) < 0 ||
        jxta_adv_type(adv) != &jxta_adv_type_pipe) {
        jxta_log(JXTA_LOG_WARN, "echo", "echo request without a usable reply pipe: dropped");
        jxta_adv_free(adv);
        jxta_msg_free(m);
        return;
    }
    jxta_output_pipe_t *op = host_reply_pipe(h, adv);
    jxta_adv_free(adv);
    jxta_msg_t *reply = NULL;
    if (op && jxta_msg_new(&reply) == 0) {
        static const char *const copied[] = {"seq", "t0", "data"};
        for (size_t i = 0; i < 3; i++) {
            const jxta_msg_elem_t *e = jxta_msg_find(m, ECHO_NS, copied[i]);
            jxta_msg_elem_t *d = NULL;
            if (e && jxta_msg_elem_dup(e, &d) == 0)
                jxta_msg_append(reply, d);
        }
        jxta_id_text_t t;
        jxta_msg_add_text(reply, ECHO_NS, "echo-from", jxta_id_str(&h->self, &t));
        if (jxta_output_pipe_send(op, reply, NULL, NULL) == 0)
            h->echoed++;
        jxta_msg_free(reply);
    }
    jxta_msg_free(m);
}

int echo_host_start(jxta_loop_t *loop, jxta_pipes_t *ps, const jxta_id_t *self,
                    echo_host_t **out)
{
    (void)loop;
    echo_host_t *h = calloc(1, sizeof *h);
    if (!h)
        return JXTA_ENOMEM;
    h->ps = ps;
    h->self = *self;
    jxta_id_t id;
    echo_pipe_id(&id);
    int rc = jxta_input_pipe_open(ps, &id, JXTA_PIPE_UNICAST, host_on_msg, h, &h->in);
    if (rc < 0) {
        free(h);
        return rc;
    }
    *out = h;
    return 0;
}

void echo_host_stop(echo_host_t *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->nreplies; i++)
        jxta_output_pipe_close(h->replies[i].op);
    jxta_input_pipe_close(h->in);
    free(h);
}

uint64_t echo_host_echoed(const echo_host_t *h)
{
    return h->echoed;
}

/* ---- client ---------------------------------------------------------------- */

enum { PH_BIND, PH_LATENCY, PH_TPUT, PH_DONE };

struct echo_client {
    jxta_loop_t *loop;
    jxta_pipes_t *ps;
    echo_client_config_t cfg;
    echo_done_fn done;
    void *ud;
    jxta_input_pipe_t *in;
    jxta_output_pipe_t *out;
    char *resp_xml;
    size_t resp_len;
    uint8_t *payload;
    jxta_timer_t timer;
    int phase;
    uint64_t t_start_ns;
    /* latency phase */
    int64_t seq, waiting_seq;
    uint64_t sent_ns;
    double *rtts;
    int nrtts;
    /* throughput phase */
    int tput_sent, in_flight;
    uint64_t tput_start_ns, tput_last_ns;
    echo_result_t res;
};

static void client_finish(echo_client_t *c, int err)
{
    if (c->phase == PH_DONE)
        return;
    c->phase = PH_DONE;
    jxta_timer_stop(&c->timer);
    c->res.err = err;
    if (c->nrtts > 0) {
        double *v = c->rtts;
        for (int i = 1; i < c->nrtts; i++) /* insertion sort: a few thousand values */
            for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
                double x = v[j];
                v[j] = v[j - 1];
                v[j - 1] = x;
            }
        c->res.min_ms = v[0];
        c->res.median_ms = v[c->nrtts / 2];
        int k = (int)(c->nrtts * 0.99);
        c->res.p99_ms = v[k < c->nrtts ? k : c->nrtts - 1];
        c->res.max_ms = v[c->nrtts - 1];
    }
    if (c->res.tput_echoed > 0) {
        c->res.tput_seconds = (double)(c->tput_last_ns - c->tput_start_ns) / 1e9;
        if (c->res.tput_seconds > 0)
            c->res.tput_mib_s =
                c->res.tput_echoed * (double)c->cfg.tput_size / c->res.tput_seconds / 1048576.0;
    }
    c->done(c->ud, &c->res);
}

static int client_send(echo_client_t *c, int64_t seq, size_t size)
{
    jxta_msg_t *m = NULL;
    char s[24], t0[24];
    snprintf(s, sizeof s, "%lld", (long long)seq);
    uint64_t now = mono_ns();
    snprintf(t0, sizeof t0, "%llu", (unsigned long long)now);
    int rc = jxta_msg_new(&m);
    if (rc == 0)
        rc = jxta_msg_add_text(m, ECHO_NS, "seq", s);
    if (rc == 0)
        rc = jxta_msg_add_text(m, ECHO_NS, "t0", t0);
    if (rc == 0)
        rc = jxta_msg_add(m, ECHO_NS, "data", NULL, c->payload, size);
    if (rc == 0)
        rc = jxta_msg_add(m, ECHO_NS, "resp", "text/xml;charset=UTF-8", c->resp_xml, c->resp_len);
    if (rc == 0)
        rc = jxta_output_pipe_send(c->out, m, NULL, NULL);
    jxta_msg_free(m);
    c->sent_ns = now;
    return rc;
}

static void client_next(echo_client_t *c);

static void client_tput_fill(echo_client_t *c)
{
    while (c->tput_sent < c->cfg.tput_count && c->in_flight < c->cfg.window) {
        int rc = client_send(c, ++c->seq, c->cfg.tput_size);
        if (rc == JXTA_EBUSY) { /* queue full: the next echo makes room */
            c->seq--;
            return;
        }
        if (rc < 0) {
            client_finish(c, rc);
            return;
        }
        c->tput_sent++;
        c->in_flight++;
    }
    jxta_timer_start(&c->timer, c->cfg.timeout_ms);
}

static void client_next(echo_client_t *c)
{
    int total = c->cfg.warmup + c->cfg.count;
    if (c->phase == PH_LATENCY && c->seq < total) {
        c->waiting_seq = ++c->seq;
        int rc = client_send(c, c->waiting_seq, c->cfg.size);
        if (rc < 0) {
            client_finish(c, rc);
            return;
        }
        jxta_timer_start(&c->timer, c->cfg.timeout_ms);
        return;
    }
    if (c->phase == PH_LATENCY && c->cfg.tput_count > 0) {
        c->phase = PH_TPUT;
        c->tput_start_ns = c->tput_last_ns = mono_ns();
        client_tput_fill(c);
        return;
    }
    client_finish(c, 0);
}

static void client_on_msg(void *ud, jxta_input_pipe_t *ip, jxta_msg_t *m,
                          const jxta_pipe_msg_info_t *info)
{
    (void)ip;
    (void)info;
    echo_client_t *c = ud;
    uint64_t now = mono_ns();
    const jxta_msg_elem_t *e = jxta_msg_find(m, ECHO_NS, "seq");
    long long seq = -1;
    if (e) {
        size_t n = 0;
        const uint8_t *b = jxta_msg_elem_body(e, &n);
        char buf[24];
        if (n < sizeof buf) {
            memcpy(buf, b, n);
            buf[n] = 0;
            char *end;
            seq = strtoll(buf, &end, 10);
            if (end == buf || *end)
                seq = -1;
        }
    }
    jxta_msg_free(m);
    if (c->phase == PH_LATENCY && seq == c->waiting_seq) {
        jxta_timer_stop(&c->timer);
        c->res.echoed++;
        if (seq > c->cfg.warmup)
            c->rtts[c->nrtts++] = (double)(now - c->sent_ns) / 1e6;
        client_next(c);
    } else if (c->phase == PH_TPUT && seq > c->cfg.warmup + c->cfg.count) {
        c->res.tput_echoed++;
        c->in_flight--;
        c->tput_last_ns = now;
        if (c->res.tput_echoed == c->cfg.tput_count)
            client_finish(c, 0);
        else
            client_tput_fill(c);
    }
}

static void client_on_timer(jxta_timer_t *t)
{
    echo_client_t *c = t->data;
    if (c->phase == PH_BIND) {
        client_finish(c, JXTA_ETIMEDOUT);
    } else if (c->phase == PH_LATENCY) {
        c->res.lost++; /* no echo in time: count it and go on, as the harness does */
        jxta_log(JXTA_LOG_WARN, "echo", "no echo for seq %lld", (long long)c->waiting_seq);
        client_next(c);
    } else if (c->phase == PH_TPUT) {
        client_finish(c, JXTA_ETIMEDOUT);
    }
}

static void client_on_bound(void *ud, jxta_output_pipe_t *op, const jxta_id_t *peer, int err)
{
    echo_client_t *c = ud;
    if (!c->out)
        c->out = op; /* bound during jxta_output_pipe_open itself */
    if (c->phase != PH_BIND || err < 0 || !peer)
        return; /* later rebinds are the pipe's business */
    jxta_timer_stop(&c->timer);
    c->res.bind_ms = (double)(mono_ns() - c->t_start_ns) / 1e6;
    c->phase = PH_LATENCY;
    client_next(c);
}

int echo_client_start(jxta_loop_t *loop, jxta_pipes_t *ps, const echo_client_config_t *cfg,
                      echo_done_fn done, void *ud, echo_client_t **out)
{
    echo_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return JXTA_ENOMEM;
    c->loop = loop;
    c->ps = ps;
    c->cfg = *cfg;
    if (c->cfg.warmup < 0)
        c->cfg.warmup = 0;
    if (!c->cfg.size)
        c->cfg.size = 16;
    if (!c->cfg.tput_size)
        c->cfg.tput_size = 65536;
    if (c->cfg.window <= 0)
        c->cfg.window = 8;
    if (!c->cfg.timeout_ms)
        c->cfg.timeout_ms = 10000;
    c->done = done;
    c->ud = ud;
    size_t big = c->cfg.size > c->cfg.tput_size ? c->cfg.size : c->cfg.tput_size;
    c->payload = malloc(big);
    c->rtts = calloc((size_t)(c->cfg.count > 0 ? c->cfg.count : 1), sizeof *c->rtts);
    int rc = (c->payload && c->rtts) ? 0 : JXTA_ENOMEM;
    for (size_t i = 0; rc == 0 && i < big; i++)
        c->payload[i] = (uint8_t)(i * 31);
    /* The reply pipe, named after the seed as the harness names its own. */
    char seedtext[160];
    snprintf(seedtext, sizeof seedtext, "jxinterop-resp-%s", cfg->seed ? cfg->seed : "c-edge");
    uint8_t seed[20];
    jxta_seed_from_text(seed, seedtext);
    jxta_id_t resp_id, echo_id;
    jxta_adv_t *resp = NULL;
    char name[200];
    snprintf(name, sizeof name, "JxInteropResp-%s", cfg->seed ? cfg->seed : "c-edge");
    if (rc == 0)
        rc = jxta_id_pipe_from_seed(&resp_id, &jxta_id_net_group, seed, sizeof seed);
    if (rc == 0)
        rc = jxta_pipe_adv_new(&resp_id, JXTA_PIPE_UNICAST, name, &resp);
    if (rc == 0)
        rc = jxta_adv_to_string(resp, 0, &c->resp_xml);
    jxta_adv_free(resp);
    if (rc == 0) {
        c->resp_len = strlen(c->resp_xml);
        rc = jxta_input_pipe_open(ps, &resp_id, JXTA_PIPE_UNICAST, client_on_msg, c, &c->in);
    }
    jxta_timer_init(loop, &c->timer, client_on_timer);
    c->timer.data = c;
    c->phase = PH_BIND;
    c->t_start_ns = mono_ns();
    echo_pipe_id(&echo_id);
    if (rc == 0)
        rc = jxta_output_pipe_open(ps, &echo_id, JXTA_PIPE_UNICAST, NULL, 0, client_on_bound, c,
                                   &c->out);
    if (rc < 0) {
        echo_client_stop(c);
        return rc;
    }
    jxta_timer_start(&c->timer, 60000);
    *out = c;
    return 0;
}

void echo_client_stop(echo_client_t *c)
{
    if (!c)
        return;
    jxta_timer_stop(&c->timer);
    if (c->out)
        jxta_output_pipe_close(c->out);
    if (c->in)
        jxta_input_pipe_close(c->in);
    free(c->resp_xml);
    free(c->payload);
    free(c->rtts);
    free(c);
}
