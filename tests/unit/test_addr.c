/* test_addr.c - endpoint addresses: the forms seen on JXSE wires, group
 * mangling both ways, TCP host/port and peer extraction, and rejection of
 * malformed or over-long text. */
#include <string.h>

#include <jxta.h>
#include <jxta/addr.h>

#include "testutil.h"

static void roundtrip(const char *text)
{
    jxta_addr_t a;
    char out[JXTA_ADDR_TEXT_MAX];
    ck_assert_msg(jxta_addr_from_string(&a, text) == 0, "%s", text);
    jxta_addr_format(&a, out, sizeof out);
    ck_assert_str_eq(out, text);
}

START_TEST(test_parse_forms)
{
    jxta_addr_t a;
    const char *lease = "tcp://127.0.0.1:9741/EndpointService:jxta-NetGroup/"
                        "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605/jxta-NetGroup";
    ck_assert_int_eq(jxta_addr_from_string(&a, lease), 0);
    ck_assert_str_eq(a.proto, "tcp");
    ck_assert_str_eq(a.host, "127.0.0.1:9741");
    ck_assert_str_eq(a.service, "EndpointService:jxta-NetGroup");
    ck_assert_str_eq(a.param, "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605/jxta-NetGroup");
    roundtrip(lease);
    roundtrip("tcp://127.0.0.1:9701");
    roundtrip("jxta://uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303/"
              "EndpointRouter");
    roundtrip("relay://uuid-59616261646162614E50472050325033D3BDCBB6F82C4152BF6D94F9CABB7D7B03");

    /* urn form normalises to jxta:// */
    ck_assert_int_eq(jxta_addr_from_string(&a, "urn:jxta:uuid-AB03#PipeService/urn:jxta:x"), 0);
    ck_assert_str_eq(a.proto, "jxta");
    ck_assert_str_eq(a.host, "uuid-AB03");
    ck_assert_str_eq(a.service, "PipeService");
    ck_assert_str_eq(a.param, "urn:jxta:x");
    /* protocol case is folded */
    ck_assert_int_eq(jxta_addr_from_string(&a, "TCP://h:1"), 0);
    ck_assert_str_eq(a.proto, "tcp");
    /* service without param; empty param after slash */
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://h:1/Svc"), 0);
    ck_assert_str_eq(a.service, "Svc");
    ck_assert_str_eq(a.param, "");
}
END_TEST

START_TEST(test_rejects)
{
    jxta_addr_t a;
    tu_log_capture();
    ck_assert_int_eq(jxta_addr_from_string(&a, ""), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "127.0.0.1:9701"), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "://x"), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://"), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp:///svc"), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://a b:1"), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://a\n:1"), JXTA_EPROTO);
    /* found by fuzz_addr: a '/' in the urn form's unique value would print
     * as a different address */
    ck_assert_int_eq(jxta_addr_from_string(&a, "urn:jxta:uuid-AB03/Service/x"), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "urn:jxta:#Svc"), JXTA_EPROTO);
    /* also found by fuzz_addr: an empty service before a parameter */
    ck_assert_int_eq(jxta_addr_from_string(&a, "t://p//1"), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "urn:jxta:uuid-AB03#/x"), JXTA_EPROTO);
    ck_assert_uint_ge(tu_log_count(), 11);
    tu_log_release();
    char big[1200];
    memset(big, 'x', sizeof big);
    memcpy(big, "tcp://", 6);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(jxta_addr_from_string(&a, big), JXTA_ETOOBIG);
    ck_assert_int_eq(jxta_addr_from_string(&a, NULL), JXTA_EINVAL);
    ck_assert_int_eq(jxta_addr_set(&a, "tcp", "h:1", NULL, "p"), JXTA_EINVAL);
}
END_TEST

START_TEST(test_mangle)
{
    jxta_addr_t a, m, d;
    char out[JXTA_ADDR_TEXT_MAX], uv[64];
    ck_assert_int_eq(jxta_addr_set(&a, "tcp", "127.0.0.1:9741",
                                   "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605",
                                   "jxta-NetGroup"),
                     0);
    ck_assert_int_eq(jxta_addr_mangle(&m, &a, &jxta_id_net_group), 0);
    jxta_addr_format(&m, out, sizeof out);
    ck_assert_str_eq(out, "tcp://127.0.0.1:9741/EndpointService:jxta-NetGroup/"
                          "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605/jxta-NetGroup");
    /* Not mangled twice. */
    ck_assert_int_eq(jxta_addr_mangle(&d, &m, &jxta_id_net_group), 0);
    ck_assert_mem_eq(&d, &m, sizeof d);
    ck_assert_int_eq(jxta_addr_demangle(&d, &m, uv, sizeof uv), 1);
    ck_assert_str_eq(uv, "jxta-NetGroup");
    ck_assert_mem_eq(&d, &a, sizeof d);
    /* Router: service without param. */
    ck_assert_int_eq(jxta_addr_set(&a, "tcp", "h:1", "EndpointRouter", NULL), 0);
    ck_assert_int_eq(jxta_addr_mangle(&m, &a, &jxta_id_net_group), 0);
    jxta_addr_format(&m, out, sizeof out);
    ck_assert_str_eq(out, "tcp://h:1/EndpointService:jxta-NetGroup/EndpointRouter");
    ck_assert_int_eq(jxta_addr_demangle(&d, &m, uv, sizeof uv), 1);
    ck_assert_str_eq(d.service, "EndpointRouter");
    ck_assert_str_eq(d.param, "");
    /* Plain address: demangle is the identity. */
    ck_assert_int_eq(jxta_addr_demangle(&d, &a, uv, sizeof uv), 0);
    /* Mangled with nothing inside is malformed. */
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://h:1/EndpointService:jxta-NetGroup"), 0);
    ck_assert_int_eq(jxta_addr_demangle(&d, &a, uv, sizeof uv), JXTA_EPROTO);
}
END_TEST

START_TEST(test_tcp_and_peer)
{
    jxta_addr_t a;
    char host[64];
    uint16_t port;
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://127.0.0.1:9701/x"), 0);
    ck_assert_int_eq(jxta_addr_tcp_hostport(&a, host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_eq(port, 9701);
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://[::1]:0"), 0);
    ck_assert_int_eq(jxta_addr_tcp_hostport(&a, host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_uint_eq(port, 0);
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://h:99999"), 0);
    ck_assert_int_eq(jxta_addr_tcp_hostport(&a, host, sizeof host, &port), JXTA_EPROTO);
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://h"), 0);
    ck_assert_int_eq(jxta_addr_tcp_hostport(&a, host, sizeof host, &port), JXTA_EPROTO);

    jxta_id_t pid, back;
    ck_assert_int_eq(jxta_id_new_peer(&pid, &jxta_id_net_group), 0);
    ck_assert_int_eq(jxta_addr_for_peer(&a, &pid, "EndpointRouter", NULL), 0);
    ck_assert_int_eq(jxta_addr_peer_id(&a, &back), 0);
    ck_assert(jxta_id_equal(&pid, &back));
    ck_assert_int_eq(jxta_addr_tcp_hostport(&a, host, sizeof host, &port), JXTA_EINVAL);
    ck_assert_int_eq(jxta_addr_from_string(&a, "jxta://jxta-NetGroup"), 0);
    ck_assert_int_eq(jxta_addr_peer_id(&a, &back), JXTA_EBADID);
    jxta_addr_t b;
    ck_assert_int_eq(jxta_addr_from_string(&a, "tcp://H:1/a"), 0);
    ck_assert_int_eq(jxta_addr_from_string(&b, "TCP://h:1/b/c"), 0);
    ck_assert(jxta_addr_same_endpoint(&a, &b));
}
END_TEST

static Suite *addr_suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_parse_forms);
    tcase_add_test(tc, test_rejects);
    tcase_add_test(tc, test_mangle);
    tcase_add_test(tc, test_tcp_and_peer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(addr_suite());
}
