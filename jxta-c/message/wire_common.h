/* wire_common.h - the message and element structures, and the pieces the
 * version-0 and version-1 codecs share (hostile-input string reading,
 * limit handling, rejection logging with byte offsets).  Private to
 * jxta-c/message/.
 *
 * Both codecs decode into the same model, so msg.c only dispatches on the
 * version byte and enforces the rules common to every layout (overall
 * size, trailing bytes, nested messages). */
#ifndef JXTA_WIRE_COMMON_H
#define JXTA_WIRE_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jxta/buf.h>
#include <jxta/msg.h>

#include "../util/internal.h"

#define WIRE_MSG_MAGIC "jxmg"
#define WIRE_ELEM_MAGIC "jxel"

/* Version 0 element flags. */
#define V0_HAS_TYPE 0x01u
#define V0_HAS_ENCODING 0x02u /* defined, never valid on the wire */
#define V0_HAS_SIGNATURE 0x04u

/* Version 1 element flags. */
#define V1_UINT64_LENS 0x01u
#define V1_NAME_LITERAL 0x02u
#define V1_HAS_TYPE 0x04u
#define V1_HAS_SIGNATURE 0x08u
#define V1_ENCODINGS 0x10u     /* unsupported (as in JXTA-C) */
#define V1_ENCODED_SIGNED 0x20u /* unsupported (as in JXTA-C) */
#define V1_NAMES_LITERAL 0xFFFFu
#define V1_MAX_NAMES 65533u /* listed entries: ids 2..65534 */

/* A decoded message buffer that element bodies point into instead of
 * holding copies (jxta_msg_decode_owned).  Each borrowing element holds one
 * reference; the buffer is freed with the last one, whatever the order in
 * which elements and messages are freed.  The count is atomic so elements
 * of one message may be freed on different threads. */
typedef struct wire_shared {
    size_t refs;
    uint8_t *data; /* malloc'd */
} wire_shared_t;

/* New holder of the malloc'd `data` with one reference (the caller's);
 * NULL (and `data` freed) if out of memory. */
wire_shared_t *jxta__wire_shared_new(uint8_t *data);
void jxta__wire_shared_ref(wire_shared_t *s);
/* Drop one reference (NULL is ignored). */
void jxta__wire_shared_unref(wire_shared_t *s);

struct jxta_msg_elem {
    char *ns;          /* never NULL; "" = default namespace */
    char *name;        /* never NULL */
    char *type;        /* NULL = no type (application/octet-stream) */
    uint8_t *body;     /* may be NULL when len == 0; owned unless `shared` */
    size_t len;
    wire_shared_t *shared; /* non-NULL: body points into it (one reference held) */
    jxta_msg_elem_t *sig;
    int type_forced;   /* HAS_TYPE seen on the wire for application/octet-stream */
    int wire_nsid;     /* version-0 namespace id as decoded, -1 if unknown */
    int is_sig;        /* attached to another element as its signature */
    unsigned depth;    /* nesting level of the owning message */
};

struct jxta_msg {
    jxta_msg_elem_t **elems;
    size_t n, cap;
    char **ns; /* preserved namespace table: entry i has id i + 2 */
    size_t nns;
    int version; /* decoded from, or -1 */
    unsigned depth;
};

/* Decoding context: the reader plus effective limits.  Rejections record
 * the offset at which they were detected (relative to the message start). */
typedef struct wire_dec {
    jxta_reader_t r;
    jxta_msg_limits_t lim;
    unsigned depth;
    size_t err_off;
    wire_shared_t *shared; /* non-NULL: the input lies in it, bodies borrow */
} wire_dec_t;

/* Log "offset N: ..." at WARN and return err. */
int jxta__wire_fail(wire_dec_t *d, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read a u16-length-prefixed string (namespace/name/type): length checked
 * against the limit (ETOOBIG) and the input (ETRUNC), then UTF-8 without NUL
 * (EUTF8).  *s points into the input, not terminated. */
int jxta__wire_read_str(wire_dec_t *d, const char *what, const uint8_t **s, size_t *len);
/* Check a body length against the limits and the input, return the bytes. */
int jxta__wire_read_body(wire_dec_t *d, uint64_t len, const uint8_t **body);
/* 1 if [s, s+n) is UTF-8 with no NUL byte. */
int jxta__wire_text_ok(const void *s, size_t n);

/* Allocate an element from raw decoded fields.  Strings are copied; the
 * body too when `shared` is NULL, else it must lie inside shared->data and
 * the element borrows it (taking a reference; nothing for an empty body). */
int jxta__wire_elem_make(jxta_msg_elem_t **out, const uint8_t *ns, size_t nslen, const uint8_t *name,
                   size_t namelen, const uint8_t *type, size_t typelen, int has_type,
                   const uint8_t *body, size_t len, unsigned depth, wire_shared_t *shared);
/* Append to m (no checks); takes ownership, frees e on failure. */
int jxta__wire_msg_push(jxta_msg_t *m, jxta_msg_elem_t *e);
/* Whether the element is written with a type on the wire. */
int jxta__wire_elem_writes_type(const jxta_msg_elem_t *e);

/* Decode with explicit nesting depth (limits already effective).  With
 * `shared` non-NULL, [p, p+len) lies inside shared->data and element
 * bodies borrow from it instead of being copied. */
int jxta__msg_decode_depth(const void *p, size_t len, const jxta_msg_limits_t *lim,
                           unsigned depth, wire_shared_t *shared, jxta_msg_t **out,
                           size_t *err_offset);

/* The codecs.  The decoders start right after the version byte. */
int jxta__wire_decode_v0(wire_dec_t *d, jxta_msg_t *m);
int jxta__wire_decode_v1(wire_dec_t *d, jxta_msg_t *m);
int jxta__wire_encode_v0(const jxta_msg_t *m, jxta_buf_t *out);
int jxta__wire_encode_v1(const jxta_msg_t *m, jxta_buf_t *out);

#endif
