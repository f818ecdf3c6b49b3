/* buf.c - growable byte buffer with a sticky error, and a bounds-checked
 * big-endian reader (see jxta/buf.h). */
#include <stdarg.h>
#include <stdio.h>

#include <jxta/buf.h>

#include "internal.h"

#define BUF_DEFAULT_MAX ((size_t)1 << 30)

void jxta_buf_init(jxta_buf_t *b)
{
    memset(b, 0, sizeof *b);
}

void jxta_buf_free(jxta_buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void jxta_buf_reset(jxta_buf_t *b)
{
    b->len = 0;
    b->err = 0;
}

int jxta_buf_reserve(jxta_buf_t *b, size_t extra)
{
    if (b->err)
        return b->err;
    size_t max = b->max ? b->max : BUF_DEFAULT_MAX;
    if (extra > max || b->len > max - extra)
        return b->err = JXTA_ETOOBIG;
    size_t need = b->len + extra + 1; /* room for a NUL terminator */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return b->err = JXTA_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int jxta_buf_reserve_exact(jxta_buf_t *b, size_t extra)
{
    if (b->err)
        return b->err;
    size_t max = b->max ? b->max : BUF_DEFAULT_MAX;
    if (extra > max || b->len > max - extra)
        return b->err = JXTA_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    uint8_t *p = realloc(b->data, need);
    if (!p)
        return b->err = JXTA_ENOMEM;
    b->data = p;
    b->cap = need;
    return 0;
}

void jxta_buf_append(jxta_buf_t *b, const void *p, size_t n)
{
    if (n == 0 || jxta_buf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void jxta_buf_append_str(jxta_buf_t *b, const char *s)
{
    jxta_buf_append(b, s, strlen(s));
}

void jxta_buf_printf(jxta_buf_t *b, const char *fmt, ...)
{
    if (b->err)
        return;
    /* One pass when it fits in the room already there, two otherwise. */
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? (char *)b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = JXTA_EINVAL;
        return;
    }
    if ((size_t)n < room) {
        b->len += (size_t)n;
        return;
    }
    if (jxta_buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void jxta_buf_put_u8(jxta_buf_t *b, uint8_t v)
{
    jxta_buf_append(b, &v, 1);
}

void jxta_buf_put_be16(jxta_buf_t *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    jxta_buf_append(b, x, 2);
}

void jxta_buf_put_be32(jxta_buf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    jxta_buf_append(b, x, 4);
}

void jxta_buf_put_be64(jxta_buf_t *b, uint64_t v)
{
    jxta_buf_put_be32(b, (uint32_t)(v >> 32));
    jxta_buf_put_be32(b, (uint32_t)v);
}

int jxta_buf_error(const jxta_buf_t *b)
{
    return b->err;
}

char *jxta_buf_steal_str(jxta_buf_t *b)
{
    if (b->err || jxta_buf_reserve(b, 0) != 0)
        return NULL;
    b->data[b->len] = '\0';
    char *s = (char *)b->data;
    memset(b, 0, sizeof *b);
    return s;
}

uint8_t *jxta_buf_steal(jxta_buf_t *b, size_t *len)
{
    if (b->err || jxta_buf_reserve(b, 0) != 0)
        return NULL;
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    memset(b, 0, sizeof *b);
    return p;
}

void jxta_reader_init(jxta_reader_t *r, const void *p, size_t len)
{
    r->p = p;
    r->len = p ? len : 0;
    r->pos = 0;
    r->err = 0;
}

const uint8_t *jxta_reader_bytes(jxta_reader_t *r, size_t n)
{
    if (r->err)
        return NULL;
    if (n > r->len - r->pos) {
        r->err = JXTA_ETRUNC;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t jxta_reader_u8(jxta_reader_t *r)
{
    const uint8_t *p = jxta_reader_bytes(r, 1);
    return p ? p[0] : 0;
}

uint16_t jxta_reader_be16(jxta_reader_t *r)
{
    const uint8_t *p = jxta_reader_bytes(r, 2);
    return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t jxta_reader_be32(jxta_reader_t *r)
{
    const uint8_t *p = jxta_reader_bytes(r, 4);
    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

uint64_t jxta_reader_be64(jxta_reader_t *r)
{
    uint64_t hi = jxta_reader_be32(r);
    uint64_t lo = jxta_reader_be32(r);
    return hi << 32 | lo;
}
