/* fuzz_pipe.c - libFuzzer harness for the Pipe Binding Protocol documents.
 *
 * Any input is parsed both as a jxta:PipeResolver and as a JxtaWire
 * header.  Whatever parses must satisfy the documented invariants, write,
 * parse again to the same values, and write again to the same bytes (the
 * round trip a peer relies on when it answers or re-propagates).  Crashes,
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

static void res_check(const jxta_pipe_res_t *r)
{
    if (r->answer != JXTA_PIPE_RES_QUERY && r->answer != JXTA_PIPE_RES_ANSWER)
        abort();
    if (jxta_id_kind(&r->pipe_id) != JXTA_ID_PIPE || !r->type || !*r->type)
        abort();
    if (r->npeers > JXTA_PIPE_RES_MAX_PEERS || (r->npeers && !r->peers))
        abort();
    for (size_t i = 0; i < r->npeers; i++)
        if (jxta_id_kind(&r->peers[i]) != JXTA_ID_PEER)
            abort();
    if (r->answer == JXTA_PIPE_RES_QUERY && (r->found != -1 || r->peer_adv))
        abort();
    if (r->answer == JXTA_PIPE_RES_ANSWER && (r->npeers == 0 || r->found < -1 || r->found > 1))
        abort();
}

static void res_round_trip(const jxta_pipe_res_t *r)
{
    jxta_buf_t b1 = JXTA_BUF_INIT, b2 = JXTA_BUF_INIT;
    if (jxta_pipe_res_write(r, &b1) != 0)
        abort();
    jxta_pipe_res_t *r2 = NULL;
    if (jxta_pipe_res_parse(b1.data, b1.len, &r2) != 0)
        abort();
    if (r2->answer != r->answer || !jxta_id_equal(&r2->pipe_id, &r->pipe_id) ||
        strcmp(r2->type, r->type) != 0 || r2->npeers != r->npeers || r2->found != r->found ||
        !same_str(r2->peer_adv, r->peer_adv))
        abort();
    for (size_t i = 0; i < r->npeers; i++)
        if (!jxta_id_equal(&r2->peers[i], &r->peers[i]))
            abort();
    if (jxta_pipe_res_write(r2, &b2) != 0 || b1.len != b2.len ||
        memcmp(b1.data, b2.data, b1.len) != 0)
        abort();
    jxta_pipe_res_free(r2);
    jxta_buf_free(&b1);
    jxta_buf_free(&b2);
}

static void wire_round_trip(const jxta_wire_hdr_t *h)
{
    if (h->ttl < 1 || h->ttl > JXTA_WIRE_MAX_TTL || !memchr(h->msg_id, '\0', sizeof h->msg_id) ||
        !h->msg_id[0] || jxta_id_kind(&h->pipe_id) != JXTA_ID_PIPE ||
        (h->has_src && jxta_id_kind(&h->src_peer) != JXTA_ID_PEER))
        abort();
    jxta_buf_t b1 = JXTA_BUF_INIT, b2 = JXTA_BUF_INIT;
    if (jxta_wire_hdr_write(h, &b1) != 0)
        abort();
    jxta_wire_hdr_t h2;
    if (jxta_wire_hdr_parse(b1.data, b1.len, &h2) != 0)
        abort();
    if (h2.has_src != h->has_src || (h->has_src && !jxta_id_equal(&h2.src_peer, &h->src_peer)) ||
        !jxta_id_equal(&h2.pipe_id, &h->pipe_id) || strcmp(h2.msg_id, h->msg_id) != 0 ||
        h2.ttl != h->ttl)
        abort();
    if (jxta_wire_hdr_write(&h2, &b2) != 0 || b1.len != b2.len ||
        memcmp(b1.data, b2.data, b1.len) != 0)
        abort();
    jxta_buf_free(&b1);
    jxta_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jxta_pipe_res_t *r = NULL;
    if (jxta_pipe_res_parse(data, size, &r) == 0) {
        res_check(r);
        res_round_trip(r);
        jxta_pipe_res_free(r);
    } else if (r) {
        abort();
    }
    jxta_wire_hdr_t h;
    if (jxta_wire_hdr_parse(data, size, &h) == 0)
        wire_round_trip(&h);
    return 0;
}
