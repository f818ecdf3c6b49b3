/* jxta/xml.h - XML documents as JXTA uses them (PROTOCOLS.md 2.1).
 *
 * Parsing goes through libxml2 with network access and entity expansion
 * off, into a small owned element tree; writing is our own, producing what
 * JXSE's LiteXML parser accepts.  (Owned by the advertisements work; the
 * functions below are the contract other modules rely on.) */
#ifndef JXTA_XML_H
#define JXTA_XML_H

#include <stddef.h>

#include <jxta/buf.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_xml_node jxta_xml_node_t;

/* Parse a complete document; *root receives the root element.
 * Errors: JXTA_EXML, JXTA_EDEPTH, JXTA_ETOOBIG, JXTA_ENOMEM. */
int jxta_xml_parse(const void *text, size_t len, jxta_xml_node_t **root);
void jxta_xml_free(jxta_xml_node_t *node);

/* Qualified name, e.g. "jxta:PA" or "Name". */
const char *jxta_xml_name(const jxta_xml_node_t *node);
/* Trimmed text content of the element itself ("" when none). */
const char *jxta_xml_text(const jxta_xml_node_t *node);
/* First direct child with that qualified name, or NULL. */
const jxta_xml_node_t *jxta_xml_child(const jxta_xml_node_t *node, const char *name);

/* Pretty-print any XML document for humans (2-space indent). */
int jxta_xml_pretty(const void *text, size_t len, jxta_buf_t *out);

#ifdef __cplusplus
}
#endif
#endif
