/* group.c - the peer group object (see jxta/group.h).
 *
 * A group is a node in a tree rooted at the World group: the World group
 * object (no services), the Net group below it, child groups below those.
 * Each node owns its services and its advertisements; the endpoint and
 * the cache manager belong to the peer and are shared (both key everything
 * by group ID).  The membership is joined and attached to the endpoint
 * first, so that the group's very first message carries our credential;
 * then services start in dependency order (rendezvous, propagation,
 * resolver, route resolver, PeerView, discovery, pipes, the search for a
 * child group's rendezvous through the parent's pipes) and stop in the
 * reverse order, so no service ever sees a dead one below it.  A group
 * is only left once its children are, which keeps the tree consistent
 * without reference counts. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jxta/group.h>
#include <jxta/membership.h>
#include <jxta/pipe.h>
#include <jxta/wellknown.h>

#include "../util/internal.h"

struct jxta_group {
    jxta_group_t *parent;
    jxta_group_t **children;
    size_t nchildren, capchildren;
    jxta_id_t id;
    jxta_adv_t *pga, *pa;
    char name[256];
    jxta_endpoint_t *ep;
    jxta_cm_t *cm;
    jxta_rdv_role_t role;
    jxta_rdv_t *rdv;
    jxta_propagate_t *prop;
    jxta_resolver_t *res;
    jxta_route_resolver_t *route;
    jxta_peerview_t *pv;
    jxta_discovery_t *disc;
    jxta_pipes_t *pipes;
    jxta_membership_t *mship;
    /* finding a child group's rendezvous through the parent (10.4) */
    jxta_input_pipe_t *seek_in;   /* rendezvous: edges' probes arrive here */
    jxta_output_pipe_t *seek_out; /* edge without seeds: probes leave here */
    int seek_listening;           /* edge: PeerView/<grp> listener registered */
    jxta_timer_t seek_timer;
    uint64_t seek_ms;
    /* the Net group: the application's lease events, which we relay */
    int relay_events;
    jxta_rdv_events_t user_ev;
    void *user_ud;
};

void jxta_group_config_default(jxta_group_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->role = JXTA_RDV_EDGE;
}

/* ---- tree ------------------------------------------------------------------ */

static int add_child(jxta_group_t *parent, jxta_group_t *g)
{
    if (parent->nchildren == parent->capchildren) {
        size_t cap = parent->capchildren ? parent->capchildren * 2 : 4;
        jxta_group_t **p = realloc(parent->children, cap * sizeof *p);
        if (!p)
            return JXTA_ENOMEM;
        parent->children = p;
        parent->capchildren = cap;
    }
    parent->children[parent->nchildren++] = g;
    g->parent = parent;
    return 0;
}

static void remove_child(jxta_group_t *parent, jxta_group_t *g)
{
    for (size_t i = 0; parent && i < parent->nchildren; i++)
        if (parent->children[i] == g) {
            memmove(&parent->children[i], &parent->children[i + 1],
                    (parent->nchildren - i - 1) * sizeof *parent->children);
            parent->nchildren--;
            return;
        }
}

static const jxta_group_t *find_in(const jxta_group_t *g, const jxta_id_t *id)
{
    if (jxta_id_equal(&g->id, id))
        return g;
    for (size_t i = 0; i < g->nchildren; i++) {
        const jxta_group_t *f = find_in(g->children[i], id);
        if (f)
            return f;
    }
    return NULL;
}

static const jxta_group_t *root_of(const jxta_group_t *g)
{
    while (g->parent)
        g = g->parent;
    return g;
}

/* ---- services ---------------------------------------------------------------- */

static uint64_t or_default(uint64_t v, uint64_t def)
{
    return v ? v : def;
}

/* ---- child-group rendezvous through the parent (PROTOCOLS.md 6.6, 10.4) ---- */

/* The PeerView propagate pipe a child group's rendezvous listen on in the
 * parent group: ID seeded as JXSE seeds it ("PeerView" + group unique
 * value + PeerView name; JXSE keeps the first 16 bytes), in the parent. */
static int seek_pipe_id(const jxta_group_t *g, jxta_id_t *pipe)
{
    jxta_id_text_t t, c;
    char seed[3 * JXTA_ID_TEXT_MAX];
    const char *uv = jxta_id_unique_value(&g->id, &t);
    snprintf(seed, sizeof seed, "%s%s%s%s", JXTA_PEERVIEW_SERVICE, uv,
             jxta_id_str(jxta_wk_id(JXTA_WK_CLASS_RENDEZVOUS), &c), uv);
    return jxta_id_pipe_from_seed(pipe, &g->parent->id, seed, strlen(seed));
}

/* The route we advertise in a group: our own, or, when we have no
 * listening address, through our Net group rendezvous (a hop), which
 * forwards to us: JXSE peers only reach us by the route they are given. */
static int advertised_route(void *ud, jxta_adv_t **out)
{
    jxta_group_t *g = ud;
    int rc = jxta_endpoint_local_route(g->ep, out);
    const char *eas[8];
    if (rc < 0 || jxta_ra_endpoints(*out, eas, 8) > 0)
        return rc;
    const jxta_group_t *ng = g;
    while (ng && !jxta_id_is_net_group(&ng->id))
        ng = ng->parent;
    jxta_id_t rdv;
    jxta_adv_t *rra = NULL;
    if (ng && ng->rdv && jxta_rdv_has_lease(ng->rdv, &rdv) &&
        jxta_rdv_lease_route(ng->rdv, &rra) == 0) {
        size_t n = jxta_ra_endpoints(rra, eas, 8);
        if (n)
            jxta_ra_add_hop(*out, &rdv, eas, n < 8 ? n : 8);
        jxta_adv_free(rra);
    }
    return 0;
}

/* Rendezvous: a probe from the parent's pipe goes to our PeerView. */
static void seek_probe_in(void *ud, jxta_input_pipe_t *ip, jxta_msg_t *m,
                          const jxta_pipe_msg_info_t *info)
{
    jxta_group_t *g = ud;
    (void)ip;
    (void)info;
    if (g->pv)
        jxta_peerview_receive(g->pv, m);
    jxta_msg_free(m);
}

/* Edge: our probe, an RdvAdvertisement about ourselves flagged as an edge's. */
static int seek_probe_msg(jxta_group_t *g, jxta_msg_t **out)
{
    jxta_adv_t *rdv = NULL, *ra = NULL;
    jxta_xml_node_t *route;
    jxta_id_text_t t;
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_msg_t *m = NULL;
    char svc[JXTA_ID_TEXT_MAX + 32];
    snprintf(svc, sizeof svc, "RendezVousService%s", jxta_id_unique_value(&g->id, &t));
    const char *name = jxta_adv_get(g->pa, "Name");
    int rc = jxta_adv_new(&jxta_adv_type_rdv, &rdv);
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvGroupId", jxta_id_str(&g->id, &t));
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvPeerId", jxta_id_str(jxta_endpoint_peer_id(g->ep), &t));
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvServiceName", svc);
    if (rc == 0 && name)
        rc = jxta_adv_set(rdv, "Name", name);
    if (rc == 0)
        rc = advertised_route(g, &ra);
    if (rc == 0)
        rc = jxta_adv_add(rdv, "RdvRoute", NULL, &route);
    if (rc == 0)
        rc = jxta_adv_embed(route, ra);
    if (rc == 0)
        rc = jxta_adv_write(rdv, 0, &b);
    if (rc == 0)
        rc = jxta_msg_new(&m);
    if (rc == 0)
        rc = jxta_msg_add(m, "jxta", "PeerView.PeerAdv", JXTA_MSG_MIME_XML, b.data, b.len);
    if (rc == 0)
        rc = jxta_msg_add_text(m, "jxta", "PeerView.EdgePeer", "true");
    jxta_buf_free(&b);
    jxta_adv_free(rdv);
    jxta_adv_free(ra);
    if (rc < 0) {
        jxta_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

static void seek_tick(jxta_timer_t *t)
{
    jxta_group_t *g = t->data;
    jxta_msg_t *m;
    if (!jxta_rdv_has_lease(g->rdv, NULL) && seek_probe_msg(g, &m) == 0) {
        int rc = jxta_output_pipe_send(g->seek_out, m, NULL, NULL);
        if (rc < 0)
            jxta_log(JXTA_LOG_DEBUG, "group", "rendezvous probe not sent: %s", jxta_strerror(rc));
        jxta_msg_free(m);
    }
    jxta_timer_start(&g->seek_timer, g->seek_ms);
}

/* Edge: a rendezvous of the group answered; it becomes a seed. */
static void seek_answer(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    jxta_group_t *g = ud;
    (void)info;
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", "PeerView.PeerAdv.Response");
    /* JXSE edges listen on the pipe too and answer probes, flagged as an
     * edge's answer: those are no rendezvous */
    if (!e || jxta_msg_find(m, "jxta", "PeerView.EdgePeer"))
        return;
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    jxta_adv_t *adv = NULL, *ra = NULL;
    jxta_id_t peer, gid;
    jxta_addr_t seed;
    jxta_id_text_t t;
    if (jxta_adv_parse_as(b, len, &jxta_adv_type_rdv, &adv) < 0 ||
        jxta_adv_get_id(adv, "RdvPeerId", &peer) < 0 || jxta_id_kind(&peer) != JXTA_ID_PEER ||
        jxta_adv_get_id(adv, "RdvGroupId", &gid) < 0 || !jxta_id_equal(&gid, &g->id)) {
        jxta_log(JXTA_LOG_INFO, "group", "bad rendezvous answer for group %s ignored",
                 jxta_id_str(&g->id, &t));
        jxta_adv_free(adv);
        return;
    }
    if (jxta_rdv_adv_route(adv, &ra) == 0) {
        jxta_endpoint_learn_route(g->ep, ra);
        jxta_adv_free(ra);
    }
    jxta_adv_free(adv);
    if (jxta_addr_for_peer(&seed, &peer, NULL, NULL) == 0 &&
        jxta_rdv_add_seed(g->rdv, &seed) == 0)
        jxta_log(JXTA_LOG_INFO, "group", "rendezvous %s of group %s found through the parent",
                 jxta_id_str(&peer, &t), g->name);
}

static void stop_seeking(jxta_group_t *g)
{
    jxta_timer_stop(&g->seek_timer);
    if (g->seek_listening)
        jxta_endpoint_unlisten(g->ep, &g->id, JXTA_PEERVIEW_SERVICE, NULL);
    g->seek_listening = 0;
    jxta_output_pipe_close(g->seek_out);
    g->seek_out = NULL;
    jxta_input_pipe_close(g->seek_in);
    g->seek_in = NULL;
}

static int start_seeking(jxta_group_t *g, const jxta_group_config_t *cfg)
{
    jxta_group_t *parent = g->parent;
    if (!parent || !parent->pipes)
        return 0; /* the Net group: its rendezvous come from the configuration */
    jxta_id_t pipe;
    int rc = seek_pipe_id(g, &pipe);
    if (rc < 0)
        return rc;
    if (cfg->role == JXTA_RDV_RENDEZVOUS)
        return jxta_input_pipe_open(parent->pipes, &pipe, JXTA_PIPE_PROPAGATE, seek_probe_in, g,
                                    &g->seek_in);
    if (cfg->nseeds)
        return 0; /* told where the rendezvous are */
    rc = jxta_endpoint_listen(g->ep, &g->id, JXTA_PEERVIEW_SERVICE, NULL, seek_answer, g);
    if (rc < 0)
        return rc;
    g->seek_listening = 1;
    rc = jxta_output_pipe_open(parent->pipes, &pipe, JXTA_PIPE_PROPAGATE, NULL, 0, NULL, NULL,
                               &g->seek_out);
    if (rc < 0)
        return rc;
    g->seek_ms = or_default(cfg->probe_ms, 5000);
    jxta_timer_start(&g->seek_timer, 0);
    return 0;
}

/* Stop every service, quietly or with goodbyes. */
static void stop_services(jxta_group_t *g, int quiet)
{
    stop_seeking(g);
    jxta_pipes_free(g->pipes);
    g->pipes = NULL;
    jxta_discovery_free(g->disc);
    g->disc = NULL;
    if (quiet)
        jxta_peerview_discard(g->pv);
    else
        jxta_peerview_free(g->pv);
    g->pv = NULL;
    jxta_route_resolver_free(g->route);
    g->route = NULL;
    jxta_resolver_free(g->res);
    g->res = NULL;
    jxta_propagate_free(g->prop);
    g->prop = NULL;
    if (quiet)
        jxta_rdv_discard(g->rdv);
    else
        jxta_rdv_free(g->rdv);
    g->rdv = NULL;
    jxta_membership_free(g->mship); /* detaches from the endpoint */
    g->mship = NULL;
}

static int start_services(jxta_group_t *g, const jxta_group_config_t *cfg, const char *peer_name)
{
    jxta_rdv_config_t rc;
    jxta_rdv_config_default(&rc);
    rc.role = cfg->role;
    rc.group = g->id;
    memcpy(rc.seeds, cfg->seeds, sizeof rc.seeds);
    rc.nseeds = cfg->nseeds < JXTA_RDV_MAX_SEEDS ? cfg->nseeds : JXTA_RDV_MAX_SEEDS;
    rc.lease_ms = or_default(cfg->lease_ms, rc.lease_ms);
    rc.retry_ms = or_default(cfg->retry_ms, rc.retry_ms);
    rc.gc_ms = or_default(cfg->gc_ms, rc.gc_ms);
    if (cfg->max_clients)
        rc.max_clients = cfg->max_clients;
    int err = jxta_rdv_new(g->ep, g->pa, &rc, cfg->rdv_events, g->relay_events ? g : cfg->ud,
                           &g->rdv);
    if (err == 0)
        err = jxta_propagate_new(g->ep, g->rdv, &g->id, &g->prop);
    if (err == 0)
        err = jxta_resolver_new(g->ep, g->prop, &g->id, &g->res);
    /* The router lives in the Net group: only it answers route queries. */
    if (err == 0 && jxta_id_is_net_group(&g->id))
        err = jxta_route_resolver_new(g->res, &g->route);
    if (err == 0 && cfg->role == JXTA_RDV_RENDEZVOUS) {
        jxta_peerview_config_t pvc;
        jxta_peerview_config_default(&pvc);
        pvc.group = g->id;
        pvc.name = peer_name;
        for (size_t i = 0; i < rc.nseeds && i < JXTA_ARRAY_LEN(pvc.seeds); i++)
            pvc.seeds[pvc.nseeds++] = cfg->seeds[i];
        pvc.probe_ms = or_default(cfg->probe_ms, pvc.probe_ms);
        pvc.member_timeout_ms = or_default(cfg->member_timeout_ms, pvc.member_timeout_ms);
        err = jxta_peerview_new(g->ep, g->prop, &pvc, cfg->view_fn, cfg->ud, &g->pv);
        if (err == 0 && !jxta_id_is_net_group(&g->id))
            jxta_peerview_set_route_fn(g->pv, advertised_route, g);
    }
    if (err == 0) {
        jxta_discovery_config_t dc;
        jxta_discovery_config_default(&dc);
        dc.srdi_ms = or_default(cfg->srdi_ms, dc.srdi_ms);
        err = jxta_discovery_new(g->res, g->rdv, g->cm, &dc, &g->disc);
    }
    if (err == 0)
        err = jxta_pipes_new(g->res, g->rdv, g->prop, g->pa, cfg->pipes, &g->pipes);
    if (err == 0)
        err = start_seeking(g, cfg);
    /* The group's own advertisements, in its own cache (PROTOCOLS.md 10.3). */
    if (err == 0)
        err = jxta_discovery_publish(g->disc, g->pga, JXTA_CM_FOREVER,
                                     JXTA_CM_DEFAULT_EXPIRATION_MS);
    if (err == 0)
        err = jxta_discovery_publish(g->disc, g->pa, JXTA_CM_FOREVER,
                                     JXTA_CM_DEFAULT_EXPIRATION_MS);
    if (err < 0) {
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_WARN, "group", "services of group %s could not start: %s",
                 jxta_id_str(&g->id, &t), jxta_strerror(err));
        stop_services(g, 1);
    }
    return err;
}

static void group_free(jxta_group_t *g)
{
    jxta_adv_free(g->pga);
    jxta_adv_free(g->pa);
    free(g->children);
    free(g);
}

static jxta_group_t *group_alloc(jxta_endpoint_t *ep, jxta_cm_t *cm, const jxta_id_t *id,
                                 const jxta_adv_t *pga)
{
    jxta_group_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->ep = ep;
    g->cm = cm;
    g->id = *id;
    jxta_timer_init(jxta_endpoint_loop(ep), &g->seek_timer, seek_tick);
    g->seek_timer.data = g;
    if (jxta_adv_clone(pga, &g->pga) < 0) {
        free(g);
        return NULL;
    }
    const char *n = jxta_adv_get(pga, "Name");
    snprintf(g->name, sizeof g->name, "%s", n ? n : "");
    return g;
}

/* ---- implementation and membership ------------------------------------------- */

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The MIA for spec `msid` in the parent's cache (published by the group's
 * creator, or found by a discovery in the parent) that describes the
 * all-purpose group's services, parsed; JXTA_ENOTFOUND if none does. */
static int find_mia(const jxta_group_t *parent, const jxta_id_t *msid, jxta_adv_t **out)
{
    jxta_id_text_t t;
    jxta_cm_result_t *res = NULL;
    size_t n = 0;
    int rc = jxta_cm_search_docs(parent->cm, &parent->id, JXTA_ADV_DIR_ADV, "MSID",
                                 jxta_id_str(msid, &t), 8, JXTA_CM_INCLUDE_PRIVATE, wall_ms(),
                                 &res, &n);
    *out = NULL;
    for (size_t i = 0; rc >= 0 && i < n && !*out; i++) {
        jxta_adv_t *mia = NULL;
        if (jxta_adv_parse_as(res[i].doc, res[i].len, &jxta_adv_type_mia, &mia) == 0 &&
            jxta_group_impl_of_mia(mia, NULL) == JXTA_GROUP_IMPL_STD)
            *out = mia;
        else
            jxta_adv_free(mia);
    }
    jxta_cm_results_free(res, n);
    return *out ? 0 : JXTA_ENOTFOUND;
}

/* Can we run spec `msid`?  The all-purpose spec (*mia NULL), or a spec
 * whose MIA we know (*mia: the caller's). */
static int runnable(const jxta_group_t *parent, const jxta_id_t *msid, jxta_adv_t **mia)
{
    *mia = NULL;
    if (jxta_group_impl_of_msid(msid) == JXTA_GROUP_IMPL_STD)
        return 0;
    return find_mia(parent, msid, mia) == 0 ? 0 : JXTA_EUNSUPPORTED;
}

/* The group's membership, joined with the configured login and attached
 * to the endpoint, so that the first message the group sends already
 * carries our credential (jxta/membership.h). */
static int start_membership(jxta_group_t *g, const jxta_adv_t *mia,
                            const jxta_group_config_t *cfg)
{
    jxta_id_text_t t;
    int rc = jxta_id_is_net_group(&g->id) ? jxta_membership_new_none(&g->id, &g->mship)
                                          : jxta_membership_from_pga(g->pga, mia, &g->mship);
    if (rc == 0 && jxta_membership_kind(g->mship) != JXTA_MEMBERSHIP_NONE) {
        if (!cfg->identity || !cfg->password)
            rc = jxta__reject(JXTA_EACCES, "group", "group %s needs a login (identity and "
                                                    "password)", jxta_id_str(&g->id, &t));
        else
            rc = jxta_membership_join(g->mship, jxta_endpoint_peer_id(g->ep), cfg->identity,
                                      cfg->password);
    }
    if (rc == 0) {
        jxta_membership_set_lenient(g->mship, cfg->lenient);
        rc = jxta_membership_attach(g->mship, g->ep);
    }
    if (rc < 0) {
        jxta_log(JXTA_LOG_WARN, "group", "membership of group %s refused: %s",
                 jxta_id_str(&g->id, &t), jxta_strerror(rc));
        jxta_membership_free(g->mship);
        g->mship = NULL;
    }
    return rc;
}

/* Our route in the groups below g, redone for a new Net group
 * rendezvous when we have no listening address (see advertised_route). */
static void refresh_routes(jxta_group_t *g)
{
    for (size_t i = 0; i < g->nchildren; i++) {
        jxta_group_t *c = g->children[i];
        jxta_adv_t *ra = NULL, *old = NULL;
        const char *eas[1];
        if (jxta_pa_route(c->pa, &old) == 0 && jxta_ra_endpoints(old, eas, 1) == 0 &&
            advertised_route(c, &ra) == 0 && !jxta_adv_equal(ra, old) &&
            jxta_pa_set_route(c->pa, ra) == 0) {
            jxta_rdv_set_local_pa(c->rdv, c->pa);
            jxta_discovery_publish(c->disc, c->pa, JXTA_CM_FOREVER, JXTA_CM_DEFAULT_EXPIRATION_MS);
        }
        jxta_adv_free(ra);
        jxta_adv_free(old);
        refresh_routes(c);
    }
}

static void net_lease_granted(void *ud, const jxta_id_t *rdv, uint64_t lease_ms, int renewal)
{
    jxta_group_t *g = ud;
    if (!renewal)
        refresh_routes(g);
    if (g->user_ev.lease_granted)
        g->user_ev.lease_granted(g->user_ud, rdv, lease_ms, renewal);
}

static void net_lease_lost(void *ud, const jxta_id_t *rdv, const char *reason)
{
    jxta_group_t *g = ud;
    if (g->user_ev.lease_lost)
        g->user_ev.lease_lost(g->user_ud, rdv, reason);
}

static void net_client_connected(void *ud, const jxta_id_t *peer)
{
    jxta_group_t *g = ud;
    if (g->user_ev.client_connected)
        g->user_ev.client_connected(g->user_ud, peer);
}

static void net_client_disconnected(void *ud, const jxta_id_t *peer, const char *reason)
{
    jxta_group_t *g = ud;
    if (g->user_ev.client_disconnected)
        g->user_ev.client_disconnected(g->user_ud, peer, reason);
}

static const jxta_rdv_events_t net_events = {net_lease_granted, net_lease_lost,
                                             net_client_connected, net_client_disconnected};

/* ---- the Net group ------------------------------------------------------------ */

int jxta_group_new_net(jxta_endpoint_t *ep, jxta_cm_t *cm, const char *peer_name,
                       const jxta_group_config_t *cfg, jxta_group_t **out)
{
    if (!ep || !cm || !out)
        return jxta__reject(JXTA_EINVAL, "group", "Net group: endpoint, cache and result needed");
    jxta_group_config_t def;
    if (!cfg) {
        jxta_group_config_default(&def);
        cfg = &def;
    }
    jxta_adv_t *wpga = NULL, *npga = NULL, *ra = NULL;
    jxta_group_t *world = NULL, *net = NULL;
    int rc = jxta_group_world_pga(&wpga);
    if (rc == 0)
        rc = jxta_group_net_pga(&npga);
    if (rc == 0 && (!(world = group_alloc(ep, cm, &jxta_id_world_group, wpga)) ||
                    !(net = group_alloc(ep, cm, &jxta_id_net_group, npga))))
        rc = JXTA_ENOMEM;
    if (rc == 0)
        rc = jxta_pa_new(jxta_endpoint_peer_id(ep), &jxta_id_net_group, peer_name, &net->pa);
    if (rc == 0)
        rc = jxta_endpoint_local_route(ep, &ra);
    if (rc == 0)
        rc = jxta_pa_set_route(net->pa, ra);
    if (rc == 0)
        rc = add_child(world, net);
    jxta_group_config_t ncfg = *cfg;
    if (rc == 0) {
        net->role = cfg->role;
        if (cfg->rdv_events)
            net->user_ev = *cfg->rdv_events;
        net->user_ud = cfg->ud;
        net->relay_events = 1;
        /* relayed, so that a new Net rendezvous refreshes our routes below */
        ncfg.rdv_events = &net_events;
        rc = start_membership(net, NULL, cfg);
    }
    if (rc == 0)
        rc = start_services(net, &ncfg, peer_name);
    jxta_adv_free(wpga);
    jxta_adv_free(npga);
    jxta_adv_free(ra);
    if (rc < 0) {
        if (net)
            group_free(net);
        if (world)
            group_free(world);
        return rc;
    }
    *out = net;
    return 0;
}

/* ---- child groups ----------------------------------------------------------------- */

int jxta_group_create_pga(jxta_group_t *parent, const jxta_id_t *gid, const char *name,
                          const char *desc, const char *const *logins, jxta_adv_t **pga)
{
    if (!parent || !pga || (gid && jxta_id_kind(gid) != JXTA_ID_GROUP))
        return jxta__reject(JXTA_EINVAL, "group", "new group advertisement: bad arguments");
    jxta_id_t id;
    int rc = 0;
    if (gid)
        id = *gid;
    else if ((rc = jxta_id_new_group(&id, &parent->id)) < 0)
        return rc;
    if (jxta_id_is_world_group(&id) || jxta_id_is_net_group(&id))
        return jxta__reject(JXTA_EINVAL, "group", "a child group cannot be the World or Net group");
    if (!logins)
        return jxta_pga_new(&id, jxta_wk_id(JXTA_WK_SPEC_STDGROUP), name, desc, pga);
    /* JXSE's password group: a spec of its own whose MIA is the
     * all-purpose one with the passwd membership, logins in the PGA. */
    size_t n = 0;
    while (logins[n])
        n++;
    jxta_id_t spec;
    jxta_adv_t *std = NULL, *mia = NULL, *a = NULL;
    rc = jxta_id_new_module_spec(&spec, jxta_wk_id(JXTA_WK_CLASS_PEERGROUP));
    if (rc == 0)
        rc = jxta_pga_new(&id, &spec, name, desc, &a);
    if (rc == 0)
        rc = jxta_membership_pga_set_passwd(a, logins, n);
    if (rc == 0)
        rc = jxta_group_std_mia(&std);
    if (rc == 0)
        rc = jxta_membership_mia_passwd(std, &spec, &mia);
    /* the MIA goes in the parent's cache now: joining needs it */
    if (rc == 0 && parent->disc)
        rc = jxta_discovery_publish(parent->disc, mia, JXTA_CM_DEFAULT_LIFETIME_MS,
                                    JXTA_CM_DEFAULT_EXPIRATION_MS);
    jxta_adv_free(std);
    jxta_adv_free(mia);
    if (rc < 0) {
        jxta_adv_free(a);
        return rc;
    }
    *pga = a;
    return 0;
}

int jxta_group_publish_pga(jxta_group_t *parent, const jxta_adv_t *pga)
{
    if (!parent || !pga || !parent->disc)
        return jxta__reject(JXTA_EINVAL, "group", "publish: a group with discovery and a PGA needed");
    if (jxta_adv_type(pga) != &jxta_adv_type_pga)
        return jxta__reject(JXTA_EADVTYPE, "group", "publish: <%s> is not a jxta:PGA",
                            jxta_adv_type_name(pga));
    int rc = jxta_discovery_publish(parent->disc, pga, JXTA_CM_DEFAULT_LIFETIME_MS,
                                    JXTA_CM_DEFAULT_EXPIRATION_MS);
    jxta_id_t msid;
    jxta_adv_t *mia = NULL;
    if (rc == 0 && jxta_adv_get_id(pga, "MSID", &msid) == 0 &&
        jxta_group_impl_of_msid(&msid) == JXTA_GROUP_IMPL_UNKNOWN)
        find_mia(parent, &msid, &mia);
    for (int i = 0; rc == 0 && i < 2; i++) {
        const jxta_adv_t *adv = i == 0 ? mia : pga;
        if (!adv)
            continue;
        int rrc = jxta_discovery_remote_publish(parent->disc, adv, JXTA_CM_DEFAULT_EXPIRATION_MS);
        /* no rendezvous yet: the SRDI push after the lease makes it findable */
        if (rrc < 0 && rrc != JXTA_EUNREACH)
            rc = rrc;
    }
    jxta_adv_free(mia);
    return rc;
}

int jxta_group_find_impl(jxta_group_t *parent, const jxta_adv_t *pga)
{
    jxta_id_t msid;
    if (!parent || !pga || !parent->disc)
        return jxta__reject(JXTA_EINVAL, "group", "find_impl: a group with discovery and a PGA "
                                                  "needed");
    if (jxta_adv_type(pga) != &jxta_adv_type_pga)
        return jxta__reject(JXTA_EADVTYPE, "group", "find_impl: <%s> is not a jxta:PGA",
                            jxta_adv_type_name(pga));
    int rc = jxta_adv_get_id(pga, "MSID", &msid);
    if (rc < 0)
        return jxta__reject(rc, "group", "find_impl: PGA without a valid MSID");
    jxta_adv_t *mia = NULL;
    if (runnable(parent, &msid, &mia) == 0) {
        jxta_adv_free(mia);
        return 0;
    }
    jxta_id_text_t t;
    rc = jxta_discovery_query(parent->disc, JXTA_ADV_DIR_ADV, "MSID", jxta_id_str(&msid, &t), 5,
                              NULL, NULL);
    return rc < 0 ? rc : JXTA_ENOTFOUND;
}

int jxta_group_join(jxta_group_t *parent, const jxta_adv_t *pga, const jxta_group_config_t *cfg,
                    jxta_group_t **out)
{
    if (!parent || !pga || !out)
        return jxta__reject(JXTA_EINVAL, "group", "join: parent, PGA and result needed");
    if (!parent->pa)
        return jxta__reject(JXTA_EINVAL, "group", "join: groups are joined below the Net group");
    if (jxta_adv_type(pga) != &jxta_adv_type_pga)
        return jxta__reject(JXTA_EADVTYPE, "group", "join: <%s> is not a jxta:PGA",
                            jxta_adv_type_name(pga));
    jxta_id_t gid, msid;
    jxta_id_text_t t;
    int rc = jxta_adv_get_id(pga, "GID", &gid);
    if (rc == 0)
        rc = jxta_adv_get_id(pga, "MSID", &msid);
    if (rc < 0)
        return jxta__reject(rc, "group", "join: PGA without a valid GID or MSID");
    if (jxta_id_kind(&gid) != JXTA_ID_GROUP || jxta_id_is_world_group(&gid) ||
        jxta_id_is_net_group(&gid))
        return jxta__reject(JXTA_EINVAL, "group", "join: %s is not a child group ID",
                            jxta_id_str(&gid, &t));
    if (find_in(root_of(parent), &gid))
        return jxta__reject(JXTA_EEXIST, "group", "join: group %s is already joined",
                            jxta_id_str(&gid, &t));
    jxta_adv_t *mia = NULL;
    if ((rc = runnable(parent, &msid, &mia)) < 0) {
        jxta_id_text_t t2;
        return jxta__reject(rc, "group", "join: group %s has implementation %s, which we cannot run",
                            jxta_id_str(&gid, &t), jxta_id_str(&msid, &t2));
    }
    jxta_group_config_t def;
    if (!cfg) {
        jxta_group_config_default(&def);
        cfg = &def;
    }
    jxta_group_t *g = group_alloc(parent->ep, parent->cm, &gid, pga);
    if (!g) {
        jxta_adv_free(mia);
        return JXTA_ENOMEM;
    }
    g->role = cfg->role;
    g->parent = parent; /* the services look up the parent (rendezvous finding) */
    rc = jxta_group_pa_in(parent->pa, &gid, &g->pa);
    /* the route in our PA (sent in lease grants and requests) is the one
     * we advertise: JXSE accepts a lease only from the route it was told */
    jxta_adv_t *ra = NULL;
    if (rc == 0 && (rc = advertised_route(g, &ra)) == 0)
        rc = jxta_pa_set_route(g->pa, ra);
    jxta_adv_free(ra);
    if (rc == 0)
        rc = start_membership(g, mia, cfg);
    jxta_adv_free(mia);
    if (rc == 0)
        rc = start_services(g, cfg, jxta_adv_get(parent->pa, "Name"));
    if (rc == 0 && (rc = add_child(parent, g)) < 0)
        stop_services(g, 1);
    if (rc < 0) {
        group_free(g);
        return rc;
    }
    jxta_log(JXTA_LOG_INFO, "group", "joined group %s (%s) as %s", jxta_id_str(&gid, &t), g->name,
             cfg->role == JXTA_RDV_RENDEZVOUS ? "rendezvous" : "edge");
    *out = g;
    return 0;
}

int jxta_group_leave(jxta_group_t *g)
{
    if (!g)
        return 0;
    jxta_id_text_t t;
    if (g->nchildren)
        return jxta__reject(JXTA_EBUSY, "group", "group %s still has %zu joined children: leave "
                                                 "them first",
                            jxta_id_str(&g->id, &t), g->nchildren);
    stop_services(g, 0);
    jxta_group_t *parent = g->parent;
    remove_child(parent, g);
    group_free(g);
    if (parent && !parent->parent) /* the World group goes with the Net group */
        group_free(parent);
    return 0;
}

void jxta_group_discard(jxta_group_t *g)
{
    if (!g)
        return;
    while (g->nchildren)
        jxta_group_discard(g->children[g->nchildren - 1]);
    stop_services(g, 1);
    jxta_group_t *parent = g->parent;
    remove_child(parent, g);
    group_free(g);
    if (parent && !parent->parent)
        group_free(parent);
}

/* ---- accessors ------------------------------------------------------------------- */

const jxta_id_t *jxta_group_id(const jxta_group_t *g)
{
    return &g->id;
}

const char *jxta_group_name(const jxta_group_t *g)
{
    return g->name;
}

jxta_group_t *jxta_group_parent(const jxta_group_t *g)
{
    return g->parent;
}

const jxta_adv_t *jxta_group_pga(const jxta_group_t *g)
{
    return g->pga;
}

const jxta_adv_t *jxta_group_pa(const jxta_group_t *g)
{
    return g->pa;
}

jxta_endpoint_t *jxta_group_endpoint(const jxta_group_t *g)
{
    return g->ep;
}

jxta_cm_t *jxta_group_cm(const jxta_group_t *g)
{
    return g->cm;
}

jxta_rdv_t *jxta_group_rdv(const jxta_group_t *g)
{
    return g->rdv;
}

jxta_propagate_t *jxta_group_propagate(const jxta_group_t *g)
{
    return g->prop;
}

jxta_resolver_t *jxta_group_resolver(const jxta_group_t *g)
{
    return g->res;
}

jxta_route_resolver_t *jxta_group_route_resolver(const jxta_group_t *g)
{
    return g->route;
}

jxta_peerview_t *jxta_group_peerview(const jxta_group_t *g)
{
    return g->pv;
}

jxta_discovery_t *jxta_group_discovery(const jxta_group_t *g)
{
    return g->disc;
}

jxta_pipes_t *jxta_group_pipes(const jxta_group_t *g)
{
    return g->pipes;
}

jxta_membership_t *jxta_group_membership(const jxta_group_t *g)
{
    return g->mship;
}

size_t jxta_group_child_count(const jxta_group_t *g)
{
    return g->nchildren;
}

jxta_group_t *jxta_group_child(const jxta_group_t *g, size_t i)
{
    return i < g->nchildren ? g->children[i] : NULL;
}

int jxta_group_connected(const jxta_group_t *g)
{
    if (!g->rdv)
        return 0;
    return g->role == JXTA_RDV_RENDEZVOUS || jxta_rdv_has_lease(g->rdv, NULL);
}
