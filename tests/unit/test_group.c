/* test_group.c - peer groups: the World/Net group and child advertisements
 * against JXSE's dump; a child group created by one peer (its rendezvous),
 * found by another through Net group discovery and joined; discovery and
 * resolver and pipe traffic inside the child; a nested group with yet
 * another rendezvous; leaving in order; an edge that finds the child's
 * rendezvous through the Net group (PeerView pipe, PROTOCOLS.md 10.4); a
 * child rendezvous that disappears and is replaced by another peer
 * promoted to rendezvous; a password group.  All peers run in this
 * process on one loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>
#include <jxta/group.h>
#include <jxta/membership.h>
#include <jxta/pipe.h>

#include "testutil.h"

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 20)

/* ---- advertisements --------------------------------------------------------- */

static char *vector_text(const char *rel, size_t *len)
{
    char *p = tu_vector_path(rel);
    char *t = (char *)tu_read(p, len);
    free(p);
    return t;
}

static void assert_same_as_vector(const jxta_adv_t *adv, const char *rel)
{
    size_t vlen;
    char *v = vector_text(rel, &vlen);
    char *s;
    ck_assert_int_eq(jxta_adv_to_string(adv, 0, &s), 0);
    ck_assert_msg(strlen(s) == vlen && memcmp(s, v, vlen) == 0, "%s differs:\n%s\nvs\n%s", rel,
                  s, v);
    free(s);
    free(v);
}

static jxta_adv_t *vector_adv(const char *rel)
{
    size_t len;
    char *v = vector_text(rel, &len);
    jxta_adv_t *a;
    ck_assert_int_eq(jxta_adv_parse(v, len, &a), 0);
    free(v);
    return a;
}

START_TEST(test_world_net_pgas)
{
    jxta_adv_t *w, *n;
    ck_assert_int_eq(jxta_group_world_pga(&w), 0);
    ck_assert_int_eq(jxta_group_net_pga(&n), 0);
    assert_same_as_vector(w, "dump/PeerGroupAdvertisement-WorldPeerGroup.xml");
    assert_same_as_vector(n, "dump/PeerGroupAdvertisement-NetPeerGroup.xml");
    jxta_adv_free(w);
    jxta_adv_free(n);
}
END_TEST

START_TEST(test_std_mia)
{
    jxta_adv_t *mia, *ng;
    ck_assert_int_eq(jxta_group_std_mia(&mia), 0);
    assert_same_as_vector(mia, "dump/ModuleImplAdvertisement-StdPeerGroup.xml");
    jxta_id_t ms;
    ck_assert_int_eq(jxta_group_impl_of_mia(mia, &ms), JXTA_GROUP_IMPL_STD);
    ck_assert(jxta_id_equal(&ms, jxta_wk_id(JXTA_WK_SPEC_MEMBERSHIP_NONE)));
    jxta_adv_free(mia);
    /* the captured one too; the Net group's lists transports: not ours to run */
    mia = vector_adv("dump/ModuleImplAdvertisement-StdPeerGroup.xml");
    ck_assert_int_eq(jxta_group_impl_of_mia(mia, NULL), JXTA_GROUP_IMPL_STD);
    ng = vector_adv("dump/ModuleImplAdvertisement-NetPeerGroup.xml");
    ck_assert_int_eq(jxta_group_impl_of_mia(ng, NULL), JXTA_GROUP_IMPL_UNKNOWN);
    jxta_adv_free(mia);
    jxta_adv_free(ng);
    /* the password variant: same services, passwd membership */
    jxta_id_t spec;
    jxta_adv_t *pmia;
    ck_assert_int_eq(jxta_id_new_module_spec(&spec, jxta_wk_id(JXTA_WK_CLASS_PEERGROUP)), 0);
    ck_assert_int_eq(jxta_group_std_mia(&mia), 0);
    ck_assert_int_eq(jxta_membership_mia_passwd(mia, &spec, &pmia), 0);
    ck_assert_int_eq(jxta_group_impl_of_mia(pmia, &ms), JXTA_GROUP_IMPL_STD);
    ck_assert(jxta_id_equal(&ms, jxta_wk_id(JXTA_WK_SPEC_MEMBERSHIP_PASSWD)));
    jxta_adv_free(mia);
    jxta_adv_free(pmia);
    /* MSIDs */
    ck_assert_int_eq(jxta_group_impl_of_msid(jxta_wk_id(JXTA_WK_SPEC_STDGROUP)),
                     JXTA_GROUP_IMPL_STD);
    ck_assert_int_eq(jxta_group_impl_of_msid(jxta_wk_id(JXTA_WK_SPEC_NETGROUP)),
                     JXTA_GROUP_IMPL_NET);
    ck_assert_int_eq(jxta_group_impl_of_msid(&spec), JXTA_GROUP_IMPL_UNKNOWN);
}
END_TEST

START_TEST(test_pa_in_child)
{
    /* The dump peer's Net group PA, moved into the child group, gives the
     * dump's PeerAdvertisement-in-child.xml: same PID, Name, Desc, the
     * child GID, and only the endpoint Svc (JXSE orders the route's
     * addresses as it pleases: compared as a set). */
    jxta_adv_t *pa = vector_adv("dump/PeerAdvertisement.xml");
    jxta_adv_t *want = vector_adv("dump/PeerAdvertisement-in-child.xml");
    jxta_id_t gid;
    ck_assert_int_eq(jxta_adv_get_id(want, "GID", &gid), 0);
    jxta_adv_t *got;
    ck_assert_int_eq(jxta_group_pa_in(pa, &gid, &got), 0);
    char *gs, *ws;
    ck_assert_int_eq(jxta_adv_to_string(got, 0, &gs), 0);
    ck_assert_int_eq(jxta_adv_to_string(want, 0, &ws), 0);
    const char *gsvc = strstr(gs, "<Svc>"), *wsvc = strstr(ws, "<Svc>");
    ck_assert_ptr_nonnull(gsvc);
    ck_assert_ptr_nonnull(wsvc);
    ck_assert_int_eq(gsvc - gs, wsvc - ws);
    ck_assert_int_eq(memcmp(gs, ws, (size_t)(gsvc - gs)), 0); /* up to the Svc: bytes */
    ck_assert_uint_eq(jxta_adv_count(got, "Svc"), 1);
    const char *ge[8], *we[8];
    size_t gn = jxta_pa_endpoints(got, ge, 8), wn = jxta_pa_endpoints(want, we, 8);
    ck_assert_uint_eq(gn, wn);
    for (size_t i = 0; i < wn; i++) {
        int seen = 0;
        for (size_t j = 0; j < gn; j++)
            seen |= strcmp(we[i], ge[j]) == 0;
        ck_assert_msg(seen, "%s missing", we[i]);
    }
    ck_assert_int_eq(jxta_pa_is_rdv(got), 0);
    free(gs);
    free(ws);
    jxta_adv_free(got);
    jxta_adv_free(pa);
    jxta_adv_free(want);
    /* bad input */
    tu_log_capture();
    ck_assert_int_eq(jxta_group_pa_in(pa = vector_adv("dump/PeerGroupAdvertisement-child.xml"),
                                      &gid, &got),
                     JXTA_EINVAL);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    jxta_adv_free(pa);
}
END_TEST

/* ---- in-process peers ---------------------------------------------------------- */

typedef struct {
    jxta_endpoint_t *ep;
    jxta_cm_t *cm;
    jxta_group_t *ng;
    jxta_id_t id;
    /* discovery answers seen by the test's callback */
    int found;
    char doc[4096];
    jxta_id_t from;
} peer_t;

static void fast(jxta_group_config_t *c)
{
    c->retry_ms = 300;
    c->srdi_ms = 200;
    c->probe_ms = 300;
}

static void peer_start(jxta_loop_t *l, peer_t *p, int rdv, int listen, const jxta_addr_t *seed,
                       const char *name)
{
    memset(p, 0, sizeof *p);
    jxta_tcp_config_t tc;
    jxta_tcp_config_default(&tc);
    ck_assert_int_eq(jxta_id_new_peer(&tc.peer_id, &jxta_id_net_group), 0);
    p->id = tc.peer_id;
    tc.listen = listen;
    tc.first_frame_delay_ms = 5;
    ck_assert_int_eq(jxta_endpoint_new(l, &tc, &p->ep), 0);
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, 0, &p->cm), 0);
    jxta_group_config_t c;
    jxta_group_config_default(&c);
    fast(&c);
    c.role = rdv ? JXTA_RDV_RENDEZVOUS : JXTA_RDV_EDGE;
    if (seed) {
        c.seeds[0] = *seed;
        c.nseeds = 1;
    }
    ck_assert_int_eq(jxta_group_new_net(p->ep, p->cm, name, &c, &p->ng), 0);
}

static void peer_stop(peer_t *p)
{
    jxta_group_discard(p->ng);
    jxta_cm_close(p->cm);
    jxta_endpoint_free(p->ep);
}

static void on_found(void *ud, int type, const char *xml, size_t len, const jxta_id_t *from,
                     long qid)
{
    peer_t *p = ud;
    (void)type;
    (void)qid;
    p->found++;
    snprintf(p->doc, sizeof p->doc, "%.*s", (int)len, xml);
    if (from)
        p->from = *from;
}

static jxta_addr_t peer_addr(const peer_t *p)
{
    jxta_addr_t a;
    ck_assert_int_eq(jxta_addr_for_peer(&a, &p->id, NULL, NULL), 0);
    return a;
}

static int leased_from(jxta_group_t *g, const peer_t *rdv)
{
    jxta_id_t r;
    return jxta_rdv_has_lease(jxta_group_rdv(g), &r) && jxta_id_equal(&r, &rdv->id);
}

/* A resolver handler that answers every query with the answering peer's name. */
static int echo_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q)
{
    jxta_resolver_respond(r, q, (const char *)ud);
    return JXTA_RESOLVER_DONE;
}

static char last_answer[64];
static int answers;
static void echo_response(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp,
                          const jxta_id_t *from)
{
    (void)ud;
    (void)r;
    (void)from;
    snprintf(last_answer, sizeof last_answer, "%s", rsp->response);
    answers++;
}

static int pipe_msgs, bound;
static void on_pipe_msg(void *ud, jxta_input_pipe_t *ip, jxta_msg_t *m,
                        const jxta_pipe_msg_info_t *info)
{
    (void)ud;
    (void)ip;
    (void)info;
    if (jxta_msg_find(m, "t", "hello"))
        pipe_msgs++;
    jxta_msg_free(m);
}

static void on_bound(void *ud, jxta_output_pipe_t *op, const jxta_id_t *peer, int err)
{
    (void)ud;
    (void)op;
    bound = peer != NULL && err == 0;
}

/* Find a group advertisement named `name` through g's discovery and parse it. */
static jxta_adv_t *discover_pga(jxta_loop_t *l, peer_t *p, jxta_group_t *g, const char *name)
{
    jxta_discovery_on_found(jxta_group_discovery(g), on_found, p);
    p->found = 0;
    uint64_t end = tu_now_ms() + 20000;
    while (!strstr(p->doc, name) && tu_now_ms() < end) {
        jxta_discovery_query(jxta_group_discovery(g), 1, "Name", name, 5, NULL, NULL);
        for (int i = 0; i < 30 && !strstr(p->doc, name); i++)
            jxta_loop_run_once(l, 10);
    }
    ck_assert_msg(strstr(p->doc, name) != NULL, "group %s not discovered", name);
    jxta_adv_t *pga;
    ck_assert_int_eq(jxta_adv_parse(p->doc, strlen(p->doc), &pga), 0);
    jxta_discovery_on_found(jxta_group_discovery(g), NULL, NULL);
    return pga;
}

START_TEST(test_create_pga_like_jxse)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t a;
    peer_start(l, &a, 1, 1, NULL, "a");
    /* the World group object carries its PGA and runs nothing */
    jxta_group_t *w = jxta_group_parent(a.ng);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_null(jxta_group_parent(w));
    ck_assert(jxta_id_is_world_group(jxta_group_id(w)));
    assert_same_as_vector(jxta_group_pga(w), "dump/PeerGroupAdvertisement-WorldPeerGroup.xml");
    assert_same_as_vector(jxta_group_pga(a.ng), "dump/PeerGroupAdvertisement-NetPeerGroup.xml");
    ck_assert_ptr_null(jxta_group_rdv(w));
    ck_assert_ptr_null(jxta_group_pa(w));
    ck_assert_str_eq(jxta_group_name(a.ng), "NetPeerGroup");
    ck_assert_ptr_nonnull(jxta_group_route_resolver(a.ng));
    ck_assert_ptr_nonnull(jxta_group_peerview(a.ng));
    /* newGroup(gid, stdImpl, name, desc) with the dump's inputs */
    jxta_adv_t *want = vector_adv("dump/PeerGroupAdvertisement-child.xml");
    jxta_id_t gid;
    ck_assert_int_eq(jxta_adv_get_id(want, "GID", &gid), 0);
    jxta_adv_t *pga;
    ck_assert_int_eq(jxta_group_create_pga(a.ng, &gid, jxta_adv_get(want, "Name"),
                                           jxta_adv_get(want, "Desc"), NULL, &pga),
                     0);
    assert_same_as_vector(pga, "dump/PeerGroupAdvertisement-child.xml");
    jxta_adv_free(pga);
    /* a random one records the Net group as its parent */
    ck_assert_int_eq(jxta_group_create_pga(a.ng, NULL, "x", NULL, NULL, &pga), 0);
    jxta_id_t g2, parent;
    ck_assert_int_eq(jxta_adv_get_id(pga, "GID", &g2), 0);
    ck_assert_int_eq(jxta_id_parent_of(&g2, &parent), 0);
    ck_assert(jxta_id_is_net_group(&parent));
    jxta_adv_free(pga);
    /* joined: our PA in the child, the PGA and PA in the child's cache */
    jxta_group_config_t c;
    jxta_group_config_default(&c);
    c.role = JXTA_RDV_RENDEZVOUS;
    jxta_group_t *child, *og;
    ck_assert_int_eq(jxta_group_join(a.ng, want, &c, &child), 0);
    ck_assert_ptr_eq(jxta_group_parent(child), a.ng);
    ck_assert_str_eq(jxta_group_name(child), "JxInteropChildGroup");
    ck_assert_ptr_null(jxta_group_route_resolver(child));
    ck_assert_ptr_nonnull(jxta_group_peerview(child));
    jxta_id_t pid, pgid;
    ck_assert_int_eq(jxta_adv_get_id(jxta_group_pa(child), "PID", &pid), 0);
    ck_assert_int_eq(jxta_adv_get_id(jxta_group_pa(child), "GID", &pgid), 0);
    ck_assert(jxta_id_equal(&pid, &a.id));
    ck_assert(jxta_id_equal(&pgid, &gid));
    ck_assert_str_eq(jxta_adv_get(jxta_group_pa(child), "Name"), "a");
    ck_assert_uint_eq(jxta_cm_count(a.cm, &gid, JXTA_ADV_DIR_GROUPS), 1);
    ck_assert_uint_eq(jxta_cm_count(a.cm, &gid, JXTA_ADV_DIR_PEERS), 1);
    /* bad joins are refused with their reason, and logged */
    tu_log_capture();
    jxta_group_t *dup;
    ck_assert_int_eq(jxta_group_join(a.ng, want, &c, &dup), JXTA_EEXIST);
    jxta_adv_t *odd;
    jxta_id_t ospec, ogid;
    jxta_id_new_module_spec(&ospec, jxta_wk_id(JXTA_WK_CLASS_PEERGROUP));
    jxta_id_new_group(&ogid, &jxta_id_net_group);
    ck_assert_int_eq(jxta_pga_new(&ogid, &ospec, "odd", NULL, &odd), 0);
    ck_assert_int_eq(jxta_group_join(a.ng, odd, &c, &dup), JXTA_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "cannot run"));
    ck_assert_int_eq(jxta_group_join(a.ng, jxta_group_pa(a.ng), &c, &dup), JXTA_EADVTYPE);
    ck_assert_int_eq(jxta_group_join(w, odd, &c, &dup), JXTA_EINVAL);
    ck_assert_int_eq(jxta_group_join(a.ng, jxta_group_pga(a.ng), &c, &dup), JXTA_EINVAL);
    /* the parent cannot go first */
    ck_assert_int_eq(jxta_group_leave(a.ng), JXTA_EBUSY);
    ck_assert_uint_ge(tu_log_count(), 6);
    tu_log_release();
    jxta_adv_free(odd);
    /* an unknown spec is runnable once its MIA (a StdPeerGroup) is known */
    jxta_adv_t *mia;
    jxta_adv_t *std;
    ck_assert_int_eq(jxta_group_std_mia(&std), 0);
    ck_assert_int_eq(jxta_membership_mia_passwd(std, &ospec, &mia), 0);
    jxta_adv_free(std);
    /* (a password group's MIA, but this PGA has no logins: refused) */
    ck_assert_int_eq(jxta_discovery_publish(jxta_group_discovery(a.ng), mia, 60000, 60000), 0);
    ck_assert_int_eq(jxta_pga_new(&ogid, &ospec, "odd", NULL, &odd), 0);
    tu_log_capture();
    ck_assert_int_lt(jxta_group_join(a.ng, odd, &c, &og), 0);
    tu_log_release();
    jxta_adv_free(odd);
    jxta_adv_free(mia);
    jxta_id_new_module_spec(&ospec, jxta_wk_id(JXTA_WK_CLASS_PEERGROUP));
    ck_assert_int_eq(jxta_group_std_mia(&std), 0);
    /* the same MIA under another spec: a plain all-purpose group */
    ck_assert_int_eq(jxta_adv_set_id(std, "MSID", &ospec), 0);
    mia = std;
    ck_assert_int_eq(jxta_discovery_publish(jxta_group_discovery(a.ng), mia, 60000, 60000), 0);
    ck_assert_int_eq(jxta_pga_new(&ogid, &ospec, "odd", NULL, &odd), 0);
    ck_assert_int_eq(jxta_group_join(a.ng, odd, &c, &og), 0);
    ck_assert_uint_eq(jxta_group_child_count(a.ng), 2);
    ck_assert_int_eq(jxta_group_leave(og), 0);
    jxta_adv_free(odd);
    jxta_adv_free(mia);
    ck_assert_int_eq(jxta_group_leave(child), 0);
    ck_assert_uint_eq(jxta_group_child_count(a.ng), 0);
    jxta_adv_free(want);
    ck_assert_int_eq(jxta_group_leave(a.ng), 0);
    jxta_cm_close(a.cm);
    jxta_endpoint_free(a.ep);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_child_and_nested_groups)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    /* r: the Net group's rendezvous.  a: Net edge, creates the child and is
     * its rendezvous (listening).  b, c: Net edges without a listening
     * socket, reached through r's router. */
    peer_t r, a, b, c;
    peer_start(l, &r, 1, 1, NULL, "r");
    jxta_addr_t rseed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    peer_start(l, &a, 0, 1, &rseed, "a");
    peer_start(l, &b, 0, 0, &rseed, "b");
    peer_start(l, &c, 0, 0, &rseed, "c");
    RUN_UNTIL(l, leased_from(a.ng, &r) && leased_from(b.ng, &r) && leased_from(c.ng, &r));

    /* a creates the child, publishes it in the Net group, runs it as rendezvous */
    jxta_adv_t *pga;
    ck_assert_int_eq(jxta_group_create_pga(a.ng, NULL, "child-one", "a test group", NULL, &pga), 0);
    ck_assert_int_eq(jxta_group_publish_pga(a.ng, pga), 0);
    jxta_group_config_t cc;
    jxta_group_config_default(&cc);
    fast(&cc);
    cc.role = JXTA_RDV_RENDEZVOUS;
    jxta_group_t *ach, *bch, *cch;
    ck_assert_int_eq(jxta_group_join(a.ng, pga, &cc, &ach), 0);
    jxta_adv_free(pga);

    /* b finds it through Net group discovery and joins as an edge of a
     * (jxta:// seed: routed through the Net group); c with a tcp:// seed */
    jxta_adv_t *found = discover_pga(l, &b, b.ng, "child-one");
    jxta_group_config_default(&cc);
    fast(&cc);
    cc.seeds[0] = peer_addr(&a);
    cc.nseeds = 1;
    ck_assert_int_eq(jxta_group_join(b.ng, found, &cc, &bch), 0);
    cc.seeds[0] = *jxta_tcp_public_addr(jxta_endpoint_tcp(a.ep));
    ck_assert_int_eq(jxta_group_join(c.ng, found, &cc, &cch), 0);
    jxta_adv_free(found);
    RUN_UNTIL(l, leased_from(bch, &a) && leased_from(cch, &a));
    /* b has no address of its own: in the child it advertises a route
     * through its Net group rendezvous (JXSE peers need it); a has one */
    jxta_adv_t *ra;
    jxta_id_t hop;
    ck_assert_int_eq(jxta_pa_route(jxta_group_pa(bch), &ra), 0);
    ck_assert_uint_eq(jxta_ra_hop_count(ra), 1);
    ck_assert_int_eq(jxta_ra_hop(ra, 0, &hop, NULL), 0);
    ck_assert(jxta_id_equal(&hop, &r.id));
    jxta_adv_free(ra);
    ck_assert_int_eq(jxta_pa_route(jxta_group_pa(ach), &ra), 0);
    ck_assert_uint_eq(jxta_ra_hop_count(ra), 0);
    jxta_adv_free(ra);
    /* the child's rendezvous is a, the Net group's is still r */
    ck_assert(leased_from(b.ng, &r));
    ck_assert_uint_eq(jxta_rdv_client_count(jxta_group_rdv(ach)), 2);
    ck_assert_uint_eq(jxta_rdv_client_count(jxta_group_rdv(r.ng)), 3);
    ck_assert(jxta_group_connected(bch) && jxta_group_connected(ach));

    /* discovery inside the child: c publishes, b finds it through a */
    jxta_id_t pipe_id;
    jxta_id_new_pipe(&pipe_id, jxta_group_id(cch));
    jxta_adv_t *pipe;
    ck_assert_int_eq(jxta_pipe_adv_new(&pipe_id, "JxtaUnicast", "in-child", &pipe), 0);
    ck_assert_int_eq(jxta_discovery_publish(jxta_group_discovery(cch), pipe, 60000, 60000), 0);
    jxta_discovery_on_found(jxta_group_discovery(bch), on_found, &b);
    b.found = 0;
    b.doc[0] = '\0';
    uint64_t end = tu_now_ms() + 20000;
    while (!strstr(b.doc, "in-child") && tu_now_ms() < end) {
        jxta_discovery_query(jxta_group_discovery(bch), 2, "Name", "in-child", 5, NULL, NULL);
        for (int i = 0; i < 30 && !strstr(b.doc, "in-child"); i++)
            jxta_loop_run_once(l, 10);
    }
    ck_assert_ptr_nonnull(strstr(b.doc, "in-child"));
    ck_assert(jxta_id_equal(&b.from, &c.id));
    /* ... and it stays in the child: the Net group knows nothing of it */
    ck_assert_uint_eq(jxta_cm_count(b.cm, &jxta_id_net_group, JXTA_ADV_DIR_ADV), 0);
    ck_assert_uint_ge(jxta_cm_count(b.cm, jxta_group_id(bch), JXTA_ADV_DIR_ADV), 1);
    jxta_discovery_on_found(jxta_group_discovery(bch), NULL, NULL);
    jxta_adv_free(pipe);

    /* resolver inside the child: walked to a, sent straight to c */
    ck_assert_int_eq(jxta_resolver_register(jxta_group_resolver(ach), "t:echo", echo_query,
                                            NULL, "from-a"), 0);
    ck_assert_int_eq(jxta_resolver_register(jxta_group_resolver(cch), "t:echo", echo_query,
                                            NULL, "from-c"), 0);
    ck_assert_int_eq(jxta_resolver_register(jxta_group_resolver(bch), "t:echo", NULL,
                                            echo_response, NULL), 0);
    /* the same handler in the Net group of a must not be reached */
    ck_assert_int_eq(jxta_resolver_register(jxta_group_resolver(a.ng), "t:echo", echo_query,
                                            NULL, "wrong-group"), 0);
    answers = 0;
    ck_assert_int_eq(jxta_resolver_query(jxta_group_resolver(bch), "t:echo", "q", NULL, NULL), 0);
    RUN_UNTIL(l, answers >= 1);
    ck_assert_str_eq(last_answer, "from-a");
    ck_assert_int_eq(jxta_resolver_query(jxta_group_resolver(bch), "t:echo", "q", &c.id, NULL),
                     0);
    RUN_UNTIL(l, answers >= 2);
    ck_assert_str_eq(last_answer, "from-c");

    /* pipes inside the child: b binds to c's input pipe and sends */
    jxta_id_t upipe;
    jxta_id_new_pipe(&upipe, jxta_group_id(cch));
    jxta_input_pipe_t *ip;
    jxta_output_pipe_t *op;
    pipe_msgs = 0;
    bound = 0;
    ck_assert_int_eq(jxta_input_pipe_open(jxta_group_pipes(cch), &upipe, JXTA_PIPE_UNICAST,
                                          on_pipe_msg, NULL, &ip),
                     0);
    ck_assert_int_eq(jxta_output_pipe_open(jxta_group_pipes(bch), &upipe, JXTA_PIPE_UNICAST, NULL,
                                           0, on_bound, NULL, &op),
                     0);
    RUN_UNTIL(l, bound);
    jxta_msg_t *pm;
    ck_assert_int_eq(jxta_msg_new(&pm), 0);
    ck_assert_int_eq(jxta_msg_add_text(pm, "t", "hello", "child"), 0);
    ck_assert_int_eq(jxta_output_pipe_send(op, pm, NULL, NULL), 0);
    RUN_UNTIL(l, pipe_msgs == 1);
    jxta_msg_free(pm);
    jxta_output_pipe_close(op);
    jxta_input_pipe_close(ip);

    /* nested: a creates a grandchild in the child; c runs it as rendezvous,
     * b finds it through the child's discovery and leases from c */
    ck_assert_int_eq(jxta_group_create_pga(ach, NULL, "nested-one", NULL, NULL, &pga), 0);
    jxta_id_t ngid, nparent;
    ck_assert_int_eq(jxta_adv_get_id(pga, "GID", &ngid), 0);
    ck_assert_int_eq(jxta_id_parent_of(&ngid, &nparent), 0);
    /* a group ID holds two UUIDs: the parent is recorded by its own UUID */
    ck_assert_int_eq(memcmp(jxta_id_uuid(&nparent, 0), jxta_id_uuid(jxta_group_id(ach), 0),
                            JXTA_UUID_BYTES),
                     0);
    ck_assert_int_eq(jxta_group_publish_pga(ach, pga), 0);
    jxta_adv_free(pga);
    found = discover_pga(l, &c, cch, "nested-one");
    jxta_group_config_default(&cc);
    fast(&cc);
    cc.role = JXTA_RDV_RENDEZVOUS;
    jxta_group_t *cn, *bn;
    ck_assert_int_eq(jxta_group_join(cch, found, &cc, &cn), 0);
    /* b is told nothing: it finds c through the child group's pipe */
    jxta_group_config_default(&cc);
    fast(&cc);
    ck_assert_int_eq(jxta_group_join(bch, found, &cc, &bn), 0);
    jxta_adv_free(found);
    RUN_UNTIL(l, leased_from(bn, &c));
    ck_assert(leased_from(bch, &a));
    ck_assert_int_eq(jxta_resolver_register(jxta_group_resolver(cn), "t:echo", echo_query, NULL,
                                            "from-c-nested"), 0);
    ck_assert_int_eq(jxta_resolver_register(jxta_group_resolver(bn), "t:echo", NULL,
                                            echo_response, NULL), 0);
    ck_assert_int_eq(jxta_resolver_query(jxta_group_resolver(bn), "t:echo", "q", NULL, NULL), 0);
    RUN_UNTIL(l, answers >= 3);
    ck_assert_str_eq(last_answer, "from-c-nested");

    /* leaving: children first; the rendezvous sees the edge go */
    tu_log_capture();
    ck_assert_int_eq(jxta_group_leave(bch), JXTA_EBUSY);
    tu_log_release();
    ck_assert_int_eq(jxta_group_leave(bn), 0);
    RUN_UNTIL(l, jxta_rdv_client_count(jxta_group_rdv(cn)) == 0);
    ck_assert_int_eq(jxta_group_leave(bch), 0);
    RUN_UNTIL(l, jxta_rdv_client_count(jxta_group_rdv(ach)) == 1);
    ck_assert_uint_eq(jxta_group_child_count(b.ng), 0);
    ck_assert(leased_from(b.ng, &r)); /* the Net group is untouched */

    peer_stop(&c);
    peer_stop(&b);
    peer_stop(&a);
    peer_stop(&r);
    jxta_loop_free(l);
}
END_TEST

/* From `from`: a PeerView answer about `about` in `gid` to `to`'s listener
 * of group g (edge: flagged as an edge's; body: raw text instead). */
static void send_answer(peer_t *from, jxta_group_t *g, const peer_t *to, const jxta_id_t *about,
                        const jxta_id_t *gid, int edge, const char *body)
{
    jxta_adv_t *rdv;
    jxta_id_text_t t;
    char *xml = NULL;
    ck_assert_int_eq(jxta_adv_new(&jxta_adv_type_rdv, &rdv), 0);
    jxta_adv_set(rdv, "RdvGroupId", jxta_id_str(gid, &t));
    jxta_adv_set(rdv, "RdvPeerId", jxta_id_str(about, &t));
    jxta_adv_set(rdv, "RdvServiceName", "x");
    ck_assert_int_eq(jxta_adv_to_string(rdv, 0, &xml), 0);
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    const char *b = body ? body : xml;
    ck_assert_int_eq(jxta_msg_add(m, "jxta", "PeerView.PeerAdv.Response", JXTA_MSG_MIME_XML, b,
                                  strlen(b)),
                     0);
    if (edge)
        ck_assert_int_eq(jxta_msg_add_text(m, "jxta", "PeerView.EdgePeer", "true"), 0);
    jxta_addr_t dest;
    ck_assert_int_eq(jxta_addr_for_peer(&dest, &to->id, JXTA_PEERVIEW_SERVICE,
                                        jxta_id_unique_value(jxta_group_id(g), &t)),
                     0);
    ck_assert_int_eq(jxta_endpoint_send(from->ep, jxta_group_id(g), m, &dest, NULL, NULL), 0);
    jxta_msg_free(m);
    free(xml);
    jxta_adv_free(rdv);
}

START_TEST(test_child_rendezvous_replaced)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t r, a, b, c;
    peer_start(l, &r, 1, 1, NULL, "r");
    jxta_addr_t rseed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    peer_start(l, &a, 0, 0, &rseed, "a");
    peer_start(l, &b, 0, 0, &rseed, "b");
    peer_start(l, &c, 0, 0, &rseed, "c");
    RUN_UNTIL(l, leased_from(a.ng, &r) && leased_from(b.ng, &r) && leased_from(c.ng, &r));
    jxta_adv_t *pga;
    ck_assert_int_eq(jxta_group_create_pga(a.ng, NULL, "fragile", NULL, NULL, &pga), 0);
    /* a: rendezvous granting short leases; b: edge knowing a and c */
    jxta_group_config_t cc;
    jxta_group_config_default(&cc);
    fast(&cc);
    cc.role = JXTA_RDV_RENDEZVOUS;
    cc.lease_ms = 1500;
    jxta_group_t *ach, *bch, *cch;
    ck_assert_int_eq(jxta_group_join(a.ng, pga, &cc, &ach), 0);
    jxta_group_config_default(&cc);
    fast(&cc);
    cc.seeds[0] = peer_addr(&a);
    cc.seeds[1] = peer_addr(&c);
    cc.nseeds = 2;
    ck_assert_int_eq(jxta_group_join(c.ng, pga, &cc, &cch), 0);
    /* b is told nothing: it finds the rendezvous through the Net group */
    cc.nseeds = 0;
    ck_assert_int_eq(jxta_group_join(b.ng, pga, &cc, &bch), 0);
    RUN_UNTIL(l, leased_from(bch, &a) && leased_from(cch, &a));
    ck_assert_uint_eq(jxta_rdv_seed_count(jxta_group_rdv(bch)), 1);
    ck_assert_uint_ge(jxta_peerview_edge_answers(jxta_group_peerview(ach)), 1);
    /* b's answer listener ignores an edge's answer, an answer about
     * another group and garbage, then takes a good one (same sender, same
     * order) */
    jxta_id_t fake;
    jxta_id_new_peer(&fake, &jxta_id_net_group);
    tu_log_capture();
    send_answer(&c, bch, &b, &fake, jxta_group_id(bch), 1, NULL);
    send_answer(&c, bch, &b, &fake, &jxta_id_net_group, 0, NULL);
    send_answer(&c, bch, &b, &fake, jxta_group_id(bch), 0, "<jxta:RdvAdvertisement>");
    send_answer(&c, bch, &b, &c.id, jxta_group_id(bch), 0, NULL);
    RUN_UNTIL(l, jxta_rdv_seed_count(jxta_group_rdv(bch)) >= 2);
    ck_assert_uint_eq(jxta_rdv_seed_count(jxta_group_rdv(bch)), 2); /* a and c only */
    ck_assert_uint_ge(tu_log_count(), 1);                             /* the garbage */
    tu_log_release();
    /* a dies without a word */
    jxta_group_discard(ach);
    /* c is promoted: it leaves the group as an edge and comes back as its
     * rendezvous */
    ck_assert_int_eq(jxta_group_leave(cch), 0);
    jxta_group_config_default(&cc);
    fast(&cc);
    cc.role = JXTA_RDV_RENDEZVOUS;
    cc.lease_ms = 1500;
    ck_assert_int_eq(jxta_group_join(c.ng, pga, &cc, &cch), 0);
    RUN_UNTIL(l, leased_from(bch, &c) && leased_from(cch, &c) == 0);
    ck_assert_uint_eq(jxta_rdv_seed_count(jxta_group_rdv(bch)), 2);
    ck_assert(leased_from(b.ng, &r));
    jxta_adv_free(pga);
    peer_stop(&c);
    peer_stop(&b);
    peer_stop(&a);
    peer_stop(&r);
    jxta_loop_free(l);
}
END_TEST

/* Find advertisements matching attr=value of `type` through g's discovery
 * until one containing `needle` is cached. */
static void discover_into_cache(jxta_loop_t *l, peer_t *p, jxta_group_t *g, int type,
                                const char *attr, const char *value, const char *needle)
{
    jxta_discovery_on_found(jxta_group_discovery(g), on_found, p);
    p->doc[0] = '\0';
    uint64_t end = tu_now_ms() + 20000;
    while (!strstr(p->doc, needle) && tu_now_ms() < end) {
        jxta_discovery_query(jxta_group_discovery(g), type, attr, value, 5, NULL, NULL);
        for (int i = 0; i < 30 && !strstr(p->doc, needle); i++)
            jxta_loop_run_once(l, 10);
    }
    ck_assert_msg(strstr(p->doc, needle) != NULL, "%s=%s not discovered", attr, value);
    jxta_discovery_on_found(jxta_group_discovery(g), NULL, NULL);
}

START_TEST(test_password_group)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t r, a, b, c;
    peer_start(l, &r, 1, 1, NULL, "r");
    jxta_addr_t rseed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    peer_start(l, &a, 0, 1, &rseed, "a");
    peer_start(l, &b, 0, 0, &rseed, "b");
    peer_start(l, &c, 0, 0, &rseed, "c");
    RUN_UNTIL(l, leased_from(a.ng, &r) && leased_from(b.ng, &r) && leased_from(c.ng, &r));
    /* a creates a password group (JXSE's recipe: a spec of its own whose
     * MIA has the passwd membership, the logins in the PGA) */
    static const char *const logins[] = {"alice:secret", "bob:hunter2", NULL};
    jxta_adv_t *pga;
    ck_assert_int_eq(jxta_group_create_pga(a.ng, NULL, "club", NULL, logins, &pga), 0);
    jxta_id_t msid;
    ck_assert_int_eq(jxta_adv_get_id(pga, "MSID", &msid), 0);
    ck_assert_int_eq(jxta_group_impl_of_msid(&msid), JXTA_GROUP_IMPL_UNKNOWN);
    ck_assert_ptr_nonnull(jxta_passwd_pga_parm(pga));
    ck_assert_int_eq(jxta_group_publish_pga(a.ng, pga), 0);
    jxta_group_config_t cc;
    jxta_group_config_default(&cc);
    fast(&cc);
    cc.role = JXTA_RDV_RENDEZVOUS;
    jxta_group_t *ach, *bch, *x;
    tu_log_capture();
    ck_assert_int_eq(jxta_group_join(a.ng, pga, &cc, &x), JXTA_EACCES); /* no login */
    tu_log_release();
    cc.identity = "alice";
    cc.password = "secret";
    ck_assert_int_eq(jxta_group_join(a.ng, pga, &cc, &ach), 0);
    ck_assert_int_eq(jxta_membership_kind(jxta_group_membership(ach)), JXTA_MEMBERSHIP_PASSWD);
    jxta_adv_free(pga);

    /* b finds the PGA and its MIA through the Net group */
    jxta_adv_t *found = discover_pga(l, &b, b.ng, "club");
    jxta_id_text_t t;
    ck_assert_int_eq(jxta_group_find_impl(b.ng, found), JXTA_ENOTFOUND); /* asks for it */
    RUN_UNTIL(l, jxta_cm_count(b.cm, &jxta_id_net_group, JXTA_ADV_DIR_ADV) >= 1);
    ck_assert_int_eq(jxta_group_find_impl(b.ng, found), 0);
    discover_into_cache(l, &b, b.ng, 2, "MSID", jxta_id_str(&msid, &t), "PasswdMembership");
    jxta_group_config_default(&cc);
    fast(&cc);
    cc.seeds[0] = peer_addr(&a);
    cc.nseeds = 1;
    cc.identity = "bob";
    cc.password = "wrong";
    tu_log_capture();
    ck_assert_int_eq(jxta_group_join(b.ng, found, &cc, &bch), JXTA_EACCES);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    ck_assert_uint_eq(jxta_group_child_count(b.ng), 0);
    cc.password = "hunter2";
    cc.lenient = 1; /* b would also take JXSE members' messages (no credential) */
    ck_assert_int_eq(jxta_group_join(b.ng, found, &cc, &bch), 0);
    ck_assert_int_eq(jxta_membership_lenient(jxta_group_membership(bch)), 1);
    ck_assert_int_eq(jxta_membership_lenient(jxta_group_membership(ach)), 0);
    RUN_UNTIL(l, leased_from(bch, &a));
    /* members talk: b's query is answered by a */
    ck_assert_int_eq(jxta_resolver_register(jxta_group_resolver(ach), "t:echo", echo_query,
                                            NULL, "from-a"), 0);
    ck_assert_int_eq(jxta_resolver_register(jxta_group_resolver(bch), "t:echo", NULL,
                                            echo_response, NULL), 0);
    answers = 0;
    ck_assert_int_eq(jxta_resolver_query(jxta_group_resolver(bch), "t:echo", "q", NULL, NULL), 0);
    RUN_UNTIL(l, answers == 1);

    /* c is no member: its messages for the group are dropped by a */
    jxta_id_t gid = *jxta_group_id(ach);
    jxta_membership_stats_t st0, st;
    jxta_membership_stats(jxta_group_membership(ach), &st0);
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    ck_assert_int_eq(jxta_pa_new(&c.id, &gid, "c", &pga), 0);
    char *pa_xml;
    ck_assert_int_eq(jxta_adv_to_string(pga, 0, &pa_xml), 0);
    ck_assert_int_eq(jxta_msg_add_text(m, "jxta", "Connect", pa_xml), 0);
    jxta_addr_t dest;
    ck_assert_int_eq(jxta_addr_for_peer(&dest, &a.id,
                                        jxta_wk_urn(JXTA_WK_CLASS_RENDEZVOUS),
                                        jxta_id_unique_value(&gid, &t)),
                     0);
    tu_log_capture();
    ck_assert_int_eq(jxta_endpoint_send(c.ep, &gid, m, &dest, NULL, NULL), 0);
    jxta_membership_stats(jxta_group_membership(ach), &st);
    RUN_UNTIL(l, (jxta_membership_stats(jxta_group_membership(ach), &st), st.refused > st0.refused));
    tu_log_release();
    ck_assert_uint_eq(jxta_rdv_client_count(jxta_group_rdv(ach)), 1); /* b only */
    free(pa_xml);
    jxta_adv_free(pga);
    jxta_msg_free(m);
    jxta_adv_free(found);
    peer_stop(&c);
    peer_stop(&b);
    peer_stop(&a);
    peer_stop(&r);
    jxta_loop_free(l);
}
END_TEST

static int granted_calls;
static void count_grant(void *ud, const jxta_id_t *rdv, uint64_t ms, int renewal)
{
    (void)rdv;
    (void)ms;
    (void)renewal;
    if (ud == &granted_calls)
        granted_calls++;
}

static size_t pa_hops(const jxta_group_t *g)
{
    jxta_adv_t *ra;
    ck_assert_int_eq(jxta_pa_route(jxta_group_pa(g), &ra), 0);
    size_t n = jxta_ra_hop_count(ra);
    jxta_adv_free(ra);
    return n;
}

START_TEST(test_route_follows_net_lease)
{
    /* A peer without a listening address joins a child group before its
     * Net group lease: its route in the child gains the hop through its
     * Net rendezvous once the lease comes; the application still gets its
     * own lease events. */
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t r, d;
    peer_start(l, &r, 1, 1, NULL, "r");
    memset(&d, 0, sizeof d);
    jxta_tcp_config_t tc;
    jxta_tcp_config_default(&tc);
    jxta_id_new_peer(&tc.peer_id, &jxta_id_net_group);
    d.id = tc.peer_id;
    tc.listen = 0;
    tc.first_frame_delay_ms = 5;
    ck_assert_int_eq(jxta_endpoint_new(l, &tc, &d.ep), 0);
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, 0, &d.cm), 0);
    static const jxta_rdv_events_t ev = {count_grant, NULL, NULL, NULL};
    jxta_group_config_t c;
    jxta_group_config_default(&c);
    fast(&c);
    c.seeds[0] = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    c.nseeds = 1;
    c.rdv_events = &ev;
    c.ud = &granted_calls;
    granted_calls = 0;
    ck_assert_int_eq(jxta_group_new_net(d.ep, d.cm, "d", &c, &d.ng), 0);
    jxta_adv_t *pga;
    ck_assert_int_eq(jxta_group_create_pga(d.ng, NULL, "early", NULL, NULL, &pga), 0);
    jxta_group_config_default(&c);
    c.role = JXTA_RDV_RENDEZVOUS;
    jxta_group_t *dch;
    ck_assert_int_eq(jxta_group_join(d.ng, pga, &c, &dch), 0);
    ck_assert(!jxta_group_connected(d.ng));
    ck_assert_uint_eq(pa_hops(dch), 0);
    RUN_UNTIL(l, leased_from(d.ng, &r));
    ck_assert_int_eq(granted_calls, 1);
    ck_assert_uint_eq(pa_hops(dch), 1);
    jxta_adv_free(pga);
    peer_stop(&d);
    peer_stop(&r);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_many_groups_one_peer)
{
    /* JuxMem runs a group per cluster and more: one peer joins forty child
     * groups (the endpoint takes any number of connection watchers, three
     * per group); joining one twice is refused and changes nothing; all
     * leave cleanly. */
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t a;
    peer_start(l, &a, 1, 1, NULL, "a");
    enum { N = 40 };
    jxta_group_t *g[N];
    jxta_adv_t *first = NULL;
    for (size_t n = 0; n < N; n++) {
        jxta_adv_t *pga;
        ck_assert_int_eq(jxta_group_create_pga(a.ng, NULL, "many", NULL, NULL, &pga), 0);
        ck_assert_int_eq(jxta_group_join(a.ng, pga, NULL, &g[n]), 0);
        if (n == 0)
            first = pga;
        else
            jxta_adv_free(pga);
    }
    ck_assert_uint_eq(jxta_group_child_count(a.ng), N);
    jxta_group_t *dup = NULL;
    tu_log_capture();
    ck_assert_int_eq(jxta_group_join(a.ng, first, NULL, &dup), JXTA_EEXIST);
    tu_log_release();
    jxta_adv_free(first);
    ck_assert_uint_eq(jxta_group_child_count(a.ng), N);
    for (size_t n = N; n > 0; n--)
        ck_assert_int_eq(jxta_group_leave(g[n - 1]), 0);
    ck_assert_int_eq(jxta_group_leave(a.ng), 0);
    jxta_cm_close(a.cm);
    jxta_endpoint_free(a.ep);
    jxta_loop_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("group");
    TCase *tc = tcase_create("adv");
    tcase_add_test(tc, test_world_net_pgas);
    tcase_add_test(tc, test_std_mia);
    tcase_add_test(tc, test_pa_in_child);
    suite_add_tcase(s, tc);
    tc = tcase_create("groups");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_create_pga_like_jxse);
    tcase_add_test(tc, test_child_and_nested_groups);
    tcase_add_test(tc, test_child_rendezvous_replaced);
    tcase_add_test(tc, test_password_group);
    tcase_add_test(tc, test_many_groups_one_peer);
    tcase_add_test(tc, test_route_follows_net_lease);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
