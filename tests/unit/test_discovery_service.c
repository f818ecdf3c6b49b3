/* test_discovery_service.c - discovery between in-process peers on one
 * loop: an edge publishes, its index reaches the rendezvous by SRDI, a
 * second edge's query is forwarded to the holder, which answers the
 * querier directly; remote publish answered from the rendezvous' cache;
 * a rendezvous forgets the index of an edge that goes away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jxta.h>

#include "testutil.h"

typedef struct {
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_propagate_t *prop;
    jxta_resolver_t *res;
    jxta_cm_t *cm;
    jxta_discovery_t *disc;
    jxta_id_t id;
    int found;
    long last_qid;
    char last_doc[2048];
    jxta_id_t last_from;
} node_t;

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 30)

static void on_found(void *ud, int type, const char *xml, size_t len, const jxta_id_t *from,
                     long qid)
{
    node_t *n = ud;
    (void)type;
    n->found++;
    n->last_qid = qid;
    snprintf(n->last_doc, sizeof n->last_doc, "%.*s", (int)len, xml);
    if (from)
        n->last_from = *from;
}

static void start(jxta_loop_t *l, node_t *n, jxta_rdv_role_t role, const jxta_addr_t *seed)
{
    memset(n, 0, sizeof *n);
    jxta_adv_t *pa;
    tu_peer(l, role, seed, &n->ep, &n->rdv, &pa);
    n->id = *jxta_endpoint_peer_id(n->ep);
    ck_assert_int_eq(jxta_propagate_new(n->ep, n->rdv, &jxta_id_net_group, &n->prop), 0);
    ck_assert_int_eq(jxta_resolver_new(n->ep, n->prop, &jxta_id_net_group, &n->res), 0);
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, 0, &n->cm), 0);
    jxta_discovery_config_t dc;
    jxta_discovery_config_default(&dc);
    dc.srdi_ms = 200;
    dc.gc_ms = 200;
    ck_assert_int_eq(jxta_discovery_new(n->res, n->rdv, n->cm, &dc, &n->disc), 0);
    jxta_discovery_on_found(n->disc, on_found, n);
    /* every peer publishes its own advertisement, as a JXSE peer does */
    ck_assert_int_eq(jxta_discovery_publish(n->disc, pa, JXTA_CM_FOREVER,
                                            JXTA_CM_DEFAULT_EXPIRATION_MS),
                     0);
    jxta_adv_free(pa);
}

static void stop(node_t *n)
{
    jxta_discovery_free(n->disc);
    jxta_cm_close(n->cm);
    jxta_resolver_free(n->res);
    jxta_propagate_free(n->prop);
    jxta_rdv_discard(n->rdv);
    jxta_endpoint_free(n->ep);
}

START_TEST(test_publish_srdi_forward_answer)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a, b;
    start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    start(l, &a, JXTA_RDV_EDGE, &seed);
    start(l, &b, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(b.rdv, NULL));
    /* a publishes a pipe advertisement; its index reaches r. */
    jxta_id_t pipe_id;
    jxta_id_new_pipe(&pipe_id, &jxta_id_net_group);
    jxta_adv_t *pipe;
    ck_assert_int_eq(jxta_pipe_adv_new(&pipe_id, "JxtaUnicast", "chat-in", &pipe), 0);
    /* first both peer advertisements (Name and PID each) are indexed */
    RUN_UNTIL(l, jxta_discovery_index_size(r.disc) >= 4);
    size_t before = jxta_discovery_index_size(r.disc);
    ck_assert_int_eq(jxta_discovery_publish(a.disc, pipe, 60000, 30000), 0);
    RUN_UNTIL(l, jxta_discovery_index_size(r.disc) >= before + 2); /* Name and Id */
    /* b asks with a wildcard; r forwards to a; a answers b. */
    long qid;
    ck_assert_int_eq(jxta_discovery_query(b.disc, 2, "Name", "chat*", 5, NULL, &qid), 0);
    RUN_UNTIL(l, b.found >= 1);
    ck_assert_int_eq(b.last_qid, qid);
    ck_assert(jxta_id_equal(&b.last_from, &a.id));
    ck_assert_ptr_nonnull(strstr(b.last_doc, "<Name>chat-in</Name>"));
    /* the answer is now in b's cache */
    jxta_cm_result_t *res;
    size_t n;
    ck_assert_int_eq(jxta_cm_search_docs(b.cm, &jxta_id_net_group, JXTA_ADV_DIR_ADV, "Name",
                                         "chat-in", 5, 0, (uint64_t)time(NULL) * 1000, &res, &n),
                     0);
    ck_assert_uint_eq(n, 1);
    jxta_cm_results_free(res, n);
    /* Peers are found by PID. */
    jxta_id_text_t t;
    b.found = 0;
    ck_assert_int_eq(jxta_discovery_query(b.disc, 0, "PID", jxta_id_str(&a.id, &t), 1, NULL, NULL),
                     0);
    RUN_UNTIL(l, b.found >= 1);
    ck_assert_ptr_nonnull(strstr(b.last_doc, jxta_id_str(&a.id, &t)));
    /* Remote publish: r caches it and answers from its cache. */
    jxta_id_t pipe2;
    jxta_id_new_pipe(&pipe2, &jxta_id_net_group);
    jxta_adv_t *p2;
    ck_assert_int_eq(jxta_pipe_adv_new(&pipe2, "JxtaPropagate", "news", &p2), 0);
    ck_assert_int_eq(jxta_discovery_remote_publish(a.disc, p2, 30000), 0);
    RUN_UNTIL(l, jxta_cm_count(r.cm, &jxta_id_net_group, JXTA_ADV_DIR_ADV) >= 1);
    b.found = 0;
    ck_assert_int_eq(jxta_discovery_query(b.disc, 2, "Name", "news", 5, NULL, NULL), 0);
    RUN_UNTIL(l, b.found >= 1);
    ck_assert(jxta_id_equal(&b.last_from, &r.id));
    /* Nothing matches: no answer, no error. */
    b.found = 0;
    ck_assert_int_eq(jxta_discovery_query(b.disc, 2, "Name", "nothing-*", 5, NULL, NULL), 0);
    for (int i = 0; i < 30; i++)
        jxta_loop_run_once(l, 10);
    ck_assert_int_eq(b.found, 0);
    /* a goes away: r forgets a's index entries. */
    size_t with_a = jxta_discovery_index_size(r.disc);
    stop(&a);
    RUN_UNTIL(l, jxta_discovery_index_size(r.disc) < with_a);
    jxta_adv_free(pipe);
    jxta_adv_free(p2);
    stop(&b);
    stop(&r);
    jxta_loop_free(l);
}
END_TEST

/* ---- the captured Java edge against a C rendezvous ---------------------- */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void load_stream(const char *name, uint8_t **bytes, size_t *len, jxta_stream_t **s)
{
    char rel[512];
    snprintf(rel, sizeof rel, "edge-listening/decoded/streams/%s", name);
    char *path = tu_vector_path(rel);
    *bytes = tu_read(path, len);
    free(path);
    ck_assert_int_eq(jxta_stream_parse(*bytes, *len, NULL, s, NULL), 0);
}

START_TEST(test_java_edge_against_c_rendezvous)
{
    /* The Java edge's side of the capture is played at a C rendezvous that
     * has the Java rendezvous' identity and, like it, holds the echo pipe
     * advertisement.  The C rendezvous must grant the lease, index the
     * edge's SRDI, and answer the edge's discovery query for JxInteropEcho
     * with that advertisement, as the Java rendezvous did. */
    char *dir = tu_vector_path("edge-listening/decoded/streams");
    char **names;
    ck_assert_uint_ge(tu_list(dir, ".bin", &names), 4);
    const char *c2s = NULL, *s2c = NULL;
    for (char **n = names; *n; n++)
        if (strncmp(*n, "conn01", 6) == 0)
            *(strstr(*n, "c2s") ? &c2s : &s2c) = *n;
    ck_assert(c2s && s2c);
    uint8_t *cbytes, *sbytes;
    size_t clen, slen;
    jxta_stream_t *cs, *ss;
    load_stream(c2s, &cbytes, &clen, &cs);
    load_stream(s2c, &sbytes, &slen, &ss);

    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r;
    memset(&r, 0, sizeof r);
    jxta_tcp_config_t tc;
    jxta_tcp_config_default(&tc);
    tc.peer_id = ss->welcome.peer; /* the Java rendezvous' identity */
    r.id = tc.peer_id;
    tc.listen = 1;
    tc.first_frame_delay_ms = 0;
    ck_assert_int_eq(jxta_endpoint_new(l, &tc, &r.ep), 0);
    jxta_adv_t *pa;
    jxta_pa_new(&r.id, &jxta_id_net_group, "c-rdv", &pa);
    jxta_rdv_config_t rc;
    jxta_rdv_config_default(&rc);
    rc.role = JXTA_RDV_RENDEZVOUS;
    ck_assert_int_eq(jxta_rdv_new(r.ep, pa, &rc, NULL, NULL, &r.rdv), 0);
    jxta_adv_free(pa);
    ck_assert_int_eq(jxta_propagate_new(r.ep, r.rdv, &jxta_id_net_group, &r.prop), 0);
    ck_assert_int_eq(jxta_resolver_new(r.ep, r.prop, &jxta_id_net_group, &r.res), 0);
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, 0, &r.cm), 0);
    ck_assert_int_eq(jxta_discovery_new(r.res, r.rdv, r.cm, NULL, &r.disc), 0);
    char *pp = tu_vector_path("dump/PipeAdvertisement-unicast.xml");
    size_t plen;
    uint8_t *ptext = tu_read(pp, &plen);
    jxta_adv_t *echo;
    ck_assert_int_eq(jxta_adv_parse(ptext, plen, &echo), 0);
    ck_assert_int_eq(jxta_discovery_publish(r.disc, echo, JXTA_CM_FOREVER, 7200000), 0);

    /* play the Java edge */
    char host[64];
    uint16_t port;
    jxta_addr_tcp_hostport(jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep)), host, sizeof host, &port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    jxta_frame_parser_t *fp;
    ck_assert_int_eq(jxta_frame_parser_new(NULL, &fp), 0);
    uint8_t in[65536];
    size_t off = 0, welcome_skip = 0;
    int got_grant = 0, got_answer = 0, welcome_done = 0;
    char wbuf[4200];
    size_t wlen = 0;
    uint64_t end = tu_now_ms() + 20000;
    while ((!got_grant || !got_answer) && tu_now_ms() < end) {
        if (off < clen) {
            ssize_t w = send(fd, cbytes + off, clen - off, MSG_NOSIGNAL);
            if (w > 0)
                off += (size_t)w;
        }
        jxta_loop_run_once(l, 5);
        ssize_t n;
        while ((n = recv(fd, in, sizeof in, 0)) > 0) {
            const uint8_t *p = in;
            size_t left = (size_t)n;
            if (!welcome_done) { /* our welcome line first */
                size_t take = left < sizeof wbuf - wlen ? left : sizeof wbuf - wlen;
                memcpy(wbuf + wlen, p, take);
                wlen += take;
                uint8_t *crlf = memmem(wbuf, wlen, "\r\n", 2);
                if (!crlf)
                    continue;
                welcome_skip = (size_t)(crlf - (uint8_t *)wbuf) + 2;
                welcome_done = 1;
                size_t before = wlen - take;
                p += welcome_skip - before;
                left -= welcome_skip - before;
            }
            while (left) {
                size_t used;
                jxta_frame_t *f = NULL;
                int frc = jxta_frame_parser_feed(fp, p, left, &used, &f);
                ck_assert_int_ge(frc, 0);
                p += used;
                left -= used;
                if (frc == 0)
                    break;
                jxta_msg_t *m;
                ck_assert_int_eq(jxta_frame_decode_msg(f, NULL, &m), 0);
                jxta_frame_free(f);
                if (jxta_msg_find(m, "jxta", "ConnectedLease"))
                    got_grant = 1;
                const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", "jxta-NetGroupIRes");
                if (e) {
                    size_t el;
                    const uint8_t *b = jxta_msg_elem_body(e, &el);
                    jxta_rr_t rr;
                    ck_assert_int_eq(jxta_rr_parse(b, el, &rr), 0);
                    if (strstr(rr.response, "JxInteropEcho") &&
                        strstr(rr.response, "71B1525A86824F3BAF3789DEC3FA3E2C04"))
                        got_answer = 1;
                    jxta_rr_clear(&rr);
                }
                jxta_msg_free(m);
            }
        }
    }
    ck_assert_msg(got_grant, "no lease grant for the Java edge");
    ck_assert_msg(got_answer, "the Java edge's query for JxInteropEcho was not answered");
    /* and the edge's SRDI pushes were indexed */
    ck_assert_uint_gt(jxta_discovery_index_size(r.disc), 0);
    close(fd);
    jxta_frame_parser_free(fp);
    jxta_adv_free(echo);
    free(ptext);
    free(pp);
    stop(&r);
    jxta_loop_free(l);
    jxta_stream_free(cs);
    jxta_stream_free(ss);
    free(cbytes);
    free(sbytes);
    tu_free_list(names);
    free(dir);
}
END_TEST

static Suite *disc_suite(void)
{
    Suite *s = suite_create("discovery-service");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_publish_srdi_forward_answer);
    tcase_add_test(tc, test_java_edge_against_c_rendezvous);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(disc_suite());
}
