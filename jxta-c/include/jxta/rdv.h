/* jxta/rdv.h - the rendezvous lease protocol (PROTOCOLS.md 6.1-6.2, 14).
 *
 * An edge holds one lease from one rendezvous: it sends Connect (its peer
 * advertisement) to a seed, gets a grant (RdvAdvReply, ConnectedPeer,
 * ConnectedLease), renews before the lease ends, and fails over to the next
 * seed when the lease is refused, lost with its connection, ended by a
 * Disconnect or left to expire.  A rendezvous grants leases to any edge
 * (C or Java) up to max_clients, accepts duplicate requests, expires
 * clients that stop renewing, and forwards routed traffic between its
 * edges.  Messages use JXSE's element names and endpoint addresses, so
 * either side interoperates with JXSE 2.5.
 *
 * Propagation, walks and the PeerView come with the discovery layer.
 * Calls are made on the loop thread. */
#ifndef JXTA_RDV_H
#define JXTA_RDV_H

#include <jxta/addr.h>
#include <jxta/adv.h>
#include <jxta/endpoint.h>
#include <jxta/id.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_rdv jxta_rdv_t;

typedef enum { JXTA_RDV_EDGE = 0, JXTA_RDV_RENDEZVOUS = 1 } jxta_rdv_role_t;

#define JXTA_RDV_MAX_SEEDS 16

typedef struct jxta_rdv_config {
    jxta_rdv_role_t role;
    jxta_id_t group;                         /* default: the Net group */
    jxta_addr_t seeds[JXTA_RDV_MAX_SEEDS];   /* edge: tcp:// rendezvous addresses */
    size_t nseeds;
    uint64_t lease_ms;       /* rendezvous: lease granted (default 20 min, as JXSE) */
    size_t max_clients;      /* rendezvous: (default 200, as JXSE) */
    uint64_t gc_ms;          /* rendezvous: expiry check period (default 2 min) */
    uint64_t retry_ms;       /* edge: wait for a grant before the next seed (default 15 s) */
    uint64_t first_try_ms;   /* edge: delay before the first request (default 0) */
} jxta_rdv_config_t;

void jxta_rdv_config_default(jxta_rdv_config_t *cfg);

typedef struct jxta_rdv_events {
    /* Edge: a lease was granted (renewal = 1 when it extends the current one). */
    void (*lease_granted)(void *ud, const jxta_id_t *rdv, uint64_t lease_ms, int renewal);
    /* Edge: the lease is gone; reason is "connection-lost", "disconnected",
     * "expired", "refused" or "shutdown". */
    void (*lease_lost)(void *ud, const jxta_id_t *rdv, const char *reason);
    /* Rendezvous: a new client got a lease / a client is gone ("expired",
     * "disconnected", "shutdown"). */
    void (*client_connected)(void *ud, const jxta_id_t *peer);
    void (*client_disconnected)(void *ud, const jxta_id_t *peer, const char *reason);
} jxta_rdv_events_t;

/* `local_pa` is this peer's advertisement (copied; a rendezvous adds the
 * Rdv flag to it).  The service starts at once. */
int jxta_rdv_new(jxta_endpoint_t *ep, const jxta_adv_t *local_pa, const jxta_rdv_config_t *cfg,
                 const jxta_rdv_events_t *ev, void *ud, jxta_rdv_t **out);
/* Edge: sends Disconnect to its rendezvous; rendezvous: to every client. */
void jxta_rdv_free(jxta_rdv_t *rdv);
/* Free without sending or reporting anything (the peer is going away
 * abruptly, or its endpoint is already unusable). */
void jxta_rdv_discard(jxta_rdv_t *rdv);

jxta_rdv_role_t jxta_rdv_role(const jxta_rdv_t *rdv);
/* Edge: one more rendezvous to ask for a lease (learnt at run time, e.g.
 * a child group's rendezvous found through the parent group); tried at
 * once while we hold no lease.  JXTA_EEXIST if already known (same
 * protocol and host), JXTA_ETOOBIG past JXTA_RDV_MAX_SEEDS. */
int jxta_rdv_add_seed(jxta_rdv_t *rdv, const jxta_addr_t *seed);
size_t jxta_rdv_seed_count(const jxta_rdv_t *rdv);
/* Replace our peer advertisement (sent in lease requests and grants from
 * now on; copied, a rendezvous adds its Rdv flag). */
int jxta_rdv_set_local_pa(jxta_rdv_t *rdv, const jxta_adv_t *pa);
/* Edge: a copy of the route of the rendezvous we hold a lease from, as
 * its grant carried it.  JXTA_ENOTFOUND without a lease or route. */
int jxta_rdv_lease_route(const jxta_rdv_t *rdv, jxta_adv_t **ra);
/* Edge: 1 and the rendezvous ID while a lease is held. */
int jxta_rdv_has_lease(const jxta_rdv_t *rdv, jxta_id_t *rdv_peer);
/* Rendezvous: number of clients with a live lease. */
size_t jxta_rdv_client_count(const jxta_rdv_t *rdv);

#ifdef __cplusplus
}
#endif
#endif
