/* service.c - the discovery service (see jxta/discovery_service.h).
 *
 * One timer drives the edge's SRDI pushes and everybody's cache/index
 * clean-up.  A lease change is noticed on that timer (the rendezvous we
 * pushed to is remembered), and a publish brings the next push forward, so
 * new advertisements become findable within a fraction of a second. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jxta/discovery.h>
#include <jxta/discovery_service.h>
#include <jxta/srdi.h>
#include <jxta/wellknown.h>

#include "../util/internal.h"

#define SOON_MS 100

struct jxta_discovery {
    jxta_resolver_t *res;
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_cm_t *cm;
    jxta_discovery_config_t cfg;
    jxta_id_t group;
    char handler[JXTA_ID_TEXT_MAX];
    jxta_srdi_index_t *idx; /* rendezvous only */
    jxta_discovery_found_fn found_fn;
    void *found_ud;
    jxta_timer_t timer;
    uint64_t next_gc;
    int pushed_to_valid;
    jxta_id_t pushed_to; /* rendezvous our last push went to */
    uint64_t srdi_msgs, srdi_bytes;
};

static const jxta_adv_dir_t dirs[3] = {JXTA_ADV_DIR_PEERS, JXTA_ADV_DIR_GROUPS, JXTA_ADV_DIR_ADV};

/* The cache's clock: wall-clock ms, so persisted deadlines survive restarts. */
static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void jxta_discovery_config_default(jxta_discovery_config_t *cfg)
{
    cfg->srdi_ms = 30000;
    cfg->gc_ms = 60000;
    cfg->answer_limit = 50;
}

static int is_rdv(const jxta_discovery_t *d)
{
    return jxta_rdv_role(d->rdv) == JXTA_RDV_RENDEZVOUS;
}

/* ---- SRDI push (edge) -------------------------------------------------- */

static int push_dir(jxta_discovery_t *d, jxta_adv_dir_t dir, int full, uint64_t now)
{
    jxta_cm_srdi_t *v = NULL;
    size_t n = 0;
    int rc = full ? jxta_cm_srdi_all(d->cm, &d->group, dir, now, &v, &n)
                  : jxta_cm_srdi_delta(d->cm, &d->group, dir, now, &v, &n);
    if (rc < 0 || n == 0) {
        jxta_cm_srdi_free(v, n);
        return rc;
    }
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    s.pid = *jxta_endpoint_peer_id(d->ep);
    s.ttl = 1;
    rc = jxta_srdi_set_pkey(&s, jxta_cm_dir_name(dir));
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = jxta_srdi_add(&s, v[i].skey, v[i].value, v[i].expiration_ms);
    jxta_cm_srdi_free(v, n);
    jxta_msg_t *m = NULL;
    if (rc == 0)
        rc = jxta_msg_new(&m);
    if (rc == 0)
        rc = jxta_srdi_element_encode(d->handler, &s, m, "srdi");
    if (rc == 0) {
        const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", "srdi");
        size_t len;
        const uint8_t *b = jxta_msg_elem_body(e, &len);
        rc = jxta_resolver_send_srdi(d->res, b, len, jxta_msg_elem_type(e), NULL);
        if (rc == 0) {
            d->srdi_msgs++;
            d->srdi_bytes += len;
        }
    }
    jxta_log(JXTA_LOG_DEBUG, "discovery", "SRDI %s push of %zu %s entries: %s",
             full ? "full" : "delta", s.count, jxta_cm_dir_name(dir), jxta_strerror(rc));
    jxta_msg_free(m);
    jxta_srdi_clear(&s);
    return rc;
}

static void push_srdi(jxta_discovery_t *d, uint64_t now)
{
    jxta_id_t rdv;
    if (!jxta_rdv_has_lease(d->rdv, &rdv)) {
        d->pushed_to_valid = 0;
        return;
    }
    int full = !d->pushed_to_valid || !jxta_id_equal(&rdv, &d->pushed_to);
    for (size_t i = 0; i < 3; i++) {
        if (full) { /* a new rendezvous gets everything; the journal restarts */
            jxta_cm_srdi_t *v = NULL;
            size_t n = 0;
            jxta_cm_srdi_delta(d->cm, &d->group, dirs[i], now, &v, &n);
            jxta_cm_srdi_free(v, n);
        }
        if (push_dir(d, dirs[i], full, now) < 0)
            return; /* keep the state: everything goes again next time */
    }
    d->pushed_to = rdv;
    d->pushed_to_valid = 1;
}

static void tick(jxta_timer_t *t)
{
    jxta_discovery_t *d = t->data;
    uint64_t now = wall_ms();
    if (!is_rdv(d))
        push_srdi(d, now);
    uint64_t mono = jxta_loop_now(jxta_endpoint_loop(d->ep));
    if (mono >= d->next_gc) {
        jxta_cm_gc(d->cm, now);
        if (d->idx)
            jxta_srdi_index_gc(d->idx, (int64_t)now);
        d->next_gc = mono + d->cfg.gc_ms;
    }
    uint64_t next = is_rdv(d) ? d->cfg.gc_ms : d->cfg.srdi_ms;
    jxta_timer_start(&d->timer, next);
}

static void push_soon(jxta_discovery_t *d)
{
    if (is_rdv(d))
        return;
    uint64_t now = jxta_loop_now(jxta_endpoint_loop(d->ep));
    if (!jxta_timer_active(&d->timer) || d->timer.due_ms > now + SOON_MS)
        jxta_timer_start(&d->timer, SOON_MS);
}

/* ---- answering --------------------------------------------------------- */

static int answer_from_cache(jxta_discovery_t *d, jxta_resolver_t *r, const jxta_rq_t *q,
                             const jxta_disc_query_t *dq)
{
    size_t limit = (size_t)dq->threshold;
    if (limit > (size_t)d->cfg.answer_limit)
        limit = (size_t)d->cfg.answer_limit;
    jxta_adv_dir_t dir = dirs[dq->type];
    jxta_cm_result_t *res = NULL;
    size_t n = 0;
    if (limit == 0 || jxta_cm_search_docs(d->cm, &d->group, dir, dq->attr, dq->value, limit, 0,
                                          wall_ms(), &res, &n) < 0 || n == 0) {
        jxta_cm_results_free(res, n);
        return 0;
    }
    jxta_disc_response_t *dr = NULL;
    char *text = NULL;
    int rc = jxta_disc_response_new(dq->type, dq->attr, dq->value, &dr);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = jxta_disc_response_add(dr, res[i].doc, res[i].len, res[i].expiration_ms);
    if (rc == 0)
        rc = jxta_disc_response_to_string(dr, &text);
    if (rc == 0)
        rc = jxta_resolver_respond(r, q, text);
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_DEBUG, "discovery", "answered %s with %zu advertisements: %s",
             jxta_id_str(&q->src, &t), n, jxta_strerror(rc));
    free(text);
    jxta_disc_response_free(dr);
    jxta_cm_results_free(res, n);
    return rc == 0 ? (int)n : 0;
}

/* Rendezvous: send the query on to the edges whose SRDI entries match. */
static void forward_to_holders(jxta_discovery_t *d, jxta_resolver_t *r, const jxta_rq_t *q,
                               const jxta_disc_query_t *dq)
{
    jxta_id_t peers[50];
    size_t max = (size_t)(dq->threshold > 0 ? dq->threshold : 1);
    if (max > 50)
        max = 50;
    size_t n = jxta_srdi_index_query(d->idx, jxta_disc_type_dir_name(dq->type), dq->attr,
                                     dq->value, (int64_t)wall_ms(), peers, max);
    for (size_t i = 0; i < n && i < max; i++) {
        if (jxta_id_equal(&peers[i], &q->src) ||
            jxta_id_equal(&peers[i], jxta_endpoint_peer_id(d->ep)))
            continue;
        int rc = jxta_resolver_forward(r, q, &peers[i]);
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_DEBUG, "discovery", "query forwarded to %s (index hit): %s",
                 jxta_id_str(&peers[i], &t), jxta_strerror(rc));
    }
}

static int on_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q)
{
    jxta_discovery_t *d = ud;
    jxta_disc_query_t *dq = NULL;
    if (jxta_disc_query_parse(q->query, strlen(q->query), &dq) < 0)
        return JXTA_RESOLVER_DONE;
    if (dq->type < 0 || dq->type > 2) {
        jxta_disc_query_free(dq);
        return JXTA_RESOLVER_DONE;
    }
    int found = answer_from_cache(d, r, q, dq);
    if (!found && d->idx)
        forward_to_holders(d, r, q, dq);
    jxta_disc_query_free(dq);
    return found || !d->idx ? JXTA_RESOLVER_DONE : JXTA_RESOLVER_REPROPAGATE;
}

static void on_response(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp, const jxta_id_t *from)
{
    jxta_discovery_t *d = ud;
    (void)r;
    jxta_disc_response_t *dr = NULL;
    if (jxta_disc_response_parse(rsp->response, strlen(rsp->response), &dr) < 0)
        return;
    uint64_t now = wall_ms();
    for (size_t i = 0; i < dr->count; i++) {
        const jxta_disc_entry_t *e = &dr->entries[i];
        int64_t exp = jxta_disc_entry_expiration(e);
        if (exp <= 0)
            continue;
        int rc = jxta_cm_publish_text(d->cm, &d->group, e->adv_xml, e->len, exp, exp, now);
        if (rc < 0)
            continue; /* logged by the cache: a bad advertisement is not reported */
        if (d->found_fn)
            d->found_fn(d->found_ud, dr->type, e->adv_xml, e->len, from, rsp->qid);
    }
    jxta_disc_response_free(dr);
}

static void on_srdi(void *ud, jxta_resolver_t *r, const jxta_msg_elem_t *e, const jxta_id_t *from)
{
    jxta_discovery_t *d = ud;
    (void)r;
    (void)from;
    if (!d->idx)
        return;
    char *handler = NULL;
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    if (jxta_srdi_element_decode(e, NULL, &handler, &s) == 0 && strcmp(handler, d->handler) == 0)
        jxta_srdi_index_add_srdi(d->idx, &s, (int64_t)wall_ms());
    free(handler);
    jxta_srdi_clear(&s);
}

static void on_conn(void *ud, const jxta_id_t *peer, int up, int err)
{
    jxta_discovery_t *d = ud;
    (void)err;
    if (!up && d->idx)
        jxta_srdi_index_remove_peer(d->idx, peer, NULL);
}

/* ---- public -------------------------------------------------------------- */

int jxta_discovery_publish(jxta_discovery_t *d, const jxta_adv_t *adv, int64_t lifetime_ms,
                           int64_t expiration_ms)
{
    int rc = jxta_cm_publish(d->cm, &d->group, adv, lifetime_ms, expiration_ms, wall_ms());
    if (rc == 0)
        push_soon(d);
    return rc;
}

int jxta_discovery_remote_publish(jxta_discovery_t *d, const jxta_adv_t *adv,
                                  int64_t expiration_ms)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_disc_response_t *dr = NULL;
    char *text = NULL;
    jxta_adv_dir_t dir = jxta_cm_dir_of(adv);
    int type = dir == JXTA_ADV_DIR_PEERS ? 0 : dir == JXTA_ADV_DIR_GROUPS ? 1 : 2;
    int rc = jxta_adv_write(adv, 0, &b);
    if (rc == 0)
        rc = jxta_disc_response_new(type, NULL, NULL, &dr);
    if (rc == 0)
        rc = jxta_disc_response_add(dr, (const char *)b.data, b.len, expiration_ms);
    if (rc == 0)
        rc = jxta_disc_response_to_string(dr, &text);
    if (rc == 0)
        rc = jxta_resolver_send_response(d->res, d->handler, 0, text, NULL);
    free(text);
    jxta_disc_response_free(dr);
    jxta_buf_free(&b);
    return rc;
}

int jxta_discovery_query(jxta_discovery_t *d, int type, const char *attr, const char *value,
                         int threshold, const jxta_id_t *dest, long *qid)
{
    jxta_disc_query_t *dq = NULL;
    char *text = NULL;
    int rc = jxta_disc_query_new(type, threshold, attr, value, &dq);
    if (rc == 0)
        rc = jxta_disc_query_to_string(dq, &text);
    if (rc == 0)
        rc = jxta_resolver_query(d->res, d->handler, text, dest, qid);
    free(text);
    jxta_disc_query_free(dq);
    return rc;
}

void jxta_discovery_on_found(jxta_discovery_t *d, jxta_discovery_found_fn fn, void *ud)
{
    d->found_fn = fn;
    d->found_ud = ud;
}

void jxta_discovery_srdi_sent(const jxta_discovery_t *d, uint64_t *messages, uint64_t *bytes)
{
    *messages = d->srdi_msgs;
    *bytes = d->srdi_bytes;
}

size_t jxta_discovery_index_size(const jxta_discovery_t *d)
{
    return d->idx ? jxta_srdi_index_count(d->idx) : 0;
}

int jxta_discovery_new(jxta_resolver_t *res, jxta_rdv_t *rdv, jxta_cm_t *cm,
                       const jxta_discovery_config_t *cfg, jxta_discovery_t **out)
{
    jxta_discovery_t *d = calloc(1, sizeof *d);
    if (!d)
        return JXTA_ENOMEM;
    d->res = res;
    d->ep = jxta_resolver_endpoint(res);
    d->rdv = rdv;
    d->cm = cm;
    if (cfg)
        d->cfg = *cfg;
    else
        jxta_discovery_config_default(&d->cfg);
    d->group = *jxta_resolver_group(res);
    jxta_id_text_t t;
    snprintf(d->handler, sizeof d->handler, "%s",
             jxta_id_str(jxta_wk_id(JXTA_WK_CLASS_DISCOVERY), &t));
    int rc = 0;
    if (jxta_rdv_role(rdv) == JXTA_RDV_RENDEZVOUS) {
        jxta_srdi_index_limits_t lim;
        jxta_srdi_index_limits_default(&lim);
        rc = jxta_srdi_index_new(&d->idx, &lim);
    }
    if (rc == 0)
        rc = jxta_resolver_register(res, d->handler, on_query, on_response, d);
    if (rc == 0 && (rc = jxta_endpoint_watch(d->ep, on_conn, d)) < 0)
        jxta_resolver_unregister(res, d->handler);
    if (rc < 0) {
        jxta_srdi_index_free(d->idx);
        free(d);
        return rc;
    }
    jxta_resolver_on_srdi(res, on_srdi, d);
    jxta_timer_init(jxta_endpoint_loop(d->ep), &d->timer, tick);
    d->timer.data = d;
    d->next_gc = jxta_loop_now(jxta_endpoint_loop(d->ep)) + d->cfg.gc_ms;
    jxta_timer_start(&d->timer, is_rdv(d) ? d->cfg.gc_ms : SOON_MS);
    *out = d;
    return 0;
}

void jxta_discovery_free(jxta_discovery_t *d)
{
    if (!d)
        return;
    jxta_timer_stop(&d->timer);
    jxta_resolver_on_srdi(d->res, NULL, NULL);
    jxta_endpoint_unwatch(d->ep, on_conn, d);
    jxta_resolver_unregister(d->res, d->handler);
    jxta_srdi_index_free(d->idx);
    free(d);
}
