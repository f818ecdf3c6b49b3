/* propagate.c - the RendezVousPropagate header and the propagation service
 * (see jxta/propagate.h).
 *
 * Receiving: the service listens on JxtaPropagate/<grp>.  A message is
 * dropped when its header is missing or bad, its TTL is spent, its ID was
 * seen among the last 1000, or we are already on its path; otherwise it is
 * delivered to DestSName/DestSParam (header left in place, as JXSE does)
 * and, on a rendezvous, walked on to the other rendezvous of the view.
 * Sending: an edge routes the message to its rendezvous; a rendezvous to
 * every peer of its view not yet on the path. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jxta/propagate.h>
#include <jxta/xml.h>

#include "../util/internal.h"

#define SEEN_MAX 1000

/* ---- header document --------------------------------------------------- */

void jxta_prop_elem_name(const jxta_id_t *group, char *out, size_t cap)
{
    jxta_id_text_t t;
    snprintf(out, cap, "RendezVousPropagate%s", jxta_id_unique_value(group, &t));
}

void jxta_prop_new_msg_id(char out[64])
{
    /* Version-1 layout with a random node, as JXSE's sequential UUIDs: the
     * time fields make IDs from one peer distinct and roughly ordered.  The
     * counter is shared by every loop of the process (atomic). */
    static uint64_t seq;
    uint8_t node[16];
    jxta_uuid_random(node);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t t = ((uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100u +
                  0x01B21DD213814000ULL + (__atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED) & 0xFF)) &
                 0x0FFFFFFFFFFFFFFFULL;
    snprintf(out, 64, "%08x-%04x-1%03x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             (unsigned)(t & 0xFFFFFFFFu), (unsigned)((t >> 32) & 0xFFFF),
             (unsigned)((t >> 48) & 0x0FFF), (unsigned)((node[8] & 0x3F) | 0x80), node[9],
             node[10] | 1, node[11], node[12], node[13], node[14], node[15]);
}

int jxta_prop_hdr_parse(const void *xml, size_t len, jxta_prop_hdr_t *out)
{
    memset(out, 0, sizeof *out);
    jxta_xml_node_t *root;
    int rc = jxta_xml_parse(xml, len, &root);
    if (rc < 0)
        return rc;
    const jxta_xml_node_t *id = jxta_xml_child(root, "MessageId"),
                          *sn = jxta_xml_child(root, "DestSName"),
                          *sp = jxta_xml_child(root, "DestSParam"),
                          *ttl = jxta_xml_child(root, "TTL");
    char *end = NULL;
    long t = ttl ? strtol(jxta_xml_text(ttl), &end, 10) : 0;
    if (strcmp(jxta_xml_local_name(root), "RendezVousPropagateMessage") != 0) {
        rc = jxta__reject(JXTA_EPROTO, "propagate", "header root is <%s>", jxta_xml_name(root));
    } else if (!id || !sn || !ttl || !*jxta_xml_text(id) || !*jxta_xml_text(sn)) {
        rc = jxta__reject(JXTA_EMISSING, "propagate",
                          "header without MessageId, DestSName or TTL");
    } else if (!end || *end || t < 0 || t > 1000000) {
        rc = jxta__reject(JXTA_EPROTO, "propagate", "bad TTL '%s'", jxta_xml_text(ttl));
    } else if (strlen(jxta_xml_text(id)) >= sizeof out->msg_id ||
               strlen(jxta_xml_text(sn)) >= sizeof out->dest_sname ||
               (sp && strlen(jxta_xml_text(sp)) >= sizeof out->dest_sparam)) {
        rc = jxta__reject(JXTA_ETOOBIG, "propagate", "header field too long");
    } else {
        snprintf(out->msg_id, sizeof out->msg_id, "%s", jxta_xml_text(id));
        snprintf(out->dest_sname, sizeof out->dest_sname, "%s", jxta_xml_text(sn));
        snprintf(out->dest_sparam, sizeof out->dest_sparam, "%s", sp ? jxta_xml_text(sp) : "");
        out->ttl = (int)t;
        for (const jxta_xml_node_t *c = jxta_xml_child(root, "Path"); c;
             c = jxta_xml_next_named(c)) {
            if (out->npath == JXTA_PROPAGATE_MAX_PATH) {
                rc = jxta__reject(JXTA_ETOOBIG, "propagate", "path longer than %d peers",
                                  JXTA_PROPAGATE_MAX_PATH);
                break;
            }
            const char *pt = jxta_xml_text(c);
            if (jxta_id_parse(&out->path[out->npath], pt, strlen(pt), JXTA_ID_PARSE_LENIENT) == 0)
                out->npath++;
        }
    }
    jxta_xml_free(root);
    return rc;
}

int jxta_prop_hdr_write(const jxta_prop_hdr_t *h, jxta_buf_t *out)
{
    jxta_xml_node_t *root;
    char ttl[16];
    int rc = jxta_xml_new("jxta:RendezVousPropagateMessage", &root);
    if (rc < 0)
        return rc;
    snprintf(ttl, sizeof ttl, "%d", h->ttl);
    if ((rc = jxta_xml_set_attr(root, "xml:space", "preserve")) < 0 ||
        (rc = jxta_xml_set_attr(root, "xmlns:jxta", "http://jxta.org")) < 0 ||
        (rc = jxta_xml_add(root, "MessageId", h->msg_id, NULL)) < 0 ||
        (rc = jxta_xml_add(root, "DestSName", h->dest_sname, NULL)) < 0 ||
        (h->dest_sparam[0] && (rc = jxta_xml_add(root, "DestSParam", h->dest_sparam, NULL)) < 0) ||
        (rc = jxta_xml_add(root, "TTL", ttl, NULL)) < 0)
        goto done;
    for (size_t i = 0; i < h->npath; i++) {
        jxta_id_text_t t;
        if ((rc = jxta_xml_add(root, "Path", jxta_id_str(&h->path[i], &t), NULL)) < 0)
            goto done;
    }
    rc = jxta_xml_write(root, 0, out);
done:
    jxta_xml_free(root);
    return rc;
}

/* ---- service ------------------------------------------------------------ */

struct jxta_propagate {
    char walk_service[JXTA_ID_TEXT_MAX + 16]; /* "LR-Greeter" + group URN */
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_id_t group;
    char param[JXTA_ID_TEXT_MAX]; /* group unique value */
    char elem[JXTA_ID_TEXT_MAX + 32];
    char seen[SEEN_MAX][64]; /* ring of recent message IDs */
    size_t nseen, seen_next;
    jxta_id_t *view;
    size_t nview;
    size_t delivered, dropped;
};

static int seen_before(jxta_propagate_t *p, const char *id)
{
    for (size_t i = 0; i < p->nseen; i++)
        if (strcmp(p->seen[i], id) == 0)
            return 1;
    snprintf(p->seen[p->seen_next], sizeof p->seen[0], "%s", id);
    p->seen_next = (p->seen_next + 1) % SEEN_MAX;
    if (p->nseen < SEEN_MAX)
        p->nseen++;
    return 0;
}

static int on_path(const jxta_prop_hdr_t *h, const jxta_id_t *peer)
{
    for (size_t i = 0; i < h->npath; i++)
        if (jxta_id_equal(&h->path[i], peer))
            return 1;
    return 0;
}

/* Replace the header element of m by h. */
static int put_header(jxta_propagate_t *p, jxta_msg_t *m, const jxta_prop_hdr_t *h)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_prop_hdr_write(h, &b);
    if (rc == 0) {
        jxta_msg_remove(m, "jxta", p->elem);
        rc = jxta_msg_add(m, "jxta", p->elem, JXTA_MSG_MIME_XML, b.data, b.len);
    }
    jxta_buf_free(&b);
    return rc;
}

/* Send m (header already in place) to every view peer not on the path. */
static int send_to_view(jxta_propagate_t *p, jxta_msg_t *m, const jxta_prop_hdr_t *h)
{
    int sent = 0;
    for (size_t i = 0; i < p->nview; i++) {
        if (on_path(h, &p->view[i]))
            continue;
        jxta_addr_t dest;
        jxta_addr_for_peer(&dest, &p->view[i], JXTA_PROPAGATE_SERVICE, p->param);
        if (jxta_endpoint_send(p->ep, &p->group, m, &dest, NULL, NULL) == 0)
            sent++;
    }
    return sent;
}

static void on_message(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    jxta_propagate_t *p = ud;
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", p->elem);
    jxta_prop_hdr_t h;
    size_t len;
    const uint8_t *b = e ? jxta_msg_elem_body(e, &len) : NULL;
    if (!b || jxta_prop_hdr_parse(b, len, &h) < 0) {
        jxta_log(JXTA_LOG_INFO, "propagate", "propagated message without a valid %s; dropped",
                 p->elem);
        p->dropped++;
        return;
    }
    const jxta_id_t *self = jxta_endpoint_peer_id(p->ep);
    if (h.ttl <= 0 || seen_before(p, h.msg_id) || on_path(&h, self)) {
        p->dropped++;
        return;
    }
    jxta_addr_t dst, src;
    if (jxta_addr_set(&dst, "jxta", "local", h.dest_sname, h.dest_sparam[0] ? h.dest_sparam : NULL) < 0) {
        p->dropped++;
        return;
    }
    src = *info->src;
    /* Walk on first (a rendezvous), so the local handler's own re-walks,
     * if any, see the message already marked as seen. */
    if (jxta_rdv_role(p->rdv) == JXTA_RDV_RENDEZVOUS && h.ttl > 1 &&
        h.npath < JXTA_PROPAGATE_MAX_PATH) {
        jxta_prop_hdr_t fwd = h;
        fwd.ttl = h.ttl - 1 > JXTA_PROPAGATE_MAX_TTL ? JXTA_PROPAGATE_MAX_TTL : h.ttl - 1;
        fwd.path[fwd.npath++] = *self;
        if (put_header(p, m, &fwd) == 0)
            send_to_view(p, m, &fwd);
        put_header(p, m, &h);
    }
    p->delivered++;
    jxta_endpoint_deliver(p->ep, &p->group, m, &src, &dst, info->src_peer, info->routed);
}

/* A JXSE rendezvous walks messages to the rendezvous of its view as
 * "limited range walks" (PROTOCOLS.md 6.4): service LR-Greeter<group URN>,
 * elements LimitedRangeRdvMessage (TTL, direction, origin) and
 * RdvWalkSvcName/RdvWalkSvcParam (the real destination).  We deliver the
 * message there; we do not continue a walk (our own walks reach every
 * member of the view directly). */
static void on_walk(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    jxta_propagate_t *p = ud;
    const jxta_msg_elem_t *sn = jxta_msg_find(m, "jxta", "RdvWalkSvcName");
    const jxta_msg_elem_t *sp = jxta_msg_find(m, "jxta", "RdvWalkSvcParam");
    size_t nl = 0, pl = 0;
    const uint8_t *nb = sn ? jxta_msg_elem_body(sn, &nl) : NULL;
    const uint8_t *pb = sp ? jxta_msg_elem_body(sp, &pl) : NULL;
    char svc[JXTA_ADDR_SERVICE_MAX], par[JXTA_ADDR_PARAM_MAX];
    jxta_addr_t dst;
    if (!nb || nl == 0 || nl >= sizeof svc || pl >= sizeof par ||
        !jxta_msg_find(m, "jxta", "LimitedRangeRdvMessage")) {
        jxta_log(JXTA_LOG_INFO, "propagate", "walked message without its walk elements; dropped");
        p->dropped++;
        return;
    }
    memcpy(svc, nb, nl);
    svc[nl] = '\0';
    if (pb)
        memcpy(par, pb, pl);
    par[pb ? pl : 0] = '\0';
    if (jxta_addr_set(&dst, "jxta", "local", svc, par[0] ? par : NULL) < 0) {
        p->dropped++;
        return;
    }
    p->delivered++;
    jxta_endpoint_deliver(p->ep, &p->group, m, info->src, &dst, info->src_peer, info->routed);
}

int jxta_propagate_walk(jxta_propagate_t *p, jxta_msg_t *m, const char *service,
                        const char *param, int ttl)
{
    jxta_prop_hdr_t h;
    memset(&h, 0, sizeof h);
    jxta_prop_new_msg_id(h.msg_id);
    if (strlen(service) >= sizeof h.dest_sname || (param && strlen(param) >= sizeof h.dest_sparam))
        return JXTA_ETOOBIG;
    snprintf(h.dest_sname, sizeof h.dest_sname, "%s", service);
    snprintf(h.dest_sparam, sizeof h.dest_sparam, "%s", param ? param : "");
    h.ttl = ttl <= 0 || ttl > JXTA_PROPAGATE_MAX_TTL ? JXTA_PROPAGATE_MAX_TTL : ttl;
    h.path[0] = *jxta_endpoint_peer_id(p->ep);
    h.npath = 1;
    seen_before(p, h.msg_id); /* our own walk must not come back to us */
    int rc = put_header(p, m, &h);
    if (rc < 0)
        return rc;
    if (jxta_rdv_role(p->rdv) == JXTA_RDV_RENDEZVOUS) {
        send_to_view(p, m, &h);
        return 0;
    }
    jxta_id_t rdv;
    if (!jxta_rdv_has_lease(p->rdv, &rdv))
        return JXTA_EUNREACH;
    jxta_addr_t dest;
    jxta_addr_for_peer(&dest, &rdv, JXTA_PROPAGATE_SERVICE, p->param);
    return jxta_endpoint_send(p->ep, &p->group, m, &dest, NULL, NULL);
}

int jxta_propagate_send_to(jxta_propagate_t *p, jxta_msg_t *m, const char *service,
                           const char *param, const jxta_id_t *peer, int ttl,
                           jxta_tcp_sent_cb cb, void *ud)
{
    jxta_prop_hdr_t h;
    memset(&h, 0, sizeof h);
    if (strlen(service) >= sizeof h.dest_sname || (param && strlen(param) >= sizeof h.dest_sparam))
        return JXTA_ETOOBIG;
    if (jxta_id_equal(peer, jxta_endpoint_peer_id(p->ep)))
        return JXTA_EINVAL;
    jxta_prop_new_msg_id(h.msg_id);
    snprintf(h.dest_sname, sizeof h.dest_sname, "%s", service);
    snprintf(h.dest_sparam, sizeof h.dest_sparam, "%s", param ? param : "");
    h.ttl = ttl <= 0 || ttl > JXTA_PROPAGATE_MAX_TTL ? JXTA_PROPAGATE_MAX_TTL : ttl;
    h.path[0] = *jxta_endpoint_peer_id(p->ep);
    h.npath = 1;
    seen_before(p, h.msg_id);
    int rc = put_header(p, m, &h);
    if (rc < 0)
        return rc;
    jxta_addr_t dest;
    jxta_addr_for_peer(&dest, peer, JXTA_PROPAGATE_SERVICE, p->param);
    return jxta_endpoint_send(p->ep, &p->group, m, &dest, cb, ud);
}

int jxta_propagate_set_view(jxta_propagate_t *p, const jxta_id_t *peers, size_t n)
{
    jxta_id_t *v = n ? malloc(n * sizeof *v) : NULL;
    if (n && !v)
        return JXTA_ENOMEM;
    if (n)
        memcpy(v, peers, n * sizeof *v);
    free(p->view);
    p->view = v;
    p->nview = n;
    return 0;
}

size_t jxta_propagate_delivered(const jxta_propagate_t *p)
{
    return p->delivered;
}

size_t jxta_propagate_dropped(const jxta_propagate_t *p)
{
    return p->dropped;
}

int jxta_propagate_new(jxta_endpoint_t *ep, jxta_rdv_t *rdv, const jxta_id_t *group,
                       jxta_propagate_t **out)
{
    jxta_propagate_t *p = calloc(1, sizeof *p);
    if (!p)
        return JXTA_ENOMEM;
    p->ep = ep;
    p->rdv = rdv;
    p->group = *group;
    jxta_id_text_t t;
    snprintf(p->param, sizeof p->param, "%s", jxta_id_unique_value(group, &t));
    jxta_prop_elem_name(group, p->elem, sizeof p->elem);
    snprintf(p->walk_service, sizeof p->walk_service, "LR-Greeter%s", jxta_id_str(group, &t));
    int rc = jxta_endpoint_listen(ep, group, JXTA_PROPAGATE_SERVICE, NULL, on_message, p);
    if (rc == 0 && (rc = jxta_endpoint_listen(ep, group, p->walk_service, NULL, on_walk, p)) < 0)
        jxta_endpoint_unlisten(ep, group, JXTA_PROPAGATE_SERVICE, NULL);
    if (rc < 0) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void jxta_propagate_free(jxta_propagate_t *p)
{
    if (!p)
        return;
    jxta_endpoint_unlisten(p->ep, &p->group, JXTA_PROPAGATE_SERVICE, NULL);
    jxta_endpoint_unlisten(p->ep, &p->group, p->walk_service, NULL);
    free(p->view);
    free(p);
}
