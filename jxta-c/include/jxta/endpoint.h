/* jxta/endpoint.h - the endpoint service and router (PROTOCOLS.md 5).
 *
 * The endpoint owns the peer's TCP transport and is the only thing upper
 * layers (rendezvous, resolver, pipes, JuxMem) send through or receive
 * from.  It does three jobs:
 *
 *  - demultiplexing: listeners register (group, service, param) and
 *    incoming messages are matched as JXSE does (service/param, then service
 *    with any param, then service+param concatenated);
 *  - group mangling: a service of group G travels as
 *    EndpointService:<G>/<service>/<param> over the World group's transport;
 *  - routing: messages to a peer (jxta://<peer>/service/param) carry a
 *    jxta:EndpointRouterMsg header and go to the next hop: a live
 *    connection to the peer, else one of its known addresses (learnt from
 *    route advertisements), else the gateway (our rendezvous), which
 *    forwards.  A peer with forwarding on (a rendezvous) forwards routed
 *    messages for peers it has a connection to.
 *
 * Sends report their outcome to a callback (written to a socket, or the
 * reason they were dropped); sends to the same destination keep their
 * order.  All calls are made on the loop thread. */
#ifndef JXTA_ENDPOINT_H
#define JXTA_ENDPOINT_H

#include <jxta/addr.h>
#include <jxta/adv.h>
#include <jxta/id.h>
#include <jxta/loop.h>
#include <jxta/msg.h>
#include <jxta/tcp.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_ROUTER_SERVICE "EndpointRouter"
#define JXTA_ERM_ELEMENT "EndpointRouterMsg"

typedef struct jxta_endpoint jxta_endpoint_t;

/* What a listener learns about a delivered message. */
typedef struct jxta_ep_info {
    const jxta_id_t *group;    /* group it was addressed to */
    const jxta_addr_t *src;    /* jxta://<peer> when routed, else the transport source */
    const jxta_addr_t *dst;    /* service and param as addressed (demangled) */
    const jxta_id_t *src_peer; /* originating peer when known (router Src, or the
                                  connection's welcome), else NULL */
    int routed;                /* arrived with a router header */
} jxta_ep_info_t;

/* The message is borrowed: it is freed after the listener returns. */
typedef void (*jxta_ep_listener_fn)(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info);
/* A connection to `peer` came up (up = 1) or went down (up = 0, err why). */
typedef void (*jxta_ep_conn_fn)(void *ud, const jxta_id_t *peer, int up, int err);

int jxta_endpoint_new(jxta_loop_t *loop, const jxta_tcp_config_t *tcp_cfg,
                      jxta_endpoint_t **out);
void jxta_endpoint_free(jxta_endpoint_t *ep);
const jxta_id_t *jxta_endpoint_peer_id(const jxta_endpoint_t *ep);
jxta_tcp_t *jxta_endpoint_tcp(jxta_endpoint_t *ep);
jxta_loop_t *jxta_endpoint_loop(jxta_endpoint_t *ep);

/* `param` NULL = any parameter.  JXTA_EEXIST if the exact key is taken. */
int jxta_endpoint_listen(jxta_endpoint_t *ep, const jxta_id_t *group, const char *service,
                         const char *param, jxta_ep_listener_fn fn, void *ud);
int jxta_endpoint_unlisten(jxta_endpoint_t *ep, const jxta_id_t *group, const char *service,
                           const char *param);
/* Hand `m` to the listener of dst's service/param in `group`, as if it had
 * just arrived (used by services that carry other services' messages, such
 * as propagation).  Returns 0, or JXTA_ENOTFOUND when nobody listens. */
int jxta_endpoint_deliver(jxta_endpoint_t *ep, const jxta_id_t *group, jxta_msg_t *m,
                          const jxta_addr_t *src, const jxta_addr_t *dst,
                          const jxta_id_t *src_peer, int routed);
/* Group guard: a per-group outgoing decorator and incoming filter, used by
 * membership enforcement (jxta/membership.h); one per group.
 *  - out(ud, m, group) runs at the start of every jxta_endpoint_send() for
 *    the group, before routing; it may add elements to m.  A negative
 *    return fails the send with that code.
 *  - in(ud, m, info) runs for every message arriving from the network for
 *    the group once demangled and before its listener is looked up; a
 *    negative return drops the message (the guard logs and counts).  It
 *    does not run for routed messages this peer forwards to others, nor
 *    for jxta_endpoint_deliver() (a group service handing on a message it
 *    already received through the guard).
 * Either function may be NULL.  JXTA_EEXIST if the group already has a
 * guard; jxta_endpoint_clear_group_guard() removes it (JXTA_ENOTFOUND). */
typedef int (*jxta_ep_guard_out_fn)(void *ud, jxta_msg_t *m, const jxta_id_t *group);
typedef int (*jxta_ep_guard_in_fn)(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info);
int jxta_endpoint_set_group_guard(jxta_endpoint_t *ep, const jxta_id_t *group,
                                  jxta_ep_guard_out_fn out, jxta_ep_guard_in_fn in, void *ud);
int jxta_endpoint_clear_group_guard(jxta_endpoint_t *ep, const jxta_id_t *group);

/* Connection watchers (any number). */
int jxta_endpoint_watch(jxta_endpoint_t *ep, jxta_ep_conn_fn fn, void *ud);
void jxta_endpoint_unwatch(jxta_endpoint_t *ep, jxta_ep_conn_fn fn, void *ud);

/* Send `m` (the caller keeps it; transport and router elements are
 * replaced) for group `group` to `dest`:
 *   tcp://host:port/service/param  direct, over a connection to that address
 *   jxta://<peer>/service/param     routed (router header, next hop chosen)
 * cb (may be NULL) gets the outcome exactly once when 0 is returned.
 * Errors: JXTA_EUNREACH (no connection, address or gateway for the peer),
 * JXTA_EBUSY (queue full), JXTA_EINVAL, JXTA_ETOOBIG. */
int jxta_endpoint_send(jxta_endpoint_t *ep, const jxta_id_t *group, jxta_msg_t *m,
                       const jxta_addr_t *dest, jxta_tcp_sent_cb cb, void *ud);

/* Blocking form for application threads (not the loop thread): runs the
 * send on the loop and waits until the message is written to a socket or
 * dropped, at most timeout_ms.  Returns 0, the send error, the reason the
 * message was dropped, or JXTA_ETIMEDOUT (the message may still be sent
 * later).  `m` is only read during the call. */
int jxta_endpoint_send_sync(jxta_endpoint_t *ep, const jxta_id_t *group, jxta_msg_t *m,
                            const jxta_addr_t *dest, int timeout_ms);

/* Our own route (sent in router headers on first contact with a peer). */
int jxta_endpoint_local_route(jxta_endpoint_t *ep, jxta_adv_t **ra);
/* Remember how to reach ra's destination: its tcp addresses, or, when it
 * lists none but has hops, through its first hop (a relaying rendezvous). */
int jxta_endpoint_learn_route(jxta_endpoint_t *ep, const jxta_adv_t *ra);
/* Reach `peer` by routing through `via` (which forwards). */
int jxta_endpoint_learn_route_via(jxta_endpoint_t *ep, const jxta_id_t *peer,
                                  const jxta_id_t *via);
/* Called when a routed send finds no next hop for `peer` (the route
 * resolver asks the overlay); one hook, NULL to remove. */
typedef void (*jxta_ep_route_miss_fn)(void *ud, const jxta_id_t *peer);
void jxta_endpoint_on_route_miss(jxta_endpoint_t *ep, jxta_ep_route_miss_fn fn, void *ud);
/* A relay (forwarding on) could not forward a routed message from `src`
 * to `dest` (no connection to dest); one hook (the route resolver sends
 * the source a route NACK), NULL to remove. */
typedef void (*jxta_ep_forward_fail_fn)(void *ud, const jxta_id_t *src, const jxta_id_t *dest);
void jxta_endpoint_on_forward_fail(jxta_endpoint_t *ep, jxta_ep_forward_fail_fn fn, void *ud);
/* Someone told us `peer` cannot be reached by our routes (a relay's route
 * NACK).  Watchers (at most 8) drop what they bound to that peer, e.g. an
 * output pipe rebinds.  jxta_endpoint_peer_unreachable reports it. */
typedef void (*jxta_ep_unreachable_fn)(void *ud, const jxta_id_t *peer);
int jxta_endpoint_watch_unreachable(jxta_endpoint_t *ep, jxta_ep_unreachable_fn fn, void *ud);
void jxta_endpoint_unwatch_unreachable(jxta_endpoint_t *ep, jxta_ep_unreachable_fn fn, void *ud);
void jxta_endpoint_peer_unreachable(jxta_endpoint_t *ep, const jxta_id_t *peer);
/* A peer whose process is gone: its last connection to us closed and
 * dialling its addresses again was refused at every one (nothing listens
 * where it did: on a host still up, that process died or shut down).
 * Watchers (any number; while there are any, every such close is followed
 * by that redial) hear it about a round trip after the close - far sooner
 * than heartbeats could tell.  A peer behind a network cut or on a dead
 * host gives no verdict (the dial times out): heartbeats remain the rule
 * there. */
typedef void (*jxta_ep_gone_fn)(void *ud, const jxta_id_t *peer);
int jxta_endpoint_watch_gone(jxta_endpoint_t *ep, jxta_ep_gone_fn fn, void *ud);
/* Ask for that verdict about a peer that has gone quiet without any
 * connection closing (it had none up, or only relayed paths): its
 * addresses are dialled the same way.  0 when a probe starts or a
 * connection to it is up (nothing to probe), JXTA_ENOTFOUND when no
 * address of it is known. */
int jxta_endpoint_probe(jxta_endpoint_t *ep, const jxta_id_t *peer);
void jxta_endpoint_unwatch_gone(jxta_endpoint_t *ep, jxta_ep_gone_fn fn, void *ud);
/* Peer through which to send routed messages we cannot deliver ourselves
 * (NULL = none). */
void jxta_endpoint_set_gateway(jxta_endpoint_t *ep, const jxta_id_t *peer);
/* The gateway, or JXTA_ENOTFOUND. */
int jxta_endpoint_gateway(const jxta_endpoint_t *ep, jxta_id_t *peer);
void jxta_endpoint_set_forwarding(jxta_endpoint_t *ep, int on);
/* Put our route on the first message to each new destination, not only to
 * each new gateway (off by default).  A destination first reached through
 * a relay then learns our addresses and may answer, and later take,
 * the direct path: fewer hops, but a stream switching paths in mid-flight
 * can arrive out of order, so it is for protocols that order their own
 * messages (JuxMem), not for pipes. */
void jxta_endpoint_set_route_to_destinations(jxta_endpoint_t *ep, int on);
/* 1 if a connection to `peer` is up. */
int jxta_endpoint_connected(jxta_endpoint_t *ep, const jxta_id_t *peer);

#ifdef __cplusplus
}
#endif
#endif
