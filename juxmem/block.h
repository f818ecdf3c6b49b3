/* juxmem/block.h - the JuxMem state machines (internal, not installed).
 *
 * Three pure state machines, one per role of DESIGN.md:
 *
 *   provider  a peer offering memory: an exact store (offered, used, one
 *             entry per block) and, per block, the copy (replica) state
 *             machine, which also runs the sequencer when it is this
 *             block's sequencer;
 *   client    one peer's view of one block: acquire / acquire_read,
 *             buffered writes, release, retransmissions and redirects.
 *
 * Nothing here does I/O or reads a clock: every call gets the current time
 * in milliseconds (any monotonic origin) and appends the messages to send
 * (and events for the service layer) to a juxmem_out_t.  The caller
 * delivers incoming messages with *_handle, calls *_tick regularly (every
 * few tens of milliseconds is plenty) and sends what came out.  The same
 * code therefore runs on the JXTA loop of a real peer and in the
 * deterministic simulated network of the unit tests. */
#ifndef JUXMEM_BLOCK_H
#define JUXMEM_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

typedef struct juxmem_block_cfg {
    uint64_t lease_ms;   /* lock lease (default 10000) */
    uint64_t rto_ms;     /* retransmission interval (default 200) */
    uint64_t hb_ms;      /* sequencer heartbeat period (default 1000) */
    uint64_t fail_ms;    /* a member silent this long is dead (default 5000) */
    uint64_t inline_max; /* grants carry blocks up to this size; READ chunk (default 1 MiB) */
    size_t max_queue;    /* lock requests waiting per block (default 1024) */
    size_t max_tombs;    /* freed block IDs remembered per provider (default 4096) */
    size_t max_blocks;   /* copies one provider holds at most (default 65536): each
                            has a fixed cost besides its bytes */
} juxmem_block_cfg_t;

void juxmem_block_cfg_default(juxmem_block_cfg_t *c);

/* ---- output: messages to send, events for the service layer ------------- */

typedef enum {
    JUXMEM_EV_COPY_LOST = 1, /* sequencer: copy `peer` of `data` declared dead: re-create one */
    JUXMEM_EV_EVICTED,       /* this provider's copy of `data` left the group (memory freed) */
    JUXMEM_EV_SEQUENCER,     /* this provider became the sequencer of `data` */
    JUXMEM_EV_SUSPECT        /* `peer` (a copy, or the sequencer) missed its heartbeats or
                                answers for a period and a half: ask the transport whether
                                its process ended (juxmem_provider_peer_gone if so) */
} juxmem_event_kind_t;

typedef struct juxmem_event {
    juxmem_event_kind_t kind;
    jxta_id_t data, peer;
} juxmem_event_t;

typedef struct juxmem_outmsg {
    jxta_id_t to;
    juxmem_pmsg_t m;
} juxmem_outmsg_t;

typedef struct juxmem_out {
    size_t n, cap;
    juxmem_outmsg_t *v;
    size_t nev, capev;
    juxmem_event_t *ev;
    int err; /* first allocation failure (messages then are missing: retransmission covers it) */
} juxmem_out_t;

void juxmem_out_init(juxmem_out_t *o);
/* Free every message and event; the list is empty and reusable. */
void juxmem_out_clear(juxmem_out_t *o);

/* ---- provider -------------------------------------------------------------- */

typedef struct juxmem_provider juxmem_provider_t;

/* `cluster` may be NULL; `cfg` NULL = defaults.  JXTA_EINVAL (self not a
 * peer ID, cluster name too long), JXTA_ENOMEM. */
int juxmem_provider_new(const jxta_id_t *self, const char *cluster, uint64_t offered,
                        const juxmem_block_cfg_t *cfg, juxmem_provider_t **out);
void juxmem_provider_free(juxmem_provider_t *p);

uint64_t juxmem_provider_offered(const juxmem_provider_t *p);
uint64_t juxmem_provider_used(const juxmem_provider_t *p);
uint64_t juxmem_provider_free_bytes(const juxmem_provider_t *p);
size_t juxmem_provider_nblocks(const juxmem_provider_t *p);

/* Reserve a copy of block `data` (what an ALLOC message does): `members`
 * are all the copies (this provider among them), `sequencer` the current
 * sequencer of an existing block (re-creation) or NULL for a new block
 * (the member with the lowest peer ID).  Idempotent for the same size.
 * JUXMEM_ENOSPACE (used + size > offered, or max_blocks copies held),
 * JUXMEM_ENODATA (freed before),
 * JXTA_EEXIST (known with another size), JXTA_EINVAL (size 0, self not a
 * member), JXTA_ENOMEM. */
int juxmem_provider_alloc(juxmem_provider_t *p, const jxta_id_t *data, uint64_t size,
                          const juxmem_member_t *members, size_t nmembers,
                          const jxta_id_t *sequencer, uint32_t epoch, uint64_t now);
/* Drop the copy and return its memory exactly (what a FREE message does).
 * `client`/`seq` identify the request so a duplicate of the same FREE is
 * answered 0.  JUXMEM_EFREED (already freed), JUXMEM_ENODATA. */
int juxmem_provider_free_block(juxmem_provider_t *p, const jxta_id_t *data,
                               const jxta_id_t *client, uint64_t seq, juxmem_out_t *out);

/* Handle one decoded message addressed to this provider.  Returns 0 or the
 * reason it was refused (already logged; answered when it was a request). */
int juxmem_provider_handle(juxmem_provider_t *p, const juxmem_pmsg_t *m, uint64_t now,
                           juxmem_out_t *out);
/* Leases, retransmissions, heartbeats, failure detection. */
void juxmem_provider_tick(juxmem_provider_t *p, uint64_t now, juxmem_out_t *out);
/* `peer`'s process ended (the endpoint's verdict, jxta_endpoint_watch_gone):
 * as sequencer, drop its copies at once (quorum permitting) and have them
 * re-created; as a copy whose sequencer it was, stand for election at once
 * (the lowest-ranked survivor first) instead of waiting for heartbeats to
 * fail.  Silence remains the rule for peers that vanish without a verdict. */
void juxmem_provider_peer_gone(juxmem_provider_t *p, const jxta_id_t *peer, uint64_t now,
                               juxmem_out_t *out);

/* Sequencer only: add a new copy on `peer` (already reserved there with
 * an ALLOC naming this sequencer) and bring it up to date by a state
 * transfer.  JXTA_EINVAL if this provider is not the sequencer of `data`,
 * JXTA_EEXIST, JXTA_ETOOBIG (JUXMEM_MAX_COPIES), JUXMEM_ENODATA. */
int juxmem_provider_add_copy(juxmem_provider_t *p, const jxta_id_t *data, const jxta_id_t *peer,
                             const char *cluster, uint64_t now, juxmem_out_t *out);

typedef struct juxmem_block_info {
    uint64_t size, version, last_token;
    uint32_t epoch;
    uint64_t view; /* version of the member list (HEARTBEAT ref; answered in replies) */
    int is_sequencer;
    jxta_id_t sequencer;
    size_t nmembers;
    juxmem_member_t members[JUXMEM_MAX_COPIES];
    /* sequencer only: */
    int locked;             /* 0 free, 1 exclusive, 2 shared */
    jxta_id_t holder;       /* exclusive holder */
    uint64_t lease_left_ms;
    size_t queued;
    int has_quorum;         /* a majority of the members is reachable */
} juxmem_block_info_t;

/* JUXMEM_ENODATA if this provider holds no copy of `data`. */
int juxmem_provider_block_info(const juxmem_provider_t *p, const jxta_id_t *data, uint64_t now,
                               juxmem_block_info_t *info);
/* Copy bytes of this provider's copy (tests, state inspection). */
int juxmem_provider_peek(const juxmem_provider_t *p, const jxta_id_t *data, uint64_t offset,
                         void *buf, size_t len);

/* ---- allocation and free: the requester ------------------------------------ */

/* One request fanned out to several providers, retransmitted until each
 * answers or `timeout_ms` passes. */
typedef struct juxmem_fanout juxmem_fanout_t;

/* Reserve block `data` (a fresh juxmem_data_id_new) of `size` bytes on
 * every provider of `providers` (they become the block's copies, the
 * lowest peer ID its first sequencer).  Result 0 once all accepted;
 * otherwise the first refusal (JUXMEM_ENOSPACE...) or JUXMEM_EUNREACH,
 * after freeing what was reserved (the operation stays busy during that
 * undo, at most fail_ms). */
int juxmem_fanout_alloc(const jxta_id_t *self, const jxta_id_t *data, uint64_t size,
                        const juxmem_member_t *providers, size_t n,
                        const juxmem_block_cfg_t *cfg, uint64_t now, uint64_t timeout_ms,
                        juxmem_out_t *out, juxmem_fanout_t **op);
/* Free block `data` on its copies.  Result 0 if some copy was freed,
 * JUXMEM_EFREED if it had been freed already, JUXMEM_ENODATA if no copy
 * knew it, JUXMEM_EUNREACH if nobody answered. */
int juxmem_fanout_free(const jxta_id_t *self, const jxta_id_t *data,
                       const juxmem_member_t *copies, size_t n, const juxmem_block_cfg_t *cfg,
                       uint64_t now, uint64_t timeout_ms, juxmem_out_t *out,
                       juxmem_fanout_t **op);
int juxmem_fanout_handle(juxmem_fanout_t *f, const juxmem_pmsg_t *m, uint64_t now,
                         juxmem_out_t *out);
void juxmem_fanout_tick(juxmem_fanout_t *f, uint64_t now, juxmem_out_t *out);
int juxmem_fanout_busy(const juxmem_fanout_t *f);
/* 0 or the error once finished; JXTA_EBUSY before. */
int juxmem_fanout_result(const juxmem_fanout_t *f);
void juxmem_fanout_free_op(juxmem_fanout_t *f);

/* ---- client ---------------------------------------------------------------- */

typedef struct juxmem_client juxmem_client_t;

/* One client's handle on block `data` of `size` bytes held by `copies`
 * (any of them will do: non-sequencers redirect).  `cfg` NULL = defaults. */
int juxmem_client_new(const jxta_id_t *self, const jxta_id_t *data, uint64_t size,
                      const juxmem_member_t *copies, size_t ncopies,
                      const juxmem_block_cfg_t *cfg, juxmem_client_t **out);
void juxmem_client_free(juxmem_client_t *c);
/* Replace the copies the client asks (the block's copies changed: lost
 * ones re-created elsewhere).  JXTA_EINVAL for an empty or oversized list. */
int juxmem_client_set_copies(juxmem_client_t *c, const juxmem_member_t *copies, size_t n);
/* The copies the client knows (at most `cap` written; returns how many it
 * knows).  A GRANT brings the sequencer's list when the client's is older. */
size_t juxmem_client_copies(const juxmem_client_t *c, juxmem_member_t *out, size_t cap);
/* The copy the client's requests go to now: the sequencer once one
 * answered or redirected it. */
const jxta_id_t *juxmem_client_target(const juxmem_client_t *c);
/* 1 when the endpoint said `peer` ended (juxmem_client_peer_gone), else 0. */
int juxmem_client_peer_is_gone(const juxmem_client_t *c, const jxta_id_t *peer);

/* Start an acquire (mode JUXMEM_MODE_EXCL / _SHARED) that gives up after
 * timeout_ms: JUXMEM_ELOCKTIMEOUT when copies answered but the lock never
 * came, JUXMEM_EUNREACH when nobody answered.  Returns JXTA_EBUSY while
 * another operation runs, JXTA_EINVAL for a bad mode or a lock already held. */
int juxmem_client_acquire(juxmem_client_t *c, int mode, uint64_t now, uint64_t timeout_ms,
                          juxmem_out_t *out);
/* Start the release of the held lock, sending the buffered writes.
 * Result 0 once a majority of the copies holds them, JUXMEM_ESTALE if the
 * lease had expired, JUXMEM_ENOQUORUM if the sequencer has no majority
 * (writes discarded in both cases), JUXMEM_EUNREACH if no answer came in
 * time (the writes may or may not be in).  JUXMEM_ENOTLOCKED if nothing
 * is held. */
int juxmem_client_release(juxmem_client_t *c, uint64_t now, uint64_t timeout_ms,
                          juxmem_out_t *out);
/* Extend the lease of the held lock (long critical sections).  Result 0,
 * or JUXMEM_ESTALE if it had already run out (the lock and the buffered
 * writes are then gone). */
int juxmem_client_renew(juxmem_client_t *c, uint64_t now, uint64_t timeout_ms,
                        juxmem_out_t *out);
/* What is left of the lease as this client counts it (from its request,
 * so never more than the sequencer's). */
uint64_t juxmem_client_lease_left(const juxmem_client_t *c, uint64_t now);
/* 1 while an acquire, renew or release is in progress. */
int juxmem_client_busy(const juxmem_client_t *c);
/* Result of the last finished operation (0 or a negative code). */
int juxmem_client_result(const juxmem_client_t *c);
/* JUXMEM_MODE_EXCL / _SHARED while a lock is held, else 0. */
int juxmem_client_held(const juxmem_client_t *c);
uint64_t juxmem_client_version(const juxmem_client_t *c);
uint64_t juxmem_client_token(const juxmem_client_t *c);

/* Under a lock: JUXMEM_ENOTLOCKED (no lock, or a write under a shared
 * one), JUXMEM_ERANGE. */
int juxmem_client_read(const juxmem_client_t *c, uint64_t offset, void *buf, size_t len);
int juxmem_client_write(juxmem_client_t *c, uint64_t offset, const void *buf, size_t len);

int juxmem_client_handle(juxmem_client_t *c, const juxmem_pmsg_t *m, uint64_t now,
                         juxmem_out_t *out);
void juxmem_client_tick(juxmem_client_t *c, uint64_t now, juxmem_out_t *out);
/* `peer`'s process ended: never target it again; a request waiting on it
 * goes to the next copy at once. */
void juxmem_client_peer_gone(juxmem_client_t *c, const jxta_id_t *peer, uint64_t now,
                             juxmem_out_t *out);

#endif
