/* frame.c - TCP message packages (PROTOCOLS.md 4.3, WIRE-FORMAT.md 2):
 *
 *   { u8 name_len (0 ends) name u16 value_len value }*  body[content-length]
 *
 * One header-block validator serves both the one-shot decoder and the
 * incremental parser: the parser only collects the header bytes with a
 * tiny state machine (so it never re-scans), then hands the complete block
 * to the same code, which guarantees both paths accept exactly the same
 * frames.  content-length is checked against the limit before the body is
 * allocated. */
#include <stdio.h>
#include <strings.h>

#include <jxta/frame.h>

#include "../util/internal.h"

#define DEFAULT_MAX_BODY ((uint64_t)16 << 20)
#define DEFAULT_MAX_HEADERS 16
#define DEFAULT_MAX_HEADER_BYTES ((size_t)64 << 10)

void jxta_frame_limits_default(jxta_frame_limits_t *lim)
{
    lim->max_body = DEFAULT_MAX_BODY;
    lim->max_headers = DEFAULT_MAX_HEADERS;
    lim->max_header_bytes = DEFAULT_MAX_HEADER_BYTES;
}

static void limits_effective(const jxta_frame_limits_t *in, jxta_frame_limits_t *out)
{
    if (in)
        *out = *in;
    else
        jxta_frame_limits_default(out);
    if (out->max_body > SIZE_MAX / 2)
        out->max_body = SIZE_MAX / 2;
}

void jxta_frame_free(jxta_frame_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nhdrs; i++) {
        free(f->hdrs[i].name);
        free(f->hdrs[i].value);
    }
    free(f->hdrs);
    free(f->body);
    free(f);
}

const uint8_t *jxta_frame_header(const jxta_frame_t *f, const char *name, size_t *len)
{
    for (size_t i = 0; i < f->nhdrs; i++) {
        if (strcasecmp(f->hdrs[i].name, name) == 0) {
            if (len)
                *len = f->hdrs[i].value_len;
            return f->hdrs[i].value;
        }
    }
    return NULL;
}

const char *jxta_frame_content_type(const jxta_frame_t *f)
{
    const uint8_t *v = jxta_frame_header(f, JXTA_FRAME_HDR_CONTENT_TYPE, NULL);
    return v ? (const char *)v : "";
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static uint8_t *dup_z(const void *p, size_t n)
{
    uint8_t *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = 0;
    return s;
}

/* Validate a complete header block [p, p+len) (terminator included) and
 * build the frame's header list; *body_len gets content-length.  `base` is
 * the stream offset of p, for log lines. */
static int parse_headers(const uint8_t *p, size_t len, const jxta_frame_limits_t *lim,
                         jxta_frame_t *f, uint64_t *body_len, uint64_t base)
{
    jxta_reader_t r;
    jxta_reader_init(&r, p, len);
    int have_type = 0, have_len = 0;
    uint64_t clen = 0;
    for (;;) {
        size_t at = r.pos;
        uint8_t nlen = jxta_reader_u8(&r);
        if (r.err)
            return jxta__reject(JXTA_ETRUNC, "frame", "offset %llu: header block cut off",
                                (unsigned long long)(base + at));
        if (nlen == 0)
            break;
        if (f->nhdrs >= lim->max_headers)
            return jxta__reject(JXTA_ETOOBIG, "frame", "offset %llu: more than %zu headers",
                                (unsigned long long)(base + at), lim->max_headers);
        const uint8_t *name = jxta_reader_bytes(&r, nlen);
        uint16_t vlen = jxta_reader_be16(&r);
        const uint8_t *value = jxta_reader_bytes(&r, vlen);
        if (r.err)
            return jxta__reject(JXTA_ETRUNC, "frame", "offset %llu: header cut off",
                                (unsigned long long)(base + at));
        if (!jxta_utf8_valid(name, nlen) || memchr(name, 0, nlen))
            return jxta__reject(JXTA_EUTF8, "frame", "offset %llu: header name is not text",
                                (unsigned long long)(base + at));
        jxta_frame_hdr_t h = {(char *)dup_z(name, nlen), dup_z(value, vlen), vlen};
        if (!h.name || !h.value) {
            free(h.name);
            free(h.value);
            return JXTA_ENOMEM;
        }
        int dup = jxta_frame_header(f, h.name, NULL) != NULL;
        f->hdrs[f->nhdrs++] = h; /* room reserved by the caller */
        if (dup)
            return jxta__reject(JXTA_EPROTO, "frame", "offset %llu: duplicate header '%s'",
                                (unsigned long long)(base + at), h.name);
        if (strcasecmp(h.name, JXTA_FRAME_HDR_CONTENT_TYPE) == 0) {
            if (!jxta_utf8_valid(value, vlen) || memchr(value, 0, vlen))
                return jxta__reject(JXTA_EUTF8, "frame", "offset %llu: content-type is not text",
                                    (unsigned long long)(base + at));
            have_type = 1;
        } else if (strcasecmp(h.name, JXTA_FRAME_HDR_CONTENT_LENGTH) == 0) {
            if (vlen != 8)
                return jxta__reject(JXTA_EPROTO, "frame",
                                    "offset %llu: content-length has %u bytes, not 8",
                                    (unsigned long long)(base + at), vlen);
            clen = be64(value);
            have_len = 1;
        }
    }
    if (r.pos != len)
        return jxta__reject(JXTA_ETRAILING, "frame", "offset %llu: bytes after header block",
                            (unsigned long long)(base + r.pos));
    if (!have_type || !have_len)
        return jxta__reject(JXTA_EMISSING, "frame", "offset %llu: header %s missing",
                            (unsigned long long)base,
                            have_type ? JXTA_FRAME_HDR_CONTENT_LENGTH : JXTA_FRAME_HDR_CONTENT_TYPE);
    if (clen > lim->max_body)
        return jxta__reject(JXTA_ETOOBIG, "frame",
                            "offset %llu: content-length %llu exceeds limit %llu",
                            (unsigned long long)base, (unsigned long long)clen,
                            (unsigned long long)lim->max_body);
    *body_len = clen;
    return 0;
}

/* Length of the header block at p (terminator included): >0 length,
 * JXTA_ETRUNC if incomplete, JXTA_ETOOBIG as soon as the declared lengths
 * leave no room for the block to end within `max` bytes.  The incremental
 * parser applies exactly the same rule (see parser_room). */
static long long header_block_len(const uint8_t *p, size_t len, size_t max)
{
    size_t pos = 0;
    for (;;) {
        if (pos + 1 > max)
            return JXTA_ETOOBIG;
        if (pos >= len)
            return JXTA_ETRUNC;
        uint8_t n = p[pos];
        if (n == 0)
            return (long long)(pos + 1);
        size_t vpos = pos + 1 + n; /* name, value length, then at least a terminator */
        if (vpos + 2 + 1 > max)
            return JXTA_ETOOBIG;
        if (vpos + 2 > len)
            return JXTA_ETRUNC;
        size_t v = (size_t)p[vpos] << 8 | p[vpos + 1];
        pos = vpos + 2 + v;
    }
}

static jxta_frame_t *frame_alloc(size_t max_headers)
{
    jxta_frame_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->hdrs = calloc(max_headers ? max_headers : 1, sizeof *f->hdrs);
    if (!f->hdrs) {
        free(f);
        return NULL;
    }
    return f;
}

static int decode_at(const void *p, size_t len, const jxta_frame_limits_t *lim,
                     jxta_frame_t **out, size_t *consumed, uint64_t base)
{
    jxta_frame_limits_t l;
    limits_effective(lim, &l);
    *out = NULL;
    long long hl = header_block_len(p, len, l.max_header_bytes);
    if (hl == JXTA_ETOOBIG)
        return jxta__reject(JXTA_ETOOBIG, "frame", "offset %llu: header block over %zu bytes",
                            (unsigned long long)base, l.max_header_bytes);
    if (hl < 0)
        return jxta__reject(JXTA_ETRUNC, "frame", "offset %llu: header block cut off (%zu bytes)",
                            (unsigned long long)base, len);
    jxta_frame_t *f = frame_alloc(l.max_headers);
    if (!f)
        return JXTA_ENOMEM;
    uint64_t blen;
    int rc = parse_headers(p, (size_t)hl, &l, f, &blen, base);
    if (rc < 0)
        goto fail;
    size_t left = len - (size_t)hl;
    if (blen > left) {
        rc = jxta__reject(JXTA_ETRUNC, "frame", "offset %llu: body of %llu bytes cut off (%zu left)",
                          (unsigned long long)(base + (uint64_t)hl), (unsigned long long)blen,
                          left);
        goto fail;
    }
    if (!consumed && blen != left) {
        rc = jxta__reject(JXTA_ETRAILING, "frame", "offset %llu: %llu bytes after the body",
                          (unsigned long long)(base + (uint64_t)hl + blen),
                          (unsigned long long)(left - blen));
        goto fail;
    }
    f->body = dup_z((const uint8_t *)p + hl, (size_t)blen);
    if (!f->body) {
        rc = JXTA_ENOMEM;
        goto fail;
    }
    f->body_len = (size_t)blen;
    if (consumed)
        *consumed = (size_t)hl + (size_t)blen;
    *out = f;
    return 0;
fail:
    jxta_frame_free(f);
    return rc;
}

int jxta_frame_decode(const void *p, size_t len, const jxta_frame_limits_t *lim,
                      jxta_frame_t **out, size_t *consumed)
{
    if (!out || (!p && len))
        return JXTA_EINVAL;
    return decode_at(p, len, lim, out, consumed, 0);
}

int jxta_frame_new(const char *content_type, const void *body, size_t len, jxta_frame_t **out)
{
    *out = NULL;
    if (!content_type || (len && !body) || strlen(content_type) > 0xFFFF)
        return JXTA_EINVAL;
    jxta_frame_t *f = frame_alloc(2);
    if (!f)
        return JXTA_ENOMEM;
    uint8_t lenv[8];
    for (int i = 0; i < 8; i++)
        lenv[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    f->hdrs[0].name = (char *)dup_z(JXTA_FRAME_HDR_CONTENT_TYPE, 12);
    f->hdrs[0].value = dup_z(content_type, strlen(content_type));
    f->hdrs[0].value_len = strlen(content_type);
    f->hdrs[1].name = (char *)dup_z(JXTA_FRAME_HDR_CONTENT_LENGTH, 14);
    f->hdrs[1].value = dup_z(lenv, 8);
    f->hdrs[1].value_len = 8;
    f->nhdrs = 2;
    f->body = dup_z(body, len);
    f->body_len = len;
    if (!f->hdrs[0].name || !f->hdrs[0].value || !f->hdrs[1].name || !f->hdrs[1].value ||
        !f->body) {
        jxta_frame_free(f);
        return JXTA_ENOMEM;
    }
    *out = f;
    return 0;
}

int jxta_frame_encode(const jxta_frame_t *f, jxta_buf_t *out)
{
    size_t vlen;
    const uint8_t *v = jxta_frame_header(f, JXTA_FRAME_HDR_CONTENT_LENGTH, &vlen);
    if (!v || vlen != 8 || be64(v) != f->body_len)
        return JXTA_EINVAL;
    size_t start = out->len;
    for (size_t i = 0; i < f->nhdrs; i++) {
        size_t n = strlen(f->hdrs[i].name);
        if (n == 0 || n > 255 || f->hdrs[i].value_len > 0xFFFF) {
            out->len = start;
            return JXTA_EINVAL;
        }
        jxta_buf_put_u8(out, (uint8_t)n);
        jxta_buf_append(out, f->hdrs[i].name, n);
        jxta_buf_put_be16(out, (uint16_t)f->hdrs[i].value_len);
        jxta_buf_append(out, f->hdrs[i].value, f->hdrs[i].value_len);
    }
    jxta_buf_put_u8(out, 0);
    jxta_buf_append(out, f->body, f->body_len);
    return jxta_buf_error(out);
}

void jxta_frame_encode_header(jxta_buf_t *out, uint64_t body_len)
{
    static const char type[] = JXTA_MSG_MIME;
    jxta_buf_put_u8(out, 12);
    jxta_buf_append(out, JXTA_FRAME_HDR_CONTENT_TYPE, 12);
    jxta_buf_put_be16(out, (uint16_t)(sizeof type - 1));
    jxta_buf_append(out, type, sizeof type - 1);
    jxta_buf_put_u8(out, 14);
    jxta_buf_append(out, JXTA_FRAME_HDR_CONTENT_LENGTH, 14);
    jxta_buf_put_be16(out, 8);
    jxta_buf_put_be64(out, body_len);
    jxta_buf_put_u8(out, 0);
}

int jxta_frame_encode_msg(const jxta_msg_t *m, jxta_buf_t *out)
{
    jxta_buf_t body = JXTA_BUF_INIT;
    int rc = jxta_msg_encode(m, JXTA_MSG_V0, &body);
    if (rc == 0) {
        jxta_frame_encode_header(out, body.len);
        jxta_buf_append(out, body.data, body.len);
        rc = jxta_buf_error(out);
    }
    jxta_buf_free(&body);
    return rc;
}

static int check_msg_type(const jxta_frame_t *f)
{
    const char *ct = jxta_frame_content_type(f);
    size_t n = strcspn(ct, ";");
    if (n != strlen(JXTA_MSG_MIME) || strncasecmp(ct, JXTA_MSG_MIME, n) != 0)
        return jxta__reject(JXTA_EPROTO, "frame", "content-type '%s' is not a JXTA message", ct);
    return 0;
}

int jxta_frame_decode_msg(const jxta_frame_t *f, const jxta_msg_limits_t *lim, jxta_msg_t **out)
{
    *out = NULL;
    int rc = check_msg_type(f);
    if (rc < 0)
        return rc;
    return jxta_msg_decode(f->body, f->body_len, lim, out);
}

int jxta_frame_take_msg(jxta_frame_t *f, const jxta_msg_limits_t *lim, jxta_msg_t **out)
{
    *out = NULL;
    if (!f)
        return JXTA_EINVAL;
    int rc = check_msg_type(f);
    if (rc == 0) {
        uint8_t *body = f->body;
        f->body = NULL;
        rc = jxta_msg_decode_owned(body, f->body_len, lim, out, NULL);
    }
    jxta_frame_free(f);
    return rc;
}

/* ---------------------------------------------------------------- parser */

enum { P_NAMELEN, P_NAME, P_VALUELEN, P_VALUE, P_BODY };

struct jxta_frame_parser {
    jxta_frame_limits_t lim;
    int state;
    int err;          /* sticky */
    size_t want;      /* bytes still needed by the current header field */
    jxta_buf_t hdr;   /* header block collected so far */
    jxta_frame_t *f;  /* frame being filled (P_BODY) */
    size_t body_got;
    uint64_t offset;  /* bytes taken since creation */
    uint64_t start;   /* stream offset of the current frame */
};

int jxta_frame_parser_new(const jxta_frame_limits_t *lim, jxta_frame_parser_t **out)
{
    jxta_frame_parser_t *p = calloc(1, sizeof *p);
    if (!p)
        return JXTA_ENOMEM;
    limits_effective(lim, &p->lim);
    p->state = P_NAMELEN;
    p->want = 1;
    jxta_buf_init(&p->hdr);
    p->hdr.max = p->lim.max_header_bytes + 1;
    if (p->lim.max_header_bytes == 0) /* not even a terminator fits */
        p->err = JXTA_ETOOBIG;
    *out = p;
    return 0;
}

void jxta_frame_parser_free(jxta_frame_parser_t *p)
{
    if (!p)
        return;
    jxta_buf_free(&p->hdr);
    jxta_frame_free(p->f);
    free(p);
}

int jxta_frame_parser_idle(const jxta_frame_parser_t *p)
{
    return !p->err && p->state == P_NAMELEN && p->hdr.len == 0;
}

uint64_t jxta_frame_parser_offset(const jxta_frame_parser_t *p)
{
    return p->offset;
}

/* The header block is complete: validate it and prepare the body. */
static int parser_headers_done(jxta_frame_parser_t *p)
{
    jxta_frame_t *f = frame_alloc(p->lim.max_headers);
    if (!f)
        return JXTA_ENOMEM;
    uint64_t blen;
    int rc = parse_headers(p->hdr.data, p->hdr.len, &p->lim, f, &blen, p->start);
    if (rc == 0) {
        f->body = malloc((size_t)blen + 1);
        if (!f->body)
            rc = JXTA_ENOMEM;
    }
    if (rc < 0) {
        jxta_frame_free(f);
        return rc;
    }
    f->body_len = (size_t)blen;
    f->body[blen] = 0;
    p->f = f;
    p->body_got = 0;
    p->state = P_BODY;
    return 0;
}

/* The body of p->f is complete: hand it over and wait for the next frame.
 * `pos` is how many bytes of the current input were taken. */
static jxta_frame_t *parser_body_done(jxta_frame_parser_t *p, size_t pos)
{
    jxta_frame_t *f = p->f;
    p->f = NULL;
    p->state = P_NAMELEN;
    p->want = 1;
    jxta_buf_reset(&p->hdr);
    p->start = p->offset + pos;
    return f;
}

int jxta_frame_parser_body_space(jxta_frame_parser_t *p, void **ptr, size_t *len)
{
    *ptr = NULL;
    *len = 0;
    if (p->err)
        return p->err;
    if (p->state != P_BODY)
        return 0;
    /* Outside jxta_frame_parser_feed a body being filled is never complete
     * (feed hands a frame over as soon as its last byte arrives). */
    *ptr = p->f->body + p->body_got;
    *len = p->f->body_len - p->body_got;
    return 1;
}

int jxta_frame_parser_body_commit(jxta_frame_parser_t *p, size_t n, jxta_frame_t **frame)
{
    *frame = NULL;
    if (p->err)
        return p->err;
    if (n == 0)
        return 0;
    if (p->state != P_BODY || n > p->f->body_len - p->body_got)
        return JXTA_EINVAL;
    p->body_got += n;
    if (p->body_got < p->f->body_len) {
        p->offset += n;
        return 0;
    }
    *frame = parser_body_done(p, n);
    p->offset += n;
    return 1;
}

int jxta_frame_parser_feed(jxta_frame_parser_t *p, const void *data, size_t len, size_t *used,
                           jxta_frame_t **frame)
{
    const uint8_t *in = data;
    size_t pos = 0;
    int rc = 0;
    *frame = NULL;
    if (used)
        *used = 0;
    if (p->err)
        return p->err;
    if (!in && len)
        return JXTA_EINVAL;
    while (rc == 0) {
        if (p->state == P_BODY) {
            size_t n = p->f->body_len - p->body_got;
            if (n > len - pos)
                n = len - pos;
            if (n)
                memcpy(p->f->body + p->body_got, in + pos, n);
            p->body_got += n;
            pos += n;
            if (p->body_got < p->f->body_len)
                break; /* input exhausted */
            *frame = parser_body_done(p, pos);
            rc = 1;
            break;
        }
        if (pos == len)
            break;
        size_t n = p->want < len - pos ? p->want : len - pos;
        jxta_buf_append(&p->hdr, in + pos, n);
        if ((rc = jxta_buf_error(&p->hdr)) < 0)
            break;
        pos += n;
        p->want -= n;
        if (p->want)
            continue;
        const uint8_t *end = p->hdr.data + p->hdr.len;
        size_t room = 0; /* bytes the block needs beyond what we have */
        switch (p->state) {
        case P_NAMELEN:
            if (end[-1] == 0) {
                rc = parser_headers_done(p);
                continue;
            }
            p->state = P_NAME;
            p->want = end[-1];
            room = p->want + 2 + 1;
            break;
        case P_NAME:
            p->state = P_VALUELEN;
            p->want = 2;
            room = 2 + 1;
            break;
        case P_VALUELEN:
            p->want = (size_t)end[-2] << 8 | end[-1];
            room = p->want + 1;
            p->state = p->want ? P_VALUE : P_NAMELEN;
            if (!p->want)
                p->want = 1;
            break;
        case P_VALUE:
            p->state = P_NAMELEN;
            p->want = 1;
            room = 1;
            break;
        }
        if (p->hdr.len + room > p->lim.max_header_bytes)
            rc = jxta__reject(JXTA_ETOOBIG, "frame", "offset %llu: header block over %zu bytes",
                              (unsigned long long)p->start, p->lim.max_header_bytes);
    }
    p->offset += pos;
    if (used)
        *used = pos;
    if (rc < 0)
        p->err = rc;
    return rc;
}
