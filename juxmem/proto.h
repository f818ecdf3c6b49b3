/* juxmem/proto.h - the JuxMem protocol messages (internal, not installed).
 *
 * Every JuxMem exchange (allocation, locks, releases with their updates,
 * copy-to-copy updates and acknowledgements, reads, frees, heartbeats and
 * state transfers) is one juxmem_pmsg_t carried in a JXTA message as
 * elements of the namespace "juxmem":
 *
 *   juxmem:Header  exactly one, 192 bytes, big-endian:
 *                  u8 protocol version (1), u8 type, u16 flags, u32 epoch,
 *                  u32 mode, i32 status, 64-byte data (block) ID, 64-byte
 *                  sender peer ID, u64 seq, ref, token, version, size,
 *                  lease_ms
 *   juxmem:Range   0..JUXMEM_PROTO_MAX_RANGES: u64 offset + the bytes
 *   juxmem:Member  0..JUXMEM_MAX_COPIES: 64-byte peer ID + cluster name
 *   juxmem:Hint    at most one: 64-byte peer ID (the sequencer, in a deny)
 *
 * One fixed binary header keeps decoding a single bounds-checked read and
 * lets every message carry the fields a later consensus step needs (epoch,
 * tokens) without changing the layout.  Elements of other namespaces (the
 * transport's own headers) are ignored.  Decoding treats the message as
 * hostile: each type says which fields and elements it may carry, and
 * every violation is refused with a specific code and a log line (module
 * "juxmem").  DESIGN.md beside this file describes the protocol. */
#ifndef JUXMEM_PROTO_H
#define JUXMEM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/id.h>
#include <jxta/msg.h>

#include "juxmem.h"

#define JUXMEM_PROTO_NS "juxmem"
#define JUXMEM_PROTO_VERSION 1
#define JUXMEM_PROTO_HEADER_LEN 192
#define JUXMEM_PROTO_MAX_RANGES 1024
/* STATE may carry, as a second range at offset = size, the sender's recent
 * token history: up to JUXMEM_HISTORY_MAX (token, version) pairs, each two
 * big-endian u64, so the copy brought up to date can still recognise a
 * release it never saw as applied (a client retrying after a change of
 * sequencer). */
#define JUXMEM_HISTORY_ENTRY 16
#define JUXMEM_HISTORY_MAX 256
#define JUXMEM_CLUSTER_NAME_MAX 63 /* bytes of a cluster name (UTF-8) */
#define JUXMEM_PROTO_MAX_READ (8u << 20) /* bytes one READ may ask for */
/* Request numbers of one requester are increasing within an incarnation;
 * one far below the last seen (more than this) starts a new incarnation
 * (a restarted peer), anything closer below is a late duplicate. */
#define JUXMEM_SEQ_WINDOW (1ull << 20)

/* Internal status codes, never returned by the public API. */
#define JUXMEM__EREDIRECT (-250) /* not the sequencer: ask the Hint peer */
#define JUXMEM__EBEHIND (-251)   /* copy missed updates: send it the state */

typedef enum {
    JUXMEM_MSG_ALLOC = 1, /* allocator -> provider: reserve `size` bytes, members,
                             [hint = sequencer of an existing block] */
    JUXMEM_MSG_ALLOC_REPLY, /* status, size = free bytes left */
    JUXMEM_MSG_ACQUIRE,   /* client -> sequencer: mode, seq, version = cached,
                             ref = the view of the copies it knows */
    JUXMEM_MSG_GRANT,     /* seq, token, mode, version, lease_ms, [ranges = data],
                             [ref = view, members: when the client's view is old] */
    JUXMEM_MSG_DENY,      /* seq, status, [hint] */
    JUXMEM_MSG_RELEASE,   /* seq, token, ranges = writes (CANCEL: ref = acquire seq) */
    JUXMEM_MSG_RELEASED,  /* seq, status, version assigned */
    JUXMEM_MSG_UPDATE,    /* sequencer -> copy: version, token, ranges */
    JUXMEM_MSG_ACK,       /* copy -> sequencer: version, status */
    JUXMEM_MSG_READ,      /* client -> copy: seq, ref = offset, size = length, version */
    JUXMEM_MSG_DATA,      /* seq, status, version, one range */
    JUXMEM_MSG_FREE,      /* client -> provider: seq */
    JUXMEM_MSG_FREED,     /* seq, status, size = free bytes left */
    JUXMEM_MSG_HEARTBEAT, /* sequencer -> copies: epoch, version, ref = view, members;
                             copies answer with REPLY (ref = the view they hold) */
    JUXMEM_MSG_STATE,     /* sequencer -> copy: epoch, ref = view, version, token, size,
                             members, data */
    JUXMEM_MSG_VOTE,      /* candidate -> copies: epoch = the term it stands for,
                             version and ref = data epoch of its state,
                             token = its view (view epoch << 32 | view number),
                             members = that view */
    JUXMEM_MSG_VOTED,     /* copy -> candidate: epoch, status (0 = vote granted,
                             JUXMEM_ESTALE refused, JUXMEM_ENODATA: you are out of the
                             group), version */
    JUXMEM_MSG__LAST
} juxmem_msg_type_t;

/* Flags (header u16). */
#define JUXMEM_F_WANT_DATA 0x1u /* ACQUIRE: send the data if my version is old */
#define JUXMEM_F_RENEW 0x2u     /* ACQUIRE: extend the lease of `token` */
#define JUXMEM_F_CANCEL 0x4u    /* RELEASE: give up acquire `ref` (token may be 0) */
#define JUXMEM_F_REPLY 0x8u     /* HEARTBEAT: a copy's answer */
#define JUXMEM_F_HAS_DATA 0x10u /* GRANT: the ranges are the whole block */
#define JUXMEM_F__ALL 0x1Fu

/* Lock modes. */
#define JUXMEM_MODE_EXCL 1
#define JUXMEM_MODE_SHARED 2

typedef struct juxmem_range {
    uint64_t offset;
    uint64_t len;
    uint8_t *data; /* owned (malloc'd), len bytes */
} juxmem_range_t;

typedef struct juxmem_member {
    jxta_id_t peer;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1];
} juxmem_member_t;

typedef struct juxmem_pmsg {
    juxmem_msg_type_t type;
    unsigned flags;
    uint32_t epoch;
    uint32_t mode;
    int32_t status;
    jxta_id_t data; /* block ID (a group ID) */
    jxta_id_t from; /* sender (a peer ID) */
    uint64_t seq, ref, token, version, size, lease_ms;
    jxta_id_t hint; /* DENY with JUXMEM__EREDIRECT; null otherwise */
    size_t nranges;
    juxmem_range_t *ranges;
    size_t nmembers;
    juxmem_member_t *members;
} juxmem_pmsg_t;

/* "ACQUIRE", ...; "?" for an unknown value. */
const char *juxmem_msg_type_name(int type);

/* Zeroed message of `type` about block `data` from `from`. */
void juxmem_pmsg_init(juxmem_pmsg_t *m, juxmem_msg_type_t type, const jxta_id_t *data,
                      const jxta_id_t *from);
/* Free the ranges and members (the struct itself is the caller's). */
void juxmem_pmsg_clear(juxmem_pmsg_t *m);
/* Deep copy into *out (JXTA_ENOMEM). */
int juxmem_pmsg_copy(juxmem_pmsg_t *out, const juxmem_pmsg_t *m);
/* Append a range (data copied) or a member. */
int juxmem_pmsg_add_range(juxmem_pmsg_t *m, uint64_t offset, const void *data, uint64_t len);
int juxmem_pmsg_add_member(juxmem_pmsg_t *m, const jxta_id_t *peer, const char *cluster);

/* The per-type rules of the protocol (also applied before encoding):
 * JXTA_EPROTO (field or element not allowed, unknown flag, bad mode or
 * status), JXTA_EBADID (ID of the wrong kind), JXTA_ERANGE (ranges that
 * overflow, overlap, are unsorted or leave the block), JXTA_ETOOBIG
 * (counts).  Logs each rejection. */
int juxmem_pmsg_check(const juxmem_pmsg_t *m);

/* Add the juxmem elements of `m` to `out` (checked first). */
int juxmem_pmsg_encode(const juxmem_pmsg_t *m, jxta_msg_t *out);
/* Decode the juxmem elements of `in` into *out (cleared on error):
 * JXTA_EMISSING (no header), JXTA_EVERSION, JXTA_ETRUNC / JXTA_ETRAILING
 * (element sizes), JXTA_EPROTO (duplicate header/hint, unknown type),
 * JXTA_EBADID, JXTA_EUTF8, and the errors of juxmem_pmsg_check. */
int juxmem_pmsg_decode(const jxta_msg_t *in, juxmem_pmsg_t *out);

/* Convenience for transports and tests: the whole JXTA wire message
 * (version 0) and back. */
int juxmem_pmsg_to_wire(const juxmem_pmsg_t *m, jxta_buf_t *out);
int juxmem_pmsg_from_wire(const void *p, size_t len, juxmem_pmsg_t *out);

/* ---- advertisements and IDs (advertisements/adv_juxmem.c) --------------- */

struct jxta_adv;
struct jxta_adv_type;

/* jxta:JuxMemMemory - one provider's offer (DESIGN.md). */
extern const struct jxta_adv_type juxmem_adv_type_memory;
/* jxta:JuxMemCluster - one cluster's providers and memory. */
extern const struct jxta_adv_type juxmem_adv_type_cluster;
/* jxta:JuxMemData - one block's size and copies (index Id = the data ID). */
extern const struct jxta_adv_type juxmem_adv_type_block;
/* Register the three types (idempotent, thread-safe); 0 or the registry error. */
int juxmem_adv_register(void);

/* The juxmem group: a child of the Net group seeded from "juxmem". */
int juxmem_group_id(jxta_id_t *out);
/* A cluster's group: a child of the juxmem group seeded from
 * "juxmem-cluster:" + name.  JXTA_EINVAL for an empty or over-long name. */
int juxmem_cluster_group_id(const char *cluster, jxta_id_t *out);
/* A fresh block (data) ID: a random child group ID of the juxmem group. */
int juxmem_data_id_new(jxta_id_t *out);

typedef struct juxmem_memory_info {
    jxta_id_t provider;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1];
    uint64_t offered, free_bytes;
} juxmem_memory_info_t;

int juxmem_memory_adv_new(const juxmem_memory_info_t *info, struct jxta_adv **out);
/* Choose `want` distinct providers among `offers` that can each hold
 * `size` more bytes, most free memory first (ties: lower peer ID), as
 * indexes into offers[] in chosen[want].  JUXMEM_ENOSPACE when fewer can,
 * JXTA_EINVAL for want 0 or above JUXMEM_MAX_COPIES. */
int juxmem_choose_providers(const juxmem_memory_info_t *offers, size_t n, uint64_t size,
                            size_t want, size_t *chosen);
/* Read back (JXTA_EADVTYPE, JXTA_EMISSING, JXTA_ERANGE: free > offered or
 * a number that is not decimal, JXTA_EINVAL: cluster name). */
int juxmem_memory_adv_get(const struct jxta_adv *adv, juxmem_memory_info_t *info);

#define JUXMEM_CLUSTER_MAX_MANAGERS 8
#define JUXMEM_CLUSTER_MAX_PROVIDERS 256
typedef struct juxmem_cluster_info {
    char name[JUXMEM_CLUSTER_NAME_MAX + 1];
    jxta_id_t group;
    size_t nmanagers;
    jxta_id_t managers[JUXMEM_CLUSTER_MAX_MANAGERS];
    size_t nproviders;
    jxta_id_t providers[JUXMEM_CLUSTER_MAX_PROVIDERS];
    uint64_t free_bytes;
} juxmem_cluster_info_t;

int juxmem_cluster_adv_new(const juxmem_cluster_info_t *info, struct jxta_adv **out);
/* Also checks the group ID is the one derived from the name (JXTA_EBADID). */
int juxmem_cluster_adv_get(const struct jxta_adv *adv, juxmem_cluster_info_t *info);

typedef struct juxmem_block_adv_info {
    jxta_id_t data;               /* a child group of the juxmem group */
    uint64_t size;
    unsigned clusters, providers; /* as allocated */
    size_t ncopies;
    juxmem_member_t copies[JUXMEM_MAX_COPIES]; /* cluster "" = not given */
} juxmem_block_adv_info_t;

int juxmem_block_adv_new(const juxmem_block_adv_info_t *info, struct jxta_adv **out);
/* JXTA_EBADID (GID not a JuxMem block, a copy without peer ID),
 * JXTA_ERANGE, JXTA_EMISSING (no copy), JXTA_EPROTO (a copy twice). */
int juxmem_block_adv_get(const struct jxta_adv *adv, juxmem_block_adv_info_t *info);

#endif
