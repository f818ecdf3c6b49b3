/* wellknown.c - the table behind jxta/wellknown.h.
 *
 * The URNs are written out as text (exactly as PROTOCOLS.md 1.6 lists
 * them) and parsed once on first use, which keeps the table readable and
 * lets the unit tests check every entry against JXSE's dump (ids.json). */
#include <pthread.h>
#include <stddef.h>

#include <jxta/wellknown.h>

#define WK "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE"

static const struct {
    const char *name;
    const char *urn;
} table[JXTA_WK__COUNT] = {
    [JXTA_WK_CLASS_PEERGROUP] = {"peergroup", WK "0000000105"},
    [JXTA_WK_CLASS_RESOLVER] = {"resolver", WK "0000000205"},
    [JXTA_WK_CLASS_DISCOVERY] = {"discovery", WK "0000000305"},
    [JXTA_WK_CLASS_PIPE] = {"pipe", WK "0000000405"},
    [JXTA_WK_CLASS_MEMBERSHIP] = {"membership", WK "0000000505"},
    [JXTA_WK_CLASS_RENDEZVOUS] = {"rendezvous", WK "0000000605"},
    [JXTA_WK_CLASS_PEERINFO] = {"peerinfo", WK "0000000705"},
    [JXTA_WK_CLASS_ENDPOINT] = {"endpoint", WK "0000000805"},
    [JXTA_WK_CLASS_TCP] = {"tcp", WK "0000000905"},
    [JXTA_WK_CLASS_HTTP] = {"http", WK "0000000A05"},
    [JXTA_WK_CLASS_ROUTER] = {"router", WK "0000000B05"},
    [JXTA_WK_CLASS_APPLICATION] = {"application", WK "0000000C05"},
    [JXTA_WK_CLASS_TLS] = {"tls", WK "0000000D05"},
    [JXTA_WK_CLASS_PROXY] = {"proxy", WK "0000000E05"},
    [JXTA_WK_CLASS_RELAY] = {"relay", WK "0000000F05"},
    [JXTA_WK_CLASS_ACCESS] = {"access", WK "0000001005"},
    [JXTA_WK_CLASS_CBJX] = {"cbjx", WK "0000001105"},
    [JXTA_WK_CLASS_MCAST] = {"mcast", "urn:jxta:uuid-0C801F65D38F421C9884D706B337B81105"},
    [JXTA_WK_SPEC_PLATFORM] = {"spec:platform", WK "000000010106"},
    [JXTA_WK_SPEC_NETGROUP] = {"spec:netgroup", WK "000000010206"},
    [JXTA_WK_SPEC_STDGROUP] = {"spec:stdgroup", WK "000000010306"},
    [JXTA_WK_SPEC_RESOLVER] = {"spec:resolver", WK "000000020106"},
    [JXTA_WK_SPEC_DISCOVERY] = {"spec:discovery", WK "000000030106"},
    [JXTA_WK_SPEC_PIPE] = {"spec:pipe", WK "000000040106"},
    [JXTA_WK_SPEC_MEMBERSHIP_NONE] = {"spec:membership-none", WK "000000050106"},
    [JXTA_WK_SPEC_MEMBERSHIP_PASSWD] = {"spec:membership-passwd", WK "000000050206"},
    [JXTA_WK_SPEC_MEMBERSHIP_PSE] = {"spec:membership-pse", WK "000000050306"},
    [JXTA_WK_SPEC_RENDEZVOUS] = {"spec:rendezvous", WK "000000060106"},
    [JXTA_WK_SPEC_PEERINFO] = {"spec:peerinfo", WK "000000070106"},
    [JXTA_WK_SPEC_ENDPOINT] = {"spec:endpoint", WK "000000080106"},
    [JXTA_WK_SPEC_TCP] = {"spec:tcp", WK "000000090106"},
    [JXTA_WK_SPEC_HTTP] = {"spec:http", WK "0000000A0106"},
    [JXTA_WK_SPEC_ROUTER] = {"spec:router", WK "0000000B0106"},
    [JXTA_WK_SPEC_SHELL] = {"spec:shell", WK "0000000C0206"},
    [JXTA_WK_SPEC_TLS] = {"spec:tls", WK "0000000D0106"},
    [JXTA_WK_SPEC_PROXY] = {"spec:proxy", WK "0000000E0106"},
    [JXTA_WK_SPEC_RELAY] = {"spec:relay", WK "0000000F0106"},
    [JXTA_WK_SPEC_ACCESS_ALWAYS] = {"spec:access-always", WK "000000100106"},
    [JXTA_WK_SPEC_ACCESS_SIMPLEACL] = {"spec:access-simpleacl", WK "000000100206"},
    [JXTA_WK_SPEC_ACCESS_PSE] = {"spec:access-pse", WK "000000100306"},
    [JXTA_WK_SPEC_CBJX] = {"spec:cbjx", WK "000000110106"},
    [JXTA_WK_SPEC_MCAST] = {"spec:mcast", "urn:jxta:uuid-0C801F65D38F421C9884D706B337B8110106"},
};

static jxta_id_t ids[JXTA_WK__COUNT];
static pthread_once_t ids_once = PTHREAD_ONCE_INIT;

static void parse_table(void)
{
    for (int i = 0; i < JXTA_WK__COUNT; i++)
        if (jxta_id_from_string(&ids[i], table[i].urn) != 0)
            ids[i] = jxta_id_null; /* cannot happen: checked by test_id */
}

const jxta_id_t *jxta_wk_id(jxta_wk_t which)
{
    if ((unsigned)which >= JXTA_WK__COUNT)
        return NULL;
    pthread_once(&ids_once, parse_table);
    return &ids[which];
}

const char *jxta_wk_urn(jxta_wk_t which)
{
    return (unsigned)which < JXTA_WK__COUNT ? table[which].urn : NULL;
}

const char *jxta_wk_name(jxta_wk_t which)
{
    return (unsigned)which < JXTA_WK__COUNT ? table[which].name : NULL;
}

const char *jxta_wk_describe(const jxta_id_t *id)
{
    if (jxta_id_is_world_group(id))
        return "WorldGroup";
    if (jxta_id_is_net_group(id))
        return "NetGroup";
    if (jxta_id_is_null(id))
        return "Null";
    pthread_once(&ids_once, parse_table);
    for (int i = 0; i < JXTA_WK__COUNT; i++)
        if (jxta_id_equal(id, &ids[i]))
            return table[i].name;
    return NULL;
}
