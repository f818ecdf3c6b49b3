/* fuzz_juxmem.c - libFuzzer harness for the JuxMem protocol and
 * advertisements.
 *
 * Any input is decoded as a JXTA wire message carrying a JuxMem protocol
 * message.  Whatever decodes must pass the protocol rules, encode, decode
 * to the same values and encode to the same bytes; it is then delivered to
 * a provider holding that block (as sequencer and as a plain copy), to a
 * client and to allocation/free requesters, which must not crash, leak or
 * break the memory accounting.
 * The input is also parsed as an advertisement: a JuxMem memory, cluster or
 * block advertisement that parses must read back, be rebuilt and read back the
 * same.  Crashes, leaks (ASan), UB and failed invariants are findings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include <jxta.h>

#include "../../juxmem/block.h"
#include "../../juxmem/proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    jxta_log_set_level(JXTA_LOG_ERROR);
    xmlInitParser();
    if (juxmem_adv_register() != 0)
        abort();
    return 0;
}

static void round_trip(const juxmem_pmsg_t *m)
{
    jxta_buf_t b1 = JXTA_BUF_INIT, b2 = JXTA_BUF_INIT;
    if (juxmem_pmsg_check(m) != 0 || juxmem_pmsg_to_wire(m, &b1) != 0)
        abort();
    juxmem_pmsg_t m2;
    if (juxmem_pmsg_from_wire(b1.data, b1.len, &m2) != 0)
        abort();
    if (m2.type != m->type || m2.flags != m->flags || m2.epoch != m->epoch ||
        m2.status != m->status || m2.seq != m->seq || m2.token != m->token ||
        m2.version != m->version || m2.size != m->size || m2.nranges != m->nranges ||
        m2.nmembers != m->nmembers || !jxta_id_equal(&m2.hint, &m->hint))
        abort();
    if (juxmem_pmsg_to_wire(&m2, &b2) != 0 || b1.len != b2.len ||
        memcmp(b1.data, b2.data, b1.len) != 0)
        abort();
    juxmem_pmsg_clear(&m2);
    jxta_buf_free(&b1);
    jxta_buf_free(&b2);
}

/* Deliver `m` to a provider holding its block, first as the sequencer
 * (members: this provider and the sender), then as a plain copy whose
 * sequencer is the sender; and to a client of the block. */
static void deliver(const juxmem_pmsg_t *m)
{
    static const uint8_t seeds[2][20] = {{1}, {2}};
    for (int role = 0; role < 2; role++) {
        jxta_id_t self;
        jxta_id_peer_from_seed(&self, &jxta_id_net_group, seeds[role], 20);
        if (jxta_id_equal(&self, &m->from))
            continue;
        juxmem_provider_t *p;
        juxmem_block_cfg_t cfg;
        juxmem_block_cfg_default(&cfg);
        cfg.max_tombs = 4;
        if (juxmem_provider_new(&self, "f", 1u << 16, &cfg, &p) != 0)
            abort();
        juxmem_member_t mem[2];
        memset(mem, 0, sizeof mem);
        mem[0].peer = self;
        mem[1].peer = m->from;
        uint64_t bsize = m->size && m->size <= 4096 ? m->size : 64;
        if (juxmem_provider_alloc(p, &m->data, bsize, mem, 2, role ? &m->from : &self, 1, 0) != 0)
            abort();
        juxmem_out_t o;
        juxmem_out_init(&o);
        juxmem_provider_handle(p, m, 1, &o);
        juxmem_provider_handle(p, m, 2, &o); /* duplicated */
        juxmem_provider_tick(p, 100000, &o);
        for (size_t i = 0; i < o.n; i++)
            if (juxmem_pmsg_check(&o.v[i].m) != 0) /* everything sent is valid */
                abort();
        if (juxmem_provider_used(p) > juxmem_provider_offered(p) ||
            (juxmem_provider_nblocks(p) == 0 && juxmem_provider_used(p) != 0))
            abort();
        juxmem_out_clear(&o);
        juxmem_provider_free(p);
    }
    jxta_id_t cid;
    static const uint8_t cseed[20] = {3};
    jxta_id_peer_from_seed(&cid, &jxta_id_net_group, cseed, 20);
    juxmem_member_t cp;
    memset(&cp, 0, sizeof cp);
    cp.peer = m->from;
    juxmem_client_t *c;
    if (juxmem_client_new(&cid, &m->data, 16, &cp, 1, NULL, &c) != 0)
        abort();
    juxmem_out_t o;
    juxmem_out_init(&o);
    if (juxmem_client_acquire(c, JUXMEM_MODE_EXCL, 0, 1000, &o) != 0)
        abort();
    juxmem_client_handle(c, m, 1, &o);
    juxmem_client_tick(c, 2000, &o);
    juxmem_out_clear(&o);
    juxmem_client_free(c);
    /* and to an allocation and a free in progress */
    for (int kind = 0; kind < 2; kind++) {
        juxmem_fanout_t *f;
        int rc = kind ? juxmem_fanout_free(&cid, &m->data, &cp, 1, NULL, 0, 1000, &o, &f)
                      : juxmem_fanout_alloc(&cid, &m->data, 16, &cp, 1, NULL, 0, 1000, &o, &f);
        if (rc != 0)
            abort();
        juxmem_fanout_handle(f, m, 1, &o);
        juxmem_fanout_tick(f, 5000, &o);
        juxmem_fanout_tick(f, 10000, &o);
        juxmem_out_clear(&o);
        juxmem_fanout_free_op(f);
    }
}

static void adv_check(const uint8_t *data, size_t size)
{
    jxta_adv_t *adv = NULL;
    if (jxta_adv_parse(data, size, &adv) != 0)
        return;
    const jxta_adv_type_t *t = jxta_adv_type(adv);
    if (t == &juxmem_adv_type_memory) {
        juxmem_memory_info_t a, b;
        jxta_adv_t *again;
        if (juxmem_memory_adv_get(adv, &a) != 0 || juxmem_memory_adv_new(&a, &again) != 0 ||
            juxmem_memory_adv_get(again, &b) != 0 || memcmp(&a, &b, sizeof a) != 0)
            abort();
        jxta_adv_free(again);
    } else if (t == &juxmem_adv_type_block) {
        static juxmem_block_adv_info_t a, b;
        jxta_adv_t *again;
        if (juxmem_block_adv_get(adv, &a) != 0 || juxmem_block_adv_new(&a, &again) != 0 ||
            juxmem_block_adv_get(again, &b) != 0 || memcmp(&a, &b, sizeof a) != 0)
            abort();
        jxta_adv_free(again);
    } else if (t == &juxmem_adv_type_cluster) {
        static juxmem_cluster_info_t a, b;
        jxta_adv_t *again;
        if (juxmem_cluster_adv_get(adv, &a) != 0 || juxmem_cluster_adv_new(&a, &again) != 0 ||
            juxmem_cluster_adv_get(again, &b) != 0 || memcmp(&a, &b, sizeof a) != 0)
            abort();
        jxta_adv_free(again);
    }
    jxta_adv_free(adv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    juxmem_pmsg_t m;
    if (juxmem_pmsg_from_wire(data, size, &m) == 0) {
        round_trip(&m);
        deliver(&m);
        juxmem_pmsg_clear(&m);
    } else if (m.nranges || m.nmembers || m.ranges || m.members) {
        abort();
    }
    adv_check(data, size);
    return 0;
}
