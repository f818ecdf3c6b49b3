/* test_history.c - the history checker of tools/history.[ch] on crafted
 * histories: correct ones (with indeterminate writes that took effect and
 * ones that did not, failed operations, concurrent readers), and one of
 * each violation (lost update, fork, stale read, a read going back in
 * time, a read from the future, a read of a value nobody wrote, duplicate
 * values, a cycle); the CSV round trip, and malformed CSV refused with a
 * clear "line N: ..." error, a log line and the history left unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jxta.h>

#include "../../tools/history.h"
#include "testutil.h"

/* op(client, kind, outcome, start ms, end ms, read, written) */
static jm_hist_op_t op(uint32_t client, jm_hist_kind_t kind, jm_hist_outcome_t out,
                       uint64_t start_ms, uint64_t end_ms, uint64_t read, uint64_t written)
{
    return (jm_hist_op_t){.client = client, .kind = kind, .outcome = out,
                          .start_us = start_ms * 1000, .end_us = end_ms * 1000,
                          .read = read, .written = written};
}

#define RMW(c, o, s, e, r, w) op((c), JM_HIST_RMW, JM_HIST_##o, (s), (e), (r), (w))
#define RD(c, o, s, e, r) op((c), JM_HIST_READ, JM_HIST_##o, (s), (e), (r), 0)

static jm_hist_t *build(const jm_hist_op_t *ops, size_t n)
{
    jm_hist_t *h = jm_hist_new();
    ck_assert_ptr_nonnull(h);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(jm_hist_add(h, &ops[i]), 0);
    return h;
}

/* Check; returns the verdict (asserting the return code matches it). */
static jm_hist_verdict_t verdict_of(const jm_hist_op_t *ops, size_t n)
{
    jm_hist_t *h = build(ops, n);
    jm_hist_verdict_t v;
    int rc = jm_hist_check(h, &v);
    ck_assert_int_eq(rc, v.ok ? 0 : 1);
    ck_assert_int_eq(v.ok, v.why[0] == '\0');
    jm_hist_free(h);
    return v;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void expect_violation(const jm_hist_op_t *ops, size_t n, const char *words)
{
    jm_hist_verdict_t v = verdict_of(ops, n);
    ck_assert_msg(!v.ok, "a violation (%s) was not found", words);
    ck_assert_msg(strstr(v.why, words) != NULL, "expected '%s' in: %s", words, v.why);
}

/* ---- correct histories -------------------------------------------------------- */

START_TEST(test_correct_sequential)
{
    const jm_hist_op_t ops[] = {
        RD(1, OK, 0, 1, 0),               /* initial value */
        RMW(1, OK, 2, 3, 0, 11),
        RMW(2, OK, 4, 5, 11, 22),
        RD(3, OK, 6, 7, 22),
        RMW(1, FAIL, 8, 9, 0, 0),         /* nothing read nor written */
        RD(2, FAIL, 8, 9, 0),
        RMW(3, OK, 10, 11, 22, 33),
    };
    jm_hist_verdict_t v = verdict_of(ops, N(ops));
    ck_assert_msg(v.ok, "%s", v.why);
    ck_assert_uint_eq(v.ops, 7);
    ck_assert_uint_eq(v.acked_writes, 3);
    ck_assert_uint_eq(v.chain, 3);
    ck_assert_uint_eq(v.failed, 2);
    ck_assert_uint_eq(v.reads_checked, 5);
}
END_TEST

START_TEST(test_correct_with_indeterminate)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        /* took effect: the next critical section read it */
        RMW(2, INDET, 11, 20, 11, 22),
        RMW(3, OK, 21, 30, 22, 33),
        /* did not take effect: the next one builds on 33 again */
        RMW(1, INDET, 31, 40, 33, 44),
        RMW(2, OK, 41, 50, 33, 55),
        /* took effect, seen only by a shared read; the chain continues from it */
        RMW(3, INDET, 51, 60, 55, 66),
        RD(4, OK, 61, 62, 66),
        RMW(1, OK, 63, 70, 66, 77),
        /* a read whose release failed still read a current value */
        RD(4, INDET, 71, 72, 77),
    };
    jm_hist_verdict_t v = verdict_of(ops, N(ops));
    ck_assert_msg(v.ok, "%s", v.why);
    ck_assert_uint_eq(v.acked_writes, 4);
    ck_assert_uint_eq(v.indet_applied, 2);
    ck_assert_uint_eq(v.indet_unknown, 1);
    ck_assert_uint_eq(v.chain, 6);
}
END_TEST

START_TEST(test_correct_concurrent)
{
    /* overlapping operations may be ordered either way */
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RD(2, OK, 5, 15, 0),       /* concurrent with the write: old value allowed */
        RD(3, OK, 6, 16, 11),      /* ...or the new one */
        RMW(2, OK, 20, 40, 11, 22),
        RD(3, OK, 30, 35, 11),     /* the write is not acknowledged yet */
        RD(4, OK, 10, 50, 22),     /* started exactly when #0 ended: concurrent */
        /* an indeterminate write whose writer started before the read ended */
        RMW(1, INDET, 60, 100, 22, 33),
        RD(2, OK, 50, 61, 33),
        /* the same microsecond is concurrent */
        RMW(1, OK, 101, 110, 33, 44),
        RD(3, OK, 110, 111, 33),
    };
    jm_hist_verdict_t v = verdict_of(ops, N(ops));
    ck_assert_msg(v.ok, "%s", v.why);
}
END_TEST

START_TEST(test_empty_history)
{
    jm_hist_verdict_t v = verdict_of(NULL, 0);
    ck_assert(v.ok);
    ck_assert_uint_eq(v.ops, 0);
}
END_TEST

/* A long history of several clients taking turns in random order, as a
 * correct service would produce; then one read made stale. */
START_TEST(test_long_random_history)
{
    enum { OPS = 20000, CLIENTS = 5 };
    jm_hist_op_t *ops = calloc(OPS, sizeof *ops);
    ck_assert_ptr_nonnull(ops);
    uint64_t value = 0, t = 0, counter = 0;
    unsigned seed = 7;
    for (size_t i = 0; i < OPS; i++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t c = (seed >> 16) % CLIENTS;
        int kind = (seed >> 8) % 4;
        if (kind == 0) {
            ops[i] = RD(c, OK, t, t + 2, value);
        } else {
            uint64_t w = (++counter << 8) | c;
            int indet = (seed >> 4) % 16 == 0, applied = (seed >> 2) % 2;
            ops[i] = RMW(c, OK, t, t + 2, value, w);
            if (indet) {
                ops[i].outcome = JM_HIST_INDET;
                if (applied)
                    value = w;
            } else {
                value = w;
            }
        }
        t += 3;
    }
    jm_hist_verdict_t v = verdict_of(ops, OPS);
    ck_assert_msg(v.ok, "%s", v.why);
    /* the last read goes back to the initial value */
    ops[OPS - 1] = RD(0, OK, t, t + 1, 0);
    v = verdict_of(ops, OPS);
    ck_assert(!v.ok);
    ck_assert_msg(strstr(v.why, "stale read") != NULL, "%s", v.why);
    free(ops);
}
END_TEST

/* ---- violations -------------------------------------------------------------- */

START_TEST(test_lost_update)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RMW(2, OK, 11, 20, 11, 22),
        RMW(3, OK, 12, 25, 11, 33), /* read 11 too: 22 or 33 was lost */
    };
    expect_violation(ops, N(ops), "lost update");
    jm_hist_verdict_t v = verdict_of(ops, N(ops));
    ck_assert_msg(strstr(v.why, "op #1") && strstr(v.why, "op #2"), "%s", v.why);
}
END_TEST

START_TEST(test_fork)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RMW(2, INDET, 11, 20, 11, 22),
        RD(3, OK, 21, 22, 22),       /* somebody saw 22... */
        RMW(1, OK, 23, 30, 11, 33),  /* ...and then it vanished */
    };
    expect_violation(ops, N(ops), "fork");
}
END_TEST

START_TEST(test_stale_read)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RMW(2, OK, 11, 20, 11, 22),
        RD(3, OK, 21, 22, 11), /* 22 was acknowledged at 20 */
    };
    expect_violation(ops, N(ops), "stale read");
    jm_hist_verdict_t v = verdict_of(ops, N(ops));
    ck_assert_msg(strstr(v.why, "acknowledged before it started"), "%s", v.why);
    /* the read of a critical section is held to the same rule */
    const jm_hist_op_t ops2[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RMW(2, INDET, 11, 20, 0, 22), /* read 0 after 11 was acknowledged */
    };
    expect_violation(ops2, N(ops2), "stale read");
    /* the initial value is fine before the first acknowledgement, stale after it */
    const jm_hist_op_t ops3[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RD(2, OK, 11, 12, 0),
    };
    expect_violation(ops3, N(ops3), "stale read");
}
END_TEST

START_TEST(test_read_goes_back)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RMW(2, INDET, 11, 100, 11, 22), /* not acknowledged, but... */
        RD(3, OK, 20, 30, 22),          /* ...seen at 30 */
        RD(4, OK, 40, 50, 11),          /* and unseen later */
    };
    expect_violation(ops, N(ops), "had already returned the newer");
}
END_TEST

START_TEST(test_read_from_future)
{
    const jm_hist_op_t ops[] = {
        RD(3, OK, 0, 5, 11),
        RMW(1, OK, 6, 10, 0, 11),
    };
    expect_violation(ops, N(ops), "read from the future");
}
END_TEST

START_TEST(test_never_written)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RD(2, OK, 11, 12, 999),
    };
    expect_violation(ops, N(ops), "which no operation wrote");
    /* a value whose critical section failed at acquire was never written */
    const jm_hist_op_t ops2[] = {
        RMW(1, FAIL, 0, 10, 0, 11),
        RD(2, OK, 11, 12, 11),
    };
    expect_violation(ops2, N(ops2), "which no operation wrote");
}
END_TEST

START_TEST(test_duplicate_values)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RMW(2, OK, 11, 20, 11, 11),
    };
    expect_violation(ops, N(ops), "unique values");
}
END_TEST

START_TEST(test_cycle)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 22, 11),
        RMW(2, OK, 0, 10, 11, 22),
    };
    expect_violation(ops, N(ops), "cycle");
}
END_TEST

START_TEST(test_add_refuses)
{
    jm_hist_t *h = jm_hist_new();
    ck_assert_ptr_nonnull(h);
    tu_log_capture();
    jm_hist_op_t o = RMW(1, OK, 5, 4, 0, 11);
    ck_assert_int_eq(jm_hist_add(h, &o), JXTA_EINVAL);
    o = RMW(1, OK, 4, 5, 0, 0);
    ck_assert_int_eq(jm_hist_add(h, &o), JXTA_EINVAL);
    o = RMW(1, OK, 4, 5, 0, 1);
    o.kind = (jm_hist_kind_t)7;
    ck_assert_int_eq(jm_hist_add(h, &o), JXTA_EINVAL);
    o.kind = JM_HIST_RMW;
    o.outcome = (jm_hist_outcome_t)9;
    ck_assert_int_eq(jm_hist_add(h, &o), JXTA_EINVAL);
    ck_assert_uint_eq(tu_log_count(), 4);
    tu_log_release();
    ck_assert_int_eq(jm_hist_add(h, NULL), JXTA_EINVAL);
    ck_assert_uint_eq(jm_hist_count(h), 0);
    ck_assert_ptr_null(jm_hist_op(h, 0));
    jm_hist_free(h);
    jm_hist_free(NULL);
}
END_TEST

/* ---- CSV -------------------------------------------------------------------- */

START_TEST(test_csv_round_trip)
{
    const jm_hist_op_t ops[] = {
        RMW(1, OK, 0, 10, 0, 11),
        RMW(2, INDET, 11, 20, 11, 22),
        RMW(3, FAIL, 11, 20, 0, 0),
        RD(4, OK, 21, 22, 22),
        RD(4, FAIL, 23, 24, 0),
        RMW(4294967295u, OK, 25, 30, 22, UINT64_MAX),
    };
    jm_hist_t *h = build(ops, N(ops));
    jm_hist_op_t odd = RD(5, INDET, 0, 0, UINT64_MAX);
    odd.start_us = 30001;
    odd.end_us = 30999;
    ck_assert_int_eq(jm_hist_add(h, &odd), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(jm_hist_save(h, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    const char *head = "client,kind,start_ms,end_ms,outcome,read,written\n"
                       "1,rmw,0.000,10.000,ok,0,11\n"
                       "2,rmw,11.000,20.000,indet,11,22\n"
                       "3,rmw,11.000,20.000,fail,-,-\n";
    ck_assert_msg(strncmp(text, head, strlen(head)) == 0, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "5,read,30.001,30.999,indet,18446744073709551615,-\n"));
    jm_hist_t *back = jm_hist_new();
    char err[200];
    ck_assert_int_eq(jm_hist_parse(back, text, len, err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(jm_hist_count(back), jm_hist_count(h));
    for (size_t i = 0; i < jm_hist_count(h); i++) {
        const jm_hist_op_t *a = jm_hist_op(h, i), *b = jm_hist_op(back, i);
        ck_assert_uint_eq(a->client, b->client);
        ck_assert_int_eq(a->kind, b->kind);
        ck_assert_int_eq(a->outcome, b->outcome);
        ck_assert_uint_eq(a->start_us, b->start_us);
        ck_assert_uint_eq(a->end_us, b->end_us);
        ck_assert_uint_eq(a->read, b->read);
        ck_assert_uint_eq(a->written, b->written);
    }
    /* through a file, and the same verdict both ways */
    char path[] = "/tmp/test_history-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(jm_hist_save_file(h, path), 0);
    jm_hist_t *loaded = jm_hist_new();
    ck_assert_int_eq(jm_hist_load_file(loaded, path, err, sizeof err), 0);
    ck_assert_uint_eq(jm_hist_count(loaded), jm_hist_count(h));
    remove(path);
    jm_hist_verdict_t v1, v2;
    ck_assert_int_eq(jm_hist_check(h, &v1), jm_hist_check(loaded, &v2));
    ck_assert_str_eq(v1.why, v2.why);
    /* shorter fractions and CRLF are read too */
    const char *crlf = "client,kind,start_ms,end_ms,outcome,read,written\r\n"
                       "\r\n7,read,1.5,2.25,ok,0,-\r\n";
    jm_hist_t *c = jm_hist_new();
    ck_assert_int_eq(jm_hist_parse(c, crlf, strlen(crlf), err, sizeof err), 0);
    ck_assert_uint_eq(jm_hist_count(c), 1);
    ck_assert_uint_eq(jm_hist_op(c, 0)->start_us, 1500);
    ck_assert_uint_eq(jm_hist_op(c, 0)->end_us, 2250);
    jm_hist_free(c);
    jm_hist_free(loaded);
    jm_hist_free(back);
    jm_hist_free(h);
    free(text);
}
END_TEST

#define HDR "client,kind,start_ms,end_ms,outcome,read,written\n"

static const struct {
    const char *text;
    const char *err; /* expected prefix of the message */
} bad_csv[] = {
    {"", "line 1: no header"},
    {"\n\n", "line 2: no header"},
    {"client,kind\n", "line 1: the first line is not the header"},
    {"1,rmw,0,1,ok,0,5\n", "line 1: the first line is not the header"},
    {HDR "1,rmw,0,1,ok,0\n", "line 2: expected 7"},
    {HDR "1,rmw,0,1,ok,0,5,9\n", "line 2: expected 7"},
    {HDR ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n", "line 2: expected 7"},
    {HDR "x,rmw,0,1,ok,0,5\n", "line 2: client"},
    {HDR "-1,rmw,0,1,ok,0,5\n", "line 2: client"},
    {HDR "4294967296,rmw,0,1,ok,0,5\n", "line 2: client"},
    {HDR "1,write,0,1,ok,0,5\n", "line 2: kind"},
    {HDR "1,rmw,0.1234,1,ok,0,5\n", "line 2: start_ms"},
    {HDR "1,rmw,.5,1,ok,0,5\n", "line 2: start_ms"},
    {HDR "1,rmw,5.,1,ok,0,5\n", "line 2: start_ms"},
    {HDR "1,rmw,0,1e3,ok,0,5\n", "line 2: end_ms"},
    {HDR "1,rmw,99999999999999999999,1,ok,0,5\n", "line 2: start_ms"},
    {HDR "1,rmw,2,1,ok,0,5\n", "line 2: end_ms is before"},
    {HDR "1,rmw,0,1,done,0,5\n", "line 2: outcome"},
    {HDR "1,rmw,0,1,ok,18446744073709551616,5\n", "line 2: read"},
    {HDR "1,rmw,0,1,ok, 1,5\n", "line 2: read"},
    {HDR "1,rmw,0,1,ok,1,+5\n", "line 2: written"},
    {HDR "1,rmw,0,1,fail,0,-\n", "line 2: a failed operation"},
    {HDR "1,rmw,0,1,fail,-,5\n", "line 2: a failed operation"},
    {HDR "1,read,0,1,ok,-,-\n", "line 2: an operation that did not fail has no value read"},
    {HDR "1,read,0,1,ok,3,4\n", "line 2: a shared read wrote"},
    {HDR "1,rmw,0,1,indet,3,-\n", "line 2: an RMW that did not fail"},
    {HDR "1,rmw,0,1,ok,3,0\n", "line 2: an RMW that did not fail"},
    {HDR "1,read,0,1,ok,0,-\n\n1,read,0,1,ok,0,\n", "line 4: written"},
};

START_TEST(test_csv_malformed)
{
    jm_hist_t *h = jm_hist_new();
    char err[200];
    const char *good = HDR "1,rmw,0,1,ok,0,5\n";
    ck_assert_int_eq(jm_hist_parse(h, good, strlen(good), err, sizeof err), 0);
    tu_log_capture();
    for (size_t i = 0; i < N(bad_csv); i++) {
        size_t logs = tu_log_count();
        int rc = jm_hist_parse(h, bad_csv[i].text, strlen(bad_csv[i].text), err, sizeof err);
        ck_assert_msg(rc == JXTA_EINVAL, "case %zu accepted: %s", i, bad_csv[i].text);
        ck_assert_msg(strncmp(err, bad_csv[i].err, strlen(bad_csv[i].err)) == 0,
                      "case %zu: '%s' does not start with '%s'", i, err, bad_csv[i].err);
        ck_assert_uint_eq(tu_log_count(), logs + 1);
        ck_assert_uint_eq(jm_hist_count(h), 1); /* nothing appended */
    }
    /* a NUL byte, and a text without a trailing newline */
    const char nul[] = HDR "1,read,0,1,ok,0\0,-\n";
    ck_assert_int_eq(jm_hist_parse(h, nul, sizeof nul - 1, err, sizeof err), JXTA_EINVAL);
    ck_assert_str_eq(err, "line 2: NUL byte in the line");
    const char *tail = HDR "2,read,0,1,ok,5,-";
    ck_assert_int_eq(jm_hist_parse(h, tail, strlen(tail), err, sizeof err), 0);
    ck_assert_uint_eq(jm_hist_count(h), 2);
    /* no error buffer, missing file */
    ck_assert_int_eq(jm_hist_parse(h, "x", 1, NULL, 0), JXTA_EINVAL);
    ck_assert_int_eq(jm_hist_load_file(h, "/nonexistent/history.csv", err, sizeof err), JXTA_EIO);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/history.csv"));
    tu_log_release();
    ck_assert_int_eq(jm_hist_parse(NULL, "", 0, err, sizeof err), JXTA_EINVAL);
    jm_hist_free(h);
}
END_TEST

/* Seeded random mutations of a valid CSV (bytes flipped, inserted, cut):
 * each is either parsed whole or refused with a "line N:" error, never a
 * crash or a partial append (run under ASan/UBSan and valgrind). */
START_TEST(test_csv_mutations)
{
    const char *base = HDR "1,rmw,0.000,10.000,ok,0,11\n"
                           "2,rmw,11.000,20.000,indet,11,22\n"
                           "3,read,11.5,20,fail,-,-\n"
                           "4,read,21,22.25,ok,22,-\n";
    size_t blen = strlen(base);
    static const char alphabet[] = "0123456789,.-\n\r\0 rmwreadokfailindet";
    unsigned seed = 12345;
    char buf[512], err[200];
    tu_log_capture();
    for (int iter = 0; iter < 5000; iter++) {
        memcpy(buf, base, blen);
        size_t len = blen;
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (len + 1);
            char c = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
            switch ((seed >> 4) % 3) {
            case 0: /* replace */
                if (at < len)
                    buf[at] = c;
                break;
            case 1: /* insert */
                if (len < sizeof buf - 1) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = c;
                    len++;
                }
                break;
            default: /* cut the text there */
                len = at;
                break;
            }
        }
        jm_hist_t *h = jm_hist_new();
        ck_assert_ptr_nonnull(h);
        int rc = jm_hist_parse(h, buf, len, err, sizeof err);
        if (rc == 0) {
            jm_hist_verdict_t v;
            ck_assert_int_ge(jm_hist_check(h, &v), 0);
        } else {
            ck_assert_int_eq(rc, JXTA_EINVAL);
            ck_assert_msg(strncmp(err, "line ", 5) == 0, "%s", err);
            ck_assert_uint_eq(jm_hist_count(h), 0);
        }
        jm_hist_free(h);
    }
    tu_log_release();
}
END_TEST

static Suite *history_suite(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("checker");
    tcase_add_test(tc, test_correct_sequential);
    tcase_add_test(tc, test_correct_with_indeterminate);
    tcase_add_test(tc, test_correct_concurrent);
    tcase_add_test(tc, test_empty_history);
    tcase_add_test(tc, test_long_random_history);
    tcase_add_test(tc, test_lost_update);
    tcase_add_test(tc, test_fork);
    tcase_add_test(tc, test_stale_read);
    tcase_add_test(tc, test_read_goes_back);
    tcase_add_test(tc, test_read_from_future);
    tcase_add_test(tc, test_never_written);
    tcase_add_test(tc, test_duplicate_values);
    tcase_add_test(tc, test_cycle);
    tcase_add_test(tc, test_add_refuses);
    suite_add_tcase(s, tc);
    TCase *csv = tcase_create("csv");
    tcase_add_test(csv, test_csv_round_trip);
    tcase_add_test(csv, test_csv_malformed);
    tcase_add_test(csv, test_csv_mutations);
    suite_add_tcase(s, csv);
    return s;
}

int main(void)
{
    return tu_run(history_suite());
}
