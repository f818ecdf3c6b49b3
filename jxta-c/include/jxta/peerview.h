/* jxta/peerview.h - the PeerView: the rendezvous peers of a group that know
 * each other (PROTOCOLS.md 6.6).
 *
 * Each rendezvous probes its seeds and the members it knows with its
 * jxta:RdvAdvertisement (element PeerView.PeerAdv, plus its route in
 * PeerView.SrcRouteAdv); a probed peer answers with its own advertisement
 * (PeerView.PeerAdv.Response) and one random member of its view (the same,
 * flagged PeerView.Cached), so views spread until every rendezvous knows
 * every other.  Members silent for longer than member_timeout_ms are
 * dropped; a rendezvous shutting down announces itself with
 * PeerView.Failure.  The view, sorted by peer ID text as JXSE sorts it,
 * feeds propagation (rendezvous walk to the view). */
#ifndef JXTA_PEERVIEW_H
#define JXTA_PEERVIEW_H

#include <jxta/addr.h>
#include <jxta/endpoint.h>
#include <jxta/id.h>
#include <jxta/propagate.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_PEERVIEW_SERVICE "PeerView"
#define JXTA_PEERVIEW_MAX 256

typedef struct jxta_peerview jxta_peerview_t;

typedef struct jxta_peerview_config {
    jxta_id_t group;
    const char *name;                 /* our name in the RdvAdvertisement */
    jxta_addr_t seeds[16];            /* other rendezvous (tcp://) */
    size_t nseeds;
    uint64_t probe_ms;                /* period of probes (default 5000) */
    uint64_t member_timeout_ms;       /* silence before a member is dropped (default 5 min) */
} jxta_peerview_config_t;

void jxta_peerview_config_default(jxta_peerview_config_t *cfg);

/* Membership changes (joined = 1 / left = 0). */
typedef void (*jxta_peerview_fn)(void *ud, const jxta_id_t *peer, int joined);

int jxta_peerview_new(jxta_endpoint_t *ep, jxta_propagate_t *prop,
                      const jxta_peerview_config_t *cfg, jxta_peerview_fn fn, void *ud,
                      jxta_peerview_t **out);
/* Announces our departure to the view, then frees. */
void jxta_peerview_free(jxta_peerview_t *pv);
/* Free without a word (abrupt stop). */
void jxta_peerview_discard(jxta_peerview_t *pv);
size_t jxta_peerview_size(const jxta_peerview_t *pv);
/* Member i in sorted order (peer ID text), 0 <= i < size. */
const jxta_id_t *jxta_peerview_member(const jxta_peerview_t *pv, size_t i);

/* Handle a PeerView message that reached us another way than the
 * PeerView endpoint service: a child group's rendezvous listens on a
 * propagate pipe of the parent group for edges of the child looking for
 * rendezvous (PROTOCOLS.md 6.6, 10.4).  A probe flagged PeerView.EdgePeer
 * is answered with our advertisement (PeerView.PeerAdv.Response to the
 * edge's PeerView/<grp>); edges never become members. */
void jxta_peerview_receive(jxta_peerview_t *pv, const jxta_msg_t *m);
/* The route to put in our RdvAdvertisement (default: the endpoint's own
 * route).  A peer without a listening address advertises a route through
 * its Net group rendezvous instead, which JXSE peers need to reach it. */
typedef int (*jxta_peerview_route_fn)(void *ud, jxta_adv_t **ra);
void jxta_peerview_set_route_fn(jxta_peerview_t *pv, jxta_peerview_route_fn fn, void *ud);
/* Edge probes answered so far (tests). */
size_t jxta_peerview_edge_answers(const jxta_peerview_t *pv);

#ifdef __cplusplus
}
#endif
#endif
