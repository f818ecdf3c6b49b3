/* jxta/discovery_service.h - the discovery service of one group (PDP,
 * PROTOCOLS.md 8), tying the cache manager, SRDI and the resolver together.
 *
 * Edge: advertisements published locally go into the cache and their index
 * entries are pushed to the rendezvous as SRDI (everything after each new
 * lease, then deltas); a remote query is walked to the rendezvous, and the
 * answers - from the rendezvous' own cache or from the peer that holds the
 * advertisement - are cached and reported.  Rendezvous: keeps the SRDI
 * index of its edges (forgetting an edge's entries when its connection
 * goes), answers from its cache, and otherwise forwards a query to the
 * edges whose entries match (HC+1), which answer the querier directly.
 * Queries also reach the other rendezvous of the PeerView through the walk.
 * All calls are made on the loop thread. */
#ifndef JXTA_DISCOVERY_SERVICE_H
#define JXTA_DISCOVERY_SERVICE_H

#include <stdint.h>

#include <jxta/adv.h>
#include <jxta/cm.h>
#include <jxta/rdv.h>
#include <jxta/resolver.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_discovery jxta_discovery_t;

typedef struct jxta_discovery_config {
    uint64_t srdi_ms;   /* edge: SRDI push period (default 30000, as JXSE) */
    uint64_t gc_ms;     /* cache and index clean-up period (default 60000) */
    int answer_limit;   /* most advertisements per answer (default 50, as JXSE) */
} jxta_discovery_config_t;

void jxta_discovery_config_default(jxta_discovery_config_t *cfg);

/* An advertisement arrived in an answer (qid 0 = unsolicited remote publish). */
typedef void (*jxta_discovery_found_fn)(void *ud, int type, const char *adv_xml, size_t len,
                                        const jxta_id_t *from, long qid);

/* `cm` is shared (the peer's cache); the service does not own it. */
int jxta_discovery_new(jxta_resolver_t *res, jxta_rdv_t *rdv, jxta_cm_t *cm,
                       const jxta_discovery_config_t *cfg, jxta_discovery_t **out);
void jxta_discovery_free(jxta_discovery_t *d);
void jxta_discovery_on_found(jxta_discovery_t *d, jxta_discovery_found_fn fn, void *ud);

/* Local publish (lifetime: how long we keep it; expiration: how long others
 * may); its index reaches the rendezvous with the next SRDI push, which is
 * brought forward. */
int jxta_discovery_publish(jxta_discovery_t *d, const jxta_adv_t *adv, int64_t lifetime_ms,
                           int64_t expiration_ms);
/* Remote publish: an unsolicited answer (QueryID 0) walked to the rendezvous. */
int jxta_discovery_remote_publish(jxta_discovery_t *d, const jxta_adv_t *adv,
                                  int64_t expiration_ms);
/* Remote query; dest NULL = walk.  type 0/1/2 (peer/group/adv); attr and
 * value may be NULL (any); *qid gets the query ID. */
int jxta_discovery_query(jxta_discovery_t *d, int type, const char *attr, const char *value,
                         int threshold, const jxta_id_t *dest, long *qid);
/* Edge: SRDI messages and bytes (element bodies, gzip'd) pushed so far. */
void jxta_discovery_srdi_sent(const jxta_discovery_t *d, uint64_t *messages, uint64_t *bytes);
/* Rendezvous: entries in the SRDI index (0 on an edge). */
size_t jxta_discovery_index_size(const jxta_discovery_t *d);

#ifdef __cplusplus
}
#endif
#endif
