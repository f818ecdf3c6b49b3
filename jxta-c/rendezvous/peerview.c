/* peerview.c - PeerView membership between rendezvous peers (see
 * jxta/peerview.h).
 *
 * State: the sorted member array with each member's last-heard time.  One
 * timer drives everything: every probe_ms it probes the seeds and every
 * member (a view is a handful of rendezvous, so this stays cheap, and it is
 * what keeps members fresh), and drops members silent for too long.  Every
 * PeerView message from a peer refreshes it. */
#include <stdio.h>
#include <stdlib.h>

#include <jxta/peerview.h>
#include <jxta/wellknown.h>
#include <jxta/xml.h>

#include "../util/internal.h"

struct member {
    jxta_id_t peer;
    char key[JXTA_ID_TEXT_MAX]; /* ID text: the sort key */
    uint64_t heard;
};

struct jxta_peerview {
    jxta_endpoint_t *ep;
    jxta_propagate_t *prop;
    jxta_peerview_config_t cfg;
    char name[128];
    char param[JXTA_ID_TEXT_MAX];
    jxta_peerview_fn fn;
    void *ud;
    struct member m[JXTA_PEERVIEW_MAX];
    size_t n;
    jxta_timer_t timer;
    unsigned rnd;
    size_t edge_answers;
    jxta_peerview_route_fn route_fn;
    void *route_ud;
};

void jxta_peerview_config_default(jxta_peerview_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->group = jxta_id_net_group;
    cfg->probe_ms = 5000;
    cfg->member_timeout_ms = 5u * 60u * 1000u;
}

static uint64_t now(jxta_peerview_t *pv)
{
    return jxta_loop_now(jxta_endpoint_loop(pv->ep));
}

static void publish_view(jxta_peerview_t *pv)
{
    jxta_id_t ids[JXTA_PEERVIEW_MAX];
    for (size_t i = 0; i < pv->n; i++)
        ids[i] = pv->m[i].peer;
    jxta_propagate_set_view(pv->prop, ids, pv->n);
}

static struct member *find(jxta_peerview_t *pv, const jxta_id_t *peer)
{
    for (size_t i = 0; i < pv->n; i++)
        if (jxta_id_equal(&pv->m[i].peer, peer))
            return &pv->m[i];
    return NULL;
}

static void add_member(jxta_peerview_t *pv, const jxta_id_t *peer)
{
    if (jxta_id_equal(peer, jxta_endpoint_peer_id(pv->ep)))
        return;
    struct member *m = find(pv, peer);
    if (m) {
        m->heard = now(pv);
        return;
    }
    if (pv->n == JXTA_PEERVIEW_MAX) {
        jxta_log(JXTA_LOG_WARN, "peerview", "view full (%d members); newcomer ignored",
                 JXTA_PEERVIEW_MAX);
        return;
    }
    jxta_id_text_t t;
    const char *key = jxta_id_str(peer, &t);
    size_t at = 0;
    while (at < pv->n && strcmp(pv->m[at].key, key) < 0)
        at++;
    memmove(&pv->m[at + 1], &pv->m[at], (pv->n - at) * sizeof pv->m[0]);
    pv->m[at].peer = *peer;
    snprintf(pv->m[at].key, sizeof pv->m[at].key, "%s", key);
    pv->m[at].heard = now(pv);
    pv->n++;
    publish_view(pv);
    jxta_log(JXTA_LOG_INFO, "peerview", "%s joined the view (%zu members)", key, pv->n);
    if (pv->fn)
        pv->fn(pv->ud, peer, 1);
}

static void remove_member(jxta_peerview_t *pv, size_t i, const char *why)
{
    jxta_id_t peer = pv->m[i].peer;
    jxta_log(JXTA_LOG_INFO, "peerview", "%s left the view: %s", pv->m[i].key, why);
    memmove(&pv->m[i], &pv->m[i + 1], (pv->n - i - 1) * sizeof pv->m[0]);
    pv->n--;
    publish_view(pv);
    if (pv->fn)
        pv->fn(pv->ud, &peer, 0);
}

/* ---- messages ------------------------------------------------------------ */

/* Our jxta:RdvAdvertisement, as JXSE writes it. */
static int own_adv(jxta_peerview_t *pv, jxta_buf_t *out)
{
    jxta_adv_t *rdv = NULL, *ra = NULL;
    jxta_xml_node_t *route;
    jxta_id_text_t t;
    char svc[JXTA_ID_TEXT_MAX + 32];
    snprintf(svc, sizeof svc, "RendezVousService%s", pv->param);
    int rc = jxta_adv_new(&jxta_adv_type_rdv, &rdv);
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvGroupId", jxta_id_str(&pv->cfg.group, &t));
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvPeerId", jxta_id_str(jxta_endpoint_peer_id(pv->ep), &t));
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvServiceName", svc);
    if (rc == 0 && pv->name[0])
        rc = jxta_adv_set(rdv, "Name", pv->name);
    if (rc == 0)
        rc = pv->route_fn ? pv->route_fn(pv->route_ud, &ra) : jxta_endpoint_local_route(pv->ep, &ra);
    if (rc == 0)
        rc = jxta_adv_add(rdv, "RdvRoute", NULL, &route);
    if (rc == 0)
        rc = jxta_adv_embed(route, ra);
    if (rc == 0)
        rc = jxta_adv_write(rdv, 0, out);
    jxta_adv_free(rdv);
    jxta_adv_free(ra);
    return rc;
}

/* Send our advertisement as `elem` (probe or response) to dest; with
 * `failure`, announce that we are leaving. */
static int send_self(jxta_peerview_t *pv, const jxta_addr_t *dest, const char *elem, int failure)
{
    jxta_msg_t *m;
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_msg_new(&m);
    if (rc < 0)
        return rc;
    rc = own_adv(pv, &b);
    if (rc == 0)
        rc = jxta_msg_add(m, "jxta", elem, JXTA_MSG_MIME_XML, b.data, b.len);
    if (rc == 0 && failure)
        rc = jxta_msg_add_text(m, "jxta", "PeerView.Failure", "true");
    if (rc == 0)
        rc = jxta_endpoint_send(pv->ep, &pv->cfg.group, m, dest, NULL, NULL);
    jxta_buf_free(&b);
    jxta_msg_free(m);
    return rc;
}

static void peer_dest(jxta_peerview_t *pv, const jxta_id_t *peer, jxta_addr_t *out)
{
    jxta_addr_for_peer(out, peer, JXTA_PEERVIEW_SERVICE, pv->param);
}

/* Tell `to` about member `about` (a cached response). */
static void send_cached(jxta_peerview_t *pv, const jxta_id_t *to, const jxta_id_t *about)
{
    jxta_adv_t *ra = NULL;
    /* We only know members by ID and route: describe them with a minimal
     * RdvAdvertisement carrying the route we have for them. */
    jxta_adv_t *rdv = NULL;
    jxta_id_text_t t;
    char svc[JXTA_ID_TEXT_MAX + 32];
    snprintf(svc, sizeof svc, "RendezVousService%s", pv->param);
    jxta_msg_t *m = NULL;
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_adv_new(&jxta_adv_type_rdv, &rdv);
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvGroupId", jxta_id_str(&pv->cfg.group, &t));
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvPeerId", jxta_id_str(about, &t));
    if (rc == 0)
        rc = jxta_adv_set(rdv, "RdvServiceName", svc);
    if (rc == 0)
        rc = jxta_adv_write(rdv, 0, &b);
    if (rc == 0)
        rc = jxta_msg_new(&m);
    if (rc == 0)
        rc = jxta_msg_add(m, "jxta", "PeerView.PeerAdv.Response", JXTA_MSG_MIME_XML, b.data,
                          b.len);
    if (rc == 0)
        rc = jxta_msg_add_text(m, "jxta", "PeerView.Cached", "true");
    /* our own route, so the receiver can reach `about` through us */
    jxta_buf_free(&b);
    jxta_buf_init(&b);
    if (rc == 0 && jxta_endpoint_local_route(pv->ep, &ra) == 0 && jxta_adv_write(ra, 0, &b) == 0)
        rc = jxta_msg_add(m, "jxta", "PeerView.SrcRouteAdv", JXTA_MSG_MIME_XML, b.data, b.len);
    if (rc == 0) {
        jxta_addr_t dest;
        peer_dest(pv, to, &dest);
        jxta_endpoint_send(pv->ep, &pv->cfg.group, m, &dest, NULL, NULL);
    }
    jxta_buf_free(&b);
    jxta_msg_free(m);
    jxta_adv_free(rdv);
    jxta_adv_free(ra);
}

static int elem_flag(const jxta_msg_t *m, const char *name)
{
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", name);
    size_t len;
    const uint8_t *b = e ? jxta_msg_elem_body(e, &len) : NULL;
    return b && len == 4 && memcmp(b, "true", 4) == 0;
}

static void on_message(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    (void)info;
    jxta_peerview_receive(ud, m);
}

void jxta_peerview_receive(jxta_peerview_t *pv, const jxta_msg_t *m)
{
    int response = 0;
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", "PeerView.PeerAdv");
    if (!e) {
        e = jxta_msg_find(m, "jxta", "PeerView.PeerAdv.Response");
        response = 1;
    }
    if (!e)
        return;
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    jxta_adv_t *adv = NULL;
    jxta_id_t peer;
    if (jxta_adv_parse_as(b, len, &jxta_adv_type_rdv, &adv) < 0 ||
        jxta_adv_get_id(adv, "RdvPeerId", &peer) < 0 || jxta_id_kind(&peer) != JXTA_ID_PEER) {
        jxta_adv_free(adv);
        return;
    }
    int cached = elem_flag(m, "PeerView.Cached"), failure = elem_flag(m, "PeerView.Failure");
    int edge = elem_flag(m, "PeerView.EdgePeer");
    jxta_adv_t *route = NULL;
    if (jxta_rdv_adv_route(adv, &route) == 0) {
        jxta_endpoint_learn_route(pv->ep, route);
        jxta_adv_free(route);
    }
    const jxta_msg_elem_t *se = jxta_msg_find(m, "jxta", "PeerView.SrcRouteAdv");
    if (se) {
        const uint8_t *sb = jxta_msg_elem_body(se, &len);
        if (jxta_adv_parse_as(sb, len, &jxta_adv_type_ra, &route) == 0) {
            jxta_endpoint_learn_route(pv->ep, route);
            jxta_id_t via;
            if (cached && jxta_adv_get_id(route, "DstPID", &via) == 0 &&
                !jxta_endpoint_connected(pv->ep, &peer))
                jxta_endpoint_learn_route_via(pv->ep, &peer, &via);
            jxta_adv_free(route);
        }
    }
    jxta_adv_free(adv);
    const jxta_id_t *self = jxta_endpoint_peer_id(pv->ep);
    if (jxta_id_equal(&peer, self))
        return;
    if (failure) {
        struct member *mm = find(pv, &peer);
        if (mm)
            remove_member(pv, (size_t)(mm - pv->m), "announced its departure");
        return;
    }
    if (edge) {
        /* An edge looking for rendezvous of the group (PROTOCOLS.md 10.4):
         * it gets our advertisement but is no member of the view. */
        if (!response && !cached) {
            jxta_addr_t dest;
            peer_dest(pv, &peer, &dest);
            send_self(pv, &dest, "PeerView.PeerAdv.Response", 0);
            pv->edge_answers++;
        }
        return;
    }
    if (cached) {
        /* About a third peer: probe it if it is new to us. */
        if (!find(pv, &peer)) {
            jxta_addr_t dest;
            peer_dest(pv, &peer, &dest);
            send_self(pv, &dest, "PeerView.PeerAdv", 0);
        }
        return;
    }
    add_member(pv, &peer);
    if (!response) {
        jxta_addr_t dest;
        peer_dest(pv, &peer, &dest);
        send_self(pv, &dest, "PeerView.PeerAdv.Response", 0);
        /* and one random member the prober may not know */
        if (pv->n > 1) {
            pv->rnd = pv->rnd * 1103515245u + 12345u;
            const jxta_id_t *about = &pv->m[(pv->rnd >> 8) % pv->n].peer;
            if (!jxta_id_equal(about, &peer))
                send_cached(pv, &peer, about);
        }
    }
}

/* ---- timer ---------------------------------------------------------------- */

static void tick(jxta_timer_t *t)
{
    jxta_peerview_t *pv = t->data;
    uint64_t tnow = now(pv);
    for (size_t i = 0; i < pv->n;) {
        if (tnow - pv->m[i].heard > pv->cfg.member_timeout_ms)
            remove_member(pv, i, "silent too long");
        else
            i++;
    }
    /* seeds: probed every period (cheap, and a restarted seed rejoins) */
    for (size_t i = 0; i < pv->cfg.nseeds; i++) {
        jxta_addr_t dest;
        if (jxta_addr_with_service(&dest, &pv->cfg.seeds[i], JXTA_PEERVIEW_SERVICE, pv->param) ==
            0)
            send_self(pv, &dest, "PeerView.PeerAdv", 0);
    }
    /* every member, so each keeps hearing from us */
    for (size_t i = 0; i < pv->n; i++) {
        jxta_addr_t dest;
        peer_dest(pv, &pv->m[i].peer, &dest);
        send_self(pv, &dest, "PeerView.PeerAdv", 0);
    }
    jxta_timer_start(&pv->timer, pv->cfg.probe_ms);
}

int jxta_peerview_new(jxta_endpoint_t *ep, jxta_propagate_t *prop,
                      const jxta_peerview_config_t *cfg, jxta_peerview_fn fn, void *ud,
                      jxta_peerview_t **out)
{
    jxta_peerview_t *pv = calloc(1, sizeof *pv);
    if (!pv)
        return JXTA_ENOMEM;
    pv->ep = ep;
    pv->prop = prop;
    pv->cfg = *cfg;
    pv->cfg.name = NULL;
    snprintf(pv->name, sizeof pv->name, "%s", cfg->name ? cfg->name : "");
    pv->fn = fn;
    pv->ud = ud;
    pv->rnd = (unsigned)(uintptr_t)pv;
    jxta_id_text_t t;
    snprintf(pv->param, sizeof pv->param, "%s", jxta_id_unique_value(&cfg->group, &t));
    int rc = jxta_endpoint_listen(ep, &cfg->group, JXTA_PEERVIEW_SERVICE, NULL, on_message, pv);
    if (rc < 0) {
        free(pv);
        return rc;
    }
    jxta_timer_init(jxta_endpoint_loop(ep), &pv->timer, tick);
    pv->timer.data = pv;
    jxta_timer_start(&pv->timer, 0);
    *out = pv;
    return 0;
}

void jxta_peerview_discard(jxta_peerview_t *pv)
{
    if (!pv)
        return;
    jxta_timer_stop(&pv->timer);
    jxta_endpoint_unlisten(pv->ep, &pv->cfg.group, JXTA_PEERVIEW_SERVICE, NULL);
    free(pv);
}

void jxta_peerview_free(jxta_peerview_t *pv)
{
    if (!pv)
        return;
    for (size_t i = 0; i < pv->n; i++) {
        jxta_addr_t dest;
        peer_dest(pv, &pv->m[i].peer, &dest);
        send_self(pv, &dest, "PeerView.PeerAdv", 1);
    }
    jxta_peerview_discard(pv);
}

size_t jxta_peerview_size(const jxta_peerview_t *pv)
{
    return pv->n;
}

void jxta_peerview_set_route_fn(jxta_peerview_t *pv, jxta_peerview_route_fn fn, void *ud)
{
    pv->route_fn = fn;
    pv->route_ud = ud;
}

size_t jxta_peerview_edge_answers(const jxta_peerview_t *pv)
{
    return pv->edge_answers;
}

const jxta_id_t *jxta_peerview_member(const jxta_peerview_t *pv, size_t i)
{
    return i < pv->n ? &pv->m[i].peer : NULL;
}
