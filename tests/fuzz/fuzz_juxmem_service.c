/* fuzz_juxmem_service.c - libFuzzer harness for what the JuxMem service
 * layer reads from the network besides protocol messages: the jxta:JuxMemData
 * advertisement and the texts of the JuxMemAlloc / JuxMemStat / JuxMemMember
 * resolver exchanges.
 *
 * The input is parsed as an advertisement (a JuxMemData that parses must
 * read back, rebuild and read back the same) and, NUL-terminated, as an
 * allocation query, an allocation answer, a stat answer, a cluster hello and
 * a manager list, whose results must respect their bounds (counts, lock
 * state, distinct providers and managers, free <= offered).
 * Crashes, leaks (ASan), UB and failed invariants are findings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include <jxta.h>

#include "../../juxmem/service.h"

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

static void data_adv(const uint8_t *data, size_t size)
{
    jxta_adv_t *adv = NULL;
    if (jxta_adv_parse(data, size, &adv) < 0)
        return;
    juxmem_block_adv_info_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    if (a && b && strcmp(jxta_adv_type_name(adv), "jxta:JuxMemData") == 0) {
        if (juxmem_block_adv_get(adv, a) != 0)
            abort(); /* parsed means checked */
        jxta_adv_t *again = NULL;
        if (juxmem_block_adv_new(a, &again) != 0 || juxmem_block_adv_get(again, b) != 0 ||
            memcmp(a, b, sizeof *a) != 0)
            abort();
        jxta_adv_free(again);
    }
    free(a);
    free(b);
    jxta_adv_free(adv);
}

static void texts(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    uint64_t sz;
    unsigned want;
    if (juxmem__parse_alloc_query(text, &sz, &want) == 0 &&
        (sz == 0 || want == 0 || want > JUXMEM_MAX_COPIES))
        abort();
    juxmem_member_t *m = calloc(4, sizeof *m);
    size_t n = 99;
    int rc = juxmem__parse_alloc_answer(text, m, 4, &n);
    if (rc == 0) {
        if (n == 0 || n > 4)
            abort();
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < i; k++)
                if (jxta_id_equal(&m[i].peer, &m[k].peer))
                    abort();
    } else if (rc > 0) {
        abort();
    }
    free(m);
    juxmem_stat_t *st = calloc(1, sizeof *st);
    jxta_id_t redirect;
    rc = juxmem__parse_stat_answer(text, st, &redirect);
    if (rc == 0 && (st->locked < 0 || st->locked > 2 || st->ncopies > JUXMEM_MAX_COPIES))
        abort();
    free(st);
    char cl[JUXMEM_CLUSTER_NAME_MAX + 1];
    int mgr;
    uint64_t off, fr;
    if (juxmem__parse_hello(text, cl, sizeof cl, &mgr, &off, &fr) == 0 &&
        (fr > off || (mgr != 0 && mgr != 1) || strlen(cl) == 0))
        abort();
    jxta_id_t ids[JUXMEM_MAX_MANAGERS];
    n = 99;
    if (juxmem__parse_manager_list(text, cl, sizeof cl, ids, JUXMEM_MAX_MANAGERS, &n) == 0) {
        if (n == 0 || n > JUXMEM_MAX_MANAGERS)
            abort();
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < i; k++)
                if (jxta_id_equal(&ids[i], &ids[k]))
                    abort();
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    data_adv(data, size);
    texts(data, size);
    return 0;
}
