/* wire.c - propagate ("wire") pipes of one group (PROTOCOLS.md 9.5).
 *
 * A propagate-pipe message carries a JxtaWireHeader (source peer, pipe ID,
 * message ID, TTL) and travels through the rendezvous layer to service
 * jxta.service.wirepipe/<grp>: an edge walks it to its rendezvous; a
 * rendezvous walks it to the other rendezvous of its view (the propagation
 * service does that for messages it receives, too) and sends a copy, with
 * a propagation TTL of 1, to each of its clients whose pipe SRDI says they
 * listen on that pipe.  Every peer remembers the last 250 message IDs and
 * delivers each message once to its own input pipe for that pipe ID; the
 * sender delivers to its own listener at once.  So each listener sees each
 * message once, whichever paths the copies take. */
#include <stdio.h>
#include <stdlib.h>

#include <jxta/pipe.h>

#include "../util/internal.h"
#include "pipe_internal.h"

#define MAX_CLIENTS 1024

struct jxta__wire {
    jxta_pipes_t *ps;
    char seen[JXTA_WIRE_SEEN_IDS][64]; /* ring of recent message IDs */
    size_t nseen, seen_next;
};

/* 1 if id was seen among the last JXTA_WIRE_SEEN_IDS; else remember it. */
static int seen_before(jxta__wire_t *w, const char *id)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (strcmp(w->seen[i], id) == 0)
            return 1;
    snprintf(w->seen[w->seen_next], sizeof w->seen[0], "%s", id);
    w->seen_next = (w->seen_next + 1) % JXTA_WIRE_SEEN_IDS;
    if (w->nseen < JXTA_WIRE_SEEN_IDS)
        w->nseen++;
    return 0;
}

/* Our own propagate input pipe for pipe_id gets the message. */
static int deliver_local(jxta__wire_t *w, const jxta_wire_hdr_t *h, const jxta_msg_t *m)
{
    jxta_input_pipe_t *ip = jxta__pipes_find_input(w->ps, &h->pipe_id);
    if (!ip || !ip->propagate)
        return 0;
    w->ps->st.wire_delivered++;
    jxta__input_pipe_deliver(ip, m, h->has_src ? &h->src_peer : NULL, 1);
    return 1;
}

/* Rendezvous: a copy (TTL 1) to each of its clients listening on the pipe,
 * except the peers in skip[0..nskip). */
static void send_to_clients(jxta__wire_t *w, jxta_msg_t *m, const jxta_id_t *pipe_id,
                            const jxta_id_t *const *skip, size_t nskip)
{
    jxta_pipes_t *ps = w->ps;
    jxta_id_t *peers = malloc(MAX_CLIENTS * sizeof *peers);
    if (!peers)
        return;
    size_t n = jxta__pipes_index_hosts(ps, JXTA_PIPE_PROPAGATE, pipe_id, peers, MAX_CLIENTS);
    for (size_t i = 0; i < n; i++) {
        /* Only our own clients (we hold their connection): entries of other
         * rendezvous' clients reach us too (SRDI walks the view), and those
         * rendezvous deliver to their clients themselves. */
        int skipped = jxta_id_equal(&peers[i], &ps->self) || !jxta_endpoint_connected(ps->ep, &peers[i]);
        for (size_t k = 0; !skipped && k < nskip; k++)
            skipped = skip[k] && jxta_id_equal(&peers[i], skip[k]);
        if (skipped)
            continue;
        int rc = jxta_propagate_send_to(ps->prop, m, JXTA_WIRE_SERVICE, ps->group_uv, &peers[i], 1,
                                        NULL, NULL);
        if (rc == 0)
            ps->st.wire_forwarded++;
        else
            jxta_log(JXTA_LOG_DEBUG, "pipe", "wire message not sent to a client: %s",
                     jxta_strerror(rc));
    }
    free(peers);
}

static void on_wire(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    jxta__wire_t *w = ud;
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", JXTA_WIRE_HEADER_ELEMENT);
    jxta_wire_hdr_t h;
    size_t len;
    const uint8_t *b = e ? jxta_msg_elem_body(e, &len) : NULL;
    if (!b) {
        jxta__reject(JXTA_EMISSING, "pipe", "wire message without %s", JXTA_WIRE_HEADER_ELEMENT);
        return;
    }
    if (jxta_wire_hdr_parse(b, len, &h) < 0)
        return; /* logged by the parser */
    if (seen_before(w, h.msg_id)) {
        w->ps->st.wire_duplicates++;
        jxta_log(JXTA_LOG_DEBUG, "pipe", "wire message %s seen before; dropped", h.msg_id);
        return;
    }
    if (h.has_src && jxta_id_equal(&h.src_peer, &w->ps->self)) {
        w->ps->st.wire_duplicates++; /* ours, come back after we forgot its ID */
        return;
    }
    deliver_local(w, &h, m);
    if (jxta__pipes_is_rdv(w->ps) && h.ttl > 1) {
        const jxta_id_t *skip[2] = {info->src_peer, h.has_src ? &h.src_peer : NULL};
        send_to_clients(w, m, &h.pipe_id, skip, 2);
    }
}

/* Take what we added off the caller's message. */
static void unstamp(jxta__wire_t *w, jxta_msg_t *m)
{
    char pe[JXTA_ID_TEXT_MAX + 32];
    jxta_prop_elem_name(&w->ps->group, pe, sizeof pe);
    jxta_msg_remove(m, "jxta", JXTA_WIRE_HEADER_ELEMENT);
    jxta_msg_remove(m, "jxta", pe);
    jxta__pipe_msg_unstamp(m);
}

int jxta__wire_send(jxta__wire_t *w, const jxta_id_t *pipe_id, const jxta_id_t *peers, size_t n,
                    jxta_msg_t *m, jxta_tcp_sent_cb cb, void *ud)
{
    jxta_pipes_t *ps = w->ps;
    jxta_wire_hdr_t h;
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_wire_hdr_init(&h, &ps->self, pipe_id, n ? 1 : 0);
    if (rc == 0)
        rc = jxta_wire_hdr_write(&h, &b);
    if (rc == 0) {
        jxta_msg_remove(m, "jxta", JXTA_WIRE_HEADER_ELEMENT);
        rc = jxta_msg_add(m, "jxta", JXTA_WIRE_HEADER_ELEMENT, JXTA_MSG_MIME_XML, b.data, b.len);
    }
    jxta_buf_free(&b);
    if (rc < 0)
        return rc;
    seen_before(w, h.msg_id);
    int local = 0, sent = 0;
    if (!n) {
        local = deliver_local(w, &h, m);
        if (jxta__pipes_is_rdv(ps)) {
            const jxta_id_t *skip[1] = {NULL};
            send_to_clients(w, m, pipe_id, skip, 0);
            rc = jxta_propagate_walk(ps->prop, m, JXTA_WIRE_SERVICE, ps->group_uv, 0);
        } else {
            rc = jxta_propagate_walk(ps->prop, m, JXTA_WIRE_SERVICE, ps->group_uv, 0);
        }
        if (rc == 0)
            sent = 1;
    } else {
        int err = 0;
        for (size_t i = 0; i < n; i++) {
            if (jxta_id_equal(&peers[i], &ps->self)) {
                local |= deliver_local(w, &h, m);
                continue;
            }
            int r = jxta_propagate_send_to(ps->prop, m, JXTA_WIRE_SERVICE, ps->group_uv,
                                           &peers[i], 1, NULL, NULL);
            if (r == 0)
                sent++;
            else
                err = r;
        }
        rc = err;
    }
    unstamp(w, m);
    if (!sent && !local)
        return rc < 0 ? rc : JXTA_EUNREACH;
    if (cb)
        cb(ud, 0);
    return 0;
}

int jxta__wire_new(jxta_pipes_t *ps, jxta__wire_t **out)
{
    jxta__wire_t *w = calloc(1, sizeof *w);
    if (!w)
        return JXTA_ENOMEM;
    w->ps = ps;
    int rc = jxta_endpoint_listen(ps->ep, &ps->group, JXTA_WIRE_SERVICE, NULL, on_wire, w);
    if (rc < 0) {
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void jxta__wire_free(jxta__wire_t *w)
{
    if (!w)
        return;
    jxta_endpoint_unlisten(w->ps->ep, &w->ps->group, JXTA_WIRE_SERVICE, NULL);
    free(w);
}
