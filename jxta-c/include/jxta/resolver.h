/* jxta/resolver.h - the Peer Resolver Protocol (PROTOCOLS.md 7).
 *
 * Services (discovery, pipe binding, the route resolver) register a handler
 * name; the resolver carries their queries and responses as
 * jxta:ResolverQuery / jxta:ResolverResponse documents in the elements
 * <grp>ORes / <grp>IRes on the resolver service of the group.  A query
 * without a destination is walked to the rendezvous; a response goes back
 * to the query's source peer through the router, using the route the query
 * carried.  Query IDs come from one counter per resolver (never 0: that is
 * the unsolicited "remote publish" response; -1 marks a route NACK).
 *
 * The documents are plain structs with parse/write functions, usable on
 * captured traffic without a running peer. */
#ifndef JXTA_RESOLVER_H
#define JXTA_RESOLVER_H

#include <stdint.h>

#include <jxta/adv.h>
#include <jxta/buf.h>
#include <jxta/endpoint.h>
#include <jxta/id.h>
#include <jxta/propagate.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- documents ---------------------------------------------------------- */

typedef struct jxta_rq {
    char *handler;
    long qid;
    int hc;
    jxta_id_t src;       /* querier (SrcPeerID, or the DstPID of SrcPeerRoute) */
    jxta_adv_t *route;   /* SrcPeerRoute's jxta:RA, or NULL */
    char *query;         /* handler payload text (unescaped) */
} jxta_rq_t;

typedef struct jxta_rr {
    char *handler;
    long qid;
    char *response;      /* handler payload text (unescaped) */
} jxta_rr_t;

/* Errors: JXTA_EXML..., JXTA_EMISSING (no HandlerName, Query/Response,
 * QueryID or source), JXTA_EPROTO (bad numbers, wrong root). */
int jxta_rq_parse(const void *xml, size_t len, jxta_rq_t *out);
int jxta_rq_write(const jxta_rq_t *q, jxta_buf_t *out);
void jxta_rq_clear(jxta_rq_t *q);
int jxta_rr_parse(const void *xml, size_t len, jxta_rr_t *out);
int jxta_rr_write(const jxta_rr_t *r, jxta_buf_t *out);
void jxta_rr_clear(jxta_rr_t *r);

/* ---- service ------------------------------------------------------------- */

typedef struct jxta_resolver jxta_resolver_t;

/* What a query handler did with a query. */
#define JXTA_RESOLVER_DONE 0
#define JXTA_RESOLVER_REPROPAGATE 1 /* not answered here: a rendezvous walks it on */

typedef int (*jxta_resolver_query_fn)(void *ud, jxta_resolver_t *r, const jxta_rq_t *q);
typedef void (*jxta_resolver_response_fn)(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp,
                                          const jxta_id_t *from);

int jxta_resolver_new(jxta_endpoint_t *ep, jxta_propagate_t *prop, const jxta_id_t *group,
                      jxta_resolver_t **out);
void jxta_resolver_free(jxta_resolver_t *r);
const jxta_id_t *jxta_resolver_group(const jxta_resolver_t *r);
jxta_endpoint_t *jxta_resolver_endpoint(jxta_resolver_t *r);

/* Either callback may be NULL.  JXTA_EEXIST if the name is taken. */
int jxta_resolver_register(jxta_resolver_t *r, const char *handler, jxta_resolver_query_fn qfn,
                           jxta_resolver_response_fn rfn, void *ud);
int jxta_resolver_unregister(jxta_resolver_t *r, const char *handler);

/* Send a query; dest NULL walks it (edge: to the rendezvous).  *qid (may
 * be NULL) gets the query ID to match responses with. */
int jxta_resolver_query(jxta_resolver_t *r, const char *handler, const char *text,
                        const jxta_id_t *dest, long *qid);
/* Forward a received query unchanged but for HC+1 (index hit); refused
 * (JXTA_ERANGE) once HC would exceed 2, as JXSE. */
int jxta_resolver_forward(jxta_resolver_t *r, const jxta_rq_t *q, const jxta_id_t *dest);
/* Answer query q: routed to its source (its route is learnt first). */
int jxta_resolver_respond(jxta_resolver_t *r, const jxta_rq_t *q, const char *text);
/* Send a response with a given qid to dest (NULL = walk): remote publish
 * uses qid 0. */
int jxta_resolver_send_response(jxta_resolver_t *r, const char *handler, long qid,
                                const char *text, const jxta_id_t *dest);
/* Send an SRDI element body (the gzip of a jxta:ResolverSRDI document, or
 * the XML itself with type text/xml) to dest (NULL = walk). */
int jxta_resolver_send_srdi(jxta_resolver_t *r, const void *body, size_t len, const char *type,
                            const jxta_id_t *dest);
/* Receiver of SRDI elements (the raw element: the caller decodes it). */
typedef void (*jxta_resolver_srdi_fn)(void *ud, jxta_resolver_t *r, const jxta_msg_elem_t *e,
                                      const jxta_id_t *from);
void jxta_resolver_on_srdi(jxta_resolver_t *r, jxta_resolver_srdi_fn fn, void *ud);
/* More receivers of SRDI elements besides the one above (at most 8; each
 * decodes the element and keeps the handler names it owns): the pipe
 * service listens beside discovery.  JXTA_ETOOBIG when full. */
int jxta_resolver_watch_srdi(jxta_resolver_t *r, jxta_resolver_srdi_fn fn, void *ud);
void jxta_resolver_unwatch_srdi(jxta_resolver_t *r, jxta_resolver_srdi_fn fn, void *ud);

/* ---- route resolver (PROTOCOLS.md 5.5) ------------------------------------ */

/* Answers jxta:ERQ route queries for ourselves and for peers we hold a
 * connection to (a rendezvous answers for its edges), learns the routes in
 * jxta:ERR answers, sends and reads route NACKs (QueryID -1: a relay could
 * not forward to a peer; the source's endpoint reports it unreachable), and asks the overlay (a walked ERQ, at most once per
 * peer per retry interval) when the endpoint finds no next hop. */
#define JXTA_ROUTE_HANDLER "EndpointRouter"

typedef struct jxta_route_resolver jxta_route_resolver_t;
int jxta_route_resolver_new(jxta_resolver_t *r, jxta_route_resolver_t **out);
void jxta_route_resolver_free(jxta_route_resolver_t *rr);
/* Answers received so far (for tests and statistics). */
size_t jxta_route_resolver_learnt(const jxta_route_resolver_t *rr);
/* Route NACKs sent (as a relay that could not forward) and received. */
void jxta_route_resolver_nacks(const jxta_route_resolver_t *rr, size_t *sent, size_t *received);

#ifdef __cplusplus
}
#endif
#endif
