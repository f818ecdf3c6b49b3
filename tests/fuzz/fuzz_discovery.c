/* fuzz_discovery.c - libFuzzer harness for the PDP documents.
 *
 * Any input is parsed both as a jxta:DiscoveryQuery and as a
 * jxta:DiscoveryResponse.  Whatever parses must write, parse again to the
 * same values, and write again to the same bytes (the round trip a
 * responder relies on when it echoes or forwards documents).  The input,
 * split at its first NUL, also goes through the value matcher.  Crashes,
 * leaks (ASan), UB and a failed round trip are findings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include <jxta.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    jxta_log_set_level(JXTA_LOG_ERROR);
    xmlInitParser();
    return 0;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void query_round_trip(const jxta_disc_query_t *q)
{
    jxta_buf_t b1 = JXTA_BUF_INIT, b2 = JXTA_BUF_INIT;
    if (jxta_disc_query_write(q, &b1) != 0)
        abort();
    jxta_disc_query_t *q2 = NULL;
    if (jxta_disc_query_parse(b1.data, b1.len, &q2) != 0)
        abort();
    if (q2->type != q->type || q2->threshold != q->threshold || !same_str(q2->attr, q->attr) ||
        !same_str(q2->value, q->value))
        abort();
    if (jxta_disc_query_write(q2, &b2) != 0 || b1.len != b2.len ||
        memcmp(b1.data, b2.data, b1.len) != 0)
        abort();
    jxta_disc_query_free(q2);
    jxta_buf_free(&b1);
    jxta_buf_free(&b2);
}

static void response_round_trip(const jxta_disc_response_t *r)
{
    jxta_buf_t b1 = JXTA_BUF_INIT, b2 = JXTA_BUF_INIT;
    if (jxta_disc_response_write(r, &b1) != 0)
        abort();
    jxta_disc_response_t *r2 = NULL;
    if (jxta_disc_response_parse(b1.data, b1.len, &r2) != 0)
        abort();
    if (r2->type != r->type || r2->count != r->count || !same_str(r2->attr, r->attr) ||
        !same_str(r2->value, r->value))
        abort();
    for (size_t i = 0; i < r->count; i++) {
        const jxta_disc_entry_t *a = &r->entries[i], *b = &r2->entries[i];
        if (a->len != b->len || strcmp(a->adv_xml, b->adv_xml) != 0 ||
            a->expiration_ms != b->expiration_ms || a->len != strlen(a->adv_xml))
            abort();
        if (a->expiration_ms < -1 ||
            (a->expiration_ms >= JXTA_DISC_EXP_INFINITE_MIN &&
             a->expiration_ms != JXTA_DISC_EXP_INFINITE))
            abort();
    }
    if (jxta_disc_response_write(r2, &b2) != 0 || b1.len != b2.len ||
        memcmp(b1.data, b2.data, b1.len) != 0)
        abort();
    jxta_disc_response_free(r2);
    jxta_buf_free(&b1);
    jxta_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jxta_disc_query_t *q = NULL;
    if (jxta_disc_query_parse(data, size, &q) == 0) {
        if (q->type < 0 || q->type > 2 || q->threshold < 0 || (q->value && !q->attr))
            abort();
        query_round_trip(q);
        jxta_disc_query_free(q);
    }
    jxta_disc_response_t *r = NULL;
    if (jxta_disc_response_parse(data, size, &r) == 0) {
        if (r->count > JXTA_DISC_MAX_ENTRIES)
            abort();
        response_round_trip(r);
        jxta_disc_response_free(r);
    }
    /* Matcher: pattern and value from the input. */
    char *copy = malloc(size + 2);
    if (copy) {
        memcpy(copy, data, size);
        copy[size] = '\0';
        copy[size + 1] = '\0';
        const char *pattern = copy;
        const char *value = copy + strlen(copy) + 1;
        int m = jxta_disc_value_match(pattern, value);
        if (m != 0 && m != 1)
            abort();
        if (jxta_disc_value_match(pattern, pattern) != 1)
            abort(); /* every pattern matches its own text */
        free(copy);
    }
    return 0;
}
