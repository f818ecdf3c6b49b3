/* test_id.c - JXTA IDs: every entry of JXSE's ids.json reproduced from its
 * inputs, canonical printing, strict and lenient parsing, rejection of
 * malformed and non-canonical text, generation and structure accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

/* ids.json is a flat object of "key": "value" string pairs, one per line;
 * this reads it without a JSON library. */
typedef struct {
    char key[128];
    char val[192];
} kv_t;

static size_t load_ids(kv_t **out)
{
    char *path = tu_vector_path("dump/ids.json");
    size_t len;
    char *text = (char *)tu_read(path, &len);
    free(path);
    size_t n = 0, cap = 64;
    kv_t *v = calloc(cap, sizeof *v);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char k[128], val[192];
        if (sscanf(line, " \"%127[^\"]\" : \"%191[^\"]\"", k, val) == 2) {
            if (n == cap)
                v = realloc(v, (cap *= 2) * sizeof *v);
            snprintf(v[n].key, sizeof v[n].key, "%s", k);
            snprintf(v[n].val, sizeof v[n].val, "%s", val);
            n++;
        }
    }
    free(text);
    *out = v;
    return n;
}

static void assert_id_text(const jxta_id_t *id, const char *want)
{
    jxta_id_text_t t;
    ck_assert_str_eq(jxta_id_str(id, &t), want);
}

START_TEST(test_ids_json_reproduced)
{
    kv_t *v;
    size_t n = load_ids(&v);
    ck_assert_uint_ge(n, 40);
    size_t seeded = 0, wk = 0, other = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = v[i].key;
        char seed[128];
        uint8_t sh[20];
        jxta_id_t id, parsed;
        if (strncmp(k, "seed-", 5) == 0)
            continue; /* the description of the derivation */
        if (strncmp(v[i].val, "urn:jxta:", 9) == 0) {
            /* Every ID in the file is canonical: parses strictly, prints back. */
            ck_assert_msg(jxta_id_from_string(&parsed, v[i].val) == 0, "%s", v[i].val);
            assert_id_text(&parsed, v[i].val);
        }
        if (sscanf(k, "PeerID(seed=%127[^)])", seed) == 1) {
            jxta_seed_from_text(sh, seed);
            ck_assert_int_eq(jxta_id_peer_from_seed(&id, &jxta_id_net_group, sh, 20), 0);
            assert_id_text(&id, v[i].val);
            seeded++;
        } else if (sscanf(k, "PipeID(seed=%127[^)])", seed) == 1) {
            jxta_seed_from_text(sh, seed);
            ck_assert_int_eq(jxta_id_pipe_from_seed(&id, &jxta_id_net_group, sh, 20), 0);
            assert_id_text(&id, v[i].val);
            seeded++;
        } else if (sscanf(k, "PeerGroupID(child, seed=%127[^)])", seed) == 1) {
            jxta_seed_from_text(sh, seed);
            ck_assert_int_eq(jxta_id_group_from_seed(&id, &jxta_id_net_group, sh, 20), 0);
            assert_id_text(&id, v[i].val);
            jxta_id_t parent;
            ck_assert_int_eq(jxta_id_parent_of(&id, &parent), 0);
            ck_assert(jxta_id_is_net_group(&parent));
            seeded++;
        } else if (sscanf(k, "CodatID(seed=%127[^)])", seed) == 1) {
            jxta_seed_from_text(sh, seed);
            ck_assert_int_eq(jxta_id_codat_from_seed(&id, &jxta_id_net_group, sh, 20), 0);
            assert_id_text(&id, v[i].val);
            seeded++;
        } else if (strncmp(k, "PeerGroup.", 10) == 0) {
            /* Every well-known class/spec ID is in our table under some name. */
            ck_assert_msg(jxta_wk_describe(&parsed) != NULL, "%s not in wellknown table", k);
            wk++;
        } else if (strstr(k, "getUniqueValue")) {
            jxta_id_text_t t;
            if (strncmp(k, "NetPeerGroupID", 14) == 0) {
                ck_assert_str_eq(jxta_id_unique_value(&jxta_id_net_group, &t), v[i].val);
            } else {
                char urn[200];
                snprintf(urn, sizeof urn, "urn:jxta:%s", v[i].val);
                ck_assert_int_eq(jxta_id_from_string(&id, urn), 0);
                ck_assert_str_eq(jxta_id_unique_value(&id, &t), v[i].val);
            }
            other++;
        } else if (strstr(k, "random example")) {
            jxta_id_kind_t want = strncmp(k, "PeerID", 6) == 0        ? JXTA_ID_PEER
                                  : strncmp(k, "PeerGroupID", 11) == 0 ? JXTA_ID_GROUP
                                  : strncmp(k, "ModuleClass", 11) == 0 ? JXTA_ID_MODULE_CLASS
                                                                       : JXTA_ID_MODULE_SPEC;
            ck_assert_int_eq(jxta_id_kind(&parsed), want);
            other++;
        } else {
            ck_abort_msg("unexpected key in ids.json: %s", k);
        }
    }
    ck_assert_uint_eq(seeded, 7);
    ck_assert_uint_ge(wk, 30);
    ck_assert_uint_ge(other, 6);
    free(v);
}
END_TEST

START_TEST(test_wellknown_table)
{
    jxta_id_text_t t;
    for (int i = 0; i < JXTA_WK__COUNT; i++) {
        const jxta_id_t *id = jxta_wk_id((jxta_wk_t)i);
        ck_assert_ptr_nonnull(id);
        ck_assert(!jxta_id_is_null(id));
        ck_assert_str_eq(jxta_id_str(id, &t), jxta_wk_urn((jxta_wk_t)i));
        ck_assert_str_eq(jxta_wk_describe(id), jxta_wk_name((jxta_wk_t)i));
    }
    ck_assert_ptr_null(jxta_wk_id(JXTA_WK__COUNT));
    /* A spec's class is the class of the same service. */
    jxta_id_t cls;
    ck_assert_int_eq(jxta_id_class_of(jxta_wk_id(JXTA_WK_SPEC_RESOLVER), &cls), 0);
    ck_assert(jxta_id_equal(&cls, jxta_wk_id(JXTA_WK_CLASS_RESOLVER)));
    ck_assert_int_eq(jxta_id_class_of(&cls, &cls), JXTA_EINVAL);
}
END_TEST

START_TEST(test_well_known_groups)
{
    jxta_id_t id;
    ck_assert_int_eq(jxta_id_from_string(&id, "urn:jxta:jxta-NetGroup"), 0);
    ck_assert(jxta_id_is_net_group(&id));
    ck_assert_int_eq(jxta_id_kind(&id), JXTA_ID_GROUP);
    ck_assert_int_eq(jxta_id_from_string(&id, "urn:jxta:jxta-WorldGroup"), 0);
    ck_assert(jxta_id_is_world_group(&id));
    ck_assert_int_eq(jxta_id_from_string(&id, "urn:jxta:jxta-Null"), 0);
    ck_assert(jxta_id_is_null(&id));
    ck_assert_int_eq(jxta_id_kind(&id), JXTA_ID_NULL);
    /* The uuid spellings map to the well-known IDs and print as such. */
    ck_assert_int_eq(
        jxta_id_from_string(&id, "urn:jxta:uuid-59616261646162614A7874615032503302"), 0);
    ck_assert(jxta_id_is_world_group(&id));
    assert_id_text(&id, "urn:jxta:jxta-WorldGroup");
    ck_assert_int_eq(
        jxta_id_from_string(&id, "urn:jxta:uuid-59616261646162614E5047205032503302"), 0);
    ck_assert(jxta_id_is_net_group(&id));
    assert_id_text(&id, "urn:jxta:jxta-NetGroup");
    /* WG is NG's parent; WG has none. */
    jxta_id_t p;
    ck_assert_int_eq(jxta_id_parent_of(&jxta_id_net_group, &p), 0);
    ck_assert(jxta_id_is_world_group(&p));
    ck_assert_int_eq(jxta_id_parent_of(&jxta_id_world_group, &p), JXTA_ENOTFOUND);
    /* Members of NG embed its uuid bytes; their group maps back to jxta-NetGroup. */
    ck_assert_int_eq(jxta_id_from_string(&id, "urn:jxta:uuid-59616261646162614E504720503250332EC7D6"
                                              "62865D4477B78CAECC702112E303"),
                     0);
    ck_assert_int_eq(jxta_id_group_of(&id, &p), 0);
    assert_id_text(&p, "urn:jxta:jxta-NetGroup");
    ck_assert_int_eq(jxta_id_group_of(&jxta_id_net_group, &p), JXTA_EINVAL);
    jxta_id_text_t t;
    ck_assert_str_eq(jxta_id_unique_value(&jxta_id_world_group, &t), "jxta-WorldGroup");
}
END_TEST

START_TEST(test_canonical_printing)
{
    jxta_id_t id;
    memset(&id, 0, sizeof id);
    id.b[63] = JXTA_ID_GROUP;
    id.b[0] = 0xAB;
    assert_id_text(&id, "urn:jxta:uuid-AB02");
    id.b[0] = 0; /* index 0 is kept even when zero */
    id.b[1] = 0;
    assert_id_text(&id, "urn:jxta:uuid-0002");
    id.b[5] = 0x0c;
    assert_id_text(&id, "urn:jxta:uuid-00000000000C02");
    /* Truncating buffer: NUL-terminated, full length returned. */
    char small[12];
    size_t n = jxta_id_format(&id, small, sizeof small);
    ck_assert_uint_eq(n, strlen("urn:jxta:uuid-00000000000C02"));
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

static const struct {
    const char *text;
    int strict; /* expected strict result */
    int lenient; /* expected lenient result */
} parse_cases[] = {
    /* non-canonical spellings JXSE tolerates */
    {"urn:jxta:uuid-59616261646162614e504720503250332ec7d662865d4477b78caecc702112e303",
     JXTA_ENONCANON, 0},
    {"URN:JXTA:jxta-NetGroup", JXTA_ENONCANON, 0},
    {"urn:jxta:jxta-netgroup", JXTA_ENONCANON, 0},
    {"urn:jxta:uuid-AB000002", JXTA_ENONCANON, 0}, /* zero padding */
    {"urn:jxta:uuid-59616261646162614E5047205032503300000002", JXTA_ENONCANON, 0},
    {"urn:jxta:uuid-02", JXTA_ENONCANON, 0}, /* no body byte */
    /* malformed for everyone */
    {"", JXTA_EBADID, JXTA_EBADID},
    {"urn:jxta:", JXTA_EBADID, JXTA_EBADID},
    {"urn:jxta:uuid-", JXTA_EBADID, JXTA_EBADID},
    {"urn:jxta:uuid-ABC02", JXTA_EBADID, JXTA_EBADID},  /* odd length */
    {"urn:jxta:uuid-AB07", JXTA_EBADID, JXTA_EBADID},   /* type 7 */
    {"urn:jxta:uuid-AB00", JXTA_EBADID, JXTA_EBADID},   /* type 0 */
    {"urn:jxta:uuid-ABFF", JXTA_EBADID, JXTA_EBADID},   /* unknown type */
    {"urn:jxta:uuid-XY02", JXTA_EBADID, JXTA_EBADID},   /* not hex */
    {"urn:jxta:uuid-AB 02", JXTA_EBADID, JXTA_EBADID},
    {" urn:jxta:jxta-NetGroup", JXTA_EBADID, JXTA_EBADID},
    {"urn:jxta:jxta-NetGroup ", JXTA_EBADID, JXTA_EBADID},
    {"urn:jxta:jxta-Nothing", JXTA_EBADID, JXTA_EBADID},
    {"urn:jxta:cbid-AB02", JXTA_EBADID, JXTA_EBADID},
    {"urn:jxta:uuidAB02", JXTA_EBADID, JXTA_EBADID},
    {"urn:foo:uuid-AB02", JXTA_EBADID, JXTA_EBADID},
    {"jxta-NetGroup", JXTA_EBADID, JXTA_EBADID},
    /* a peer ID with bytes beyond its two UUIDs */
    {"urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E3FF03",
     JXTA_EBADID, JXTA_EBADID},
    /* 130 hex digits: over the 128 limit */
    {"urn:jxta:uuid-"
     "0101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101010101",
     JXTA_EBADID, JXTA_EBADID},
};

START_TEST(test_parse_rejects)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        jxta_id_t id;
        const char *s = parse_cases[i].text;
        ck_assert_msg(jxta_id_parse(&id, s, strlen(s), 0) == parse_cases[i].strict,
                      "strict '%s' gave %s", s, jxta_errname(jxta_id_parse(&id, s, strlen(s), 0)));
        ck_assert_msg(jxta_id_parse(&id, s, strlen(s), JXTA_ID_PARSE_LENIENT) ==
                          parse_cases[i].lenient,
                      "lenient '%s'", s);
    }
    /* The lenient forms parse to the canonical value. */
    jxta_id_t id;
    const char *low = parse_cases[0].text;
    ck_assert_int_eq(jxta_id_parse(&id, low, strlen(low), JXTA_ID_PARSE_LENIENT), 0);
    assert_id_text(&id, "urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC"
                        "702112E303");
    ck_assert_int_eq(jxta_id_parse(&id, "urn:jxta:uuid-AB000002", 22, JXTA_ID_PARSE_LENIENT), 0);
    assert_id_text(&id, "urn:jxta:uuid-AB02");
    /* Length-delimited: text need not be NUL-terminated. */
    ck_assert_int_eq(jxta_id_parse(&id, "urn:jxta:jxta-NetGroupXYZ", 22, 0), 0);
    ck_assert(jxta_id_is_net_group(&id));
    ck_assert_int_eq(jxta_id_parse(NULL, "x", 1, 0), JXTA_EINVAL);
    ck_assert_int_eq(jxta_id_from_string(&id, NULL), JXTA_EINVAL);
    /* Embedded NUL is malformed, not truncated silently. */
    ck_assert_int_eq(jxta_id_parse(&id, "urn:jxta:uuid-AB\0" "02", 19, 0), JXTA_EBADID);
}
END_TEST

START_TEST(test_from_bytes)
{
    uint8_t b[64] = {0};
    jxta_id_t id;
    ck_assert_int_eq(jxta_id_from_bytes(&id, b), 0); /* the null ID */
    ck_assert(jxta_id_is_null(&id));
    b[0] = 1; /* non-zero data with type 0 */
    ck_assert_int_eq(jxta_id_from_bytes(&id, b), JXTA_EBADID);
    b[63] = JXTA_ID_PEER;
    ck_assert_int_eq(jxta_id_from_bytes(&id, b), 0);
    b[40] = 1; /* outside a peer ID's fields */
    ck_assert_int_eq(jxta_id_from_bytes(&id, b), JXTA_EBADID);
    b[63] = JXTA_ID_CODAT; /* inside a codat's hash field */
    ck_assert_int_eq(jxta_id_from_bytes(&id, b), 0);
    b[63] = 7;
    ck_assert_int_eq(jxta_id_from_bytes(&id, b), JXTA_EBADID);
}
END_TEST

static void check_random_uuid(const uint8_t *u)
{
    ck_assert_uint_eq(u[6] & 0xF0, 0x40);
    ck_assert_uint_eq(u[8] & 0xC0, 0x80);
    ck_assert_uint_eq(u[10] & 0x80, 0x80);
}

START_TEST(test_generation)
{
    jxta_id_t a, b, g, child, cls, spec, codat;
    ck_assert_int_eq(jxta_id_new_peer(&a, &jxta_id_net_group), 0);
    ck_assert_int_eq(jxta_id_new_peer(&b, &jxta_id_net_group), 0);
    ck_assert(!jxta_id_equal(&a, &b));
    ck_assert_int_eq(jxta_id_kind(&a), JXTA_ID_PEER);
    check_random_uuid(jxta_id_uuid(&a, 1));
    ck_assert_mem_eq(jxta_id_uuid(&a, 0), jxta_id_uuid(&jxta_id_net_group, 0), 16);

    ck_assert_int_eq(jxta_id_new_group(&g, NULL), 0);
    ck_assert_int_eq(jxta_id_kind(&g), JXTA_ID_GROUP);
    jxta_id_t p;
    ck_assert_int_eq(jxta_id_parent_of(&g, &p), JXTA_ENOTFOUND);
    jxta_id_text_t t;
    ck_assert_uint_eq(strlen(jxta_id_str(&g, &t)), 9 + 5 + 34);
    ck_assert_int_eq(jxta_id_new_group(&child, &g), 0);
    ck_assert_int_eq(jxta_id_parent_of(&child, &p), 0);
    ck_assert(jxta_id_equal(&p, &g));

    ck_assert_int_eq(jxta_id_new_pipe(&a, &child), 0);
    ck_assert_int_eq(jxta_id_group_of(&a, &p), 0);
    /* The parent part of a child group is lost in member IDs (as in JXSE). */
    ck_assert_mem_eq(p.b, child.b, 16);
    ck_assert(!jxta_id_equal(&p, &child));

    ck_assert_int_eq(jxta_id_new_module_class(&cls), 0);
    ck_assert_int_eq(jxta_id_new_module_spec(&spec, &cls), 0);
    jxta_id_t back;
    ck_assert_int_eq(jxta_id_class_of(&spec, &back), 0);
    ck_assert(jxta_id_equal(&back, &cls));
    ck_assert_int_eq(jxta_id_new_module_spec(&spec, &g), JXTA_EINVAL);

    ck_assert_int_eq(jxta_id_new_codat_hashed(&codat, &jxta_id_net_group, "abc", 3), 0);
    static const uint8_t sha_abc[20] = {0xA9, 0x99, 0x3E, 0x36, 0x47, 0x06, 0x81,
                                        0x6A, 0xBA, 0x3E, 0x25, 0x71, 0x78, 0x50,
                                        0xC2, 0x6C, 0x9C, 0xD0, 0xD8, 0x9D};
    ck_assert_mem_eq(codat.b + 32, sha_abc, 20);
    ck_assert_uint_eq(strlen(jxta_id_str(&codat, &t)), 9 + 5 + 106);

    /* Every generated ID round-trips through strict parsing. */
    const jxta_id_t *all[] = {&a, &g, &child, &cls, &spec, &codat};
    for (size_t i = 0; i < 6; i++) {
        jxta_id_t r;
        ck_assert_int_eq(jxta_id_from_string(&r, jxta_id_str(all[i], &t)), 0);
        ck_assert(jxta_id_equal(&r, all[i]));
    }
    /* Members need a group. */
    ck_assert_int_eq(jxta_id_new_peer(&a, &cls), JXTA_EINVAL);
    ck_assert_int_eq(jxta_id_new_group(&a, &cls), JXTA_EINVAL);
}
END_TEST

START_TEST(test_seeds)
{
    uint8_t u[16];
    /* Short seeds are zero-padded before masking. */
    jxta_uuid_from_seed(u, "\xff", 1);
    ck_assert_uint_eq(u[0], 0xff);
    ck_assert_uint_eq(u[6], 0x40);
    ck_assert_uint_eq(u[8], 0x80);
    ck_assert_uint_eq(u[10], 0x80);
    ck_assert_uint_eq(u[15], 0);
    /* Deterministic, and only the first 16 bytes count. */
    jxta_id_t a, b;
    ck_assert_int_eq(jxta_id_pipe_from_seed(&a, &jxta_id_net_group, "0123456789abcdefXX", 18), 0);
    ck_assert_int_eq(jxta_id_pipe_from_seed(&b, &jxta_id_net_group, "0123456789abcdefYY", 18), 0);
    ck_assert(jxta_id_equal(&a, &b));
}
END_TEST

START_TEST(test_kind_names)
{
    ck_assert_str_eq(jxta_id_kind_name(JXTA_ID_PEER), "peer");
    ck_assert_str_eq(jxta_id_kind_name(JXTA_ID_MODULE_SPEC), "module-spec");
    ck_assert_str_eq(jxta_id_kind_name((jxta_id_kind_t)9), "unknown");
}
END_TEST

static Suite *id_suite(void)
{
    Suite *s = suite_create("id");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_ids_json_reproduced);
    tcase_add_test(tc, test_wellknown_table);
    tcase_add_test(tc, test_well_known_groups);
    tcase_add_test(tc, test_canonical_printing);
    tcase_add_test(tc, test_parse_rejects);
    tcase_add_test(tc, test_from_bytes);
    tcase_add_test(tc, test_generation);
    tcase_add_test(tc, test_seeds);
    tcase_add_test(tc, test_kind_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(id_suite());
}
