/* fuzz_msg.c - libFuzzer harness for the binary message decoder.
 *
 * Beyond "no crash, no leak", it checks the round-trip properties the
 * rest of the stack relies on: a version-0 message re-encodes to exactly
 * the input bytes; any decoded message survives v0 and v1 encode/decode
 * unchanged; nested messages decode (bounded by the depth limit) and the
 * CHECK_NESTED decode agrees with walking them by hand. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    jxta_log_set_level(JXTA_LOG_ERROR);
    return 0;
}

/* Decode and re-encode; returns 1 if a re-encoded form was checked. */
static void check_roundtrip(const jxta_msg_t *m, const uint8_t *data, size_t size)
{
    jxta_buf_t v0 = JXTA_BUF_INIT, v1 = JXTA_BUF_INIT, again = JXTA_BUF_INIT;
    jxta_msg_t *m0 = NULL, *m1 = NULL;

    int rc0 = jxta_msg_encode(m, JXTA_MSG_V0, &v0);
    if (jxta_msg_wire_version(m) == JXTA_MSG_V0) {
        /* A version-0 input comes back byte for byte. */
        if (rc0 != 0 || v0.len != size || memcmp(v0.data, data, size) != 0)
            abort();
    }
    if (rc0 == 0) {
        if (jxta_msg_decode(v0.data, v0.len, NULL, &m0) != 0 || !jxta_msg_equal(m, m0))
            abort();
        if (jxta_msg_encode(m0, JXTA_MSG_V0, &again) != 0 || again.len != v0.len ||
            memcmp(again.data, v0.data, v0.len) != 0)
            abort();
    } else if (rc0 != JXTA_ETOOBIG) {
        abort(); /* only a v1 message with > 253 namespaces cannot be written as v0 */
    }
    if (jxta_msg_encode(m, JXTA_MSG_V1, &v1) != 0)
        abort();
    if (jxta_msg_decode(v1.data, v1.len, NULL, &m1) != 0 || !jxta_msg_equal(m, m1))
        abort();
    jxta_msg_free(m0);
    jxta_msg_free(m1);
    jxta_buf_free(&v0);
    jxta_buf_free(&v1);
    jxta_buf_free(&again);
}

/* Walk nested messages by hand; returns 0 if all decode, else the error. */
static int walk_nested(const jxta_msg_t *m, const jxta_msg_limits_t *lim)
{
    int result = 0;
    for (size_t i = 0; i < jxta_msg_count(m); i++) {
        const jxta_msg_elem_t *e = jxta_msg_get(m, i);
        for (int k = 0; k < 2 && e; k++, e = jxta_msg_elem_signature(e)) {
            if (!jxta_msg_elem_is_message(e))
                continue;
            jxta_msg_t *inner = NULL;
            int rc = jxta_msg_elem_decode_nested(e, lim, &inner);
            if (rc == 0) {
                if (jxta_msg_depth(inner) != jxta_msg_depth(m) + 1)
                    abort();
                rc = walk_nested(inner, lim);
                jxta_msg_free(inner);
            } else if (inner) {
                abort();
            }
            if (rc < 0 && result == 0)
                result = rc;
        }
    }
    return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jxta_msg_limits_t lim;
    jxta_msg_limits_default(&lim);
    lim.max_size = 1 << 20;
    lim.max_depth = 4;

    jxta_msg_t *m = NULL;
    size_t off = 0;
    int rc = jxta_msg_decode_ex(data, size, &lim, &m, &off);
    if (rc < 0) {
        if (m || off > size || rc > JXTA_OK || rc <= JXTA__ELAST)
            abort();
        return 0;
    }
    if (!m || jxta_msg_depth(m) != 0)
        abort();
    check_roundtrip(m, data, size);

    /* Nested decoding: by hand and with CHECK_NESTED must agree. */
    int walked = walk_nested(m, &lim);
    jxta_msg_limits_t strict = lim;
    strict.flags |= JXTA_MSG_CHECK_NESTED;
    jxta_msg_t *ms = NULL;
    int rcs = jxta_msg_decode(data, size, &strict, &ms);
    if ((rcs == 0) != (walked == 0))
        abort();
    if (rcs == 0 && !jxta_msg_equal(m, ms))
        abort();
    jxta_msg_free(ms);

    /* Exercise the model: lookups, removal of the first element. */
    for (size_t i = 0; i < jxta_msg_count(m); i++) {
        const jxta_msg_elem_t *e = jxta_msg_get(m, i);
        const jxta_msg_elem_t *f = jxta_msg_find(m, jxta_msg_elem_ns(e), jxta_msg_elem_name(e));
        if (!f)
            abort();
        (void)jxta_msg_elem_is_text(e);
    }
    if (jxta_msg_count(m) > 0) {
        size_t before = jxta_msg_count(m);
        if (jxta_msg_remove_at(m, 0) != 0 || jxta_msg_count(m) != before - 1)
            abort();
    }
    jxta_msg_free(m);
    return 0;
}
