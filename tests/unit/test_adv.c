/* test_adv.c - advertisements against the JXSE 2.5 vectors: every vector
 * parses, writes back in the JXSE layout (byte for byte for the compact
 * ones) and parses again to an equal advertisement; index fields, IDs and
 * typed accessors give the values JXSE would; builders produce the
 * documents JXSE writes; custom types register at run time; and bad
 * advertisements are rejected with the specific code and a log line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const vector_dirs[] = {"dump", "dump/cache", "edge-listening/peers",
                                          "minimal-edge/peers"};

static const char ME[] =
    "urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303";

static jxta_adv_t *load(const char *rel)
{
    char *path = tu_vector_path(rel);
    size_t len;
    uint8_t *doc = tu_read(path, &len);
    jxta_adv_t *adv = NULL;
    int rc = jxta_adv_parse(doc, len, &adv);
    ck_assert_msg(rc == 0, "%s: %s", rel, jxta_errname(rc));
    free(doc);
    free(path);
    return adv;
}

static char *to_str(const jxta_adv_t *adv, unsigned flags)
{
    char *s = NULL;
    ck_assert_int_eq(jxta_adv_to_string(adv, flags, &s), 0);
    return s;
}

static const char *index_of(const jxta_adv_t *adv, const char *name)
{
    jxta_adv_index_entry_t e[16];
    size_t n = jxta_adv_index(adv, e, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        if (strcmp(e[i].name, name) == 0)
            return e[i].value;
    return NULL;
}

static void check_one_vector(const char *rel)
{
    char *path = tu_vector_path(rel);
    size_t len;
    uint8_t *doc = tu_read(path, &len);
    jxta_adv_t *a = NULL, *b = NULL;
    ck_assert_msg(jxta_adv_parse(doc, len, &a) == 0, "%s does not parse", rel);
    char *out = to_str(a, 0);
    /* PROTOCOLS.md 2.1: declaration first, DOCTYPE naming the root, no
     * comments, CDATA or other processing instructions. */
    const char *decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    ck_assert_msg(strncmp(out, decl, strlen(decl)) == 0, "%s: no declaration", rel);
    char doctype[256];
    snprintf(doctype, sizeof doctype, "<!DOCTYPE %s>\n<%s ",
             jxta_xml_name(jxta_adv_root(a)), jxta_xml_name(jxta_adv_root(a)));
    ck_assert_msg(strncmp(out + strlen(decl), doctype, strlen(doctype)) == 0, "%s: DOCTYPE", rel);
    ck_assert_ptr_null(strstr(out, "<!--"));
    ck_assert_ptr_null(strstr(out, "<![CDATA["));
    ck_assert_ptr_null(strstr(out + 2, "<?"));
    /* JXSE's compact documents come back byte for byte (the pretty
     * PlatformConfig and custom ones differ only in whitespace). */
    if (!memchr(doc, '\t', len))
        ck_assert_msg(strlen(out) == len && memcmp(out, doc, len) == 0, "%s: not identical", rel);
    ck_assert_msg(jxta_adv_parse(out, strlen(out), &b) == 0, "%s: output does not parse", rel);
    ck_assert_msg(jxta_adv_equal(a, b), "%s: round trip changed the advertisement", rel);
    ck_assert_str_eq(jxta_adv_type_name(a), jxta_adv_type_name(b));
    /* Pretty form parses to the same advertisement too. */
    char *pretty = to_str(a, JXTA_XML_INDENT);
    jxta_adv_t *c = NULL;
    ck_assert_int_eq(jxta_adv_parse(pretty, strlen(pretty), &c), 0);
    ck_assert(jxta_adv_equal(a, c));
    jxta_adv_free(c);
    free(pretty);
    free(out);
    jxta_adv_free(a);
    jxta_adv_free(b);
    free(doc);
    free(path);
}

START_TEST(every_vector_round_trips)
{
    size_t total = 0;
    for (size_t d = 0; d < N_ELEMS(vector_dirs); d++) {
        char *dir = tu_vector_path(vector_dirs[d]);
        char **names;
        size_t n = tu_list(dir, ".xml", &names);
        for (size_t i = 0; i < n; i++) {
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", vector_dirs[d], names[i]);
            check_one_vector(rel);
            total++;
        }
        tu_free_list(names);
        free(dir);
    }
    ck_assert_uint_ge(total, 32);
}
END_TEST

START_TEST(types_dirs_ids_index)
{
    static const struct {
        const char *file, *type;
        jxta_adv_dir_t dir;
        const char *id;
        const char *idx[4][2];
    } cases[] = {
        {"dump/PeerAdvertisement.xml", "jxta:PA", JXTA_ADV_DIR_PEERS, ME,
         {{"Name", "JxInteropDump"}, {"PID", ME}}},
        {"dump/PeerGroupAdvertisement-NetPeerGroup.xml", "jxta:PGA", JXTA_ADV_DIR_GROUPS,
         "urn:jxta:jxta-NetGroup",
         {{"Name", "NetPeerGroup"},
          {"GID", "urn:jxta:jxta-NetGroup"},
          {"Desc", "default Net Peer Group"},
          {"MSID", "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010206"}}},
        {"dump/PeerGroupAdvertisement-WorldPeerGroup.xml", "jxta:PGA", JXTA_ADV_DIR_GROUPS,
         "urn:jxta:jxta-WorldGroup",
         {{"Name", "World PeerGroup"}, {"GID", "urn:jxta:jxta-WorldGroup"}}},
        {"dump/PipeAdvertisement-unicast.xml", "jxta:PipeAdvertisement", JXTA_ADV_DIR_ADV,
         "urn:jxta:uuid-59616261646162614E5047205032503371B1525A86824F3BAF3789DEC3FA3E2C04",
         {{"Name", "JxInteropEcho"},
          {"Id", "urn:jxta:uuid-59616261646162614E5047205032503371B1525A86824F3BAF3789DEC3FA3E2C04"}}},
        {"dump/ModuleClassAdvertisement-PeerGroup.xml", "jxta:MCA", JXTA_ADV_DIR_ADV,
         "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000105",
         {{"Name", "PeerGroup"}, {"MCID", "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000105"}}},
        {"dump/ModuleSpecAdvertisement-StdPeerGroup.xml", "jxta:MSA", JXTA_ADV_DIR_ADV,
         "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010306",
         {{"Name", "StdPeerGroup"}, {"MSID", "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010306"}}},
        {"dump/ModuleImplAdvertisement-NetPeerGroup.xml", "jxta:MIA", JXTA_ADV_DIR_ADV, NULL,
         {{"MSID", "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010206"}}},
        {"dump/RouteAdvertisement-onehop.xml", "jxta:RA", JXTA_ADV_DIR_ADV,
         "urn:jxta:uuid-59616261646162614E504720503250337052BF33DEC145F998F293485451C64603",
         {{"DstPID",
           "urn:jxta:uuid-59616261646162614E504720503250337052BF33DEC145F998F293485451C64603"}}},
        {"dump/RdvAdvertisement.xml", "jxta:RdvAdvertisement", JXTA_ADV_DIR_ADV, ME,
         {{"RdvPeerId", ME},
          {"RdvServiceName", "RendezVousServicejxta-NetGroup"},
          {"RdvGroupId", "urn:jxta:jxta-NetGroup"}}},
        {"dump/PlatformConfig.xml", "jxta:PlatformConfig", JXTA_ADV_DIR_NONE, ME, {{NULL, NULL}}},
        {"dump/DataAdv-custom.xml", "jxinterop:DataAdv", JXTA_ADV_DIR_NONE, NULL, {{NULL, NULL}}},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        jxta_adv_t *a = load(cases[i].file);
        ck_assert_str_eq(jxta_adv_type_name(a), cases[i].type);
        ck_assert_int_eq(jxta_adv_dir(a), cases[i].dir);
        jxta_id_t id;
        jxta_id_text_t t;
        if (cases[i].id) {
            ck_assert_int_eq(jxta_adv_id(a, &id), 0);
            ck_assert_str_eq(jxta_id_str(&id, &t), cases[i].id);
        } else {
            ck_assert_int_eq(jxta_adv_id(a, &id), JXTA_ENOTFOUND);
        }
        size_t want = 0;
        for (size_t k = 0; k < 4 && cases[i].idx[k][0]; k++, want++) {
            const char *v = index_of(a, cases[i].idx[k][0]);
            ck_assert_msg(v && strcmp(v, cases[i].idx[k][1]) == 0, "%s: index %s = %s",
                          cases[i].file, cases[i].idx[k][0], v ? v : "(none)");
        }
        if (want && want < 4 && strcmp(cases[i].type, "jxta:PGA") != 0)
            ck_assert_uint_eq(jxta_adv_index(a, NULL, 0), want);
        jxta_adv_free(a);
    }
    /* PGA of the World group: all four index fields in JXSE's order. */
    jxta_adv_t *pga = load("dump/PeerGroupAdvertisement-child.xml");
    jxta_adv_index_entry_t e[4];
    ck_assert_uint_eq(jxta_adv_index(pga, e, 4), 4);
    ck_assert_str_eq(e[0].name, "Name");
    ck_assert_str_eq(e[0].value, "JxInteropChildGroup");
    ck_assert_str_eq(e[1].name, "GID");
    ck_assert_str_eq(e[1].value, "urn:jxta:uuid-B0BD32B14AB7409CBEAC98F73F96E02559616261646162614E5047205032503302");
    ck_assert_str_eq(e[2].name, "Desc");
    ck_assert_str_eq(e[3].name, "MSID");
    jxta_adv_free(pga);
    /* The sub-typed transport advertisement and the padded PlatformConfig. */
    jxta_adv_t *cp = load("edge-listening/peers/edge-PlatformConfig.xml");
    ck_assert_str_eq(jxta_adv_get(cp, "Name"), "JxInteropEdge");
    ck_assert_ptr_eq(jxta_adv_type(cp), &jxta_adv_type_platform_config);
    jxta_id_t tcp_cls;
    ck_assert_int_eq(jxta_id_from_string(&tcp_cls, "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000905"), 0);
    const jxta_xml_node_t *parm = jxta_adv_svc_parm(cp, &tcp_cls);
    ck_assert_ptr_nonnull(parm);
    jxta_adv_t *tcp;
    ck_assert_int_eq(jxta_adv_from_xml(jxta_xml_child(parm, "jxta:TransportAdvertisement"), NULL, &tcp), 0);
    ck_assert_ptr_eq(jxta_adv_type(tcp), &jxta_adv_type_tcp);
    ck_assert_str_eq(jxta_adv_type_name(tcp), "jxta:TCPTransportAdvertisement");
    ck_assert_str_eq(jxta_adv_get(tcp, "Port"), "9742");
    ck_assert_str_eq(jxta_adv_get(tcp, "Server"), "127.0.0.1:9742");
    ck_assert_ptr_nonnull(jxta_adv_first(tcp, "MulticastOff"));
    ck_assert_int_eq(jxta_adv_dir(tcp), JXTA_ADV_DIR_NONE);
    jxta_adv_free(tcp);
    jxta_id_t http_cls;
    ck_assert_int_eq(jxta_id_from_string(&http_cls, "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000A05"), 0);
    jxta_adv_t *http;
    ck_assert_int_eq(jxta_adv_from_xml(jxta_xml_child(jxta_adv_svc_parm(cp, &http_cls),
                                                      "jxta:TransportAdvertisement"),
                                       NULL, &http),
                     0);
    ck_assert_ptr_eq(jxta_adv_type(http), &jxta_adv_type_transport);
    ck_assert_str_eq(jxta_adv_get(http, "Protocol"), "http");
    jxta_adv_free(http);
    jxta_adv_free(cp);
}
END_TEST

START_TEST(typed_accessors)
{
    jxta_adv_t *pa = load("dump/PeerAdvertisement.xml");
    ck_assert_str_eq(jxta_adv_get(pa, "Name"), "JxInteropDump");
    jxta_id_t gid;
    ck_assert_int_eq(jxta_adv_get_id(pa, "GID", &gid), 0);
    ck_assert(jxta_id_is_net_group(&gid));
    ck_assert_int_eq(jxta_adv_get_id(pa, "Nope", &gid), JXTA_ENOTFOUND);
    ck_assert_uint_eq(jxta_adv_count(pa, "Svc"), 2);
    const char *eas[8];
    ck_assert_uint_eq(jxta_pa_endpoints(pa, eas, 8), 3);
    ck_assert_str_eq(eas[0], "tcp://127.0.0.1:9779");
    ck_assert_str_eq(eas[1], "cbjx://uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303");
    ck_assert_str_eq(eas[2], "jxtatls://uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303");
    ck_assert_uint_eq(jxta_pa_endpoints(pa, eas, 1), 3); /* count beyond cap */
    ck_assert(jxta_pa_is_rdv(pa));
    jxta_adv_t *ra;
    ck_assert_int_eq(jxta_pa_route(pa, &ra), 0);
    ck_assert_str_eq(jxta_adv_get(ra, "DstPID"), ME);
    ck_assert_uint_eq(jxta_ra_hop_count(ra), 0);
    jxta_adv_free(ra);
    jxta_adv_free(pa);

    jxta_adv_t *edge = load("edge-listening/peers/edge-PeerAdvertisement.xml");
    ck_assert(!jxta_pa_is_rdv(edge));
    ck_assert_uint_eq(jxta_pa_endpoints(edge, eas, 8), 4);
    ck_assert_str_eq(eas[0], "tcp://127.0.0.1:9742");
    ck_assert_str_eq(eas[3], "relay://uuid-59616261646162614E504720503250334F43FC842D294D3EBC30A151E71E90F703");
    jxta_adv_free(edge);

    ra = load("dump/RouteAdvertisement-onehop.xml");
    ck_assert_uint_eq(jxta_ra_endpoints(ra, eas, 8), 2);
    ck_assert_str_eq(eas[0], "tcp://127.0.0.1:9799");
    ck_assert_str_eq(eas[1], "relay://uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303");
    ck_assert_uint_eq(jxta_ra_hop_count(ra), 1);
    jxta_id_t hop;
    const jxta_xml_node_t *apa;
    jxta_id_text_t t;
    ck_assert_int_eq(jxta_ra_hop(ra, 0, &hop, &apa), 0);
    ck_assert_str_eq(jxta_id_str(&hop, &t), ME);
    ck_assert_uint_eq(jxta_apa_endpoints(apa, eas, 8), 1);
    ck_assert_str_eq(eas[0], "tcp://127.0.0.1:9779");
    ck_assert_int_eq(jxta_ra_hop(ra, 1, &hop, &apa), JXTA_ENOTFOUND);
    jxta_adv_free(ra);

    jxta_adv_t *pipe = load("dump/PipeAdvertisement-propagate.xml");
    ck_assert_str_eq(jxta_pipe_adv_type(pipe), "JxtaPropagate");
    ck_assert_str_eq(jxta_adv_get(pipe, "Desc"), "propagate pipe example");
    jxta_adv_free(pipe);
    pipe = load("dump/PipeAdvertisement-unicastsecure.xml");
    ck_assert_str_eq(jxta_pipe_adv_type(pipe), "JxtaUnicastSecure");
    jxta_adv_free(pipe);

    jxta_adv_t *rdv = load("dump/cache/ADV-3-jxta_RdvAdvertisement.xml");
    ck_assert_str_eq(jxta_adv_get(rdv, "RdvServiceName"), "uuid-DEADBEEFDEAFBABAFEEDBABE0000000F05");
    ck_assert_int_eq(jxta_rdv_adv_route(rdv, &ra), 0);
    ck_assert_uint_eq(jxta_ra_endpoints(ra, eas, 8), 3);
    jxta_adv_free(ra);
    jxta_adv_free(rdv);

    /* The pipe adv embedded in an MSA, as its own advertisement. */
    jxta_adv_t *msa = load("dump/ModuleSpecAdvertisement-withPipe.xml");
    ck_assert_str_eq(jxta_adv_get(msa, "Name"), "JXTASPEC:JuxMemService");
    ck_assert_int_eq(jxta_adv_from_xml(jxta_adv_first(msa, "jxta:PipeAdvertisement"),
                                       &jxta_adv_type_pipe, &pipe),
                     0);
    ck_assert_str_eq(jxta_adv_get(pipe, "Name"), "JxInteropEcho");
    jxta_adv_free(pipe);
    jxta_adv_free(msa);

    /* MIA: repeated Svc entries inside Parm (element field). */
    jxta_adv_t *mia = load("dump/ModuleImplAdvertisement-NetPeerGroup.xml");
    const jxta_xml_node_t *parm = jxta_adv_first(mia, "Parm");
    ck_assert_uint_eq(jxta_xml_child_count(parm, "Svc"), 9);
    ck_assert_uint_eq(jxta_xml_child_count(parm, "Proto"), 4);
    ck_assert_str_eq(jxta_adv_get(mia, "Code"), "net.jxta.impl.peergroup.ShadowPeerGroup");
    jxta_adv_free(mia);
}
END_TEST

static void id_of(const char *s, jxta_id_t *id)
{
    ck_assert_msg(jxta_id_from_string(id, s) == 0, "bad test ID %s", s);
}

START_TEST(builders_produce_jxse_documents)
{
    jxta_id_t pid, ng, spec, pipe_id;
    id_of(ME, &pid);
    id_of("urn:jxta:jxta-NetGroup", &ng);
    id_of("urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010206", &spec);
    id_of("urn:jxta:uuid-59616261646162614E5047205032503371B1525A86824F3BAF3789DEC3FA3E2C04", &pipe_id);

    /* Pipe advertisement: the vector minus nothing. */
    jxta_adv_t *p;
    ck_assert_int_eq(jxta_pipe_adv_new(&pipe_id, NULL, "JxInteropEcho", &p), 0);
    char *s = to_str(p, 0);
    char *path = tu_vector_path("dump/PipeAdvertisement-unicast.xml");
    size_t len;
    uint8_t *want = tu_read(path, &len);
    ck_assert_str_eq(s, (const char *)want);
    free(want);
    free(path);
    free(s);
    jxta_adv_free(p);

    /* PGA of the Net group, byte-identical to JXSE's. */
    jxta_adv_t *g;
    ck_assert_int_eq(jxta_pga_new(&ng, &spec, "NetPeerGroup", "default Net Peer Group", &g), 0);
    s = to_str(g, 0);
    path = tu_vector_path("dump/PeerGroupAdvertisement-NetPeerGroup.xml");
    want = tu_read(path, &len);
    ck_assert_str_eq(s, (const char *)want);
    free(want);
    free(path);
    free(s);
    jxta_adv_free(g);

    /* A PA with its route: equal to the JXSE PA of the same peer once the
     * rdv Svc is added. */
    const char *eas[] = {"tcp://127.0.0.1:9779",
                         "cbjx://uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303",
                         "jxtatls://uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303"};
    jxta_adv_t *ra, *pa;
    ck_assert_int_eq(jxta_ra_new(&pid, eas, 3, &ra), 0);
    ck_assert_int_eq(jxta_adv_validate(ra), 0);
    ck_assert_int_eq(jxta_pa_new(&pid, &ng, "JxInteropDump", &pa), 0);
    ck_assert_int_eq(jxta_adv_set(pa, "Desc", "Created by NetworkManager"), 0);
    jxta_xml_node_t *svc, *parm;
    ck_assert_int_eq(jxta_adv_add(pa, "Svc", NULL, &svc), 0);
    ck_assert_int_eq(jxta_xml_add(svc, "MCID", "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605", NULL), 0);
    ck_assert_int_eq(jxta_xml_add(svc, "Parm", NULL, &parm), 0);
    ck_assert_int_eq(jxta_xml_add(parm, "Rdv", "true", NULL), 0);
    ck_assert_int_eq(jxta_pa_set_route(pa, ra), 0);
    ck_assert_int_eq(jxta_adv_validate(pa), 0);
    jxta_adv_t *ref = load("dump/PeerAdvertisement.xml");
    ck_assert(jxta_adv_equal(pa, ref));
    s = to_str(pa, 0);
    path = tu_vector_path("dump/PeerAdvertisement.xml");
    want = tu_read(path, &len);
    ck_assert_str_eq(s, (const char *)want);
    free(want);
    free(path);
    free(s);
    /* Replacing the route keeps a single endpoint Svc. */
    const char *one[] = {"tcp://10.0.0.1:9701"};
    jxta_adv_t *ra2;
    ck_assert_int_eq(jxta_ra_new(&pid, one, 1, &ra2), 0);
    ck_assert_int_eq(jxta_pa_set_route(pa, ra2), 0);
    ck_assert_uint_eq(jxta_adv_count(pa, "Svc"), 2);
    const char *got[4];
    ck_assert_uint_eq(jxta_pa_endpoints(pa, got, 4), 1);
    ck_assert_str_eq(got[0], "tcp://10.0.0.1:9701");
    jxta_adv_free(ra2);
    jxta_adv_free(ref);
    jxta_adv_free(pa);

    /* RA with a hop equals the JXSE one-hop vector. */
    jxta_id_t dst;
    id_of("urn:jxta:uuid-59616261646162614E504720503250337052BF33DEC145F998F293485451C64603", &dst);
    const char *deas[] = {"tcp://127.0.0.1:9799",
                          "relay://uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303"};
    const char *heas[] = {"tcp://127.0.0.1:9779"};
    jxta_adv_t *r1;
    ck_assert_int_eq(jxta_ra_new(&dst, deas, 2, &r1), 0);
    ck_assert_int_eq(jxta_ra_add_hop(r1, &pid, heas, 1), 0);
    tu_log_capture();
    ck_assert_int_eq(jxta_ra_add_hop(r1, &pid, heas, 1), JXTA_EEXIST); /* no loops */
    tu_log_release();
    ck_assert_int_eq(jxta_adv_validate(r1), 0);
    jxta_adv_t *r1ref = load("dump/RouteAdvertisement-onehop.xml");
    ck_assert(jxta_adv_equal(r1, r1ref));
    jxta_adv_free(r1ref);
    jxta_adv_free(r1);
    jxta_adv_free(ra);

    /* Wrong ID kinds are refused by the builders. */
    ck_assert_int_eq(jxta_pa_new(&ng, &ng, NULL, &pa), JXTA_EINVAL);
    ck_assert_int_eq(jxta_pipe_adv_new(&pid, NULL, NULL, &p), JXTA_EINVAL);
    ck_assert_int_eq(jxta_pga_new(&ng, &pid, NULL, NULL, &g), JXTA_EINVAL);
}
END_TEST

/* A JuxMem-like type registered at run time. */
static const jxta_adv_field_t data_fields[] = {
    {"Id", JXTA_FIELD_ID, JXTA_ID_CODAT, JXTA_FIELD_REQUIRED},
    {"Name", JXTA_FIELD_TEXT, JXTA_ID_KIND_ANY, 0},
    {"Owner", JXTA_FIELD_ID, JXTA_ID_PEER, JXTA_FIELD_REQUIRED},
    {"Size", JXTA_FIELD_TEXT, JXTA_ID_KIND_ANY, JXTA_FIELD_REQUIRED},
    {"Note", JXTA_FIELD_TEXT, JXTA_ID_KIND_ANY, 0},
};
static const char *const data_index[] = {"Name", "Id", "Owner", NULL};
static const jxta_adv_type_t data_type = {
    "jxinterop:DataAdv", NULL, "urn:jxinterop", JXTA_ADV_DIR_ADV, data_index, data_fields,
    N_ELEMS(data_fields), "Id", NULL};

START_TEST(custom_type_generic_then_registered)
{
    /* Unregistered: generic, but nothing is lost. */
    jxta_adv_t *g = load("dump/DataAdv-custom.xml");
    ck_assert_ptr_null(jxta_adv_type(g));
    ck_assert_str_eq(jxta_adv_type_name(g), "jxinterop:DataAdv");
    ck_assert_uint_eq(jxta_adv_index(g, NULL, 0), 0);
    ck_assert_str_eq(jxta_adv_get(g, "Size"), "4096");
    ck_assert_str_eq(jxta_adv_get(g, "Note"), "custom advertisement example");
    ck_assert_str_eq(jxta_xml_attr(jxta_adv_root(g), "xmlns:jxinterop"), "urn:jxinterop");
    char *s = to_str(g, 0);
    jxta_adv_t *g2;
    ck_assert_int_eq(jxta_adv_parse(s, strlen(s), &g2), 0);
    ck_assert(jxta_adv_equal(g, g2));
    const char *fields[] = {"Id", "Name", "Owner", "Size", "Note"};
    for (size_t i = 0; i < N_ELEMS(fields); i++)
        ck_assert_str_eq(jxta_adv_get(g2, fields[i]), jxta_adv_get(g, fields[i]));
    jxta_adv_free(g2);
    free(s);

    /* Registered: typed, indexed, validated. */
    ck_assert_int_eq(jxta_adv_register(&data_type), 0);
    tu_log_capture();
    ck_assert_int_eq(jxta_adv_register(&data_type), JXTA_EEXIST);
    ck_assert_int_eq(jxta_adv_register(&jxta_adv_type_pa), JXTA_EEXIST);
    tu_log_release();
    ck_assert_ptr_eq(jxta_adv_lookup_name("jxinterop:DataAdv"), &data_type);
    jxta_adv_t *d = load("edge-listening/peers/rdv-received-DataAdv.xml");
    ck_assert_ptr_eq(jxta_adv_type(d), &data_type);
    ck_assert_int_eq(jxta_adv_dir(d), JXTA_ADV_DIR_ADV);
    jxta_adv_index_entry_t e[4];
    ck_assert_uint_eq(jxta_adv_index(d, e, 4), 3);
    ck_assert_str_eq(e[0].value, "JxInteropData-jxinterop-edge");
    ck_assert_str_eq(e[1].value, "urn:jxta:uuid-59616261646162614E50472050325033875CEF2F6EB3407F9D548AF48D1F037701");
    ck_assert_str_eq(e[2].value, "urn:jxta:uuid-59616261646162614E504720503250334F43FC842D294D3EBC30A151E71E90F703");
    jxta_id_t id;
    ck_assert_int_eq(jxta_adv_id(d, &id), 0);
    ck_assert_int_eq(jxta_id_kind(&id), JXTA_ID_CODAT);
    /* A registered type gets built like the standard ones. */
    jxta_adv_t *n;
    ck_assert_int_eq(jxta_adv_new(&data_type, &n), 0);
    ck_assert_int_eq(jxta_adv_set(n, "Size", "1"), 0);
    s = to_str(n, JXTA_XML_FRAGMENT);
    ck_assert_str_eq(s, "<jxinterop:DataAdv xml:space=\"preserve\" xmlns:jxinterop=\"urn:jxinterop\">"
                        "<Size>1</Size></jxinterop:DataAdv>");
    free(s);
    tu_log_capture();
    ck_assert_int_eq(jxta_adv_validate(n), JXTA_EMISSING); /* no Id */
    ck_assert_msg(strstr(tu_log_last(), "Id"), "%s", tu_log_last());
    tu_log_release();
    jxta_adv_free(n);
    jxta_adv_free(d);
    ck_assert_int_eq(jxta_adv_unregister(&data_type), 0);
    ck_assert_int_eq(jxta_adv_unregister(&data_type), JXTA_ENOTFOUND);
    ck_assert_ptr_null(jxta_adv_lookup_name("jxinterop:DataAdv"));
    jxta_adv_free(g);
}
END_TEST

/* Parse `doc` (a PA body inside the standard root) and expect `want`
 * plus a log line naming `needle`. */
static void expect_bad(const char *doc, const jxta_adv_type_t *as, int want, const char *needle)
{
    jxta_adv_t *a = (jxta_adv_t *)1;
    tu_log_capture();
    int rc = jxta_adv_parse_as(doc, strlen(doc), as, &a);
    ck_assert_msg(rc == want, "got %s want %s for %s", jxta_errname(rc), jxta_errname(want), doc);
    ck_assert_ptr_null(a);
    ck_assert_uint_ge(tu_log_count(), 1);
    if (needle)
        ck_assert_msg(strstr(tu_log_last(), needle), "log '%s' lacks '%s'", tu_log_last(), needle);
    tu_log_release();
}

#define PA_OPEN "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE jxta:PA>\n" \
                "<jxta:PA xmlns:jxta=\"http://jxta.org\">"
#define PEER "urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303"

START_TEST(well_known_groups_indexed_canonically)
{
    /* A PGA naming the Net group by its uuid spelling is indexed (and
     * written back) as urn:jxta:jxta-NetGroup, as JXSE does. */
    static const char doc[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE jxta:PGA>\n"
        "<jxta:PGA xmlns:jxta=\"http://jxta.org\">"
        "<GID>urn:jxta:uuid-59616261646162614E5047205032503302</GID>"
        "<MSID>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010206</MSID>"
        "<Name>NetPeerGroup</Name></jxta:PGA>";
    jxta_adv_t *adv;
    ck_assert_int_eq(jxta_adv_parse(doc, sizeof doc - 1, &adv), 0);
    jxta_adv_index_entry_t ix[8];
    size_t n = jxta_adv_index(adv, ix, 8);
    int seen = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        if (strcmp(ix[i].name, "GID") == 0) {
            ck_assert_str_eq(ix[i].value, "urn:jxta:jxta-NetGroup");
            seen = 1;
        }
    ck_assert(seen);
    char *out;
    ck_assert_int_eq(jxta_adv_to_string(adv, 0, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "<GID>urn:jxta:jxta-NetGroup</GID>"));
    free(out);
    jxta_adv_free(adv);
}
END_TEST

START_TEST(schema_rejections)
{
    expect_bad(PA_OPEN "<GID>urn:jxta:jxta-NetGroup</GID></jxta:PA>", NULL, JXTA_EMISSING, "PID");
    expect_bad(PA_OPEN "<PID>" PEER "</PID></jxta:PA>", NULL, JXTA_EMISSING, "GID");
    expect_bad(PA_OPEN "<PID>not-an-id</PID><GID>urn:jxta:jxta-NetGroup</GID></jxta:PA>", NULL,
               JXTA_EBADID, "PID");
    expect_bad(PA_OPEN "<PID></PID><GID>urn:jxta:jxta-NetGroup</GID></jxta:PA>", NULL,
               JXTA_EBADID, "PID");
    /* wrong kind: a group ID where a peer ID belongs */
    expect_bad(PA_OPEN "<PID>urn:jxta:jxta-NetGroup</PID><GID>urn:jxta:jxta-NetGroup</GID></jxta:PA>",
               NULL, JXTA_EBADID, "PID");
    expect_bad(PA_OPEN "<PID>" PEER "</PID><GID>" PEER "</GID></jxta:PA>", NULL, JXTA_EBADID, "GID");
    /* non-canonical spellings JXSE would accept but index differently */
    expect_bad(PA_OPEN "<PID>urn:jxta:uuid-59616261646162614e504720503250332ec7d662865d4477b78caecc702112e303</PID>"
                       "<GID>urn:jxta:jxta-NetGroup</GID></jxta:PA>",
               NULL, JXTA_ENONCANON, "PID");
    expect_bad(PA_OPEN "<PID>" PEER "</PID><GID>urn:jxta:uuid-59616261646162614E504720503250330002</GID></jxta:PA>",
               NULL, JXTA_ENONCANON, "GID"); /* zero padding */
    expect_bad(PA_OPEN "<PID>" PEER "</PID><PID>" PEER "</PID><GID>urn:jxta:jxta-NetGroup</GID></jxta:PA>",
               NULL, JXTA_EPROTO, "PID");
    /* expecting another type */
    expect_bad(PA_OPEN "<PID>" PEER "</PID><GID>urn:jxta:jxta-NetGroup</GID></jxta:PA>",
               &jxta_adv_type_pipe, JXTA_EADVTYPE, "jxta:PipeAdvertisement");
    /* pipe without Id; RA without Dst; RA hop loop; RA hop with a bad PID */
    expect_bad("<jxta:PipeAdvertisement><Type>JxtaUnicast</Type></jxta:PipeAdvertisement>", NULL,
               JXTA_EMISSING, "Id");
    expect_bad("<jxta:RA><DstPID>" PEER "</DstPID></jxta:RA>", NULL, JXTA_EMISSING, "Dst");
    expect_bad("<jxta:RA><Dst/></jxta:RA>", NULL, JXTA_EMISSING, "APA");
    expect_bad("<jxta:RA><Dst><jxta:APA/></Dst><Hops><jxta:APA><PID>" PEER "</PID></jxta:APA>"
               "<jxta:APA><PID>" PEER "</PID></jxta:APA></Hops></jxta:RA>",
               NULL, JXTA_EPROTO, "loop");
    expect_bad("<jxta:RA><Dst><jxta:APA/></Dst><Hops><jxta:APA><PID>urn:jxta:jxta-NetGroup</PID>"
               "</jxta:APA></Hops></jxta:RA>",
               NULL, JXTA_EBADID, "hop 0");
    expect_bad("<jxta:RdvAdvertisement><RdvGroupId>urn:jxta:jxta-NetGroup</RdvGroupId><RdvPeerId>" PEER
               "</RdvPeerId></jxta:RdvAdvertisement>",
               NULL, JXTA_EMISSING, "RdvServiceName");
    expect_bad("<jxta:MIA><MSID>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000105</MSID></jxta:MIA>",
               NULL, JXTA_EBADID, "MSID");
    /* XML-level errors come through unchanged */
    expect_bad(PA_OPEN "<PID>", NULL, JXTA_EXML, NULL);
    expect_bad("<jxta:PA>\xff</jxta:PA>", NULL, JXTA_EUTF8, NULL);
    /* A sub-typed document matches through its type attribute. */
    jxta_adv_t *a;
    const char *t = "<jxta:TransportAdvertisement type=\"jxta:TCPTransportAdvertisement\">"
                    "<Protocol>tcp</Protocol></jxta:TransportAdvertisement>";
    ck_assert_int_eq(jxta_adv_parse_as(t, strlen(t), &jxta_adv_type_tcp, &a), 0);
    jxta_adv_free(a);
    ck_assert_int_eq(jxta_adv_parse_as(t, strlen(t), &jxta_adv_type_transport, &a), 0);
    ck_assert_ptr_eq(jxta_adv_type(a), &jxta_adv_type_transport);
    jxta_adv_free(a);
}
END_TEST

START_TEST(truncated_vectors_fail_cleanly)
{
    const char *files[] = {"dump/PeerAdvertisement.xml", "dump/RdvAdvertisement.xml",
                           "dump/PlatformConfig.xml"};
    tu_log_capture();
    for (size_t f = 0; f < N_ELEMS(files); f++) {
        char *path = tu_vector_path(files[f]);
        size_t len;
        uint8_t *doc = tu_read(path, &len);
        size_t ok = 0;
        for (size_t cut = 0; cut < len; cut++) {
            jxta_adv_t *a = NULL;
            size_t before = tu_log_count();
            int rc = jxta_adv_parse(doc, cut, &a);
            if (rc == 0) {
                ok++;
                jxta_adv_free(a);
            } else {
                ck_assert_uint_gt(tu_log_count(), before);
            }
        }
        /* only the cut of the final newline leaves a complete document */
        ck_assert_uint_eq(ok, 1);
        free(doc);
        free(path);
    }
    tu_log_release();
}
END_TEST

START_TEST(hostile_documents)
{
    const char *bomb = "<!DOCTYPE jxta:PA [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>"
                       "<jxta:PA><PID>&b;</PID></jxta:PA>";
    expect_bad(bomb, NULL, JXTA_EXML, "entity");
    const char *xxe = "<!DOCTYPE jxta:PA [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><jxta:PA><Name>&x;</Name></jxta:PA>";
    expect_bad(xxe, NULL, JXTA_EXML, "entity");
    size_t levels = 10000;
    char *deep = malloc(levels * 16 + 64);
    char *p = deep;
    p += sprintf(p, "<jxta:PA>");
    for (size_t i = 0; i < levels; i++)
        p += sprintf(p, "<Desc>");
    for (size_t i = 0; i < levels; i++)
        p += sprintf(p, "</Desc>");
    sprintf(p, "</jxta:PA>");
    expect_bad(deep, NULL, JXTA_EDEPTH, NULL);
    free(deep);
    size_t n = JXTA_XML_DEFAULT_MAX_BYTES + 100;
    char *huge = malloc(n + 1);
    memset(huge, 'x', n);
    memcpy(huge, "<jxta:PA><Name>", 15);
    memcpy(huge + n - 17, "</Name></jxta:PA>", 17);
    huge[n] = '\0';
    expect_bad(huge, NULL, JXTA_ETOOBIG, NULL);
    free(huge);
}
END_TEST

static Suite *adv_suite(void)
{
    Suite *s = suite_create("adv");
    TCase *tc = tcase_create("vectors");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, every_vector_round_trips);
    tcase_add_test(tc, types_dirs_ids_index);
    tcase_add_test(tc, typed_accessors);
    tcase_add_test(tc, builders_produce_jxse_documents);
    tcase_add_test(tc, custom_type_generic_then_registered);
    tcase_add_test(tc, well_known_groups_indexed_canonically);
    suite_add_tcase(s, tc);
    TCase *th = tcase_create("hostile");
    tcase_set_timeout(th, 300);
    tcase_add_test(th, schema_rejections);
    tcase_add_test(th, truncated_vectors_fail_cleanly);
    tcase_add_test(th, hostile_documents);
    suite_add_tcase(s, th);
    return s;
}

int main(void)
{
    return tu_run(adv_suite());
}
