/* test_xml.c - the XML layer: what the parser keeps and drops, the exact
 * bytes the writer produces (JXSE layout, escaping), tree equality and
 * building, and hostile documents (entity bombs, XXE, deep nesting, bad
 * UTF-8, oversize input), each of which must fail with its own code and a
 * log line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static jxta_xml_node_t *parse_ok(const char *s)
{
    jxta_xml_node_t *root = NULL;
    int rc = jxta_xml_parse(s, strlen(s), &root);
    ck_assert_msg(rc == 0, "parse failed: %s for %s", jxta_errname(rc), s);
    return root;
}

static char *write_str(const jxta_xml_node_t *n, unsigned flags)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_xml_write(n, flags, &b), 0);
    char *s = jxta_buf_steal_str(&b);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Parse must fail with `want` and log one line mentioning `needle`. */
static void expect_reject(const void *doc, size_t len, int want, const char *needle)
{
    jxta_xml_node_t *root = (jxta_xml_node_t *)1;
    tu_log_capture();
    int rc = jxta_xml_parse(doc, len, &root);
    ck_assert_msg(rc == want, "got %s, want %s", jxta_errname(rc), jxta_errname(want));
    ck_assert_ptr_null(root);
    ck_assert_uint_ge(tu_log_count(), 1);
    if (needle)
        ck_assert_msg(strstr(tu_log_last(), needle) != NULL, "log '%s' lacks '%s'", tu_log_last(),
                      needle);
    tu_log_release();
}

START_TEST(parse_keeps_names_attrs_text)
{
    jxta_xml_node_t *r = parse_ok("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                  "<!DOCTYPE jxta:PA>\n"
                                  "<jxta:PA xml:space=\"preserve\" xmlns:jxta=\"http://jxta.org\" b='2'>\n"
                                  "  <!-- a comment -->\n"
                                  "  <Name>  spaced  name \n</Name>\n"
                                  "  <Svc><MCID>x</MCID></Svc>\n"
                                  "  <Svc/>\n"
                                  "  <Esc>a &amp; b &lt; c &gt; d &#65;&#x42; <![CDATA[<raw>&]]></Esc>\n"
                                  "  <?pi data?>\n"
                                  "</jxta:PA>");
    ck_assert_str_eq(jxta_xml_name(r), "jxta:PA");
    ck_assert_str_eq(jxta_xml_local_name(r), "PA");
    ck_assert_str_eq(jxta_xml_text(r), "");
    ck_assert_uint_eq(jxta_xml_attr_count(r), 3);
    ck_assert_str_eq(jxta_xml_attr_name(r, 0), "xml:space");
    ck_assert_str_eq(jxta_xml_attr_name(r, 1), "xmlns:jxta");
    ck_assert_str_eq(jxta_xml_attr_value(r, 1), "http://jxta.org");
    ck_assert_str_eq(jxta_xml_attr_name(r, 2), "b");
    ck_assert_str_eq(jxta_xml_attr(r, "b"), "2");
    ck_assert_ptr_null(jxta_xml_attr(r, "c"));
    ck_assert_ptr_null(jxta_xml_attr_name(r, 3));
    ck_assert_uint_eq(jxta_xml_child_count(r, NULL), 4);
    ck_assert_uint_eq(jxta_xml_child_count(r, "Svc"), 2);
    ck_assert_str_eq(jxta_xml_text(jxta_xml_child(r, "Name")), "spaced  name");
    const jxta_xml_node_t *svc = jxta_xml_child(r, "Svc");
    ck_assert_str_eq(jxta_xml_text(jxta_xml_child(svc, "MCID")), "x");
    ck_assert_ptr_eq(jxta_xml_parent(svc), r);
    const jxta_xml_node_t *svc2 = jxta_xml_next_named(svc);
    ck_assert_ptr_nonnull(svc2);
    ck_assert_ptr_null(jxta_xml_first(svc2));
    ck_assert_ptr_null(jxta_xml_next_named(svc2));
    ck_assert_str_eq(jxta_xml_text(jxta_xml_child(r, "Esc")), "a & b < c > d AB <raw>&");
    ck_assert_ptr_null(jxta_xml_child(r, "Missing"));
    jxta_xml_free(r);
}
END_TEST

START_TEST(write_compact_matches_jxse_layout)
{
    const char *in = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE jxta:MCA>\n"
                     "<jxta:MCA xml:space=\"preserve\" xmlns:jxta=\"http://jxta.org\">\n"
                     "<MCID>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000105</MCID><Name>PeerGroup</Name>"
                     "<Empty/></jxta:MCA>\n";
    jxta_xml_node_t *r = parse_ok(in);
    char *out = write_str(r, 0);
    ck_assert_str_eq(out, in);
    free(out);
    out = write_str(jxta_xml_child(r, "Name"), JXTA_XML_FRAGMENT);
    ck_assert_str_eq(out, "<Name>PeerGroup</Name>");
    free(out);
    out = write_str(r, JXTA_XML_INDENT);
    ck_assert_str_eq(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE jxta:MCA>\n"
                          "<jxta:MCA xml:space=\"preserve\" xmlns:jxta=\"http://jxta.org\">\n"
                          "  <MCID>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000105</MCID>\n"
                          "  <Name>PeerGroup</Name>\n"
                          "  <Empty/>\n"
                          "</jxta:MCA>\n");
    free(out);
    jxta_xml_free(r);
}
END_TEST

START_TEST(write_escaping)
{
    jxta_xml_node_t *r;
    ck_assert_int_eq(jxta_xml_new("Doc", &r), 0);
    ck_assert_int_eq(jxta_xml_add(r, "T", "a&b<c>d\"e'f ]]> g", NULL), 0);
    ck_assert_int_eq(jxta_xml_set_attr(r, "q", "say \"hi\""), 0);
    ck_assert_int_eq(jxta_xml_set_attr(r, "s", "it's"), 0);
    char *out = write_str(r, JXTA_XML_FRAGMENT);
    /* Only & and < are escaped in text (plus the > of "]]>"); attribute
     * values are verbatim, in single quotes when they hold a double quote. */
    ck_assert_str_eq(out, "<Doc q='say \"hi\"' s=\"it's\"><T>a&amp;b&lt;c>d\"e'f ]]&gt; g</T></Doc>");
    free(out);
    out = write_str(r, 0);
    jxta_xml_node_t *back = parse_ok(out);
    ck_assert(jxta_xml_equal(r, back));
    ck_assert_str_eq(jxta_xml_text(jxta_xml_child(back, "T")), "a&b<c>d\"e'f ]]> g");
    free(out);
    jxta_xml_free(back);
    jxta_xml_free(r);

    /* A parsed attribute value JXSE could not read verbatim still writes as
     * well-formed XML and survives our own round trip. */
    r = parse_ok("<a v=\"x&amp;y&lt;z&gt;&#9;&quot;'\"/>");
    ck_assert_str_eq(jxta_xml_attr(r, "v"), "x&y<z>\t\"'");
    out = write_str(r, JXTA_XML_FRAGMENT);
    ck_assert_str_eq(out, "<a v=\"x&amp;y&lt;z&gt;&#9;&quot;'\"/>");
    back = parse_ok(out);
    ck_assert(jxta_xml_equal(r, back));
    free(out);
    jxta_xml_free(back);
    jxta_xml_free(r);
}
END_TEST

START_TEST(pretty_prints_any_document)
{
    const char *in = "<?xml version=\"1.0\"?><r a=\"1\"><x>t</x><y><z/></y></r>";
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_xml_pretty(in, strlen(in), &b), 0);
    char *s = jxta_buf_steal_str(&b);
    ck_assert_str_eq(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE r>\n<r a=\"1\">\n"
                        "  <x>t</x>\n  <y>\n    <z/>\n  </y>\n</r>\n");
    free(s);
    tu_log_capture();
    ck_assert_int_eq(jxta_xml_pretty("<r>", 3, &b), JXTA_EXML);
    tu_log_release();
    jxta_buf_free(&b);
}
END_TEST

START_TEST(equality_rules)
{
    jxta_xml_node_t *a = parse_ok("<r xml:space=\"preserve\" x=\"1\" y=\"2\"><c>t</c><d/></r>");
    jxta_xml_node_t *b = parse_ok("<r y=\"2\" x=\"1\">\n  <c> t </c>\n  <d></d>\n</r>");
    jxta_xml_node_t *c = parse_ok("<r x=\"1\" y=\"2\"><d/><c>t</c></r>");
    jxta_xml_node_t *d = parse_ok("<r x=\"1\" y=\"3\"><c>t</c><d/></r>");
    jxta_xml_node_t *e = parse_ok("<r x=\"1\" y=\"2\"><c>u</c><d/></r>");
    jxta_xml_node_t *f = parse_ok("<r x=\"1\" y=\"2\"><c>t</c><d/><e/></r>");
    jxta_xml_node_t *g = parse_ok("<r x=\"1\"><c>t</c><d/></r>");
    ck_assert(jxta_xml_equal(a, b));
    ck_assert(jxta_xml_equal(b, a));
    ck_assert(!jxta_xml_equal(a, c)); /* child order matters */
    ck_assert(!jxta_xml_equal(a, d));
    ck_assert(!jxta_xml_equal(a, e));
    ck_assert(!jxta_xml_equal(a, f));
    ck_assert(!jxta_xml_equal(f, a));
    ck_assert(!jxta_xml_equal(a, g));
    ck_assert(!jxta_xml_equal(g, a));
    /* Comparing subtrees stops at the subtree root. */
    ck_assert(jxta_xml_equal(jxta_xml_child(a, "c"), jxta_xml_child(e, "c")) == 0);
    ck_assert(jxta_xml_equal(jxta_xml_child(a, "d"), jxta_xml_child(c, "d")));
    jxta_xml_node_t *all[] = {a, b, c, d, e, f, g};
    for (size_t i = 0; i < 7; i++)
        jxta_xml_free(all[i]);
}
END_TEST

START_TEST(building_and_cloning)
{
    jxta_xml_node_t *r, *svc, *parm;
    tu_log_capture();
    ck_assert_int_eq(jxta_xml_new("bad name", &r), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_new("a:b:c", &r), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_new(":a", &r), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_new("1a", &r), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_new("", &r), JXTA_EINVAL);
    ck_assert_uint_ge(tu_log_count(), 5);
    tu_log_release();
    ck_assert_int_eq(jxta_xml_new("jxta:PA", &r), 0);
    ck_assert_int_eq(jxta_xml_add(r, "Svc", NULL, &svc), 0);
    ck_assert_int_eq(jxta_xml_add(svc, "MCID", "  m  ", NULL), 0);
    ck_assert_int_eq(jxta_xml_add(svc, "Parm", NULL, &parm), 0);
    ck_assert_str_eq(jxta_xml_text(jxta_xml_child(svc, "MCID")), "m");
    tu_log_capture();
    ck_assert_int_eq(jxta_xml_set_text(parm, "bell\a"), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_set_text(parm, "\xff"), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_set_attr(parm, "v", "a<b"), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_set_attr(parm, "v", "a\nb"), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_set_attr(parm, "v", "both\"'"), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_set_attr(parm, "x y", "v"), JXTA_EINVAL);
    tu_log_release();
    ck_assert_int_eq(jxta_xml_set_attr(parm, "type", "one"), 0);
    ck_assert_int_eq(jxta_xml_set_attr(parm, "type", "two"), 0); /* replaced in place */
    ck_assert_uint_eq(jxta_xml_attr_count(parm), 1);
    ck_assert_str_eq(jxta_xml_attr(parm, "type"), "two");
    /* No cycles, no double parents. */
    ck_assert_int_eq(jxta_xml_append(parm, r), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_append(r, parm), JXTA_EINVAL);
    jxta_xml_node_t *copy;
    ck_assert_int_eq(jxta_xml_clone(r, &copy), 0);
    ck_assert(jxta_xml_equal(r, copy));
    ck_assert_ptr_null(jxta_xml_parent(copy));
    /* Unlink + append moves a subtree. */
    jxta_xml_unlink(svc);
    ck_assert_uint_eq(jxta_xml_child_count(r, NULL), 0);
    ck_assert(!jxta_xml_equal(r, copy));
    ck_assert_int_eq(jxta_xml_append(r, svc), 0);
    ck_assert(jxta_xml_equal(r, copy));
    char *s = write_str(copy, JXTA_XML_FRAGMENT);
    ck_assert_str_eq(s, "<jxta:PA><Svc><MCID>m</MCID><Parm type=\"two\"/></Svc></jxta:PA>");
    free(s);
    /* Freeing a child detaches it from its parent. */
    jxta_xml_free(jxta_xml_child_mut(copy, "Svc"));
    ck_assert_uint_eq(jxta_xml_child_count(copy, NULL), 0);
    jxta_xml_free(copy);
    jxta_xml_free(r);
}
END_TEST

/* Trees built through the API can be far deeper than the parser allows;
 * free, clone, equality and writing must not recurse. */
START_TEST(deep_built_tree_no_recursion)
{
    jxta_xml_node_t *r, *cur;
    ck_assert_int_eq(jxta_xml_new("d", &r), 0);
    cur = r;
    for (int i = 0; i < 200000; i++)
        ck_assert_int_eq(jxta_xml_add(cur, "d", NULL, &cur), 0);
    jxta_xml_node_t *copy;
    ck_assert_int_eq(jxta_xml_clone(r, &copy), 0);
    ck_assert(jxta_xml_equal(r, copy));
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_xml_write(r, 0, &b), 0);
    ck_assert_uint_gt(b.len, 200000 * 4);
    jxta_buf_free(&b);
    jxta_xml_free(copy);
    jxta_xml_free(r);
}
END_TEST

START_TEST(reject_malformed)
{
    const char *bad[] = {
        "",
        "   ",
        "<a>",
        "<a></b>",
        "<a><b></a></b>",
        "<a/><b/>",
        "text only",
        "<a x=1/>",
        "<a x=\"1\" x=\"2\"/>",
        "<a>&undefined;</a>",
        "<a>&#0;</a>",
        "<?xml version=\"1.0\"?>",
        "<a:b:c/>",
        "<a b:c:d=\"1\"/>",
        "<:a/>",
        "<a>\x01</a>",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        expect_reject(bad[i], strlen(bad[i]), JXTA_EXML, NULL);
    /* An embedded NUL byte. */
    expect_reject("<a>x\0y</a>", 10, JXTA_EXML, NULL);
    jxta_xml_node_t *r = (jxta_xml_node_t *)1;
    ck_assert_int_eq(jxta_xml_parse(NULL, 5, &r), JXTA_EINVAL);
    ck_assert_int_eq(jxta_xml_parse("<a/>", 4, NULL), JXTA_EINVAL);
}
END_TEST

START_TEST(reject_billion_laughs)
{
    const char *bomb =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n<lolz>&lol9;</lolz>\n";
    expect_reject(bomb, strlen(bomb), JXTA_EXML, "entity declaration");
    /* Parameter-entity variant. */
    const char *pe = "<!DOCTYPE r [<!ENTITY % p \"<!ENTITY x 'y'>\"> %p;]><r>&x;</r>";
    expect_reject(pe, strlen(pe), JXTA_EXML, "entity declaration");
}
END_TEST

START_TEST(reject_external_entities)
{
    const char *xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "
                      "\"file:///etc/passwd\">]>\n<r>&xxe;</r>";
    expect_reject(xxe, strlen(xxe), JXTA_EXML, "entity declaration");
    const char *ext = "<!DOCTYPE r SYSTEM \"http://example.invalid/evil.dtd\"><r/>";
    expect_reject(ext, strlen(ext), JXTA_EXML, "external identifier");
    const char *pub = "<!DOCTYPE r PUBLIC \"-//X//Y\" \"file:///etc/passwd\"><r/>";
    expect_reject(pub, strlen(pub), JXTA_EXML, "external identifier");
    const char *elem = "<!DOCTYPE r [<!ELEMENT r ANY>]><r/>";
    expect_reject(elem, strlen(elem), JXTA_EXML, "element declaration");
    const char *att = "<!DOCTYPE r [<!ATTLIST r a CDATA \"dflt\">]><r/>";
    expect_reject(att, strlen(att), JXTA_EXML, "attribute-list declaration");
    const char *com = "<!DOCTYPE r [<!-- hidden -->]><r/>";
    expect_reject(com, strlen(com), JXTA_EXML, "internal DTD subset");
    const char *nota = "<!DOCTYPE r [<!NOTATION n SYSTEM \"x\">]><r/>";
    expect_reject(nota, strlen(nota), JXTA_EXML, "notation");
    /* A plain DOCTYPE naming the root, as JXSE writes, is fine. */
    jxta_xml_node_t *r = parse_ok("<!DOCTYPE r><r/>");
    jxta_xml_free(r);
}
END_TEST

static char *nested(size_t levels)
{
    char *s = malloc(levels * 7 + 1);
    ck_assert_ptr_nonnull(s);
    char *p = s;
    for (size_t i = 0; i < levels; i++)
        p += sprintf(p, "<a>");
    for (size_t i = 0; i < levels; i++)
        p += sprintf(p, "</a>");
    *p = '\0';
    return s;
}

START_TEST(reject_deep_nesting)
{
    char *s = nested(10000);
    expect_reject(s, strlen(s), JXTA_EDEPTH, "nested too deeply");
    free(s);
    /* At the default limit it parses; one more level does not. */
    s = nested(JXTA_XML_DEFAULT_MAX_DEPTH);
    jxta_xml_node_t *r = parse_ok(s);
    jxta_xml_free(r);
    free(s);
    s = nested(JXTA_XML_DEFAULT_MAX_DEPTH + 1);
    expect_reject(s, strlen(s), JXTA_EDEPTH, NULL);
    free(s);
    /* Configurable. */
    jxta_xml_limits_t lim;
    jxta_xml_limits_default(&lim);
    lim.max_depth = 3;
    s = nested(4);
    tu_log_capture();
    ck_assert_int_eq(jxta_xml_parse_ex(s, strlen(s), &lim, &r), JXTA_EDEPTH);
    lim.max_depth = 200;
    ck_assert_int_eq(jxta_xml_parse_ex(s, strlen(s), &lim, &r), 0);
    jxta_xml_free(r);
    tu_log_release();
    free(s);
}
END_TEST

START_TEST(reject_bad_utf8)
{
    const char *cases[] = {
        "<a>\xc3\x28</a>",          /* bad continuation */
        "<a>\xc0\xaf</a>",          /* overlong */
        "<a>\xed\xa0\x80</a>",      /* surrogate */
        "<a>\xf4\x90\x80\x80</a>",  /* above U+10FFFF */
        "<a>\xe2\x82</a>",          /* truncated sequence */
        "<a x=\"\xff\"/>",          /* in an attribute */
        "<\xfe/>",                  /* in a name */
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++)
        expect_reject(cases[i], strlen(cases[i]), JXTA_EUTF8, "UTF-8");
    /* UTF-16 is refused too, even with a declaration. */
    const char u16[] = "\xff\xfe<\0a\0/\0>\0";
    expect_reject(u16, sizeof u16 - 1, JXTA_EUTF8, NULL);
    /* Valid multi-byte text is kept, whatever the declaration claims. */
    jxta_xml_node_t *r =
        parse_ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>h\xc3\xa9llo \xe2\x9c\x93</a>");
    ck_assert_str_eq(jxta_xml_text(r), "h\xc3\xa9llo \xe2\x9c\x93");
    jxta_xml_free(r);
}
END_TEST

START_TEST(reject_huge)
{
    size_t n = JXTA_XML_DEFAULT_MAX_BYTES + 1;
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, ' ', n);
    memcpy(s, "<a>", 3);
    memcpy(s + n - 4, "</a>", 4);
    s[n] = '\0';
    expect_reject(s, n, JXTA_ETOOBIG, "limit");
    /* Many elements within the size limit still hit the node limit. */
    jxta_xml_limits_t lim;
    jxta_xml_limits_default(&lim);
    lim.max_nodes = 1000;
    char *p = s;
    p += sprintf(p, "<r>");
    for (int i = 0; i < 2000; i++)
        p += sprintf(p, "<e/>");
    p += sprintf(p, "</r>");
    jxta_xml_node_t *r;
    tu_log_capture();
    ck_assert_int_eq(jxta_xml_parse_ex(s, strlen(s), &lim, &r), JXTA_ETOOBIG);
    ck_assert_msg(strstr(tu_log_last(), "too many elements"), "%s", tu_log_last());
    lim.max_nodes = 5000;
    ck_assert_int_eq(jxta_xml_parse_ex(s, strlen(s), &lim, &r), 0);
    ck_assert_uint_eq(jxta_xml_child_count(r, "e"), 2000);
    jxta_xml_free(r);
    tu_log_release();
    free(s);
}
END_TEST

START_TEST(truncation_never_crashes)
{
    char *path = tu_vector_path("dump/PeerAdvertisement.xml");
    size_t len;
    uint8_t *doc = tu_read(path, &len);
    const char *end = strstr((const char *)doc, "</jxta:PA>");
    ck_assert_ptr_nonnull(end);
    size_t complete = (size_t)(end - (const char *)doc) + strlen("</jxta:PA>");
    tu_log_capture();
    for (size_t cut = 0; cut < len; cut++) {
        jxta_xml_node_t *r = NULL;
        size_t before = tu_log_count();
        int rc = jxta_xml_parse(doc, cut, &r);
        if (cut < complete) {
            ck_assert_msg(rc < 0, "cut at %zu parsed", cut);
            ck_assert_uint_gt(tu_log_count(), before);
        } else {
            ck_assert_int_eq(rc, 0);
            jxta_xml_free(r);
        }
    }
    tu_log_release();
    free(doc);
    free(path);
}
END_TEST

static Suite *xml_suite(void)
{
    Suite *s = suite_create("xml");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, parse_keeps_names_attrs_text);
    tcase_add_test(tc, write_compact_matches_jxse_layout);
    tcase_add_test(tc, write_escaping);
    tcase_add_test(tc, pretty_prints_any_document);
    tcase_add_test(tc, equality_rules);
    tcase_add_test(tc, building_and_cloning);
    tcase_add_test(tc, deep_built_tree_no_recursion);
    suite_add_tcase(s, tc);
    TCase *th = tcase_create("hostile");
    tcase_set_timeout(th, 120);
    tcase_add_test(th, reject_malformed);
    tcase_add_test(th, reject_billion_laughs);
    tcase_add_test(th, reject_external_entities);
    tcase_add_test(th, reject_deep_nesting);
    tcase_add_test(th, reject_bad_utf8);
    tcase_add_test(th, reject_huge);
    tcase_add_test(th, truncation_never_crashes);
    suite_add_tcase(s, th);
    return s;
}

int main(void)
{
    return tu_run(xml_suite());
}
