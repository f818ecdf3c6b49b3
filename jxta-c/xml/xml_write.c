/* xml_write.c - serialisation of element trees in the form JXSE writes
 * and its LiteXML parser reads back (PROTOCOLS.md 2.1).
 *
 * Compact output reproduces JXSE's own layout exactly (declaration line,
 * DOCTYPE line, root start tag and a newline, children without added
 * whitespace, end tag, newline), so a compact JXSE document parsed and
 * written again comes out byte for byte the same.  The walk is iterative,
 * so tree depth does not matter.  Escaping rules are described in
 * jxta/xml.h. */
#include <jxta/xml.h>

#include "../util/internal.h"

void jxta_xml_escape_text(jxta_buf_t *out, const char *s, size_t n)
{
    size_t run = 0, from = 0; /* run: consecutive ']' seen */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        const char *rep = c == '&'                ? "&amp;"
                          : c == '<'              ? "&lt;"
                          : c == '>' && run >= 2  ? "&gt;" /* "]]>" is not allowed in text */
                          : c == '\r'             ? "&#13;"
                                                  : NULL;
        run = c == ']' ? run + 1 : 0;
        if (rep) {
            jxta_buf_append(out, s + from, i - from);
            jxta_buf_append_str(out, rep);
            from = i + 1;
        }
    }
    jxta_buf_append(out, s + from, n - from);
}

void jxta_xml_put_field(jxta_buf_t *out, const char *name, const char *text, size_t n)
{
    jxta_buf_append_str(out, "\t<");
    jxta_buf_append_str(out, name);
    jxta_buf_append_str(out, ">\n\t\t");
    jxta_xml_escape_text(out, text, n);
    jxta_buf_append_str(out, "\n\t</");
    jxta_buf_append_str(out, name);
    jxta_buf_append_str(out, ">\n");
}

static void put_text(jxta_buf_t *out, const char *s)
{
    jxta_xml_escape_text(out, s, strlen(s));
}

static void put_attr_value(jxta_buf_t *out, const char *v)
{
    int has_dq = strchr(v, '"') != NULL, has_sq = strchr(v, '\'') != NULL;
    char q = has_dq && !has_sq ? '\'' : '"';
    jxta_buf_append(out, &q, 1);
    for (const char *p = v; *p; p++) {
        switch (*p) {
        case '&': jxta_buf_append_str(out, "&amp;"); break;
        case '<': jxta_buf_append_str(out, "&lt;"); break;
        case '>': jxta_buf_append_str(out, "&gt;"); break;
        case '\t': jxta_buf_append_str(out, "&#9;"); break;
        case '\n': jxta_buf_append_str(out, "&#10;"); break;
        case '\r': jxta_buf_append_str(out, "&#13;"); break;
        case '"':
            if (q == '"')
                jxta_buf_append_str(out, "&quot;");
            else
                jxta_buf_append(out, p, 1);
            break;
        default: jxta_buf_append(out, p, 1);
        }
    }
    jxta_buf_append(out, &q, 1);
}

static void put_indent(jxta_buf_t *out, size_t level)
{
    for (size_t i = 0; i < level; i++)
        jxta_buf_append(out, "  ", 2);
}

/* Start tag, and for a childless element its text and end tag too. */
static void open_elem(jxta_buf_t *out, const jxta_xml_node_t *n, int root, unsigned flags,
                      size_t level)
{
    int indent = (flags & JXTA_XML_INDENT) != 0;
    int empty = !jxta_xml_first(n) && !*jxta_xml_text(n);
    if (indent && !root)
        put_indent(out, level);
    jxta_buf_printf(out, "<%s", jxta_xml_name(n));
    for (size_t i = 0; i < jxta_xml_attr_count(n); i++) {
        jxta_buf_printf(out, " %s=", jxta_xml_attr_name(n, i));
        put_attr_value(out, jxta_xml_attr_value(n, i));
    }
    if (empty) {
        jxta_buf_append_str(out, "/>");
        if (indent)
            jxta_buf_append_str(out, "\n");
        return;
    }
    jxta_buf_append_str(out, ">");
    if (!jxta_xml_first(n)) {
        put_text(out, jxta_xml_text(n));
        jxta_buf_printf(out, "</%s>", jxta_xml_name(n));
        if (indent)
            jxta_buf_append_str(out, "\n");
        return;
    }
    /* JXSE puts a newline after the root start tag even when compact. */
    if (indent || (root && !(flags & JXTA_XML_FRAGMENT)))
        jxta_buf_append_str(out, "\n");
    if (*jxta_xml_text(n)) {
        if (indent)
            put_indent(out, level + 1);
        put_text(out, jxta_xml_text(n));
        if (indent)
            jxta_buf_append_str(out, "\n");
    }
}

static void close_elem(jxta_buf_t *out, const jxta_xml_node_t *n, unsigned flags, size_t level)
{
    int indent = (flags & JXTA_XML_INDENT) != 0;
    if (indent)
        put_indent(out, level);
    jxta_buf_printf(out, "</%s>", jxta_xml_name(n));
    if (indent)
        jxta_buf_append_str(out, "\n");
}

int jxta_xml_write(const jxta_xml_node_t *root, unsigned flags, jxta_buf_t *out)
{
    if (!root || !out)
        return JXTA_EINVAL;
    size_t start = out->len;
    if (!(flags & JXTA_XML_FRAGMENT))
        jxta_buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE %s>\n",
                        jxta_xml_name(root));
    const jxta_xml_node_t *n = root;
    size_t level = 0;
    open_elem(out, n, 1, flags, level);
    if (jxta_xml_first(n)) {
        for (;;) {
            if (jxta_xml_first(n)) {
                n = jxta_xml_first(n);
                level++;
            } else {
                /* Leaf done (open_elem closed it); climb while no sibling. */
                while (n != root && !jxta_xml_next(n)) {
                    n = jxta_xml_parent(n);
                    level--;
                    close_elem(out, n, flags, level);
                }
                if (n == root)
                    break;
                n = jxta_xml_next(n);
            }
            open_elem(out, n, 0, flags, level);
        }
    }
    int indent = (flags & JXTA_XML_INDENT) != 0;
    if (!(flags & JXTA_XML_FRAGMENT) && !indent)
        jxta_buf_append_str(out, "\n");
    if (indent && (flags & JXTA_XML_FRAGMENT) && out->len > start && !out->err &&
        out->data[out->len - 1] == '\n')
        out->len--;
    return jxta_buf_error(out);
}

int jxta_xml_pretty(const void *text, size_t len, jxta_buf_t *out)
{
    if (!out)
        return JXTA_EINVAL;
    jxta_xml_node_t *root;
    int rc = jxta_xml_parse(text, len, &root);
    if (rc < 0)
        return rc;
    rc = jxta_xml_write(root, JXTA_XML_INDENT, out);
    jxta_xml_free(root);
    return rc;
}
