/* test_config.c - PlatformConfig: the JXSE files of the captured peers are
 * read (identity, TCP port, role, seeds), ours round-trip, and missing or
 * broken files give clear errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jxta.h>
#include <jxta/config.h>

#include "testutil.h"

START_TEST(test_read_jxse_files)
{
    jxta_platform_config_t c;
    jxta_platform_config_default(&c);
    char *p = tu_vector_path("edge-listening/peers/edge-PlatformConfig.xml");
    ck_assert_int_eq(jxta_platform_config_load(p, &c), 0);
    free(p);
    jxta_id_text_t t;
    ck_assert_str_eq(jxta_id_str(&c.peer_id, &t), "urn:jxta:uuid-59616261646162614E504720503250334F"
                                                   "43FC842D294D3EBC30A151E71E90F703");
    ck_assert_str_eq(c.name, "JxInteropEdge");
    ck_assert_str_eq(c.host, "127.0.0.1");
    ck_assert_uint_eq(c.port, 9742);
    ck_assert(c.listen);
    ck_assert_int_eq(c.role, JXTA_RDV_EDGE);
    ck_assert_uint_eq(c.nseeds, 1);
    ck_assert_str_eq(c.seeds[0].host, "127.0.0.1:9741");

    jxta_platform_config_default(&c);
    p = tu_vector_path("edge-listening/peers/rdv-PlatformConfig.xml");
    ck_assert_int_eq(jxta_platform_config_load(p, &c), 0);
    free(p);
    ck_assert_int_eq(c.role, JXTA_RDV_RENDEZVOUS);
    ck_assert_uint_eq(c.port, 9741);
    ck_assert_str_eq(c.name, "JxInteropRdv");
}
END_TEST

START_TEST(test_roundtrip_and_errors)
{
    char dir[] = "/tmp/jxta-config-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/PlatformConfig", dir);
    jxta_platform_config_t a, b;
    jxta_platform_config_default(&a);
    ck_assert_int_eq(jxta_platform_config_load(path, &a), JXTA_ENOTFOUND);
    snprintf(a.name, sizeof a.name, "edge & <friends>");
    a.listen = 0;
    a.port = 0;
    a.role = JXTA_RDV_RENDEZVOUS;
    jxta_addr_from_string(&a.seeds[0], "tcp://127.0.0.1:9741");
    jxta_addr_from_string(&a.seeds[1], "tcp://127.0.0.2:9799");
    a.nseeds = 2;
    ck_assert_int_eq(jxta_platform_config_save(path, &a), 0);
    jxta_platform_config_default(&b);
    ck_assert_int_eq(jxta_platform_config_load(path, &b), 0);
    ck_assert(jxta_id_equal(&a.peer_id, &b.peer_id));
    ck_assert_str_eq(b.name, a.name);
    ck_assert_int_eq(b.listen, 0);
    ck_assert_uint_eq(b.port, 0);
    ck_assert_int_eq(b.role, JXTA_RDV_RENDEZVOUS);
    ck_assert_uint_eq(b.nseeds, 2);
    ck_assert_str_eq(b.seeds[1].host, "127.0.0.2:9799");
    /* What we write is a PlatformConfig advertisement JXSE's parser accepts. */
    size_t len;
    uint8_t *text = tu_read(path, &len);
    ck_assert_mem_eq(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38);
    jxta_adv_t *adv;
    ck_assert_int_eq(jxta_adv_parse_as(text, len, &jxta_adv_type_platform_config, &adv), 0);
    jxta_adv_free(adv);
    free(text);
    /* A broken file is an error, not a silent default. */
    FILE *f = fopen(path, "w");
    fputs("<?xml version=\"1.0\"?><jxta:CP xmlns:jxta=\"http://jxta.org\"><PID>bad", f);
    fclose(f);
    tu_log_capture();
    ck_assert_int_lt(jxta_platform_config_load(path, &b), 0);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    unlink(path);
    rmdir(dir);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_read_jxse_files);
    tcase_add_test(tc, test_roundtrip_and_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(config_suite());
}
