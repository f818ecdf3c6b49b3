/* jxta/id.h - JXTA identifiers (PROTOCOLS.md section 1).
 *
 * Every ID is held as the 64-byte array JXSE uses internally: b[63] is the
 * type byte, the other bytes are per-kind fields (group UUID, peer UUID...),
 * unused bytes are zero.  The well-known IDs fit the same model: the Null ID
 * is all zeros, and the World and Net groups are the group IDs whose UUIDs
 * are "YabadabaJXTAP2P!" / "YabadabaNPG P2P!" with no parent, which print as
 * urn:jxta:jxta-WorldGroup / urn:jxta:jxta-NetGroup.  So equality is plain
 * byte equality, and the uuid spellings of WG/NG map to the well-known IDs
 * for free, exactly as in JXSE.
 *
 * Text is always produced in canonical form (upper-case hex, trailing zero
 * bytes dropped).  Parsing is strict by default: non-canonical spellings that
 * JXSE would tolerate are refused with JXTA_ENONCANON, because several JXSE
 * indexes compare IDs as strings and a non-canonical ID silently never
 * matches.  JXTA_ID_PARSE_LENIENT accepts everything JXSE accepts. */
#ifndef JXTA_ID_H
#define JXTA_ID_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_ID_BYTES 64
#define JXTA_UUID_BYTES 16
/* "urn:jxta:uuid-" + 128 hex digits + NUL, rounded up. */
#define JXTA_ID_TEXT_MAX 160

typedef enum {
    JXTA_ID_NULL = 0x00, /* urn:jxta:jxta-Null */
    JXTA_ID_CODAT = 0x01,
    JXTA_ID_GROUP = 0x02,
    JXTA_ID_PEER = 0x03,
    JXTA_ID_PIPE = 0x04,
    JXTA_ID_MODULE_CLASS = 0x05,
    JXTA_ID_MODULE_SPEC = 0x06
} jxta_id_kind_t;

typedef struct jxta_id {
    uint8_t b[JXTA_ID_BYTES];
} jxta_id_t;

/* A stack buffer for printing: jxta_id_text_t t; puts(jxta_id_str(&id, &t)); */
typedef struct jxta_id_text {
    char s[JXTA_ID_TEXT_MAX];
} jxta_id_text_t;

extern const jxta_id_t jxta_id_null;
extern const jxta_id_t jxta_id_world_group;
extern const jxta_id_t jxta_id_net_group;

/* Parse flags. */
#define JXTA_ID_PARSE_LENIENT 0x1u /* accept what JXSE accepts (any case, zero padding) */

/* Parse `len` bytes of `text` (need not be NUL-terminated).  Surrounding
 * whitespace is not allowed.  Errors: JXTA_EBADID (malformed, unknown
 * format or type byte, bytes outside the kind's fields), JXTA_ENONCANON
 * (valid but not canonical; strict mode only).  Failures are logged at
 * debug level; callers that reject input log the reason themselves. */
int jxta_id_parse(jxta_id_t *out, const char *text, size_t len, unsigned flags);
/* NUL-terminated convenience form of jxta_id_parse (strict). */
int jxta_id_from_string(jxta_id_t *out, const char *text);
/* From raw 64 bytes; validates the type byte and the unused fields. */
int jxta_id_from_bytes(jxta_id_t *out, const uint8_t bytes[JXTA_ID_BYTES]);

/* Canonical URN ("urn:jxta:..."); returns its length.  `cap` >= JXTA_ID_TEXT_MAX
 * always suffices; a shorter buffer gets a truncated, NUL-terminated string. */
size_t jxta_id_format(const jxta_id_t *id, char *out, size_t cap);
const char *jxta_id_str(const jxta_id_t *id, jxta_id_text_t *buf);
/* The unique value: the URN without "urn:jxta:" (used in endpoint addresses
 * and element names, e.g. "jxta-NetGroup", "uuid-...03"). */
const char *jxta_id_unique_value(const jxta_id_t *id, jxta_id_text_t *buf);

jxta_id_kind_t jxta_id_kind(const jxta_id_t *id);
const char *jxta_id_kind_name(jxta_id_kind_t kind); /* "peer", "group", ... */
int jxta_id_equal(const jxta_id_t *a, const jxta_id_t *b);
int jxta_id_cmp(const jxta_id_t *a, const jxta_id_t *b); /* memcmp order */
int jxta_id_is_null(const jxta_id_t *id);
/* 1 for the World / Net group, including their uuid spellings. */
int jxta_id_is_world_group(const jxta_id_t *id);
int jxta_id_is_net_group(const jxta_id_t *id);

/* The group a peer, pipe or codat ID belongs to (b[0..15] as a parentless
 * group ID, WG/NG mapped to the well-known IDs).  JXTA_EINVAL for other
 * kinds.  For a group ID: its parent (JXTA_ENOTFOUND if it has none). */
int jxta_id_group_of(const jxta_id_t *id, jxta_id_t *group);
int jxta_id_parent_of(const jxta_id_t *group, jxta_id_t *parent);
/* For a module spec ID: its module class ID. */
int jxta_id_class_of(const jxta_id_t *spec, jxta_id_t *cls);
/* Pointer to the 16-byte UUID slot 0 or 1 of the ID. */
const uint8_t *jxta_id_uuid(const jxta_id_t *id, int slot);

/* ---- Generation (PROTOCOLS.md 1.5), byte-exact with JXSE ------------- */

/* Random version-4 UUID with JXSE's extra bit (top bit of byte 10). */
int jxta_uuid_random(uint8_t out[JXTA_UUID_BYTES]);
/* JXSE's seed rule: first <= 16 seed bytes, then the version/variant bits. */
void jxta_uuid_from_seed(uint8_t out[JXTA_UUID_BYTES], const void *seed, size_t len);
/* The seed the JXSE harness uses for a text: SHA-1 of its UTF-8 bytes. */
void jxta_seed_from_text(uint8_t out[20], const char *text);

/* `group` may be any group ID (WG/NG included). */
int jxta_id_new_peer(jxta_id_t *out, const jxta_id_t *group);
int jxta_id_new_pipe(jxta_id_t *out, const jxta_id_t *group);
int jxta_id_new_codat(jxta_id_t *out, const jxta_id_t *group);
/* Codat ID carrying the SHA-1 of `data` in b[32..51]. */
int jxta_id_new_codat_hashed(jxta_id_t *out, const jxta_id_t *group, const void *data, size_t len);
/* `parent` NULL = parentless group ID. */
int jxta_id_new_group(jxta_id_t *out, const jxta_id_t *parent);
int jxta_id_new_module_class(jxta_id_t *out);
int jxta_id_new_module_spec(jxta_id_t *out, const jxta_id_t *cls);

/* Seeded forms: the same inputs always give the same ID. */
int jxta_id_peer_from_seed(jxta_id_t *out, const jxta_id_t *group, const void *seed, size_t len);
int jxta_id_pipe_from_seed(jxta_id_t *out, const jxta_id_t *group, const void *seed, size_t len);
int jxta_id_codat_from_seed(jxta_id_t *out, const jxta_id_t *group, const void *seed, size_t len);
int jxta_id_group_from_seed(jxta_id_t *out, const jxta_id_t *parent, const void *seed, size_t len);

#ifdef __cplusplus
}
#endif
#endif
