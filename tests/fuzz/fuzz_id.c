/* fuzz_id.c - libFuzzer harness for the ID parser.
 *
 * Any input parsed (strictly or leniently) must print canonically, and the
 * printed form must parse strictly back to the same 64 bytes.  64-byte
 * inputs also go through jxta_id_from_bytes. */
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

static void check_roundtrip(const jxta_id_t *id)
{
    jxta_id_text_t t;
    jxta_id_t back;
    const char *s = jxta_id_str(id, &t);
    if (jxta_id_from_string(&back, s) != 0 || !jxta_id_equal(&back, id))
        abort();
    jxta_id_unique_value(id, &t);
    jxta_id_t rel;
    jxta_id_group_of(id, &rel);
    jxta_id_parent_of(id, &rel);
    jxta_id_class_of(id, &rel);
    jxta_wk_describe(id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jxta_id_t id;
    if (jxta_id_parse(&id, (const char *)data, size, 0) == 0)
        check_roundtrip(&id);
    if (jxta_id_parse(&id, (const char *)data, size, JXTA_ID_PARSE_LENIENT) == 0)
        check_roundtrip(&id);
    if (size == JXTA_ID_BYTES && jxta_id_from_bytes(&id, data) == 0)
        check_roundtrip(&id);
    return 0;
}
