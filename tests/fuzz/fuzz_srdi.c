/* fuzz_srdi.c - libFuzzer harness for the SRDI layer: gunzip and the two
 * SRDI documents.
 *
 * Every input goes to jxta_gunzip with a small cap (a bomb must stop at
 * the cap, never allocate more), to jxta_rsrdi_parse and to
 * jxta_srdi_parse; whatever parses is written back, parsed again and must
 * be equal (ResolverSRDI: same handler and payload; GenSRDI: equal
 * structs).  Inflated output, and the payload of a parsed wrapper, go
 * round the same loop, and the input as an application/gzip or text/xml
 * message element goes through jxta_srdi_element_decode.  Seeds: the
 * captured SRDI element bodies (gzip) and their inflated documents.
 * Crashes, leaks (ASan), UB and a failed round trip are findings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include <jxta.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP ((size_t)256 << 10)

static const jxta_srdi_limits_t lim = {CAP, 4096};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    jxta_log_set_level(JXTA_LOG_ERROR);
    xmlInitParser();
    return 0;
}

static void gen_round_trip(const void *p, size_t n)
{
    jxta_srdi_t s, t;
    jxta_srdi_init(&s);
    jxta_srdi_init(&t);
    if (jxta_srdi_parse(p, n, &lim, &s) == 0) {
        jxta_buf_t b = JXTA_BUF_INIT;
        if (jxta_srdi_write(&s, &b) != 0)
            abort();
        if (jxta_srdi_parse(b.data, b.len, &lim, &t) != 0 || !jxta_srdi_equal(&s, &t))
            abort();
        jxta_buf_free(&b);
    }
    jxta_srdi_clear(&s);
    jxta_srdi_clear(&t);
}

static void rsrdi_round_trip(const void *p, size_t n)
{
    jxta_rsrdi_t r, r2;
    if (jxta_rsrdi_parse(p, n, &lim, &r) != 0)
        return;
    jxta_buf_t b = JXTA_BUF_INIT;
    if (jxta_rsrdi_write(r.handler, r.payload, &b) != 0)
        abort();
    if (jxta_rsrdi_parse(b.data, b.len, &lim, &r2) != 0 || strcmp(r.handler, r2.handler) != 0 ||
        strcmp(r.payload, r2.payload) != 0)
        abort();
    gen_round_trip(r.payload, strlen(r.payload));
    jxta_rsrdi_clear(&r2);
    jxta_rsrdi_clear(&r);
    jxta_buf_free(&b);
}

static void as_element(const uint8_t *data, size_t size, const char *type)
{
    jxta_msg_elem_t *e;
    if (jxta_msg_elem_new(&e, "jxta", "jxta-NetGroupSrdi", type, data, size) != 0)
        return;
    jxta_srdi_t s;
    jxta_srdi_init(&s);
    char *h = NULL;
    if (jxta_srdi_element_decode(e, &lim, &h, &s) == 0) {
        jxta_msg_t *m;
        if (jxta_msg_new(&m) != 0)
            abort();
        if (jxta_srdi_element_encode(h, &s, m, "x") != 0)
            abort();
        jxta_msg_free(m);
    }
    free(h);
    jxta_srdi_clear(&s);
    jxta_msg_elem_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jxta_buf_t out = JXTA_BUF_INIT;
    if (jxta_gunzip(data, size, CAP, &out) == 0) {
        if (out.len > CAP)
            abort();
        /* Recompressing gives a stream that inflates to the same bytes. */
        jxta_buf_t z = JXTA_BUF_INIT, again = JXTA_BUF_INIT;
        if (jxta_gzip(out.data, out.len, &z) != 0 || jxta_gunzip(z.data, z.len, CAP, &again) != 0 ||
            again.len != out.len || (out.len && memcmp(again.data, out.data, out.len) != 0))
            abort();
        jxta_buf_free(&z);
        jxta_buf_free(&again);
        rsrdi_round_trip(out.data, out.len);
        gen_round_trip(out.data, out.len);
        as_element(data, size, "application/gzip");
    } else if (out.len != 0) {
        abort(); /* failure must leave the buffer as it was */
    }
    jxta_buf_free(&out);
    rsrdi_round_trip(data, size);
    gen_round_trip(data, size);
    as_element(data, size, "text/xml;charset=UTF-8");
    return 0;
}
