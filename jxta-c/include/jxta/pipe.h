/* jxta/pipe.h - the pipe service of one peer group (PROTOCOLS.md 9):
 * unicast pipes bound with the Pipe Binding Protocol and propagate
 * ("wire") pipes carried by the rendezvous layer.
 *
 * Input pipes.  Opening one registers an endpoint listener on PipeService /
 * <pipe ID> (unicast) and an SRDI entry (handler JxtaPipeResolver, PKey =
 * pipe type, SKey Id = pipe ID, expiration "forever") that an edge pushes to
 * its rendezvous at once, again after every new lease, and with
 * Expiration 0 when the pipe closes.  Messages reach the pipe's listener or,
 * without one, a bounded queue that any thread can poll with a time-out.
 *
 * Output pipes.  A unicast output pipe asks the group (a JxtaPipeResolver
 * query walked to the rendezvous, which forwards it to the peers its SRDI
 * index names) who hosts the input pipe, binds to the first peer that
 * answers Found=true, then sends each message unchanged to
 * jxta://<peer>/PipeService/<pipe ID>.  It re-verifies the binding
 * periodically and rebinds when sends to the bound peer fail or the peer
 * answers Found=false.  A propagate output pipe adds a JxtaWireHeader and
 * walks the message to service jxta.service.wirepipe/<grp>; a rendezvous
 * passes it to its own clients that listen on the pipe (from their SRDI
 * entries, PKey JxtaPropagate) and to the other rendezvous of its view.
 * Every receiver delivers each message ID once (the last 250 remembered,
 * as JXSE).
 *
 * The rendezvous side of pipe binding lives here too: it indexes its
 * clients' pipe SRDI, forwards queries to the hosts, answers for its own
 * pipes, and forgets a client's pipes when its lease ends.
 *
 * Threads: everything is called on the loop thread except
 * jxta_input_pipe_poll, jxta_output_pipe_wait_bound and
 * jxta_output_pipe_send_sync, which are for application threads and block
 * on the loop's work (they post to the loop and wait; a thread that times
 * out withdraws safely).  Called on the loop thread they cannot block:
 * poll and wait_bound only look, send_sync answers JXTA_EINVAL.
 *
 * Limits of this version: a rendezvous does not replicate pipe SRDI to
 * other rendezvous (no replica peer); a query it cannot answer from its own
 * index reaches the rest of its PeerView through the propagation walk, but
 * answers from another rendezvous' edge depend on routes the endpoint may
 * not have.  A peer also binds to its own input pipe (messages are then
 * delivered locally).  Answers carry the local_pa given to jxta_pipes_new
 * (a rendezvous should pass its advertisement with the Rdv flag). */
#ifndef JXTA_PIPE_H
#define JXTA_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/adv.h>
#include <jxta/endpoint.h>
#include <jxta/id.h>
#include <jxta/msg.h>
#include <jxta/pipe_doc.h>
#include <jxta/propagate.h>
#include <jxta/rdv.h>
#include <jxta/resolver.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_PIPE_SERVICE "PipeService"

typedef struct jxta_pipes jxta_pipes_t;
typedef struct jxta_input_pipe jxta_input_pipe_t;
typedef struct jxta_output_pipe jxta_output_pipe_t;

typedef struct jxta_pipes_config {
    uint64_t resolve_retry_ms;   /* re-send an unanswered binding query (default 2000) */
    uint64_t resolve_timeout_ms; /* give up binding (default 60000, as JXSE) */
    uint64_t verify_ms;          /* re-verify a binding (default 1200000, as JXSE) */
    size_t queue_max;            /* messages waiting in a listener-less input pipe (default 1000) */
    size_t send_queue_max;       /* messages held by an unbound output pipe (default 1000) */
} jxta_pipes_config_t;

void jxta_pipes_config_default(jxta_pipes_config_t *cfg);

/* The pipe service of the group of `res` (same group for rdv and prop).
 * `local_pa` is our peer advertisement in that group, sent in answers. */
int jxta_pipes_new(jxta_resolver_t *res, jxta_rdv_t *rdv, jxta_propagate_t *prop,
                   const jxta_adv_t *local_pa, const jxta_pipes_config_t *cfg,
                   jxta_pipes_t **out);
/* Closes every pipe (sending the SRDI removals) and frees the service.
 * Pipe handles are invalid afterwards. */
void jxta_pipes_free(jxta_pipes_t *ps);
const jxta_id_t *jxta_pipes_group(const jxta_pipes_t *ps);

/* ---- input pipes ---------------------------------------------------------- */

/* What a listener learns about a message.  src_peer is the sending peer
 * when known (router source or wire header SrcPeer), else NULL. */
typedef struct jxta_pipe_msg_info {
    const jxta_id_t *pipe_id;
    const jxta_id_t *src_peer;
    int propagated; /* arrived on a propagate pipe */
} jxta_pipe_msg_info_t;

/* The message is the listener's: it must free it (jxta_msg_free) or keep it. */
typedef void (*jxta_pipe_listener_fn)(void *ud, jxta_input_pipe_t *ip, jxta_msg_t *m,
                                      const jxta_pipe_msg_info_t *info);

/* Open an input pipe for pipe_id of `type` (JXTA_PIPE_UNICAST or
 * JXTA_PIPE_PROPAGATE).  fn NULL: messages are queued for
 * jxta_input_pipe_poll (at most queue_max; beyond that they are dropped and
 * counted).  JXTA_EEXIST if this group already has an input pipe with
 * that ID; JXTA_EBADID for an ID that is not a pipe ID; JXTA_EINVAL for
 * another type (secure pipes need TLS, which we do not offer). */
int jxta_input_pipe_open(jxta_pipes_t *ps, const jxta_id_t *pipe_id, const char *type,
                         jxta_pipe_listener_fn fn, void *ud, jxta_input_pipe_t **out);
/* Same, from a jxta:PipeAdvertisement (Id and Type read from it). */
int jxta_input_pipe_open_adv(jxta_pipes_t *ps, const jxta_adv_t *pipe_adv,
                             jxta_pipe_listener_fn fn, void *ud, jxta_input_pipe_t **out);
/* Unregisters, sends the SRDI removal, frees queued messages.  Threads
 * blocked in poll return JXTA_ECLOSED (only close when none can start). */
void jxta_input_pipe_close(jxta_input_pipe_t *ip);
const jxta_id_t *jxta_input_pipe_id(const jxta_input_pipe_t *ip);

/* Any thread but the loop's: wait up to timeout_ms (-1 = forever, 0 = just
 * look) for a queued message.  0 and *out (the caller's), JXTA_ETIMEDOUT,
 * or JXTA_ECLOSED once the pipe is closing. */
int jxta_input_pipe_poll(jxta_input_pipe_t *ip, int timeout_ms, jxta_msg_t **out);
/* Messages received / dropped because the queue was full. */
void jxta_input_pipe_counts(const jxta_input_pipe_t *ip, uint64_t *received, uint64_t *dropped);

/* ---- output pipes --------------------------------------------------------- */

/* Binding changes of a unicast output pipe: bound to `peer` (err 0), or
 * binding failed / was lost (peer NULL, err JXTA_ETIMEDOUT: nobody answered
 * in resolve_timeout_ms; JXTA_EUNREACH: the bound peer cannot be reached
 * and nobody else hosts the pipe).  The pipe keeps trying to rebind until
 * closed. */
typedef void (*jxta_pipe_bound_fn)(void *ud, jxta_output_pipe_t *op, const jxta_id_t *peer,
                                   int err);

/* Open an output pipe.  Unicast: binding starts at once; peers[0..npeers)
 * (npeers 0 = anyone) restricts which hosts may be used.  Propagate: usable
 * at once; peers, if given, are the only receivers (TTL 1, as JXSE).
 * bound (may be NULL) reports binding changes. */
int jxta_output_pipe_open(jxta_pipes_t *ps, const jxta_id_t *pipe_id, const char *type,
                          const jxta_id_t *peers, size_t npeers, jxta_pipe_bound_fn bound,
                          void *ud, jxta_output_pipe_t **out);
int jxta_output_pipe_open_adv(jxta_pipes_t *ps, const jxta_adv_t *pipe_adv,
                              jxta_pipe_bound_fn bound, void *ud, jxta_output_pipe_t **out);
void jxta_output_pipe_close(jxta_output_pipe_t *op);
/* The bound peer (unicast): 0 and *peer, or JXTA_ENOTFOUND while unbound. */
int jxta_output_pipe_peer(const jxta_output_pipe_t *op, jxta_id_t *peer);

/* Send `m` (the caller keeps it, unchanged).  cb (may be NULL) gets the
 * outcome exactly once when 0 is returned (possibly before this returns):
 * 0 once written to a socket (unicast) or handed to the rendezvous layer
 * (propagate), else why it was dropped.  JXTA_EBUSY: the connection's
 * queue is full; run the loop and send again (order is kept).  A propagate
 * send also reaches this peer's own input pipe for that ID; it fails
 * (JXTA_EUNREACH) only when it reached nobody, e.g. an edge without a
 * lease and no local listener.
 * Unicast while unbound: the message waits (up to send_queue_max, else
 * JXTA_EBUSY) and fails with JXTA_ETIMEDOUT if binding does not succeed
 * in resolve_timeout_ms.  Messages of one pipe leave in order. */
int jxta_output_pipe_send(jxta_output_pipe_t *op, jxta_msg_t *m, jxta_tcp_sent_cb cb,
                          void *ud);

/* Application threads: wait until bound (0), or JXTA_ETIMEDOUT. */
int jxta_output_pipe_wait_bound(jxta_output_pipe_t *op, int timeout_ms);
/* Application threads: send and wait for the outcome (as above), at most
 * timeout_ms; JXTA_ETIMEDOUT then (the message may still leave later).
 * While the pipe pushes back (JXTA_EBUSY) it waits and tries again, so a
 * thread sending in a loop is paced by the pipe.  m is copied first: the
 * caller may free it as soon as this returns.  JXTA_ECLOSED if the pipe
 * closes meanwhile. */
int jxta_output_pipe_send_sync(jxta_output_pipe_t *op, jxta_msg_t *m, int timeout_ms);

/* ---- statistics (tests) --------------------------------------------------- */
typedef struct jxta_pipes_stats {
    uint64_t queries_sent, answers_sent, queries_forwarded;
    uint64_t wire_delivered, wire_duplicates, wire_forwarded;
    size_t index_entries; /* rendezvous: pipe SRDI entries held */
} jxta_pipes_stats_t;
void jxta_pipes_stats(const jxta_pipes_t *ps, jxta_pipes_stats_t *st);
/* Rendezvous: the peers its index names as hosts of pipe_id of `type`
 * (NULL = JxtaUnicast): up to `max` of them into peers[] (may be NULL with
 * max 0); returns how many were written.  0 on an edge. */
size_t jxta_pipes_index_hosts(jxta_pipes_t *ps, const jxta_id_t *pipe_id, const char *type,
                              jxta_id_t *peers, size_t max);

#ifdef __cplusplus
}
#endif
#endif
