/* test_srdi.c - SRDI against the JXSE 2.5 captures and hostile input.
 *
 * Every captured jxta-NetGroupSrdi element (three sent by JXSE, one by the
 * minimal test edge) gunzips and decodes to the values the harness
 * published; the JXSE ones are re-written byte for byte (documents, gzip
 * stream and message element).  gzip: Java's header, round trips, and
 * refusal of bombs, truncation at every offset, bad CRCs and headers.
 * Documents: JXSE's reading rules and a specific code plus a log line for
 * each kind of bad document.  Index: every wildcard form, expiration and
 * gc at explicit times, removal by peer, limits.  Replica selection on
 * examples computed independently (Python hashlib/int, see comments).
 * Time is passed in explicitly everywhere: no test sleeps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define UUID_NG "urn:jxta:uuid-59616261646162614E50472050325033"
static const char EDGE[] = UUID_NG "4F43FC842D294D3EBC30A151E71E90F703"; /* edge-listening edge */
static const char RDV[] = UUID_NG "FD22FF0D29884878838A986D8171351603";  /* the JXSE rdv */
static const char MINI[] = UUID_NG "D3BDCBB6F82C4152BF6D94F9CABB7D7B03"; /* minimal edge */
static const char ME[] = UUID_NG "2EC7D662865D4477B78CAECC702112E303";
static const char OTHER[] = UUID_NG "0123456789AB4CDE8F0123456789ABCD03";

static const uint8_t JAVA_HEADER[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};

static jxta_id_t id_of(const char *s)
{
    jxta_id_t id;
    ck_assert_int_eq(jxta_id_from_string(&id, s), 0);
    return id;
}

/* ---- Captured elements ----------------------------------------------------- */

typedef struct {
    const char *frame; /* relative to the vectors dir */
    int jxse;          /* written by JXSE (byte-exact re-encoding expected) */
} capture_t;

static const capture_t captures[] = {
    {"edge-listening/decoded/frames/0006-conn01-c2s.jxmg", 1},
    {"edge-listening/decoded/frames/0007-conn01-c2s.jxmg", 1},
    {"edge-listening/decoded/frames/0009-conn01-c2s.jxmg", 1},
    {"minimal-edge/decoded/frames/0003-conn00-c2s.jxmg", 0},
};

static jxta_msg_t *load_msg(const char *rel)
{
    char *path = tu_vector_path(rel);
    size_t len;
    uint8_t *b = tu_read(path, &len);
    jxta_msg_t *m = NULL;
    ck_assert_msg(jxta_msg_decode(b, len, NULL, &m) == 0, "%s does not decode", rel);
    free(b);
    free(path);
    return m;
}

static const jxta_msg_elem_t *srdi_elem(const jxta_msg_t *m)
{
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", "jxta-NetGroupSrdi");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(jxta_msg_elem_type(e), "application/gzip");
    return e;
}

/* Every SRDI element in the captures, found by scanning all frames, so a
 * new capture with SRDI is checked too. */
START_TEST(every_captured_srdi_element_decodes)
{
    const char *dirs[] = {"edge-listening/decoded/frames", "minimal-edge/decoded/frames"};
    size_t found = 0;
    for (size_t d = 0; d < N_ELEMS(dirs); d++) {
        char *dir = tu_vector_path(dirs[d]);
        char **names;
        size_t n = tu_list(dir, ".jxmg", &names);
        ck_assert_uint_gt(n, 0);
        for (size_t i = 0; i < n; i++) {
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], names[i]);
            jxta_msg_t *m = load_msg(rel);
            for (size_t k = 0; k < jxta_msg_count(m); k++) {
                const jxta_msg_elem_t *e = jxta_msg_get(m, k);
                const char *name = jxta_msg_elem_name(e);
                size_t nl = strlen(name);
                if (nl < 4 || strcmp(name + nl - 4, "Srdi") != 0)
                    continue;
                found++;
                jxta_srdi_t s;
                jxta_srdi_init(&s);
                char *handler = NULL;
                int rc = jxta_srdi_element_decode(e, NULL, &handler, &s);
                ck_assert_msg(rc == 0, "%s: %s", rel, jxta_errname(rc));
                ck_assert_uint_gt(s.count, 0);
                ck_assert_int_eq(s.ttl, 1);
                free(handler);
                jxta_srdi_clear(&s);
            }
            jxta_msg_free(m);
        }
        tu_free_list(names);
        free(dir);
    }
    ck_assert_uint_eq(found, N_ELEMS(captures));
}
END_TEST

typedef struct {
    const char *skey, *value;
    int64_t exp;
} want_entry_t;

static void check_decoded(size_t ci, const char *handler, const char *pid, const char *pkey,
                          const want_entry_t *want, size_t nwant)
{
    jxta_msg_t *m = load_msg(captures[ci].frame);
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    char *h = NULL;
    ck_assert_int_eq(jxta_srdi_element_decode(srdi_elem(m), NULL, &h, &s), 0);
    ck_assert_str_eq(h, handler);
    jxta_id_t want_pid = id_of(pid);
    ck_assert(jxta_id_equal(&s.pid, &want_pid));
    ck_assert_str_eq(s.pkey, pkey);
    ck_assert_int_eq(s.ttl, 1);
    ck_assert_uint_eq(s.count, nwant);
    for (size_t i = 0; i < nwant; i++) {
        ck_assert_str_eq(s.entries[i].skey, want[i].skey);
        ck_assert_str_eq(s.entries[i].value, want[i].value);
        ck_assert_int_eq(s.entries[i].expiration_ms, want[i].exp);
    }
    free(h);
    jxta_srdi_clear(&s);
    jxta_msg_free(m);
}

START_TEST(captured_values)
{
    /* The edge's own PA: Long.MAX_VALUE - now, i.e. "forever". */
    const want_entry_t peers[] = {{"PID", EDGE, INT64_C(9223370241057771316)},
                                  {"Name", "JxInteropEdge", INT64_C(9223370241057771316)}};
    check_decoded(0, JXTA_SRDI_HANDLER_DISCOVERY, EDGE, "Peers", peers, N_ELEMS(peers));
    ck_assert(INT64_C(9223370241057771316) >= JXTA_SRDI_EXP_INFINITE);

    /* Module specs (1-year lifetime, minus a few ms) and the rdv's route. */
    const want_entry_t adv[] = {
        {"MSID", "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010206", INT64_C(31535997966)},
        {"MSID", "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000030106", INT64_C(31535997964)},
        {"DstPID", RDV, 1199989}};
    check_decoded(1, JXTA_SRDI_HANDLER_DISCOVERY, EDGE, "Adv", adv, N_ELEMS(adv));

    /* The edge's input pipe. */
    const want_entry_t pipe[] = {{"Id", UUID_NG "E3EBF68EDE16406BA1E098AAD33BD25F04", INT64_MAX}};
    check_decoded(2, JXTA_SRDI_HANDLER_PIPE, EDGE, "JxtaUnicast", pipe, N_ELEMS(pipe));

    const want_entry_t mini[] = {{"Id", UUID_NG "B2B189EDE39E4900B912744F1FE2542204", INT64_MAX}};
    check_decoded(3, JXTA_SRDI_HANDLER_PIPE, MINI, "JxtaUnicast", mini, N_ELEMS(mini));
}
END_TEST

/* Parse, write both documents, gzip: the JXSE elements come out identical. */
START_TEST(jxse_elements_rewritten_byte_for_byte)
{
    for (size_t ci = 0; ci < N_ELEMS(captures); ci++) {
        jxta_msg_t *m = load_msg(captures[ci].frame);
        const jxta_msg_elem_t *e = srdi_elem(m);
        size_t glen;
        const uint8_t *gz = jxta_msg_elem_body(e, &glen);
        jxta_buf_t plain = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_gunzip(gz, glen, 0, &plain), 0);

        /* zlib at level 6 reproduces the deflate data of every capture. */
        jxta_buf_t again = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_gzip(plain.data, plain.len, &again), 0);
        ck_assert_uint_eq(again.len, glen);
        ck_assert(memcmp(again.data, JAVA_HEADER, 10) == 0);
        if (captures[ci].jxse)
            ck_assert(memcmp(again.data, gz, glen) == 0);
        else /* Python's gzip: mtime and XFL differ, the rest is the same */
            ck_assert(memcmp(again.data + 10, gz + 10, glen - 10) == 0);
        jxta_buf_free(&again);

        jxta_rsrdi_t r;
        ck_assert_int_eq(jxta_rsrdi_parse(plain.data, plain.len, NULL, &r), 0);
        jxta_srdi_t s;
        jxta_srdi_init(&s);
        ck_assert_int_eq(jxta_srdi_parse(r.payload, strlen(r.payload), NULL, &s), 0);
        jxta_buf_t gen = JXTA_BUF_INIT, wrap = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_srdi_write(&s, &gen), 0);
        char *payload = jxta_buf_steal_str(&gen);
        ck_assert_int_eq(jxta_rsrdi_write(r.handler, payload, &wrap), 0);
        if (captures[ci].jxse) {
            ck_assert_uint_eq(wrap.len, plain.len);
            ck_assert_msg(memcmp(wrap.data, plain.data, plain.len) == 0, "%s: document differs",
                          captures[ci].frame);
            jxta_msg_t *out;
            ck_assert_int_eq(jxta_msg_new(&out), 0);
            ck_assert_int_eq(jxta_srdi_element_encode(r.handler, &s, out, "jxta-NetGroupSrdi"), 0);
            const jxta_msg_elem_t *oe = jxta_msg_get(out, 0);
            ck_assert_str_eq(jxta_msg_elem_ns(oe), "jxta");
            ck_assert_str_eq(jxta_msg_elem_name(oe), "jxta-NetGroupSrdi");
            ck_assert_str_eq(jxta_msg_elem_type(oe), "application/gzip");
            size_t olen;
            const uint8_t *ob = jxta_msg_elem_body(oe, &olen);
            ck_assert_uint_eq(olen, glen);
            ck_assert(memcmp(ob, gz, glen) == 0);
            jxta_msg_free(out);
        }
        /* Either way our output reads back to the same document. */
        jxta_srdi_t s2;
        jxta_srdi_init(&s2);
        char *h2 = NULL;
        jxta_msg_elem_t *te;
        ck_assert_int_eq(
            jxta_msg_elem_new(&te, "jxta", "x", JXTA_MSG_MIME_XML, wrap.data, wrap.len), 0);
        ck_assert_int_eq(jxta_srdi_element_decode(te, NULL, &h2, &s2), 0);
        ck_assert_str_eq(h2, r.handler);
        ck_assert(jxta_srdi_equal(&s, &s2));
        jxta_msg_elem_free(te);
        free(h2);
        jxta_srdi_clear(&s2);
        free(payload);
        jxta_buf_free(&wrap);
        jxta_srdi_clear(&s);
        jxta_rsrdi_clear(&r);
        jxta_buf_free(&plain);
        jxta_msg_free(m);
    }
}
END_TEST

/* ---- gzip ----------------------------------------------------------------- */

START_TEST(gzip_round_trips)
{
    const char *texts[] = {"", "a", "hello, hello, hello, hello", "<x>&amp;</x>"};
    for (size_t i = 0; i < N_ELEMS(texts); i++) {
        jxta_buf_t z = JXTA_BUF_INIT, p = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_gzip(texts[i], strlen(texts[i]), &z), 0);
        ck_assert(memcmp(z.data, JAVA_HEADER, 10) == 0);
        ck_assert_int_eq(jxta_gunzip(z.data, z.len, 100, &p), 0);
        ck_assert_uint_eq(p.len, strlen(texts[i]));
        ck_assert(p.len == 0 || memcmp(p.data, texts[i], p.len) == 0);
        jxta_buf_free(&z);
        jxta_buf_free(&p);
    }
    /* 300 KiB of varied data, appended after existing bytes of `out`. */
    size_t n = 300 * 1024;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)((i * 7919u) >> 5);
    jxta_buf_t z = JXTA_BUF_INIT, p = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_gzip(big, n, &z), 0);
    jxta_buf_append(&p, "pre", 3);
    ck_assert_int_eq(jxta_gunzip(z.data, z.len, n, &p), 0);
    ck_assert_uint_eq(p.len, n + 3);
    ck_assert(memcmp(p.data + 3, big, n) == 0);
    /* Exactly at the cap passes, one byte under refuses. */
    jxta_buf_reset(&p);
    tu_log_capture();
    ck_assert_int_eq(jxta_gunzip(z.data, z.len, n - 1, &p), JXTA_ETOOBIG);
    ck_assert_uint_eq(p.len, 0);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    /* Two members concatenated = the two contents (as GZIPInputStream reads). */
    jxta_buf_t two = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_gzip("ab", 2, &two), 0);
    ck_assert_int_eq(jxta_gzip("cd", 2, &two), 0);
    jxta_buf_reset(&p);
    ck_assert_int_eq(jxta_gunzip(two.data, two.len, 4, &p), 0);
    ck_assert_uint_eq(p.len, 4);
    ck_assert(memcmp(p.data, "abcd", 4) == 0);
    jxta_buf_reset(&p);
    tu_log_capture();
    ck_assert_int_eq(jxta_gunzip(two.data, two.len, 3, &p), JXTA_ETOOBIG); /* cap is total */
    ck_assert_uint_eq(tu_log_count(), 1);
    tu_log_release();
    jxta_buf_free(&two);
    jxta_buf_free(&z);
    jxta_buf_free(&p);
    free(big);
}
END_TEST

/* Plain bitwise CRC-32 (the test does not link zlib itself). */
static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

typedef struct {
    uint8_t *p;
    size_t len;
    uint32_t acc;
    int nacc;
} bits_t;

static void put_bits(bits_t *b, uint32_t v, int n) /* LSB first */
{
    for (int i = 0; i < n; i++) {
        b->acc |= ((v >> i) & 1u) << b->nacc;
        if (++b->nacc == 8) {
            b->p[b->len++] = (uint8_t)b->acc;
            b->acc = 0;
            b->nacc = 0;
        }
    }
}

static void put_code(bits_t *b, uint32_t code, int n) /* Huffman code, MSB first */
{
    for (int i = n - 1; i >= 0; i--)
        put_bits(b, (code >> i) & 1u, 1);
}

static void put_match(bits_t *b)
{
    put_code(b, 0xc5, 8); /* length code 285 = 258 */
    put_code(b, 0, 5);    /* distance code 0 = 1 */
}

/* A single gzip member whose one fixed-Huffman block is a literal 0 then
 * 8 * `groups` copies of (length 258, distance 1): 13 bits per 258 zeros.
 * Eight matches are exactly 13 bytes, so after the first two groups the
 * bytes repeat with that period and are copied, not re-encoded.  The
 * trailer holds crc/size as given (the caller knows them, or knows they
 * will never be reached). */
static uint8_t *zero_bomb(size_t groups, uint32_t crc, uint32_t isize, size_t *len)
{
    ck_assert_uint_ge(groups, 2);
    bits_t b = {malloc(10 + groups * 13 + 32), 0, 0, 0};
    memcpy(b.p, JAVA_HEADER, 10);
    b.len = 10;
    put_bits(&b, 1, 1);    /* BFINAL */
    put_bits(&b, 1, 2);    /* BTYPE 01: fixed Huffman */
    put_code(&b, 0x30, 8); /* literal 0 */
    for (int i = 0; i < 8; i++)
        put_match(&b);
    size_t period = b.len; /* 3 bits pending: the same after every group */
    for (int i = 0; i < 8; i++)
        put_match(&b);
    ck_assert_uint_eq(b.len - period, 13);
    for (size_t g = 2; g < groups; g++, b.len += 13)
        memcpy(b.p + b.len, b.p + period, 13);
    put_code(&b, 0, 7); /* end of block */
    if (b.nacc)
        put_bits(&b, 0, 8 - b.nacc);
    for (int i = 0; i < 4; i++)
        b.p[b.len++] = (uint8_t)(crc >> (8 * i));
    for (int i = 0; i < 4; i++)
        b.p[b.len++] = (uint8_t)(isize >> (8 * i));
    *len = b.len;
    return b.p;
}

START_TEST(gzip_bomb_refused)
{
    /* The construction is sound: 132 KiB of zeros inflate fine under a larger cap. */
    size_t small_groups = 64, small_n = 1 + small_groups * 8 * 258, len;
    uint8_t *zeros = calloc(1, small_n);
    uint8_t *small = zero_bomb(small_groups, crc32_of(zeros, small_n), (uint32_t)small_n, &len);
    jxta_buf_t p = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_gunzip(small, len, small_n, &p), 0);
    ck_assert_uint_eq(p.len, small_n);
    ck_assert(memcmp(p.data, zeros, small_n) == 0);
    jxta_buf_free(&p);
    free(small);
    free(zeros);

    /* One member inflating to 1 GiB from 6.5 MiB: refused at the cap, long
     * before its (unreached, so not computed) trailer. */
    size_t groups = ((size_t)1 << 30) / (8 * 258);
    uint8_t *bomb = zero_bomb(groups, 0, 0, &len);
    ck_assert_uint_lt(len, (size_t)7 << 20);
    tu_log_capture();
    ck_assert_int_eq(jxta_gunzip(bomb, len, 0, &p), JXTA_ETOOBIG);
    ck_assert_uint_eq(p.len, 0);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "cap"));
    /* The same bomb as an SRDI element. */
    jxta_msg_elem_t *e;
    ck_assert_int_eq(
        jxta_msg_elem_new(&e, "jxta", "jxta-NetGroupSrdi", "application/gzip", bomb, len), 0);
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    size_t before = tu_log_count();
    ck_assert_int_eq(jxta_srdi_element_decode(e, NULL, NULL, &s), JXTA_ETOOBIG);
    ck_assert_uint_gt(tu_log_count(), before);
    ck_assert_uint_eq(s.count, 0);
    jxta_msg_elem_free(e);
    free(bomb);

    /* 1 GiB as 1024 valid members of 1 MiB each (~1 KiB apiece): the cap
     * counts the total. */
    size_t mib = (size_t)1 << 20;
    zeros = calloc(1, mib);
    jxta_buf_t one = JXTA_BUF_INIT, many = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_gzip(zeros, mib, &one), 0);
    ck_assert_uint_lt(one.len, 2048);
    for (int i = 0; i < 1024; i++)
        jxta_buf_append(&many, one.data, one.len);
    ck_assert_int_eq(jxta_buf_error(&many), 0);
    before = tu_log_count();
    ck_assert_int_eq(jxta_gunzip(many.data, many.len, 0, &p), JXTA_ETOOBIG);
    ck_assert_uint_eq(p.len, 0);
    ck_assert_uint_eq(tu_log_count(), before + 1);
    ck_assert_int_eq(jxta_gunzip(many.data, 4 * one.len, 0, &p), 0); /* 4 MiB = the cap */
    ck_assert_uint_eq(p.len, 4 * mib);
    tu_log_release();
    jxta_buf_free(&one);
    jxta_buf_free(&many);
    jxta_buf_free(&p);
    free(zeros);
}
END_TEST

START_TEST(gzip_truncated_at_every_offset)
{
    tu_log_capture();
    for (size_t ci = 0; ci < N_ELEMS(captures); ci++) {
        jxta_msg_t *m = load_msg(captures[ci].frame);
        size_t glen;
        const uint8_t *gz = jxta_msg_elem_body(srdi_elem(m), &glen);
        jxta_buf_t p = JXTA_BUF_INIT;
        for (size_t cut = 0; cut < glen; cut++) {
            size_t before = tu_log_count();
            int rc = jxta_gunzip(gz, cut, 0, &p);
            ck_assert_msg(rc == JXTA_ETRUNC, "%s cut at %zu: %s", captures[ci].frame, cut,
                          jxta_errname(rc));
            ck_assert_uint_eq(p.len, 0);
            ck_assert_uint_eq(tu_log_count(), before + 1);
        }
        jxta_buf_free(&p);
        jxta_msg_free(m);
    }
    tu_log_release();
}
END_TEST

static void expect_gunzip(const uint8_t *p, size_t n, int want)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    size_t before = tu_log_count();
    int rc = jxta_gunzip(p, n, 1 << 20, &b);
    ck_assert_msg(rc == want, "got %s, want %s", jxta_errname(rc), jxta_errname(want));
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_gt(tu_log_count(), before);
    jxta_buf_free(&b);
}

START_TEST(gzip_bad_streams)
{
    jxta_buf_t z = JXTA_BUF_INIT;
    const char *text = "The quick brown fox jumps over the lazy dog";
    ck_assert_int_eq(jxta_gzip(text, strlen(text), &z), 0);
    uint8_t *c = malloc(z.len + 16);
    tu_log_capture();
#define MUTATE(off, val, want)                                                                     \
    do {                                                                                           \
        memcpy(c, z.data, z.len);                                                                  \
        c[(off)] = (uint8_t)(val);                                                                 \
        expect_gunzip(c, z.len, (want));                                                           \
    } while (0)
    MUTATE(0, 0x1e, JXTA_EMAGIC);
    MUTATE(1, 0x8c, JXTA_EMAGIC);
    MUTATE(2, 7, JXTA_EPROTO);                        /* not deflate */
    MUTATE(3, 0x20, JXTA_EPROTO);                     /* reserved flag */
    MUTATE(10, 0x07, JXTA_EPROTO);                    /* final block of reserved type 3 */
    MUTATE(z.len - 8, c[z.len - 8] ^ 1, JXTA_EPROTO); /* CRC-32 */
    MUTATE(z.len - 4, c[z.len - 4] ^ 1, JXTA_EPROTO); /* ISIZE */
    /* Trailing garbage after the member; a second header cut short. */
    memcpy(c, z.data, z.len);
    memcpy(c + z.len, "junk", 4);
    expect_gunzip(c, z.len + 4, JXTA_ETRAILING);
    memcpy(c + z.len, "\x1f\x8b\x08", 3);
    expect_gunzip(c, z.len + 3, JXTA_ETRUNC);
    expect_gunzip((const uint8_t *)"x", 1, JXTA_EMAGIC);
    expect_gunzip(NULL, 0, JXTA_ETRUNC);

    /* All optional header fields (FEXTRA, FNAME, FCOMMENT, FHCRC) are read. */
    jxta_buf_t h = JXTA_BUF_INIT;
    static const uint8_t head[] = {0x1f, 0x8b, 8,   0x1e, 1,   2,   3,   4,   0, 3,   3,
                                   0,    'a',  'b', 'c',  'n', 'a', 'm', 'e', 0, 'c', 0};
    jxta_buf_append(&h, head, sizeof head);
    uint32_t hc = crc32_of(head, sizeof head);
    jxta_buf_put_u8(&h, (uint8_t)hc);
    jxta_buf_put_u8(&h, (uint8_t)(hc >> 8));
    jxta_buf_append(&h, z.data + 10, z.len - 10);
    jxta_buf_t out = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_gunzip(h.data, h.len, 0, &out), 0);
    ck_assert_uint_eq(out.len, strlen(text));
    h.data[sizeof head] ^= 1; /* header CRC */
    expect_gunzip(h.data, h.len, JXTA_EPROTO);
    tu_log_release();
#undef MUTATE
    jxta_buf_free(&out);
    jxta_buf_free(&h);
    free(c);
    jxta_buf_free(&z);
}
END_TEST

/* ---- Documents -------------------------------------------------------------- */

static jxta_srdi_t sample(void)
{
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    s.pid = id_of(ME);
    ck_assert_int_eq(jxta_srdi_set_pkey(&s, "Adv"), 0);
    s.ttl = 1;
    ck_assert_int_eq(jxta_srdi_add(&s, "Name", "chat-in", 7200000), 0);
    ck_assert_int_eq(jxta_srdi_add(&s, "Id", UUID_NG "5D1C3B7A29E84F60B2C1D8E7F6A5B49C04", 0), 0);
    ck_assert_int_eq(jxta_srdi_add(&s, NULL, "a<b&c>d]]>e \"q\" 'x' caf\xc3\xa9", -1), 0);
    ck_assert_int_eq(jxta_srdi_add(&s, "odd \"key\" <&>\t", "v\r\nw", INT64_MAX), 0);
    ck_assert_int_eq(jxta_srdi_add(&s, "Neg", "n", INT64_MIN), 0);
    return s;
}

START_TEST(write_then_parse_is_identity)
{
    jxta_srdi_t s = sample();
    ck_assert_str_eq(s.entries[2].skey, "NA");
    for (int ttl = 0; ttl <= 1; ttl++) {
        s.ttl = ttl;
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_srdi_write(&s, &b), 0);
        char *doc = jxta_buf_steal_str(&b);
        ck_assert_int_eq(strstr(doc, "<ttl>") != NULL, ttl);
        jxta_srdi_t t;
        jxta_srdi_init(&t);
        ck_assert_int_eq(jxta_srdi_parse(doc, strlen(doc), NULL, &t), 0);
        ck_assert(jxta_srdi_equal(&s, &t));
        /* Wrapped, gzip'd as an element, decoded again. */
        jxta_msg_t *m;
        ck_assert_int_eq(jxta_msg_new(&m), 0);
        ck_assert_int_eq(jxta_srdi_element_encode(JXTA_SRDI_HANDLER_PIPE, &s, m, "grpSrdi"), 0);
        char *h = NULL;
        ck_assert_int_eq(
            jxta_srdi_element_decode(jxta_msg_find(m, "jxta", "grpSrdi"), NULL, &h, &t), 0);
        ck_assert_str_eq(h, JXTA_SRDI_HANDLER_PIPE);
        ck_assert(jxta_srdi_equal(&s, &t));
        free(h);
        jxta_msg_free(m);
        jxta_srdi_clear(&t);
        free(doc);
    }
    /* An empty value is written but, as in JXSE, not read back. */
    ck_assert_int_eq(jxta_srdi_add(&s, "route", "", 0), 0);
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_srdi_write(&s, &b), 0);
    jxta_srdi_t t;
    jxta_srdi_init(&t);
    ck_assert_int_eq(jxta_srdi_parse(b.data, b.len, NULL, &t), 0);
    ck_assert_uint_eq(t.count, s.count - 1);
    jxta_srdi_clear(&t);
    jxta_buf_free(&b);
    jxta_srdi_clear(&s);
}
END_TEST

START_TEST(jxse_reader_rules)
{
    const char *doc = "<?xml version=\"1.0\"?>\n<jxta:Foo type=\"jxta:GenSRDI\" "
                      "xmlns:jxta=\"http://jxta.org\"><PID>"
                      "urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112"
                      "E303</PID><Unknown>x</Unknown><PKey> Peers </PKey>"
                      "<Entry SKey=\"Name\">no-exp</Entry>"
                      "<Entry Expiration=\"5\">no-skey</Entry>"
                      "<Entry SKey=\"Name\" Expiration=\"6\"></Entry>"
                      "<Entry SKey=\"Name\" Expiration=\"7\">   </Entry>"
                      "<Entry SKey=\"X\" Expiration=\"-9223372036854775808\">min</Entry>"
                      "<Entry SKey=\"X\" Expiration=\"+0\">zero</Entry>"
                      "</jxta:Foo>";
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    ck_assert_int_eq(jxta_srdi_parse(doc, strlen(doc), NULL, &s), 0);
    ck_assert_str_eq(s.pkey, "Peers");
    ck_assert_int_eq(s.ttl, 0);
    ck_assert_uint_eq(s.count, 4);
    ck_assert_str_eq(s.entries[0].value, "no-exp");
    ck_assert_int_eq(s.entries[0].expiration_ms, JXTA_SRDI_EXP_ABSENT);
    ck_assert_str_eq(s.entries[1].skey, "NA");
    ck_assert_int_eq(s.entries[1].expiration_ms, 5);
    ck_assert_int_eq(s.entries[2].expiration_ms, INT64_MIN);
    ck_assert_int_eq(s.entries[3].expiration_ms, 0);
    jxta_srdi_clear(&s);
}
END_TEST

static char *gen_doc(const char *inner)
{
    size_t n = strlen(inner) + 200;
    char *d = malloc(n);
    snprintf(d, n, "<jxta:GenSRDI xmlns:jxta=\"http://jxta.org\">%s</jxta:GenSRDI>", inner);
    return d;
}

#define PIDX "<PID>" UUID_NG "2EC7D662865D4477B78CAECC702112E303</PID>"

static void expect_bad_gen(const char *inner, int want, const jxta_srdi_limits_t *lim)
{
    char *d = gen_doc(inner);
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    tu_log_capture();
    int rc = jxta_srdi_parse(d, strlen(d), lim, &s);
    ck_assert_msg(rc == want, "%.120s: got %s, want %s", inner, jxta_errname(rc),
                  jxta_errname(want));
    ck_assert_msg(tu_log_count() > 0, "%.120s: no log line", inner);
    ck_assert_uint_eq(s.count, 0);
    ck_assert_ptr_null(s.pkey);
    tu_log_release();
    free(d);
}

START_TEST(bad_gen_documents)
{
    expect_bad_gen("<PKey>Adv</PKey>", JXTA_EMISSING, NULL);
    expect_bad_gen(PIDX, JXTA_EMISSING, NULL);
    expect_bad_gen(PIDX "<PKey> </PKey>", JXTA_EMISSING, NULL);
    expect_bad_gen("<PID>urn:jxta:uuid-XYZ</PID><PKey>Adv</PKey>", JXTA_EBADID, NULL);
    expect_bad_gen("<PID>urn:jxta:jxta-NetGroup</PID><PKey>Adv</PKey>", JXTA_EBADID, NULL);
    expect_bad_gen("<PID>urn:jxta:uuid-59616261646162614e504720503250332EC7D662865D4477B78CAECC70"
                   "2112E303</PID><PKey>Adv</PKey>",
                   JXTA_ENONCANON, NULL);
    expect_bad_gen(PIDX PIDX "<PKey>Adv</PKey>", JXTA_EPROTO, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><PKey>Peers</PKey>", JXTA_EPROTO, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><ttl>1</ttl><ttl>1</ttl>", JXTA_EPROTO, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><ttl>one</ttl>", JXTA_EPROTO, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><ttl>-1</ttl>", JXTA_ERANGE, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><ttl>2147483648</ttl>", JXTA_ERANGE, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><Entry Expiration=\"12a\">v</Entry>", JXTA_EPROTO, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><Entry Expiration=\" 5\">v</Entry>", JXTA_EPROTO, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><Entry Expiration=\"\">v</Entry>", JXTA_EPROTO, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><Entry Expiration=\"9223372036854775808\">v</Entry>",
                   JXTA_ERANGE, NULL);
    expect_bad_gen(PIDX "<PKey>Adv</PKey><Entry>v", JXTA_EXML, NULL);
    /* Deep nesting inside an unknown child. */
    char deep[4096] = PIDX "<PKey>Adv</PKey>";
    for (int i = 0; i < 100; i++)
        strcat(deep, "<d>");
    for (int i = 0; i < 100; i++)
        strcat(deep, "</d>");
    expect_bad_gen(deep, JXTA_EDEPTH, NULL);
    /* Entry limit: a small configured one, exactly. */
    char ten[2048] = PIDX "<PKey>Adv</PKey>";
    for (int i = 0; i < 10; i++)
        strcat(ten, "<Entry SKey=\"Name\" Expiration=\"1\">v</Entry>");
    jxta_srdi_limits_t lim;
    jxta_srdi_limits_default(&lim);
    lim.max_entries = 10;
    char *d = gen_doc(ten);
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    ck_assert_int_eq(jxta_srdi_parse(d, strlen(d), &lim, &s), 0);
    ck_assert_uint_eq(s.count, 10);
    jxta_srdi_clear(&s);
    free(d);
    strcat(ten, "<Entry>v</Entry>");
    expect_bad_gen(ten, JXTA_ETOOBIG, &lim);

    /* Wrong root, and not XML at all. */
    const char *other = "<jxta:PA xmlns:jxta=\"http://jxta.org\"/>";
    jxta_srdi_init(&s);
    tu_log_capture();
    ck_assert_int_eq(jxta_srdi_parse(other, strlen(other), NULL, &s), JXTA_EADVTYPE);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "jxta:GenSRDI"));
    ck_assert_int_eq(jxta_srdi_parse("\x01\x02", 2, NULL, &s), JXTA_EXML);
    ck_assert_int_eq(jxta_srdi_parse("", 0, NULL, &s), JXTA_EXML);
    tu_log_release();
}
END_TEST

/* 100,000 entries: refused by the default limits, as a document and as a
 * gzip'd element, without building them. */
START_TEST(hundred_thousand_entries_refused)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_buf_append_str(&b,
                        "<jxta:GenSRDI xmlns:jxta=\"http://jxta.org\">" PIDX "<PKey>Adv</PKey>");
    for (int i = 0; i < 100000; i++)
        jxta_buf_append_str(&b, "<Entry>v</Entry>");
    jxta_buf_append_str(&b, "</jxta:GenSRDI>");
    ck_assert_int_eq(jxta_buf_error(&b), 0);
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    tu_log_capture();
    ck_assert_int_eq(jxta_srdi_parse(b.data, b.len, NULL, &s), JXTA_ETOOBIG);
    ck_assert_uint_gt(tu_log_count(), 0);
    ck_assert_uint_eq(s.count, 0);

    char *payload = jxta_buf_steal_str(&b);
    jxta_buf_t wrap = JXTA_BUF_INIT, gz = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_rsrdi_write(JXTA_SRDI_HANDLER_DISCOVERY, payload, &wrap), 0);
    ck_assert_int_eq(jxta_gzip(wrap.data, wrap.len, &gz), 0);
    jxta_msg_elem_t *e;
    ck_assert_int_eq(
        jxta_msg_elem_new(&e, "jxta", "jxta-NetGroupSrdi", "application/gzip", gz.data, gz.len), 0);
    size_t before = tu_log_count();
    ck_assert_int_eq(jxta_srdi_element_decode(e, NULL, NULL, &s), JXTA_ETOOBIG);
    ck_assert_uint_gt(tu_log_count(), before);
    tu_log_release();
    jxta_msg_elem_free(e);
    jxta_buf_free(&wrap);
    jxta_buf_free(&gz);
    free(payload);
}
END_TEST

static void expect_bad_rsrdi(const char *doc, int want)
{
    jxta_rsrdi_t r = {(char *)"junk", (char *)"junk"};
    tu_log_capture();
    int rc = jxta_rsrdi_parse(doc, strlen(doc), NULL, &r);
    ck_assert_msg(rc == want, "%s: got %s", doc, jxta_errname(rc));
    ck_assert_uint_gt(tu_log_count(), 0);
    ck_assert_ptr_null(r.handler);
    ck_assert_ptr_null(r.payload);
    tu_log_release();
}

START_TEST(bad_resolver_srdi)
{
    expect_bad_rsrdi("<jxta:ResolverSRDI><Payload>x</Payload></jxta:ResolverSRDI>", JXTA_EMISSING);
    expect_bad_rsrdi("<jxta:ResolverSRDI><HandlerName>h</HandlerName></jxta:ResolverSRDI>",
                     JXTA_EMISSING);
    expect_bad_rsrdi(
        "<jxta:ResolverSRDI><HandlerName>h</HandlerName><Payload/></jxta:ResolverSRDI>",
        JXTA_EMISSING);
    expect_bad_rsrdi("<jxta:ResolverSRDI><HandlerName>h</HandlerName><HandlerName>i</HandlerName>"
                     "<Payload>x</Payload></jxta:ResolverSRDI>",
                     JXTA_EPROTO);
    expect_bad_rsrdi("<jxta:ResolverQuery><HandlerName>h</HandlerName><Payload>x</Payload>"
                     "</jxta:ResolverQuery>",
                     JXTA_EADVTYPE);
    expect_bad_rsrdi("<jxta:ResolverSRDI><HandlerName>h</HandlerName>", JXTA_EXML);
    /* jxta:Cred is accepted and ignored. */
    const char *ok = "<jxta:ResolverSRDI><HandlerName> h </HandlerName><jxta:Cred><a><b/></a>"
                     "</jxta:Cred><Payload>p</Payload></jxta:ResolverSRDI>";
    jxta_rsrdi_t r;
    ck_assert_int_eq(jxta_rsrdi_parse(ok, strlen(ok), NULL, &r), 0);
    ck_assert_str_eq(r.handler, "h");
    ck_assert_str_eq(r.payload, "p");
    jxta_rsrdi_clear(&r);

    /* A well-formed wrapper around a bad payload: the GenSRDI error. */
    jxta_buf_t w = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_rsrdi_write("h", "<jxta:GenSRDI><PKey>Adv</PKey></jxta:GenSRDI>", &w), 0);
    jxta_msg_elem_t *e;
    ck_assert_int_eq(jxta_msg_elem_new(&e, "jxta", "s", "text/xml", w.data, w.len), 0);
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    char *h = (char *)"junk";
    tu_log_capture();
    ck_assert_int_eq(jxta_srdi_element_decode(e, NULL, &h, &s), JXTA_EMISSING);
    ck_assert_ptr_null(h);
    /* gzip type with a body that is not gzip. */
    jxta_msg_elem_free(e);
    ck_assert_int_eq(jxta_msg_elem_new(&e, "jxta", "s", "Application/GZIP; x=y", w.data, w.len), 0);
    ck_assert_int_eq(jxta_srdi_element_decode(e, NULL, &h, &s), JXTA_EMAGIC);
    tu_log_release();
    jxta_msg_elem_free(e);
    jxta_buf_free(&w);
}
END_TEST

START_TEST(write_refusals)
{
    jxta_srdi_t s = sample();
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_buf_append(&b, "keep", 4);
    tu_log_capture();
    s.entries[0].value[0] = '\x01';
    ck_assert_int_eq(jxta_srdi_write(&s, &b), JXTA_EINVAL);
    s.entries[0].value[0] = '\xff';
    ck_assert_int_eq(jxta_srdi_write(&s, &b), JXTA_EINVAL);
    s.entries[0].value[0] = 'c';
    s.pid = jxta_id_net_group;
    ck_assert_int_eq(jxta_srdi_write(&s, &b), JXTA_EBADID);
    s.pid = id_of(ME);
    free(s.pkey);
    s.pkey = NULL;
    ck_assert_int_eq(jxta_srdi_write(&s, &b), JXTA_EMISSING);
    ck_assert_int_eq(jxta_rsrdi_write("", "p", &b), JXTA_EMISSING);
    ck_assert_int_eq(jxta_rsrdi_write("h", "\xef\xbf\xbf", &b), JXTA_EINVAL);
    ck_assert_uint_ge(tu_log_count(), 6);
    tu_log_release();
    ck_assert_uint_eq(b.len, 4);
    jxta_buf_free(&b);
    jxta_srdi_clear(&s);
}
END_TEST

/* ---- Index ------------------------------------------------------------------- */

static jxta_srdi_index_t *new_index(size_t max_entries)
{
    jxta_srdi_index_limits_t lim;
    jxta_srdi_index_limits_default(&lim);
    if (max_entries)
        lim.max_entries = max_entries;
    jxta_srdi_index_t *idx;
    ck_assert_int_eq(jxta_srdi_index_new(&idx, &lim), 0);
    return idx;
}

static size_t q(const jxta_srdi_index_t *idx, const char *pkey, const char *skey, const char *pat,
                int64_t now, jxta_id_t *out)
{
    return jxta_srdi_index_query(idx, pkey, skey, pat, now, out, 16);
}

START_TEST(index_wildcards)
{
    jxta_srdi_index_t *idx = new_index(0);
    jxta_id_t a = id_of(EDGE), b = id_of(MINI), c = id_of(ME), out[16];
    int64_t t = 1000, hour = 3600000;
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "chat-in", &a, hour, t), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "chat-out", &b, hour, t), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "mychat", &c, hour, t), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "Chat-in", &c, hour, t), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Id", "chat-in", &b, hour, t), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Peers", "Name", "chat-in", &c, hour, t), 0);
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 6);

    /* exact (hash path), case-sensitive */
    ck_assert_uint_eq(q(idx, "Adv", "Name", "chat-in", t, out), 1);
    ck_assert(jxta_id_equal(&out[0], &a));
    ck_assert_uint_eq(q(idx, "Adv", "Name", "Chat-in", t, out), 1);
    ck_assert(jxta_id_equal(&out[0], &c));
    ck_assert_uint_eq(q(idx, "Adv", "Name", "chat", t, out), 0);
    /* prefix */
    ck_assert_uint_eq(q(idx, "Adv", "Name", "chat*", t, out), 2);
    ck_assert(jxta_id_equal(&out[0], &a) && jxta_id_equal(&out[1], &b));
    /* suffix */
    ck_assert_uint_eq(q(idx, "Adv", "Name", "*chat", t, out), 1);
    ck_assert(jxta_id_equal(&out[0], &c));
    ck_assert_uint_eq(q(idx, "Adv", "Name", "*-in", t, out), 2); /* a, then c (Chat-in) */
    ck_assert(jxta_id_equal(&out[0], &a) && jxta_id_equal(&out[1], &c));
    /* contains */
    ck_assert_uint_eq(q(idx, "Adv", "Name", "*hat*", t, out), 3);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "*at-o*", t, out), 1);
    ck_assert(jxta_id_equal(&out[0], &b));
    /* any: '*', "**", "" and NULL; distinct peers in first-added order */
    const char *any[] = {"*", "**", "", NULL};
    for (size_t i = 0; i < N_ELEMS(any); i++) {
        ck_assert_uint_eq(q(idx, "Adv", "Name", any[i], t, out), 3);
        ck_assert(jxta_id_equal(&out[0], &a) && jxta_id_equal(&out[1], &b) &&
                  jxta_id_equal(&out[2], &c));
    }
    /* any SKey */
    ck_assert_uint_eq(q(idx, "Adv", NULL, "chat-in", t, out), 2);
    ck_assert(jxta_id_equal(&out[0], &a) && jxta_id_equal(&out[1], &b));
    ck_assert_uint_eq(q(idx, "Peers", NULL, "*", t, out), 1);
    ck_assert_uint_eq(q(idx, "Groups", NULL, "*", t, out), 0);
    /* a '*' inside the pattern is literal */
    ck_assert_uint_eq(q(idx, "Adv", "Name", "c*t", t, out), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "c*t", &a, hour, t), 0);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "c*t", t, out), 1);
    /* the result bound */
    ck_assert_uint_eq(jxta_srdi_index_query(idx, "Adv", "Name", "*", t, out, 2), 2);
    ck_assert_uint_eq(jxta_srdi_index_query(idx, "Adv", "Name", "*", t, out, 0), 0);
    jxta_srdi_index_free(idx);
}
END_TEST

START_TEST(index_expiration_and_gc)
{
    jxta_srdi_index_t *idx = new_index(0);
    jxta_id_t a = id_of(EDGE), b = id_of(MINI), out[16];
    int64_t t0 = 5000;
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "x", &a, 1000, t0), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "x", &b, 3000, t0), 0);
    /* JXSE's "forever": Long.MAX_VALUE - now, relative. */
    ck_assert_int_eq(
        jxta_srdi_index_add(idx, "Adv", "Name", "y", &a, INT64_C(9223370241057771316), t0), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "z", &b, INT64_MAX, t0), 0);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "x", t0 + 999, out), 2);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "x", t0 + 1000, out), 1); /* a expired */
    ck_assert(jxta_id_equal(&out[0], &b));
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 4); /* not collected yet */
    ck_assert_uint_eq(jxta_srdi_index_gc(idx, t0 + 1000), 1);
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 3);
    /* re-adding replaces the expiration */
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "x", &b, 10000, t0 + 2000), 0);
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 3);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "x", t0 + 11999, out), 1);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "x", t0 + 12000, out), 0);
    /* Expiration 0 removes, -1 (absent) too; removing what is not there is fine. */
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "x", &b, 0, t0), 0);
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 2);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "x", &b, 0, t0), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "z", &b, -1, t0), 0);
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 1);
    /* "infinite" entries survive any time */
    int64_t far = INT64_MAX - 1;
    ck_assert_uint_eq(jxta_srdi_index_gc(idx, far), 0);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "y", far, out), 1);
    /* A large finite expiration at a large time saturates instead of wrapping. */
    ck_assert_int_eq(
        jxta_srdi_index_add(idx, "Adv", "Name", "w", &a, INT64_C(1) << 61, INT64_MAX - 10), 0);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "w", INT64_MAX - 5, out), 1);
    jxta_srdi_index_free(idx);
}
END_TEST

START_TEST(index_remove_peer_and_counts)
{
    jxta_srdi_index_t *idx = new_index(0);
    jxta_id_t a = id_of(EDGE), b = id_of(MINI), c = id_of(ME), out[16];
    for (int i = 0; i < 5; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", v, &a, 1000, 0), 0);
        ck_assert_int_eq(jxta_srdi_index_add(idx, "Peers", "Name", v, &a, 1000, 0), 0);
        ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", v, &b, 1000, 0), 0);
    }
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 15);
    ck_assert_uint_eq(jxta_srdi_index_count_peer(idx, &a), 10);
    ck_assert_uint_eq(jxta_srdi_index_count_peer(idx, &c), 0);
    ck_assert_uint_eq(jxta_srdi_index_remove_peer(idx, &a, "Peers"), 5);
    ck_assert_uint_eq(jxta_srdi_index_count_peer(idx, &a), 5);
    ck_assert_uint_eq(q(idx, "Peers", NULL, NULL, 0, out), 0);
    ck_assert_uint_eq(jxta_srdi_index_remove_peer(idx, &a, NULL), 5);
    ck_assert_uint_eq(jxta_srdi_index_remove_peer(idx, &c, NULL), 0);
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 5);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "v3", 0, out), 1);
    ck_assert(jxta_id_equal(&out[0], &b));
    /* freed slots are reused; hash chains stay consistent */
    for (int i = 0; i < 5; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", v, &c, 1000, 0), 0);
    }
    ck_assert_uint_eq(q(idx, "Adv", "Name", "v3", 0, out), 2);
    ck_assert(jxta_id_equal(&out[0], &b) && jxta_id_equal(&out[1], &c));

    /* A decoded capture applied as a whole, then withdrawn by Expiration 0. */
    jxta_msg_t *m = load_msg(captures[1].frame);
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    ck_assert_int_eq(jxta_srdi_element_decode(srdi_elem(m), NULL, NULL, &s), 0);
    ck_assert_int_eq(jxta_srdi_index_add_srdi(idx, &s, 0), 0);
    ck_assert_uint_eq(jxta_srdi_index_count_peer(idx, &a), 3);
    ck_assert_uint_eq(
        q(idx, "Adv", "MSID", "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE00000001*", 1199988, out), 1);
    ck_assert(jxta_id_equal(&out[0], &a));
    ck_assert_uint_eq(q(idx, "Adv", "DstPID", RDV, 1199989, out), 0); /* expired by then */
    for (size_t i = 0; i < s.count; i++)
        s.entries[i].expiration_ms = 0;
    ck_assert_int_eq(jxta_srdi_index_add_srdi(idx, &s, 10), 0);
    ck_assert_uint_eq(jxta_srdi_index_count_peer(idx, &a), 0);
    jxta_srdi_clear(&s);
    jxta_msg_free(m);
    jxta_srdi_index_free(idx);
}
END_TEST

START_TEST(index_limits)
{
    jxta_srdi_index_t *idx = new_index(3);
    jxta_id_t a = id_of(EDGE), out[16];
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "1", &a, 100, 0), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "2", &a, 1000, 0), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "3", &a, 1000, 0), 0);
    tu_log_capture();
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "4", &a, 1000, 50), JXTA_ETOOBIG);
    ck_assert_uint_eq(tu_log_count(), 1);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "index full"));
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "4", &a, 1000, 50), JXTA_ETOOBIG);
    ck_assert_uint_eq(tu_log_count(), 1); /* the same full spell is logged once */
    /* Updating an entry already held still works when full. */
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "3", &a, 2000, 50), 0);
    /* Once "1" has expired, it makes room. */
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "4", &a, 1000, 100), 0);
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 3);
    ck_assert_uint_eq(q(idx, "Adv", "Name", "*", 100, out), 1);
    /* text too long */
    jxta_srdi_index_limits_t lim;
    jxta_srdi_index_limits_default(&lim);
    char *longv = malloc(lim.max_text + 2);
    memset(longv, 'v', lim.max_text + 1);
    longv[lim.max_text + 1] = '\0';
    jxta_srdi_index_t *big = new_index(0);
    ck_assert_int_eq(jxta_srdi_index_add(big, "Adv", "Name", longv, &a, 1000, 0), JXTA_ETOOBIG);
    longv[lim.max_text] = '\0';
    ck_assert_int_eq(jxta_srdi_index_add(big, "Adv", "Name", longv, &a, 1000, 0), 0);
    ck_assert_uint_ge(tu_log_count(), 2);
    tu_log_release();
    free(longv);
    jxta_srdi_index_free(big);
    ck_assert_int_eq(jxta_srdi_index_add(idx, NULL, "Name", "x", &a, 1, 0), JXTA_EINVAL);
    jxta_srdi_index_free(idx);

    /* byte budget */
    lim.max_bytes = 100;
    ck_assert_int_eq(jxta_srdi_index_new(&idx, &lim), 0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name",
                                         "0123456789012345678901234567890123456789", &a, 1000, 0),
                     0);
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name",
                                         "0123456789012345678901234567890123456780", &a, 1000, 0),
                     0);
    tu_log_capture();
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "x0123456789", &a, 1000, 0),
                     JXTA_ETOOBIG);
    ck_assert_uint_eq(tu_log_count(), 1);
    tu_log_release();
    jxta_srdi_index_free(idx);
}
END_TEST

/* Many peers: distinct results beyond the small linear path, full slab. */
START_TEST(index_many_peers)
{
    size_t n = 5000;
    jxta_srdi_index_t *idx = new_index(2 * n);
    jxta_id_t group = id_of("urn:jxta:jxta-NetGroup");
    jxta_id_t *peers = malloc(n * sizeof *peers);
    for (size_t i = 0; i < n; i++) {
        char seed[32];
        snprintf(seed, sizeof seed, "peer %04zu", i); /* fixed width: distinct seeds */
        ck_assert_int_eq(jxta_id_peer_from_seed(&peers[i], &group, seed, strlen(seed)), 0);
        ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "same", &peers[i], 1000, 0), 0);
        ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", seed, &peers[i], 1000, 0), 0);
    }
    jxta_id_t *out = malloc(n * sizeof *out);
    ck_assert_uint_eq(jxta_srdi_index_query(idx, "Adv", "Name", "*", 0, out, n), n);
    for (size_t i = 0; i < n; i++)
        ck_assert(jxta_id_equal(&out[i], &peers[i]));
    ck_assert_uint_eq(jxta_srdi_index_query(idx, "Adv", "Name", "same", 0, out, n), n);
    ck_assert_uint_eq(jxta_srdi_index_query(idx, "Adv", "Name", "peer 49*", 0, out, n), 100);
    tu_log_capture();
    ck_assert_int_eq(jxta_srdi_index_add(idx, "Adv", "Name", "more", &peers[0], 1000, 0),
                     JXTA_ETOOBIG);
    tu_log_release();
    ck_assert_uint_eq(jxta_srdi_index_gc(idx, 1000), 2 * n);
    ck_assert_uint_eq(jxta_srdi_index_count(idx), 0);
    free(out);
    free(peers);
    jxta_srdi_index_free(idx);
}
END_TEST

/* Expected positions computed with Python:
 *   D = int.from_bytes(hashlib.sha1(key).digest(), 'big')
 *   L = D.bit_length() // 8 + 1          (len of BigInteger.toByteArray())
 *   pos = D * N >> (8 * L); replica = sorted(view)[pos]
 * Sorted view: OTHER < ME < EDGE < MINI < RDV (by ID string). */
START_TEST(replica_selection)
{
    jxta_id_t view[5] = {id_of(EDGE), id_of(RDV), id_of(MINI), id_of(ME), id_of(OTHER)};
    /* SHA-1 61b47227...: L = 20, D / 2^160 = 0.38 -> position 1 for N = 3, 4, 5. */
    ck_assert_int_eq(jxta_srdi_replica("AdvNamechat-out", view, 3), 2); /* [EDGE,MINI,RDV] */
    ck_assert_int_eq(jxta_srdi_replica("AdvNamechat-out", view, 4), 0); /* [ME,EDGE,..] */
    ck_assert_int_eq(jxta_srdi_replica("AdvNamechat-out", view, 5), 3); /* [OTHER,ME,..] */
    /* SHA-1 00731fdb...: L = 19, D / 2^152 = 0.45 -> positions 1, 1, 2. */
    const char *msid = "AdvMSIDurn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010206";
    ck_assert_int_eq(jxta_srdi_replica(msid, view, 3), 2);
    ck_assert_int_eq(jxta_srdi_replica(msid, view, 4), 0);
    ck_assert_int_eq(jxta_srdi_replica(msid, view, 5), 0);
    /* SHA-1 92b97a30... has its top bit set: L = 21, so the position is
     * D * N / 2^168 = 0 for any small N (JXSE's quirk, reproduced). */
    ck_assert_int_eq(jxta_srdi_replica("AdvNamechat-in", view, 3), 0);
    ck_assert_int_eq(jxta_srdi_replica("AdvNamechat-in", view, 4), 3);
    ck_assert_int_eq(jxta_srdi_replica("AdvNamechat-in", view, 5), 4);
    /* SHA-1 39260a1f...: L = 20, D / 2^160 = 0.22 -> positions 0, 0, 1. */
    ck_assert_int_eq(jxta_srdi_replica("PeersNamebob", view, 3), 0);
    ck_assert_int_eq(jxta_srdi_replica("PeersNamebob", view, 4), 3);
    ck_assert_int_eq(jxta_srdi_replica("PeersNamebob", view, 5), 3);
    ck_assert_int_eq(jxta_srdi_replica("x", view, 0), JXTA_EINVAL);
    ck_assert_int_eq(jxta_srdi_replica(NULL, view, 3), JXTA_EINVAL);
    ck_assert_int_eq(jxta_srdi_replica("x", view, 1), 0);
}
END_TEST

static Suite *srdi_suite(void)
{
    Suite *s = suite_create("srdi");
    TCase *tc = tcase_create("vectors");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, every_captured_srdi_element_decodes);
    tcase_add_test(tc, captured_values);
    tcase_add_test(tc, jxse_elements_rewritten_byte_for_byte);
    suite_add_tcase(s, tc);
    TCase *tg = tcase_create("gzip");
    tcase_set_timeout(tg, 300);
    tcase_add_test(tg, gzip_round_trips);
    tcase_add_test(tg, gzip_bomb_refused);
    tcase_add_test(tg, gzip_truncated_at_every_offset);
    tcase_add_test(tg, gzip_bad_streams);
    suite_add_tcase(s, tg);
    TCase *td = tcase_create("documents");
    tcase_set_timeout(td, 300);
    tcase_add_test(td, write_then_parse_is_identity);
    tcase_add_test(td, jxse_reader_rules);
    tcase_add_test(td, bad_gen_documents);
    tcase_add_test(td, hundred_thousand_entries_refused);
    tcase_add_test(td, bad_resolver_srdi);
    tcase_add_test(td, write_refusals);
    suite_add_tcase(s, td);
    TCase *ti = tcase_create("index");
    tcase_set_timeout(ti, 300);
    tcase_add_test(ti, index_wildcards);
    tcase_add_test(ti, index_expiration_and_gc);
    tcase_add_test(ti, index_remove_peer_and_counts);
    tcase_add_test(ti, index_limits);
    tcase_add_test(ti, index_many_peers);
    tcase_add_test(ti, replica_selection);
    suite_add_tcase(s, ti);
    return s;
}

int main(void)
{
    return tu_run(srdi_suite());
}
