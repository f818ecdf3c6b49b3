/* test_resolver.c - resolver, propagation and route resolver between
 * in-process peers on one loop: document round trips (including the
 * captured JXSE queries), a query walked by an edge to its rendezvous,
 * forwarded to another edge (HC+1) and answered straight back to the
 * querier through the rendezvous; duplicate and looping propagated
 * messages dropped; and a rendezvous finding an edge of another rendezvous
 * with a route query. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

typedef struct {
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_propagate_t *prop;
    jxta_resolver_t *res;
    jxta_route_resolver_t *route;
    jxta_id_t id;
    /* test handler state */
    int queries, responses;
    long last_qid;
    char last_text[256];
    jxta_id_t last_from;
    const jxta_id_t *forward_to;
} node_t;

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 30)

static void node_start(jxta_loop_t *l, node_t *n, jxta_rdv_role_t role, const jxta_addr_t *seed)
{
    memset(n, 0, sizeof *n);
    tu_peer(l, role, seed, &n->ep, &n->rdv, NULL);
    n->id = *jxta_endpoint_peer_id(n->ep);
    ck_assert_int_eq(jxta_propagate_new(n->ep, n->rdv, &jxta_id_net_group, &n->prop), 0);
    ck_assert_int_eq(jxta_resolver_new(n->ep, n->prop, &jxta_id_net_group, &n->res), 0);
    ck_assert_int_eq(jxta_route_resolver_new(n->res, &n->route), 0);
}

static void node_stop(node_t *n)
{
    jxta_route_resolver_free(n->route);
    jxta_resolver_free(n->res);
    jxta_propagate_free(n->prop);
    jxta_rdv_discard(n->rdv);
    jxta_endpoint_free(n->ep);
}

static int test_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q)
{
    node_t *n = ud;
    n->queries++;
    if (n->forward_to) { /* the rendezvous: an "index hit" elsewhere */
        ck_assert_int_eq(jxta_resolver_forward(r, q, n->forward_to), 0);
        return JXTA_RESOLVER_DONE;
    }
    char text[300];
    snprintf(text, sizeof text, "answer to <%s> & more", q->query);
    ck_assert_int_eq(q->hc, 1);
    ck_assert_int_eq(jxta_resolver_respond(r, q, text), 0);
    return JXTA_RESOLVER_DONE;
}

static void test_response(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp, const jxta_id_t *from)
{
    node_t *n = ud;
    (void)r;
    n->responses++;
    n->last_qid = rsp->qid;
    snprintf(n->last_text, sizeof n->last_text, "%s", rsp->response);
    if (from)
        n->last_from = *from;
}

START_TEST(test_walk_forward_respond)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a, b;
    node_start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    node_start(l, &a, JXTA_RDV_EDGE, &seed);
    node_start(l, &b, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(b.rdv, NULL));
    r.forward_to = &a.id;
    ck_assert_int_eq(jxta_resolver_register(r.res, "test", test_query, NULL, &r), 0);
    ck_assert_int_eq(jxta_resolver_register(a.res, "test", test_query, NULL, &a), 0);
    ck_assert_int_eq(jxta_resolver_register(b.res, "test", NULL, test_response, &b), 0);
    ck_assert_int_eq(jxta_resolver_register(b.res, "test", NULL, NULL, &b), JXTA_EEXIST);
    long qid = 0;
    ck_assert_int_eq(jxta_resolver_query(b.res, "test", "<q>who?</q>", NULL, &qid), 0);
    ck_assert_int_gt(qid, 0);
    RUN_UNTIL(l, b.responses == 1);
    ck_assert_int_eq(r.queries, 1);
    ck_assert_int_eq(a.queries, 1);
    ck_assert_int_eq(b.last_qid, qid);
    ck_assert_str_eq(b.last_text, "answer to <<q>who?</q>> & more");
    ck_assert(jxta_id_equal(&b.last_from, &a.id));
    /* The walked query went through propagation once. */
    ck_assert_uint_eq(jxta_propagate_delivered(r.prop), 1);
    /* An edge without a lease cannot walk. */
    jxta_rdv_discard(b.rdv);
    jxta_rdv_config_t rc;
    jxta_rdv_config_default(&rc);
    jxta_adv_t *pa;
    jxta_pa_new(&b.id, &jxta_id_net_group, "t", &pa);
    ck_assert_int_eq(jxta_rdv_new(b.ep, pa, &rc, NULL, NULL, &b.rdv), 0);
    jxta_adv_free(pa);
    jxta_propagate_free(b.prop);
    jxta_route_resolver_free(b.route);
    jxta_resolver_free(b.res);
    ck_assert_int_eq(jxta_propagate_new(b.ep, b.rdv, &jxta_id_net_group, &b.prop), 0);
    ck_assert_int_eq(jxta_resolver_new(b.ep, b.prop, &jxta_id_net_group, &b.res), 0);
    ck_assert_int_eq(jxta_route_resolver_new(b.res, &b.route), 0);
    ck_assert_int_eq(jxta_resolver_query(b.res, "test", "x", NULL, NULL), JXTA_EUNREACH);
    node_stop(&b);
    node_stop(&a);
    node_stop(&r);
    jxta_loop_free(l);
}
END_TEST

static int hello_count;
static void hello_fn(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    (void)ud;
    (void)m;
    (void)info;
    hello_count++;
}

START_TEST(test_route_query_between_rendezvous)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r1, r2, a;
    node_start(l, &r1, JXTA_RDV_RENDEZVOUS, NULL);
    node_start(l, &r2, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r1.ep));
    node_start(l, &a, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL));
    /* r1 and r2 know each other (as a PeerView would make them). */
    jxta_adv_t *ra;
    jxta_endpoint_local_route(r1.ep, &ra);
    jxta_endpoint_learn_route(r2.ep, ra);
    jxta_adv_free(ra);
    jxta_propagate_set_view(r2.prop, &r1.id, 1);
    jxta_propagate_set_view(r1.prop, &r2.id, 1);
    ck_assert_int_eq(jxta_endpoint_listen(a.ep, &jxta_id_net_group, "Hello", NULL, hello_fn, NULL),
                     0);
    /* r2 does not know a: the send fails and a route query goes out. */
    jxta_addr_t dest;
    jxta_addr_for_peer(&dest, &a.id, "Hello", NULL);
    jxta_msg_t *m;
    jxta_msg_new(&m);
    jxta_msg_add_text(m, "", "x", "y");
    ck_assert_int_eq(jxta_endpoint_send(r2.ep, &jxta_id_net_group, m, &dest, NULL, NULL),
                     JXTA_EUNREACH);
    /* r1 answers for its edge; r2 learns "a through r1". */
    RUN_UNTIL(l, jxta_route_resolver_learnt(r2.route) == 1);
    ck_assert_int_eq(jxta_endpoint_send(r2.ep, &jxta_id_net_group, m, &dest, NULL, NULL), 0);
    RUN_UNTIL(l, hello_count == 1);
    jxta_msg_free(m);
    node_stop(&a);
    node_stop(&r2);
    node_stop(&r1);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_documents)
{
    /* Captured JXSE queries parse (pretty-printed, tab-indented). */
    char *dir = tu_vector_path("edge-listening/decoded/frames");
    char **names;
    size_t n = tu_list(dir, ".jxmg", &names), queries = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        uint8_t *b = tu_read(path, &len);
        jxta_msg_t *m;
        ck_assert_int_eq(jxta_msg_decode(b, len, NULL, &m), 0);
        const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", "jxta-NetGroupORes");
        if (e) {
            size_t el;
            const uint8_t *body = jxta_msg_elem_body(e, &el);
            jxta_rq_t q;
            ck_assert_int_eq(jxta_rq_parse(body, el, &q), 0);
            ck_assert_int_eq(q.hc, 0);
            ck_assert_ptr_nonnull(q.route);
            /* from the Java edge or the Java rendezvous of the capture */
            jxta_id_text_t t;
            const char *src = jxta_id_str(&q.src, &t);
            ck_assert(strstr(src, "4F43FC842D294D3EBC30A151E71E90F703") ||
                      strstr(src, "FD22FF0D29884878838A986D8171351603"));
            ck_assert(strstr(q.query, "<?xml") == q.query);
            /* written back and read again: same */
            jxta_buf_t w = JXTA_BUF_INIT;
            ck_assert_int_eq(jxta_rq_write(&q, &w), 0);
            jxta_rq_t q2;
            ck_assert_int_eq(jxta_rq_parse(w.data, w.len, &q2), 0);
            ck_assert_str_eq(q2.handler, q.handler);
            ck_assert_str_eq(q2.query, q.query);
            ck_assert_int_eq(q2.qid, q.qid);
            ck_assert(jxta_adv_equal(q2.route, q.route));
            jxta_rq_clear(&q2);
            jxta_buf_free(&w);
            jxta_rq_clear(&q);
            queries++;
        }
        jxta_msg_free(m);
        free(b);
    }
    ck_assert_uint_ge(queries, 2);
    tu_free_list(names);
    free(dir);
    /* Bad documents. */
    jxta_rq_t q;
    jxta_rr_t r;
    tu_log_capture();
    const char *noq = "<?xml version=\"1.0\"?><jxta:ResolverQuery xmlns:jxta=\"http://jxta.org\">"
                      "<HandlerName>h</HandlerName><QueryID>1</QueryID><SrcPeerID>urn:jxta:uuid-AB03"
                      "</SrcPeerID></jxta:ResolverQuery>";
    ck_assert_int_eq(jxta_rq_parse(noq, strlen(noq), &q), JXTA_EMISSING);
    const char *nosrc = "<?xml version=\"1.0\"?><jxta:ResolverQuery xmlns:jxta=\"http://jxta.org\">"
                        "<HandlerName>h</HandlerName><QueryID>1</QueryID><Query>x</Query>"
                        "</jxta:ResolverQuery>";
    ck_assert_int_eq(jxta_rq_parse(nosrc, strlen(nosrc), &q), JXTA_EMISSING);
    const char *badqid = "<?xml version=\"1.0\"?><jxta:ResolverResponse xmlns:jxta=\"http://jxta.org\">"
                         "<HandlerName>h</HandlerName><QueryID>1x</QueryID><Response>x</Response>"
                         "</jxta:ResolverResponse>";
    ck_assert_int_eq(jxta_rr_parse(badqid, strlen(badqid), &r), JXTA_EPROTO);
    ck_assert_int_eq(jxta_rr_parse(noq, strlen(noq), &r), JXTA_EPROTO); /* wrong root */
    ck_assert_uint_ge(tu_log_count(), 4);
    tu_log_release();
    /* Propagate header: captured form parses, ours round-trips. */
    const char *hdr = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE "
                      "jxta:RendezVousPropagateMessage>\n<jxta:RendezVousPropagateMessage "
                      "xml:space=\"preserve\" xmlns:jxta=\"http://jxta.org\">\n<MessageId>"
                      "00000001-0000-1000-81a3-f05d7c50ed14</MessageId><DestSName>urn:jxta:uuid-"
                      "DEADBEEFDEAFBABAFEEDBABE0000000205</DestSName><DestSParam>jxta-NetGroupSrdi"
                      "</DestSParam><TTL>200</TTL><Path>urn:jxta:uuid-59616261646162614E50472050"
                      "3250334F43FC842D294D3EBC30A151E71E90F703</Path></jxta:RendezVousPropagate"
                      "Message>\n";
    jxta_prop_hdr_t h;
    ck_assert_int_eq(jxta_prop_hdr_parse(hdr, strlen(hdr), &h), 0);
    ck_assert_str_eq(h.dest_sparam, "jxta-NetGroupSrdi");
    ck_assert_int_eq(h.ttl, 200);
    ck_assert_uint_eq(h.npath, 1);
    jxta_buf_t w = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_prop_hdr_write(&h, &w), 0);
    /* our writer produces JXSE's own layout byte for byte */
    ck_assert_uint_eq(w.len, strlen(hdr));
    ck_assert_mem_eq(w.data, hdr, w.len);
    jxta_buf_free(&w);
    char id1[64], id2[64];
    jxta_prop_new_msg_id(id1);
    jxta_prop_new_msg_id(id2);
    ck_assert_str_ne(id1, id2);
    ck_assert_uint_eq(strlen(id1), 36);
}
END_TEST

static int x_count; /* messages that reached service X */
static void x_fn(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    (void)ud;
    (void)m;
    (void)info;
    x_count++;
}

/* Send m from `from` to r's propagation service with header h. */
static void send_prop(node_t *from, node_t *to, const jxta_prop_hdr_t *h, const char *raw)
{
    jxta_msg_t *m;
    jxta_msg_new(&m);
    jxta_buf_t b = JXTA_BUF_INIT;
    if (h)
        ck_assert_int_eq(jxta_prop_hdr_write(h, &b), 0);
    else
        jxta_buf_append_str(&b, raw);
    jxta_msg_add(m, "jxta", "RendezVousPropagatejxta-NetGroup", JXTA_MSG_MIME_XML, b.data, b.len);
    jxta_buf_free(&b);
    jxta_addr_t dest;
    jxta_addr_for_peer(&dest, &to->id, "JxtaPropagate", "jxta-NetGroup");
    ck_assert_int_eq(jxta_endpoint_send(from->ep, &jxta_id_net_group, m, &dest, NULL, NULL), 0);
    jxta_msg_free(m);
}

START_TEST(test_hostile_propagation_and_queries)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a;
    node_start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    node_start(l, &a, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL));
    ck_assert_int_eq(jxta_endpoint_listen(r.ep, &jxta_id_net_group, "X", NULL, x_fn, NULL), 0);
    tu_log_capture();
    jxta_prop_hdr_t h;
    memset(&h, 0, sizeof h);
    strcpy(h.dest_sname, "X");
    h.ttl = 5;
    h.path[0] = a.id;
    h.npath = 1;
    /* a good one, then the same ID again: delivered once */
    jxta_prop_new_msg_id(h.msg_id);
    send_prop(&a, &r, &h, NULL);
    send_prop(&a, &r, &h, NULL);
    /* a loop: the receiver is already on the path */
    jxta_prop_new_msg_id(h.msg_id);
    h.path[1] = r.id;
    h.npath = 2;
    send_prop(&a, &r, &h, NULL);
    /* spent TTL */
    jxta_prop_new_msg_id(h.msg_id);
    h.npath = 1;
    h.ttl = 0;
    send_prop(&a, &r, &h, NULL);
    /* malformed headers: no TTL, bad TTL, not XML, a bomb */
    send_prop(&a, &r, NULL, "<?xml version=\"1.0\"?><jxta:RendezVousPropagateMessage "
                            "xmlns:jxta=\"http://jxta.org\"><MessageId>m</MessageId><DestSName>X"
                            "</DestSName></jxta:RendezVousPropagateMessage>");
    send_prop(&a, &r, NULL, "<?xml version=\"1.0\"?><jxta:RendezVousPropagateMessage "
                            "xmlns:jxta=\"http://jxta.org\"><MessageId>m2</MessageId><DestSName>X"
                            "</DestSName><TTL>-3</TTL></jxta:RendezVousPropagateMessage>");
    send_prop(&a, &r, NULL, "not xml at all");
    send_prop(&a, &r, NULL, "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>");
    /* queries for a handler nobody has, and with absurd fields */
    ck_assert_int_eq(jxta_resolver_query(a.res, "no-such-handler", "x", NULL, NULL), 0);
    ck_assert_int_eq(jxta_resolver_query(a.res, "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000305",
                                         "<?xml version=\"1.0\"?><jxta:DiscoveryQuery "
                                         "xmlns:jxta=\"http://jxta.org\"><Type>2</Type>"
                                         "<Threshold>99999999999999</Threshold></jxta:"
                                         "DiscoveryQuery>",
                                         NULL, NULL),
                     0);
    /* a final good message proves the rendezvous is still serving */
    jxta_prop_new_msg_id(h.msg_id);
    h.ttl = 3;
    send_prop(&a, &r, &h, NULL);
    /* (one connection, so everything arrives in order: the last one last) */
    RUN_UNTIL(l, x_count == 2 && jxta_propagate_delivered(r.prop) >= 4);
    /* only the first good one, the two queries and the last one got through */
    ck_assert_uint_eq(jxta_propagate_delivered(r.prop), 4);
    ck_assert_uint_ge(jxta_propagate_dropped(r.prop), 7);
    ck_assert_uint_ge(tu_log_count(), 3);
    tu_log_release();
    node_stop(&a);
    node_stop(&r);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_limited_range_walk_delivered)
{
    /* A JXSE rendezvous walks a message to us with the LR-Greeter service:
     * it must reach its real destination (RdvWalkSvcName/Param). */
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a;
    node_start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    node_start(l, &a, JXTA_RDV_RENDEZVOUS, NULL);
    ck_assert_int_eq(jxta_endpoint_listen(r.ep, &jxta_id_net_group, "X", NULL, x_fn, NULL), 0);
    jxta_adv_t *ra;
    jxta_endpoint_local_route(r.ep, &ra);
    jxta_endpoint_learn_route(a.ep, ra);
    jxta_adv_free(ra);
    jxta_id_text_t t;
    jxta_msg_t *m;
    jxta_msg_new(&m);
    char lr[600];
    snprintf(lr, sizeof lr,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE jxta:LimitedRangeRdvMessage>\n"
             "<jxta:LimitedRangeRdvMessage xmlns:jxta=\"http://jxta.org\"><TTL>2</TTL><Dir>2</Dir>"
             "<SrcPeerID>%s</SrcPeerID><SrcSvcName>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605"
             "</SrcSvcName></jxta:LimitedRangeRdvMessage>",
             jxta_id_str(&a.id, &t));
    jxta_msg_add(m, "jxta", "LimitedRangeRdvMessage", JXTA_MSG_MIME_XML, lr, strlen(lr));
    jxta_msg_add_text(m, "jxta", "RdvWalkSvcName", "X");
    jxta_msg_add_text(m, "jxta", "RdvWalkSvcParam", "p");
    jxta_addr_t dest;
    jxta_addr_for_peer(&dest, &r.id, "LR-Greeterurn:jxta:jxta-NetGroup",
                       "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605jxta-NetGroup");
    x_count = 0;
    ck_assert_int_eq(jxta_endpoint_send(a.ep, &jxta_id_net_group, m, &dest, NULL, NULL), 0);
    /* and one without its walk elements: dropped */
    jxta_msg_remove(m, "jxta", "RdvWalkSvcName");
    ck_assert_int_eq(jxta_endpoint_send(a.ep, &jxta_id_net_group, m, &dest, NULL, NULL), 0);
    jxta_msg_free(m);
    RUN_UNTIL(l, x_count == 1 && jxta_propagate_dropped(r.prop) == 1);
    node_stop(&a);
    node_stop(&r);
    jxta_loop_free(l);
}
END_TEST

static Suite *resolver_suite(void)
{
    Suite *s = suite_create("resolver");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_documents);
    tcase_add_test(tc, test_walk_forward_respond);
    tcase_add_test(tc, test_route_query_between_rendezvous);
    tcase_add_test(tc, test_hostile_propagation_and_queries);
    tcase_add_test(tc, test_limited_range_walk_delivered);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(resolver_suite());
}
