/* jxta/xml.h - XML documents as JXTA uses them (PROTOCOLS.md 2.1).
 *
 * Parsing goes through libxml2 (SAX, network off, no entity expansion, no
 * DTD: a DOCTYPE may name the root but any declaration, external ID or
 * internal-subset markup is refused) into a small owned element tree.  The
 * tree keeps what JXSE's LiteXML reader can see: qualified element names,
 * attributes in document order (xmlns declarations included, values as the
 * XML parser decoded them), the trimmed text of each element, and child
 * elements in order.  Comments, processing instructions and whitespace-only
 * text between elements are dropped; CDATA becomes ordinary text.
 *
 * Writing is our own, producing what LiteXML accepts: an XML declaration,
 * a `<!DOCTYPE root>` line, then the root; text escapes only `&` and `<`
 * (plus `>` when it closes "]]>", and CR as a character reference).
 * Attribute values are written unescaped between double quotes (single
 * quotes when the value holds a double quote), because LiteXML copies
 * attribute text verbatim; a value holding a character that cannot be
 * written that way (`<`, `>`, `&`, both quote kinds, TAB/CR/LF) is written
 * with XML character references so the output stays well-formed, knowing
 * that JXSE would then see the reference text itself.  jxta_xml_set_attr()
 * refuses such values so that documents we build never need it.
 *
 * libxml2 never prints anything itself: its error handlers are silenced
 * for the calling thread and errors become one WARN line in our log. */
#ifndef JXTA_XML_H
#define JXTA_XML_H

#include <stddef.h>

#include <jxta/buf.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_xml_node jxta_xml_node_t;

/* Parse limits.  Depth counts the root as 1. */
typedef struct jxta_xml_limits {
    size_t max_bytes;   /* document size; larger input -> JXTA_ETOOBIG */
    unsigned max_depth; /* element nesting -> JXTA_EDEPTH (at most JXTA_XML_HARD_MAX_DEPTH) */
    size_t max_nodes;   /* number of elements -> JXTA_ETOOBIG */
} jxta_xml_limits_t;

#define JXTA_XML_DEFAULT_MAX_BYTES ((size_t)1 << 20)
#define JXTA_XML_DEFAULT_MAX_DEPTH 64u
#define JXTA_XML_DEFAULT_MAX_NODES ((size_t)65536)
#define JXTA_XML_HARD_MAX_DEPTH 256u

void jxta_xml_limits_default(jxta_xml_limits_t *lim);

/* Parse a complete document; *root receives the root element.
 * Errors: JXTA_EXML, JXTA_EUTF8, JXTA_EDEPTH, JXTA_ETOOBIG, JXTA_ENOMEM,
 * JXTA_EINVAL.  Every rejection is logged (module "xml"). */
int jxta_xml_parse(const void *text, size_t len, jxta_xml_node_t **root);
int jxta_xml_parse_ex(const void *text, size_t len, const jxta_xml_limits_t *lim,
                      jxta_xml_node_t **root);
/* Frees the node and its subtree, unlinking it from its parent first. */
void jxta_xml_free(jxta_xml_node_t *node);

/* ---- Reading ----------------------------------------------------------- */

/* Qualified name, e.g. "jxta:PA" or "Name". */
const char *jxta_xml_name(const jxta_xml_node_t *node);
/* Part after the prefix ("PA" for "jxta:PA"). */
const char *jxta_xml_local_name(const jxta_xml_node_t *node);
/* Trimmed text content of the element itself ("" when none). */
const char *jxta_xml_text(const jxta_xml_node_t *node);
/* First direct child with that qualified name, or NULL. */
const jxta_xml_node_t *jxta_xml_child(const jxta_xml_node_t *node, const char *name);
const jxta_xml_node_t *jxta_xml_parent(const jxta_xml_node_t *node);
/* First child element / next sibling element, or NULL. */
const jxta_xml_node_t *jxta_xml_first(const jxta_xml_node_t *node);
const jxta_xml_node_t *jxta_xml_next(const jxta_xml_node_t *node);
/* Next sibling with the same name as `node` (iterating repeated fields). */
const jxta_xml_node_t *jxta_xml_next_named(const jxta_xml_node_t *node);
/* Number of direct children named `name` (NULL: all children). */
size_t jxta_xml_child_count(const jxta_xml_node_t *node, const char *name);
size_t jxta_xml_attr_count(const jxta_xml_node_t *node);
/* i-th attribute in document order; NULL when out of range. */
const char *jxta_xml_attr_name(const jxta_xml_node_t *node, size_t i);
const char *jxta_xml_attr_value(const jxta_xml_node_t *node, size_t i);
/* Value of the attribute with that qualified name, or NULL. */
const char *jxta_xml_attr(const jxta_xml_node_t *node, const char *name);

/* Mutable variants for code that edits a tree it owns. */
jxta_xml_node_t *jxta_xml_child_mut(jxta_xml_node_t *node, const char *name);
jxta_xml_node_t *jxta_xml_first_mut(jxta_xml_node_t *node);
jxta_xml_node_t *jxta_xml_next_mut(jxta_xml_node_t *node);

/* Structural equality: names, attributes as a set (xml:space ignored),
 * trimmed text, children in order.  1 if equal, else 0. */
int jxta_xml_equal(const jxta_xml_node_t *a, const jxta_xml_node_t *b);

/* ---- Building ---------------------------------------------------------- */
/* Names must be XML names with at most one ':' (not first or last); text
 * and values must be UTF-8 without characters XML 1.0 forbids.  Bad
 * arguments give JXTA_EINVAL (logged). */

int jxta_xml_new(const char *name, jxta_xml_node_t **out);
/* Append a new child (text may be NULL); *out (may be NULL) gets it. */
int jxta_xml_add(jxta_xml_node_t *parent, const char *name, const char *text,
                 jxta_xml_node_t **out);
/* Replace the element's text (stored trimmed, as a reader would see it). */
int jxta_xml_set_text(jxta_xml_node_t *node, const char *text);
/* Set (replace in place, or append) an attribute.  Values must also avoid
 * `<`, `>`, `&`, TAB, CR, LF and must not hold both `"` and `'`. */
int jxta_xml_set_attr(jxta_xml_node_t *node, const char *name, const char *value);
/* Append `child`, which must have no parent; the parent takes ownership. */
int jxta_xml_append(jxta_xml_node_t *parent, jxta_xml_node_t *child);
/* Detach a node from its parent (the caller then owns it). */
void jxta_xml_unlink(jxta_xml_node_t *node);
/* Deep copy, detached.  JXTA_ENOMEM or JXTA_EDEPTH on failure. */
int jxta_xml_clone(const jxta_xml_node_t *node, jxta_xml_node_t **out);

/* ---- Writing ----------------------------------------------------------- */

#define JXTA_XML_INDENT 0x1u   /* 2-space indentation for humans */
#define JXTA_XML_FRAGMENT 0x2u /* element only: no declaration, no DOCTYPE */

/* Append the document (or fragment) rooted at `root` to `out`.  The
 * compact form matches JXSE's own output: declaration, DOCTYPE, root start
 * tag, newline, children without whitespace, end tag, newline. */
int jxta_xml_write(const jxta_xml_node_t *root, unsigned flags, jxta_buf_t *out);

/* Pieces for modules that write JXSE's documents by hand (JXSE writes some
 * documents tab-indented, which the tree writer does not do):
 *  - jxta_xml_text_ok: s[0..n) is text XML 1.0 can carry (valid UTF-8, no
 *    control characters but TAB/LF/CR, no U+FFFE/U+FFFF);
 *  - jxta_xml_escape_text: s[0..n) escaped as element text exactly as
 *    jxta_xml_write escapes it (& and <, the > of "]]>", CR);
 *  - jxta_xml_put_field: "\t<name>\n\t\ttext\n\t</name>\n", JXSE's layout of a
 *    child element with text. */
int jxta_xml_text_ok(const char *s, size_t n);
void jxta_xml_escape_text(jxta_buf_t *out, const char *s, size_t n);
void jxta_xml_put_field(jxta_buf_t *out, const char *name, const char *text, size_t n);

/* Pretty-print any XML document for humans (2-space indent). */
int jxta_xml_pretty(const void *text, size_t len, jxta_buf_t *out);

#ifdef __cplusplus
}
#endif
#endif
