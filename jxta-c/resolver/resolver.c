/* resolver.c - the resolver service of one group (see jxta/resolver.h).
 *
 * One endpoint listener (resolver class URN, any parameter) receives the
 * three kinds of traffic, told apart by parameter, whose payload element
 * has the parameter's name.  Handlers live in a small array.  Queries we
 * send carry our route; when we hold a lease, the rendezvous is listed as
 * the route's hop, so a responder that cannot reach us directly answers
 * through it (the route's hop is what JXSE uses too). */
#include <stdio.h>
#include <stdlib.h>

#include <jxta/resolver.h>
#include <jxta/wellknown.h>

#include "../util/internal.h"

#define MAX_HANDLERS 32
#define MAX_HC 2 /* JXSE drops queries whose hop count is above this */
#define MAX_SRDI_WATCHERS 8

struct handler {
    char *name;
    jxta_resolver_query_fn qfn;
    jxta_resolver_response_fn rfn;
    void *ud;
};

struct jxta_resolver {
    jxta_endpoint_t *ep;
    jxta_propagate_t *prop;
    jxta_id_t group;
    char service[JXTA_ID_TEXT_MAX];
    char p_query[JXTA_ID_TEXT_MAX + 8], p_resp[JXTA_ID_TEXT_MAX + 8], p_srdi[JXTA_ID_TEXT_MAX + 8];
    struct handler h[MAX_HANDLERS];
    size_t nh;
    long next_qid;
    jxta_resolver_srdi_fn srdi_fn;
    void *srdi_ud;
    struct {
        jxta_resolver_srdi_fn fn;
        void *ud;
    } sw[MAX_SRDI_WATCHERS]; /* more SRDI receivers (pipes beside discovery) */
    size_t nsw;
};

static struct handler *find(jxta_resolver_t *r, const char *name)
{
    for (size_t i = 0; i < r->nh; i++)
        if (strcmp(r->h[i].name, name) == 0)
            return &r->h[i];
    return NULL;
}

int jxta_resolver_register(jxta_resolver_t *r, const char *handler, jxta_resolver_query_fn qfn,
                           jxta_resolver_response_fn rfn, void *ud)
{
    if (!handler || !*handler)
        return JXTA_EINVAL;
    if (find(r, handler))
        return JXTA_EEXIST;
    if (r->nh == MAX_HANDLERS)
        return JXTA_ETOOBIG;
    struct handler *h = &r->h[r->nh];
    if (!(h->name = strdup(handler)))
        return JXTA_ENOMEM;
    h->qfn = qfn;
    h->rfn = rfn;
    h->ud = ud;
    r->nh++;
    return 0;
}

int jxta_resolver_unregister(jxta_resolver_t *r, const char *handler)
{
    struct handler *h = find(r, handler);
    if (!h)
        return JXTA_ENOTFOUND;
    free(h->name);
    *h = r->h[--r->nh];
    return 0;
}

void jxta_resolver_on_srdi(jxta_resolver_t *r, jxta_resolver_srdi_fn fn, void *ud)
{
    r->srdi_fn = fn;
    r->srdi_ud = ud;
}

int jxta_resolver_watch_srdi(jxta_resolver_t *r, jxta_resolver_srdi_fn fn, void *ud)
{
    if (!fn)
        return JXTA_EINVAL;
    if (r->nsw == MAX_SRDI_WATCHERS)
        return JXTA_ETOOBIG;
    r->sw[r->nsw].fn = fn;
    r->sw[r->nsw].ud = ud;
    r->nsw++;
    return 0;
}

void jxta_resolver_unwatch_srdi(jxta_resolver_t *r, jxta_resolver_srdi_fn fn, void *ud)
{
    for (size_t i = 0; i < r->nsw; i++)
        if (r->sw[i].fn == fn && r->sw[i].ud == ud) {
            r->sw[i] = r->sw[--r->nsw];
            return;
        }
}

const jxta_id_t *jxta_resolver_group(const jxta_resolver_t *r)
{
    return &r->group;
}

jxta_endpoint_t *jxta_resolver_endpoint(jxta_resolver_t *r)
{
    return r->ep;
}

/* ---- sending ------------------------------------------------------------ */

/* One message with one XML element named like its parameter, sent to dest
 * (routed) or walked. */
static int send_doc(jxta_resolver_t *r, const char *param, const void *body, size_t len,
                    const char *type, const jxta_id_t *dest)
{
    jxta_msg_t *m;
    int rc = jxta_msg_new(&m);
    if (rc < 0)
        return rc;
    rc = jxta_msg_add(m, "jxta", param, type, body, len);
    if (rc == 0) {
        if (dest) {
            jxta_addr_t a;
            jxta_addr_for_peer(&a, dest, r->service, param);
            rc = jxta_endpoint_send(r->ep, &r->group, m, &a, NULL, NULL);
        } else {
            rc = jxta_propagate_walk(r->prop, m, r->service, param, 0);
        }
    }
    jxta_msg_free(m);
    return rc;
}

/* Our route for SrcPeerRoute: our addresses, and our rendezvous as hop. */
static jxta_adv_t *own_route(jxta_resolver_t *r)
{
    jxta_adv_t *ra = NULL;
    if (jxta_endpoint_local_route(r->ep, &ra) < 0)
        return NULL;
    const char *eas[1];
    if (jxta_ra_endpoints(ra, eas, 1) == 0) {
        jxta_id_t gw;
        if (jxta_endpoint_gateway(r->ep, &gw) == 0)
            jxta_ra_add_hop(ra, &gw, NULL, 0);
    }
    return ra;
}

static int send_query(jxta_resolver_t *r, const jxta_rq_t *q, const jxta_id_t *dest)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_rq_write(q, &b);
    if (rc == 0)
        rc = send_doc(r, r->p_query, b.data, b.len, JXTA_MSG_MIME_XML, dest);
    jxta_buf_free(&b);
    return rc;
}

int jxta_resolver_query(jxta_resolver_t *r, const char *handler, const char *text,
                        const jxta_id_t *dest, long *qid)
{
    jxta_rq_t q;
    memset(&q, 0, sizeof q);
    q.handler = (char *)handler;
    q.query = (char *)text;
    q.qid = ++r->next_qid;
    if (r->next_qid >= 0x7FFFFFFF)
        r->next_qid = 0;
    q.src = *jxta_endpoint_peer_id(r->ep);
    q.route = own_route(r);
    int rc = send_query(r, &q, dest);
    jxta_adv_free(q.route);
    if (rc == 0 && qid)
        *qid = q.qid;
    return rc;
}

int jxta_resolver_forward(jxta_resolver_t *r, const jxta_rq_t *q, const jxta_id_t *dest)
{
    if (q->hc + 1 > MAX_HC)
        return JXTA_ERANGE;
    jxta_rq_t f = *q;
    f.hc = q->hc + 1;
    return send_query(r, &f, dest);
}

int jxta_resolver_send_response(jxta_resolver_t *r, const char *handler, long qid,
                                const char *text, const jxta_id_t *dest)
{
    jxta_rr_t rr = {(char *)handler, qid, (char *)text};
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_rr_write(&rr, &b);
    if (rc == 0)
        rc = send_doc(r, r->p_resp, b.data, b.len, JXTA_MSG_MIME_XML, dest);
    jxta_buf_free(&b);
    return rc;
}

int jxta_resolver_respond(jxta_resolver_t *r, const jxta_rq_t *q, const char *text)
{
    if (q->route)
        jxta_endpoint_learn_route(r->ep, q->route);
    if (jxta_id_equal(&q->src, jxta_endpoint_peer_id(r->ep)))
        return JXTA_EINVAL;
    return jxta_resolver_send_response(r, q->handler, q->qid, text, &q->src);
}

int jxta_resolver_send_srdi(jxta_resolver_t *r, const void *body, size_t len, const char *type,
                            const jxta_id_t *dest)
{
    return send_doc(r, r->p_srdi, body, len, type ? type : "application/gzip", dest);
}

/* ---- receiving ------------------------------------------------------------ */

static void on_query(jxta_resolver_t *r, const jxta_msg_elem_t *e)
{
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    jxta_rq_t q;
    if (jxta_rq_parse(b, len, &q) < 0)
        return;
    if (q.hc > MAX_HC) {
        jxta_log(JXTA_LOG_DEBUG, "resolver", "query with HC %d dropped", q.hc);
    } else if (jxta_id_equal(&q.src, jxta_endpoint_peer_id(r->ep))) {
        /* our own query came back: nothing to do */
    } else {
        struct handler *h = find(r, q.handler);
        if (q.route)
            jxta_endpoint_learn_route(r->ep, q.route);
        if (h && h->qfn)
            h->qfn(h->ud, r, &q);
        else
            jxta_log(JXTA_LOG_DEBUG, "resolver", "no handler '%s' for a query", q.handler);
    }
    jxta_rq_clear(&q);
}

static void on_response(jxta_resolver_t *r, const jxta_msg_elem_t *e, const jxta_id_t *from)
{
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    jxta_rr_t rr;
    if (jxta_rr_parse(b, len, &rr) < 0)
        return;
    struct handler *h = find(r, rr.handler);
    if (h && h->rfn)
        h->rfn(h->ud, r, &rr, from);
    else
        jxta_log(JXTA_LOG_DEBUG, "resolver", "no handler '%s' for a response", rr.handler);
    jxta_rr_clear(&rr);
}

static void on_srdi(jxta_resolver_t *r, const jxta_msg_elem_t *e, const jxta_id_t *from)
{
    if (r->srdi_fn)
        r->srdi_fn(r->srdi_ud, r, e, from);
    /* copy: a watcher may unwatch while we iterate */
    size_t n = r->nsw;
    struct {
        jxta_resolver_srdi_fn fn;
        void *ud;
    } sw[MAX_SRDI_WATCHERS];
    memcpy(sw, r->sw, n * sizeof sw[0]);
    for (size_t i = 0; i < n; i++)
        sw[i].fn(sw[i].ud, r, e, from);
}

static void on_message(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    jxta_resolver_t *r = ud;
    const char *param = info->dst->param;
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", param);
    if (!e) {
        jxta_log(JXTA_LOG_INFO, "resolver", "message for %s without its element; dropped", param);
        return;
    }
    if (strcmp(param, r->p_query) == 0)
        on_query(r, e);
    else if (strcmp(param, r->p_resp) == 0)
        on_response(r, e, info->src_peer);
    else if (strcmp(param, r->p_srdi) == 0)
        on_srdi(r, e, info->src_peer);
}

int jxta_resolver_new(jxta_endpoint_t *ep, jxta_propagate_t *prop, const jxta_id_t *group,
                      jxta_resolver_t **out)
{
    jxta_resolver_t *r = calloc(1, sizeof *r);
    if (!r)
        return JXTA_ENOMEM;
    r->ep = ep;
    r->prop = prop;
    r->group = *group;
    jxta_id_text_t t;
    snprintf(r->service, sizeof r->service, "%s",
             jxta_id_str(jxta_wk_id(JXTA_WK_CLASS_RESOLVER), &t));
    const char *uv = jxta_id_unique_value(group, &t);
    snprintf(r->p_query, sizeof r->p_query, "%sORes", uv);
    snprintf(r->p_resp, sizeof r->p_resp, "%sIRes", uv);
    snprintf(r->p_srdi, sizeof r->p_srdi, "%sSrdi", uv);
    int rc = jxta_endpoint_listen(ep, group, r->service, NULL, on_message, r);
    if (rc < 0) {
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void jxta_resolver_free(jxta_resolver_t *r)
{
    if (!r)
        return;
    jxta_endpoint_unlisten(r->ep, &r->group, r->service, NULL);
    for (size_t i = 0; i < r->nh; i++)
        free(r->h[i].name);
    free(r);
}
