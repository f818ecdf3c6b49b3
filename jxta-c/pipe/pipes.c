/* pipes.c - the pipe service of one group: input pipes, unicast output
 * pipes and the Pipe Binding Protocol (see jxta/pipe.h, PROTOCOLS.md 9).
 *
 * Everything runs on the loop.  Input pipes are a short list searched by
 * ID (one endpoint listener on PipeService with any parameter dispatches
 * to them, so messages for pipes we do not have are logged, not silently
 * lost).  An edge publishes its input pipes by SRDI to its rendezvous and
 * again whenever the rendezvous changes or its connection drops; a
 * rendezvous keeps its clients' entries in its own index and forwards
 * binding queries to the hosts it names.
 *
 * A unicast output pipe is a small state machine on one timer: RESOLVING
 * (query re-sent every resolve_retry_ms, messages held in order) and BOUND
 * (messages sent at once; every verify_ms a directed query, re-sent every
 * resolve_retry_ms, must be answered Found=true within resolve_timeout_ms,
 * else the pipe rebinds).  Answers are only
 * taken for a query the pipe sent (QueryID), from the peer they name.
 *
 * The blocking calls for application threads post their request to the
 * loop and wait on a refcounted waiter, which the loop completes; a thread
 * that times out withdraws it, and whatever the loop hands over afterwards
 * goes back where it came from. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jxta/pipe.h>
#include <jxta/wellknown.h>

#include "../util/internal.h"
#include "pipe_internal.h"

#define LEASE_CHECK_MS 500u
#define FLUSH_RETRY_MS 5u
#define MAX_HOSTS 32

enum { OP_RESOLVING = 0, OP_BOUND = 1 };

struct queued {
    jxta_msg_t *m;
    jxta_tcp_sent_cb cb;
    void *ud;
    uint64_t t; /* when it was queued */
};

struct jxta_output_pipe {
    jxta_pipes_t *ps;
    jxta_loop_t *loop;
    jxta_id_t id;
    char idtext[JXTA_ID_TEXT_MAX];
    char type[32];
    int propagate;
    jxta_id_t *peers; /* restriction (unicast) or receivers (propagate) */
    size_t npeers;
    jxta_pipe_bound_fn bound;
    void *ud;
    int state;
    jxta_id_t peer;  /* bound host */
    int self_bound;  /* the host is us: delivered locally */
    int verifying;
    uint64_t verify_start;
    long qid_first, qid_last; /* queries sent since resolving / verifying began */
    int qid_any;
    uint64_t resolve_start;
    int timed_out;
    jxta_timer_t timer, flush_timer;
    struct queued *sq; /* ring of messages waiting for a binding */
    size_t sqhead, sqlen, sqcap;
    jxta__pipe_waiter_t *bwaiters; /* threads in wait_bound */
    jxta__pipe_waiter_t *retrying; /* send_sync calls waiting for queue space */
    atomic_int refs;
    int closed;
    jxta_output_pipe_t *next;
};

static const char *id_text(const jxta_id_t *id, jxta_id_text_t *t)
{
    return jxta_id_str(id, t);
}

void jxta_pipes_config_default(jxta_pipes_config_t *cfg)
{
    cfg->resolve_retry_ms = 2000;
    cfg->resolve_timeout_ms = 60000;
    cfg->verify_ms = 1200000;
    cfg->queue_max = 1000;
    cfg->send_queue_max = 1000;
}

int jxta__pipes_is_rdv(const jxta_pipes_t *ps)
{
    return jxta_rdv_role(ps->rdv) == JXTA_RDV_RENDEZVOUS;
}

static uint64_t now_ms(const jxta_pipes_t *ps)
{
    return jxta_loop_now(ps->loop);
}

/* ---- waiters (blocking calls) ------------------------------------------- */

jxta__pipe_waiter_t *jxta__waiter_new(void *obj, int timeout_ms)
{
    jxta__pipe_waiter_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    w->refs = 2; /* the waiting thread and the loop */
    w->obj = obj;
    w->timeout_ms = timeout_ms;
    return w;
}

void jxta__waiter_unref(jxta__pipe_waiter_t *w)
{
    pthread_mutex_lock(&w->mu);
    int last = --w->refs == 0;
    pthread_mutex_unlock(&w->mu);
    if (last) {
        jxta_msg_free(w->msg);
        jxta_msg_free(w->out);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
    }
}

int jxta__waiter_finish(jxta__pipe_waiter_t *w, int status, jxta_msg_t *msg)
{
    pthread_mutex_lock(&w->mu);
    int taken = !w->withdrawn && !w->done;
    if (taken) {
        w->done = 1;
        w->status = status;
        if (msg) {
            jxta_msg_free(w->msg);
            w->msg = msg;
        }
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return taken;
}

int jxta__waiter_wait(jxta__pipe_waiter_t *w, int timeout_ms, jxta_msg_t **msg)
{
    struct timespec deadline;
    if (timeout_ms >= 0)
        jxta__deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&w->mu);
    while (!w->done) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&w->cv, &w->mu);
        } else if (pthread_cond_timedwait(&w->cv, &w->mu, &deadline) == ETIMEDOUT && !w->done) {
            w->withdrawn = 1;
            break;
        }
    }
    int rc = w->done ? w->status : JXTA_ETIMEDOUT;
    if (w->done && msg) {
        *msg = w->msg;
        w->msg = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* ---- messages ------------------------------------------------------------ */

static int is_carrier_element(const jxta_msg_elem_t *e)
{
    const char *ns = jxta_msg_elem_ns(e), *n = jxta_msg_elem_name(e);
    if (!ns || strcmp(ns, "jxta") != 0)
        return 0;
    return strcmp(n, JXTA_ERM_ELEMENT) == 0 || strcmp(n, "EndpointSourceAddress") == 0 ||
           strcmp(n, "EndpointDestinationAddress") == 0 ||
           strncmp(n, "RendezVousPropagate", 19) == 0 ||
           strcmp(n, JXTA_WIRE_HEADER_ELEMENT) == 0 || strcmp(n, "LimitedRangeRdvMessage") == 0 ||
           strcmp(n, "RdvWalkSvcName") == 0 || strcmp(n, "RdvWalkSvcParam") == 0;
}

int jxta__pipe_msg_copy(const jxta_msg_t *m, jxta_msg_t **out)
{
    jxta_msg_t *c;
    int rc = jxta_msg_new(&c);
    for (size_t i = 0; rc == 0 && i < jxta_msg_count(m); i++) {
        const jxta_msg_elem_t *e = jxta_msg_get(m, i);
        if (is_carrier_element(e))
            continue;
        jxta_msg_elem_t *d;
        if ((rc = jxta_msg_elem_dup(e, &d)) == 0)
            rc = jxta_msg_append(c, d);
    }
    if (rc < 0) {
        jxta_msg_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void jxta__pipe_msg_unstamp(jxta_msg_t *m)
{
    jxta_msg_remove(m, "jxta", JXTA_ERM_ELEMENT);
    jxta_msg_remove(m, "jxta", "EndpointSourceAddress");
    jxta_msg_remove(m, "jxta", "EndpointDestinationAddress");
}

/* ---- SRDI (edge pushes, rendezvous index) ----------------------------------- */

/* Push entries for the input pipes of one type: all of them (ip NULL), or
 * just ip, with `expiration` (forever, or 0 when it closes). */
static int push_type(jxta_pipes_t *ps, const char *type, const jxta_input_pipe_t *only,
                     int64_t expiration)
{
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    s.pid = ps->self;
    s.ttl = 1;
    int rc = jxta_srdi_set_pkey(&s, type);
    if (only) {
        if (rc == 0)
            rc = jxta_srdi_add(&s, "Id", only->idtext, expiration);
    } else {
        for (jxta_input_pipe_t *ip = ps->inputs; rc == 0 && ip; ip = ip->next)
            if (!ip->closed && strcmp(ip->type, type) == 0)
                rc = jxta_srdi_add(&s, "Id", ip->idtext, expiration);
    }
    jxta_msg_t *m = NULL;
    if (rc == 0 && s.count == 0) {
        jxta_srdi_clear(&s);
        return 0;
    }
    if (rc == 0)
        rc = jxta_msg_new(&m);
    if (rc == 0)
        rc = jxta_srdi_element_encode(JXTA_PIPE_RESOLVER_HANDLER, &s, m, "srdi");
    if (rc == 0) {
        const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", "srdi");
        size_t len;
        const uint8_t *b = jxta_msg_elem_body(e, &len);
        rc = jxta_resolver_send_srdi(ps->res, b, len, jxta_msg_elem_type(e), NULL);
    }
    jxta_log(JXTA_LOG_DEBUG, "pipe", "SRDI push of %zu %s entries: %s", s.count, type,
             jxta_strerror(rc));
    jxta_msg_free(m);
    jxta_srdi_clear(&s);
    return rc;
}

/* Edge: everything to a new rendezvous. */
static void push_all(jxta_pipes_t *ps)
{
    jxta_id_t rdv;
    if (jxta__pipes_is_rdv(ps) || !jxta_rdv_has_lease(ps->rdv, &rdv)) {
        ps->pushed_valid = 0;
        return;
    }
    if (ps->pushed_valid && jxta_id_equal(&rdv, &ps->pushed_to))
        return;
    const char *types[8];
    size_t nt = 0;
    for (jxta_input_pipe_t *ip = ps->inputs; ip; ip = ip->next) {
        size_t k = 0;
        while (k < nt && strcmp(types[k], ip->type) != 0)
            k++;
        if (k == nt && nt < 8)
            types[nt++] = ip->type;
    }
    for (size_t k = 0; k < nt; k++)
        if (push_type(ps, types[k], NULL, JXTA_SRDI_EXP_FOREVER) < 0)
            return; /* again on the next check */
    ps->pushed_to = rdv;
    ps->pushed_valid = 1;
}

/* Edge: one pipe opened (forever) or closed (0), if the rendezvous has the rest. */
static void push_one(jxta_pipes_t *ps, const jxta_input_pipe_t *ip, int64_t expiration)
{
    if (jxta__pipes_is_rdv(ps))
        return;
    if (!ps->pushed_valid) {
        push_all(ps);
        return;
    }
    if (push_type(ps, ip->type, ip, expiration) < 0)
        ps->pushed_valid = 0;
}

size_t jxta__pipes_index_hosts(jxta_pipes_t *ps, const char *type, const jxta_id_t *pipe_id,
                               jxta_id_t *peers, size_t max)
{
    if (!ps->idx)
        return 0;
    jxta_id_text_t t;
    return jxta_srdi_index_query(ps->idx, type, "Id", id_text(pipe_id, &t),
                                 (int64_t)now_ms(ps), peers, max);
}

size_t jxta_pipes_index_hosts(jxta_pipes_t *ps, const jxta_id_t *pipe_id, const char *type,
                              jxta_id_t *peers, size_t max)
{
    jxta_id_t tmp[1];
    return jxta__pipes_index_hosts(ps, type ? type : JXTA_PIPE_UNICAST, pipe_id,
                                   peers ? peers : tmp, peers ? max : 0);
}

static void op_lost(jxta_output_pipe_t *op, const char *why);

/* Rendezvous: output pipes bound to `peer` (for `pipe`, or any when NULL)
 * lose their host. */
static void hosts_gone(jxta_pipes_t *ps, const jxta_id_t *peer, const char *pipe)
{
    for (jxta_output_pipe_t *op = ps->outputs; op; op = op->next)
        if (!op->closed && !op->propagate && op->state == OP_BOUND && !op->self_bound &&
            jxta_id_equal(&op->peer, peer) && (!pipe || strcmp(pipe, op->idtext) == 0))
            op_lost(op, "host's SRDI entry is gone");
}

static void on_srdi(void *ud, jxta_resolver_t *r, const jxta_msg_elem_t *e, const jxta_id_t *from)
{
    jxta_pipes_t *ps = ud;
    (void)r;
    (void)from;
    if (!ps->idx)
        return;
    char *handler = NULL;
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    if (jxta_srdi_element_decode(e, NULL, &handler, &s) == 0 &&
        strcmp(handler, JXTA_PIPE_RESOLVER_HANDLER) == 0) {
        int rc = jxta_srdi_index_add_srdi(ps->idx, &s, (int64_t)now_ms(ps));
        if (rc < 0)
            jxta_log(JXTA_LOG_INFO, "pipe", "pipe SRDI not all indexed: %s", jxta_strerror(rc));
        for (size_t i = 0; i < s.count; i++)
            if (s.entries[i].expiration_ms <= 0)
                hosts_gone(ps, &s.pid, s.entries[i].value);
    }
    free(handler);
    jxta_srdi_clear(&s);
}

static void on_conn(void *ud, const jxta_id_t *peer, int up, int err)
{
    jxta_pipes_t *ps = ud;
    (void)err;
    if (up)
        return;
    if (ps->idx && jxta_srdi_index_remove_peer(ps->idx, peer, NULL) > 0)
        hosts_gone(ps, peer, NULL);
    if (ps->pushed_valid && jxta_id_equal(peer, &ps->pushed_to))
        ps->pushed_valid = 0; /* it forgot our entries */
}

/* A relay told us (route NACK) that `peer` is gone: rebind what was bound
 * to it now rather than at the next verification. */
static void on_unreachable(void *ud, const jxta_id_t *peer)
{
    jxta_pipes_t *ps = ud;
    for (jxta_output_pipe_t *op = ps->outputs; op; op = op->next)
        if (!op->closed && !op->propagate && op->state == OP_BOUND && !op->self_bound &&
            jxta_id_equal(&op->peer, peer))
            op_lost(op, "a relay cannot reach it");
}

static void tick(jxta_timer_t *t)
{
    jxta_pipes_t *ps = t->data;
    if (ps->idx)
        jxta_srdi_index_gc(ps->idx, (int64_t)now_ms(ps));
    else
        push_all(ps);
    jxta_timer_start(&ps->timer, LEASE_CHECK_MS);
}

/* ---- input pipes ------------------------------------------------------------ */

jxta_input_pipe_t *jxta__pipes_find_input(jxta_pipes_t *ps, const jxta_id_t *id)
{
    for (jxta_input_pipe_t *ip = ps->inputs; ip; ip = ip->next)
        if (!ip->closed && jxta_id_equal(&ip->id, id))
            return ip;
    return NULL;
}

static void ip_unref(jxta_input_pipe_t *ip)
{
    if (atomic_fetch_sub(&ip->refs, 1) == 1) {
        free(ip->q);
        free(ip);
    }
}

static int queue_push(jxta_input_pipe_t *ip, jxta_msg_t *m)
{
    if (ip->qlen == ip->qcap) {
        size_t nc = ip->qcap ? ip->qcap * 2 : 16;
        jxta_msg_t **q = malloc(nc * sizeof *q);
        if (!q)
            return JXTA_ENOMEM;
        for (size_t i = 0; i < ip->qlen; i++)
            q[i] = ip->q[(ip->qhead + i) % ip->qcap];
        free(ip->q);
        ip->q = q;
        ip->qcap = nc;
        ip->qhead = 0;
    }
    ip->q[(ip->qhead + ip->qlen) % ip->qcap] = m;
    ip->qlen++;
    return 0;
}

static jxta_msg_t *queue_pop(jxta_input_pipe_t *ip)
{
    if (!ip->qlen)
        return NULL;
    jxta_msg_t *m = ip->q[ip->qhead];
    ip->qhead = (ip->qhead + 1) % ip->qcap;
    ip->qlen--;
    return m;
}

static void queue_push_front(jxta_input_pipe_t *ip, jxta_msg_t *m)
{
    if (queue_push(ip, m) < 0) {
        jxta_msg_free(m);
        return;
    }
    /* rotate the newcomer to the head */
    ip->qhead = (ip->qhead + ip->qcap - 1) % ip->qcap;
    size_t last = (ip->qhead + ip->qlen) % ip->qcap;
    jxta_msg_t *tmp = ip->q[ip->qhead];
    ip->q[ip->qhead] = ip->q[last];
    ip->q[last] = tmp;
}

/* A message for the queue: to a waiting thread first. */
static void ip_offer(jxta_input_pipe_t *ip, jxta_msg_t *c)
{
    while (ip->waiters) {
        jxta__pipe_waiter_t *w = ip->waiters;
        ip->waiters = w->next;
        if (!ip->waiters)
            ip->waiters_tail = NULL;
        int taken = jxta__waiter_finish(w, 0, c);
        jxta__waiter_unref(w);
        ip_unref(ip);
        if (taken)
            return;
    }
    if (ip->qlen >= ip->ps->cfg.queue_max || queue_push(ip, c) < 0) {
        ip->dropped++;
        jxta_log(JXTA_LOG_DEBUG, "pipe", "input pipe %s: queue full, message dropped",
                 ip->idtext);
        jxta_msg_free(c);
    }
}

void jxta__input_pipe_deliver(jxta_input_pipe_t *ip, const jxta_msg_t *m, const jxta_id_t *src,
                              int propagated)
{
    jxta_msg_t *c;
    if (jxta__pipe_msg_copy(m, &c) < 0) {
        ip->dropped++;
        return;
    }
    ip->received++;
    if (ip->fn) {
        jxta_pipe_msg_info_t info = {&ip->id, src, propagated};
        ip->fn(ip->ud, ip, c, &info);
    } else {
        ip_offer(ip, c);
    }
}

static void on_pipe_message(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    jxta_pipes_t *ps = ud;
    jxta_id_t id;
    const char *p = info->dst->param;
    jxta_input_pipe_t *ip = NULL;
    if (jxta_id_parse(&id, p, strlen(p), JXTA_ID_PARSE_LENIENT) == 0)
        ip = jxta__pipes_find_input(ps, &id);
    if (!ip || ip->propagate) {
        jxta_log(JXTA_LOG_INFO, "pipe", "message for unknown unicast pipe '%s'; dropped (%s)", p,
                 jxta_strerror(JXTA_ENOTFOUND));
        return;
    }
    jxta__input_pipe_deliver(ip, m, info->src_peer, 0);
}

static int check_type(const char *type, int *propagate)
{
    if (strcmp(type, JXTA_PIPE_UNICAST) == 0)
        *propagate = 0;
    else if (strcmp(type, JXTA_PIPE_PROPAGATE) == 0)
        *propagate = 1;
    else
        return JXTA_EINVAL;
    return 0;
}

int jxta_input_pipe_open(jxta_pipes_t *ps, const jxta_id_t *pipe_id, const char *type,
                         jxta_pipe_listener_fn fn, void *ud, jxta_input_pipe_t **out)
{
    int propagate;
    if (!pipe_id || jxta_id_kind(pipe_id) != JXTA_ID_PIPE)
        return JXTA_EBADID;
    if (!type || check_type(type, &propagate) < 0)
        return JXTA_EINVAL;
    if (jxta__pipes_find_input(ps, pipe_id))
        return JXTA_EEXIST;
    jxta_input_pipe_t *ip = calloc(1, sizeof *ip);
    if (!ip)
        return JXTA_ENOMEM;
    ip->ps = ps;
    ip->loop = ps->loop;
    ip->id = *pipe_id;
    jxta_id_text_t t;
    snprintf(ip->idtext, sizeof ip->idtext, "%s", id_text(pipe_id, &t));
    snprintf(ip->type, sizeof ip->type, "%s", type);
    ip->propagate = propagate;
    ip->fn = fn;
    ip->ud = ud;
    atomic_init(&ip->refs, 1);
    ip->next = ps->inputs;
    ps->inputs = ip;
    push_one(ps, ip, JXTA_SRDI_EXP_FOREVER);
    *out = ip;
    return 0;
}

int jxta_input_pipe_open_adv(jxta_pipes_t *ps, const jxta_adv_t *pipe_adv,
                             jxta_pipe_listener_fn fn, void *ud, jxta_input_pipe_t **out)
{
    jxta_id_t id;
    int rc = jxta_adv_get_id(pipe_adv, "Id", &id);
    if (rc < 0)
        return rc;
    return jxta_input_pipe_open(ps, &id, jxta_pipe_adv_type(pipe_adv), fn, ud, out);
}

void jxta_input_pipe_close(jxta_input_pipe_t *ip)
{
    if (!ip)
        return;
    jxta_pipes_t *ps = ip->ps;
    ip->closed = 1;
    for (jxta_input_pipe_t **pp = &ps->inputs; *pp; pp = &(*pp)->next)
        if (*pp == ip) {
            *pp = ip->next;
            break;
        }
    push_one(ps, ip, 0);
    while (ip->waiters) {
        jxta__pipe_waiter_t *w = ip->waiters;
        ip->waiters = w->next;
        jxta__waiter_finish(w, JXTA_ECLOSED, NULL);
        jxta__waiter_unref(w);
        ip_unref(ip);
    }
    jxta_msg_t *m;
    while ((m = queue_pop(ip)))
        jxta_msg_free(m);
    ip_unref(ip);
}

const jxta_id_t *jxta_input_pipe_id(const jxta_input_pipe_t *ip)
{
    return &ip->id;
}

void jxta_input_pipe_counts(const jxta_input_pipe_t *ip, uint64_t *received, uint64_t *dropped)
{
    if (received)
        *received = ip->received;
    if (dropped)
        *dropped = ip->dropped;
}

/* Loop side of jxta_input_pipe_poll; owns the loop's waiter reference. */
static void poll_start(jxta_loop_t *loop, void *arg)
{
    jxta__pipe_waiter_t *w = arg;
    jxta_input_pipe_t *ip = w->obj;
    (void)loop;
    if (ip->closed) {
        jxta__waiter_finish(w, JXTA_ECLOSED, NULL);
    } else if (ip->qlen) {
        jxta_msg_t *m = queue_pop(ip);
        if (!jxta__waiter_finish(w, 0, m))
            queue_push_front(ip, m);
    } else if (w->timeout_ms == 0) {
        jxta__waiter_finish(w, JXTA_ETIMEDOUT, NULL);
    } else {
        w->next = NULL;
        if (ip->waiters_tail)
            ip->waiters_tail->next = w;
        else
            ip->waiters = w;
        ip->waiters_tail = w;
        return; /* the list holds both references now */
    }
    jxta__waiter_unref(w);
    ip_unref(ip);
}

int jxta_input_pipe_poll(jxta_input_pipe_t *ip, int timeout_ms, jxta_msg_t **out)
{
    if (jxta_loop_on_thread(ip->loop)) { /* cannot block the loop: just look */
        if (ip->closed)
            return JXTA_ECLOSED;
        *out = queue_pop(ip);
        return *out ? 0 : JXTA_ETIMEDOUT;
    }
    jxta__pipe_waiter_t *w = jxta__waiter_new(ip, timeout_ms);
    if (!w)
        return JXTA_ENOMEM;
    atomic_fetch_add(&ip->refs, 1);
    if (jxta_loop_post(ip->loop, poll_start, w) < 0) {
        ip_unref(ip);
        jxta__waiter_unref(w);
        jxta__waiter_unref(w);
        return JXTA_ENOMEM;
    }
    /* "just look" still needs the loop's answer; it comes at once */
    jxta_msg_t *m = NULL;
    int rc = jxta__waiter_wait(w, timeout_ms == 0 ? 1000 : timeout_ms, &m);
    jxta__waiter_unref(w);
    if (rc == 0)
        *out = m;
    else
        jxta_msg_free(m);
    return rc;
}

/* ---- output pipes: binding ---------------------------------------------------- */

static void op_unref(jxta_output_pipe_t *op)
{
    if (atomic_fetch_sub(&op->refs, 1) == 1) {
        free(op->sq);
        free(op->peers);
        free(op);
    }
}

/* QueryIDs come from one increasing counter per resolver (wrapping at
 * 2^31): an answer belongs to this pipe when it is about its pipe and its
 * QueryID is one we sent since the current resolution or verification
 * began.  Late answers to earlier re-sends of the query still count. */
static void new_episode(jxta_output_pipe_t *op)
{
    op->qid_any = 0;
}

static void remember_qid(jxta_output_pipe_t *op, long qid)
{
    if (!op->qid_any)
        op->qid_first = qid;
    op->qid_last = qid;
    op->qid_any = 1;
}

static int asked(const jxta_output_pipe_t *op, long qid)
{
    if (!op->qid_any || qid <= 0)
        return 0;
    if (op->qid_first <= op->qid_last)
        return qid >= op->qid_first && qid <= op->qid_last;
    return qid >= op->qid_first || qid <= op->qid_last; /* wrapped */
}

static int allowed_host(const jxta_output_pipe_t *op, const jxta_id_t *peer)
{
    if (!op->npeers)
        return 1;
    for (size_t i = 0; i < op->npeers; i++)
        if (jxta_id_equal(&op->peers[i], peer))
            return 1;
    return 0;
}

/* Send our query for op: to `dest` (directed at it when `directed`), or
 * walked / to the index hits. */
static int send_query(jxta_output_pipe_t *op, const jxta_id_t *dest, int directed)
{
    jxta_pipes_t *ps = op->ps;
    jxta_pipe_res_t *q = NULL;
    char *text = NULL;
    int rc = directed ? jxta_pipe_res_new_query(&op->id, op->type, dest, 1, &q)
                      : jxta_pipe_res_new_query(&op->id, op->type, op->peers, op->npeers, &q);
    if (rc == 0)
        rc = jxta_pipe_res_to_string(q, &text);
    if (rc == 0) {
        long qid = 0;
        rc = jxta_resolver_query(ps->res, JXTA_PIPE_RESOLVER_HANDLER, text, dest, &qid);
        if (rc == 0) {
            remember_qid(op, qid);
            ps->st.queries_sent++;
        }
    }
    free(text);
    jxta_pipe_res_free(q);
    return rc;
}

static void op_bind(jxta_output_pipe_t *op, const jxta_id_t *peer, int self);

static void resolve(jxta_output_pipe_t *op)
{
    jxta_pipes_t *ps = op->ps;
    jxta_input_pipe_t *ip = jxta__pipes_find_input(ps, &op->id);
    if (ip && strcmp(ip->type, op->type) == 0 && allowed_host(op, &ps->self)) {
        op_bind(op, &ps->self, 1);
        return;
    }
    int rc;
    jxta_id_t hosts[MAX_HOSTS];
    size_t n = jxta__pipes_index_hosts(ps, op->type, &op->id, hosts, MAX_HOSTS), sent = 0;
    for (size_t i = 0; i < n; i++)
        if (allowed_host(op, &hosts[i]) && send_query(op, &hosts[i], 0) == 0)
            sent++;
    if (!sent && (rc = send_query(op, NULL, 0)) < 0)
        jxta_log(JXTA_LOG_DEBUG, "pipe", "binding query for %s not sent: %s", op->idtext,
                 jxta_strerror(rc));
}

static void notify_bound(jxta_output_pipe_t *op, const jxta_id_t *peer, int err)
{
    if (op->bound)
        op->bound(op->ud, op, peer, err);
}

static void flush(jxta_output_pipe_t *op);
static struct queued sq_pop(jxta_output_pipe_t *op);
static void send_sync_try(jxta__pipe_waiter_t *w);

static void op_bind(jxta_output_pipe_t *op, const jxta_id_t *peer, int self)
{
    jxta_pipes_t *ps = op->ps;
    op->state = OP_BOUND;
    op->peer = *peer;
    op->self_bound = self;
    op->verifying = 0;
    op->timed_out = 0;
    jxta_timer_start(&op->timer, ps->cfg.verify_ms);
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_DEBUG, "pipe", "output pipe %s bound to %s", op->idtext, id_text(peer, &t));
    while (op->bwaiters) {
        jxta__pipe_waiter_t *w = op->bwaiters;
        op->bwaiters = w->next;
        jxta__waiter_finish(w, 0, NULL);
        jxta__waiter_unref(w);
        op_unref(op);
    }
    flush(op);
    if (!op->closed && op->state == OP_BOUND)
        notify_bound(op, peer, 0);
}

static void start_resolving(jxta_output_pipe_t *op)
{
    op->state = OP_RESOLVING;
    op->self_bound = 0;
    op->verifying = 0;
    op->timed_out = 0;
    op->resolve_start = now_ms(op->ps);
    new_episode(op);
    jxta_timer_start(&op->timer, op->ps->cfg.resolve_retry_ms);
    resolve(op);
}

static void op_lost(jxta_output_pipe_t *op, const char *why)
{
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_INFO, "pipe", "output pipe %s lost its host %s (%s); rebinding",
             op->idtext, id_text(&op->peer, &t), why);
    jxta_timer_stop(&op->flush_timer);
    start_resolving(op);
    if (op->state == OP_RESOLVING)
        notify_bound(op, NULL, JXTA_EUNREACH);
}

/* Queued messages older than resolve_timeout_ms fail. */
static void expire_queued(jxta_output_pipe_t *op)
{
    uint64_t now = now_ms(op->ps);
    while (op->sqlen) {
        struct queued *q = &op->sq[op->sqhead];
        if (now - q->t < op->ps->cfg.resolve_timeout_ms)
            break;
        struct queued e = sq_pop(op);
        jxta_msg_free(e.m);
        if (e.cb)
            e.cb(e.ud, JXTA_ETIMEDOUT);
    }
}

static void op_tick(jxta_timer_t *t)
{
    jxta_output_pipe_t *op = t->data;
    jxta_pipes_t *ps = op->ps;
    uint64_t now = now_ms(ps);
    if (op->state == OP_RESOLVING) {
        expire_queued(op);
        uint64_t next = ps->cfg.resolve_retry_ms;
        if (!op->timed_out && now - op->resolve_start >= ps->cfg.resolve_timeout_ms) {
            op->timed_out = 1;
            notify_bound(op, NULL, JXTA_ETIMEDOUT);
            if (op->closed || op->state != OP_RESOLVING)
                return;
        }
        if (op->timed_out && next < ps->cfg.resolve_timeout_ms / 4)
            next = ps->cfg.resolve_timeout_ms / 4; /* keep trying, more slowly */
        jxta_timer_start(&op->timer, next);
        resolve(op);
        return;
    }
    if (op->self_bound) { /* nothing to verify but that the pipe is still here */
        jxta_input_pipe_t *ip = jxta__pipes_find_input(ps, &op->id);
        if (!ip || strcmp(ip->type, op->type) != 0)
            op_lost(op, "local input pipe closed");
        else
            jxta_timer_start(&op->timer, ps->cfg.verify_ms);
        return;
    }
    if (!op->verifying) {
        op->verifying = 1;
        op->verify_start = now;
        new_episode(op);
    } else if (now - op->verify_start >= ps->cfg.resolve_timeout_ms) {
        op_lost(op, "no answer to verification");
        return;
    }
    send_query(op, &op->peer, 1);
    jxta_timer_start(&op->timer, ps->cfg.resolve_retry_ms);
}

/* ---- binding protocol: queries and answers ------------------------------------ */

static int answer(jxta_pipes_t *ps, const jxta_rq_t *q, const jxta_pipe_res_t *pq, int found)
{
    jxta_pipe_res_t *a = NULL;
    char *text = NULL;
    int rc = jxta_pipe_res_new_answer(&pq->pipe_id, pq->type, &ps->self, found,
                                      found ? ps->pa_text : NULL, &a);
    if (rc == 0)
        rc = jxta_pipe_res_to_string(a, &text);
    if (rc == 0)
        rc = jxta_resolver_respond(ps->res, q, text);
    if (rc == 0)
        ps->st.answers_sent++;
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_DEBUG, "pipe", "answered %s for %s (Found=%s): %s",
             id_text(&q->src, &t), a ? pq->type : "?", found ? "true" : "false",
             jxta_strerror(rc));
    free(text);
    jxta_pipe_res_free(a);
    return rc;
}

static int on_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q)
{
    jxta_pipes_t *ps = ud;
    jxta_pipe_res_t *pq = NULL;
    if (jxta_pipe_res_parse(q->query, strlen(q->query), &pq) < 0)
        return JXTA_RESOLVER_DONE; /* logged by the parser */
    if (pq->answer) {
        jxta__reject(JXTA_EPROTO, "pipe", "pipe resolver answer received as a query");
        jxta_pipe_res_free(pq);
        return JXTA_RESOLVER_DONE;
    }
    int directed = pq->npeers > 0, listed = jxta_pipe_res_has_peer(pq, &ps->self);
    int result = JXTA_RESOLVER_DONE;
    jxta_input_pipe_t *ip = jxta__pipes_find_input(ps, &pq->pipe_id);
    int hosted = ip && strcmp(ip->type, pq->type) == 0;
    if (directed && !listed && !ps->idx) {
        /* not about us */
    } else if (hosted && (!directed || listed)) {
        answer(ps, q, pq, 1);
    } else if (directed && listed) {
        answer(ps, q, pq, 0);
    } else if (ps->idx) {
        jxta_id_t hosts[MAX_HOSTS];
        size_t n = jxta__pipes_index_hosts(ps, pq->type, &pq->pipe_id, hosts, MAX_HOSTS), fw = 0;
        for (size_t i = 0; i < n; i++) {
            if (jxta_id_equal(&hosts[i], &q->src) || jxta_id_equal(&hosts[i], &ps->self) ||
                (directed && !jxta_pipe_res_has_peer(pq, &hosts[i])))
                continue;
            int rc = jxta_resolver_forward(r, q, &hosts[i]);
            jxta_id_text_t t;
            jxta_log(JXTA_LOG_DEBUG, "pipe", "binding query forwarded to %s: %s",
                     id_text(&hosts[i], &t), jxta_strerror(rc));
            if (rc == 0) {
                fw++;
                ps->st.queries_forwarded++;
            }
        }
        if (!fw)
            result = JXTA_RESOLVER_REPROPAGATE;
    }
    jxta_pipe_res_free(pq);
    return result;
}

static void on_response(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp, const jxta_id_t *from)
{
    jxta_pipes_t *ps = ud;
    (void)r;
    jxta_pipe_res_t *a = NULL;
    if (jxta_pipe_res_parse(rsp->response, strlen(rsp->response), &a) < 0)
        return;
    jxta_id_text_t t;
    const jxta_id_t *host = a->npeers ? &a->peers[0] : NULL;
    jxta_output_pipe_t *op = NULL;
    if (!a->answer || !host) {
        jxta__reject(JXTA_EPROTO, "pipe", "pipe resolver query received as an answer");
        goto done;
    }
    if (from && !jxta_pipe_res_has_peer(a, from)) {
        jxta__reject(JXTA_EPROTO, "pipe", "pipe answer from %s about another peer",
                     id_text(from, &t));
        goto done;
    }
    if (from)
        host = from;
    for (op = ps->outputs; op; op = op->next)
        if (!op->closed && !op->propagate && jxta_id_equal(&op->id, &a->pipe_id) &&
            strcmp(op->type, a->type) == 0 && asked(op, rsp->qid))
            break;
    if (!op) {
        jxta__reject(JXTA_ENOTFOUND, "pipe", "answer for pipe %s (QueryID %ld) we did not ask about",
                     id_text(&a->pipe_id, &t), rsp->qid);
        goto done;
    }
    if (!allowed_host(op, host)) {
        jxta__reject(JXTA_EPROTO, "pipe", "answer from %s, not a peer pipe %s may use",
                     id_text(host, &t), op->idtext);
        goto done;
    }
    int bound_here = op->state == OP_BOUND && jxta_id_equal(&op->peer, host);
    if (a->found != 1) {
        if (bound_here)
            op_lost(op, "it answered Found=false");
        goto done;
    }
    if (a->peer_adv) {
        jxta_adv_t *pa = NULL, *ra = NULL;
        jxta_id_t pid;
        if (jxta_adv_parse(a->peer_adv, strlen(a->peer_adv), &pa) < 0 ||
            jxta_adv_get_id(pa, "PID", &pid) < 0 || !jxta_id_equal(&pid, host)) {
            jxta__reject(JXTA_EPROTO, "pipe", "answer from %s without a PeerAdv of its own",
                         id_text(host, &t));
            jxta_adv_free(pa);
            goto done;
        }
        if (jxta_pa_route(pa, &ra) == 0 && !jxta_endpoint_connected(ps->ep, host))
            jxta_endpoint_learn_route(ps->ep, ra);
        jxta_adv_free(ra);
        jxta_adv_free(pa);
    }
    if (op->state == OP_RESOLVING) {
        op_bind(op, host, 0);
    } else if (bound_here && op->verifying) {
        op->verifying = 0;
        jxta_timer_start(&op->timer, ps->cfg.verify_ms);
    }
done:
    jxta_pipe_res_free(a);
}

/* ---- output pipes: sending ------------------------------------------------------ */

struct sent_ctx {
    jxta_output_pipe_t *op;
    jxta_id_t peer;
    jxta_tcp_sent_cb cb;
    void *ud;
};

static void on_sent(void *ud, int status)
{
    struct sent_ctx *s = ud;
    jxta_output_pipe_t *op = s->op;
    if (status < 0 && status != JXTA_EBUSY && !op->closed && op->state == OP_BOUND &&
        jxta_id_equal(&op->peer, &s->peer))
        op_lost(op, jxta_strerror(status));
    if (s->cb)
        s->cb(s->ud, status);
    op_unref(op);
    free(s);
}

/* Send m now to the bound host.  The caller keeps m (left as it was). */
static int send_now(jxta_output_pipe_t *op, jxta_msg_t *m, jxta_tcp_sent_cb cb, void *ud)
{
    jxta_pipes_t *ps = op->ps;
    if (op->self_bound) {
        jxta_input_pipe_t *ip = jxta__pipes_find_input(ps, &op->id);
        if (!ip)
            return JXTA_EUNREACH;
        jxta__input_pipe_deliver(ip, m, &ps->self, 0);
        if (cb)
            cb(ud, 0);
        return 0;
    }
    struct sent_ctx *s = malloc(sizeof *s);
    if (!s)
        return JXTA_ENOMEM;
    s->op = op;
    s->peer = op->peer;
    s->cb = cb;
    s->ud = ud;
    atomic_fetch_add(&op->refs, 1);
    jxta_addr_t dest;
    int rc = jxta_addr_for_peer(&dest, &op->peer, JXTA_PIPE_SERVICE, op->idtext);
    if (rc == 0)
        rc = jxta_endpoint_send(ps->ep, &ps->group, m, &dest, on_sent, s);
    jxta__pipe_msg_unstamp(m);
    if (rc < 0) {
        atomic_fetch_sub(&op->refs, 1);
        free(s);
    }
    return rc;
}

static int sq_reserve(jxta_output_pipe_t *op)
{
    if (op->sqlen < op->sqcap)
        return 0;
    size_t nc = op->sqcap ? op->sqcap * 2 : 16;
    struct queued *q = malloc(nc * sizeof *q);
    if (!q)
        return JXTA_ENOMEM;
    for (size_t i = 0; i < op->sqlen; i++)
        q[i] = op->sq[(op->sqhead + i) % op->sqcap];
    free(op->sq);
    op->sq = q;
    op->sqcap = nc;
    op->sqhead = 0;
    return 0;
}

static struct queued sq_pop(jxta_output_pipe_t *op)
{
    struct queued e = op->sq[op->sqhead];
    op->sqhead = (op->sqhead + 1) % op->sqcap;
    op->sqlen--;
    return e;
}

static void sq_push_front(jxta_output_pipe_t *op, struct queued e)
{
    if (sq_reserve(op) < 0) {
        jxta_msg_free(e.m);
        if (e.cb)
            e.cb(e.ud, JXTA_ENOMEM);
        return;
    }
    op->sqhead = (op->sqhead + op->sqcap - 1) % op->sqcap;
    op->sq[op->sqhead] = e;
    op->sqlen++;
}

/* Send the held messages in order.  Each leaves the queue before it is
 * sent, so callbacks run during the send see a consistent queue. */
static void flush(jxta_output_pipe_t *op)
{
    while (op->sqlen && op->state == OP_BOUND && !op->closed) {
        struct queued e = sq_pop(op);
        int rc = send_now(op, e.m, e.cb, e.ud);
        if (rc == JXTA_EBUSY || rc == JXTA_EUNREACH) {
            sq_push_front(op, e);
            if (rc == JXTA_EBUSY)
                jxta_timer_start(&op->flush_timer, FLUSH_RETRY_MS);
            else
                op_lost(op, "unreachable");
            return;
        }
        jxta_msg_free(e.m);
        if (rc < 0 && e.cb)
            e.cb(e.ud, rc);
    }
}

static void on_flush_timer(jxta_timer_t *t)
{
    flush(t->data);
}

static int enqueue(jxta_output_pipe_t *op, jxta_msg_t *m, jxta_tcp_sent_cb cb, void *ud)
{
    if (op->sqlen >= op->ps->cfg.send_queue_max)
        return JXTA_EBUSY;
    jxta_msg_t *c;
    int rc = sq_reserve(op);
    if (rc == 0)
        rc = jxta__pipe_msg_copy(m, &c);
    if (rc < 0)
        return rc;
    struct queued *q = &op->sq[(op->sqhead + op->sqlen) % op->sqcap];
    q->m = c;
    q->cb = cb;
    q->ud = ud;
    q->t = now_ms(op->ps);
    op->sqlen++;
    return 0;
}

int jxta_output_pipe_send(jxta_output_pipe_t *op, jxta_msg_t *m, jxta_tcp_sent_cb cb, void *ud)
{
    if (!op || !m)
        return JXTA_EINVAL;
    if (op->closed)
        return JXTA_ECLOSED;
    if (op->propagate)
        return jxta__wire_send(op->ps->wire, &op->id, op->peers, op->npeers, m, cb, ud);
    if (op->state == OP_BOUND && op->sqlen == 0) {
        int rc = send_now(op, m, cb, ud);
        if (rc != JXTA_EUNREACH)
            return rc;
        op_lost(op, "unreachable");
    }
    int rc = enqueue(op, m, cb, ud);
    if (rc == 0 && op->state == OP_BOUND && !jxta_timer_active(&op->flush_timer))
        flush(op);
    return rc;
}

int jxta_output_pipe_open(jxta_pipes_t *ps, const jxta_id_t *pipe_id, const char *type,
                          const jxta_id_t *peers, size_t npeers, jxta_pipe_bound_fn bound,
                          void *ud, jxta_output_pipe_t **out)
{
    int propagate;
    if (!pipe_id || jxta_id_kind(pipe_id) != JXTA_ID_PIPE)
        return JXTA_EBADID;
    if (!type || check_type(type, &propagate) < 0 || (npeers && !peers) ||
        npeers > JXTA_PIPE_RES_MAX_PEERS)
        return JXTA_EINVAL;
    for (size_t i = 0; i < npeers; i++)
        if (jxta_id_kind(&peers[i]) != JXTA_ID_PEER)
            return JXTA_EBADID;
    jxta_output_pipe_t *op = calloc(1, sizeof *op);
    if (!op)
        return JXTA_ENOMEM;
    if (npeers && !(op->peers = malloc(npeers * sizeof *peers))) {
        free(op);
        return JXTA_ENOMEM;
    }
    if (npeers)
        memcpy(op->peers, peers, npeers * sizeof *peers);
    op->npeers = npeers;
    op->ps = ps;
    op->loop = ps->loop;
    op->id = *pipe_id;
    jxta_id_text_t t;
    snprintf(op->idtext, sizeof op->idtext, "%s", id_text(pipe_id, &t));
    snprintf(op->type, sizeof op->type, "%s", type);
    op->propagate = propagate;
    op->bound = bound;
    op->ud = ud;
    atomic_init(&op->refs, 1);
    jxta_timer_init(ps->loop, &op->timer, op_tick);
    op->timer.data = op;
    jxta_timer_init(ps->loop, &op->flush_timer, on_flush_timer);
    op->flush_timer.data = op;
    op->next = ps->outputs;
    ps->outputs = op;
    *out = op;
    if (!propagate)
        start_resolving(op);
    return 0;
}

int jxta_output_pipe_open_adv(jxta_pipes_t *ps, const jxta_adv_t *pipe_adv,
                              jxta_pipe_bound_fn bound, void *ud, jxta_output_pipe_t **out)
{
    jxta_id_t id;
    int rc = jxta_adv_get_id(pipe_adv, "Id", &id);
    if (rc < 0)
        return rc;
    return jxta_output_pipe_open(ps, &id, jxta_pipe_adv_type(pipe_adv), NULL, 0, bound, ud, out);
}

void jxta_output_pipe_close(jxta_output_pipe_t *op)
{
    if (!op || op->closed)
        return;
    jxta_pipes_t *ps = op->ps;
    op->closed = 1;
    jxta_timer_stop(&op->timer);
    jxta_timer_stop(&op->flush_timer);
    for (jxta_output_pipe_t **pp = &ps->outputs; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            break;
        }
    while (op->sqlen) {
        struct queued e = sq_pop(op);
        jxta_msg_free(e.m);
        if (e.cb)
            e.cb(e.ud, JXTA_ECLOSED);
    }
    while (op->bwaiters) {
        jxta__pipe_waiter_t *w = op->bwaiters;
        op->bwaiters = w->next;
        jxta__waiter_finish(w, JXTA_ECLOSED, NULL);
        jxta__waiter_unref(w);
        op_unref(op);
    }
    while (op->retrying) {
        jxta__pipe_waiter_t *w = op->retrying;
        op->retrying = w->next;
        jxta_timer_stop(&w->retry);
        send_sync_try(w); /* answers JXTA_ECLOSED and lets go */
    }
    op_unref(op);
}

int jxta_output_pipe_peer(const jxta_output_pipe_t *op, jxta_id_t *peer)
{
    if (op->propagate || op->state != OP_BOUND)
        return JXTA_ENOTFOUND;
    if (peer)
        *peer = op->peer;
    return 0;
}

/* ---- output pipes: blocking calls ------------------------------------------------ */

static void wait_bound_start(jxta_loop_t *loop, void *arg)
{
    jxta__pipe_waiter_t *w = arg;
    jxta_output_pipe_t *op = w->obj;
    (void)loop;
    if (op->closed) {
        jxta__waiter_finish(w, JXTA_ECLOSED, NULL);
    } else if (op->propagate || op->state == OP_BOUND) {
        jxta__waiter_finish(w, 0, NULL);
    } else {
        w->next = op->bwaiters;
        op->bwaiters = w;
        return; /* the list holds both references */
    }
    jxta__waiter_unref(w);
    op_unref(op);
}

int jxta_output_pipe_wait_bound(jxta_output_pipe_t *op, int timeout_ms)
{
    if (jxta_loop_on_thread(op->loop))
        return op->propagate || op->state == OP_BOUND ? 0 : JXTA_ETIMEDOUT;
    jxta__pipe_waiter_t *w = jxta__waiter_new(op, timeout_ms);
    if (!w)
        return JXTA_ENOMEM;
    atomic_fetch_add(&op->refs, 1);
    if (jxta_loop_post(op->loop, wait_bound_start, w) < 0) {
        op_unref(op);
        jxta__waiter_unref(w);
        jxta__waiter_unref(w);
        return JXTA_ENOMEM;
    }
    int rc = jxta__waiter_wait(w, timeout_ms, NULL);
    jxta__waiter_unref(w);
    return rc;
}

static void sync_sent(void *ud, int status)
{
    jxta__pipe_waiter_t *w = ud;
    jxta__waiter_finish(w, status, NULL);
    jxta__waiter_unref(w);
}

/* Loop side of send_sync: one attempt.  While the pipe pushes back the
 * waiter stays on op->retrying and tries again soon; it ends when the send
 * is accepted (sync_sent completes it), fails, or the thread gave up. */
static void send_sync_try(jxta__pipe_waiter_t *w)
{
    jxta_output_pipe_t *op = w->obj;
    pthread_mutex_lock(&w->mu);
    int withdrawn = w->withdrawn;
    w->refs++; /* the send callback's */
    pthread_mutex_unlock(&w->mu);
    int rc = withdrawn ? JXTA_ETIMEDOUT
                       : op->closed ? JXTA_ECLOSED : jxta_output_pipe_send(op, w->out, sync_sent, w);
    if (rc < 0)
        jxta__waiter_unref(w); /* no callback */
    if (rc == JXTA_EBUSY) {
        w->next = op->retrying;
        op->retrying = w;
        jxta_timer_start(&w->retry, FLUSH_RETRY_MS);
        return;
    }
    if (rc < 0)
        jxta__waiter_finish(w, rc, NULL);
    jxta_msg_free(w->out);
    w->out = NULL;
    jxta__waiter_unref(w); /* the loop's */
    op_unref(op);
}

static void unlink_retrying(jxta_output_pipe_t *op, jxta__pipe_waiter_t *w)
{
    for (jxta__pipe_waiter_t **pp = &op->retrying; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            return;
        }
}

static void on_sync_retry(jxta_timer_t *t)
{
    jxta__pipe_waiter_t *w = t->data;
    unlink_retrying(w->obj, w);
    send_sync_try(w);
}

static void send_sync_start(jxta_loop_t *loop, void *arg)
{
    jxta__pipe_waiter_t *w = arg;
    pthread_mutex_lock(&w->mu);
    w->out = w->msg; /* the loop's copy from now on */
    w->msg = NULL;
    pthread_mutex_unlock(&w->mu);
    jxta_timer_init(loop, &w->retry, on_sync_retry);
    w->retry.data = w;
    send_sync_try(w);
}

int jxta_output_pipe_send_sync(jxta_output_pipe_t *op, jxta_msg_t *m, int timeout_ms)
{
    if (jxta_loop_on_thread(op->loop))
        return JXTA_EINVAL; /* would wait for ourselves */
    jxta__pipe_waiter_t *w = jxta__waiter_new(op, timeout_ms);
    if (!w)
        return JXTA_ENOMEM;
    int rc = jxta__pipe_msg_copy(m, &w->msg); /* the loop sends its own copy */
    if (rc < 0) {
        jxta__waiter_unref(w);
        jxta__waiter_unref(w);
        return rc;
    }
    atomic_fetch_add(&op->refs, 1);
    if (jxta_loop_post(op->loop, send_sync_start, w) < 0) {
        op_unref(op);
        jxta__waiter_unref(w);
        jxta__waiter_unref(w);
        return JXTA_ENOMEM;
    }
    rc = jxta__waiter_wait(w, timeout_ms, NULL);
    jxta__waiter_unref(w);
    return rc;
}

/* ---- service -------------------------------------------------------------------- */

const jxta_id_t *jxta_pipes_group(const jxta_pipes_t *ps)
{
    return &ps->group;
}

void jxta_pipes_stats(const jxta_pipes_t *ps, jxta_pipes_stats_t *st)
{
    *st = ps->st;
    st->index_entries = ps->idx ? jxta_srdi_index_count(ps->idx) : 0;
}

int jxta_pipes_new(jxta_resolver_t *res, jxta_rdv_t *rdv, jxta_propagate_t *prop,
                   const jxta_adv_t *local_pa, const jxta_pipes_config_t *cfg,
                   jxta_pipes_t **out)
{
    if (!res || !rdv || !prop || !local_pa || !out)
        return JXTA_EINVAL;
    jxta_pipes_t *ps = calloc(1, sizeof *ps);
    if (!ps)
        return JXTA_ENOMEM;
    ps->res = res;
    ps->ep = jxta_resolver_endpoint(res);
    ps->rdv = rdv;
    ps->prop = prop;
    ps->loop = jxta_endpoint_loop(ps->ep);
    ps->group = *jxta_resolver_group(res);
    ps->self = *jxta_endpoint_peer_id(ps->ep);
    jxta_id_text_t t;
    snprintf(ps->group_uv, sizeof ps->group_uv, "%s", jxta_id_unique_value(&ps->group, &t));
    if (cfg)
        ps->cfg = *cfg;
    else
        jxta_pipes_config_default(&ps->cfg);
    if (!ps->cfg.resolve_retry_ms)
        ps->cfg.resolve_retry_ms = 1;
    int rc = jxta_adv_to_string(local_pa, 0, &ps->pa_text);
    if (rc == 0 && jxta__pipes_is_rdv(ps)) {
        jxta_srdi_index_limits_t lim;
        jxta_srdi_index_limits_default(&lim);
        rc = jxta_srdi_index_new(&ps->idx, &lim);
    }
    int reg = 0, listen = 0, watch = 0, swatch = 0;
    if (rc == 0 && (rc = jxta_resolver_register(res, JXTA_PIPE_RESOLVER_HANDLER, on_query,
                                                on_response, ps)) == 0)
        reg = 1;
    if (rc == 0 && (rc = jxta_endpoint_listen(ps->ep, &ps->group, JXTA_PIPE_SERVICE, NULL,
                                              on_pipe_message, ps)) == 0)
        listen = 1;
    if (rc == 0 && (rc = jxta_endpoint_watch(ps->ep, on_conn, ps)) == 0)
        watch = 1;
    if (rc == 0 && (rc = jxta_resolver_watch_srdi(res, on_srdi, ps)) == 0)
        swatch = 1;
    if (rc == 0 && (rc = jxta_endpoint_watch_unreachable(ps->ep, on_unreachable, ps)) < 0) {
        jxta_resolver_unwatch_srdi(res, on_srdi, ps);
        swatch = 0;
    }
    if (rc == 0)
        rc = jxta__wire_new(ps, &ps->wire);
    if (rc < 0) {
        if (swatch) {
            jxta_resolver_unwatch_srdi(res, on_srdi, ps);
            jxta_endpoint_unwatch_unreachable(ps->ep, on_unreachable, ps);
        }
        if (watch)
            jxta_endpoint_unwatch(ps->ep, on_conn, ps);
        if (listen)
            jxta_endpoint_unlisten(ps->ep, &ps->group, JXTA_PIPE_SERVICE, NULL);
        if (reg)
            jxta_resolver_unregister(res, JXTA_PIPE_RESOLVER_HANDLER);
        jxta_srdi_index_free(ps->idx);
        free(ps->pa_text);
        free(ps);
        return rc;
    }
    jxta_timer_init(ps->loop, &ps->timer, tick);
    ps->timer.data = ps;
    jxta_timer_start(&ps->timer, LEASE_CHECK_MS);
    *out = ps;
    return 0;
}

void jxta_pipes_free(jxta_pipes_t *ps)
{
    if (!ps)
        return;
    while (ps->outputs)
        jxta_output_pipe_close(ps->outputs);
    while (ps->inputs)
        jxta_input_pipe_close(ps->inputs);
    jxta_timer_stop(&ps->timer);
    jxta__wire_free(ps->wire);
    jxta_resolver_unwatch_srdi(ps->res, on_srdi, ps);
    jxta_endpoint_unwatch_unreachable(ps->ep, on_unreachable, ps);
    jxta_endpoint_unwatch(ps->ep, on_conn, ps);
    jxta_endpoint_unlisten(ps->ep, &ps->group, JXTA_PIPE_SERVICE, NULL);
    jxta_resolver_unregister(ps->res, JXTA_PIPE_RESOLVER_HANDLER);
    jxta_srdi_index_free(ps->idx);
    free(ps->pa_text);
    free(ps);
}
