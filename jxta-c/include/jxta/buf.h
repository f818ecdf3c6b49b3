/* jxta/buf.h - growable byte buffer and small byte helpers.
 *
 * Encoders append into a jxta_buf_t.  An allocation failure is sticky: the
 * buffer remembers it, later appends become no-ops, and the encoder checks
 * once at the end (jxta_buf_error), which keeps encoding code linear.
 * A hard cap (default 1 GiB) turns runaway growth into JXTA_ETOOBIG. */
#ifndef JXTA_BUF_H
#define JXTA_BUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max; /* 0 = default cap */
    int err;    /* first error (JXTA_ENOMEM / JXTA_ETOOBIG), 0 if none */
} jxta_buf_t;

#define JXTA_BUF_INIT {NULL, 0, 0, 0, 0}

void jxta_buf_init(jxta_buf_t *b);
void jxta_buf_free(jxta_buf_t *b);
void jxta_buf_reset(jxta_buf_t *b); /* len = 0, keeps memory, clears error */
int jxta_buf_reserve(jxta_buf_t *b, size_t extra);
/* Same, but when it must grow, to exactly len + extra (+1 for a NUL): for
 * buffers whose final size is known, so big ones do not round up past the
 * allocator's mmap threshold (fresh pages, page faults, on every use). */
int jxta_buf_reserve_exact(jxta_buf_t *b, size_t extra);
void jxta_buf_append(jxta_buf_t *b, const void *p, size_t n);
void jxta_buf_append_str(jxta_buf_t *b, const char *s);
void jxta_buf_printf(jxta_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jxta_buf_put_u8(jxta_buf_t *b, uint8_t v);
void jxta_buf_put_be16(jxta_buf_t *b, uint16_t v);
void jxta_buf_put_be32(jxta_buf_t *b, uint32_t v);
void jxta_buf_put_be64(jxta_buf_t *b, uint64_t v);
/* 0, or the sticky error. */
int jxta_buf_error(const jxta_buf_t *b);
/* NUL-terminate (not counted in len) and hand the memory to the caller. */
char *jxta_buf_steal_str(jxta_buf_t *b);
uint8_t *jxta_buf_steal(jxta_buf_t *b, size_t *len);

/* Bounds-checked big-endian reader over a const byte range.  Every read
 * checks the remaining length first; a short read sets err = JXTA_ETRUNC
 * and returns 0, so parsers can read a whole header then test once. */
typedef struct jxta_reader {
    const uint8_t *p;
    size_t len;
    size_t pos;
    int err;
} jxta_reader_t;

void jxta_reader_init(jxta_reader_t *r, const void *p, size_t len);
uint8_t jxta_reader_u8(jxta_reader_t *r);
uint16_t jxta_reader_be16(jxta_reader_t *r);
uint32_t jxta_reader_be32(jxta_reader_t *r);
uint64_t jxta_reader_be64(jxta_reader_t *r);
/* Returns a pointer into the input (no copy), or NULL on a short read. */
const uint8_t *jxta_reader_bytes(jxta_reader_t *r, size_t n);
static inline size_t jxta_reader_left(const jxta_reader_t *r) { return r->len - r->pos; }

/* 1 if [p, p+n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF), else 0. */
int jxta_utf8_valid(const void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
