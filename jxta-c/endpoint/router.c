/* router.c - reading and writing the jxta:ERM router header.
 *
 * Src, Dest and Last are endpoint addresses of peers; Dest carries the
 * real service and parameter.  Fwd and Rvs hold APA lists: we always send
 * an empty Fwd (we route hop by hop) and, when forwarding, an Rvs naming
 * ourselves, which is what JXSE needs to learn the way back.
 *
 * Every routed message carries this header, so both directions have a fast
 * path for the common document (no route advertisement, empty hop lists,
 * no entities): it is written straight into the buffer and read by a small
 * scanner.  Anything else - a route advertisement, hops, comments, entity
 * references, odd layout - goes through the full XML layer, and the unit
 * tests check that both paths agree on every captured header. */
#include <stdio.h>

#include <jxta/endpoint.h>
#include <jxta/xml.h>

#include "../util/internal.h"
#include "router.h"

/* ---- fast path ------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static int starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* Text of <name>...</name> at p (no attributes, no markup, no entities);
 * returns the position after the end tag or NULL. */
static const char *simple_elem(const char *p, const char *end, const char *name, const char **t,
                               size_t *tl)
{
    size_t nl = strlen(name);
    if ((size_t)(end - p) < nl + 2 || p[0] != '<' || memcmp(p + 1, name, nl) != 0 ||
        p[1 + nl] != '>')
        return NULL;
    p += nl + 2;
    const char *lt = memchr(p, '<', (size_t)(end - p));
    if (!lt)
        return NULL;
    for (const char *c = p; c < lt; c++) /* plain ASCII text only */
        if ((unsigned char)*c >= 0x7f || *c == '&' || ((unsigned char)*c < ' ' && *c != '\t' &&
                                                        *c != '\r' && *c != '\n'))
            return NULL;
    if (memmem(p, (size_t)(lt - p), "]]>", 3) || (size_t)(end - lt) < nl + 3 || lt[1] != '/' ||
        memcmp(lt + 2, name, nl) != 0 || lt[2 + nl] != '>')
        return NULL;
    const char *a = skip_ws(p, lt), *b = lt;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r' || b[-1] == '\n'))
        b--;
    *t = a;
    *tl = (size_t)(b - a);
    return lt + nl + 3;
}

/* An empty hop list: <X/> or <X></X>.  Returns the position after it. */
static const char *empty_list(const char *p, const char *end, const char *name)
{
    char tag[16];
    snprintf(tag, sizeof tag, "<%s/>", name);
    if (starts(p, end, tag))
        return p + strlen(tag);
    snprintf(tag, sizeof tag, "<%s>", name);
    if (!starts(p, end, tag))
        return NULL;
    p = skip_ws(p + strlen(tag), end);
    snprintf(tag, sizeof tag, "</%s>", name);
    return starts(p, end, tag) ? p + strlen(tag) : NULL;
}

static int fast_addr(const char *t, size_t tl, jxta_addr_t *a, jxta_id_t *pid)
{
    return jxta_addr_parse(a, t, tl) == 0 && jxta_addr_peer_id(a, pid) == 0;
}

/* 1 = parsed, 0 = not the simple form (use the full parser). */
static int erm_parse_fast(const char *p, size_t len, jxta_erm_t *out)
{
    const char *end = p + len, *t;
    size_t tl;
    /* Only the exact prologue and root tags JXSE and we write; anything
     * else is left to the full parser, so what this path accepts is always
     * well-formed XML that the full parser reads the same way. */
    static const char *const roots[] = {
        "<jxta:ERM xml:space=\"preserve\" xmlns:jxta=\"http://jxta.org\">",
        "<jxta:ERM xmlns:jxta=\"http://jxta.org\" xml:space=\"preserve\">",
        "<jxta:ERM xmlns:jxta=\"http://jxta.org\">"};
    if (!starts(p, end, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"))
        return 0;
    p = skip_ws(p + 38, end);
    if (starts(p, end, "<!DOCTYPE jxta:ERM>"))
        p = skip_ws(p + 19, end);
    size_t r;
    for (r = 0; r < 3 && !starts(p, end, roots[r]); r++)
        ;
    if (r == 3)
        return 0;
    p += strlen(roots[r]);
    int have_src = 0, have_dest = 0, have_last = 0, have_fwd = 0, have_rvs = 0;
    for (;;) {
        p = skip_ws(p, end);
        if (starts(p, end, "</jxta:ERM>")) {
            p = skip_ws(p + 11, end);
            break;
        }
        const char *q;
        if (!have_src && (q = simple_elem(p, end, "Src", &t, &tl))) {
            if (!fast_addr(t, tl, &out->src, &out->src_peer))
                return 0;
            have_src = 1;
        } else if (!have_dest && (q = simple_elem(p, end, "Dest", &t, &tl))) {
            if (!fast_addr(t, tl, &out->dest, &out->dest_peer))
                return 0;
            have_dest = 1;
        } else if (!have_last && (q = simple_elem(p, end, "Last", &t, &tl))) {
            if (!fast_addr(t, tl, &out->last, &out->last_peer))
                return 0;
            have_last = 1;
        } else if (!have_fwd && (q = empty_list(p, end, "Fwd"))) {
            have_fwd = 1;
        } else if (!have_rvs && (q = empty_list(p, end, "Rvs"))) {
            have_rvs = 1;
        } else {
            return 0;
        }
        p = q;
    }
    if (p != end || !have_src || !have_dest)
        return 0;
    if (!have_last) {
        out->last = out->src;
        out->last_peer = out->src_peer;
    }
    return 1;
}

/* ---- full path --------------------------------------------------------- */

static int peer_addr(const jxta_xml_node_t *root, const char *name, jxta_addr_t *a,
                     jxta_id_t *pid)
{
    const jxta_xml_node_t *n = jxta_xml_child(root, name);
    if (!n)
        return jxta__reject(JXTA_EMISSING, "router", "router header without <%s>", name);
    int rc = jxta_addr_from_string(a, jxta_xml_text(n));
    if (rc < 0)
        return rc;
    rc = jxta_addr_peer_id(a, pid);
    if (rc < 0)
        return jxta__reject(JXTA_EPROTO, "router", "router header <%s> '%s' is not a peer",
                            name, jxta_xml_text(n));
    return 0;
}

int jxta__erm_parse(const void *xml, size_t len, jxta_erm_t *out)
{
    memset(out, 0, sizeof *out);
    if (erm_parse_fast(xml, len, out))
        return 0;
    memset(out, 0, sizeof *out);
    return jxta__erm_parse_full(xml, len, out);
}

int jxta__erm_parse_full(const void *xml, size_t len, jxta_erm_t *out)
{
    memset(out, 0, sizeof *out);
    jxta_xml_node_t *root = NULL;
    int rc = jxta_xml_parse(xml, len, &root);
    if (rc < 0)
        return rc;
    if (strcmp(jxta_xml_local_name(root), "ERM") != 0) {
        rc = jxta__reject(JXTA_EPROTO, "router", "router header root is <%s>, not jxta:ERM",
                          jxta_xml_name(root));
        goto done;
    }
    if ((rc = peer_addr(root, "Src", &out->src, &out->src_peer)) < 0 ||
        (rc = peer_addr(root, "Dest", &out->dest, &out->dest_peer)) < 0)
        goto done;
    if (jxta_xml_child(root, "Last")) {
        if ((rc = peer_addr(root, "Last", &out->last, &out->last_peer)) < 0)
            goto done;
    } else {
        out->last = out->src;
        out->last_peer = out->src_peer;
    }
    const jxta_xml_node_t *fwd = jxta_xml_child(root, "Fwd");
    const jxta_xml_node_t *rvs = jxta_xml_child(root, "Rvs");
    out->nfwd = fwd ? jxta_xml_child_count(fwd, NULL) : 0;
    out->nrvs = rvs ? jxta_xml_child_count(rvs, NULL) : 0;
    const jxta_xml_node_t *ra = jxta_xml_child(root, "jxta:RA");
    if (ra && jxta_adv_from_xml(ra, NULL, &out->ra) < 0)
        out->ra = NULL; /* a bad route is ignored, the message is still good */
    rc = 0;
done:
    jxta_xml_free(root);
    if (rc < 0)
        jxta__erm_clear(out);
    return rc;
}

void jxta__erm_clear(jxta_erm_t *erm)
{
    jxta_adv_free(erm->ra);
    erm->ra = NULL;
}

static int add_addr(jxta_xml_node_t *root, const char *name, const jxta_addr_t *a)
{
    char text[JXTA_ADDR_TEXT_MAX];
    jxta_addr_format(a, text, sizeof text);
    return jxta_xml_add(root, name, text, NULL);
}

static void put_addr(jxta_buf_t *out, const char *name, const jxta_addr_t *a)
{
    char text[JXTA_ADDR_TEXT_MAX];
    size_t n = jxta_addr_format(a, text, sizeof text);
    if (n >= sizeof text)
        n = sizeof text - 1;
    jxta_buf_put_u8(out, '<');
    jxta_buf_append_str(out, name);
    jxta_buf_put_u8(out, '>');
    jxta_xml_escape_text(out, text, n);
    jxta_buf_append_str(out, "</");
    jxta_buf_append_str(out, name);
    jxta_buf_put_u8(out, '>');
}

int jxta__erm_write(const jxta_addr_t *src, const jxta_addr_t *dest, const jxta_addr_t *last,
                    const jxta_id_t *rvs_peer, const jxta_adv_t *ra, jxta_buf_t *out)
{
    if (ra)
        return jxta__erm_write_full(src, dest, last, rvs_peer, ra, out);
    /* The same bytes the XML writer produces, without building a tree. */
    size_t before = out->len;
    jxta_buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE jxta:ERM>\n"
                             "<jxta:ERM xmlns:jxta=\"http://jxta.org\" xml:space=\"preserve\">\n");
    put_addr(out, "Src", src);
    put_addr(out, "Dest", dest);
    put_addr(out, "Last", last);
    jxta_buf_append_str(out, "<Fwd/>");
    if (rvs_peer) {
        jxta_id_text_t t;
        jxta_buf_printf(out, "<Rvs><jxta:APA><PID>%s</PID></jxta:APA></Rvs>",
                        jxta_id_str(rvs_peer, &t));
    } else {
        jxta_buf_append_str(out, "<Rvs/>");
    }
    jxta_buf_append_str(out, "</jxta:ERM>\n");
    int rc = jxta_buf_error(out);
    if (rc < 0)
        out->len = before;
    return rc;
}

int jxta__erm_write_full(const jxta_addr_t *src, const jxta_addr_t *dest,
                         const jxta_addr_t *last, const jxta_id_t *rvs_peer, const jxta_adv_t *ra,
                         jxta_buf_t *out)
{
    jxta_xml_node_t *root = NULL, *rvs = NULL, *apa = NULL;
    int rc = jxta_xml_new("jxta:ERM", &root);
    if (rc < 0)
        return rc;
    if ((rc = jxta_xml_set_attr(root, "xmlns:jxta", "http://jxta.org")) < 0 ||
        (rc = jxta_xml_set_attr(root, "xml:space", "preserve")) < 0 ||
        (rc = add_addr(root, "Src", src)) < 0 || (rc = add_addr(root, "Dest", dest)) < 0 ||
        (rc = add_addr(root, "Last", last)) < 0 ||
        (rc = jxta_xml_add(root, "Fwd", NULL, NULL)) < 0 ||
        (rc = jxta_xml_add(root, "Rvs", NULL, &rvs)) < 0)
        goto done;
    if (rvs_peer) {
        jxta_id_text_t t;
        if ((rc = jxta_xml_add(rvs, "jxta:APA", NULL, &apa)) < 0 ||
            (rc = jxta_xml_add(apa, "PID", jxta_id_str(rvs_peer, &t), NULL)) < 0)
            goto done;
    }
    if (ra && (rc = jxta_adv_embed(root, ra)) < 0)
        goto done;
    rc = jxta_xml_write(root, 0, out);
done:
    jxta_xml_free(root);
    return rc;
}
