/* jxta/srdi.h - Shared Resource Distributed Index (PROTOCOLS.md 7.4, 8.5,
 * 6.5, 5.5): the gzip'd `jxta:ResolverSRDI` / `jxta:GenSRDI` documents an
 * edge pushes to its rendezvous, and the index the rendezvous keeps.
 *
 * Three layers, usable separately:
 *   gzip      RFC 1952 streams exactly as Java's GZIPOutputStream writes
 *             them (JXSE compresses every SRDI element), and a gunzip that
 *             treats its input as hostile: the inflated size is capped, so
 *             a gzip bomb costs at most the cap, never the bomb.
 *   documents jxta:GenSRDI (who indexes what) and its jxta:ResolverSRDI
 *             wrapper (handler name + the GenSRDI text as escaped payload),
 *             read with JXSE's rules and written in JXSE's tab-indented
 *             layout, byte for byte; plus one call each way between a
 *             message element and the pair.
 *   index     the rendezvous side: (PKey, SKey, value) -> peers with an
 *             expiration, queried with the discovery wildcard rules, and
 *             JXSE's replica selection over the rendezvous peer view.
 *
 * Time is always passed in (milliseconds, any monotonic origin), so the
 * index has no clock and tests need no sleeps.  Expirations in documents
 * are relative; values at or above JXTA_SRDI_EXP_INFINITE mean "never"
 * (JXSE writes Long.MAX_VALUE minus the current time for "forever"). */
#ifndef JXTA_SRDI_H
#define JXTA_SRDI_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/buf.h>
#include <jxta/id.h>
#include <jxta/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- gzip (RFC 1952) --------------------------------------------------- */

/* Default cap on inflated bytes (jxta_gunzip with max_out 0, SRDI decode). */
#define JXTA_GZIP_DEFAULT_MAX ((size_t)4 << 20)

/* Append a gzip member of [p, p+n) to `out`: header 1f 8b 08 00 00000000
 * 00 ff (no name, mtime 0, XFL 0, OS "unknown", as the JXSE captures show),
 * raw deflate at zlib's default level 6, CRC-32 and size.  Output equals
 * Java's for the same input.  On error `out` keeps its previous length. */
int jxta_gzip(const void *p, size_t n, jxta_buf_t *out);

/* Append the inflated content of a gzip stream (one or more members) to
 * `out`, refusing to produce more than `max_out` bytes in total (0 =
 * JXTA_GZIP_DEFAULT_MAX).  Any header flags are accepted (FEXTRA, FNAME,
 * FCOMMENT, FHCRC checked).  Errors: JXTA_EMAGIC (not 1f 8b), JXTA_EPROTO
 * (method not deflate, reserved flag bits, bad header CRC, corrupt deflate
 * data, CRC-32 or size mismatch), JXTA_ETRUNC (input ends early, empty
 * input included), JXTA_ETRAILING (bytes after a member that do not start
 * another one), JXTA_ETOOBIG (over the cap), JXTA_ENOMEM.  Every rejection
 * is logged (module "gzip"); on error `out` keeps its previous length. */
int jxta_gunzip(const void *p, size_t n, size_t max_out, jxta_buf_t *out);

/* ---- Documents ----------------------------------------------------------- */

/* Relative expirations >= this are "infinite" (2^62 ms, 146 million years). */
#define JXTA_SRDI_EXP_INFINITE ((int64_t)1 << 62)
/* What JXSE writes for an entry that never expires (Long.MAX_VALUE). */
#define JXTA_SRDI_EXP_FOREVER INT64_MAX
/* Expiration attribute absent. */
#define JXTA_SRDI_EXP_ABSENT ((int64_t)-1)

/* Handler names that carry SRDI in JXSE 2.5 (7.5). */
#define JXTA_SRDI_HANDLER_DISCOVERY "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000305"
#define JXTA_SRDI_HANDLER_PIPE "JxtaPipeResolver"
#define JXTA_SRDI_HANDLER_ROUTER "EndpointRouter"
/* The SRDI element's MIME type as JXSE writes it. */
#define JXTA_SRDI_MIME_GZIP "application/gzip"

typedef struct jxta_srdi_limits {
    size_t max_inflated; /* gunzip cap, also the largest XML document (default 4 MiB) */
    size_t max_entries;  /* Entry elements in one GenSRDI (default 16384) */
} jxta_srdi_limits_t;

#define JXTA_SRDI_DEFAULT_MAX_ENTRIES ((size_t)16384)

void jxta_srdi_limits_default(jxta_srdi_limits_t *lim);

typedef struct jxta_srdi_entry {
    char *skey;            /* secondary key (index field name); "NA" when absent */
    char *value;           /* indexed value, trimmed, never empty when parsed */
    int64_t expiration_ms; /* relative; 0 = remove; JXTA_SRDI_EXP_ABSENT (-1) = absent */
} jxta_srdi_entry_t;

/* One jxta:GenSRDI.  Initialise with jxta_srdi_init (or zero it), release
 * with jxta_srdi_clear; the struct owns every string. */
typedef struct jxta_srdi {
    jxta_id_t pid; /* the peer holding the indexed items */
    char *pkey;    /* Peers / Groups / Adv, a pipe type, route */
    int ttl;       /* 0 = absent (written only when > 0; JXSE sends 1) */
    jxta_srdi_entry_t *entries;
    size_t count;
    size_t cap;
} jxta_srdi_t;

void jxta_srdi_init(jxta_srdi_t *s);
void jxta_srdi_clear(jxta_srdi_t *s); /* frees the strings, leaves an empty struct */
/* Copy `pkey` in (replacing any previous one). */
int jxta_srdi_set_pkey(jxta_srdi_t *s, const char *pkey);
/* Append an entry (strings copied); `skey` NULL = "NA". */
int jxta_srdi_add(jxta_srdi_t *s, const char *skey, const char *value, int64_t expiration_ms);
/* Same PID, PKey, ttl and entries (in order).  1 if equal, else 0. */
int jxta_srdi_equal(const jxta_srdi_t *a, const jxta_srdi_t *b);

/* Parse a jxta:GenSRDI document (the root may also be another element
 * carrying type="jxta:GenSRDI", as JXSE allows).  JXSE's reading rules:
 * Entry without text skipped, SKey absent -> "NA", Expiration absent -> -1,
 * unknown children ignored.  `out` must be initialised; it is cleared
 * first and left empty on error.  `lim` NULL = defaults.  Errors:
 * XML errors (JXTA_EXML, JXTA_EDEPTH, JXTA_ETOOBIG, JXTA_EUTF8),
 * JXTA_EADVTYPE (other root), JXTA_EMISSING (no PID / PKey), JXTA_EBADID /
 * JXTA_ENONCANON (PID not a canonical peer ID), JXTA_EPROTO (repeated PID /
 * PKey / ttl, non-numeric ttl or Expiration), JXTA_ERANGE (negative or
 * overflowing ttl, Expiration outside 64 bits), JXTA_ETOOBIG (more
 * entries than lim->max_entries).  Each rejection is logged ("srdi"). */
int jxta_srdi_parse(const void *text, size_t len, const jxta_srdi_limits_t *lim, jxta_srdi_t *out);
/* Append the document in JXSE's layout: declaration, DOCTYPE, root with
 * xmlns:jxta, then one tab-indented child per line (text on its own line
 * indented twice), PID, PKey, ttl (if > 0), Entry SKey="..." Expiration="..."
 * (always written, as JXSE does), closing tag and a newline.  Errors:
 * JXTA_EMISSING (no PKey), JXTA_EINVAL (text that is not valid UTF-8 or
 * holds characters XML forbids), buffer errors; `out` then keeps its
 * previous length.  An entry with an empty value is written as an empty
 * element, which readers (JXSE's and ours) skip. */
int jxta_srdi_write(const jxta_srdi_t *s, jxta_buf_t *out);

/* The jxta:ResolverSRDI wrapper: handler name and the payload text (the
 * unescaped GenSRDI document).  jxta:Cred is ignored when reading and
 * never written. */
typedef struct jxta_rsrdi {
    char *handler;
    char *payload;
} jxta_rsrdi_t;

void jxta_rsrdi_clear(jxta_rsrdi_t *r);
/* Errors as jxta_srdi_parse (JXTA_EMISSING for no or empty HandlerName /
 * Payload, JXTA_EPROTO when repeated).  `out` is overwritten (not freed
 * first); on error it holds NULLs. */
int jxta_rsrdi_parse(const void *text, size_t len, const jxta_srdi_limits_t *lim,
                     jxta_rsrdi_t *out);
/* JXSE's layout, like jxta_srdi_write; trailing whitespace of the payload
 * is not written (readers trim it anyway), so a GenSRDI written by
 * jxta_srdi_write is wrapped exactly as JXSE wraps its own. */
int jxta_rsrdi_write(const char *handler, const char *payload, jxta_buf_t *out);

/* A whole SRDI message element: gunzip it when its base MIME type is
 * application/gzip (or x-gzip), otherwise read it as XML text (JXSE decides
 * the same way), then parse ResolverSRDI and the GenSRDI in its payload.
 * *handler (if not NULL) receives the malloc'd handler name.  `srdi` must
 * be initialised.  Errors: those of jxta_gunzip, jxta_rsrdi_parse and
 * jxta_srdi_parse; nothing is returned on error. */
int jxta_srdi_element_decode(const jxta_msg_elem_t *e, const jxta_srdi_limits_t *lim,
                             char **handler, jxta_srdi_t *srdi);
/* Write GenSRDI, wrap it for `handler`, gzip it and append it to `m` as
 * element jxta:`elem_name` (e.g. "jxta-NetGroupSrdi") of type
 * application/gzip, as JXSE's resolver sends SRDI. */
int jxta_srdi_element_encode(const char *handler, const jxta_srdi_t *srdi, jxta_msg_t *m,
                             const char *elem_name);

/* ---- Index (rendezvous side) ------------------------------------------- */

typedef struct jxta_srdi_index jxta_srdi_index_t;

typedef struct jxta_srdi_index_limits {
    size_t max_entries; /* live (PKey, SKey, value, peer) entries (default 100000) */
    size_t max_bytes;   /* bytes of key and value text held (default 32 MiB) */
    size_t max_text;    /* longest PKey, SKey or value accepted (default 4096) */
} jxta_srdi_index_limits_t;

void jxta_srdi_index_limits_default(jxta_srdi_index_limits_t *lim);

/* `lim` NULL = defaults.  Not thread-safe: use it from one loop thread. */
int jxta_srdi_index_new(jxta_srdi_index_t **out, const jxta_srdi_index_limits_t *lim);
void jxta_srdi_index_free(jxta_srdi_index_t *idx);

/* Record that `peer` holds (pkey, skey, value) for `expiration_ms` from
 * `now_ms`; adding it again replaces the expiration.  expiration_ms <= 0
 * (0 = JXSE's removal, -1 = absent) removes the entry instead;
 * >= JXTA_SRDI_EXP_INFINITE never expires.  When the index is full the
 * expired entries are dropped first; if still full the add is refused with
 * JXTA_ETOOBIG and a WARN line (one per full spell, then debug).  Errors:
 * JXTA_EINVAL (NULL pkey/skey/value/peer), JXTA_ETOOBIG (text over
 * max_text, or full), JXTA_ENOMEM. */
int jxta_srdi_index_add(jxta_srdi_index_t *idx, const char *pkey, const char *skey,
                        const char *value, const jxta_id_t *peer, int64_t expiration_ms,
                        int64_t now_ms);
/* Apply every entry of a GenSRDI received from srdi->pid.  Returns 0, or
 * the first error met (the other entries are still applied). */
int jxta_srdi_index_add_srdi(jxta_srdi_index_t *idx, const jxta_srdi_t *srdi, int64_t now_ms);
/* Forget the entries of `peer` (all, or only those under `pkey` when not
 * NULL); returns how many were removed. */
size_t jxta_srdi_index_remove_peer(jxta_srdi_index_t *idx, const jxta_id_t *peer, const char *pkey);
/* Peers holding a live entry under `pkey` whose SKey is `skey` (NULL = any)
 * and whose value matches `pattern` with the discovery rules (8.1): exact,
 * "abc*" prefix, "*abc" suffix, "*abc*" contains, "*" or ""/NULL = any;
 * case-sensitive.  Writes up to `max` distinct peers to `peers` (in the
 * order their first matching entry was added) and returns how many. */
size_t jxta_srdi_index_query(const jxta_srdi_index_t *idx, const char *pkey, const char *skey,
                             const char *pattern, int64_t now_ms, jxta_id_t *peers, size_t max);
/* Drop entries expired at `now_ms`; returns how many. */
size_t jxta_srdi_index_gc(jxta_srdi_index_t *idx, int64_t now_ms);
/* Entries held (expired ones not yet collected included). */
size_t jxta_srdi_index_count(const jxta_srdi_index_t *idx);
/* Entries held for one peer. */
size_t jxta_srdi_index_count_peer(const jxta_srdi_index_t *idx, const jxta_id_t *peer);

/* Replica selection (6.5): the rendezvous responsible for `key` (PKey +
 * SKey + value, concatenated) among the `n` peers of `view` (any order;
 * JXSE sorts by ID string).  D = SHA-1 of the key bytes as a non-negative
 * integer, L = byte length of Java's BigInteger.toByteArray() of D, and the
 * replica is the peer at sorted position floor(D * n / 2^(8L)).  Returns
 * that peer's index in `view`, or JXTA_EINVAL (n == 0 or too large, NULL
 * arguments), JXTA_ENOMEM.  JXSE uses it only when n >= 3. */
int jxta_srdi_replica(const char *key, const jxta_id_t *view, size_t n);

#ifdef __cplusplus
}
#endif
#endif
