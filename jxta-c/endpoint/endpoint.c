/* endpoint.c - endpoint service: demultiplexing, group mangling and
 * hop-by-hop routing over the TCP transport (see jxta/endpoint.h).
 *
 * Incoming: the transport hands us a message; EndpointDestinationAddress
 * tells the (mangled) service.  "EndpointRouter" messages are unwrapped:
 * for us, they are delivered on the router header's Dest; for another
 * peer, a forwarding peer passes them on over its connection to it.
 * Everything else is delivered directly.
 *
 * Outgoing: tcp:// destinations go straight to a connection to that
 * address (dialled if needed); jxta:// destinations get a router header and
 * go to the best next hop we know.  Tables are small arrays: a peer has a
 * handful of listeners and, even as a rendezvous, a few hundred peers. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <jxta/endpoint.h>

#include "../util/internal.h"
#include "router.h"

#define MAX_ROUTE_EAS 4
#define MAX_ROUTES 4096 /* routes are learnt from anyone's messages: bounded */

struct listener {
    jxta_id_t group;
    char service[JXTA_ADDR_SERVICE_MAX];
    char param[JXTA_ADDR_PARAM_MAX];
    int any_param;
    jxta_ep_listener_fn fn;
    void *ud;
};

struct watcher {
    jxta_ep_conn_fn fn;
    void *ud;
};

struct guard {
    jxta_id_t group;
    jxta_ep_guard_out_fn out;
    jxta_ep_guard_in_fn in;
    void *ud;
};

struct route {
    jxta_id_t peer;
    jxta_addr_t eas[MAX_ROUTE_EAS];
    size_t n;
    jxta_id_t via; /* relaying peer when has_via */
    int has_via;
};

struct jxta_endpoint {
    jxta_loop_t *loop;
    jxta_tcp_t *tcp;
    jxta_id_t self;
    struct listener *ls;
    size_t nls, capls;
    struct watcher *ws;
    size_t nws, capws;
    struct route *routes;
    size_t nroutes, caproutes;
    jxta_id_t *ra_sent; /* peers that have seen our route */
    size_t nra, capra;
    jxta_id_t gateway;
    int has_gateway;
    int forwarding;
    int route_to_dests; /* our RA to each new destination too */
    jxta_ep_route_miss_fn miss_fn;
    void *miss_ud;
    jxta_ep_forward_fail_fn ffail_fn;
    void *ffail_ud;
    struct unreach {
        jxta_ep_unreachable_fn fn;
        void *ud;
    } *unreach;
    size_t nunreach, capunreach;
    struct gone_w {
        jxta_ep_gone_fn fn;
        void *ud;
    } *gone;
    size_t ngone, capgone;
    struct probe *probes; /* dials due (from a timer: never inside a close) */
    size_t nprobes, capprobes;
    jxta_timer_t probe_timer;
    struct guard *guards; /* per-group guards (membership) */
    size_t nguards, capguards;
};

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return JXTA_ENOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}

/* ---- routes ------------------------------------------------------------ */

static struct route *route_find(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    for (size_t i = 0; i < ep->nroutes; i++)
        if (jxta_id_equal(&ep->routes[i].peer, peer))
            return &ep->routes[i];
    return NULL;
}

static struct route *route_get(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    struct route *r = route_find(ep, peer);
    if (r)
        return r;
    if (ep->nroutes == MAX_ROUTES) { /* forget the oldest */
        memmove(&ep->routes[0], &ep->routes[1], (MAX_ROUTES - 1) * sizeof *ep->routes);
        ep->nroutes--;
    }
    if (grow((void **)&ep->routes, &ep->caproutes, ep->nroutes, sizeof *ep->routes) < 0)
        return NULL;
    r = &ep->routes[ep->nroutes++];
    memset(r, 0, sizeof *r);
    r->peer = *peer;
    return r;
}

int jxta_endpoint_learn_route_via(jxta_endpoint_t *ep, const jxta_id_t *peer,
                                  const jxta_id_t *via)
{
    if (jxta_id_equal(peer, &ep->self) || jxta_id_equal(peer, via))
        return JXTA_EINVAL;
    struct route *r = route_get(ep, peer);
    if (!r)
        return JXTA_ENOMEM;
    r->via = *via;
    r->has_via = 1;
    return 0;
}

void jxta_endpoint_on_route_miss(jxta_endpoint_t *ep, jxta_ep_route_miss_fn fn, void *ud)
{
    ep->miss_fn = fn;
    ep->miss_ud = ud;
}

void jxta_endpoint_on_forward_fail(jxta_endpoint_t *ep, jxta_ep_forward_fail_fn fn, void *ud)
{
    ep->ffail_fn = fn;
    ep->ffail_ud = ud;
}

int jxta_endpoint_watch_unreachable(jxta_endpoint_t *ep, jxta_ep_unreachable_fn fn, void *ud)
{
    if (grow((void **)&ep->unreach, &ep->capunreach, ep->nunreach, sizeof *ep->unreach) < 0)
        return JXTA_ENOMEM;
    ep->unreach[ep->nunreach].fn = fn;
    ep->unreach[ep->nunreach].ud = ud;
    ep->nunreach++;
    return 0;
}

void jxta_endpoint_unwatch_unreachable(jxta_endpoint_t *ep, jxta_ep_unreachable_fn fn, void *ud)
{
    for (size_t i = 0; i < ep->nunreach; i++)
        if (ep->unreach[i].fn == fn && ep->unreach[i].ud == ud) {
            ep->unreach[i] = ep->unreach[--ep->nunreach];
            return;
        }
}

void jxta_endpoint_peer_unreachable(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    /* a watcher may unwatch while we iterate: work on a copy */
    size_t n = ep->nunreach;
    struct unreach *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (!copy)
        return;
    memcpy(copy, ep->unreach, n * sizeof *copy);
    for (size_t i = 0; i < n; i++)
        copy[i].fn(copy[i].ud, peer);
    free(copy);
}

/* ---- gone peers ----------------------------------------------------------
 *
 * When the last connection to a peer closes and someone watches for gone
 * peers, its addresses are dialled again at once (a probe, which stays as
 * an ordinary connection if the peer answers).  Every address refusing
 * the dial is the verdict "gone": nothing listens where the peer did, so
 * its process ended.  Any other outcome (up, time-out, unreachable, an
 * address in back-off) says nothing and is left to the caller's own
 * failure detection. */

struct probe {
    jxta_id_t peer;
    size_t next;     /* the next of the route's addresses to dial */
    unsigned resets; /* dials reset, or waits for another dial (see below) */
    uint64_t since;  /* when the connection closed (loop ms) */
};

enum { PROBE_RESETS = 3, PROBE_RESET_MS = 20 };

int jxta_endpoint_watch_gone(jxta_endpoint_t *ep, jxta_ep_gone_fn fn, void *ud)
{
    if (grow((void **)&ep->gone, &ep->capgone, ep->ngone, sizeof *ep->gone) < 0)
        return JXTA_ENOMEM;
    ep->gone[ep->ngone].fn = fn;
    ep->gone[ep->ngone].ud = ud;
    ep->ngone++;
    return 0;
}

void jxta_endpoint_unwatch_gone(jxta_endpoint_t *ep, jxta_ep_gone_fn fn, void *ud)
{
    for (size_t i = 0; i < ep->ngone; i++)
        if (ep->gone[i].fn == fn && ep->gone[i].ud == ud) {
            ep->gone[i] = ep->gone[--ep->ngone];
            return;
        }
}

static void notify_gone(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_INFO, "endpoint", "peer %s is gone: connection closed, redial refused",
             jxta_id_str(peer, &t));
    size_t n = ep->ngone;
    struct gone_w *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (!copy)
        return;
    memcpy(copy, ep->gone, n * sizeof *copy); /* a watcher may unwatch meanwhile */
    for (size_t i = 0; i < n; i++)
        copy[i].fn(copy[i].ud, peer);
    free(copy);
}

/* Dial the probe's next address, the connection carrying the probe (a
 * copy of it, freed when the connection comes up or fails).  With no
 * address left, every one refused: gone. */
static void probe_queue(jxta_endpoint_t *ep, const struct probe *pr, uint64_t delay_ms);

static void probe_dial(jxta_endpoint_t *ep, const struct probe *pr)
{
    struct route *r = route_find(ep, &pr->peer);
    if (!r || pr->next >= r->n) {
        if (r && pr->next > 0)
            notify_gone(ep, &pr->peer);
        return;
    }
    const jxta_addr_t *a = &r->eas[pr->next];
    struct probe again = *pr;
    jxta_tcp_conn_t *c = jxta_tcp_conn_for_addr(ep->tcp, a);
    if (c) {
        /* up: alive.  Being dialled (a send got there first): its outcome
         * is the answer, look again in a moment */
        if (!jxta_tcp_conn_is_up(c) && ++again.resets < PROBE_RESETS)
            probe_queue(ep, &again, PROBE_RESET_MS);
        return;
    }
    int rc = jxta_tcp_connect(ep->tcp, a, &c);
    uint64_t when = 0;
    if (rc == JXTA_EBUSY && jxta_tcp_dial_failure(ep->tcp, a, &when) == JXTA_EREFUSED &&
        when >= pr->since) {
        /* in back-off because a dial since the close was refused: as good
         * as our own */
        again.next++;
        again.resets = 0;
        probe_dial(ep, &again);
        return;
    }
    struct probe *mine = rc == 0 ? malloc(sizeof *mine) : NULL;
    if (!mine) { /* in back-off for an older failure: no verdict */
        if (rc == 0)
            jxta_tcp_close(c, JXTA_ENOMEM);
        jxta_log(JXTA_LOG_DEBUG, "endpoint", "no probe of %s: %s", a->host,
                 jxta_strerror(rc < 0 ? rc : JXTA_ENOMEM));
        return;
    }
    *mine = *pr;
    jxta_tcp_conn_set_data(c, mine);
}

int jxta_endpoint_probe(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    jxta_tcp_conn_t *c = jxta_tcp_conn_for_peer(ep->tcp, peer);
    if (c && jxta_tcp_conn_is_up(c))
        return 0;
    struct route *r = route_find(ep, peer);
    if (!r || r->n == 0)
        return JXTA_ENOTFOUND;
    struct probe first = {*peer, 0, 0, jxta_loop_now(ep->loop)};
    probe_queue(ep, &first, 0);
    return 0;
}

static void probes_run(jxta_timer_t *t)
{
    jxta_endpoint_t *ep = t->data;
    size_t n = ep->nprobes;
    struct probe *v = ep->probes;
    ep->probes = NULL; /* dials may queue more: for the next round */
    ep->nprobes = ep->capprobes = 0;
    for (size_t i = 0; i < n && ep->ngone; i++)
        probe_dial(ep, &v[i]);
    free(v);
}

/* Queue a dial (run from a timer: a connection's close is no place to
 * open another), after `delay_ms`. */
static void probe_queue(jxta_endpoint_t *ep, const struct probe *pr, uint64_t delay_ms)
{
    if (grow((void **)&ep->probes, &ep->capprobes, ep->nprobes, sizeof *ep->probes) < 0)
        return;
    ep->probes[ep->nprobes++] = *pr;
    if (!jxta_timer_active(&ep->probe_timer))
        jxta_timer_start(&ep->probe_timer, delay_ms);
}

static void route_add_ea(jxta_endpoint_t *ep, const jxta_id_t *peer, const jxta_addr_t *ea)
{
    char host[JXTA_ADDR_HOST_MAX];
    uint16_t port;
    if (jxta_addr_tcp_hostport(ea, host, sizeof host, &port) < 0 || port == 0 ||
        jxta_id_equal(peer, &ep->self))
        return;
    struct route *r = route_get(ep, peer);
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        if (jxta_addr_same_endpoint(&r->eas[i], ea))
            return;
    if (r->n == MAX_ROUTE_EAS)
        memmove(&r->eas[0], &r->eas[1], (MAX_ROUTE_EAS - 1) * sizeof r->eas[0]);
    else
        r->n++;
    jxta_addr_with_service(&r->eas[r->n - 1], ea, NULL, NULL);
}

int jxta_endpoint_learn_route(jxta_endpoint_t *ep, const jxta_adv_t *ra)
{
    jxta_id_t dst;
    int rc = jxta_adv_get_id(ra, "DstPID", &dst);
    if (rc < 0)
        return rc;
    const char *eas[16];
    size_t n = jxta_ra_endpoints(ra, eas, 16), usable = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        jxta_addr_t a;
        char host[JXTA_ADDR_HOST_MAX];
        uint16_t port;
        if (jxta_addr_from_string(&a, eas[i]) == 0 &&
            jxta_addr_tcp_hostport(&a, host, sizeof host, &port) == 0 && port) {
            route_add_ea(ep, &dst, &a);
            usable++;
        }
    }
    /* No address of its own: reachable through its first hop (its
     * rendezvous), whose addresses we learn too. */
    jxta_id_t hop;
    const jxta_xml_node_t *apa;
    if (!usable && jxta_ra_hop_count(ra) > 0 && jxta_ra_hop(ra, 0, &hop, &apa) == 0 &&
        !jxta_id_equal(&hop, &ep->self)) {
        const char *heas[8];
        size_t hn = jxta_apa_endpoints(apa, heas, 8);
        for (size_t i = 0; i < hn && i < 8; i++) {
            jxta_addr_t a;
            if (jxta_addr_from_string(&a, heas[i]) == 0 && strcmp(a.proto, "tcp") == 0)
                route_add_ea(ep, &hop, &a);
        }
        jxta_endpoint_learn_route_via(ep, &dst, &hop);
    }
    return 0;
}

int jxta_endpoint_local_route(jxta_endpoint_t *ep, jxta_adv_t **ra)
{
    char pub[JXTA_ADDR_TEXT_MAX], host[JXTA_ADDR_HOST_MAX];
    uint16_t port = 0;
    const jxta_addr_t *pa = jxta_tcp_public_addr(ep->tcp);
    jxta_addr_format(pa, pub, sizeof pub);
    jxta_addr_tcp_hostport(pa, host, sizeof host, &port);
    const char *eas[1] = {pub};
    /* Only addresses where we really accept connections go in the route. */
    return jxta_ra_new(&ep->self, eas, port ? 1 : 0, ra);
}

static int ra_sent_to(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    for (size_t i = 0; i < ep->nra; i++)
        if (jxta_id_equal(&ep->ra_sent[i], peer))
            return 1;
    return 0;
}

static void ra_remember(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    if (grow((void **)&ep->ra_sent, &ep->capra, ep->nra, sizeof *ep->ra_sent) == 0)
        ep->ra_sent[ep->nra++] = *peer;
}

static void ra_forget(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    for (size_t i = 0; i < ep->nra; i++)
        if (jxta_id_equal(&ep->ra_sent[i], peer)) {
            ep->ra_sent[i] = ep->ra_sent[--ep->nra];
            return;
        }
}

/* ---- group guards ------------------------------------------------------ */

static struct guard *guard_find(jxta_endpoint_t *ep, const jxta_id_t *group)
{
    for (size_t i = 0; i < ep->nguards; i++)
        if (jxta_id_equal(&ep->guards[i].group, group))
            return &ep->guards[i];
    return NULL;
}

int jxta_endpoint_set_group_guard(jxta_endpoint_t *ep, const jxta_id_t *group,
                                  jxta_ep_guard_out_fn out, jxta_ep_guard_in_fn in, void *ud)
{
    if (!ep || !group)
        return JXTA_EINVAL;
    if (guard_find(ep, group))
        return JXTA_EEXIST;
    if (grow((void **)&ep->guards, &ep->capguards, ep->nguards, sizeof *ep->guards) < 0)
        return JXTA_ENOMEM;
    ep->guards[ep->nguards++] = (struct guard){*group, out, in, ud};
    return 0;
}

int jxta_endpoint_clear_group_guard(jxta_endpoint_t *ep, const jxta_id_t *group)
{
    struct guard *g = ep && group ? guard_find(ep, group) : NULL;
    if (!g)
        return JXTA_ENOTFOUND;
    *g = ep->guards[--ep->nguards];
    return 0;
}

/* ---- listeners and delivery --------------------------------------------- */

static struct listener *listener_find(jxta_endpoint_t *ep, const jxta_id_t *group,
                                      const char *service, const char *param, int any)
{
    for (size_t i = 0; i < ep->nls; i++) {
        struct listener *l = &ep->ls[i];
        if (jxta_id_equal(&l->group, group) && strcmp(l->service, service) == 0 &&
            l->any_param == any && (any || strcmp(l->param, param) == 0))
            return l;
    }
    return NULL;
}

int jxta_endpoint_listen(jxta_endpoint_t *ep, const jxta_id_t *group, const char *service,
                         const char *param, jxta_ep_listener_fn fn, void *ud)
{
    if (!service || !*service || !fn || strlen(service) >= JXTA_ADDR_SERVICE_MAX ||
        (param && strlen(param) >= JXTA_ADDR_PARAM_MAX))
        return JXTA_EINVAL;
    if (listener_find(ep, group, service, param ? param : "", !param))
        return JXTA_EEXIST;
    if (grow((void **)&ep->ls, &ep->capls, ep->nls, sizeof *ep->ls) < 0)
        return JXTA_ENOMEM;
    struct listener *l = &ep->ls[ep->nls++];
    memset(l, 0, sizeof *l);
    l->group = *group;
    snprintf(l->service, sizeof l->service, "%s", service);
    snprintf(l->param, sizeof l->param, "%s", param ? param : "");
    l->any_param = !param;
    l->fn = fn;
    l->ud = ud;
    return 0;
}

int jxta_endpoint_unlisten(jxta_endpoint_t *ep, const jxta_id_t *group, const char *service,
                           const char *param)
{
    struct listener *l = listener_find(ep, group, service, param ? param : "", !param);
    if (!l)
        return JXTA_ENOTFOUND;
    *l = ep->ls[--ep->nls];
    return 0;
}

/* `wire`: m arrived from the network (the group's guard, if any, checks it). */
static int deliver(jxta_endpoint_t *ep, jxta_msg_t *m, const jxta_id_t *group,
                   const jxta_addr_t *src, const jxta_addr_t *dst, const jxta_id_t *src_peer,
                   int routed, int wire)
{
    struct guard *g = wire ? guard_find(ep, group) : NULL;
    if (g && g->in) {
        jxta_ep_info_t ginfo = {group, src, dst, src_peer, routed};
        int rc = g->in(g->ud, m, &ginfo);
        if (rc < 0)
            return rc;
    }
    /* JXSE's order: service/param, service with any param, service+param. */
    struct listener *l = listener_find(ep, group, dst->service, dst->param, 0);
    if (!l)
        l = listener_find(ep, group, dst->service, "", 1);
    if (!l && dst->param[0]) {
        char cat[JXTA_ADDR_SERVICE_MAX + JXTA_ADDR_PARAM_MAX];
        snprintf(cat, sizeof cat, "%s%s", dst->service, dst->param);
        l = listener_find(ep, group, cat, "", 0);
        if (!l)
            l = listener_find(ep, group, cat, "", 1);
    }
    if (!l) {
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_DEBUG, "endpoint", "no listener for %s/%s in group %s; dropped",
                 dst->service, dst->param, jxta_id_str(group, &t));
        return JXTA_ENOTFOUND;
    }
    jxta_ep_info_t info = {group, src, dst, src_peer, routed};
    l->fn(l->ud, m, &info);
    return 0;
}

int jxta_endpoint_deliver(jxta_endpoint_t *ep, const jxta_id_t *group, jxta_msg_t *m,
                          const jxta_addr_t *src, const jxta_addr_t *dst,
                          const jxta_id_t *src_peer, int routed)
{
    return deliver(ep, m, group, src, dst, src_peer, routed, 0);
}

/* ---- connections ------------------------------------------------------- */

static void notify(jxta_endpoint_t *ep, const jxta_id_t *peer, int up, int err)
{
    /* copy: a watcher may unwatch while we iterate */
    size_t n = ep->nws;
    struct watcher small[16], *ws = n <= 16 ? small : malloc(n * sizeof *ws);
    if (!ws) {
        jxta_log(JXTA_LOG_ERROR, "endpoint", "out of memory: connection change not reported");
        return;
    }
    if (n)
        memcpy(ws, ep->ws, n * sizeof ws[0]);
    for (size_t i = 0; i < n; i++)
        ws[i].fn(ws[i].ud, peer, up, err);
    if (ws != small)
        free(ws);
}

int jxta_endpoint_watch(jxta_endpoint_t *ep, jxta_ep_conn_fn fn, void *ud)
{
    if (grow((void **)&ep->ws, &ep->capws, ep->nws, sizeof *ep->ws) < 0)
        return JXTA_ENOMEM;
    ep->ws[ep->nws].fn = fn;
    ep->ws[ep->nws].ud = ud;
    ep->nws++;
    return 0;
}

void jxta_endpoint_unwatch(jxta_endpoint_t *ep, jxta_ep_conn_fn fn, void *ud)
{
    for (size_t i = 0; i < ep->nws; i++)
        if (ep->ws[i].fn == fn && ep->ws[i].ud == ud) {
            ep->ws[i] = ep->ws[--ep->nws];
            return;
        }
}

static void on_conn_up(void *ud, jxta_tcp_conn_t *c)
{
    jxta_endpoint_t *ep = ud;
    const jxta_id_t *peer = jxta_tcp_conn_peer(c);
    free(jxta_tcp_conn_data(c)); /* a probe: the peer is there */
    jxta_tcp_conn_set_data(c, NULL);
    route_add_ea(ep, peer, jxta_tcp_conn_remote_public(c));
    notify(ep, peer, 1, 0);
}

static void on_conn_down(void *ud, jxta_tcp_conn_t *c, int err)
{
    jxta_endpoint_t *ep = ud;
    const jxta_id_t *peer = jxta_tcp_conn_peer(c);
    struct probe *pr = jxta_tcp_conn_data(c);
    if (pr) {
        jxta_tcp_conn_set_data(c, NULL);
        if (err == JXTA_EREFUSED && ep->ngone) { /* the next address, or the verdict */
            pr->next++;
            pr->resets = 0;
            probe_queue(ep, pr, 0);
        } else if ((err == JXTA_EIO || err == JXTA_ECLOSED || err == JXTA_ETRUNC) && ep->ngone &&
                   ++pr->resets < PROBE_RESETS) {
            /* reset before any welcome: a dying process whose listening
             * socket had not closed yet when its connections did - dial
             * that address again in a moment */
            probe_queue(ep, pr, PROBE_RESET_MS);
        }
        free(pr);
    }
    if (jxta_id_is_null(peer))
        return; /* never came up: nobody knew this peer through it */
    ra_forget(ep, peer);
    if (!jxta_tcp_conn_for_peer(ep->tcp, peer)) {
        if (ep->ngone && route_find(ep, peer)) {
            struct probe first = {*peer, 0, 0, jxta_loop_now(ep->loop)};
            probe_queue(ep, &first, 0);
        }
        notify(ep, peer, 0, err);
    }
}

/* The address to put in EndpointDestinationAddress towards a connection. */
static void conn_addr(jxta_tcp_conn_t *c, jxta_addr_t *out)
{
    const jxta_addr_t *d = jxta_tcp_conn_dialled(c);
    *out = d ? *d : *jxta_tcp_conn_remote_public(c);
}

static int router_hop_dest(jxta_tcp_conn_t *c, const jxta_id_t *router_group, jxta_addr_t *out)
{
    jxta_addr_t base, plain;
    conn_addr(c, &base);
    int rc = jxta_addr_with_service(&plain, &base, JXTA_ROUTER_SERVICE, NULL);
    return rc < 0 ? rc : jxta_addr_mangle(out, &plain, router_group);
}

/* Put a router header on m (replacing any) and send it to connection c. */
static int send_with_erm(jxta_tcp_conn_t *c, jxta_msg_t *m, const jxta_id_t *router_group,
                         const jxta_addr_t *src, const jxta_addr_t *dest,
                         const jxta_addr_t *last, const jxta_id_t *rvs, const jxta_adv_t *ra,
                         jxta_tcp_sent_cb cb, void *ud)
{
    jxta_addr_t hop;
    jxta_buf_t x = JXTA_BUF_INIT;
    int rc = jxta__erm_write(src, dest, last, rvs, ra, &x);
    if (rc == 0) {
        jxta_msg_remove(m, "jxta", JXTA_ERM_ELEMENT);
        rc = jxta_msg_add(m, "jxta", JXTA_ERM_ELEMENT, JXTA_MSG_MIME_XML, x.data, x.len);
    }
    jxta_buf_free(&x);
    if (rc == 0)
        rc = router_hop_dest(c, router_group, &hop);
    if (rc == 0)
        rc = jxta_tcp_send(c, m, &hop, cb, ud);
    return rc;
}

/* A group ID from its unique value ("jxta-NetGroup", "uuid-...02"). */
static int group_from_uv(const char *uv, jxta_id_t *group)
{
    char urn[JXTA_ADDR_SERVICE_MAX + 16];
    snprintf(urn, sizeof urn, "urn:jxta:%s", uv);
    int rc = jxta_id_parse(group, urn, strlen(urn), JXTA_ID_PARSE_LENIENT);
    return rc == 0 && jxta_id_kind(group) != JXTA_ID_GROUP ? JXTA_EBADID : rc;
}

static int next_hop(jxta_endpoint_t *ep, const jxta_id_t *peer, jxta_tcp_conn_t **out,
                    jxta_id_t *hop_peer);

static void forward(jxta_endpoint_t *ep, jxta_msg_t *m, jxta_erm_t *erm,
                    const jxta_id_t *router_group)
{
    jxta_id_text_t t;
    /* A live connection to the destination, else a route learnt for it
     * (through another rendezvous of the view that serves it); never back
     * to the peer that handed us the message. */
    jxta_tcp_conn_t *c = NULL;
    jxta_id_t hop;
    if (ep->forwarding && next_hop(ep, &erm->dest_peer, &c, &hop) == 0 &&
        (jxta_id_equal(&hop, &erm->last_peer) || jxta_id_equal(&hop, &erm->src_peer)))
        c = NULL;
    if (!ep->forwarding || !c) {
        jxta_log(JXTA_LOG_DEBUG, "endpoint", "cannot forward to %s: %s",
                 jxta_id_str(&erm->dest_peer, &t), ep->forwarding ? "no connection" : "not a relay");
        if (ep->forwarding && ep->ffail_fn) /* the route resolver tells the sender (NACK) */
            ep->ffail_fn(ep->ffail_ud, &erm->src_peer, &erm->dest_peer);
        return;
    }
    jxta_addr_t self;
    jxta_addr_for_peer(&self, &ep->self, NULL, NULL);
    int rc = send_with_erm(c, m, router_group, &erm->src, &erm->dest, &self, &ep->self, erm->ra,
                           NULL, NULL);
    if (rc < 0)
        jxta_log(JXTA_LOG_INFO, "endpoint", "forwarding to %s failed: %s",
                 jxta_id_str(&erm->dest_peer, &t), jxta_strerror(rc));
}

static void router_in(jxta_endpoint_t *ep, jxta_tcp_conn_t *c, jxta_msg_t *m,
                      const jxta_id_t *router_group)
{
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", JXTA_ERM_ELEMENT);
    if (!e) {
        jxta_log(JXTA_LOG_INFO, "endpoint", "router message without %s; dropped",
                 JXTA_ERM_ELEMENT);
        return;
    }
    size_t len;
    const uint8_t *body = jxta_msg_elem_body(e, &len);
    jxta_erm_t erm;
    if (jxta__erm_parse(body, len, &erm) < 0)
        return; /* logged by the parser */
    if (erm.ra)
        jxta_endpoint_learn_route(ep, erm.ra);
    if (jxta_id_equal(&erm.src_peer, &ep->self) || jxta_id_equal(&erm.last_peer, &ep->self)) {
        jxta_log(JXTA_LOG_DEBUG, "endpoint", "routed message looped back to us; dropped");
    } else if (!jxta_id_equal(&erm.dest_peer, &ep->self)) {
        forward(ep, m, &erm, router_group);
    } else {
        jxta_msg_remove(m, "jxta", JXTA_ERM_ELEMENT);
        jxta_addr_t dst;
        jxta_id_t group = *router_group;
        char uv[JXTA_ADDR_SERVICE_MAX];
        int rc = jxta_addr_demangle(&dst, &erm.dest, uv, sizeof uv);
        if (rc == 1)
            rc = group_from_uv(uv, &group);
        if (rc < 0)
            jxta_log(JXTA_LOG_INFO, "endpoint", "routed message with bad destination; dropped");
        else
            deliver(ep, m, &group, &erm.src, &dst, &erm.src_peer, 1, 1);
    }
    (void)c;
    jxta__erm_clear(&erm);
}

static int elem_addr(const jxta_msg_t *m, const char *name, jxta_addr_t *out)
{
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", name);
    if (!e)
        return JXTA_EMISSING;
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    return jxta_addr_parse(out, (const char *)b, len);
}

static void on_message(void *ud, jxta_tcp_conn_t *c, jxta_msg_t *m)
{
    jxta_endpoint_t *ep = ud;
    jxta_addr_t dst, src, real;
    if (elem_addr(m, "EndpointDestinationAddress", &dst) < 0) {
        jxta_log(JXTA_LOG_INFO, "endpoint", "message without a valid destination address; "
                                            "dropped (as JXSE does)");
        jxta_msg_free(m);
        return;
    }
    if (elem_addr(m, "EndpointSourceAddress", &src) < 0)
        src = *jxta_tcp_conn_remote_public(c);
    jxta_msg_remove(m, "jxta", "EndpointSourceAddress");
    jxta_msg_remove(m, "jxta", "EndpointDestinationAddress");
    char uv[JXTA_ADDR_SERVICE_MAX];
    jxta_id_t group = jxta_id_world_group;
    int rc = jxta_addr_demangle(&real, &dst, uv, sizeof uv);
    if (rc == 1)
        rc = group_from_uv(uv, &group);
    if (rc < 0) {
        jxta_log(JXTA_LOG_INFO, "endpoint", "bad destination service '%s'; dropped", dst.service);
    } else if (strcmp(real.service, JXTA_ROUTER_SERVICE) == 0) {
        router_in(ep, c, m, &group);
    } else {
        deliver(ep, m, &group, &src, &real, jxta_tcp_conn_peer(c), 0, 1);
    }
    jxta_msg_free(m);
}

/* ---- sending ----------------------------------------------------------- */

static int conn_to_addr(jxta_endpoint_t *ep, const jxta_addr_t *a, jxta_tcp_conn_t **out)
{
    jxta_tcp_conn_t *c = jxta_tcp_conn_for_addr(ep->tcp, a);
    if (c) {
        *out = c;
        return 0;
    }
    return jxta_tcp_connect(ep->tcp, a, out);
}

/* Next hop towards `peer`: live connection, known address, gateway. */
static int next_hop(jxta_endpoint_t *ep, const jxta_id_t *peer, jxta_tcp_conn_t **out,
                    jxta_id_t *hop_peer)
{
    jxta_tcp_conn_t *c = jxta_tcp_conn_for_peer(ep->tcp, peer);
    if (c) {
        *hop_peer = *peer;
        *out = c;
        return 0;
    }
    struct route *r = route_find(ep, peer);
    for (size_t i = 0; r && i < r->n; i++) {
        if (conn_to_addr(ep, &r->eas[i], &c) == 0) {
            *hop_peer = *peer;
            *out = c;
            return 0;
        }
    }
    if (r && r->has_via && !jxta_id_equal(&r->via, &ep->self)) {
        c = jxta_tcp_conn_for_peer(ep->tcp, &r->via);
        struct route *vr = c ? NULL : route_find(ep, &r->via);
        for (size_t i = 0; !c && vr && i < vr->n; i++)
            if (conn_to_addr(ep, &vr->eas[i], &c) < 0)
                c = NULL;
        if (c) {
            *hop_peer = r->via;
            *out = c;
            return 0;
        }
    }
    if (ep->has_gateway && !jxta_id_equal(&ep->gateway, peer)) {
        c = jxta_tcp_conn_for_peer(ep->tcp, &ep->gateway);
        if (c) {
            *hop_peer = ep->gateway;
            *out = c;
            return 0;
        }
    }
    return JXTA_EUNREACH;
}

int jxta_endpoint_send(jxta_endpoint_t *ep, const jxta_id_t *group, jxta_msg_t *m,
                       const jxta_addr_t *dest, jxta_tcp_sent_cb cb, void *ud)
{
    int rc;
    jxta_tcp_conn_t *c;
    struct guard *g = guard_find(ep, group);
    if (g && g->out && (rc = g->out(g->ud, m, group)) < 0)
        return rc;
    if (strcmp(dest->proto, "tcp") == 0) {
        jxta_addr_t tdest;
        if (jxta_id_is_world_group(group))
            tdest = *dest;
        else if ((rc = jxta_addr_mangle(&tdest, dest, group)) < 0)
            return rc;
        if ((rc = conn_to_addr(ep, dest, &c)) < 0)
            return rc;
        jxta_msg_remove(m, "jxta", JXTA_ERM_ELEMENT);
        return jxta_tcp_send(c, m, &tdest, cb, ud);
    }
    if (strcmp(dest->proto, "jxta") != 0)
        return JXTA_EINVAL;
    jxta_id_t peer, hop_peer;
    if ((rc = jxta_addr_peer_id(dest, &peer)) < 0)
        return rc;
    if (jxta_id_equal(&peer, &ep->self))
        return JXTA_EINVAL; /* no loopback delivery through the router */
    /* The router lives in the Net group: other groups' services are
     * mangled inside the header's Dest. */
    jxta_addr_t rdest, self;
    const jxta_id_t *router_group = &jxta_id_net_group;
    if (jxta_id_is_net_group(group) || jxta_id_is_world_group(group))
        rdest = *dest;
    else if ((rc = jxta_addr_mangle(&rdest, dest, group)) < 0)
        return rc;
    if ((rc = next_hop(ep, &peer, &c, &hop_peer)) < 0) {
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_DEBUG, "endpoint", "no route to %s", jxta_id_str(&peer, &t));
        if (ep->miss_fn)
            ep->miss_fn(ep->miss_ud, &peer);
        return rc;
    }
    /* Our route goes with the first message to each new gateway, and, when
     * asked, each new destination (PROTOCOLS.md 5.4): a destination reached
     * through a relay learns our addresses from it and answers directly,
     * so the relay carries only the first exchange. */
    jxta_adv_t *ra = NULL;
    int new_hop = !ra_sent_to(ep, &hop_peer);
    int new_dest = ep->route_to_dests && !jxta_id_equal(&hop_peer, &peer) && !ra_sent_to(ep, &peer);
    if (new_hop || new_dest)
        jxta_endpoint_local_route(ep, &ra);
    jxta_addr_for_peer(&self, &ep->self, NULL, NULL);
    rc = send_with_erm(c, m, router_group, &self, &rdest, &self, NULL, ra, cb, ud);
    jxta_adv_free(ra);
    if (rc == 0 && new_hop)
        ra_remember(ep, &hop_peer);
    if (rc == 0 && new_dest)
        ra_remember(ep, &peer);
    return rc;
}

/* ---- blocking send for application threads ----------------------------- */

/* Shared between the waiting thread and the send callback; the last of the
 * two to let go frees it, so a caller that timed out leaves nothing behind. */
struct sync_send {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    int done;
    int status;
    /* the request, read on the loop thread during jxta_loop_call */
    jxta_endpoint_t *ep;
    const jxta_id_t *group;
    jxta_msg_t *m;
    const jxta_addr_t *dest;
};

static void sync_unref(struct sync_send *s)
{
    pthread_mutex_lock(&s->mu);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&s->mu);
    if (last) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
    }
}

static void sync_sent(void *ud, int status)
{
    struct sync_send *s = ud;
    pthread_mutex_lock(&s->mu);
    s->done = 1;
    s->status = status;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    sync_unref(s);
}

static void sync_start(jxta_loop_t *loop, void *arg)
{
    struct sync_send *s = arg;
    (void)loop;
    s->refs++; /* the callback's reference; the caller waits, so no race */
    int rc = jxta_endpoint_send(s->ep, s->group, s->m, s->dest, sync_sent, s);
    if (rc < 0) {
        s->refs--;
        s->done = 1;
        s->status = rc;
    }
}

int jxta_endpoint_send_sync(jxta_endpoint_t *ep, const jxta_id_t *group, jxta_msg_t *m,
                            const jxta_addr_t *dest, int timeout_ms)
{
    struct sync_send *s = calloc(1, sizeof *s);
    if (!s)
        return JXTA_ENOMEM;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->refs = 1;
    s->ep = ep;
    s->group = group;
    s->m = m;
    s->dest = dest;
    struct timespec deadline;
    jxta__deadline_after(&deadline, timeout_ms);
    int rc = jxta_loop_call(ep->loop, sync_start, s, timeout_ms);
    if (rc == 0) {
        pthread_mutex_lock(&s->mu);
        while (!s->done && rc == 0)
            if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT && !s->done)
                rc = JXTA_ETIMEDOUT;
        if (s->done)
            rc = s->status;
        pthread_mutex_unlock(&s->mu);
    } else {
        rc = JXTA_ETIMEDOUT; /* never started */
    }
    sync_unref(s);
    return rc;
}

/* ---- life cycle -------------------------------------------------------- */

int jxta_endpoint_new(jxta_loop_t *loop, const jxta_tcp_config_t *tcp_cfg,
                      jxta_endpoint_t **out)
{
    jxta_endpoint_t *ep = calloc(1, sizeof *ep);
    if (!ep)
        return JXTA_ENOMEM;
    ep->loop = loop;
    ep->self = tcp_cfg->peer_id;
    jxta_timer_init(loop, &ep->probe_timer, probes_run);
    ep->probe_timer.data = ep;
    static const jxta_tcp_events_t ev = {on_conn_up, on_conn_down, on_message};
    int rc = jxta_tcp_new(loop, tcp_cfg, &ev, ep, &ep->tcp);
    if (rc < 0) {
        free(ep);
        return rc;
    }
    *out = ep;
    return 0;
}

void jxta_endpoint_free(jxta_endpoint_t *ep)
{
    if (!ep)
        return;
    ep->nws = 0; /* no notifications (nor probes) while tearing down */
    ep->ngone = 0;
    jxta_timer_stop(&ep->probe_timer);
    jxta_tcp_free(ep->tcp);
    free(ep->gone);
    free(ep->probes);
    free(ep->ls);
    free(ep->ws);
    free(ep->unreach);
    free(ep->routes);
    free(ep->ra_sent);
    free(ep->guards);
    free(ep);
}

const jxta_id_t *jxta_endpoint_peer_id(const jxta_endpoint_t *ep)
{
    return &ep->self;
}

jxta_tcp_t *jxta_endpoint_tcp(jxta_endpoint_t *ep)
{
    return ep->tcp;
}

jxta_loop_t *jxta_endpoint_loop(jxta_endpoint_t *ep)
{
    return ep->loop;
}

void jxta_endpoint_set_gateway(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    ep->has_gateway = peer != NULL;
    if (peer)
        ep->gateway = *peer;
}

int jxta_endpoint_gateway(const jxta_endpoint_t *ep, jxta_id_t *peer)
{
    if (!ep->has_gateway)
        return JXTA_ENOTFOUND;
    *peer = ep->gateway;
    return 0;
}

void jxta_endpoint_set_forwarding(jxta_endpoint_t *ep, int on)
{
    ep->forwarding = on;
}

void jxta_endpoint_set_route_to_destinations(jxta_endpoint_t *ep, int on)
{
    ep->route_to_dests = on;
}

int jxta_endpoint_connected(jxta_endpoint_t *ep, const jxta_id_t *peer)
{
    return jxta_tcp_conn_for_peer(ep->tcp, peer) != NULL;
}
