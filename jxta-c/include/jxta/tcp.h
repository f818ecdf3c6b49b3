/* jxta/tcp.h - the JXSE 2.5 TCP message transport (PROTOCOLS.md 4, 14).
 *
 * One jxta_tcp_t per peer: an optional listening socket and a table of
 * connections, all driven by the peer's event loop with non-blocking I/O.
 * A connection starts with a welcome line each way, then carries framed
 * binary messages both ways.  The transport:
 *   - sends a 1.1 welcome (as JXSE) or a 3.0 one offering message version 1,
 *     and speaks version 0 unless both sides offered 1 in 3.0 welcomes;
 *   - never writes a message right behind its welcome: JXSE's reader may
 *     stall on bytes that arrive with the welcome line (the "post-welcome
 *     race"), so the first frame waits first_frame_delay_ms;
 *   - keeps one connection per remote peer for sending (the newest one that
 *     completed its welcome), used in both directions;
 *   - bounds every send queue (jxta_tcp_send answers JXTA_EBUSY when full, so
 *     a slow or dead peer never grows memory or blocks the loop), closes
 *     connections idle for idle_ms, and refuses hostile frame sizes before
 *     allocating (frame limits);
 *   - reports every send's outcome to the caller's callback: written to the
 *     socket, or dropped with the reason.  Sends to one connection are
 *     written in the order they were made.
 * All functions must be called on the loop thread. */
#ifndef JXTA_TCP_H
#define JXTA_TCP_H

#include <stdint.h>

#include <jxta/addr.h>
#include <jxta/frame.h>
#include <jxta/id.h>
#include <jxta/loop.h>
#include <jxta/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_tcp jxta_tcp_t;
typedef struct jxta_tcp_conn jxta_tcp_conn_t;

typedef struct jxta_tcp_config {
    jxta_id_t peer_id;        /* our peer ID (welcome line) */
    int listen;               /* accept incoming connections */
    char listen_host[64];     /* default "127.0.0.1" */
    uint16_t listen_port;     /* 0 = any free port (see jxta_tcp_public_addr) */
    int welcome_v3;           /* send a 3.0 welcome offering message version 1 */
    uint64_t welcome_timeout_ms;   /* default 10000 (JXSE) */
    uint64_t first_frame_delay_ms; /* default 150 */
    uint64_t idle_ms;              /* default 15 min (JXSE) */
    uint64_t connect_timeout_ms;   /* default 10000 */
    /* A connection whose sent data stays unacknowledged this long, or whose
     * peer stops answering keep-alive probes for about as long, is closed
     * (TCP_USER_TIMEOUT + keep-alive), so a peer behind a network cut is
     * noticed and reconnected in seconds, not after TCP's own back-off of
     * minutes.  Default 15000; 0 = the kernel's defaults. */
    uint64_t dead_peer_ms;
    size_t max_queue_bytes;        /* per connection, default 8 MiB */
    jxta_frame_limits_t frame_limits;
    jxta_msg_limits_t msg_limits;
} jxta_tcp_config_t;

void jxta_tcp_config_default(jxta_tcp_config_t *cfg);

typedef struct jxta_tcp_events {
    /* Welcome exchanged: the connection can carry messages. */
    void (*conn_up)(void *ud, jxta_tcp_conn_t *c);
    /* The connection is gone (after this call `c` is invalid).  `err` says
     * why: JXTA_ECLOSED (remote closed or we closed), JXTA_ETIMEDOUT,
     * JXTA_EIO, JXTA_EREFUSED (a dial refused: nothing listens there),
     * JXTA_EUNREACH (a dial failed otherwise), or a protocol error code. */
    void (*conn_down)(void *ud, jxta_tcp_conn_t *c, int err);
    /* A message arrived; the callee owns `m`. */
    void (*message)(void *ud, jxta_tcp_conn_t *c, jxta_msg_t *m);
} jxta_tcp_events_t;

/* Outcome of one send: 0 once the whole frame is written to the socket, or
 * the negative reason it was dropped. */
typedef void (*jxta_tcp_sent_cb)(void *ud, int status);

int jxta_tcp_new(jxta_loop_t *loop, const jxta_tcp_config_t *cfg, const jxta_tcp_events_t *ev,
                 void *ud, jxta_tcp_t **out);
/* Closes every connection (conn_down is called for each) and the listener. */
void jxta_tcp_free(jxta_tcp_t *t);
/* Our public address: tcp://host:port when listening, tcp://host:0 when not. */
const jxta_addr_t *jxta_tcp_public_addr(const jxta_tcp_t *t);

/* Start connecting to a tcp:// address (service part ignored).  Returns the
 * new connection at once; conn_up or conn_down follows.  JXTA_EBUSY while a
 * recent connect to the same address failed (exponential back-off, 0.5 s up
 * to 30 s); JXTA_EINVAL for a non-tcp or unresolvable address. */
int jxta_tcp_connect(jxta_tcp_t *t, const jxta_addr_t *addr, jxta_tcp_conn_t **out);
/* While `addr` is in back-off after a failed dial (jxta_tcp_connect then
 * answers JXTA_EBUSY): why that dial failed (JXTA_EREFUSED, JXTA_EUNREACH,
 * JXTA_ETIMEDOUT) and when (loop ms).  JXTA_ENOTFOUND when not in back-off. */
int jxta_tcp_dial_failure(jxta_tcp_t *t, const jxta_addr_t *addr, uint64_t *when_ms);
/* Queue `m` to `c`.  Before encoding, the transport replaces the
 * jxta:EndpointSourceAddress (our public address) and
 * jxta:EndpointDestinationAddress (`dest`) elements of `m` (JXSE 4.4); the
 * caller keeps `m`.  Messages queued before the welcome completes are sent
 * after it.  Returns 0 (cb will be called exactly once - possibly before
 * jxta_tcp_send returns, when the frame could be written at once), or an
 * error (cb not called): JXTA_EBUSY queue full, JXTA_ECLOSED connection
 * closing, JXTA_ETOOBIG message over the frame limit. */
int jxta_tcp_send(jxta_tcp_conn_t *c, jxta_msg_t *m, const jxta_addr_t *dest,
                  jxta_tcp_sent_cb cb, void *ud);
/* Close now; queued sends fail with JXTA_ECLOSED; conn_down(err) follows. */
void jxta_tcp_close(jxta_tcp_conn_t *c, int err);

/* The connection to use for `peer`: the newest one that is up, or NULL. */
jxta_tcp_conn_t *jxta_tcp_conn_for_peer(jxta_tcp_t *t, const jxta_id_t *peer);
/* A live connection (up or still starting) that we dialled to `addr`, or
 * whose remote public address is `addr` (protocol and host compared), or
 * NULL.  Lets senders reuse a connection that is still being set up. */
jxta_tcp_conn_t *jxta_tcp_conn_for_addr(jxta_tcp_t *t, const jxta_addr_t *addr);
size_t jxta_tcp_conn_count(const jxta_tcp_t *t);
/* Bytes still queued on all connections (a peer shutting down runs its
 * loop until this is 0, bounded in time, so goodbyes reach the wire). */
size_t jxta_tcp_queued_bytes(const jxta_tcp_t *t);

/* Connection facts (valid after conn_up unless said otherwise). */
const jxta_id_t *jxta_tcp_conn_peer(const jxta_tcp_conn_t *c);
const jxta_addr_t *jxta_tcp_conn_remote_public(const jxta_tcp_conn_t *c); /* from welcome */
const jxta_addr_t *jxta_tcp_conn_dialled(const jxta_tcp_conn_t *c); /* NULL if accepted */
int jxta_tcp_conn_is_up(const jxta_tcp_conn_t *c);
int jxta_tcp_conn_incoming(const jxta_tcp_conn_t *c);
int jxta_tcp_conn_msg_version(const jxta_tcp_conn_t *c);
size_t jxta_tcp_conn_queued_bytes(const jxta_tcp_conn_t *c);
/* Free slot for the caller (e.g. the endpoint's per-connection state). */
void jxta_tcp_conn_set_data(jxta_tcp_conn_t *c, void *data);
void *jxta_tcp_conn_data(const jxta_tcp_conn_t *c);

#ifdef __cplusplus
}
#endif
#endif
