/* route_resolver.c - route queries and answers (jxta:ERQ / jxta:ERR) on
 * the resolver, handler "EndpointRouter" (see jxta/resolver.h).
 *
 * An edge without an address is reached through its rendezvous: asked for
 * such an edge, a rendezvous answers with a route whose destination has no
 * address, which the asker reads as "through the responder".  Asking is
 * rate-limited per peer so a burst of sends to an unknown peer costs one
 * query.
 *
 * Route NACKs (QueryID -1, PROTOCOLS.md 5.5): a rendezvous that cannot
 * forward a routed message (its client went away) tells the source, at
 * most once a second per (source, destination); the source reports the
 * destination unreachable to the endpoint's watchers, so an output pipe
 * bound to it rebinds at once instead of at its next verification. */
#include <stdio.h>
#include <stdlib.h>

#include <jxta/resolver.h>
#include <jxta/xml.h>

#include "../util/internal.h"

#define ASK_INTERVAL_MS 2000
#define ASKED_MAX 64

struct asked {
    jxta_id_t peer;
    uint64_t at;
};

#define NACKED_MAX 64
#define NACK_INTERVAL_MS 1000

struct nacked {
    jxta_id_t src, dest;
    uint64_t at;
};

struct jxta_route_resolver {
    jxta_resolver_t *r;
    jxta_endpoint_t *ep;
    struct asked asked[ASKED_MAX];
    size_t nasked, next;
    size_t learnt;
    struct nacked nacked[NACKED_MAX];
    size_t nnacked, next_nack;
    size_t nacks_sent, nacks_received;
};

static int doc_root(const char *name, jxta_xml_node_t **root)
{
    int rc = jxta_xml_new(name, root);
    if (rc == 0 && ((rc = jxta_xml_set_attr(*root, "xmlns:jxta", "http://jxta.org")) < 0 ||
                    (rc = jxta_xml_set_attr(*root, "xml:space", "preserve")) < 0))
        jxta_xml_free(*root);
    return rc;
}

static char *write_doc(jxta_xml_node_t *root)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    char *s = jxta_xml_write(root, 0, &b) == 0 ? jxta_buf_steal_str(&b) : NULL;
    jxta_buf_free(&b);
    jxta_xml_free(root);
    return s;
}

static void on_query(jxta_route_resolver_t *rr, const jxta_rq_t *q)
{
    jxta_xml_node_t *doc;
    if (jxta_xml_parse(q->query, strlen(q->query), &doc) < 0)
        return;
    const jxta_xml_node_t *dn = jxta_xml_child(doc, "Dst");
    jxta_id_t dst;
    const char *dt = dn ? jxta_xml_text(dn) : "";
    int ok = dn && jxta_id_parse(&dst, dt, strlen(dt), JXTA_ID_PARSE_LENIENT) == 0 &&
             jxta_id_kind(&dst) == JXTA_ID_PEER;
    jxta_xml_free(doc);
    if (!ok)
        return;
    const jxta_id_t *self = jxta_endpoint_peer_id(rr->ep);
    int for_me = jxta_id_equal(&dst, self);
    if (!for_me && !jxta_endpoint_connected(rr->ep, &dst))
        return; /* we do not know a way: stay silent, as JXSE edges do */
    jxta_adv_t *mine = NULL, *dra = NULL;
    jxta_xml_node_t *root = NULL, *d, *s;
    char *text = NULL;
    if (jxta_endpoint_local_route(rr->ep, &mine) < 0)
        return;
    if (for_me)
        jxta_adv_clone(mine, &dra);
    else
        jxta_ra_new(&dst, NULL, 0, &dra); /* no address: "through me" */
    if (dra && doc_root("jxta:ERR", &root) == 0 && jxta_xml_add(root, "Dst", NULL, &d) == 0 &&
        jxta_adv_embed(d, dra) == 0 && jxta_xml_add(root, "Src", NULL, &s) == 0 &&
        jxta_adv_embed(s, mine) == 0) {
        text = write_doc(root);
        root = NULL;
    }
    jxta_xml_free(root);
    if (text)
        jxta_resolver_respond(rr->r, q, text);
    free(text);
    jxta_adv_free(mine);
    jxta_adv_free(dra);
}

static int query_fn(void *ud, jxta_resolver_t *r, const jxta_rq_t *q)
{
    (void)r;
    on_query(ud, q);
    return JXTA_RESOLVER_DONE;
}

/* A NACK names in Dst the peer the relay could not reach. */
static void on_nack(jxta_route_resolver_t *rr, const jxta_rr_t *rsp)
{
    jxta_xml_node_t *doc;
    if (jxta_xml_parse(rsp->response, strlen(rsp->response), &doc) < 0)
        return;
    const jxta_xml_node_t *d = jxta_xml_child(doc, "Dst");
    const jxta_xml_node_t *dn = d ? jxta_xml_child(d, "jxta:RA") : NULL;
    jxta_adv_t *dra = NULL;
    jxta_id_t dst;
    if (dn && jxta_adv_from_xml(dn, &jxta_adv_type_ra, &dra) == 0 &&
        jxta_adv_get_id(dra, "DstPID", &dst) == 0 && jxta_id_kind(&dst) == JXTA_ID_PEER &&
        !jxta_id_equal(&dst, jxta_endpoint_peer_id(rr->ep)) &&
        !jxta_endpoint_connected(rr->ep, &dst)) {
        jxta_id_text_t t;
        rr->nacks_received++;
        jxta_log(JXTA_LOG_INFO, "route", "route NACK: %s cannot be reached",
                 jxta_id_str(&dst, &t));
        jxta_endpoint_peer_unreachable(rr->ep, &dst);
    }
    jxta_adv_free(dra);
    jxta_xml_free(doc);
}

static void on_forward_fail(void *ud, const jxta_id_t *src, const jxta_id_t *dest)
{
    jxta_route_resolver_t *rr = ud;
    if (jxta_id_equal(src, jxta_endpoint_peer_id(rr->ep)))
        return;
    uint64_t now = jxta_loop_now(jxta_endpoint_loop(rr->ep));
    struct nacked *slot = NULL;
    for (size_t i = 0; i < rr->nnacked; i++)
        if (jxta_id_equal(&rr->nacked[i].src, src) && jxta_id_equal(&rr->nacked[i].dest, dest)) {
            if (now - rr->nacked[i].at < NACK_INTERVAL_MS)
                return;
            slot = &rr->nacked[i];
        }
    if (!slot) {
        slot = &rr->nacked[rr->next_nack];
        rr->next_nack = (rr->next_nack + 1) % NACKED_MAX;
        if (rr->nnacked < NACKED_MAX)
            rr->nnacked++;
    }
    slot->src = *src;
    slot->dest = *dest;
    slot->at = now;
    jxta_adv_t *mine = NULL, *dra = NULL;
    jxta_xml_node_t *root = NULL, *d, *sn;
    char *text = NULL;
    if (jxta_endpoint_local_route(rr->ep, &mine) == 0 && jxta_ra_new(dest, NULL, 0, &dra) == 0 &&
        doc_root("jxta:ERR", &root) == 0 && jxta_xml_add(root, "Dst", NULL, &d) == 0 &&
        jxta_adv_embed(d, dra) == 0 && jxta_xml_add(root, "Src", NULL, &sn) == 0 &&
        jxta_adv_embed(sn, mine) == 0) {
        text = write_doc(root);
        root = NULL;
    }
    jxta_xml_free(root);
    if (text && jxta_resolver_send_response(rr->r, JXTA_ROUTE_HANDLER, -1, text, src) == 0)
        rr->nacks_sent++;
    free(text);
    jxta_adv_free(mine);
    jxta_adv_free(dra);
}

static void response_fn(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp, const jxta_id_t *from)
{
    jxta_route_resolver_t *rr = ud;
    (void)r;
    (void)from;
    if (rsp->qid < 0) {
        on_nack(rr, rsp);
        return;
    }
    jxta_xml_node_t *doc;
    if (jxta_xml_parse(rsp->response, strlen(rsp->response), &doc) < 0)
        return;
    const jxta_xml_node_t *d = jxta_xml_child(doc, "Dst"), *s = jxta_xml_child(doc, "Src");
    const jxta_xml_node_t *dn = d ? jxta_xml_child(d, "jxta:RA") : NULL;
    const jxta_xml_node_t *sn = s ? jxta_xml_child(s, "jxta:RA") : NULL;
    jxta_adv_t *dra = NULL, *sra = NULL;
    jxta_id_t dst, responder;
    if (dn && sn && jxta_adv_from_xml(dn, &jxta_adv_type_ra, &dra) == 0 &&
        jxta_adv_from_xml(sn, &jxta_adv_type_ra, &sra) == 0 &&
        jxta_adv_get_id(dra, "DstPID", &dst) == 0 &&
        jxta_adv_get_id(sra, "DstPID", &responder) == 0) {
        jxta_endpoint_learn_route(rr->ep, sra);
        const char *eas[1];
        if (jxta_ra_endpoints(dra, eas, 1) > 0 || jxta_ra_hop_count(dra) > 0)
            jxta_endpoint_learn_route(rr->ep, dra);
        else if (!jxta_id_equal(&dst, &responder))
            jxta_endpoint_learn_route_via(rr->ep, &dst, &responder);
        rr->learnt++;
    }
    jxta_adv_free(dra);
    jxta_adv_free(sra);
    jxta_xml_free(doc);
}

static void on_miss(void *ud, const jxta_id_t *peer)
{
    jxta_route_resolver_t *rr = ud;
    uint64_t now = jxta_loop_now(jxta_endpoint_loop(rr->ep));
    for (size_t i = 0; i < rr->nasked; i++)
        if (jxta_id_equal(&rr->asked[i].peer, peer)) {
            if (now - rr->asked[i].at < ASK_INTERVAL_MS)
                return;
            rr->asked[i].at = now;
            goto ask;
        }
    rr->asked[rr->next].peer = *peer;
    rr->asked[rr->next].at = now;
    rr->next = (rr->next + 1) % ASKED_MAX;
    if (rr->nasked < ASKED_MAX)
        rr->nasked++;
ask:;
    jxta_xml_node_t *root;
    jxta_adv_t *mine = NULL;
    jxta_xml_node_t *src;
    jxta_id_text_t t;
    char *text = NULL;
    if (doc_root("jxta:ERQ", &root) < 0)
        return;
    if (jxta_xml_add(root, "Dst", jxta_id_str(peer, &t), NULL) == 0 &&
        jxta_endpoint_local_route(rr->ep, &mine) == 0 &&
        jxta_xml_add(root, "Src", NULL, &src) == 0 && jxta_adv_embed(src, mine) == 0) {
        text = write_doc(root);
        root = NULL;
    }
    jxta_xml_free(root);
    jxta_adv_free(mine);
    if (text) {
        int rc = jxta_resolver_query(rr->r, JXTA_ROUTE_HANDLER, text, NULL, NULL);
        jxta_log(JXTA_LOG_DEBUG, "route", "asked the overlay for a route to %s: %s",
                 jxta_id_str(peer, &t), jxta_strerror(rc));
    }
    free(text);
}

int jxta_route_resolver_new(jxta_resolver_t *r, jxta_route_resolver_t **out)
{
    jxta_route_resolver_t *rr = calloc(1, sizeof *rr);
    if (!rr)
        return JXTA_ENOMEM;
    rr->r = r;
    rr->ep = jxta_resolver_endpoint(r);
    int rc = jxta_resolver_register(r, JXTA_ROUTE_HANDLER, query_fn, response_fn, rr);
    if (rc < 0) {
        free(rr);
        return rc;
    }
    jxta_endpoint_on_route_miss(rr->ep, on_miss, rr);
    jxta_endpoint_on_forward_fail(rr->ep, on_forward_fail, rr);
    *out = rr;
    return 0;
}

void jxta_route_resolver_free(jxta_route_resolver_t *rr)
{
    if (!rr)
        return;
    jxta_endpoint_on_route_miss(rr->ep, NULL, NULL);
    jxta_endpoint_on_forward_fail(rr->ep, NULL, NULL);
    jxta_resolver_unregister(rr->r, JXTA_ROUTE_HANDLER);
    free(rr);
}

size_t jxta_route_resolver_learnt(const jxta_route_resolver_t *rr)
{
    return rr->learnt;
}

void jxta_route_resolver_nacks(const jxta_route_resolver_t *rr, size_t *sent, size_t *received)
{
    *sent = rr->nacks_sent;
    *received = rr->nacks_received;
}
