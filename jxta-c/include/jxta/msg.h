/* jxta/msg.h - JXTA messages and their binary wire formats (PROTOCOLS.md 3).
 *
 * A message is an ordered list of elements; an element has a namespace
 * ("" = default, "jxta" = core services, anything else), a name (possibly
 * empty), a MIME type (absent = application/octet-stream), a body, and at
 * most one signature element.  Several elements may share ns+name; lookups
 * return the first one, as JXSE services do.
 *
 * Two binary layouts are supported: version 0, the only one JXSE 2.5 reads
 * or writes (the default everywhere), and version 1, the JXTA-C "v2"
 * layout with a names table, useful only against JXTA-C peers.
 *
 * Decoding keeps what is needed to re-encode a version-0 message
 * byte-for-byte: the namespace table in its wire order, the namespace id
 * each element used, and whether HAS_TYPE was set even for an explicit
 * application/octet-stream.  Messages built through the API are encoded as
 * JXSE writes them (namespace table in first-use order, type omitted for
 * application/octet-stream).
 *
 * The decoder treats its input as hostile: every count and length is
 * checked against the bytes present and against jxta_msg_limits_t before
 * anything is allocated, and every rejection is logged (module "msg") and
 * returned as a specific JXTA_E* code. */
#ifndef JXTA_MSG_H
#define JXTA_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/buf.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_MSG_MIME "application/x-jxta-msg"
#define JXTA_MSG_MIME_DEFAULT "application/octet-stream"
#define JXTA_MSG_MIME_TEXT "text/plain;charset=UTF-8"
#define JXTA_MSG_MIME_XML "text/xml;charset=UTF-8"

/* Wire format versions (the byte after "jxmg"). */
#define JXTA_MSG_V0 0 /* JXSE 2.5 */
#define JXTA_MSG_V1 1 /* JXTA-C "v2" with names table */

/* Hard ceilings from JXSE's reader (signed 16-bit counts and lengths,
 * signed 32-bit body length, namespace ids in one byte). */
#define JXTA_MSG_MAX_NAMESPACES 253
#define JXTA_MSG_MAX_COUNT 32767     /* element count, string byte length */
#define JXTA_MSG_MAX_BODY 0x7FFFFFFF /* one element body */

/* Decoder limits.  Values above the hard ceilings are clamped to them. */
#define JXTA_MSG_CHECK_NESTED 0x1u /* flags: also decode every nested message (recursively) */

typedef struct jxta_msg_limits {
    size_t max_size;       /* whole encoded message in bytes (default 16 MiB) */
    size_t max_elements;   /* elements per message, signatures excluded (default 4096) */
    size_t max_namespaces; /* declared namespaces / v1 names (default 253) */
    size_t max_name_len;   /* bytes of a namespace, name or type (default 4096) */
    unsigned max_depth;    /* nested messages below the top level (default 8) */
    unsigned flags;        /* JXTA_MSG_CHECK_NESTED */
} jxta_msg_limits_t;

void jxta_msg_limits_default(jxta_msg_limits_t *lim);

typedef struct jxta_msg jxta_msg_t;
typedef struct jxta_msg_elem jxta_msg_elem_t;

/* ---- Elements -------------------------------------------------------- */

/* New stand-alone element.  `ns` NULL means "", `type` NULL means
 * application/octet-stream; `body` is copied.  Namespace, name and type must
 * be UTF-8 without NUL bytes (JXTA_EUTF8) and at most JXTA_MSG_MAX_COUNT
 * bytes (JXTA_ETOOBIG); `name` must not be NULL (JXTA_EINVAL). */
int jxta_msg_elem_new(jxta_msg_elem_t **out, const char *ns, const char *name, const char *type,
                      const void *body, size_t len);
/* Same, but takes ownership of the malloc'd `body` (freed even on error). */
int jxta_msg_elem_new_owned(jxta_msg_elem_t **out, const char *ns, const char *name,
                            const char *type, uint8_t *body, size_t len);
void jxta_msg_elem_free(jxta_msg_elem_t *e);
/* Deep copy (signature included). */
int jxta_msg_elem_dup(const jxta_msg_elem_t *e, jxta_msg_elem_t **out);

/* Attach `sig` as the signature of `e`, replacing (and freeing) any previous
 * one; takes ownership of `sig`.  A signature cannot itself be signed
 * (JXTA_EINVAL; sig is freed). */
int jxta_msg_elem_set_signature(jxta_msg_elem_t *e, jxta_msg_elem_t *sig);

const char *jxta_msg_elem_ns(const jxta_msg_elem_t *e);
const char *jxta_msg_elem_name(const jxta_msg_elem_t *e);
/* Never NULL: application/octet-stream when the element has no type. */
const char *jxta_msg_elem_type(const jxta_msg_elem_t *e);
/* 1 if the element carries a type on the wire (HAS_TYPE). */
int jxta_msg_elem_has_type(const jxta_msg_elem_t *e);
const uint8_t *jxta_msg_elem_body(const jxta_msg_elem_t *e, size_t *len);
size_t jxta_msg_elem_len(const jxta_msg_elem_t *e);
const jxta_msg_elem_t *jxta_msg_elem_signature(const jxta_msg_elem_t *e);
/* 1 if the type, ignoring parameters and case, is application/x-jxta-msg. */
int jxta_msg_elem_is_message(const jxta_msg_elem_t *e);
/* 1 if the body is printable text: a text/... or XML type, or valid UTF-8
 * without control characters other than TAB/CR/LF. */
int jxta_msg_elem_is_text(const jxta_msg_elem_t *e);

/* Decode the body of an application/x-jxta-msg element as a message one
 * level deeper than the message the element came from.  JXTA_EINVAL if the
 * element is not typed as a message, JXTA_EDEPTH beyond lim->max_depth,
 * otherwise as jxta_msg_decode. */
int jxta_msg_elem_decode_nested(const jxta_msg_elem_t *e, const jxta_msg_limits_t *lim,
                                jxta_msg_t **out);
/* Nesting level of the message the element belongs to (0 = top). */
unsigned jxta_msg_elem_depth(const jxta_msg_elem_t *e);

/* ---- Messages -------------------------------------------------------- */

int jxta_msg_new(jxta_msg_t **out);
void jxta_msg_free(jxta_msg_t *m);

/* Append `e`, taking ownership (freed on error too). */
int jxta_msg_append(jxta_msg_t *m, jxta_msg_elem_t *e);
/* Create and append in one step; `body` copied (_add) or owned (_add_owned). */
int jxta_msg_add(jxta_msg_t *m, const char *ns, const char *name, const char *type,
                 const void *body, size_t len);
int jxta_msg_add_owned(jxta_msg_t *m, const char *ns, const char *name, const char *type,
                       uint8_t *body, size_t len);
/* A JXSE StringMessageElement: type text/plain;charset=UTF-8. */
int jxta_msg_add_text(jxta_msg_t *m, const char *ns, const char *name, const char *text);

size_t jxta_msg_count(const jxta_msg_t *m);
/* Element at `index` in message order, or NULL past the end. */
const jxta_msg_elem_t *jxta_msg_get(const jxta_msg_t *m, size_t index);
/* First element with that namespace (NULL = "") and name, or NULL. */
const jxta_msg_elem_t *jxta_msg_find(const jxta_msg_t *m, const char *ns, const char *name);
/* Next match at or after *index; sets *index to its position. */
const jxta_msg_elem_t *jxta_msg_find_from(const jxta_msg_t *m, size_t *index, const char *ns,
                                          const char *name);
/* Remove (and free) the element at `index`: JXTA_ENOTFOUND past the end. */
int jxta_msg_remove_at(jxta_msg_t *m, size_t index);
/* Remove every ns+name match; returns how many were removed. */
size_t jxta_msg_remove(jxta_msg_t *m, const char *ns, const char *name);

/* Declared namespace table as decoded (version 0: wire order; version 1:
 * the names used as namespaces, in table order); empty for built messages.
 * Entry i has wire id i + 2. */
size_t jxta_msg_ns_count(const jxta_msg_t *m);
const char *jxta_msg_ns_at(const jxta_msg_t *m, size_t i);
/* Wire version the message was decoded from, or -1 if built. */
int jxta_msg_wire_version(const jxta_msg_t *m);
/* Nesting level (0 = top-level message). */
unsigned jxta_msg_depth(const jxta_msg_t *m);

/* Same elements in the same order, with equal namespace, name, type, wire
 * HAS_TYPE, body and signatures. */
int jxta_msg_equal(const jxta_msg_t *a, const jxta_msg_t *b);

/* ---- Wire format ----------------------------------------------------- */

/* Decode exactly `len` bytes (version 0 or 1).  `lim` NULL = defaults.
 * Errors: JXTA_EMAGIC, JXTA_EVERSION, JXTA_ETRUNC, JXTA_ETRAILING,
 * JXTA_ETOOBIG, JXTA_EPROTO (flags, ns id), JXTA_EUTF8, JXTA_EDEPTH
 * (only with JXTA_MSG_CHECK_NESTED), JXTA_ENOMEM.  *out is NULL on error. */
int jxta_msg_decode(const void *p, size_t len, const jxta_msg_limits_t *lim, jxta_msg_t **out);
/* Same; on error *err_offset (if not NULL) gets the byte offset at which
 * the problem was detected. */
int jxta_msg_decode_ex(const void *p, size_t len, const jxta_msg_limits_t *lim,
                       jxta_msg_t **out, size_t *err_offset);
/* Same as jxta_msg_decode_ex, but takes ownership of the malloc'd `buf`
 * (freed on every error too) and does not copy element bodies: they point
 * into `buf`, which lives until the last element using it is freed (by
 * jxta_msg_free, jxta_msg_remove/_remove_at or jxta_msg_elem_free), in any
 * order.  Nested messages decoded from such elements borrow it as well;
 * jxta_msg_elem_dup always copies.  The result is indistinguishable from
 * jxta_msg_decode's through this API, except that callers must not write
 * through jxta_msg_elem_body() (it is const anyway). */
int jxta_msg_decode_owned(uint8_t *buf, size_t len, const jxta_msg_limits_t *lim,
                          jxta_msg_t **out, size_t *err_offset);

/* Append the encoding of `m` to `out`.  `version` JXTA_MSG_V0 (what JXSE
 * expects) or JXTA_MSG_V1.  Errors: JXTA_EINVAL (version), JXTA_ETOOBIG
 * (more than 253 namespaces, 32767 elements, over-long strings, bodies of
 * 2 GiB or more), buffer errors.  On error `out` keeps its previous length. */
int jxta_msg_encode(const jxta_msg_t *m, int version, jxta_buf_t *out);

#ifdef __cplusplus
}
#endif
#endif
