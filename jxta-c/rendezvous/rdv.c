/* rdv.c - rendezvous leases, edge and rendezvous side (see jxta/rdv.h).
 *
 * Both roles listen on the rendezvous service (the rendezvous class ID
 * URN, any parameter) of their group.  Edge: a lease request goes to one
 * seed at a time, directly (the seed is only a transport address); the
 * renewal goes through the router to the rendezvous' peer ID, as JXSE does.
 * Rendezvous: the client table is a small array; grants and Disconnects
 * go through the router to the client, which finds the connection the
 * client opened.  Timers: edge retry/renew/expire, rendezvous GC. */
#include <stdio.h>
#include <stdlib.h>

#include <jxta/rdv.h>
#include <jxta/wellknown.h>

#include "../util/internal.h"

#define LEASE_MARGIN_MS (5u * 60u * 1000u) /* JXSE renews 5 min before the end */

struct client {
    jxta_id_t peer;
    uint64_t expires;
};

struct jxta_rdv {
    jxta_endpoint_t *ep;
    jxta_loop_t *loop;
    jxta_rdv_config_t cfg;
    jxta_rdv_events_t ev;
    void *ud;
    jxta_adv_t *pa;
    char *pa_xml;
    size_t pa_len;
    char service[JXTA_ID_TEXT_MAX]; /* rendezvous class URN */
    char param[JXTA_ID_TEXT_MAX];   /* group unique value */
    /* edge */
    int has_lease;
    jxta_id_t rdv_peer;
    jxta_adv_t *rdv_route; /* the route in its last grant, or NULL */
    size_t next_seed;
    jxta_timer_t retry, renew, expire;
    /* rendezvous */
    struct client *clients;
    size_t nclients, capclients;
    jxta_timer_t gc;
};

void jxta_rdv_config_default(jxta_rdv_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->role = JXTA_RDV_EDGE;
    cfg->group = jxta_id_net_group;
    cfg->lease_ms = 20u * 60u * 1000u;
    cfg->max_clients = 200;
    cfg->gc_ms = 2u * 60u * 1000u;
    cfg->retry_ms = 15000;
}

/* ---- messages ----------------------------------------------------------- */

static int send_pa_msg(jxta_rdv_t *r, const char *elem, const jxta_addr_t *dest)
{
    jxta_msg_t *m;
    int rc = jxta_msg_new(&m);
    if (rc < 0)
        return rc;
    rc = jxta_msg_add(m, "jxta", elem, JXTA_MSG_MIME_XML, r->pa_xml, r->pa_len);
    if (rc == 0)
        rc = jxta_endpoint_send(r->ep, &r->cfg.group, m, dest, NULL, NULL);
    jxta_msg_free(m);
    return rc;
}

static int peer_dest(jxta_rdv_t *r, const jxta_id_t *peer, jxta_addr_t *out)
{
    return jxta_addr_for_peer(out, peer, r->service, r->param);
}

/* The PA carried in a Connect or Disconnect element; NULL if bad. */
static jxta_adv_t *elem_pa(const jxta_msg_elem_t *e, jxta_id_t *pid)
{
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    jxta_adv_t *pa = NULL;
    if (jxta_adv_parse_as(b, len, &jxta_adv_type_pa, &pa) < 0)
        return NULL;
    if (jxta_adv_get_id(pa, "PID", pid) < 0 || jxta_id_kind(pid) != JXTA_ID_PEER) {
        jxta_log(JXTA_LOG_WARN, "rdv", "peer advertisement without a valid PID; ignored");
        jxta_adv_free(pa);
        return NULL;
    }
    return pa;
}

static void learn_pa_route(jxta_rdv_t *r, const jxta_adv_t *pa)
{
    jxta_adv_t *ra = NULL;
    if (jxta_pa_route(pa, &ra) == 0) {
        jxta_endpoint_learn_route(r->ep, ra);
        jxta_adv_free(ra);
    }
}

/* ---- edge --------------------------------------------------------------- */

static void edge_try_seed(jxta_rdv_t *r)
{
    if (r->has_lease || r->cfg.nseeds == 0)
        return;
    const jxta_addr_t *seed = &r->cfg.seeds[r->next_seed % r->cfg.nseeds];
    r->next_seed++;
    jxta_addr_t dest;
    int rc = jxta_addr_with_service(&dest, seed, r->service, r->param);
    if (rc == 0)
        rc = send_pa_msg(r, "Connect", &dest);
    if (rc < 0) {
        jxta_log(JXTA_LOG_INFO, "rdv", "lease request to %s not sent: %s", seed->host,
                 jxta_strerror(rc));
        /* unreachable now: try the next seed soon, without hammering */
        jxta_timer_start(&r->retry, r->cfg.retry_ms < 1000 ? r->cfg.retry_ms : 1000);
        return;
    }
    jxta_log(JXTA_LOG_DEBUG, "rdv", "lease request sent to %s", seed->host);
    jxta_timer_start(&r->retry, r->cfg.retry_ms);
}

static void edge_lose(jxta_rdv_t *r, const char *reason, int retry)
{
    if (!r->has_lease)
        return;
    jxta_id_t old = r->rdv_peer;
    r->has_lease = 0;
    jxta_timer_stop(&r->renew);
    jxta_timer_stop(&r->expire);
    if (jxta_id_is_net_group(&r->cfg.group)) /* the router is the Net group's */
        jxta_endpoint_set_gateway(r->ep, NULL);
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_INFO, "rdv", "lease from %s lost: %s", jxta_id_str(&old, &t), reason);
    if (r->ev.lease_lost)
        r->ev.lease_lost(r->ud, &old, reason);
    if (retry)
        jxta_timer_start(&r->retry, 0);
}

static void retry_fired(jxta_timer_t *t)
{
    edge_try_seed(t->data);
}

static void renew_fired(jxta_timer_t *t)
{
    jxta_rdv_t *r = t->data;
    jxta_addr_t dest;
    peer_dest(r, &r->rdv_peer, &dest);
    int rc = send_pa_msg(r, "Connect", &dest);
    if (rc < 0)
        jxta_log(JXTA_LOG_INFO, "rdv", "lease renewal not sent: %s", jxta_strerror(rc));
    /* if no grant comes, the expiry timer ends the lease */
}

static void expire_fired(jxta_timer_t *t)
{
    edge_lose(t->data, "expired", 1);
}

static long long elem_ll(const jxta_msg_t *m, const char *name, int *ok)
{
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", name);
    *ok = 0;
    if (!e)
        return 0;
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    char tmp[32];
    if (len == 0 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, b, len);
    tmp[len] = '\0';
    char *end;
    long long v = strtoll(tmp, &end, 10);
    *ok = *end == '\0';
    return v;
}

static void edge_on_grant(jxta_rdv_t *r, jxta_msg_t *m)
{
    const jxta_msg_elem_t *pe = jxta_msg_find(m, "jxta", "ConnectedPeer");
    const jxta_msg_elem_t *ae = jxta_msg_find(m, "jxta", "RdvAdvReply");
    int ok;
    long long lease = elem_ll(m, "ConnectedLease", &ok);
    jxta_id_t rdv;
    size_t len;
    const uint8_t *b = pe ? jxta_msg_elem_body(pe, &len) : NULL;
    if (!pe || !ae || !ok || jxta_id_parse(&rdv, (const char *)b, len, JXTA_ID_PARSE_LENIENT) < 0 ||
        jxta_id_kind(&rdv) != JXTA_ID_PEER) {
        jxta_log(JXTA_LOG_WARN, "rdv", "malformed lease grant ignored");
        return;
    }
    if (r->has_lease && !jxta_id_equal(&rdv, &r->rdv_peer)) {
        jxta_log(JXTA_LOG_DEBUG, "rdv", "second grant from another rendezvous ignored");
        return;
    }
    if (lease <= 0) {
        if (r->has_lease)
            edge_lose(r, "refused", 1);
        return;
    }
    jxta_id_t pid;
    jxta_adv_t *pa = elem_pa(ae, &pid);
    if (pa) {
        learn_pa_route(r, pa);
        jxta_adv_t *ra = NULL;
        if (jxta_pa_route(pa, &ra) == 0) {
            jxta_adv_free(r->rdv_route);
            r->rdv_route = ra;
        }
        jxta_adv_free(pa);
    }
    int renewal = r->has_lease;
    r->has_lease = 1;
    r->rdv_peer = rdv;
    jxta_timer_stop(&r->retry);
    uint64_t l = (uint64_t)lease;
    uint64_t margin = l / 2 < LEASE_MARGIN_MS ? l / 2 : LEASE_MARGIN_MS;
    jxta_timer_start(&r->renew, l - margin);
    jxta_timer_start(&r->expire, l);
    /* Our Net group rendezvous relays routed traffic for us; a child
     * group's rendezvous is reached through that router like anyone else. */
    if (jxta_id_is_net_group(&r->cfg.group))
        jxta_endpoint_set_gateway(r->ep, &rdv);
    if (r->ev.lease_granted)
        r->ev.lease_granted(r->ud, &rdv, l, renewal);
}

static void edge_on_disconnect(jxta_rdv_t *r, const jxta_msg_elem_t *e)
{
    jxta_id_t pid;
    jxta_adv_t *pa = elem_pa(e, &pid);
    if (!pa)
        return;
    jxta_adv_free(pa);
    if (r->has_lease && jxta_id_equal(&pid, &r->rdv_peer))
        edge_lose(r, "disconnected", 1);
}

/* ---- rendezvous ---------------------------------------------------------- */

static struct client *client_find(jxta_rdv_t *r, const jxta_id_t *peer)
{
    for (size_t i = 0; i < r->nclients; i++)
        if (jxta_id_equal(&r->clients[i].peer, peer))
            return &r->clients[i];
    return NULL;
}

static void client_remove(jxta_rdv_t *r, struct client *c, const char *reason, int tell)
{
    jxta_id_t peer = c->peer;
    *c = r->clients[--r->nclients];
    if (tell) {
        jxta_addr_t dest;
        peer_dest(r, &peer, &dest);
        send_pa_msg(r, "Disconnect", &dest); /* best effort */
    }
    if (r->ev.client_disconnected)
        r->ev.client_disconnected(r->ud, &peer, reason);
}

static void rdv_on_connect(jxta_rdv_t *r, const jxta_msg_elem_t *e)
{
    jxta_id_t pid;
    jxta_id_text_t t;
    jxta_adv_t *pa = elem_pa(e, &pid);
    if (!pa)
        return;
    learn_pa_route(r, pa);
    jxta_adv_free(pa);
    struct client *c = client_find(r, &pid);
    int fresh = c == NULL;
    if (fresh) {
        if (r->nclients >= r->cfg.max_clients) {
            jxta_log(JXTA_LOG_WARN, "rdv", "lease request from %s ignored: %zu clients (the "
                                           "maximum)", jxta_id_str(&pid, &t), r->nclients);
            return;
        }
        if (r->nclients == r->capclients) {
            size_t cap = r->capclients ? r->capclients * 2 : 16;
            struct client *p = realloc(r->clients, cap * sizeof *p);
            if (!p)
                return;
            r->clients = p;
            r->capclients = cap;
        }
        c = &r->clients[r->nclients++];
        c->peer = pid;
    }
    c->expires = jxta_loop_now(r->loop) + r->cfg.lease_ms;
    jxta_msg_t *m;
    if (jxta_msg_new(&m) < 0)
        return;
    char lease[24];
    snprintf(lease, sizeof lease, "%llu", (unsigned long long)r->cfg.lease_ms);
    jxta_addr_t dest;
    peer_dest(r, &pid, &dest);
    int rc = jxta_msg_add(m, "jxta", "RdvAdvReply", JXTA_MSG_MIME_XML, r->pa_xml, r->pa_len);
    if (rc == 0)
        rc = jxta_msg_add_text(m, "jxta", "ConnectedPeer",
                               jxta_id_str(jxta_endpoint_peer_id(r->ep), &t));
    if (rc == 0)
        rc = jxta_msg_add_text(m, "jxta", "ConnectedLease", lease);
    if (rc == 0)
        rc = jxta_endpoint_send(r->ep, &r->cfg.group, m, &dest, NULL, NULL);
    jxta_msg_free(m);
    if (rc < 0)
        jxta_log(JXTA_LOG_INFO, "rdv", "lease grant to %s not sent: %s", jxta_id_str(&pid, &t),
                 jxta_strerror(rc));
    if (fresh && r->ev.client_connected)
        r->ev.client_connected(r->ud, &pid);
}

static void rdv_on_disconnect(jxta_rdv_t *r, const jxta_msg_elem_t *e)
{
    jxta_id_t pid;
    jxta_adv_t *pa = elem_pa(e, &pid);
    if (!pa)
        return;
    jxta_adv_free(pa);
    struct client *c = client_find(r, &pid);
    if (c)
        client_remove(r, c, "disconnected", 0);
}

static void gc_fired(jxta_timer_t *t)
{
    jxta_rdv_t *r = t->data;
    uint64_t now = jxta_loop_now(r->loop);
    for (size_t i = 0; i < r->nclients;) {
        if (r->clients[i].expires <= now)
            client_remove(r, &r->clients[i], "expired", 1);
        else
            i++;
    }
    jxta_timer_start(&r->gc, r->cfg.gc_ms);
}

/* ---- wiring -------------------------------------------------------------- */

static void on_message(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    jxta_rdv_t *r = ud;
    (void)info;
    const jxta_msg_elem_t *e;
    if (r->cfg.role == JXTA_RDV_RENDEZVOUS) {
        if ((e = jxta_msg_find(m, "jxta", "Connect")))
            rdv_on_connect(r, e);
        else if ((e = jxta_msg_find(m, "jxta", "Disconnect")))
            rdv_on_disconnect(r, e);
    } else {
        if (jxta_msg_find(m, "jxta", "ConnectedLease"))
            edge_on_grant(r, m);
        else if ((e = jxta_msg_find(m, "jxta", "Disconnect")))
            edge_on_disconnect(r, e);
    }
}

static void on_conn(void *ud, const jxta_id_t *peer, int up, int err)
{
    jxta_rdv_t *r = ud;
    (void)err;
    if (!up && r->cfg.role == JXTA_RDV_EDGE && r->has_lease && jxta_id_equal(peer, &r->rdv_peer))
        edge_lose(r, "connection-lost", 1);
}

static int make_rdv_pa(jxta_adv_t *pa)
{
    jxta_xml_node_t *svc, *parm;
    jxta_id_text_t t;
    int rc = jxta_adv_add(pa, "Svc", NULL, &svc);
    if (rc == 0)
        rc = jxta_xml_add(svc, "MCID", jxta_id_str(jxta_wk_id(JXTA_WK_CLASS_RENDEZVOUS), &t), NULL);
    if (rc == 0)
        rc = jxta_xml_add(svc, "Parm", NULL, &parm);
    if (rc == 0)
        rc = jxta_xml_add(parm, "Rdv", "true", NULL);
    return rc;
}

int jxta_rdv_new(jxta_endpoint_t *ep, const jxta_adv_t *local_pa, const jxta_rdv_config_t *cfg,
                 const jxta_rdv_events_t *ev, void *ud, jxta_rdv_t **out)
{
    jxta_rdv_t *r = calloc(1, sizeof *r);
    if (!r)
        return JXTA_ENOMEM;
    r->ep = ep;
    r->loop = jxta_endpoint_loop(ep);
    r->cfg = *cfg;
    if (ev)
        r->ev = *ev;
    r->ud = ud;
    jxta_id_text_t t;
    snprintf(r->service, sizeof r->service, "%s",
             jxta_id_str(jxta_wk_id(JXTA_WK_CLASS_RENDEZVOUS), &t));
    snprintf(r->param, sizeof r->param, "%s", jxta_id_unique_value(&cfg->group, &t));
    int rc = jxta_adv_clone(local_pa, &r->pa);
    if (rc == 0 && cfg->role == JXTA_RDV_RENDEZVOUS && !jxta_pa_is_rdv(r->pa))
        rc = make_rdv_pa(r->pa);
    jxta_buf_t b = JXTA_BUF_INIT;
    if (rc == 0)
        rc = jxta_adv_write(r->pa, 0, &b);
    if (rc == 0) {
        r->pa_len = b.len;
        r->pa_xml = (char *)jxta_buf_steal(&b, NULL);
        if (!r->pa_xml)
            rc = JXTA_ENOMEM;
    }
    jxta_buf_free(&b);
    if (rc == 0)
        rc = jxta_endpoint_listen(ep, &cfg->group, r->service, NULL, on_message, r);
    if (rc == 0 && (rc = jxta_endpoint_watch(ep, on_conn, r)) < 0)
        jxta_endpoint_unlisten(ep, &cfg->group, r->service, NULL);
    if (rc < 0) {
        jxta_adv_free(r->pa);
        free(r->pa_xml);
        free(r);
        return rc;
    }
    jxta_timer_init(r->loop, &r->retry, retry_fired);
    jxta_timer_init(r->loop, &r->renew, renew_fired);
    jxta_timer_init(r->loop, &r->expire, expire_fired);
    jxta_timer_init(r->loop, &r->gc, gc_fired);
    r->retry.data = r->renew.data = r->expire.data = r->gc.data = r;
    if (cfg->role == JXTA_RDV_RENDEZVOUS) {
        jxta_endpoint_set_forwarding(ep, 1);
        jxta_timer_start(&r->gc, cfg->gc_ms);
    } else if (cfg->nseeds) {
        jxta_timer_start(&r->retry, cfg->first_try_ms);
    }
    *out = r;
    return 0;
}

void jxta_rdv_free(jxta_rdv_t *r)
{
    if (!r)
        return;
    if (r->cfg.role == JXTA_RDV_EDGE && r->has_lease) {
        jxta_addr_t dest;
        peer_dest(r, &r->rdv_peer, &dest);
        send_pa_msg(r, "Disconnect", &dest);
        edge_lose(r, "shutdown", 0);
    }
    while (r->nclients)
        client_remove(r, &r->clients[r->nclients - 1], "shutdown", 1);
    jxta_rdv_discard(r);
}

void jxta_rdv_discard(jxta_rdv_t *r)
{
    if (!r)
        return;
    jxta_timer_stop(&r->retry);
    jxta_timer_stop(&r->renew);
    jxta_timer_stop(&r->expire);
    jxta_timer_stop(&r->gc);
    jxta_endpoint_unwatch(r->ep, on_conn, r);
    jxta_endpoint_unlisten(r->ep, &r->cfg.group, r->service, NULL);
    jxta_adv_free(r->pa);
    jxta_adv_free(r->rdv_route);
    free(r->pa_xml);
    free(r->clients);
    free(r);
}

int jxta_rdv_set_local_pa(jxta_rdv_t *r, const jxta_adv_t *pa)
{
    jxta_adv_t *copy = NULL;
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_adv_clone(pa, &copy);
    if (rc == 0 && r->cfg.role == JXTA_RDV_RENDEZVOUS && !jxta_pa_is_rdv(copy))
        rc = make_rdv_pa(copy);
    if (rc == 0)
        rc = jxta_adv_write(copy, 0, &b);
    size_t len = 0;
    char *xml = rc == 0 ? (char *)jxta_buf_steal(&b, &len) : NULL;
    if (rc == 0 && !xml)
        rc = JXTA_ENOMEM;
    if (rc < 0) {
        jxta_buf_free(&b);
        jxta_adv_free(copy);
        return rc;
    }
    jxta_adv_free(r->pa);
    free(r->pa_xml);
    r->pa = copy;
    r->pa_xml = xml;
    r->pa_len = len;
    jxta_buf_free(&b);
    return 0;
}

int jxta_rdv_lease_route(const jxta_rdv_t *r, jxta_adv_t **ra)
{
    if (!r->has_lease || !r->rdv_route)
        return JXTA_ENOTFOUND;
    return jxta_adv_clone(r->rdv_route, ra);
}

int jxta_rdv_add_seed(jxta_rdv_t *r, const jxta_addr_t *seed)
{
    if (!r || !seed)
        return JXTA_EINVAL;
    for (size_t i = 0; i < r->cfg.nseeds; i++)
        if (jxta_addr_same_endpoint(&r->cfg.seeds[i], seed))
            return JXTA_EEXIST;
    if (r->cfg.nseeds == JXTA_RDV_MAX_SEEDS)
        return jxta__reject(JXTA_ETOOBIG, "rdv", "seed list full (%d); %s not added",
                            JXTA_RDV_MAX_SEEDS, seed->host);
    int rc = jxta_addr_with_service(&r->cfg.seeds[r->cfg.nseeds], seed, NULL, NULL);
    if (rc < 0)
        return rc;
    r->cfg.nseeds++;
    /* an edge waiting for a seed tries the new one at once */
    if (r->cfg.role == JXTA_RDV_EDGE && !r->has_lease) {
        r->next_seed = r->cfg.nseeds - 1;
        jxta_timer_start(&r->retry, 0);
    }
    return 0;
}

size_t jxta_rdv_seed_count(const jxta_rdv_t *r)
{
    return r->cfg.nseeds;
}

jxta_rdv_role_t jxta_rdv_role(const jxta_rdv_t *r)
{
    return r->cfg.role;
}

int jxta_rdv_has_lease(const jxta_rdv_t *r, jxta_id_t *rdv_peer)
{
    if (r->has_lease && rdv_peer)
        *rdv_peer = r->rdv_peer;
    return r->has_lease;
}

size_t jxta_rdv_client_count(const jxta_rdv_t *r)
{
    return r->nclients;
}
