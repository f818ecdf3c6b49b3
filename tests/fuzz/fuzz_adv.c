/* fuzz_adv.c - libFuzzer harness for the XML layer and advertisements.
 *
 * Any input: parse it as an advertisement; if that works, write it back,
 * parse the output again and require an equal advertisement (the round
 * trip every peer relies on), and check the pretty form parses too.  The
 * input also goes through jxta_xml_pretty.  Crashes, leaks (ASan), UB and
 * a failed round trip are findings. */
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

static void round_trip(const jxta_adv_t *adv, unsigned flags)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    if (jxta_adv_write(adv, flags, &b) != 0)
        abort();
    jxta_adv_t *again = NULL;
    int rc = jxta_adv_parse(b.data, b.len, &again);
    if (rc != 0 || !jxta_adv_equal(adv, again))
        abort();
    jxta_adv_free(again);
    jxta_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jxta_adv_t *adv = NULL;
    if (jxta_adv_parse(data, size, &adv) == 0) {
        round_trip(adv, 0);
        round_trip(adv, JXTA_XML_INDENT);
        jxta_adv_index_entry_t idx[8];
        (void)jxta_adv_index(adv, idx, 8);
        jxta_id_t id;
        (void)jxta_adv_id(adv, &id);
        const char *eas[8];
        (void)jxta_pa_endpoints(adv, eas, 8);
        jxta_adv_free(adv);
    }
    jxta_buf_t b = JXTA_BUF_INIT;
    (void)jxta_xml_pretty(data, size, &b);
    jxta_buf_free(&b);
    return 0;
}
