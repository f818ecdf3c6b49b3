/* test_membership.c - group membership: JXSE's password encoding on known
 * values (obtained by running JXSE 2.5's makePsswd), the login parameter
 * of a password group written byte for byte as JXSE writes it and read
 * back by JXSE's rules, the membership kind of the captured JXSE groups,
 * joining, credentials, and enforcement between in-process peers on one
 * loop: members' messages delivered through a rendezvous that is not a
 * member (it forwards), non-members' refused, counted and logged.
 *
 * The PGA/MIA layout asserted here was also checked once against a running
 * JXSE 2.5 (outside the test suite): JXSE loaded a group written by this
 * code with its PasswdMembershipService and accepted and refused the same
 * logins as jxta_membership_check, and a password group made in Java the
 * way JXSE applications make it has this very Svc/Parm layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>
#include <jxta/membership.h>

#include "testutil.h"

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 30)

static const char MEMBERSHIP_CLASS[] = "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000505";

static jxta_adv_t *vector_adv(const char *rel)
{
    char *p = tu_vector_path(rel);
    size_t len;
    uint8_t *b = tu_read(p, &len);
    jxta_adv_t *a;
    ck_assert_int_eq(jxta_adv_parse(b, len, &a), 0);
    free(b);
    free(p);
    return a;
}

static char *encode(const char *plain)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_passwd_encode(plain, &b), 0);
    jxta_buf_put_u8(&b, 0);
    return jxta_buf_steal_str(&b);
}

START_TEST(test_encode_known_values)
{
    /* Outputs of JXSE 2.5's PasswdMembershipService.makePsswd. */
    static const struct {
        const char *in, *out;
    } v[] = {
        {"password", "SWPPDJFA"},
        {"Secret", "PHMFHG"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "WXMAHQKETRCUYIJSBFPGZNDLOV"},
        {"abcdefghijklmnopqrstuvwxyz", "WXMAHQKETRCUYIJSBFPGZNDLOV"},
        {"p4ss w0rd!", "S4PP D0FA!"},
        {"", ""},
        {"h\xc3\xa9llo", "E\xc3\xa9UUJ"},           /* é kept */
        {"\xc4\xb1\xc5\xbf", "TP"},                  /* ı -> I, ſ -> S (Java upper case) */
        {"\xc3\x9f\xc3\xbf", "\xc3\x9f\xc3\xbf"},    /* ß, ÿ kept */
        {"pass:word", "SWPP:DJFA"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *e = encode(v[i].in);
        ck_assert_msg(strcmp(e, v[i].out) == 0, "%s -> %s, want %s", v[i].in, e, v[i].out);
        free(e);
    }
    jxta_buf_t b = JXTA_BUF_INIT;
    tu_log_capture();
    ck_assert_int_eq(jxta_passwd_encode("bad\xff", &b), JXTA_EINVAL);
    ck_assert_uint_eq(tu_log_count(), 1);
    tu_log_release();
    ck_assert_int_eq(jxta_passwd_encode(NULL, &b), JXTA_EINVAL);
    jxta_buf_free(&b);
}
END_TEST

static void new_group(jxta_id_t *gid, jxta_id_t *msid)
{
    jxta_id_t cls;
    ck_assert_int_eq(jxta_id_new_group(gid, &jxta_id_net_group), 0);
    ck_assert_int_eq(jxta_id_from_string(&cls, "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000105"), 0);
    ck_assert_int_eq(jxta_id_new_module_spec(msid, &cls), 0);
}

/* A password group's PGA (custom MSID) with the given logins. */
static jxta_adv_t *passwd_pga(const jxta_id_t *gid, const jxta_id_t *msid,
                              const char *const *logins, size_t n)
{
    jxta_adv_t *pga;
    ck_assert_int_eq(jxta_pga_new(gid, msid, "pw-group", "password group", &pga), 0);
    ck_assert_int_eq(jxta_membership_pga_set_passwd(pga, logins, n), 0);
    return pga;
}

START_TEST(test_pga_layout_and_round_trip)
{
    jxta_id_t gid, msid;
    new_group(&gid, &msid);
    const char *logins[] = {"alice:password", "bob:Secret", "carol:", "d&<ve:x y"};
    jxta_adv_t *pga = passwd_pga(&gid, &msid, logins, 4);
    char *doc;
    ck_assert_int_eq(jxta_adv_to_string(pga, 0, &doc), 0);
    /* JXSE's PeerGroupAdv.getDocument(): GID, MSID, Name, Desc, then per
     * service <Svc><MCID>class</MCID><Parm>...</Parm></Svc>; the Parm is
     * the application's "Parm" document with one <login> per identity,
     * text "identity:" + makePsswd(password) + ":"; LiteXML escapes & and <. */
    jxta_id_text_t g, s;
    char want[2048];
    snprintf(want, sizeof want,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE jxta:PGA>\n"
             "<jxta:PGA xml:space=\"preserve\" xmlns:jxta=\"http://jxta.org\">\n"
             "<GID>%s</GID><MSID>%s</MSID><Name>pw-group</Name><Desc>password group</Desc>"
             "<Svc><MCID>%s</MCID><Parm><login>alice:SWPPDJFA:</login><login>bob:PHMFHG:</login>"
             "<login>carol::</login><login>d&amp;&lt;ve:L O:</login></Parm></Svc></jxta:PGA>\n",
             jxta_id_str(&gid, &g), jxta_id_str(&msid, &s), MEMBERSHIP_CLASS);
    ck_assert_str_eq(doc, want);
    /* The same header layout as the captured JXSE PGA. */
    char *vp = tu_vector_path("dump/PeerGroupAdvertisement-child.xml");
    size_t vlen;
    uint8_t *vb = tu_read(vp, &vlen);
    const char *gid_at = strstr((const char *)vb, "<GID>");
    ck_assert_ptr_nonnull(gid_at);
    ck_assert_int_eq(memcmp(vb, doc, (size_t)(gid_at - (const char *)vb)), 0);
    free(vb);
    free(vp);
    /* Setting again replaces the logins, in the same Svc. */
    const char *again[] = {"eve:pw"};
    ck_assert_int_eq(jxta_membership_pga_set_passwd(pga, again, 1), 0);
    ck_assert_uint_eq(jxta_adv_count(pga, "Svc"), 1);
    ck_assert_uint_eq(jxta_xml_child_count(jxta_passwd_pga_parm(pga), "login"), 1);
    /* Parse what we wrote and read the membership back. */
    jxta_adv_t *back;
    ck_assert_int_eq(jxta_adv_parse(doc, strlen(doc), &back), 0);
    jxta_membership_t *m;
    ck_assert_int_eq(jxta_membership_from_pga(back, NULL, &m), 0);
    ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_PASSWD);
    ck_assert(jxta_id_equal(jxta_membership_group(m), &gid));
    ck_assert_uint_eq(jxta_membership_login_count(m), 4);
    ck_assert_str_eq(jxta_membership_login_identity(m, 0), "alice");
    ck_assert_str_eq(jxta_membership_login_identity(m, 3), "d&<ve");
    ck_assert_int_eq(jxta_membership_check(m, "alice", "password"), 0);
    ck_assert_int_eq(jxta_membership_check(m, "alice", "PassWord"), 0); /* as JXSE: case-blind */
    ck_assert_int_eq(jxta_membership_check(m, "alice", "passwore"), JXTA_EACCES);
    ck_assert_int_eq(jxta_membership_check(m, "bob", "secret"), 0);
    ck_assert_int_eq(jxta_membership_check(m, "carol", "anything at all"), 0);
    ck_assert_int_eq(jxta_membership_check(m, "d&<ve", "x y"), 0);
    ck_assert_int_eq(jxta_membership_check(m, "mallory", "password"), JXTA_EACCES);
    ck_assert_int_eq(jxta_membership_check(m, " alice", "password"), JXTA_EACCES);
    jxta_membership_free(m);
    jxta_adv_free(back);
    free(doc);
    /* Bad entries: refused, logged, PGA unchanged. */
    static const char *const bad[] = {"nocolon", ":pw", " alice:pw", "alice :pw",
                                      "alice:pa:ss", "al\xff:pw", "alice:p\xff"};
    char *before;
    ck_assert_int_eq(jxta_adv_to_string(pga, 0, &before), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *l[] = {"ok:fine", bad[i]};
        tu_log_capture();
        ck_assert_int_eq(jxta_membership_pga_set_passwd(pga, l, 2), JXTA_EINVAL);
        ck_assert_uint_ge(tu_log_count(), 1);
        tu_log_release();
        char *after;
        ck_assert_int_eq(jxta_adv_to_string(pga, 0, &after), 0);
        ck_assert_str_eq(after, before);
        free(after);
    }
    const char *l1[] = {NULL};
    tu_log_capture();
    ck_assert_int_eq(jxta_membership_pga_set_passwd(pga, l1, 1), JXTA_EINVAL);
    tu_log_release();
    ck_assert_int_eq(jxta_membership_pga_set_passwd(NULL, NULL, 0), JXTA_EINVAL);
    free(before);
    jxta_adv_free(pga);
}
END_TEST

static jxta_xml_node_t *parse_xml(const char *text)
{
    jxta_xml_node_t *root;
    ck_assert_int_eq(jxta_xml_parse(text, strlen(text), &root), 0);
    return root;
}

START_TEST(test_parm_read_jxse_rules)
{
    /* PasswdMembershipService.init(): identity trimmed, password field kept
     * as is, entries without ':' skipped, later entry wins, the rest after
     * the second ':' ignored, other children ignored. */
    jxta_xml_node_t *p = parse_xml(
        "<Parm><login>  alice :SWPPDJFA:</login><login>nocolon</login><other>x:y:</other>"
        "<login>bob: PHMFHG :1000:100:/home/bob</login><login>alice:ZZZ:</login>"
        "<login>:EMPTY:</login><login>open::</login></Parm>");
    jxta_passwd_table_t *t;
    ck_assert_int_eq(jxta_passwd_table_read(p, &t), 0);
    ck_assert_uint_eq(jxta_passwd_table_count(t), 4);
    ck_assert_str_eq(jxta_passwd_table_identity(t, 0), "alice");
    ck_assert_str_eq(jxta_passwd_table_encoded(t, "alice"), "ZZZ");
    ck_assert_str_eq(jxta_passwd_table_encoded(t, "bob"), " PHMFHG ");
    ck_assert_str_eq(jxta_passwd_table_encoded(t, ""), "EMPTY");
    ck_assert_str_eq(jxta_passwd_table_encoded(t, "open"), "");
    ck_assert_ptr_null(jxta_passwd_table_encoded(t, "nocolon"));
    ck_assert_int_eq(jxta_passwd_table_check(t, "alice", "password"), JXTA_EACCES);
    ck_assert_int_eq(jxta_passwd_table_check(t, "alice", "uuu"), 0); /* U -> Z */
    ck_assert_int_eq(jxta_passwd_table_check(t, "bob", " secret "), 0);
    ck_assert_int_eq(jxta_passwd_table_check(t, "bob", "secret"), JXTA_EACCES);
    ck_assert_int_eq(jxta_passwd_table_check(t, "open", ""), 0);
    ck_assert_int_eq(jxta_passwd_table_check(t, "nobody", ""), JXTA_EACCES);
    ck_assert_int_eq(jxta_passwd_table_check(t, NULL, ""), JXTA_EINVAL);
    jxta_passwd_table_free(t);
    jxta_xml_free(p);
    /* What makes JXSE fail to start the group is refused. */
    static const char *const fatal[] = {"<Parm><login>alice:SWPPDJFA</login></Parm>",
                                        "<Parm><login/></Parm>", "<Parm><login>  </login></Parm>"};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        p = parse_xml(fatal[i]);
        tu_log_capture();
        ck_assert_int_eq(jxta_passwd_table_read(p, &t), JXTA_EPROTO);
        ck_assert_uint_eq(tu_log_count(), 1);
        tu_log_release();
        jxta_xml_free(p);
    }
    ck_assert_int_eq(jxta_passwd_table_read(NULL, &t), JXTA_EINVAL);
}
END_TEST

START_TEST(test_hostile_parm)
{
    /* Many logins, long fields, deep nesting, binary-ish text. */
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_buf_append_str(&b, "<jxta:PGA xmlns:jxta=\"http://jxta.org\"><GID>urn:jxta:uuid-"
                            "A3F1C2D4E5B64A7C8D9EB01A2B3C4D5E02</GID><MSID>urn:jxta:uuid-"
                            "7E21F0A6C3D44B1E9A0BC1D2E3F4A5B60106</MSID><Svc><MCID>");
    jxta_buf_append_str(&b, MEMBERSHIP_CLASS);
    jxta_buf_append_str(&b, "</MCID><Parm>");
    for (int i = 0; i < JXTA_PASSWD_MAX_LOGINS + 1; i++)
        jxta_buf_printf(&b, "<login>u%d:X:</login>", i);
    jxta_buf_append_str(&b, "</Parm></Svc></jxta:PGA>");
    jxta_adv_t *pga;
    ck_assert_int_eq(jxta_adv_parse(b.data, b.len, &pga), 0);
    jxta_membership_t *m;
    tu_log_capture();
    ck_assert_int_eq(jxta_membership_from_pga(pga, NULL, &m), JXTA_ETOOBIG);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    jxta_adv_free(pga);
    jxta_buf_free(&b);
    /* An over-long identity. */
    jxta_buf_append_str(&b, "<Parm><login>");
    for (int i = 0; i < JXTA_PASSWD_MAX_FIELD + 1; i++)
        jxta_buf_put_u8(&b, 'a');
    jxta_buf_append_str(&b, ":X:</login></Parm>");
    jxta_xml_node_t *p;
    ck_assert_int_eq(jxta_xml_parse(b.data, b.len, &p), 0);
    jxta_passwd_table_t *t;
    tu_log_capture();
    ck_assert_int_eq(jxta_passwd_table_read(p, &t), JXTA_ETOOBIG);
    tu_log_release();
    jxta_xml_free(p);
    jxta_buf_free(&b);
    /* Logins nested in odd places are not logins; Svc without Parm or with
     * a bad MCID does not count. */
    p = parse_xml("<Parm><x><login>a:b:</login></x></Parm>");
    ck_assert_int_eq(jxta_passwd_table_read(p, &t), 0);
    ck_assert_uint_eq(jxta_passwd_table_count(t), 0);
    jxta_passwd_table_free(t);
    jxta_xml_free(p);
    /* A login whose only content is a child has no text: JXSE fails on it. */
    p = parse_xml("<Parm><login><login>c:d:</login></login></Parm>");
    tu_log_capture();
    ck_assert_int_eq(jxta_passwd_table_read(p, &t), JXTA_EPROTO);
    tu_log_release();
    jxta_xml_free(p);
    static const char pga_doc[] =
        "<jxta:PGA xmlns:jxta=\"http://jxta.org\"><GID>urn:jxta:uuid-"
        "A3F1C2D4E5B64A7C8D9EB01A2B3C4D5E02</GID><MSID>urn:jxta:uuid-"
        "7E21F0A6C3D44B1E9A0BC1D2E3F4A5B60106</MSID>"
        "<Svc><MCID>not an id</MCID><Parm><login>a:b:</login></Parm></Svc>"
        "<Svc><MCID>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000505</MCID></Svc></jxta:PGA>";
    ck_assert_int_eq(jxta_adv_parse(pga_doc, strlen(pga_doc), &pga), 0);
    ck_assert_ptr_null(jxta_passwd_pga_parm(pga));
    ck_assert_int_eq(jxta_membership_from_pga(pga, NULL, &m), 0);
    ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_NONE);
    jxta_membership_free(m);
    /* Writing logins fills the membership Svc that has no Parm. */
    const char *one[] = {"a:b"};
    ck_assert_int_eq(jxta_membership_pga_set_passwd(pga, one, 1), 0);
    ck_assert_uint_eq(jxta_adv_count(pga, "Svc"), 2);
    ck_assert_ptr_nonnull(jxta_passwd_pga_parm(pga));
    ck_assert_int_eq(jxta_membership_from_pga(pga, NULL, &m), 0);
    ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_PASSWD);
    ck_assert_int_eq(jxta_membership_check(m, "a", "B"), 0);
    jxta_membership_free(m);
    jxta_adv_free(pga);
}
END_TEST

/* A group MIA listing `spec` as its membership service. */
static jxta_adv_t *mia_with_membership(const jxta_id_t *msid, const char *spec)
{
    char doc[2048];
    jxta_id_text_t t;
    snprintf(doc, sizeof doc,
             "<jxta:MIA xmlns:jxta=\"http://jxta.org\"><MSID>%s</MSID><Comp><Efmt>JDK1.4.1</Efmt>"
             "<Bind>V2.0 Ref Impl</Bind></Comp><Code>net.jxta.impl.peergroup.StdPeerGroup</Code>"
             "<Parm><Svc>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000020106</Svc>"
             "<Svc><MCID>%s</MCID><MSID>%s</MSID></Svc></Parm></jxta:MIA>",
             jxta_id_str(msid, &t), MEMBERSHIP_CLASS, spec);
    jxta_adv_t *a;
    ck_assert_int_eq(jxta_adv_parse(doc, strlen(doc), &a), 0);
    return a;
}

START_TEST(test_kinds)
{
    /* The captured JXSE groups: all "none" as far as we are concerned. */
    static const char *const pgas[] = {"dump/PeerGroupAdvertisement-NetPeerGroup.xml",
                                       "dump/PeerGroupAdvertisement-WorldPeerGroup.xml",
                                       "dump/PeerGroupAdvertisement-child.xml"};
    jxta_membership_t *m;
    for (size_t i = 0; i < 3; i++) {
        jxta_adv_t *pga = vector_adv(pgas[i]);
        ck_assert_int_eq(jxta_membership_from_pga(pga, NULL, &m), 0);
        ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_NONE);
        ck_assert_str_eq(jxta_membership_kind_name(jxta_membership_kind(m)), "none");
        jxta_membership_free(m);
        jxta_adv_free(pga);
    }
    /* The child group with JXSE's all-purpose MIA (membership none). */
    jxta_adv_t *child = vector_adv("dump/PeerGroupAdvertisement-child.xml");
    jxta_adv_t *std = vector_adv("dump/ModuleImplAdvertisement-StdPeerGroup.xml");
    ck_assert_int_eq(jxta_membership_from_pga(child, std, &m), 0);
    ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_NONE);
    ck_assert_int_eq(jxta_membership_join(m, NULL, "anyone", "anything"), 0);
    ck_assert(jxta_membership_joined(m));
    jxta_membership_free(m);
    /* A MIA of another implementation than the PGA names. */
    jxta_adv_t *netmia = vector_adv("dump/ModuleImplAdvertisement-NetPeerGroup.xml");
    tu_log_capture();
    ck_assert_int_eq(jxta_membership_from_pga(child, netmia, &m), JXTA_EINVAL);
    ck_assert_uint_eq(tu_log_count(), 1);
    tu_log_release();
    jxta_adv_free(netmia);
    ck_assert_int_eq(jxta_membership_from_pga(child, child, &m), JXTA_EINVAL);
    ck_assert_int_eq(jxta_membership_from_pga(std, NULL, &m), JXTA_EINVAL);

    /* A password group made from JXSE's MIA the way JXSE applications do. */
    jxta_id_t gid, msid;
    new_group(&gid, &msid);
    jxta_adv_t *pmia;
    ck_assert_int_eq(jxta_membership_mia_passwd(std, &msid, &pmia), 0);
    char *pmia_text;
    ck_assert_int_eq(jxta_adv_to_string(pmia, 0, &pmia_text), 0);
    ck_assert_ptr_nonnull(strstr(pmia_text,
        "<Svc><jxta:MIA xml:space=\"preserve\" xmlns:jxta=\"http://jxta.org\"><MSID>"
        "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000050206</MSID><Desc>Password Membership "
        "Service</Desc><Comp><Efmt>JDK1.4.1</Efmt><Bind>V2.0 Ref Impl</Bind></Comp><Code>"
        "net.jxta.impl.membership.passwd.PasswdMembershipService</Code><PURI>"
        "http://jxta-jxse.dev.java.net/download/jxta.jar</PURI><Prov>sun.com</Prov></jxta:MIA>"
        "</Svc></Parm></jxta:MIA>"));
    ck_assert_ptr_null(strstr(pmia_text, "NoneMembershipService"));
    ck_assert_int_eq(jxta_adv_validate(pmia), 0);
    free(pmia_text);
    const char *logins[] = {"alice:password"};
    jxta_adv_t *pga = passwd_pga(&gid, &msid, logins, 1);
    ck_assert_int_eq(jxta_membership_from_pga(pga, pmia, &m), 0);
    ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_PASSWD);
    ck_assert_str_eq(jxta_membership_kind_name(jxta_membership_kind(m)), "passwd");
    jxta_membership_free(m);
    /* ... and with the all-purpose MSID the logins mean nothing to JXSE. */
    jxta_adv_t *pga_std;
    ck_assert_int_eq(jxta_pga_new(&gid, jxta_wk_id(JXTA_WK_SPEC_STDGROUP), "g", NULL, &pga_std), 0);
    ck_assert_int_eq(jxta_membership_pga_set_passwd(pga_std, logins, 1), 0);
    ck_assert_int_eq(jxta_membership_from_pga(pga_std, NULL, &m), 0);
    ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_NONE);
    jxta_membership_free(m);
    jxta_adv_free(pga_std);
    /* passwd without logins: JXSE refuses to start it. */
    jxta_adv_t *bare;
    ck_assert_int_eq(jxta_pga_new(&gid, &msid, "g", NULL, &bare), 0);
    tu_log_capture();
    ck_assert_int_eq(jxta_membership_from_pga(bare, pmia, &m), JXTA_EMISSING);
    ck_assert_uint_eq(tu_log_count(), 1);
    tu_log_release();
    /* Without the MIA and without logins, a custom group is taken as none. */
    ck_assert_int_eq(jxta_membership_from_pga(bare, NULL, &m), 0);
    ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_NONE);
    jxta_membership_free(m);
    jxta_adv_free(bare);
    /* PSE and unknown memberships: unsupported, said clearly. */
    static const char *const specs[] = {"urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000050306",
                                        "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000050906"};
    for (size_t i = 0; i < 2; i++) {
        jxta_adv_t *mia = mia_with_membership(&msid, specs[i]);
        tu_log_capture();
        ck_assert_int_eq(jxta_membership_from_pga(pga, mia, &m), JXTA_EUNSUPPORTED);
        ck_assert_uint_eq(tu_log_count(), 1);
        ck_assert_ptr_nonnull(strstr(tu_log_last(), i == 0 ? "PSE" : "050906"));
        tu_log_release();
        jxta_adv_free(mia);
    }
    jxta_adv_t *mia = mia_with_membership(&msid, "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000050206");
    ck_assert_int_eq(jxta_membership_from_pga(pga, mia, &m), 0);
    ck_assert_int_eq(jxta_membership_kind(m), JXTA_MEMBERSHIP_PASSWD);
    jxta_membership_free(m);
    jxta_adv_free(mia);
    /* A MIA without a membership service cannot be made a password group. */
    jxta_adv_t *nomship;
    const char nodoc[] = "<jxta:MIA xmlns:jxta=\"http://jxta.org\"><MSID>urn:jxta:uuid-"
                         "DEADBEEFDEAFBABAFEEDBABE000000010306</MSID><Comp/><Code>x</Code>"
                         "</jxta:MIA>";
    ck_assert_int_eq(jxta_adv_parse(nodoc, sizeof nodoc - 1, &nomship), 0);
    tu_log_capture();
    ck_assert_int_eq(jxta_membership_mia_passwd(nomship, &msid, &mia), JXTA_ENOTFOUND);
    tu_log_release();
    ck_assert_int_eq(jxta_membership_mia_passwd(nomship, &gid, &mia), JXTA_EINVAL);
    jxta_adv_free(nomship);
    jxta_adv_free(pga);
    jxta_adv_free(pmia);
    jxta_adv_free(std);
    jxta_adv_free(child);
}
END_TEST

static jxta_membership_t *passwd_membership(const jxta_id_t *gid, const char *const *logins,
                                            size_t n)
{
    jxta_id_t g2, msid;
    new_group(&g2, &msid);
    jxta_adv_t *pga = passwd_pga(gid, &msid, logins, n);
    jxta_membership_t *m;
    ck_assert_int_eq(jxta_membership_from_pga(pga, NULL, &m), 0);
    jxta_adv_free(pga);
    return m;
}

START_TEST(test_join_and_credentials)
{
    jxta_id_t gid, other_gid, msid, peer, peer2;
    new_group(&gid, &msid);
    new_group(&other_gid, &msid);
    ck_assert_int_eq(jxta_id_new_peer(&peer, &jxta_id_net_group), 0);
    ck_assert_int_eq(jxta_id_new_peer(&peer2, &jxta_id_net_group), 0);
    const char *logins[] = {"alice:password", "bob:hunter2"};
    jxta_membership_t *m = passwd_membership(&gid, logins, 2);
    ck_assert(!jxta_membership_joined(m));
    ck_assert_ptr_null(jxta_membership_credential(m));
    tu_log_capture();
    ck_assert_int_eq(jxta_membership_join(m, &peer, "alice", "wrong"), JXTA_EACCES);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "wrong password"));
    ck_assert_int_eq(jxta_membership_join(m, &peer, "mallory", "password"), JXTA_EACCES);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "unknown identity"));
    ck_assert_uint_eq(tu_log_count(), 2);
    tu_log_release();
    ck_assert(!jxta_membership_joined(m));
    ck_assert_int_eq(jxta_membership_join(m, &gid, "alice", "password"), JXTA_EINVAL);
    ck_assert_int_eq(jxta_membership_join(m, &peer, NULL, "password"), JXTA_EINVAL);
    ck_assert_int_eq(jxta_membership_join(m, &peer, "alice", "PASSWORD"), 0);
    ck_assert(jxta_membership_joined(m));
    ck_assert_str_eq(jxta_membership_identity(m), "alice");
    const char *cred = jxta_membership_credential(m);
    ck_assert_ptr_nonnull(cred);
    ck_assert_uint_eq(strlen(cred), 2 + 40 + 1 + 5);
    ck_assert_int_eq(strncmp(cred, "1:", 2), 0);
    ck_assert_str_eq(cred + 42, ":alice");
    /* The credential does not contain the password in any form. */
    ck_assert_ptr_null(strstr(cred, "SWPPDJFA"));
    ck_assert_ptr_null(strstr(cred, "password"));
    /* It verifies for its peer only, and in its group only. */
    ck_assert_int_eq(jxta_membership_verify(m, &peer, cred, strlen(cred)), 0);
    ck_assert_int_eq(jxta_membership_verify(m, &peer2, cred, strlen(cred)), JXTA_EACCES);
    jxta_membership_t *other = passwd_membership(&other_gid, logins, 2);
    ck_assert_int_eq(jxta_membership_verify(other, &peer, cred, strlen(cred)), JXTA_EACCES);
    /* Same group, a different password for alice: does not verify. */
    const char *logins2[] = {"alice:other", "bob:hunter2"};
    jxta_membership_t *m2 = passwd_membership(&gid, logins2, 2);
    ck_assert_int_eq(jxta_membership_verify(m2, &peer, cred, strlen(cred)), JXTA_EACCES);
    /* Same group and logins elsewhere (another peer's copy of the PGA): verifies. */
    jxta_membership_t *m3 = passwd_membership(&gid, logins, 2);
    ck_assert_int_eq(jxta_membership_verify(m3, &peer, cred, strlen(cred)), 0);
    /* Corruptions. */
    char bad[128];
    snprintf(bad, sizeof bad, "%s", cred);
    bad[10] = bad[10] == '0' ? '1' : '0';
    ck_assert_int_eq(jxta_membership_verify(m, &peer, bad, strlen(bad)), JXTA_EACCES);
    snprintf(bad, sizeof bad, "%s", cred);
    bad[10] = 'G';
    ck_assert_int_eq(jxta_membership_verify(m, &peer, bad, strlen(bad)), JXTA_EPROTO);
    snprintf(bad, sizeof bad, "%s", cred);
    bad[0] = '2';
    ck_assert_int_eq(jxta_membership_verify(m, &peer, bad, strlen(bad)), JXTA_EPROTO);
    snprintf(bad, sizeof bad, "%.42s:bob", cred);
    ck_assert_int_eq(jxta_membership_verify(m, &peer, bad, strlen(bad)), JXTA_EACCES);
    snprintf(bad, sizeof bad, "%.42s:nobody", cred);
    ck_assert_int_eq(jxta_membership_verify(m, &peer, bad, strlen(bad)), JXTA_EACCES);
    ck_assert_int_eq(jxta_membership_verify(m, &peer, cred, 42), JXTA_EPROTO);
    ck_assert_int_eq(jxta_membership_verify(m, &peer, cred, strlen(cred) - 1), JXTA_EACCES);
    ck_assert_int_eq(jxta_membership_verify(m, &peer, "", 0), JXTA_EPROTO);
    ck_assert_int_eq(jxta_membership_verify(m, &peer, NULL, 3), JXTA_EINVAL);
    char withnul[64];
    memcpy(withnul, cred, 42);
    memcpy(withnul + 42, ":al\0ce", 6);
    ck_assert_int_eq(jxta_membership_verify(m, &peer, withnul, 48), JXTA_EPROTO);
    /* Resign forgets the login. */
    jxta_membership_resign(m);
    ck_assert(!jxta_membership_joined(m));
    ck_assert_ptr_null(jxta_membership_credential(m));
    ck_assert_int_eq(jxta_membership_join(m, NULL, "bob", "HUNTER2"), 0);
    ck_assert_ptr_null(jxta_membership_credential(m)); /* no peer yet */
    jxta_membership_free(m3);
    jxta_membership_free(m2);
    jxta_membership_free(other);
    jxta_membership_free(m);
    /* none */
    jxta_membership_t *none;
    ck_assert_int_eq(jxta_membership_new_none(&gid, &none), 0);
    ck_assert_int_eq(jxta_membership_join(none, &peer, "x", ""), 0);
    ck_assert_str_eq(jxta_membership_identity(none), "x");
    ck_assert_int_eq(jxta_membership_join(none, NULL, NULL, NULL), 0);
    ck_assert_str_eq(jxta_membership_identity(none), "nobody");
    ck_assert_ptr_null(jxta_membership_credential(none));
    ck_assert_int_eq(jxta_membership_verify(none, &peer, "junk", 4), 0);
    ck_assert_uint_eq(jxta_membership_login_count(none), 0);
    jxta_membership_free(none);
    ck_assert_int_eq(jxta_membership_new_none(&peer, &none), JXTA_EINVAL);
    jxta_membership_free(NULL);
}
END_TEST

/* ---- enforcement between in-process peers ------------------------------------ */

typedef struct {
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_id_t id;
    int got;
    char last[64];
} node_t;

static void node_start(jxta_loop_t *l, node_t *n, jxta_rdv_role_t role, const jxta_addr_t *seed)
{
    memset(n, 0, sizeof *n);
    tu_peer(l, role, seed, &n->ep, &n->rdv, NULL);
    n->id = *jxta_endpoint_peer_id(n->ep);
}

static void node_stop(node_t *n)
{
    jxta_rdv_discard(n->rdv);
    jxta_endpoint_free(n->ep);
}

static void on_test_msg(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    node_t *n = ud;
    (void)info;
    const jxta_msg_elem_t *e = jxta_msg_find(m, "test", "text");
    size_t len = 0;
    const uint8_t *b = e ? jxta_msg_elem_body(e, &len) : NULL;
    snprintf(n->last, sizeof n->last, "%.*s", (int)len, b ? (const char *)b : "");
    n->got++;
}

/* Send "text" (plus, when cred is not NULL, a credential element with that
 * text) from `from` to `to`'s TestSvc in group g. */
static void send_text(node_t *from, const node_t *to, const jxta_id_t *g, const char *text,
                      const char *cred)
{
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    ck_assert_int_eq(jxta_msg_add_text(m, "test", "text", text), 0);
    if (cred)
        ck_assert_int_eq(jxta_msg_add_text(m, JXTA_MEMBERSHIP_CRED_NS,
                                           JXTA_MEMBERSHIP_CRED_ELEMENT, cred), 0);
    jxta_addr_t dest;
    jxta_addr_for_peer(&dest, &to->id, "TestSvc", "p");
    ck_assert_int_eq(jxta_endpoint_send(from->ep, g, m, &dest, NULL, NULL), 0);
    jxta_msg_free(m);
}

START_TEST(test_enforcement)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_id_t gid, msid;
    new_group(&gid, &msid);
    const char *logins[] = {"alice:password", "bob:hunter2"};
    jxta_adv_t *pga = passwd_pga(&gid, &msid, logins, 2);
    /* D has a stale copy of the PGA where alice's password differs. */
    const char *stale[] = {"alice:oldpass", "bob:hunter2"};
    jxta_adv_t *pga_d = passwd_pga(&gid, &msid, stale, 2);

    node_t r, a, b, c, d;
    node_start(l, &r, JXTA_RDV_RENDEZVOUS, NULL); /* not a member: only forwards */
    jxta_addr_t seed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    node_start(l, &a, JXTA_RDV_EDGE, &seed);
    node_start(l, &b, JXTA_RDV_EDGE, &seed);
    node_start(l, &c, JXTA_RDV_EDGE, &seed);
    node_start(l, &d, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(b.rdv, NULL) &&
                     jxta_rdv_has_lease(c.rdv, NULL) && jxta_rdv_has_lease(d.rdv, NULL));

    jxta_membership_t *ma, *mb, *md;
    ck_assert_int_eq(jxta_membership_from_pga(pga, NULL, &ma), 0);
    ck_assert_int_eq(jxta_membership_from_pga(pga, NULL, &mb), 0);
    ck_assert_int_eq(jxta_membership_from_pga(pga_d, NULL, &md), 0);
    /* Attaching needs a join first. */
    tu_log_capture();
    ck_assert_int_eq(jxta_membership_attach(ma, a.ep), JXTA_EACCES);
    tu_log_release();
    ck_assert_int_eq(jxta_membership_join(ma, NULL, "alice", "password"), 0);
    ck_assert_int_eq(jxta_membership_join(mb, &b.id, "bob", "hunter2"), 0);
    ck_assert_int_eq(jxta_membership_join(md, &d.id, "alice", "oldpass"), 0);
    tu_log_capture();
    ck_assert_int_eq(jxta_membership_attach(mb, a.ep), JXTA_EINVAL); /* joined as b */
    tu_log_release();
    ck_assert_int_eq(jxta_membership_attach(ma, a.ep), 0);
    ck_assert_int_eq(jxta_membership_attach(ma, a.ep), JXTA_EEXIST);
    ck_assert_int_eq(jxta_membership_attach(mb, b.ep), 0);
    ck_assert_int_eq(jxta_membership_attach(md, d.ep), 0);
    const char *cred_a = jxta_membership_credential(ma);
    ck_assert_ptr_nonnull(cred_a);

    ck_assert_int_eq(jxta_endpoint_listen(a.ep, &gid, "TestSvc", NULL, on_test_msg, &a), 0);
    ck_assert_int_eq(jxta_endpoint_listen(b.ep, &gid, "TestSvc", NULL, on_test_msg, &b), 0);

    /* member -> member, through the rendezvous that is not a member */
    send_text(&a, &b, &gid, "hello from a", NULL);
    RUN_UNTIL(l, b.got == 1);
    ck_assert_str_eq(b.last, "hello from a");
    send_text(&b, &a, &gid, "hello from b", NULL);
    RUN_UNTIL(l, a.got == 1);
    jxta_membership_stats_t st;
    jxta_membership_stats(mb, &st);
    ck_assert_uint_eq(st.accepted, 1);
    ck_assert_uint_eq(st.sent, 1);
    ck_assert_uint_eq(st.refused, 0);

    /* Non-members: refused, counted, logged (rate-limited per peer). */
    tu_log_capture();
    send_text(&c, &b, &gid, "no credential", NULL);
    RUN_UNTIL(l, (jxta_membership_stats(mb, &st), st.refused == 1));
    ck_assert_uint_eq(st.refused_missing, 1);
    ck_assert_uint_eq(tu_log_count(), 1);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "no membership credential"));
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "TestSvc"));
    /* Same peer again within the interval: counted, not logged. */
    send_text(&c, &b, &gid, "replayed", cred_a); /* a's credential, c's peer ID */
    RUN_UNTIL(l, (jxta_membership_stats(mb, &st), st.refused == 2));
    ck_assert_uint_eq(st.refused_bad, 1);
    ck_assert_uint_eq(tu_log_count(), 1);
    /* Log every refusal from now on. */
    jxta_membership_set_log_interval(mb, 0);
    send_text(&c, &b, &gid, "replayed", cred_a);
    RUN_UNTIL(l, (jxta_membership_stats(mb, &st), st.refused == 3));
    ck_assert_uint_eq(tu_log_count(), 2);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "does not verify"));
    char corrupt[128];
    snprintf(corrupt, sizeof corrupt, "%s", cred_a);
    corrupt[5] = 'x';
    send_text(&c, &b, &gid, "corrupted", corrupt);
    RUN_UNTIL(l, (jxta_membership_stats(mb, &st), st.refused == 4));
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "malformed"));
    /* d joined with a stale password: its credential does not verify. */
    send_text(&d, &b, &gid, "wrong password", NULL);
    RUN_UNTIL(l, (jxta_membership_stats(mb, &st), st.refused == 5));
    ck_assert_uint_eq(st.refused_bad, 4);
    ck_assert_uint_eq(tu_log_count(), 4);
    tu_log_release();
    ck_assert_int_eq(b.got, 1);

    /* Lenient: no credential accepted, a bad one still refused. */
    jxta_membership_set_lenient(mb, 1);
    ck_assert(jxta_membership_lenient(mb));
    send_text(&c, &b, &gid, "plain, lenient", NULL);
    RUN_UNTIL(l, b.got == 2);
    ck_assert_str_eq(b.last, "plain, lenient");
    jxta_membership_stats(mb, &st);
    ck_assert_uint_eq(st.unauthenticated, 1);
    tu_log_capture();
    send_text(&c, &b, &gid, "bad, lenient", corrupt);
    RUN_UNTIL(l, (jxta_membership_stats(mb, &st), st.refused == 6));
    tu_log_release();
    jxta_membership_set_lenient(mb, 0);

    /* Other groups on the same endpoint are not affected. */
    ck_assert_int_eq(jxta_endpoint_listen(b.ep, &jxta_id_net_group, "TestSvc", NULL,
                                          on_test_msg, &b), 0);
    send_text(&c, &b, &jxta_id_net_group, "net group", NULL);
    RUN_UNTIL(l, b.got == 3);

    /* Resigned while attached: sends fail locally. */
    jxta_membership_resign(ma);
    tu_log_capture();
    jxta_msg_t *m;
    jxta_msg_new(&m);
    jxta_addr_t dest;
    jxta_addr_for_peer(&dest, &b.id, "TestSvc", "p");
    ck_assert_int_eq(jxta_endpoint_send(a.ep, &gid, m, &dest, NULL, NULL), JXTA_EACCES);
    ck_assert_int_eq(jxta_endpoint_send(a.ep, &gid, m, &dest, NULL, NULL), JXTA_EACCES);
    ck_assert_uint_eq(tu_log_count(), 1);
    tu_log_release();
    jxta_msg_free(m);
    /* Rejoined: its credential is made for the endpoint's peer again. */
    ck_assert_int_eq(jxta_membership_join(ma, NULL, "alice", "password"), 0);
    ck_assert_int_eq(jxta_membership_join(ma, &b.id, "alice", "password"), JXTA_EINVAL);
    send_text(&a, &b, &gid, "back", NULL);
    RUN_UNTIL(l, b.got == 4);
    ck_assert_str_eq(b.last, "back");

    /* Detached: nothing checked any more. */
    jxta_membership_detach(mb);
    send_text(&c, &b, &gid, "open again", NULL);
    RUN_UNTIL(l, b.got == 5);

    /* none: attaching does nothing. */
    jxta_membership_t *none;
    ck_assert_int_eq(jxta_membership_new_none(&gid, &none), 0);
    ck_assert_int_eq(jxta_membership_attach(none, c.ep), 0);
    jxta_membership_free(none);
    /* the endpoint-level guard API */
    ck_assert_int_eq(jxta_endpoint_set_group_guard(a.ep, &gid, NULL, NULL, NULL), JXTA_EEXIST);
    ck_assert_int_eq(jxta_endpoint_clear_group_guard(c.ep, &gid), JXTA_ENOTFOUND);

    jxta_membership_free(ma); /* detaches */
    ck_assert_int_eq(jxta_endpoint_clear_group_guard(a.ep, &gid), JXTA_ENOTFOUND);
    jxta_membership_free(mb);
    jxta_membership_free(md);
    node_stop(&d);
    node_stop(&c);
    node_stop(&b);
    node_stop(&a);
    node_stop(&r);
    jxta_adv_free(pga_d);
    jxta_adv_free(pga);
    jxta_loop_free(l);
}
END_TEST

/* Walked (propagated) messages of a password group: each member hop puts
 * its own credential on what it re-walks, and the rendezvous' local
 * delivery of a walked message is not checked a second time. */
START_TEST(test_enforcement_propagation)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_id_t gid, msid;
    new_group(&gid, &msid);
    const char *logins[] = {"alice:password", "rdv:rdvpass"};
    jxta_adv_t *pga = passwd_pga(&gid, &msid, logins, 2);
    node_t r1, r2, a, c;
    node_start(l, &r1, JXTA_RDV_RENDEZVOUS, NULL);
    node_start(l, &r2, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r1.ep));
    node_start(l, &a, JXTA_RDV_EDGE, &seed);
    node_start(l, &c, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(c.rdv, NULL));
    jxta_adv_t *ra;
    ck_assert_int_eq(jxta_endpoint_local_route(r2.ep, &ra), 0);
    ck_assert_int_eq(jxta_endpoint_learn_route(r1.ep, ra), 0);
    jxta_adv_free(ra);

    node_t *members[] = {&r1, &r2, &a};
    const char *who[][2] = {{"rdv", "rdvpass"}, {"rdv", "rdvpass"}, {"alice", "password"}};
    jxta_membership_t *ms[3];
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(jxta_membership_from_pga(pga, NULL, &ms[i]), 0);
        ck_assert_int_eq(jxta_membership_join(ms[i], NULL, who[i][0], who[i][1]), 0);
        ck_assert_int_eq(jxta_membership_attach(ms[i], members[i]->ep), 0);
    }
    node_t *all[] = {&r1, &r2, &a, &c};
    jxta_propagate_t *prop[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(jxta_propagate_new(all[i]->ep, all[i]->rdv, &gid, &prop[i]), 0);
    ck_assert_int_eq(jxta_propagate_set_view(prop[0], &r2.id, 1), 0);
    ck_assert_int_eq(jxta_endpoint_listen(r1.ep, &gid, "TestSvc", NULL, on_test_msg, &r1), 0);
    ck_assert_int_eq(jxta_endpoint_listen(r2.ep, &gid, "TestSvc", NULL, on_test_msg, &r2), 0);

    jxta_msg_t *m;
    jxta_msg_new(&m);
    jxta_msg_add_text(m, "test", "text", "walked by a member");
    ck_assert_int_eq(jxta_propagate_walk(prop[2], m, "TestSvc", NULL, 0), 0);
    jxta_msg_free(m);
    RUN_UNTIL(l, r1.got == 1 && r2.got == 1);
    ck_assert_str_eq(r2.last, "walked by a member");
    jxta_membership_stats_t st;
    jxta_membership_stats(ms[1], &st);
    ck_assert_uint_eq(st.accepted, 1); /* r2 got it from r1, with r1's credential */

    tu_log_capture();
    jxta_msg_new(&m);
    jxta_msg_add_text(m, "test", "text", "walked by a stranger");
    ck_assert_int_eq(jxta_propagate_walk(prop[3], m, "TestSvc", NULL, 0), 0);
    jxta_msg_free(m);
    RUN_UNTIL(l, (jxta_membership_stats(ms[0], &st), st.refused == 1));
    ck_assert_uint_eq(tu_log_count(), 1);
    tu_log_release();
    ck_assert_uint_eq(jxta_propagate_delivered(prop[0]), 1);
    ck_assert_int_eq(r1.got, 1);
    ck_assert_int_eq(r2.got, 1);

    for (int i = 0; i < 4; i++)
        jxta_propagate_free(prop[i]);
    for (int i = 0; i < 3; i++)
        jxta_membership_free(ms[i]);
    node_stop(&c);
    node_stop(&a);
    node_stop(&r2);
    node_stop(&r1);
    jxta_adv_free(pga);
    jxta_loop_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("membership");
    TCase *tc = tcase_create("passwd");
    tcase_add_test(tc, test_encode_known_values);
    tcase_add_test(tc, test_pga_layout_and_round_trip);
    tcase_add_test(tc, test_parm_read_jxse_rules);
    tcase_add_test(tc, test_hostile_parm);
    tcase_add_test(tc, test_kinds);
    tcase_add_test(tc, test_join_and_credentials);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("enforcement");
    tcase_add_test(te, test_enforcement);
    tcase_add_test(te, test_enforcement_propagation);
    tcase_set_timeout(te, 60);
    suite_add_tcase(s, te);
    return tu_run(s);
}
