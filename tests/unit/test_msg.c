/* test_msg.c - binary messages: every JXSE vector decodes and re-encodes
 * byte-identically (versions 0 and 1), the content of the dump vectors is
 * what the manifest says, the worked example of PROTOCOLS.md 3.2 comes out
 * of the API byte for byte, and hostile input (truncation at every offset,
 * corrupted magics/flags/lengths/ids/UTF-8, depth bombs) is refused with
 * the specific error code and a log line. */
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

static uint8_t *read_vec(const char *rel, size_t *len)
{
    char *path = tu_vector_path(rel);
    uint8_t *d = tu_read(path, len);
    free(path);
    return d;
}

static jxta_msg_t *decode_vec(const char *name, uint8_t **raw, size_t *len)
{
    char rel[128];
    snprintf(rel, sizeof rel, "dump/%s.jxmg", name);
    *raw = read_vec(rel, len);
    jxta_msg_t *m = NULL;
    int rc = jxta_msg_decode(*raw, *len, NULL, &m);
    ck_assert_msg(rc == 0, "%s: %s", name, jxta_errname(rc));
    return m;
}

static jxta_msg_t *decode_dump(const char *name)
{
    uint8_t *raw;
    size_t len;
    jxta_msg_t *m = decode_vec(name, &raw, &len);
    free(raw);
    return m;
}

static void assert_elem(const jxta_msg_elem_t *e, const char *ns, const char *name,
                        const char *type, const char *body)
{
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(jxta_msg_elem_ns(e), ns);
    ck_assert_str_eq(jxta_msg_elem_name(e), name);
    ck_assert_str_eq(jxta_msg_elem_type(e), type);
    if (body) {
        size_t n;
        const uint8_t *b = jxta_msg_elem_body(e, &n);
        ck_assert_uint_eq(n, strlen(body));
        ck_assert(memcmp(b, body, n) == 0);
    }
}

/* decode -> v0 == raw; v1 -> decode -> equal -> v0 == raw. */
static void roundtrip_bytes(const char *what, const uint8_t *raw, size_t len)
{
    jxta_msg_t *m = NULL, *m1 = NULL;
    int rc = jxta_msg_decode(raw, len, NULL, &m);
    ck_assert_msg(rc == 0, "%s: decode %s", what, jxta_errname(rc));
    ck_assert_int_eq(jxta_msg_wire_version(m), 0);
    jxta_buf_t b = JXTA_BUF_INIT, b1 = JXTA_BUF_INIT, b2 = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V0, &b), 0);
    ck_assert_msg(b.len == len && memcmp(b.data, raw, len) == 0, "%s: v0 re-encode differs",
                  what);
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V1, &b1), 0);
    ck_assert_uint_eq(b1.data[4], 1);
    rc = jxta_msg_decode(b1.data, b1.len, NULL, &m1);
    ck_assert_msg(rc == 0, "%s: v1 decode %s", what, jxta_errname(rc));
    ck_assert_int_eq(jxta_msg_wire_version(m1), 1);
    ck_assert_msg(jxta_msg_equal(m, m1), "%s: v1 round trip changed the message", what);
    ck_assert_int_eq(jxta_msg_encode(m1, JXTA_MSG_V0, &b2), 0);
    ck_assert_msg(b2.len == len && memcmp(b2.data, raw, len) == 0, "%s: v1->v0 differs", what);
    jxta_buf_free(&b);
    jxta_buf_free(&b1);
    jxta_buf_free(&b2);
    jxta_msg_free(m);
    jxta_msg_free(m1);
}

START_TEST(dump_vectors_roundtrip)
{
    char **names;
    char *dir = tu_vector_path("dump");
    size_t n = tu_list(dir, ".jxmg", &names);
    ck_assert_uint_eq(n, 9);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        uint8_t *raw = tu_read(path, &len);
        roundtrip_bytes(names[i], raw, len);
        free(raw);
    }
    tu_free_list(names);
    free(dir);
}
END_TEST

static void conversation_frames(const char *conv, size_t expect)
{
    char rel[128], **names;
    snprintf(rel, sizeof rel, "%s/decoded/frames", conv);
    char *dir = tu_vector_path(rel);
    size_t n = tu_list(dir, ".jxmg", &names);
    ck_assert_uint_eq(n, expect);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        uint8_t *raw = tu_read(path, &len);
        roundtrip_bytes(names[i], raw, len);
        /* Every captured message is addressed (PROTOCOLS.md 4.4). */
        jxta_msg_t *m;
        ck_assert_int_eq(jxta_msg_decode(raw, len, NULL, &m), 0);
        ck_assert_ptr_nonnull(jxta_msg_find(m, "jxta", "EndpointDestinationAddress"));
        jxta_msg_free(m);
        free(raw);
    }
    tu_free_list(names);
    free(dir);
}

START_TEST(edge_listening_frames_roundtrip)
{
    conversation_frames("edge-listening", 30);
}
END_TEST

START_TEST(minimal_edge_frames_roundtrip)
{
    conversation_frames("minimal-edge", 19);
}
END_TEST

START_TEST(msg01_content)
{
    jxta_msg_t *m = decode_dump("msg-01-one-string");
    ck_assert_uint_eq(jxta_msg_count(m), 1);
    ck_assert_uint_eq(jxta_msg_ns_count(m), 0);
    const jxta_msg_elem_t *e = jxta_msg_get(m, 0);
    assert_elem(e, "", "hello", "text/plain;charset=UTF-8", "world");
    ck_assert(jxta_msg_elem_has_type(e));
    ck_assert_ptr_null(jxta_msg_elem_signature(e));
    ck_assert_ptr_eq(jxta_msg_find(m, NULL, "hello"), e);
    ck_assert_ptr_eq(jxta_msg_find(m, "", "hello"), e);
    ck_assert_ptr_null(jxta_msg_find(m, "jxta", "hello"));
    ck_assert_ptr_null(jxta_msg_get(m, 1));
    ck_assert(jxta_msg_elem_is_text(e));
    ck_assert(!jxta_msg_elem_is_message(e));
    jxta_msg_free(m);
}
END_TEST

START_TEST(msg02_types)
{
    jxta_msg_t *m = decode_dump("msg-02-bytes");
    ck_assert_uint_eq(jxta_msg_count(m), 2);
    ck_assert_uint_eq(jxta_msg_ns_count(m), 1);
    ck_assert_str_eq(jxta_msg_ns_at(m, 0), "jxinterop");
    const jxta_msg_elem_t *e = jxta_msg_get(m, 0);
    assert_elem(e, "jxinterop", "bytes", "application/octet-stream", NULL);
    ck_assert(!jxta_msg_elem_has_type(e));
    ck_assert_uint_eq(jxta_msg_elem_len(e), 256);
    e = jxta_msg_get(m, 1);
    assert_elem(e, "jxinterop", "typed", "image/png", NULL);
    ck_assert(jxta_msg_elem_has_type(e));
    ck_assert_uint_eq(jxta_msg_elem_len(e), 4);
    jxta_msg_free(m);
}
END_TEST

START_TEST(msg03_namespaces)
{
    jxta_msg_t *m = decode_dump("msg-03-namespaces");
    ck_assert_uint_eq(jxta_msg_count(m), 5);
    ck_assert_uint_eq(jxta_msg_ns_count(m), 2);
    ck_assert_str_eq(jxta_msg_ns_at(m, 0), "juxmem");
    ck_assert_str_eq(jxta_msg_ns_at(m, 1), "jxinterop");
    assert_elem(jxta_msg_get(m, 0), "jxta", "EndpointSourceAddress", JXTA_MSG_MIME_TEXT,
                "tcp://127.0.0.1:9702");
    assert_elem(jxta_msg_get(m, 2), "juxmem", "op", JXTA_MSG_MIME_TEXT, "ALLOC");
    assert_elem(jxta_msg_get(m, 3), "juxmem", "block", JXTA_MSG_MIME_DEFAULT, NULL);
    assert_elem(jxta_msg_get(m, 4), "jxinterop", "adv", JXTA_MSG_MIME_XML, NULL);
    ck_assert_uint_eq(jxta_msg_elem_len(jxta_msg_get(m, 1)), 162);
    ck_assert_uint_eq(jxta_msg_elem_len(jxta_msg_get(m, 4)), 313);

    /* Rebuilt with the API, JXSE's first-use namespace order gives the
     * same bytes. */
    jxta_msg_t *b;
    ck_assert_int_eq(jxta_msg_new(&b), 0);
    for (size_t i = 0; i < jxta_msg_count(m); i++) {
        const jxta_msg_elem_t *e = jxta_msg_get(m, i);
        size_t n;
        const uint8_t *body = jxta_msg_elem_body(e, &n);
        ck_assert_int_eq(jxta_msg_add(b, jxta_msg_elem_ns(e), jxta_msg_elem_name(e),
                                      jxta_msg_elem_type(e), body, n),
                         0);
    }
    uint8_t *raw;
    size_t len;
    jxta_msg_t *again = decode_vec("msg-03-namespaces", &raw, &len);
    jxta_buf_t out = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(b, JXTA_MSG_V0, &out), 0);
    ck_assert_uint_eq(out.len, len);
    ck_assert(memcmp(out.data, raw, len) == 0);
    jxta_buf_free(&out);
    free(raw);
    jxta_msg_free(again);
    jxta_msg_free(b);
    jxta_msg_free(m);
}
END_TEST

START_TEST(msg04_nested)
{
    jxta_msg_t *m = decode_dump("msg-04-nested");
    jxta_msg_t *inner_expect = decode_dump("msg-01-one-string");
    ck_assert_uint_eq(jxta_msg_count(m), 2);
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxinterop", "inner");
    assert_elem(e, "jxinterop", "inner", JXTA_MSG_MIME, NULL);
    ck_assert(jxta_msg_elem_is_message(e));
    assert_elem(jxta_msg_get(m, 1), "jxinterop", "outer", JXTA_MSG_MIME_TEXT, "x");
    jxta_msg_t *inner = NULL;
    ck_assert_int_eq(jxta_msg_elem_decode_nested(e, NULL, &inner), 0);
    ck_assert_uint_eq(jxta_msg_depth(inner), 1);
    ck_assert(jxta_msg_equal(inner, inner_expect));
    assert_elem(jxta_msg_get(inner, 0), "", "hello", JXTA_MSG_MIME_TEXT, "world");
    ck_assert_uint_eq(jxta_msg_elem_depth(jxta_msg_get(inner, 0)), 1);
    /* A non-message element cannot be decoded as one. */
    jxta_msg_t *bad = NULL;
    ck_assert_int_eq(jxta_msg_elem_decode_nested(jxta_msg_get(m, 1), NULL, &bad), JXTA_EINVAL);
    ck_assert_ptr_null(bad);
    /* With max_depth 0 nesting is refused. */
    jxta_msg_limits_t lim;
    jxta_msg_limits_default(&lim);
    lim.max_depth = 0;
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_elem_decode_nested(e, &lim, &bad), JXTA_EDEPTH);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    jxta_msg_free(inner);
    jxta_msg_free(inner_expect);
    jxta_msg_free(m);
}
END_TEST

START_TEST(msg05_signature)
{
    jxta_msg_t *m = decode_dump("msg-05-signature");
    ck_assert_uint_eq(jxta_msg_count(m), 1);
    const jxta_msg_elem_t *e = jxta_msg_get(m, 0);
    assert_elem(e, "jxinterop", "payload", "text/plain", "signed payload");
    const jxta_msg_elem_t *sig = jxta_msg_elem_signature(e);
    ck_assert_ptr_nonnull(sig);
    assert_elem(sig, "jxinterop", "payload-sig", JXTA_MSG_MIME_DEFAULT, NULL);
    ck_assert(!jxta_msg_elem_has_type(sig));
    ck_assert_uint_eq(jxta_msg_elem_len(sig), 20);
    static const uint8_t sig_head[] = {0x14, 0x25, 0xe9, 0x13};
    ck_assert(memcmp(jxta_msg_elem_body(sig, NULL), sig_head, 4) == 0);
    ck_assert_ptr_null(jxta_msg_elem_signature(sig));
    /* The signature is not a top-level element. */
    ck_assert_ptr_null(jxta_msg_find(m, "jxinterop", "payload-sig"));

    /* Built with the API: same bytes. */
    uint8_t *raw;
    size_t len;
    jxta_msg_t *again = decode_vec("msg-05-signature", &raw, &len);
    jxta_msg_elem_t *pe, *se;
    ck_assert_int_eq(jxta_msg_elem_new(&pe, "jxinterop", "payload", "text/plain",
                                       "signed payload", 14),
                     0);
    ck_assert_int_eq(jxta_msg_elem_new(&se, "jxinterop", "payload-sig", NULL,
                                       jxta_msg_elem_body(sig, NULL), 20),
                     0);
    ck_assert_int_eq(jxta_msg_elem_set_signature(pe, se), 0);
    jxta_msg_t *b;
    ck_assert_int_eq(jxta_msg_new(&b), 0);
    ck_assert_int_eq(jxta_msg_append(b, pe), 0);
    jxta_buf_t out = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(b, JXTA_MSG_V0, &out), 0);
    ck_assert_uint_eq(out.len, len);
    ck_assert(memcmp(out.data, raw, len) == 0);
    ck_assert(jxta_msg_equal(b, m));
    jxta_buf_free(&out);
    free(raw);
    jxta_msg_free(again);
    jxta_msg_free(b);
    jxta_msg_free(m);
}
END_TEST

START_TEST(msg06_empty)
{
    uint8_t *raw;
    size_t len;
    jxta_msg_t *m = decode_vec("msg-06-empty", &raw, &len);
    ck_assert_uint_eq(jxta_msg_count(m), 0);
    jxta_msg_t *b;
    ck_assert_int_eq(jxta_msg_new(&b), 0);
    jxta_buf_t out = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(b, JXTA_MSG_V0, &out), 0);
    ck_assert_uint_eq(out.len, 9);
    ck_assert(memcmp(out.data, raw, 9) == 0);
    jxta_buf_free(&out);
    jxta_msg_free(b);
    jxta_msg_free(m);
    free(raw);
}
END_TEST

START_TEST(msg07_large)
{
    jxta_msg_t *m = decode_dump("msg-07-large");
    ck_assert_uint_eq(jxta_msg_count(m), 1);
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxinterop", "big");
    assert_elem(e, "jxinterop", "big", JXTA_MSG_MIME_DEFAULT, NULL);
    ck_assert_uint_eq(jxta_msg_elem_len(e), 70000);
    ck_assert(!jxta_msg_elem_has_type(e));
    jxta_msg_free(m);

    /* The same message is refused under a smaller size limit. */
    uint8_t *raw;
    size_t len;
    m = decode_vec("msg-07-large", &raw, &len);
    jxta_msg_free(m);
    jxta_msg_limits_t lim;
    jxta_msg_limits_default(&lim);
    lim.max_size = 65536;
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_decode(raw, len, &lim, &m), JXTA_ETOOBIG);
    ck_assert_ptr_null(m);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    free(raw);
}
END_TEST

START_TEST(msg08_unicode)
{
    jxta_msg_t *m = decode_dump("msg-08-unicode");
    const jxta_msg_elem_t *e = jxta_msg_get(m, 0);
    assert_elem(e, "jxinterop", "na\xc3\xafve-\xe5\x90\x8d\xe5\x89\x8d", JXTA_MSG_MIME_TEXT,
                "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93");
    ck_assert_uint_eq(jxta_msg_elem_len(e), 17);
    jxta_msg_free(m);
}
END_TEST

START_TEST(msg09_duplicates)
{
    jxta_msg_t *m = decode_dump("msg-09-duplicates");
    ck_assert_uint_eq(jxta_msg_count(m), 3);
    const jxta_msg_elem_t *e = jxta_msg_find(m, "jxinterop", "dup");
    assert_elem(e, "jxinterop", "dup", JXTA_MSG_MIME_TEXT, "first");
    size_t i = 0;
    ck_assert_ptr_eq(jxta_msg_find_from(m, &i, "jxinterop", "dup"), e);
    ck_assert_uint_eq(i, 0);
    i++;
    e = jxta_msg_find_from(m, &i, "jxinterop", "dup");
    assert_elem(e, "jxinterop", "dup", JXTA_MSG_MIME_TEXT, "second");
    ck_assert_uint_eq(i, 1);
    i++;
    ck_assert_ptr_null(jxta_msg_find_from(m, &i, "jxinterop", "dup"));
    assert_elem(jxta_msg_find(m, "", "dup"), "", "dup", JXTA_MSG_MIME_TEXT, "third-default-ns");
    /* Removing the first makes the second the first match. */
    ck_assert_int_eq(jxta_msg_remove_at(m, 0), 0);
    assert_elem(jxta_msg_find(m, "jxinterop", "dup"), "jxinterop", "dup", JXTA_MSG_MIME_TEXT,
                "second");
    ck_assert_uint_eq(jxta_msg_remove(m, "jxinterop", "dup"), 1);
    ck_assert_uint_eq(jxta_msg_count(m), 1);
    ck_assert_uint_eq(jxta_msg_remove(m, "jxinterop", "dup"), 0);
    ck_assert_int_eq(jxta_msg_remove_at(m, 5), JXTA_ENOTFOUND);
    jxta_msg_free(m);
}
END_TEST

/* PROTOCOLS.md 3.2 worked example. */
static const char worked_hex[] =
    "6A786D670000000002"
    "6A78656C0101001545" "6E64706F696E74536F75726365416464726573730018"
    "746578742F706C61696E3B636861727365743D5554462D38"
    "00000013" "7463703A2F2F31302E302E302E373A39373031"
    "6A78656C00000005" "68656C6C6F" "00000002" "6869";

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

START_TEST(worked_example)
{
    uint8_t want[128];
    size_t wlen = unhex(worked_hex, want);
    ck_assert_uint_eq(wlen, 106);
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    ck_assert_int_eq(jxta_msg_add_text(m, "jxta", "EndpointSourceAddress", "tcp://10.0.0.7:9701"),
                     0);
    ck_assert_int_eq(jxta_msg_add(m, NULL, "hello", NULL, "hi", 2), 0);
    jxta_buf_t out = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V0, &out), 0);
    ck_assert_uint_eq(out.len, 106);
    ck_assert(memcmp(out.data, want, 106) == 0);
    /* An explicit application/octet-stream is omitted, as JXSE does. */
    jxta_msg_t *m2;
    ck_assert_int_eq(jxta_msg_new(&m2), 0);
    ck_assert_int_eq(jxta_msg_add_text(m2, "jxta", "EndpointSourceAddress", "tcp://10.0.0.7:9701"),
                     0);
    ck_assert_int_eq(jxta_msg_add(m2, "", "hello", "application/octet-stream", "hi", 2), 0);
    jxta_buf_reset(&out);
    ck_assert_int_eq(jxta_msg_encode(m2, JXTA_MSG_V0, &out), 0);
    ck_assert(out.len == 106 && memcmp(out.data, want, 106) == 0);
    ck_assert(jxta_msg_equal(m, m2));
    jxta_buf_free(&out);
    jxta_msg_free(m);
    jxta_msg_free(m2);
}
END_TEST

START_TEST(explicit_octet_stream_preserved)
{
    /* HAS_TYPE set with application/octet-stream: kept on re-encode. */
    uint8_t want[128];
    size_t n = unhex("6A786D670000000001"
                     "6A78656C0001000161" "0018" "6170706C69636174696F6E2F6F637465742D73747265616D"
                     "00000001" "7A",
                     want);
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_decode(want, n, NULL, &m), 0);
    const jxta_msg_elem_t *e = jxta_msg_get(m, 0);
    ck_assert(jxta_msg_elem_has_type(e));
    ck_assert_str_eq(jxta_msg_elem_type(e), JXTA_MSG_MIME_DEFAULT);
    jxta_buf_t out = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V0, &out), 0);
    ck_assert(out.len == n && memcmp(out.data, want, n) == 0);
    /* A copy keeps it too. */
    jxta_msg_elem_t *c;
    ck_assert_int_eq(jxta_msg_elem_dup(e, &c), 0);
    ck_assert(jxta_msg_elem_has_type(c));
    jxta_msg_elem_free(c);
    jxta_buf_free(&out);
    jxta_msg_free(m);
}
END_TEST

START_TEST(api_model)
{
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    ck_assert_int_eq(jxta_msg_wire_version(m), -1);
    uint8_t *owned = malloc(3);
    memcpy(owned, "abc", 3);
    ck_assert_int_eq(jxta_msg_add_owned(m, "x", "a", "application/foo", owned, 3), 0);
    ck_assert_int_eq(jxta_msg_add(m, "jxta", "", NULL, NULL, 0), 0); /* empty name, empty body */
    ck_assert_int_eq(jxta_msg_add_text(m, "y", "b", "text"), 0);
    ck_assert_uint_eq(jxta_msg_count(m), 3);
    assert_elem(jxta_msg_find(m, "jxta", ""), "jxta", "", JXTA_MSG_MIME_DEFAULT, "");
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_add(m, "x", "bad\xff", NULL, "", 0), JXTA_EUTF8);
    ck_assert_int_eq(jxta_msg_add(m, "\xc0\x80", "n", NULL, "", 0), JXTA_EUTF8);
    ck_assert_int_eq(jxta_msg_add(m, "x", "n", "text/\xed\xa0\x80", "", 0), JXTA_EUTF8);
    ck_assert_uint_ge(tu_log_count(), 3);
    tu_log_release();
    ck_assert_int_eq(jxta_msg_add(m, "x", NULL, NULL, "", 0), JXTA_EINVAL);
    ck_assert_int_eq(jxta_msg_add(m, "x", "n", NULL, NULL, 5), JXTA_EINVAL);
    ck_assert_uint_eq(jxta_msg_count(m), 3);

    /* A signature cannot be signed. */
    jxta_msg_elem_t *a, *s1, *s2;
    ck_assert_int_eq(jxta_msg_elem_new(&a, "x", "a", NULL, "1", 1), 0);
    ck_assert_int_eq(jxta_msg_elem_new(&s1, "x", "s1", NULL, "2", 1), 0);
    ck_assert_int_eq(jxta_msg_elem_new(&s2, "x", "s2", NULL, "3", 1), 0);
    ck_assert_int_eq(jxta_msg_elem_set_signature(s1, s2), 0);
    ck_assert_int_eq(jxta_msg_elem_set_signature(a, s1), JXTA_EINVAL); /* s1 freed */
    jxta_msg_elem_free(a);

    /* Encoding: namespaces in first-use order, ids 2 and 3. */
    jxta_buf_t out = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V0, &out), 0);
    ck_assert_int_eq(jxta_msg_encode(m, 7, &out), JXTA_EINVAL);
    jxta_msg_t *d;
    ck_assert_int_eq(jxta_msg_decode(out.data, out.len, NULL, &d), 0);
    ck_assert(jxta_msg_equal(m, d));
    ck_assert_uint_eq(jxta_msg_ns_count(d), 2);
    ck_assert_str_eq(jxta_msg_ns_at(d, 0), "x");
    ck_assert_str_eq(jxta_msg_ns_at(d, 1), "y");
    ck_assert_ptr_null(jxta_msg_ns_at(d, 2));
    jxta_msg_free(d);
    jxta_buf_free(&out);
    jxta_msg_free(m);
}
END_TEST

START_TEST(encode_limits)
{
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    char ns[16];
    for (int i = 0; i < 253; i++) {
        snprintf(ns, sizeof ns, "ns%d", i);
        ck_assert_int_eq(jxta_msg_add(m, ns, "e", NULL, "", 0), 0);
    }
    jxta_buf_t out = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V0, &out), 0);
    jxta_msg_t *d;
    ck_assert_int_eq(jxta_msg_decode(out.data, out.len, NULL, &d), 0);
    ck_assert_uint_eq(jxta_msg_ns_count(d), 253);
    jxta_msg_free(d);
    ck_assert_int_eq(jxta_msg_add(m, "one-too-many", "e", NULL, "", 0), 0);
    size_t before = out.len;
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V0, &out), JXTA_ETOOBIG);
    tu_log_release();
    ck_assert_uint_eq(out.len, before);
    /* Version 1 has no 253 limit. */
    jxta_buf_reset(&out);
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V1, &out), 0);
    ck_assert_int_eq(jxta_msg_decode(out.data, out.len, NULL, &d), 0);
    ck_assert(jxta_msg_equal(m, d));
    jxta_msg_free(d);
    jxta_buf_free(&out);
    jxta_msg_free(m);
}
END_TEST

/* Every prefix of every dump vector is refused as truncated, with a log
 * line, and never crashes. */
START_TEST(truncation_every_offset)
{
    for (size_t v = 0; v < sizeof dump_vectors / sizeof *dump_vectors; v++) {
        uint8_t *raw;
        size_t len;
        jxta_msg_t *m = decode_vec(dump_vectors[v], &raw, &len);
        jxta_msg_free(m);
        /* The prefix sits at the end of its own allocation, so ASan and
         * valgrind catch any read past it. */
        uint8_t *p = malloc(len);
        for (size_t cut = 0; cut < len; cut++) {
            memcpy(p + len - cut, raw, cut);
            tu_log_capture();
            size_t off = 12345;
            int rc = jxta_msg_decode_ex(p + len - cut, cut, NULL, &m, &off);
            ck_assert_msg(rc == JXTA_ETRUNC, "%s cut at %zu: %s", dump_vectors[v], cut,
                          jxta_errname(rc));
            ck_assert_ptr_null(m);
            ck_assert_uint_le(off, cut);
            ck_assert_msg(tu_log_count() >= 1, "%s cut at %zu: no log line", dump_vectors[v],
                          cut);
            ck_assert_msg(strstr(tu_log_last(), "[msg]") != NULL, "log: %s", tu_log_last());
            tu_log_release();
        }
        free(p);
        /* One extra byte is trailing garbage. */
        p = malloc(len + 1);
        memcpy(p, raw, len);
        p[len] = 0;
        tu_log_capture();
        ck_assert_int_eq(jxta_msg_decode(p, len + 1, NULL, &m), JXTA_ETRAILING);
        ck_assert_uint_ge(tu_log_count(), 1);
        tu_log_release();
        free(p);
        free(raw);
    }
}
END_TEST

/* Decode a corrupted copy of msg-01 (57 bytes; ns count at 5, element
 * count at 7, element at 9: magic, ns id 13, flags 14, name length 15,
 * name 17, type length 22, type 24, body length 48, body 52). */
static int decode_patched(const char *vec, size_t off, const uint8_t *bytes, size_t n)
{
    uint8_t *raw;
    size_t len;
    jxta_msg_t *m = decode_vec(vec, &raw, &len);
    jxta_msg_free(m);
    ck_assert_uint_le(off + n, len);
    memcpy(raw + off, bytes, n);
    tu_log_capture();
    int rc = jxta_msg_decode(raw, len, NULL, &m);
    ck_assert_ptr_null(m);
    if (rc < 0)
        ck_assert_msg(tu_log_count() >= 1, "no log line for %s", jxta_errname(rc));
    tu_log_release();
    free(raw);
    return rc;
}

START_TEST(corruptions)
{
    const char *v = "msg-01-one-string";
    ck_assert_int_eq(decode_patched(v, 0, (const uint8_t *)"jxmG", 4), JXTA_EMAGIC);
    ck_assert_int_eq(decode_patched(v, 0, (const uint8_t *)"jxel", 4), JXTA_EMAGIC);
    ck_assert_int_eq(decode_patched(v, 9, (const uint8_t *)"jxmg", 4), JXTA_EMAGIC);
    ck_assert_int_eq(decode_patched(v, 4, (const uint8_t *)"\x02", 1), JXTA_EVERSION);
    ck_assert_int_eq(decode_patched(v, 4, (const uint8_t *)"\xff", 1), JXTA_EVERSION);
    ck_assert_int_eq(decode_patched(v, 14, (const uint8_t *)"\x03", 1), JXTA_EPROTO);
    ck_assert_int_eq(decode_patched(v, 14, (const uint8_t *)"\x09", 1), JXTA_EPROTO);
    ck_assert_int_eq(decode_patched(v, 14, (const uint8_t *)"\x81", 1), JXTA_EPROTO);
    ck_assert_int_eq(decode_patched(v, 13, (const uint8_t *)"\x02", 1), JXTA_EPROTO);
    ck_assert_int_eq(decode_patched(v, 13, (const uint8_t *)"\xff", 1), JXTA_EPROTO);
    ck_assert_int_eq(decode_patched(v, 48, (const uint8_t *)"\xff\xff\xff\xff", 4), JXTA_ETOOBIG);
    ck_assert_int_eq(decode_patched(v, 48, (const uint8_t *)"\x80\x00\x00\x00", 4), JXTA_ETOOBIG);
    ck_assert_int_eq(decode_patched(v, 48, (const uint8_t *)"\x00\x00\x00\x06", 4), JXTA_ETRUNC);
    ck_assert_int_eq(decode_patched(v, 48, (const uint8_t *)"\x00\x00\x00\x04", 4),
                     JXTA_ETRAILING);
    ck_assert_int_eq(decode_patched(v, 15, (const uint8_t *)"\xff\xff", 2), JXTA_ETOOBIG);
    ck_assert_int_eq(decode_patched(v, 15, (const uint8_t *)"\x00\x30", 2), JXTA_ETRUNC);
    ck_assert_int_eq(decode_patched(v, 17, (const uint8_t *)"\xc3\x28", 2), JXTA_EUTF8);
    ck_assert_int_eq(decode_patched(v, 17, (const uint8_t *)"\xc0\xa8", 2), JXTA_EUTF8);
    ck_assert_int_eq(decode_patched(v, 17, (const uint8_t *)"\x00", 1), JXTA_EUTF8);
    ck_assert_int_eq(decode_patched(v, 24, (const uint8_t *)"\xff", 1), JXTA_EUTF8);
    ck_assert_int_eq(decode_patched(v, 5, (const uint8_t *)"\x00\xfe", 2), JXTA_ETOOBIG);
    ck_assert_int_eq(decode_patched(v, 5, (const uint8_t *)"\xff\xff", 2), JXTA_ETOOBIG);
    ck_assert_int_eq(decode_patched(v, 5, (const uint8_t *)"\x00\x30", 2), JXTA_ETRUNC);
    ck_assert_int_eq(decode_patched(v, 7, (const uint8_t *)"\x00\x02", 2), JXTA_ETRUNC);
    ck_assert_int_eq(decode_patched(v, 7, (const uint8_t *)"\xff\xff", 2), JXTA_ETOOBIG);
    ck_assert_int_eq(decode_patched(v, 7, (const uint8_t *)"\x00\x00", 2), JXTA_ETRAILING);
    /* msg-03 declares namespaces: invalid UTF-8 in one of them. */
    ck_assert_int_eq(decode_patched("msg-03-namespaces", 9, (const uint8_t *)"\xe2\x82", 2),
                     JXTA_EUTF8);
    /* msg-05: the signature's ns id out of range, its magic, its flags. */
    ck_assert_int_eq(decode_patched("msg-05-signature", 0x84 - 0x3f, (const uint8_t *)"\x03", 1),
                     JXTA_EPROTO);
    ck_assert_int_eq(decode_patched("msg-05-signature", 0x80 - 0x3f, (const uint8_t *)"JXEL", 4),
                     JXTA_EMAGIC);
    ck_assert_int_eq(decode_patched("msg-05-signature", 0x85 - 0x3f, (const uint8_t *)"\x04", 1),
                     JXTA_EPROTO);

    /* Limits below the hard ceilings. */
    uint8_t *raw;
    size_t len;
    jxta_msg_t *m = decode_vec("msg-09-duplicates", &raw, &len);
    jxta_msg_free(m);
    jxta_msg_limits_t lim;
    jxta_msg_limits_default(&lim);
    lim.max_elements = 2;
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_decode(raw, len, &lim, &m), JXTA_ETOOBIG);
    jxta_msg_limits_default(&lim);
    lim.max_name_len = 2;
    ck_assert_int_eq(jxta_msg_decode(raw, len, &lim, &m), JXTA_ETOOBIG);
    jxta_msg_limits_default(&lim);
    lim.max_namespaces = 0;
    ck_assert_int_eq(jxta_msg_decode(raw, len, &lim, &m), JXTA_ETOOBIG);
    ck_assert_int_eq(jxta_msg_decode(NULL, 0, NULL, &m), JXTA_ETRUNC);
    ck_assert_int_eq(jxta_msg_decode(NULL, 5, NULL, &m), JXTA_EINVAL);
    tu_log_release();
    free(raw);
}
END_TEST

/* A chain of messages each nested in the next. */
static void build_nested(int levels, jxta_buf_t *out)
{
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    ck_assert_int_eq(jxta_msg_add_text(m, "", "leaf", "x"), 0);
    jxta_buf_reset(out);
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V0, out), 0);
    jxta_msg_free(m);
    for (int i = 0; i < levels; i++) {
        ck_assert_int_eq(jxta_msg_new(&m), 0);
        ck_assert_int_eq(jxta_msg_add(m, "n", "inner", JXTA_MSG_MIME, out->data, out->len), 0);
        jxta_buf_reset(out);
        ck_assert_int_eq(jxta_msg_encode(m, i % 2 ? JXTA_MSG_V1 : JXTA_MSG_V0, out), 0);
        jxta_msg_free(m);
    }
}

START_TEST(nested_depth_bomb)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_msg_limits_t lim;
    jxta_msg_limits_default(&lim);
    lim.flags = JXTA_MSG_CHECK_NESTED;
    jxta_msg_t *m = NULL;

    build_nested(8, &b); /* leaf at depth 8 = default limit: fine */
    ck_assert_int_eq(jxta_msg_decode(b.data, b.len, &lim, &m), 0);
    /* Walk down by hand. */
    int depth = 0;
    while (m && jxta_msg_find(m, "n", "inner")) {
        jxta_msg_t *inner;
        ck_assert_int_eq(jxta_msg_elem_decode_nested(jxta_msg_find(m, "n", "inner"), NULL, &inner),
                         0);
        jxta_msg_free(m);
        m = inner;
        depth++;
    }
    ck_assert_int_eq(depth, 8);
    ck_assert_uint_eq(jxta_msg_depth(m), 8);
    jxta_msg_free(m);

    build_nested(200, &b);
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_decode(b.data, b.len, &lim, &m), JXTA_EDEPTH);
    ck_assert_ptr_null(m);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    /* Without CHECK_NESTED the outer level decodes; walking stops at the limit. */
    ck_assert_int_eq(jxta_msg_decode(b.data, b.len, NULL, &m), 0);
    int rc = 0;
    depth = 0;
    tu_log_capture();
    while (rc == 0) {
        jxta_msg_t *inner = NULL;
        rc = jxta_msg_elem_decode_nested(jxta_msg_find(m, "n", "inner"), NULL, &inner);
        if (rc == 0) {
            jxta_msg_free(m);
            m = inner;
            depth++;
        }
    }
    tu_log_release();
    ck_assert_int_eq(rc, JXTA_EDEPTH);
    ck_assert_int_eq(depth, 8);
    jxta_msg_free(m);
    /* A corrupted nested body fails the whole decode with CHECK_NESTED. */
    build_nested(1, &b);
    b.data[b.len - 1] ^= 0xff; /* leaf body byte: still valid */
    ck_assert_int_eq(jxta_msg_decode(b.data, b.len, &lim, &m), 0);
    jxta_msg_free(m);
    b.data[b.len - 52] = 'X'; /* the nested message's magic */
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_decode(b.data, b.len, &lim, &m), JXTA_EMAGIC);
    ck_assert_int_eq(jxta_msg_decode(b.data, b.len, NULL, &m), 0); /* not checked by default */
    jxta_msg_free(m);
    tu_log_release();
    jxta_buf_free(&b);
}
END_TEST

START_TEST(v1_layout)
{
    /* The worked example as version 1: names table = types after namespaces. */
    uint8_t want[128];
    unhex(worked_hex, want);
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_decode(want, 106, NULL, &m), 0);
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V1, &b), 0);
    uint8_t v1[160];
    size_t n = unhex("6A786D67" "01" "00" "0001" "0018"
                     "746578742F706C61696E3B636861727365743D5554462D38" "0002"
                     "6A78656C" "06" "0001" "0015"
                     "456E64706F696E74536F7572636541646472657373" "0002" "00000013"
                     "7463703A2F2F31302E302E302E373A39373031"
                     "6A78656C" "02" "0000" "0005" "68656C6C6F" "00000002" "6869",
                     v1);
    ck_assert_uint_eq(b.len, n);
    ck_assert(memcmp(b.data, v1, n) == 0);
    jxta_msg_free(m);

    /* Name given as a token, 64-bit length. */
    n = unhex("6A786D67" "01" "00" "0001" "0003" "666F6F" "0001"
              "6A78656C" "01" "0002" "0002" "0000000000000001" "5A",
              v1);
    ck_assert_int_eq(jxta_msg_decode(v1, n, NULL, &m), 0);
    assert_elem(jxta_msg_get(m, 0), "foo", "foo", JXTA_MSG_MIME_DEFAULT, "Z");
    jxta_msg_free(m);

    struct {
        size_t off;
        const char *hex;
        int rc;
    } bad[] = {
        {5, "01", JXTA_EPROTO},                 /* message flags */
        {19, "11", JXTA_EPROTO},                /* ENCODINGS */
        {19, "21", JXTA_EPROTO},                /* ENCODED_SIGNED */
        {19, "41", JXTA_EPROTO},                /* unknown bit */
        {20, "0003", JXTA_EPROTO},              /* ns token */
        {22, "0003", JXTA_EPROTO},              /* name token */
        {24, "FFFFFFFFFFFFFFFF", JXTA_ETOOBIG}, /* length near 2^64 */
        {24, "0000000100000000", JXTA_ETOOBIG}, /* 2^32 */
        {24, "0000000000000002", JXTA_ETRUNC},
        {24, "0000000000000000", JXTA_ETRAILING},
        {6, "FFFF", JXTA_ETOOBIG},              /* names count */
        {10, "C0", JXTA_EUTF8},                 /* table entry */
        {13, "0002", JXTA_ETRUNC},              /* element count */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint8_t c[64];
        memcpy(c, v1, n);
        unhex(bad[i].hex, c + bad[i].off);
        tu_log_capture();
        int rc = jxta_msg_decode(c, n, NULL, &m);
        ck_assert_msg(rc == bad[i].rc, "case %zu: %s", i, jxta_errname(rc));
        ck_assert_ptr_null(m);
        ck_assert_uint_ge(tu_log_count(), 1);
        tu_log_release();
    }
    /* A type token. */
    n = unhex("6A786D67" "01" "00" "0001" "0009" "746578742F68746D6C" "0001"
              "6A78656C" "06" "0000" "0001" "61" "0002" "00000000",
              v1);
    ck_assert_int_eq(jxta_msg_decode(v1, n, NULL, &m), 0);
    assert_elem(jxta_msg_get(m, 0), "", "a", "text/html", "");
    ck_assert_uint_eq(jxta_msg_ns_count(m), 0);
    jxta_msg_free(m);
    v1[n - 5] = 3;
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_decode(v1, n, NULL, &m), JXTA_EPROTO);
    tu_log_release();
    jxta_buf_free(&b);
}
END_TEST

START_TEST(v1_signature_roundtrip)
{
    jxta_msg_t *m = decode_dump("msg-05-signature");
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_msg_encode(m, JXTA_MSG_V1, &b), 0);
    /* Truncating the v1 encoding anywhere is clean too. */
    for (size_t cut = 0; cut < b.len; cut++) {
        jxta_msg_t *t;
        tu_log_capture();
        ck_assert_int_eq(jxta_msg_decode(b.data, cut, NULL, &t), JXTA_ETRUNC);
        tu_log_release();
    }
    jxta_buf_free(&b);
    jxta_msg_free(m);
}
END_TEST

/* ------------------------------------------------ borrowed-buffer decoding */

/* Every message vector: the dump set and both captured conversations. */
typedef struct vec {
    char name[256];
    uint8_t *raw;
    size_t len;
} vec_t;

static size_t load_all_vectors(vec_t **out)
{
    static const char *const dirs[] = {"dump", "edge-listening/decoded/frames",
                                       "minimal-edge/decoded/frames"};
    vec_t *v = NULL;
    size_t n = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof *dirs; d++) {
        char **names;
        char *dir = tu_vector_path(dirs[d]);
        size_t k = tu_list(dir, ".jxmg", &names);
        ck_assert_uint_gt(k, 0);
        v = realloc(v, (n + k) * sizeof *v);
        for (size_t i = 0; i < k; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            snprintf(v[n].name, sizeof v[n].name, "%s/%s", dirs[d], names[i]);
            v[n].raw = tu_read(path, &v[n].len);
            n++;
        }
        tu_free_list(names);
        free(dir);
    }
    *out = v;
    return n;
}

static void free_vectors(vec_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].raw);
    free(v);
}

/* jxta_msg_decode_owned on a malloc'd copy of exactly `len` bytes (so ASan
 * and valgrind see any read past the end); *buf gets the copy's address. */
static int decode_owned_copy(const uint8_t *raw, size_t len, const jxta_msg_limits_t *lim,
                             jxta_msg_t **m, size_t *off, const uint8_t **buf)
{
    uint8_t *copy = NULL;
    if (len) {
        copy = malloc(len);
        memcpy(copy, raw, len);
    }
    if (buf)
        *buf = copy;
    return jxta_msg_decode_owned(copy, len, lim, m, off);
}

static int points_into(const jxta_msg_elem_t *e, const uint8_t *buf, size_t len)
{
    size_t n;
    const uint8_t *b = jxta_msg_elem_body(e, &n);
    return n && (uintptr_t)b >= (uintptr_t)buf && (uintptr_t)b < (uintptr_t)buf + len;
}

/* Field by field, signatures included (jxta_msg_equal plus namespace ids,
 * checked through the version-0 encoding below). */
static void assert_same(const char *what, const jxta_msg_t *a, const jxta_msg_t *b)
{
    ck_assert_msg(jxta_msg_equal(a, b), "%s: messages differ", what);
    ck_assert_int_eq(jxta_msg_wire_version(a), jxta_msg_wire_version(b));
    ck_assert_uint_eq(jxta_msg_depth(a), jxta_msg_depth(b));
    ck_assert_uint_eq(jxta_msg_ns_count(a), jxta_msg_ns_count(b));
    for (size_t i = 0; i < jxta_msg_ns_count(a); i++)
        ck_assert_str_eq(jxta_msg_ns_at(a, i), jxta_msg_ns_at(b, i));
    for (int ver = JXTA_MSG_V0; ver <= JXTA_MSG_V1; ver++) {
        jxta_buf_t x = JXTA_BUF_INIT, y = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_msg_encode(a, ver, &x), 0);
        ck_assert_int_eq(jxta_msg_encode(b, ver, &y), 0);
        ck_assert_msg(x.len == y.len && memcmp(x.data, y.data, x.len) == 0,
                      "%s: v%d encodings differ", what, ver);
        jxta_buf_free(&x);
        jxta_buf_free(&y);
    }
    for (size_t i = 0; i < jxta_msg_count(a); i++) {
        const jxta_msg_elem_t *ea = jxta_msg_get(a, i), *eb = jxta_msg_get(b, i);
        ck_assert_int_eq(jxta_msg_elem_has_type(ea), jxta_msg_elem_has_type(eb));
        ck_assert_int_eq(jxta_msg_elem_is_text(ea), jxta_msg_elem_is_text(eb));
        ck_assert_int_eq(jxta_msg_elem_is_message(ea), jxta_msg_elem_is_message(eb));
        ck_assert_uint_eq(jxta_msg_elem_depth(ea), jxta_msg_elem_depth(eb));
    }
}

/* Decode nested messages of both, recursively, and compare them too. */
static void assert_same_nested(const char *what, const jxta_msg_t *a, const jxta_msg_t *b)
{
    for (size_t i = 0; i < jxta_msg_count(a); i++) {
        const jxta_msg_elem_t *ea = jxta_msg_get(a, i), *eb = jxta_msg_get(b, i);
        if (!jxta_msg_elem_is_message(ea))
            continue;
        jxta_msg_t *na = NULL, *nb = NULL;
        tu_log_capture();
        int ra = jxta_msg_elem_decode_nested(ea, NULL, &na);
        int rb = jxta_msg_elem_decode_nested(eb, NULL, &nb);
        tu_log_release();
        ck_assert_int_eq(ra, rb);
        if (ra == 0) {
            assert_same(what, na, nb);
            assert_same_nested(what, na, nb);
        }
        jxta_msg_free(na);
        jxta_msg_free(nb);
    }
}

START_TEST(owned_equals_copied)
{
    vec_t *v;
    size_t n = load_all_vectors(&v);
    ck_assert_uint_ge(n, 9 + 30);
    size_t borrowed = 0;
    for (size_t i = 0; i < n; i++) {
        /* Each vector as given (version 0) and re-encoded as version 1. */
        jxta_msg_t *ref = NULL;
        ck_assert_int_eq(jxta_msg_decode(v[i].raw, v[i].len, NULL, &ref), 0);
        jxta_buf_t v1 = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_msg_encode(ref, JXTA_MSG_V1, &v1), 0);
        jxta_msg_free(ref);
        for (int ver = 0; ver < 2; ver++) {
            const uint8_t *raw = ver ? v1.data : v[i].raw;
            size_t len = ver ? v1.len : v[i].len;
            for (int nested = 0; nested < 2; nested++) {
                jxta_msg_limits_t lim;
                jxta_msg_limits_default(&lim);
                lim.flags = nested ? JXTA_MSG_CHECK_NESTED : 0;
                jxta_msg_t *a = NULL, *b = NULL;
                const uint8_t *buf;
                size_t off = 99;
                ck_assert_int_eq(jxta_msg_decode(raw, len, &lim, &a), 0);
                int rc = decode_owned_copy(raw, len, &lim, &b, &off, &buf);
                ck_assert_msg(rc == 0, "%s v%d: %s", v[i].name, ver, jxta_errname(rc));
                ck_assert_uint_eq(off, 0);
                assert_same(v[i].name, a, b);
                assert_same_nested(v[i].name, a, b);
                /* Non-empty bodies really are borrowed (no copy), and
                 * those of a message decoded the usual way are not. */
                for (size_t k = 0; k < jxta_msg_count(b); k++) {
                    const jxta_msg_elem_t *e = jxta_msg_get(b, k);
                    ck_assert_int_eq(points_into(e, buf, len), jxta_msg_elem_len(e) > 0);
                    borrowed += points_into(e, buf, len);
                    ck_assert(!points_into(jxta_msg_get(a, k), raw, len));
                }
                jxta_msg_free(a);
                jxta_msg_free(b);
            }
        }
        jxta_buf_free(&v1);
    }
    ck_assert_uint_gt(borrowed, n);
    free_vectors(v, n);

    /* Argument errors: the buffer is always taken over (leak checkers). */
    jxta_msg_t *m = (jxta_msg_t *)1;
    ck_assert_int_eq(jxta_msg_decode_owned(NULL, 5, NULL, &m, NULL), JXTA_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(jxta_msg_decode_owned(malloc(8), 8, NULL, NULL, NULL), JXTA_EINVAL);
    tu_log_capture();
    ck_assert_int_eq(jxta_msg_decode_owned(NULL, 0, NULL, &m, NULL), JXTA_ETRUNC);
    ck_assert_int_eq(jxta_msg_decode_owned(calloc(1, 16), 16, NULL, &m, NULL), JXTA_EMAGIC);
    ck_assert_ptr_null(m);
    tu_log_release();
}
END_TEST

/* Elements of a borrowed-buffer message survive removal, duplication and
 * freeing in any order: duplicates and nested messages outlive the message
 * and each other (ASan and valgrind check the memory side). */
START_TEST(owned_lifetimes)
{
    vec_t *v;
    size_t n = load_all_vectors(&v);
    srand(20240611);
    for (size_t i = 0; i < n; i++) {
        for (int round = 0; round < 8; round++) {
            jxta_msg_t *ref = NULL, *m = NULL;
            const uint8_t *buf;
            ck_assert_int_eq(jxta_msg_decode(v[i].raw, v[i].len, NULL, &ref), 0);
            ck_assert_int_eq(decode_owned_copy(v[i].raw, v[i].len, NULL, &m, NULL, &buf), 0);
            size_t count = jxta_msg_count(m);
            /* Duplicates of every element, a nested message of each message
             * element, all taken before anything is removed. */
            jxta_msg_elem_t **dups = calloc(count + 1, sizeof *dups);
            jxta_msg_t **inner = calloc(count + 1, sizeof *inner);
            for (size_t k = 0; k < count; k++) {
                const jxta_msg_elem_t *e = jxta_msg_get(m, k);
                ck_assert_int_eq(jxta_msg_elem_dup(e, &dups[k]), 0);
                ck_assert(!points_into(dups[k], buf, v[i].len)); /* dup copies */
                if (jxta_msg_elem_signature(dups[k]))
                    ck_assert(!points_into(jxta_msg_elem_signature(dups[k]), buf, v[i].len));
                if (jxta_msg_elem_is_message(e)) {
                    tu_log_capture();
                    if (jxta_msg_elem_decode_nested(e, NULL, &inner[k]) < 0)
                        inner[k] = NULL;
                    tu_log_release();
                }
            }
            /* Remove some elements (by index or by name), maybe free the
             * message half way, in a random order. */
            int freed_early = rand() % 3 == 0;
            size_t steps = count ? (size_t)rand() % (count + 1) : 0;
            for (size_t s = 0; s < steps && jxta_msg_count(m) > 0; s++) {
                size_t at = (size_t)rand() % jxta_msg_count(m);
                if (rand() % 2) {
                    ck_assert_int_eq(jxta_msg_remove_at(m, at), 0);
                } else {
                    const jxta_msg_elem_t *e = jxta_msg_get(m, at);
                    char *ns = strdup(jxta_msg_elem_ns(e)), *nm = strdup(jxta_msg_elem_name(e));
                    ck_assert_uint_ge(jxta_msg_remove(m, ns, nm), 1);
                    free(ns);
                    free(nm);
                }
            }
            ck_assert_int_eq(jxta_msg_remove_at(m, jxta_msg_count(m)), JXTA_ENOTFOUND);
            /* What is left is still intact. */
            for (size_t k = 0; k < jxta_msg_count(m); k++) {
                const jxta_msg_elem_t *e = jxta_msg_get(m, k);
                size_t bl;
                const uint8_t *body = jxta_msg_elem_body(e, &bl);
                int found = 0;
                for (size_t j = 0; j < jxta_msg_count(ref) && !found; j++) {
                    size_t rl;
                    const uint8_t *rb = jxta_msg_elem_body(jxta_msg_get(ref, j), &rl);
                    found = rl == bl && memcmp(rb, body, bl) == 0 &&
                            strcmp(jxta_msg_elem_name(jxta_msg_get(ref, j)),
                                   jxta_msg_elem_name(e)) == 0;
                }
                ck_assert(found);
            }
            if (freed_early) {
                jxta_msg_free(m);
                m = NULL;
            }
            /* Free duplicates and nested messages in a shuffled order,
             * checking each against the reference before it goes. */
            size_t *order = malloc((count + 1) * sizeof *order);
            for (size_t k = 0; k < count; k++)
                order[k] = k;
            for (size_t k = count; k > 1; k--) {
                size_t j = (size_t)rand() % k, t = order[k - 1];
                order[k - 1] = order[j];
                order[j] = t;
            }
            for (size_t o = 0; o < count; o++) {
                size_t k = order[o];
                const jxta_msg_elem_t *re = jxta_msg_get(ref, k);
                size_t rl, dl;
                const uint8_t *rb = jxta_msg_elem_body(re, &rl);
                const uint8_t *db = jxta_msg_elem_body(dups[k], &dl);
                ck_assert_uint_eq(rl, dl);
                ck_assert(memcmp(rb, db, rl) == 0);
                ck_assert_str_eq(jxta_msg_elem_name(re), jxta_msg_elem_name(dups[k]));
                if (inner[k]) {
                    jxta_msg_t *want = NULL;
                    ck_assert_int_eq(jxta_msg_elem_decode_nested(re, NULL, &want), 0);
                    assert_same(v[i].name, want, inner[k]);
                    jxta_msg_free(want);
                    jxta_msg_free(inner[k]);
                }
                jxta_msg_elem_free(dups[k]);
                if (m && o == count / 2) {
                    jxta_msg_free(m);
                    m = NULL;
                }
            }
            jxta_msg_free(m);
            jxta_msg_free(ref);
            free(order);
            free(dups);
            free(inner);
        }
    }
    free_vectors(v, n);
}
END_TEST

/* Hostile input: for truncation at every offset, trailing bytes and random
 * corruptions of every vector, the borrowed-buffer decoder gives the same
 * error at the same offset as jxta_msg_decode_ex (or an equal message). */
static void compare_decoders(const char *what, const uint8_t *p, size_t len,
                             const jxta_msg_limits_t *lim)
{
    jxta_msg_t *a = NULL, *b = NULL;
    size_t oa = 7, ob = 9;
    tu_log_capture();
    int ra = jxta_msg_decode_ex(p, len, lim, &a, &oa);
    size_t la = tu_log_count();
    tu_log_release();
    tu_log_capture();
    int rb = decode_owned_copy(p, len, lim, &b, &ob, NULL);
    size_t lb = tu_log_count();
    tu_log_release();
    ck_assert_msg(ra == rb, "%s: %s vs %s", what, jxta_errname(ra), jxta_errname(rb));
    ck_assert_uint_eq(la, lb);
    if (ra == 0) {
        assert_same(what, a, b);
        assert_same_nested(what, a, b);
    } else {
        ck_assert_ptr_null(b);
        ck_assert_uint_eq(oa, ob);
    }
    jxta_msg_free(a);
    jxta_msg_free(b);
}

START_TEST(owned_hostile)
{
    vec_t *v;
    size_t n = load_all_vectors(&v);
    jxta_msg_limits_t nested;
    jxta_msg_limits_default(&nested);
    nested.flags = JXTA_MSG_CHECK_NESTED;
    srand(77);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *raw = v[i].raw;
        size_t len = v[i].len;
        /* Truncations: every offset for small vectors, a sample for big ones. */
        size_t step = len > 4096 ? len / 509 : 1;
        for (size_t cut = 0; cut < len; cut += step)
            compare_decoders(v[i].name, raw, cut, NULL);
        uint8_t *p = malloc(len + 1);
        memcpy(p, raw, len);
        p[len] = 0;
        compare_decoders(v[i].name, p, len + 1, NULL);
        /* Random corruptions of 1-4 bytes, biased to the first 200 bytes
         * where the structure is. */
        for (int k = 0; k < 300; k++) {
            memcpy(p, raw, len);
            int nb = 1 + rand() % 4;
            for (int b = 0; b < nb; b++) {
                size_t span = len < 200 || rand() % 4 ? (len < 200 ? len : 200) : len;
                size_t at = (size_t)rand() % span;
                if (rand() % 3 == 0)
                    p[at] ^= (uint8_t)(1u << (rand() % 8));
                else
                    p[at] = (uint8_t)rand();
            }
            compare_decoders(v[i].name, p, len, k % 2 ? &nested : NULL);
        }
        free(p);
    }
    free_vectors(v, n);
    /* A depth bomb fails the same way and frees everything it borrowed. */
    jxta_buf_t b = JXTA_BUF_INIT;
    build_nested(200, &b);
    compare_decoders("bomb", b.data, b.len, &nested);
    compare_decoders("bomb", b.data, b.len, NULL);
    jxta_buf_free(&b);
}
END_TEST

static Suite *msg_suite(void)
{
    Suite *s = suite_create("msg");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, dump_vectors_roundtrip);
    tcase_add_test(tc, edge_listening_frames_roundtrip);
    tcase_add_test(tc, minimal_edge_frames_roundtrip);
    tcase_add_test(tc, msg01_content);
    tcase_add_test(tc, msg02_types);
    tcase_add_test(tc, msg03_namespaces);
    tcase_add_test(tc, msg04_nested);
    tcase_add_test(tc, msg05_signature);
    tcase_add_test(tc, msg06_empty);
    tcase_add_test(tc, msg07_large);
    tcase_add_test(tc, msg08_unicode);
    tcase_add_test(tc, msg09_duplicates);
    suite_add_tcase(s, tc);
    tc = tcase_create("api");
    tcase_add_test(tc, worked_example);
    tcase_add_test(tc, explicit_octet_stream_preserved);
    tcase_add_test(tc, api_model);
    tcase_add_test(tc, encode_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, truncation_every_offset);
    tcase_add_test(tc, corruptions);
    tcase_add_test(tc, nested_depth_bomb);
    suite_add_tcase(s, tc);
    tc = tcase_create("owned");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, owned_equals_copied);
    tcase_add_test(tc, owned_lifetimes);
    tcase_add_test(tc, owned_hostile);
    suite_add_tcase(s, tc);
    tc = tcase_create("v1");
    tcase_add_test(tc, v1_layout);
    tcase_add_test(tc, v1_signature_roundtrip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(msg_suite());
}
