/* jxta/propagate.h - rendezvous propagation (PROTOCOLS.md 6.3).
 *
 * A propagated ("walked") message travels to endpoint service
 * JxtaPropagate/<grp> with a jxta:RendezVousPropagateMessage header naming
 * the real destination service and parameter, a message ID, a TTL and the
 * path of peers that handled it.  An edge walks a message by sending it to
 * its rendezvous; a rendezvous delivers what it receives locally (once per
 * message ID: the last 1000 IDs are remembered), and re-walks it to the
 * other rendezvous it knows while the TTL allows.  JXSE's resolver and SRDI
 * traffic from edges arrives this way.  Limited-range walks from JXSE
 * rendezvous (LR-Greeter<group>) are delivered to their real destination
 * too.
 *
 * The header document functions are separate from the service so that the
 * dump tools and tests can use them on captured traffic. */
#ifndef JXTA_PROPAGATE_H
#define JXTA_PROPAGATE_H

#include <jxta/buf.h>
#include <jxta/endpoint.h>
#include <jxta/id.h>
#include <jxta/msg.h>
#include <jxta/rdv.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_PROPAGATE_SERVICE "JxtaPropagate"
#define JXTA_PROPAGATE_MAX_TTL 200
#define JXTA_PROPAGATE_MAX_PATH 64

typedef struct jxta_prop_hdr {
    char msg_id[64];     /* canonical UUID text (JXSE: time-based, lower case) */
    char dest_sname[JXTA_ADDR_SERVICE_MAX];
    char dest_sparam[JXTA_ADDR_PARAM_MAX]; /* "" = none */
    int ttl;
    jxta_id_t path[JXTA_PROPAGATE_MAX_PATH];
    size_t npath;
} jxta_prop_hdr_t;

/* Parse the header document; JXTA_EMISSING without MessageId, DestSName or
 * TTL; JXTA_ETOOBIG past JXTA_PROPAGATE_MAX_PATH path entries. */
int jxta_prop_hdr_parse(const void *xml, size_t len, jxta_prop_hdr_t *out);
int jxta_prop_hdr_write(const jxta_prop_hdr_t *h, jxta_buf_t *out);
/* The element name for a group: "RendezVousPropagate" + unique value. */
void jxta_prop_elem_name(const jxta_id_t *group, char *out, size_t cap);
/* A fresh message ID (version-1 style UUID text, lower case). */
void jxta_prop_new_msg_id(char out[64]);

typedef struct jxta_propagate jxta_propagate_t;

/* `rdv` tells the role and, for an edge, where to send. */
int jxta_propagate_new(jxta_endpoint_t *ep, jxta_rdv_t *rdv, const jxta_id_t *group,
                       jxta_propagate_t **out);
void jxta_propagate_free(jxta_propagate_t *p);
/* Walk `m` (the caller keeps it) to service/param of the group: an edge
 * sends it to its rendezvous (JXTA_EUNREACH without a lease); a
 * rendezvous sends it to the other rendezvous peers it knows (none yet is
 * fine: 0).  ttl <= 0 means the maximum. */
int jxta_propagate_walk(jxta_propagate_t *p, jxta_msg_t *m, const char *service,
                        const char *param, int ttl);
/* Send `m` (the caller keeps it) with a fresh propagation header to one
 * peer's JxtaPropagate/<grp>, for service/param there, with `ttl` (1: the
 * receiver delivers it and passes it on to nobody).  A rendezvous sends
 * propagate-pipe messages to its clients this way (PROTOCOLS.md 9.5), and
 * a propagate pipe to explicit peers.  cb as jxta_endpoint_send.
 * JXTA_EINVAL for ourselves, else jxta_endpoint_send's errors. */
int jxta_propagate_send_to(jxta_propagate_t *p, jxta_msg_t *m, const char *service,
                           const char *param, const jxta_id_t *peer, int ttl,
                           jxta_tcp_sent_cb cb, void *ud);
/* Rendezvous peers a rendezvous walks to (its view); replaces the list. */
int jxta_propagate_set_view(jxta_propagate_t *p, const jxta_id_t *peers, size_t n);
/* Messages delivered / dropped as duplicates or loops (for tests). */
size_t jxta_propagate_delivered(const jxta_propagate_t *p);
size_t jxta_propagate_dropped(const jxta_propagate_t *p);

#ifdef __cplusplus
}
#endif
#endif
