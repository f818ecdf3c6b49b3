/* test_util.c - the util layer: SHA-1 against FIPS vectors, strict UTF-8
 * validation, the byte buffer's sticky errors and caps, the bounds-checked
 * reader, error texts and the log sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

START_TEST(test_sha1_vectors)
{
    static const struct {
        const char *in;
        const char *want;
    } v[] = {
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
        {"jxinterop-rdv", "fd22ff0d29882878838a986d81713516b4feff19"},
    };
    char out[41];
    uint8_t d[20];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        jxta_sha1(v[i].in, strlen(v[i].in), d);
        hex(d, 20, out);
        ck_assert_str_eq(out, v[i].want);
    }
    /* A million 'a' fed in odd-sized pieces. */
    jxta_sha1_t c;
    jxta_sha1_init(&c);
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        jxta_sha1_update(&c, chunk, n);
        left -= n;
    }
    jxta_sha1_final(&c, d);
    hex(d, 20, out);
    ck_assert_str_eq(out, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}
END_TEST

START_TEST(test_utf8)
{
    ck_assert(jxta_utf8_valid("", 0));
    ck_assert(jxta_utf8_valid("plain", 5));
    ck_assert(jxta_utf8_valid("na\xc3\xafve-\xe5\x90\x8d\xe5\x89\x8d \xe2\x9c\x93", 17));
    ck_assert(jxta_utf8_valid("\xf0\x9f\x98\x80", 4));   /* U+1F600 */
    ck_assert(!jxta_utf8_valid("\xc0\xaf", 2));          /* overlong '/' */
    ck_assert(!jxta_utf8_valid("\xe0\x80\xaf", 3));      /* overlong */
    ck_assert(!jxta_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
    ck_assert(!jxta_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
    ck_assert(!jxta_utf8_valid("\xc3", 1));              /* truncated */
    ck_assert(!jxta_utf8_valid("\x80", 1));              /* lone continuation */
    ck_assert(!jxta_utf8_valid("\xff", 1));
    ck_assert(!jxta_utf8_valid("a\xe2\x9c", 3));
}
END_TEST

START_TEST(test_buf)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_buf_put_u8(&b, 0x6a);
    jxta_buf_put_be16(&b, 0x0102);
    jxta_buf_put_be32(&b, 0x03040506);
    jxta_buf_put_be64(&b, 0x0708090a0b0c0d0eULL);
    jxta_buf_printf(&b, "%s-%d", "x", 42);
    ck_assert_int_eq(jxta_buf_error(&b), 0);
    ck_assert_uint_eq(b.len, 15 + 4);
    static const uint8_t want[] = {0x6a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    ck_assert_mem_eq(b.data, want, 15);
    ck_assert_mem_eq(b.data + 15, "x-42", 4);

    jxta_reader_t r;
    jxta_reader_init(&r, b.data, b.len);
    ck_assert_uint_eq(jxta_reader_u8(&r), 0x6a);
    ck_assert_uint_eq(jxta_reader_be16(&r), 0x0102);
    ck_assert_uint_eq(jxta_reader_be32(&r), 0x03040506);
    ck_assert(jxta_reader_be64(&r) == 0x0708090a0b0c0d0eULL);
    ck_assert_uint_eq(jxta_reader_left(&r), 4);
    ck_assert_ptr_null(jxta_reader_bytes(&r, 5)); /* short read */
    ck_assert_int_eq(r.err, JXTA_ETRUNC);
    ck_assert_uint_eq(jxta_reader_be32(&r), 0); /* sticky */
    ck_assert_ptr_null(jxta_reader_bytes(&r, 0));

    char *s = jxta_buf_steal_str(&b);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s + 15, "x-42");
    free(s);
    ck_assert_ptr_null(b.data);

    /* A cap turns growth past it into a sticky JXTA_ETOOBIG. */
    jxta_buf_init(&b);
    b.max = 8;
    jxta_buf_append(&b, "12345678", 8);
    ck_assert_int_eq(jxta_buf_error(&b), 0);
    jxta_buf_append(&b, "9", 1);
    ck_assert_int_eq(jxta_buf_error(&b), JXTA_ETOOBIG);
    jxta_buf_append(&b, "", 0);
    ck_assert_uint_eq(b.len, 8);
    ck_assert_ptr_null(jxta_buf_steal(&b, NULL));
    jxta_buf_reset(&b);
    ck_assert_int_eq(jxta_buf_error(&b), 0);
    ck_assert_int_eq(jxta_buf_reserve(&b, SIZE_MAX), JXTA_ETOOBIG);
    jxta_buf_free(&b);
}
END_TEST

START_TEST(test_errors)
{
    for (int e = JXTA_OK; e > JXTA__ELAST; e--) {
        ck_assert_str_ne(jxta_strerror(e), "unknown error");
        ck_assert_str_ne(jxta_errname(e), "JXTA_E?");
    }
    ck_assert_str_eq(jxta_strerror(-999), "unknown error");
    ck_assert_str_eq(jxta_errname(JXTA_ETRUNC), "JXTA_ETRUNC");
}
END_TEST

static const char *ext_text(int err)
{
    return err == -300 ? "an error of a library above" : NULL;
}

START_TEST(test_error_extension)
{
    ck_assert_str_eq(jxta_strerror(-300), "unknown error");
    jxta_strerror_extend(ext_text);
    ck_assert_str_eq(jxta_strerror(-300), "an error of a library above");
    ck_assert_str_eq(jxta_strerror(-301), "unknown error");
    ck_assert_str_eq(jxta_strerror(JXTA_ETRUNC), jxta_strerror(JXTA_ETRUNC)); /* own codes first */
    ck_assert_str_ne(jxta_strerror(JXTA_ETRUNC), "an error of a library above");
    jxta_strerror_extend(NULL);
    ck_assert_str_eq(jxta_strerror(-300), "unknown error");
}
END_TEST

START_TEST(test_log)
{
    jxta_log_level_t l;
    ck_assert_int_eq(jxta_log_level_parse("debug", &l), 0);
    ck_assert_int_eq(l, JXTA_LOG_DEBUG);
    ck_assert_int_eq(jxta_log_level_parse("WARNING", &l), 0);
    ck_assert_int_eq(l, JXTA_LOG_WARN);
    ck_assert_int_eq(jxta_log_level_parse("4", &l), 0);
    ck_assert_int_eq(l, JXTA_LOG_TRACE);
    ck_assert_int_eq(jxta_log_level_parse("loud", &l), JXTA_EINVAL);
    ck_assert_int_eq(jxta_log_level_parse(NULL, &l), JXTA_EINVAL);

    tu_log_capture();
    jxta_log(JXTA_LOG_INFO, "t", "dropped at warn level");
    ck_assert_uint_eq(tu_log_count(), 0);
    jxta_log(JXTA_LOG_ERROR, "t", "kept %d", 7);
    ck_assert_uint_eq(tu_log_count(), 1);
    ck_assert_str_eq(tu_log_last(), "[t] kept 7");
    jxta_log_set_level(JXTA_LOG_ERROR);
    jxta_log(JXTA_LOG_WARN, "t", "now dropped");
    ck_assert_uint_eq(tu_log_count(), 1);
    ck_assert_int_eq(jxta_log_get_level(), JXTA_LOG_ERROR);
    tu_log_release();
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_sha1_vectors);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_buf);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_error_extension);
    tcase_add_test(tc, test_log);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(util_suite());
}
