/* fuzz_stream.c - libFuzzer harness for the TCP binding: welcome line,
 * one-shot frame decoding, whole-stream parsing and the incremental frame
 * parser.
 *
 * The key property is that the incremental parser, fed the same bytes in
 * pseudo-random chunks (seeded from the input), produces exactly the frames
 * the one-shot decoder finds, and fails where and how it fails, except that
 * a truncated final frame is "need more data" for the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 4096

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    jxta_log_set_level(JXTA_LOG_ERROR);
    return 0;
}

static void check_welcome(const uint8_t *data, size_t size)
{
    jxta_welcome_t w, w2;
    size_t used = 0, used2 = 0;
    if (jxta_welcome_parse(data, size, &w, &used) != 0)
        return;
    if (used < 2 || used > size || used > JXTA_WELCOME_MAX)
        abort();
    jxta_buf_t b = JXTA_BUF_INIT;
    if (jxta_welcome_format(&w, &b) != 0)
        abort();
    if (jxta_welcome_parse(b.data, b.len, &w2, &used2) != 0 || used2 != b.len)
        abort();
    if (strcmp(w.dest, w2.dest) || strcmp(w.pub, w2.pub) || strcmp(w.peer_str, w2.peer_str) ||
        strcmp(w.version, w2.version) || w.noprop != w2.noprop ||
        w.msg_version != w2.msg_version || !jxta_id_equal(&w.peer, &w2.peer) ||
        (w.extra == NULL) != (w2.extra == NULL) || (w.extra && strcmp(w.extra, w2.extra)))
        abort();
    jxta_buf_free(&b);
}

static int frames_same(const jxta_frame_t *a, const jxta_frame_t *b)
{
    jxta_buf_t x = JXTA_BUF_INIT, y = JXTA_BUF_INIT;
    int ok = jxta_frame_encode(a, &x) == 0 && jxta_frame_encode(b, &y) == 0 && x.len == y.len &&
             memcmp(x.data, y.data, x.len) == 0;
    jxta_buf_free(&x);
    jxta_buf_free(&y);
    return ok;
}

/* Frames back to back in [p, p+n): one-shot vs incremental. */
static void check_frames(const uint8_t *p, size_t n, uint32_t seed)
{
    jxta_frame_limits_t lim;
    jxta_frame_limits_default(&lim);
    lim.max_body = 1 << 20;
    lim.max_headers = 8;
    lim.max_header_bytes = 1024;

    jxta_frame_t *one[MAX_FRAMES];
    size_t nf = 0, pos = 0;
    int err = 0;
    while (pos < n && nf < MAX_FRAMES) {
        size_t used = 0;
        jxta_frame_t *f = NULL;
        err = jxta_frame_decode(p + pos, n - pos, &lim, &f, &used);
        if (err < 0) {
            if (f)
                abort();
            break;
        }
        if (used == 0 || used > n - pos)
            abort();
        /* Re-encoding gives back the bytes. */
        jxta_buf_t b = JXTA_BUF_INIT;
        if (jxta_frame_encode(f, &b) != 0 || b.len != used || memcmp(b.data, p + pos, used) != 0)
            abort();
        jxta_buf_free(&b);
        jxta_msg_t *m = NULL;
        if (jxta_frame_decode_msg(f, NULL, &m) == 0)
            jxta_msg_free(m);
        one[nf++] = f;
        pos += used;
    }
    if (nf == MAX_FRAMES)
        err = 0, n = pos; /* compare what we have */

    jxta_frame_parser_t *ps;
    if (jxta_frame_parser_new(&lim, &ps) != 0)
        abort();
    size_t got = 0, off = 0;
    int perr = 0;
    uint32_t x = seed | 1;
    while (off < n && perr >= 0) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t chunk = 1 + x % 97;
        if (chunk > n - off)
            chunk = n - off;
        size_t c = 0;
        while (c < chunk) {
            size_t used = 0;
            jxta_frame_t *f = NULL;
            perr = jxta_frame_parser_feed(ps, p + off + c, chunk - c, &used, &f);
            c += used;
            if (perr < 0)
                break;
            if (perr == 1) {
                if (got >= nf || !frames_same(f, one[got]))
                    abort();
                got++;
                jxta_frame_free(f);
                perr = 0;
            } else if (c != chunk) {
                abort();
            }
        }
        off += chunk;
    }
    if (got != nf)
        abort();
    if (err == 0) {
        if (perr < 0 || !jxta_frame_parser_idle(ps))
            abort();
    } else if (err == JXTA_ETRUNC) {
        if (perr < 0 || jxta_frame_parser_idle(ps))
            abort();
    } else if (perr != err) {
        abort();
    }
    jxta_frame_parser_free(ps);
    for (size_t i = 0; i < nf; i++)
        jxta_frame_free(one[i]);
}

static void check_stream(const uint8_t *data, size_t size)
{
    jxta_stream_t *s = NULL;
    size_t off = 0;
    int rc = jxta_stream_parse(data, size, NULL, &s, &off);
    if (rc < 0) {
        if (s || off > size)
            abort();
        return;
    }
    jxta_buf_t b = JXTA_BUF_INIT;
    if (jxta_stream_encode(s, &b) != 0)
        abort();
    /* The frames part is byte-identical (the welcome may be re-spelled,
     * e.g. a message version written with leading zeros). */
    size_t tail = size - s->welcome_len;
    if (b.len < tail || memcmp(b.data + b.len - tail, data + s->welcome_len, tail) != 0)
        abort();
    jxta_buf_free(&b);
    jxta_stream_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t seed = 2166136261u;
    for (size_t i = 0; i < size && i < 64; i++)
        seed = (seed ^ data[i]) * 16777619u;

    check_welcome(data, size);
    check_stream(data, size);
    /* Frames right at the start, and after a welcome line if any. */
    jxta_welcome_t w;
    size_t wl = 0;
    if (jxta_welcome_parse(data, size, &w, &wl) == 0)
        check_frames(data + wl, size - wl, seed);
    else
        check_frames(data, size, seed);
    return 0;
}
