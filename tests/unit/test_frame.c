/* test_frame.c - the TCP binding: message packages (.tcpframe vectors
 * re-encode byte-identically and equal JXSE's framing of the .jxmg), the
 * welcome line (examples from PROTOCOLS.md 4.2, the dump example and every
 * captured stream; malformed lines refused), whole captured stream
 * directions, hostile headers, and the incremental parser fed one byte at
 * a time and in random chunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

static const char *const dump_vectors[] = {
    "msg-01-one-string", "msg-02-bytes",    "msg-03-namespaces", "msg-04-nested",
    "msg-05-signature",  "msg-06-empty",    "msg-07-large",      "msg-08-unicode",
    "msg-09-duplicates",
};

static const struct {
    const char *conv, *file;
    size_t frames;
} streams[] = {
    {"edge-listening", "conn00-127.0.0.1_32877-to-127.0.0.1_9741.c2s.bin", 2},
    {"edge-listening", "conn00-127.0.0.1_32877-to-127.0.0.1_9741.s2c.bin", 1},
    {"edge-listening", "conn01-127.0.0.1_51349-to-127.0.0.1_9741.c2s.bin", 15},
    {"edge-listening", "conn01-127.0.0.1_51349-to-127.0.0.1_9741.s2c.bin", 12},
    {"minimal-edge", "conn00-127.0.0.1_34892-to-127.0.0.1_9741.c2s.bin", 10},
    {"minimal-edge", "conn00-127.0.0.1_34892-to-127.0.0.1_9741.s2c.bin", 9},
};

static uint8_t *read_vec(const char *rel, size_t *len)
{
    char *path = tu_vector_path(rel);
    uint8_t *d = tu_read(path, len);
    free(path);
    return d;
}

static uint8_t *read_stream(size_t i, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/decoded/streams/%s", streams[i].conv, streams[i].file);
    return read_vec(rel, len);
}

/* ------------------------------------------------------------- frames */

START_TEST(tcpframe_vectors)
{
    for (size_t v = 0; v < sizeof dump_vectors / sizeof *dump_vectors; v++) {
        char rel[128];
        size_t flen, mlen;
        snprintf(rel, sizeof rel, "dump/%s.tcpframe", dump_vectors[v]);
        uint8_t *fraw = read_vec(rel, &flen);
        snprintf(rel, sizeof rel, "dump/%s.jxmg", dump_vectors[v]);
        uint8_t *mraw = read_vec(rel, &mlen);

        jxta_frame_t *f = NULL;
        int rc = jxta_frame_decode(fraw, flen, NULL, &f, NULL);
        ck_assert_msg(rc == 0, "%s: %s", dump_vectors[v], jxta_errname(rc));
        ck_assert_uint_eq(f->nhdrs, 2);
        ck_assert_str_eq(f->hdrs[0].name, "content-type");
        ck_assert_str_eq(jxta_frame_content_type(f), JXTA_MSG_MIME);
        ck_assert_uint_eq(f->body_len, mlen);
        ck_assert(memcmp(f->body, mraw, mlen) == 0);
        ck_assert_uint_eq(flen, JXTA_FRAME_JXSE_HEADER_LEN + mlen);

        /* Decoded frame re-encodes byte-identically. */
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_frame_encode(f, &b), 0);
        ck_assert(b.len == flen && memcmp(b.data, fraw, flen) == 0);

        /* Framing the message as JXSE does gives the same bytes. */
        jxta_msg_t *m;
        ck_assert_int_eq(jxta_frame_decode_msg(f, NULL, &m), 0);
        jxta_buf_reset(&b);
        ck_assert_int_eq(jxta_frame_encode_msg(m, &b), 0);
        ck_assert(b.len == flen && memcmp(b.data, fraw, flen) == 0);
        jxta_msg_free(m);

        /* jxta_frame_new builds the same frame. */
        jxta_frame_t *nf;
        ck_assert_int_eq(jxta_frame_new(JXTA_MSG_MIME, mraw, mlen, &nf), 0);
        jxta_buf_reset(&b);
        ck_assert_int_eq(jxta_frame_encode(nf, &b), 0);
        ck_assert(b.len == flen && memcmp(b.data, fraw, flen) == 0);
        jxta_frame_free(nf);

        /* Truncated anywhere: ETRUNC and a log line.  Each prefix ends at
         * the end of its allocation so over-reads are caught. */
        uint8_t *p = malloc(flen);
        for (size_t cut = 0; cut < flen; cut++) {
            memcpy(p + flen - cut, fraw, cut);
            jxta_frame_t *t = NULL;
            tu_log_capture();
            rc = jxta_frame_decode(p + flen - cut, cut, NULL, &t, NULL);
            ck_assert_msg(rc == JXTA_ETRUNC, "%s cut %zu: %s", dump_vectors[v], cut,
                          jxta_errname(rc));
            ck_assert_ptr_null(t);
            ck_assert_uint_ge(tu_log_count(), 1);
            tu_log_release();
        }
        free(p);
        jxta_buf_free(&b);
        jxta_frame_free(f);
        free(fraw);
        free(mraw);
    }
}
END_TEST

START_TEST(jxse_header_example)
{
    /* PROTOCOLS.md 4.3: the 63-byte header for a 106-byte body. */
    static const uint8_t want[63] = {
        0x0C, 0x63, 0x6F, 0x6E, 0x74, 0x65, 0x6E, 0x74, 0x2D, 0x74, 0x79, 0x70, 0x65, 0x00, 0x16,
        0x61, 0x70, 0x70, 0x6C, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6F, 0x6E, 0x2F, 0x78, 0x2D, 0x6A,
        0x78, 0x74, 0x61, 0x2D, 0x6D, 0x73, 0x67, 0x0E, 0x63, 0x6F, 0x6E, 0x74, 0x65, 0x6E, 0x74,
        0x2D, 0x6C, 0x65, 0x6E, 0x67, 0x74, 0x68, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x6A, 0x00};
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_frame_encode_header(&b, 106);
    ck_assert_uint_eq(b.len, 63);
    ck_assert(memcmp(b.data, want, 63) == 0);
    jxta_buf_free(&b);
}
END_TEST

/* Build a header block from (name, value) pairs then `body`. */
static size_t build_frame(uint8_t *out, const char *const *hdrs, const uint8_t *const *vals,
                          const size_t *vlens, size_t n, const char *body, size_t blen)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(hdrs[i]);
        out[pos++] = (uint8_t)nl;
        memcpy(out + pos, hdrs[i], nl);
        pos += nl;
        out[pos++] = (uint8_t)(vlens[i] >> 8);
        out[pos++] = (uint8_t)vlens[i];
        memcpy(out + pos, vals[i], vlens[i]);
        pos += vlens[i];
    }
    out[pos++] = 0;
    memcpy(out + pos, body, blen);
    return pos + blen;
}

static int try_frame(const uint8_t *p, size_t n, const jxta_frame_limits_t *lim)
{
    jxta_frame_t *f = NULL;
    tu_log_capture();
    int rc = jxta_frame_decode(p, n, lim, &f, NULL);
    if (rc < 0) {
        ck_assert_ptr_null(f);
        ck_assert_msg(tu_log_count() >= 1, "no log line for %s", jxta_errname(rc));
    }
    tu_log_release();
    /* The incremental parser agrees. */
    jxta_frame_parser_t *ps;
    ck_assert_int_eq(jxta_frame_parser_new(lim, &ps), 0);
    jxta_frame_t *pf = NULL;
    size_t used;
    tu_log_capture();
    int prc = jxta_frame_parser_feed(ps, p, n, &used, &pf);
    tu_log_release();
    if (rc == 0) {
        ck_assert_int_eq(prc, 1);
        ck_assert_uint_eq(used, n);
        ck_assert_uint_eq(pf->nhdrs, f->nhdrs);
        ck_assert_uint_eq(pf->body_len, f->body_len);
    } else if (rc != JXTA_ETRUNC && rc != JXTA_ETRAILING) {
        ck_assert_msg(prc == rc, "parser %s, decoder %s", jxta_errname(prc), jxta_errname(rc));
    }
    jxta_frame_free(pf);
    jxta_frame_parser_free(ps);
    jxta_frame_free(f);
    return rc;
}

START_TEST(frame_headers)
{
    static const uint8_t len5[8] = {0, 0, 0, 0, 0, 0, 0, 5};
    static const uint8_t lenmax[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t len2g[8] = {0, 0, 0, 0, 0x80, 0, 0, 0};
    const uint8_t *type = (const uint8_t *)JXTA_MSG_MIME;
    uint8_t buf[512];
    size_t n;

    /* Unknown headers and case are kept; lookup is case-insensitive. */
    {
        const char *h[] = {"Content-Length", "x-extra", "CONTENT-TYPE"};
        const uint8_t *v[] = {len5, (const uint8_t *)"", type};
        size_t l[] = {8, 0, 22};
        n = build_frame(buf, h, v, l, 3, "hello", 5);
        jxta_frame_t *f;
        ck_assert_int_eq(jxta_frame_decode(buf, n, NULL, &f, NULL), 0);
        ck_assert_uint_eq(f->nhdrs, 3);
        ck_assert_str_eq(f->hdrs[1].name, "x-extra");
        ck_assert_uint_eq(f->hdrs[1].value_len, 0);
        ck_assert_str_eq(jxta_frame_content_type(f), JXTA_MSG_MIME);
        size_t vl;
        ck_assert_ptr_nonnull(jxta_frame_header(f, "X-EXTRA", &vl));
        ck_assert_ptr_null(jxta_frame_header(f, "x-other", NULL));
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_frame_encode(f, &b), 0);
        ck_assert(b.len == n && memcmp(b.data, buf, n) == 0);
        /* Body is not a message: decode_msg refuses by content, not type. */
        jxta_msg_t *m;
        tu_log_capture();
        ck_assert_int_eq(jxta_frame_decode_msg(f, NULL, &m), JXTA_EMAGIC);
        tu_log_release();
        jxta_buf_free(&b);
        jxta_frame_free(f);
        /* With a consumed pointer, trailing bytes are left alone. */
        buf[n] = 0x0c;
        size_t used;
        ck_assert_int_eq(jxta_frame_decode(buf, n + 1, NULL, &f, &used), 0);
        ck_assert_uint_eq(used, n);
        jxta_frame_free(f);
        ck_assert_int_eq(try_frame(buf, n + 1, NULL), JXTA_ETRAILING);
    }
    /* Missing content-length / content-type. */
    {
        const char *h[] = {"content-type"};
        const uint8_t *v[] = {type};
        size_t l[] = {22};
        n = build_frame(buf, h, v, l, 1, "", 0);
        ck_assert_int_eq(try_frame(buf, n, NULL), JXTA_EMISSING);
        const char *h2[] = {"content-length"};
        const uint8_t *v2[] = {len5};
        size_t l2[] = {8};
        n = build_frame(buf, h2, v2, l2, 1, "hello", 5);
        ck_assert_int_eq(try_frame(buf, n, NULL), JXTA_EMISSING);
    }
    /* Duplicates (case-insensitive), short length value, non-text type. */
    {
        const char *h[] = {"content-type", "content-length", "Content-Type"};
        const uint8_t *v[] = {type, len5, type};
        size_t l[] = {22, 8, 22};
        n = build_frame(buf, h, v, l, 3, "hello", 5);
        ck_assert_int_eq(try_frame(buf, n, NULL), JXTA_EPROTO);
        size_t l2[] = {22, 7, 22};
        n = build_frame(buf, h, v, l2, 2, "hello", 5);
        ck_assert_int_eq(try_frame(buf, n, NULL), JXTA_EPROTO);
        const uint8_t *v3[] = {(const uint8_t *)"\xff\xfe", len5};
        size_t l3[] = {2, 8};
        n = build_frame(buf, h, v3, l3, 2, "hello", 5);
        ck_assert_int_eq(try_frame(buf, n, NULL), JXTA_EUTF8);
        const char *h4[] = {"content-type", "content-length", "bad\xc0"};
        const uint8_t *v4[] = {type, len5, type};
        n = build_frame(buf, h4, v4, l, 3, "hello", 5);
        ck_assert_int_eq(try_frame(buf, n, NULL), JXTA_EUTF8);
    }
    /* Hostile content-length: refused before allocating, whatever follows. */
    {
        const char *h[] = {"content-type", "content-length"};
        const uint8_t *v[] = {type, lenmax};
        size_t l[] = {22, 8};
        n = build_frame(buf, h, v, l, 2, "", 0);
        ck_assert_int_eq(try_frame(buf, n, NULL), JXTA_ETOOBIG);
        v[1] = len2g;
        n = build_frame(buf, h, v, l, 2, "", 0);
        ck_assert_int_eq(try_frame(buf, n, NULL), JXTA_ETOOBIG);
        jxta_frame_limits_t lim;
        jxta_frame_limits_default(&lim);
        lim.max_body = 4;
        v[1] = len5;
        n = build_frame(buf, h, v, l, 2, "hello", 5);
        ck_assert_int_eq(try_frame(buf, n, &lim), JXTA_ETOOBIG);
        lim.max_body = 5;
        ck_assert_int_eq(try_frame(buf, n, &lim), 0);
        /* Header count and header block size limits. */
        lim.max_headers = 1;
        ck_assert_int_eq(try_frame(buf, n, &lim), JXTA_ETOOBIG);
        jxta_frame_limits_default(&lim);
        lim.max_header_bytes = 40;
        ck_assert_int_eq(try_frame(buf, n, &lim), JXTA_ETOOBIG);
    }
    /* A header block of 300 empty-valued headers is bounded by the count limit. */
    {
        uint8_t big[2048];
        size_t pos = 0;
        for (int i = 0; i < 300; i++) {
            big[pos++] = 2;
            big[pos++] = (uint8_t)('a' + i / 26);
            big[pos++] = (uint8_t)('a' + i % 26);
            big[pos++] = 0;
            big[pos++] = 0;
        }
        big[pos++] = 0;
        ck_assert_int_eq(try_frame(big, pos, NULL), JXTA_ETOOBIG);
    }
}
END_TEST

/* ------------------------------------------------------------- parser */

/* Feed `p` in chunks chosen by `chunk` (0 = one byte); collect frames. */
static size_t parse_chunked(const uint8_t *p, size_t len, unsigned seed, int one_byte,
                            jxta_buf_t *reenc)
{
    jxta_frame_parser_t *ps;
    ck_assert_int_eq(jxta_frame_parser_new(NULL, &ps), 0);
    ck_assert(jxta_frame_parser_idle(ps));
    size_t pos = 0, frames = 0;
    srand(seed);
    while (pos < len) {
        size_t n = one_byte ? 1 : 1 + (size_t)rand() % 700;
        if (n > len - pos)
            n = len - pos;
        size_t off = 0;
        while (off < n) {
            size_t used;
            jxta_frame_t *f;
            int rc = jxta_frame_parser_feed(ps, p + pos + off, n - off, &used, &f);
            ck_assert_msg(rc >= 0, "parser error %s at %zu", jxta_errname(rc), pos + off);
            off += used;
            if (rc == 1) {
                ck_assert_int_eq(jxta_frame_encode(f, reenc), 0);
                jxta_frame_free(f);
                frames++;
            } else {
                ck_assert_uint_eq(off, n);
            }
        }
        pos += n;
    }
    ck_assert(jxta_frame_parser_idle(ps));
    ck_assert_uint_eq(jxta_frame_parser_offset(ps), len);
    /* Zero-length feeds are harmless. */
    size_t used;
    jxta_frame_t *f;
    ck_assert_int_eq(jxta_frame_parser_feed(ps, NULL, 0, &used, &f), 0);
    jxta_frame_parser_free(ps);
    return frames;
}

START_TEST(parser_streams)
{
    for (size_t i = 0; i < sizeof streams / sizeof *streams; i++) {
        size_t len, wl;
        uint8_t *raw = read_stream(i, &len);
        jxta_welcome_t w;
        ck_assert_int_eq(jxta_welcome_parse(raw, len, &w, &wl), 0);
        for (int mode = 0; mode < 3; mode++) {
            jxta_buf_t b = JXTA_BUF_INIT;
            size_t n = parse_chunked(raw + wl, len - wl, (unsigned)(i * 7 + mode), mode == 0, &b);
            ck_assert_uint_eq(n, streams[i].frames);
            ck_assert(b.len == len - wl && memcmp(b.data, raw + wl, b.len) == 0);
            jxta_buf_free(&b);
        }
        free(raw);
    }
}
END_TEST

START_TEST(parser_errors)
{
    static const uint8_t hostile[] = {12,  'c', 'o', 'n', 't', 'e', 'n', 't', '-', 't', 'y',
                                      'p', 'e', 0,   1,   'x', 14,  'c', 'o', 'n', 't', 'e',
                                      'n', 't', '-', 'l', 'e', 'n', 'g', 't', 'h', 0,   8,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};
    jxta_frame_parser_t *ps;
    ck_assert_int_eq(jxta_frame_parser_new(NULL, &ps), 0);
    size_t used = 0;
    jxta_frame_t *f;
    int rc = 0;
    tu_log_capture();
    for (size_t i = 0; i < sizeof hostile && rc == 0; i++)
        rc = jxta_frame_parser_feed(ps, hostile + i, 1, &used, &f);
    ck_assert_int_eq(rc, JXTA_ETOOBIG);
    ck_assert_uint_ge(tu_log_count(), 1);
    /* Sticky. */
    ck_assert_int_eq(jxta_frame_parser_feed(ps, "x", 1, &used, &f), JXTA_ETOOBIG);
    ck_assert(!jxta_frame_parser_idle(ps));
    tu_log_release();
    jxta_frame_parser_free(ps);

    /* Mid-frame: not idle.  Freed with a partial body: no leak. */
    size_t len;
    uint8_t *raw = read_vec("dump/msg-07-large.tcpframe", &len);
    ck_assert_int_eq(jxta_frame_parser_new(NULL, &ps), 0);
    ck_assert_int_eq(jxta_frame_parser_feed(ps, raw, 1000, &used, &f), 0);
    ck_assert_uint_eq(used, 1000);
    ck_assert(!jxta_frame_parser_idle(ps));
    jxta_frame_parser_free(ps);
    /* Two frames in one feed: the first returns with used < len. */
    uint8_t *two = malloc(2 * len);
    memcpy(two, raw, len);
    memcpy(two + len, raw, len);
    ck_assert_int_eq(jxta_frame_parser_new(NULL, &ps), 0);
    ck_assert_int_eq(jxta_frame_parser_feed(ps, two, 2 * len, &used, &f), 1);
    ck_assert_uint_eq(used, len);
    jxta_frame_free(f);
    ck_assert_int_eq(jxta_frame_parser_feed(ps, two + used, len, &used, &f), 1);
    ck_assert_uint_eq(used, len);
    jxta_frame_free(f);
    ck_assert(jxta_frame_parser_idle(ps));
    jxta_frame_parser_free(ps);
    free(two);
    free(raw);
}
END_TEST

/* Like parse_chunked, but whenever the parser is inside a body, usually
 * write a random part of it through jxta_frame_parser_body_space/_commit
 * (as a recv() straight into the frame would) instead of feeding it.
 * Every frame is checked against the one-shot decoder and, when it holds a
 * message, jxta_frame_take_msg against jxta_frame_decode_msg. */
static size_t parse_direct(const uint8_t *p, size_t len, unsigned seed, jxta_buf_t *reenc,
                           size_t *direct_out)
{
    jxta_frame_parser_t *ps;
    ck_assert_int_eq(jxta_frame_parser_new(NULL, &ps), 0);
    size_t pos = 0, frames = 0, direct = 0, frame_start = 0;
    srand(seed);
    while (pos < len) {
        void *space;
        size_t room;
        jxta_frame_t *f = NULL;
        int rc = jxta_frame_parser_body_space(ps, &space, &room);
        ck_assert_int_ge(rc, 0);
        if (rc == 0) {
            ck_assert_ptr_null(space);
            ck_assert_uint_eq(room, 0);
        } else {
            ck_assert_ptr_nonnull(space);
            ck_assert_uint_gt(room, 0);
            ck_assert(!jxta_frame_parser_idle(ps));
        }
        if (rc == 1 && rand() % 4) {
            size_t max = rand() % 3 ? room : 1 + (size_t)rand() % 9000;
            size_t n = 1 + (size_t)rand() % (max < room ? max : room);
            ck_assert_uint_le(n, len - pos); /* never more than the body */
            memcpy(space, p + pos, n);
            rc = jxta_frame_parser_body_commit(ps, n, &f);
            ck_assert_int_ge(rc, 0);
            ck_assert_int_eq(rc == 1, n == room);
            pos += n;
            direct++;
        } else {
            size_t n = 1 + (size_t)rand() % (rand() % 2 ? 700 : 70000), used;
            if (n > len - pos)
                n = len - pos;
            rc = jxta_frame_parser_feed(ps, p + pos, n, &used, &f);
            ck_assert_int_ge(rc, 0);
            pos += used;
        }
        ck_assert_uint_eq(jxta_frame_parser_offset(ps), pos);
        if (rc == 1) {
            /* Same frame as the one-shot decoder gives at this offset. */
            jxta_frame_t *want = NULL;
            size_t flen;
            ck_assert_int_eq(jxta_frame_decode(p + frame_start, len - frame_start, NULL, &want,
                                               &flen), 0);
            ck_assert_uint_eq(frame_start + flen, pos);
            ck_assert_uint_eq(f->nhdrs, want->nhdrs);
            ck_assert_uint_eq(f->body_len, want->body_len);
            ck_assert(memcmp(f->body, want->body, f->body_len) == 0);
            ck_assert_int_eq(jxta_frame_encode(f, reenc), 0);
            jxta_msg_t *a = NULL, *b = NULL;
            tu_log_capture();
            int ra = jxta_frame_decode_msg(want, NULL, &a);
            int rb = jxta_frame_take_msg(f, NULL, &b); /* frees f */
            tu_log_release();
            ck_assert_int_eq(ra, rb);
            if (ra == 0) {
                ck_assert(jxta_msg_equal(a, b));
                jxta_buf_t x = JXTA_BUF_INIT, y = JXTA_BUF_INIT;
                ck_assert_int_eq(jxta_msg_encode(a, JXTA_MSG_V0, &x), 0);
                ck_assert_int_eq(jxta_msg_encode(b, JXTA_MSG_V0, &y), 0);
                ck_assert(x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
                jxta_buf_free(&x);
                jxta_buf_free(&y);
            }
            jxta_msg_free(a);
            jxta_msg_free(b);
            jxta_frame_free(want);
            frame_start = pos;
            frames++;
        }
    }
    ck_assert(jxta_frame_parser_idle(ps));
    ck_assert_uint_eq(jxta_frame_parser_offset(ps), len);
    void *space = (void *)1;
    size_t room = 1;
    ck_assert_int_eq(jxta_frame_parser_body_space(ps, &space, &room), 0);
    ck_assert_ptr_null(space);
    ck_assert_uint_eq(room, 0);
    jxta_frame_parser_free(ps);
    *direct_out += direct;
    return frames;
}

START_TEST(parser_body_space_streams)
{
    /* The captured streams, and every dump frame back to back (msg-07 is
     * large enough to be split many times). */
    for (size_t i = 0; i <= sizeof streams / sizeof *streams; i++) {
        size_t len, wl = 0, expect;
        uint8_t *raw;
        if (i < sizeof streams / sizeof *streams) {
            raw = read_stream(i, &len);
            jxta_welcome_t w;
            ck_assert_int_eq(jxta_welcome_parse(raw, len, &w, &wl), 0);
            expect = streams[i].frames;
        } else {
            jxta_buf_t all = JXTA_BUF_INIT;
            for (size_t v = 0; v < sizeof dump_vectors / sizeof *dump_vectors; v++) {
                char rel[128];
                size_t flen;
                snprintf(rel, sizeof rel, "dump/%s.tcpframe", dump_vectors[v]);
                uint8_t *fr = read_vec(rel, &flen);
                jxta_buf_append(&all, fr, flen);
                free(fr);
            }
            /* and a frame with an empty body: never offered as space */
            jxta_frame_t *ef;
            ck_assert_int_eq(jxta_frame_new("text/plain", NULL, 0, &ef), 0);
            ck_assert_int_eq(jxta_frame_encode(ef, &all), 0);
            jxta_frame_free(ef);
            raw = jxta_buf_steal(&all, &len);
            expect = sizeof dump_vectors / sizeof *dump_vectors + 1;
        }
        size_t direct = 0;
        for (unsigned seed = 0; seed < 12; seed++) {
            jxta_buf_t b = JXTA_BUF_INIT;
            size_t n = parse_direct(raw + wl, len - wl, (unsigned)(i * 101 + seed), &b, &direct);
            ck_assert_uint_eq(n, expect);
            ck_assert(b.len == len - wl && memcmp(b.data, raw + wl, b.len) == 0);
            jxta_buf_free(&b);
        }
        ck_assert_uint_gt(direct, 12); /* the body path was really taken */
        free(raw);
    }
}
END_TEST

START_TEST(parser_body_space_errors)
{
    size_t len, used;
    uint8_t *raw = read_vec("dump/msg-07-large.tcpframe", &len);
    jxta_frame_parser_t *ps;
    jxta_frame_t *f = NULL, *want;
    void *space;
    size_t room;
    ck_assert_int_eq(jxta_frame_decode(raw, len, NULL, &want, NULL), 0);
    ck_assert_int_eq(jxta_frame_parser_new(NULL, &ps), 0);
    /* Not in a body: nothing offered, a commit is refused (not sticky). */
    ck_assert_int_eq(jxta_frame_parser_body_space(ps, &space, &room), 0);
    ck_assert_int_eq(jxta_frame_parser_body_commit(ps, 0, &f), 0);
    ck_assert_int_eq(jxta_frame_parser_body_commit(ps, 1, &f), JXTA_EINVAL);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(jxta_frame_parser_feed(ps, raw, 10, &used, &f), 0);
    ck_assert_int_eq(jxta_frame_parser_body_space(ps, &space, &room), 0);
    ck_assert_int_eq(jxta_frame_parser_body_commit(ps, 1, &f), JXTA_EINVAL);
    /* Header done plus 100 body bytes: the rest is offered exactly. */
    ck_assert_int_eq(jxta_frame_parser_feed(ps, raw + 10, JXTA_FRAME_JXSE_HEADER_LEN + 90, &used,
                                            &f), 0);
    ck_assert_int_eq(jxta_frame_parser_body_space(ps, &space, &room), 1);
    ck_assert_uint_eq(room, len - JXTA_FRAME_JXSE_HEADER_LEN - 100);
    ck_assert_int_eq(jxta_frame_parser_body_commit(ps, room + 1, &f), JXTA_EINVAL);
    ck_assert_uint_eq(jxta_frame_parser_offset(ps), JXTA_FRAME_JXSE_HEADER_LEN + 100);
    memcpy(space, raw + JXTA_FRAME_JXSE_HEADER_LEN + 100, room);
    ck_assert_int_eq(jxta_frame_parser_body_commit(ps, room, &f), 1);
    ck_assert_uint_eq(f->body_len, want->body_len);
    ck_assert(memcmp(f->body, want->body, f->body_len) == 0);
    jxta_frame_free(f);
    ck_assert(jxta_frame_parser_idle(ps));
    ck_assert_uint_eq(jxta_frame_parser_offset(ps), len);
    /* Freed with a partly committed body: no leak. */
    ck_assert_int_eq(jxta_frame_parser_feed(ps, raw, 200, &used, &f), 0);
    ck_assert_int_eq(jxta_frame_parser_body_space(ps, &space, &room), 1);
    memcpy(space, raw + 200, 50);
    ck_assert_int_eq(jxta_frame_parser_body_commit(ps, 50, &f), 0);
    ck_assert(!jxta_frame_parser_idle(ps));
    jxta_frame_parser_free(ps);
    /* A broken stream stays broken for both calls. */
    static const uint8_t bad[] = {3, 'a', 'b', 'c', 0, 0, 0}; /* no content-type */
    ck_assert_int_eq(jxta_frame_parser_new(NULL, &ps), 0);
    tu_log_capture();
    ck_assert_int_eq(jxta_frame_parser_feed(ps, bad, sizeof bad, &used, &f), JXTA_EMISSING);
    tu_log_release();
    space = (void *)1;
    ck_assert_int_eq(jxta_frame_parser_body_space(ps, &space, &room), JXTA_EMISSING);
    ck_assert_ptr_null(space);
    ck_assert_int_eq(jxta_frame_parser_body_commit(ps, 1, &f), JXTA_EMISSING);
    jxta_frame_parser_free(ps);

    /* jxta_frame_take_msg consumes the frame whatever happens. */
    jxta_msg_t *m = NULL, *ref = NULL;
    ck_assert_int_eq(jxta_frame_decode_msg(want, NULL, &ref), 0);
    ck_assert_int_eq(jxta_frame_take_msg(want, NULL, &m), 0);
    ck_assert(jxta_msg_equal(m, ref));
    jxta_msg_free(m);
    jxta_msg_free(ref);
    ck_assert_int_eq(jxta_frame_new("text/plain", "jxmg", 4, &f), 0);
    tu_log_capture();
    ck_assert_int_eq(jxta_frame_take_msg(f, NULL, &m), JXTA_EPROTO);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(jxta_frame_new(JXTA_MSG_MIME, "jxmg\0", 5, &f), 0);
    ck_assert_int_eq(jxta_frame_take_msg(f, NULL, &m), JXTA_ETRUNC);
    ck_assert_int_eq(jxta_frame_new(JXTA_MSG_MIME, "JXMG\0", 5, &f), 0);
    ck_assert_int_eq(jxta_frame_take_msg(f, NULL, &m), JXTA_EMAGIC);
    ck_assert_int_eq(jxta_frame_new(JXTA_MSG_MIME, NULL, 0, &f), 0);
    ck_assert_int_eq(jxta_frame_take_msg(f, NULL, &m), JXTA_ETRUNC);
    tu_log_release();
    ck_assert_int_eq(jxta_frame_take_msg(NULL, NULL, &m), JXTA_EINVAL);
    free(raw);
}
END_TEST

/* ------------------------------------------------------------- welcome */

static void check_welcome(const char *line, const char *dest, const char *pub, const char *peer,
                          int noprop, const char *version, int msgver)
{
    jxta_welcome_t w;
    size_t used = 0, len = strlen(line);
    int rc = jxta_welcome_parse(line, len, &w, &used);
    ck_assert_msg(rc == 0, "%s: %s", line, jxta_errname(rc));
    ck_assert_uint_eq(used, len);
    ck_assert_str_eq(w.dest, dest);
    ck_assert_str_eq(w.pub, pub);
    ck_assert_str_eq(w.peer_str, peer);
    jxta_id_t id;
    ck_assert_int_eq(jxta_id_parse(&id, peer, strlen(peer), JXTA_ID_PARSE_LENIENT), 0);
    ck_assert(jxta_id_equal(&id, &w.peer));
    ck_assert_int_eq(w.noprop, noprop);
    ck_assert_str_eq(w.version, version);
    ck_assert_int_eq(w.msg_version, msgver);
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_welcome_format(&w, &b), 0);
    ck_assert(b.len == len && memcmp(b.data, line, len) == 0);
    /* Every strict prefix is incomplete. */
    for (size_t cut = 0; cut < len; cut++) {
        jxta_welcome_t t;
        tu_log_capture();
        ck_assert_int_eq(jxta_welcome_parse(line, cut, &t, &used), JXTA_ETRUNC);
        tu_log_release();
    }
    jxta_buf_free(&b);
}

#define EDGE_PID "urn:jxta:uuid-59616261646162614E504720503250338C4E2A1F0B7D4C3E9F21A6B5C4D3E2F103"
#define RDV_PID "urn:jxta:uuid-59616261646162614E50472050325033D2C1B0A9F8E74D6C8B5A4F3E2D1C0B0903"

START_TEST(welcome_protocols_examples)
{
    check_welcome("JXTAHELLO tcp://203.0.113.5:9701 tcp://192.0.2.10:0 " EDGE_PID " 0 1.1\r\n",
                  "tcp://203.0.113.5:9701", "tcp://192.0.2.10:0", EDGE_PID, 0, "1.1", -1);
    check_welcome("JXTAHELLO tcp://192.0.2.10:50321 tcp://203.0.113.5:9701 " RDV_PID " 0 1.1\r\n",
                  "tcp://192.0.2.10:50321", "tcp://203.0.113.5:9701", RDV_PID, 0, "1.1", -1);
    /* The 3.0 form (JXTA-C) carries a preferred message version. */
    check_welcome("JXTAHELLO tcp://203.0.113.5:9701 tcp://192.0.2.10:9701 " EDGE_PID " 1 1 3.0\r\n",
                  "tcp://203.0.113.5:9701", "tcp://192.0.2.10:9701", EDGE_PID, 1, "3.0", 1);
    /* Unknown versions are accepted with defaults (JXSE). */
    check_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 2.0\r\n", "tcp://a:1", "tcp://b:2",
                  EDGE_PID, 0, "2.0", -1);
    check_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 1 x y 4.0\r\n", "tcp://a:1",
                  "tcp://b:2", EDGE_PID, 0, "4.0", -1);

    /* jxta_welcome_init + format: what JXSE sends. */
    jxta_id_t id;
    ck_assert_int_eq(jxta_id_from_string(&id, EDGE_PID), 0);
    jxta_welcome_t w;
    jxta_welcome_init(&w, "tcp://203.0.113.5:9701", "tcp://192.0.2.10:0", &id, 0);
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_welcome_format(&w, &b), 0);
    const char *want = "JXTAHELLO tcp://203.0.113.5:9701 tcp://192.0.2.10:0 " EDGE_PID " 0 1.1\r\n";
    ck_assert_uint_eq(b.len, strlen(want));
    ck_assert(memcmp(b.data, want, b.len) == 0);
    w.dest = "no address";
    size_t before = b.len;
    tu_log_capture();
    ck_assert_int_eq(jxta_welcome_format(&w, &b), JXTA_EINVAL);
    tu_log_release();
    ck_assert_uint_eq(b.len, before);
    jxta_buf_free(&b);
}
END_TEST

START_TEST(welcome_vectors)
{
    size_t len, used;
    uint8_t *raw = read_vec("dump/tcp-welcome-example.txt", &len);
    jxta_welcome_t w;
    ck_assert_int_eq(jxta_welcome_parse(raw, len, &w, &used), 0);
    ck_assert_uint_eq(used, len);
    ck_assert_uint_eq(len, 140);
    ck_assert_str_eq(w.dest, "tcp://127.0.0.1:9701");
    ck_assert_str_eq(w.peer_str,
                     "urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303");
    ck_assert_str_eq(w.version, "1.1");
    ck_assert_int_eq(jxta_id_kind(&w.peer), JXTA_ID_PEER);
    free(raw);

    /* The relay-connect welcome carries a service and parameter. */
    raw = read_stream(0, &len);
    ck_assert_int_eq(jxta_welcome_parse(raw, len, &w, &used), 0);
    ck_assert_uint_eq(used, 236);
    ck_assert_str_eq(w.dest, "tcp://127.0.0.1:9741/EndpointService:jxta-NetGroup/"
                             "uuid-DEADBEEFDEAFBABAFEEDBABE0000000F05/connect,3600000,keep,true");
    ck_assert_str_eq(w.pub, "tcp://127.0.0.1:9742");
    free(raw);
    /* The minimal edge does not listen and asks for no propagation. */
    raw = read_stream(4, &len);
    ck_assert_int_eq(jxta_welcome_parse(raw, len, &w, &used), 0);
    ck_assert_str_eq(w.pub, "tcp://127.0.0.1:0");
    ck_assert_int_eq(w.noprop, 1);
    free(raw);
    raw = read_stream(5, &len);
    ck_assert_int_eq(jxta_welcome_parse(raw, len, &w, &used), 0);
    ck_assert_str_eq(w.dest, "tcp://127.0.0.1:34892");
    ck_assert_int_eq(w.noprop, 0);
    free(raw);
}
END_TEST

static int bad_welcome(const char *line)
{
    jxta_welcome_t w;
    size_t used;
    tu_log_capture();
    int rc = jxta_welcome_parse(line, strlen(line), &w, &used);
    if (rc < 0)
        ck_assert_msg(tu_log_count() >= 1, "no log line for '%s'", line);
    tu_log_release();
    return rc;
}

START_TEST(welcome_malformed)
{
    const char *tail = " " EDGE_PID " 0 1.1\r\n";
    char line[5000];
    ck_assert_int_eq(bad_welcome("GET / HTTP/1.1\r\n"), JXTA_EMAGIC);
    ck_assert_int_eq(bad_welcome("JXTAHELL"), JXTA_ETRUNC); /* could still become valid */
    ck_assert_int_eq(bad_welcome("JXTAHELLX"), JXTA_EMAGIC);
    ck_assert_int_eq(bad_welcome("jxtahello tcp://a:1 tcp://b:2 " EDGE_PID " 0 1.1\r\n"),
                     JXTA_EMAGIC);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 0 1.1\n"),
                     JXTA_ETRUNC);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 0 1.1\n\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1  tcp://b:2 " EDGE_PID " 0 1.1\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1\ttcp://b:2 " EDGE_PID " 0 1.1\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 0 1.1 \r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 1.1\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 0 7 1.1\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 0 3.0\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 0 x 3.0\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " 0 256 3.0\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID " yes 1.1\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 " EDGE_PID "\r\n"), JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO nohost tcp://b:2 " EDGE_PID " 0 1.1\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 ://b:2 " EDGE_PID " 0 1.1\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp:/// " EDGE_PID " 0 1.1\r\n"),
                     JXTA_EPROTO);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 urn:jxta:uuid-XYZ 0 1.1\r\n"),
                     JXTA_EBADID);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:2 urn:jxta:jxta-NetGroup 0 1.1\r\n"),
                     JXTA_EBADID);
    ck_assert_int_eq(bad_welcome("JXTAHELLO tcp://a:1 tcp://b:\xc3 " EDGE_PID " 0 1.1\r\n"),
                     JXTA_EUTF8);
    /* Length: exactly 4096 bytes with CRLF is fine, longer is not. */
    size_t pad = JXTA_WELCOME_MAX - strlen("JXTAHELLO tcp://a:1/ tcp://b:2") - strlen(tail);
    snprintf(line, sizeof line, "JXTAHELLO tcp://a:1/%0*d tcp://b:2%s", (int)pad, 0, tail);
    ck_assert_uint_eq(strlen(line), JXTA_WELCOME_MAX);
    ck_assert_int_eq(bad_welcome(line), 0);
    snprintf(line, sizeof line, "JXTAHELLO tcp://a:1/%0*d tcp://b:2%s", (int)pad + 1, 0, tail);
    ck_assert_int_eq(bad_welcome(line), JXTA_ETOOBIG);
    /* No line end within the limit. */
    memset(line, 'a', sizeof line);
    memcpy(line, "JXTAHELLO ", 10);
    line[sizeof line - 1] = 0;
    ck_assert_int_eq(bad_welcome(line), JXTA_ETOOBIG);
}
END_TEST

/* ------------------------------------------------------------- streams */

START_TEST(stream_vectors)
{
    for (size_t i = 0; i < sizeof streams / sizeof *streams; i++) {
        size_t len;
        uint8_t *raw = read_stream(i, &len);
        jxta_stream_t *s = NULL;
        size_t off = 0;
        int rc = jxta_stream_parse(raw, len, NULL, &s, &off);
        ck_assert_msg(rc == 0, "%s: %s at %zu", streams[i].file, jxta_errname(rc), off);
        ck_assert_uint_eq(s->nframes, streams[i].frames);
        ck_assert_uint_eq(s->offsets[0], s->welcome_len);
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_stream_encode(s, &b), 0);
        ck_assert_msg(b.len == len && memcmp(b.data, raw, len) == 0, "%s re-encode differs",
                      streams[i].file);
        jxta_buf_free(&b);

        /* Each frame's body is the matching decoded/frames file. */
        char rel[256], **names, tag[32];
        snprintf(rel, sizeof rel, "%s/decoded/frames", streams[i].conv);
        char *dir = tu_vector_path(rel);
        snprintf(tag, sizeof tag, "-%.6s-%.3s.jxmg", streams[i].file,
                 strstr(streams[i].file, ".bin") - 3);
        size_t nf = tu_list(dir, tag, &names), k = 0;
        ck_assert_uint_eq(nf, s->nframes);
        for (k = 0; k < nf; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[k]);
            size_t flen;
            uint8_t *fr = tu_read(path, &flen);
            ck_assert_uint_eq(s->frames[k]->body_len, flen);
            ck_assert(memcmp(s->frames[k]->body, fr, flen) == 0);
            jxta_msg_t *m;
            ck_assert_int_eq(jxta_frame_decode_msg(s->frames[k], NULL, &m), 0);
            jxta_msg_free(m);
            free(fr);
        }
        tu_free_list(names);
        free(dir);

        /* Cut inside the last frame: truncated.  One byte more: truncated. */
        jxta_stream_t *t = NULL;
        tu_log_capture();
        ck_assert_int_eq(jxta_stream_parse(raw, len - 1, NULL, &t, &off), JXTA_ETRUNC);
        ck_assert_ptr_null(t);
        ck_assert_uint_eq(off, s->offsets[s->nframes - 1]);
        uint8_t *more = malloc(len + 1);
        memcpy(more, raw, len);
        more[len] = 0x0c;
        ck_assert_int_eq(jxta_stream_parse(more, len + 1, NULL, &t, &off), JXTA_ETRUNC);
        ck_assert_uint_eq(off, len);
        ck_assert_int_eq(jxta_stream_parse(raw + 1, len - 1, NULL, &t, &off), JXTA_EMAGIC);
        ck_assert_uint_ge(tu_log_count(), 3);
        tu_log_release();
        free(more);
        jxta_stream_free(s);
        free(raw);
    }
}
END_TEST

static Suite *frame_suite(void)
{
    Suite *s = suite_create("frame");
    TCase *tc = tcase_create("frames");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tcpframe_vectors);
    tcase_add_test(tc, jxse_header_example);
    tcase_add_test(tc, frame_headers);
    suite_add_tcase(s, tc);
    tc = tcase_create("parser");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, parser_streams);
    tcase_add_test(tc, parser_errors);
    tcase_add_test(tc, parser_body_space_streams);
    tcase_add_test(tc, parser_body_space_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("welcome");
    tcase_add_test(tc, welcome_protocols_examples);
    tcase_add_test(tc, welcome_vectors);
    tcase_add_test(tc, welcome_malformed);
    suite_add_tcase(s, tc);
    tc = tcase_create("stream");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, stream_vectors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(frame_suite());
}
