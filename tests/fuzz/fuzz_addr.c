/* fuzz_addr.c - libFuzzer harness for endpoint addresses: anything parsed
 * must print and re-parse to the same parts, and mangling must invert. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jxta_addr_t a, b, m, d;
    if (jxta_addr_parse(&a, (const char *)data, size) != 0)
        return 0;
    char text[JXTA_ADDR_TEXT_MAX];
    size_t n = jxta_addr_format(&a, text, sizeof text);
    if (n >= sizeof text || jxta_addr_parse(&b, text, n) != 0 || memcmp(&a, &b, sizeof a) != 0)
        abort();
    char uv[JXTA_ADDR_SERVICE_MAX];
    if (jxta_addr_mangle(&m, &a, &jxta_id_net_group) == 0 &&
        strncmp(a.service, "EndpointService:", 16) != 0 && a.service[0] &&
        (jxta_addr_demangle(&d, &m, uv, sizeof uv) != 1 || memcmp(&d, &a, sizeof a) != 0))
        abort();
    jxta_id_t pid;
    jxta_addr_peer_id(&a, &pid);
    char host[JXTA_ADDR_HOST_MAX];
    uint16_t port;
    jxta_addr_tcp_hostport(&a, host, sizeof host, &port);
    return 0;
}
