/* jxta/cm.h - the cache manager of one peer (PROTOCOLS.md 8.6, 2.12): the
 * advertisements it knows, per group and per discovery directory, with
 * their index fields, lifetimes and expirations, the SRDI deltas an edge
 * pushes to its rendezvous (8.5), and optional persistence in the peer's
 * home directory.
 *
 * Model.  An entry is one advertisement document in (group, directory)
 * under a key: the unique value of the advertisement's ID ("uuid-...",
 * "jxta-NetGroup") when the ID names the advertisement itself (peer ID of
 * a PA in Peers, group ID of a PGA in Groups, pipe/module/codat IDs in
 * Adv); "cm" + 40 hex digits of SHA-1 otherwise - over type name and ID for
 * the advertisements that merely refer to a peer (RA, APA, rendezvous
 * advertisement, which would collide in Adv), over the compact document
 * for ID-less ones such as MIA.  A PA is keyed by its PID's unique value
 * (JXSE hashes type+GID+PID into a codat ID; the cache is already per
 * group, so the PID alone is just as unique).  Types without a directory
 * (PlatformConfig, unregistered types) go to Adv, as JXSE's publish(adv)
 * does.  Each entry keeps its document text (sent as is in responses),
 * its index fields (name, value) as jxta_adv_index gives them (empty
 * values are not indexed), an absolute lifetime deadline and an
 * expiration duration: expiration <= lifetime; re-publishing a key never
 * brings its deadline closer, and the newer document replaces the older.
 * Search results and SRDI carry what others may keep: the shareable
 * expiration min(remaining lifetime, expiration); entries at 0 are not
 * shared.  Durations >= 2^62 ms mean forever (JXTA_CM_FOREVER).
 *
 * Time is always passed in (`now_ms`, wall-clock milliseconds since the
 * epoch) so that tests control it and deadlines survive a restart.
 *
 * Bounds.  max_entries and max_bytes (sum of document lengths) are hard
 * limits: when a publish goes over one, entries nearest to their deadline
 * are evicted first (one WARN line each), which may be the new one itself
 * (the publish then returns JXTA_ETOOBIG).  The SRDI journal is bounded
 * too; when it overflows it is replaced by a "send everything" mark.
 *
 * Persistence.  Opened with a home directory, the cache keeps one plain
 * file per entry: <home>/cm/<group unique value>/<Peers|Groups|Adv>/<key>.xml
 * holding exactly the document, and <key>.meta holding one line
 *     jxta-cm 1 <deadline ms since epoch|forever> <expiration ms|forever>
 * Plain files need no extra dependency, can be inspected and edited with
 * any tool, and one corrupt file affects one entry only.  Each file is
 * written to a temporary name and renamed over the old one (the document
 * first, then its metadata), so a crash leaves either the old or the new
 * version of each file; an .xml without .meta is treated as corrupt.  On
 * open everything is reloaded: expired entries and corrupt files
 * (unreadable, bad metadata, document that does not parse or whose key or
 * directory differs from its path) are deleted with a log line and never
 * prevent startup.  A write failure leaves the entry cached in memory and
 * returns JXTA_EIO.
 *
 * Not thread-safe: the owning peer's loop thread uses it. */
#ifndef JXTA_CM_H
#define JXTA_CM_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/adv.h>
#include <jxta/id.h>

#ifdef __cplusplus
extern "C" {
#endif

/* JXSE's defaults for a local publish (8.6). */
#define JXTA_CM_DEFAULT_LIFETIME_MS 31536000000LL /* 1 year */
#define JXTA_CM_DEFAULT_EXPIRATION_MS 7200000LL   /* 2 hours */
/* Durations at or above this are "forever"; reported as JXTA_CM_FOREVER. */
#define JXTA_CM_FOREVER_MIN ((int64_t)1 << 62)
#define JXTA_CM_FOREVER INT64_MAX
/* Absolute deadline of a forever entry. */
#define JXTA_CM_NO_DEADLINE UINT64_MAX

/* Longest key: "uuid-" + 128 hex digits. */
#define JXTA_CM_KEY_MAX 160

#define JXTA_CM_DEFAULT_MAX_ENTRIES ((size_t)16384)
#define JXTA_CM_DEFAULT_MAX_BYTES ((size_t)32 << 20)
/* A stored document larger than this is refused / treated as corrupt. */
#define JXTA_CM_MAX_DOC_BYTES ((size_t)1 << 20)

typedef struct jxta_cm jxta_cm_t;

typedef struct jxta_cm_limits {
    size_t max_entries; /* 0 = JXTA_CM_DEFAULT_MAX_ENTRIES */
    size_t max_bytes;   /* sum of document lengths; 0 = JXTA_CM_DEFAULT_MAX_BYTES */
} jxta_cm_limits_t;

/* `home` NULL = memory only; else the peer home (created if needed), and
 * everything under <home>/cm is reloaded, dropping what expired by
 * `now_ms`.  `lim` NULL = defaults.  Errors: JXTA_EIO when <home>/cm cannot
 * be created or read, JXTA_ENOMEM. */
int jxta_cm_open(const char *home, const jxta_cm_limits_t *lim, uint64_t now_ms,
                 jxta_cm_t **out);
void jxta_cm_close(jxta_cm_t *cm);

/* The cache key of an advertisement (see above) into out[JXTA_CM_KEY_MAX]. */
int jxta_cm_key(const jxta_adv_t *adv, char *out, size_t cap);
/* Directory an advertisement is cached in (NONE -> ADV). */
jxta_adv_dir_t jxta_cm_dir_of(const jxta_adv_t *adv);
/* "Peers" / "Groups" / "Adv" (the SRDI primary key); NULL otherwise. */
const char *jxta_cm_dir_name(jxta_adv_dir_t dir);

/* ---- Publishing --------------------------------------------------------- */

/* Cache `adv` (its compact serialization) in `group` (a group ID).
 * lifetime_ms > 0, 0 <= expiration_ms (clamped to the lifetime).
 * Errors: JXTA_EINVAL (group not a group ID), JXTA_ERANGE (durations),
 * JXTA_ETOOBIG (document larger than JXTA_CM_MAX_DOC_BYTES or max_bytes,
 * or evicted at once), JXTA_EIO (cached but not saved), JXTA_ENOMEM. */
int jxta_cm_publish(jxta_cm_t *cm, const jxta_id_t *group, const jxta_adv_t *adv,
                    int64_t lifetime_ms, int64_t expiration_ms, uint64_t now_ms);
/* Same for a document received as text (e.g. a DiscoveryResponse entry);
 * the text is parsed to check it and compute key/index, and kept as
 * received (surrounding whitespace dropped).  Parse errors as
 * jxta_adv_parse. */
int jxta_cm_publish_text(jxta_cm_t *cm, const jxta_id_t *group, const char *text, size_t len,
                         int64_t lifetime_ms, int64_t expiration_ms, uint64_t now_ms);
/* Drop one entry; JXTA_ENOTFOUND if absent. */
int jxta_cm_remove(jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir, const char *key);
/* Drop every entry whose deadline is <= now; returns how many. */
size_t jxta_cm_gc(jxta_cm_t *cm, uint64_t now_ms);
/* Entries in `group` (NULL = all groups) and `dir` (NONE = all dirs). */
size_t jxta_cm_count(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir);
/* Sum of the cached document lengths. */
size_t jxta_cm_bytes(const jxta_cm_t *cm);

/* ---- Reading ------------------------------------------------------------- */

typedef struct jxta_cm_index {
    const char *name;
    const char *value;
} jxta_cm_index_t;

/* One entry as shown to callbacks; pointers valid during the call only,
 * and the callback must not modify the cache. */
typedef struct jxta_cm_entry {
    const jxta_id_t *group;
    jxta_adv_dir_t dir;
    const char *key;
    const char *doc; /* NUL-terminated document text */
    size_t len;
    uint64_t deadline_ms;   /* JXTA_CM_NO_DEADLINE = forever */
    int64_t expiration_ms;  /* as published (<= lifetime), JXTA_CM_FOREVER = forever */
    int64_t remaining_ms;   /* lifetime left at `now` (JXTA_CM_FOREVER = forever) */
    int64_t shareable_ms;   /* min(remaining, expiration): what others may keep */
    size_t nindex;
    const jxta_cm_index_t *index;
} jxta_cm_entry_t;

/* Return nonzero to stop. */
typedef int (*jxta_cm_visit_fn)(void *ud, const jxta_cm_entry_t *e);

#define JXTA_CM_UNLIMITED SIZE_MAX
/* Search flag: also return entries with shareable expiration 0 (local use). */
#define JXTA_CM_INCLUDE_PRIVATE 0x1u

/* Entries of (group, dir) alive at `now` whose index field `attr` matches
 * `value` (jxta_disc_value_match); attr NULL = every entry.  At most
 * `threshold` results, in publication order (oldest first; after a reload,
 * key order); entries with
 * shareable expiration 0 are skipped unless JXTA_CM_INCLUDE_PRIVATE.
 * Returns the number of entries visited, or a negative error. */
int jxta_cm_search(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                   const char *attr, const char *value, size_t threshold, unsigned flags,
                   uint64_t now_ms, jxta_cm_visit_fn fn, void *ud);

/* Search results as owned copies. */
typedef struct jxta_cm_result {
    char *key;
    char *doc;
    size_t len;
    int64_t expiration_ms; /* shareable expiration at `now` */
} jxta_cm_result_t;
int jxta_cm_search_docs(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                        const char *attr, const char *value, size_t threshold, unsigned flags,
                        uint64_t now_ms, jxta_cm_result_t **out, size_t *n);
void jxta_cm_results_free(jxta_cm_result_t *r, size_t n);

/* The cached advertisement, parsed; JXTA_ENOTFOUND if absent or expired.
 * `shareable_ms` (may be NULL) gets its shareable expiration. */
int jxta_cm_get(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                const char *key, uint64_t now_ms, jxta_adv_t **adv, int64_t *shareable_ms);

/* Every live entry (group NULL = all, dir NONE = all), oldest first per
 * (group, dir). */
int jxta_cm_foreach(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                    uint64_t now_ms, jxta_cm_visit_fn fn, void *ud);

/* ---- SRDI (8.5) --------------------------------------------------------------- */

typedef struct jxta_cm_srdi {
    const char *pkey; /* "Peers" / "Groups" / "Adv" (static) */
    char *skey;       /* index field name */
    char *value;
    int64_t expiration_ms; /* remaining lifetime; 0 = removal */
} jxta_cm_srdi_t;

/* Index entries of (group, dir) added or changed since the last call
 * (or since the last jxta_cm_srdi_all), each with its remaining lifetime,
 * then removals (expiration 0) for entries removed, replaced by a
 * document with other values, or evicted.  Expiry needs no removal: the
 * rendezvous got the same deadline.  Only shareable entries are listed.
 * After an overflow of the journal the next call returns everything.
 * The journal of (group, dir) is cleared.  *out NULL when *n is 0. */
int jxta_cm_srdi_delta(jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                       uint64_t now_ms, jxta_cm_srdi_t **out, size_t *n);
/* Every current shareable index entry of (group, dir) (the full push after
 * a new lease); also clears its journal. */
int jxta_cm_srdi_all(jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                     uint64_t now_ms, jxta_cm_srdi_t **out, size_t *n);
void jxta_cm_srdi_free(jxta_cm_srdi_t *v, size_t n);

#ifdef __cplusplus
}
#endif
#endif
