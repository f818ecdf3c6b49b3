/* jxta/discovery.h - the Peer Discovery Protocol documents (PROTOCOLS.md 8.1,
 * 8.2): jxta:DiscoveryQuery, carried as the text of a ResolverQuery's
 * `Query`, and jxta:DiscoveryResponse, the text of a ResolverResponse's
 * `Response`; plus the value matching rule responders apply (8.1).
 *
 * Both documents are plain C structs: the resolver layer hands us the
 * unescaped text (what jxta_xml_text gives for Query/Response) and we hand
 * back text for it to escape.  Advertisements inside a response stay text
 * (`adv_xml`, the complete document, declaration included): the receiver
 * parses them with jxta_adv_parse when it caches them, and a responder
 * sends what its cache stores without a parse/write cycle.
 *
 * Writing reproduces what JXSE 2.5 sends, checked against captured frames:
 * the query in JXSE's compact layout (root with xml:space="preserve" then
 * xmlns:jxta, a newline, children without whitespace), the response in
 * JXSE's tab-indented layout (root with xmlns:jxta only, one field per
 * line, each Response holding the escaped advertisement text).  Output has
 * no trailing newline, so a captured document (as trimmed by the XML
 * reader) parsed and written again comes out byte for byte the same.
 *
 * Parsing treats the text as hostile: the element tree is bounded (depth,
 * size, node count), every rule of 8.1/8.2 is checked and each rejection
 * is logged (module "discovery") with a specific code:
 *   JXTA_EADVTYPE  root is not jxta:DiscoveryQuery / jxta:DiscoveryResponse
 *   JXTA_EMISSING  Type, Threshold or Count absent; an empty Response
 *   JXTA_EPROTO    a number that is not decimal, Value without Attr,
 *                  Count different from the number of Response elements
 *   JXTA_ERANGE    Type not 0/1/2, negative Threshold, a number beyond int
 *   JXTA_ETOOBIG   more than JXTA_DISC_MAX_ENTRIES responses
 *   (plus the XML layer's JXTA_EXML, JXTA_EUTF8, JXTA_EDEPTH, JXTA_ETOOBIG).
 * Expiration attributes are decimal milliseconds; JXSE sometimes sends
 * values near 2^63-1 for "forever", so anything >= 2^62 (or too large for
 * 64 bits) becomes JXTA_DISC_EXP_INFINITE, and a negative value becomes 0
 * ("do not keep").  An empty Attr or Value reads as absent, as JXSE's
 * getTextValue() gives null for it.  PeerAdv (never sent by JXSE 2.5) and
 * unknown children are ignored. */
#ifndef JXTA_DISCOVERY_H
#define JXTA_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/buf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Discovery types (= jxta_adv_dir_t values; directories Peers/Groups/Adv). */
#define JXTA_DISC_PEER 0
#define JXTA_DISC_GROUP 1
#define JXTA_DISC_ADV 2

/* JXSE's DEFAULT_EXPIRATION (2 h), used when a Response has no Expiration. */
#define JXTA_DISC_DEFAULT_EXPIRATION_MS 7200000LL
/* "Forever": what any Expiration >= 2^62 is read as. */
#define JXTA_DISC_EXP_INFINITE INT64_MAX
#define JXTA_DISC_EXP_INFINITE_MIN ((int64_t)1 << 62)
/* Responses per document (JXSE answers with at most 50; remote publish 1). */
#define JXTA_DISC_MAX_ENTRIES 1024
/* Nesting allowed in either document (the real ones have depth 2). */
#define JXTA_DISC_MAX_DEPTH 8u

typedef struct jxta_disc_query {
    int type;      /* JXTA_DISC_PEER / GROUP / ADV */
    int threshold; /* max advertisements wanted, >= 0 */
    char *attr;    /* index field name to match, NULL = any record */
    char *value;   /* pattern (jxta_disc_value_match), NULL = any; needs attr */
} jxta_disc_query_t;

typedef struct jxta_disc_entry {
    char *adv_xml;         /* complete advertisement document, declaration included */
    size_t len;            /* strlen(adv_xml) */
    int64_t expiration_ms; /* -1 = attribute absent (use the 2 h default),
                              JXTA_DISC_EXP_INFINITE = forever, else >= 0 */
} jxta_disc_entry_t;

typedef struct jxta_disc_response {
    int type;
    char *attr;  /* echo of the query, NULL = none */
    char *value; /* NULL = none */
    size_t count; /* number of entries (the Count written) */
    jxta_disc_entry_t *entries;
} jxta_disc_response_t;

/* ---- Queries ----------------------------------------------------------- */

/* New query (attr/value copied, may be NULL).  JXTA_ERANGE for a bad type
 * or negative threshold, JXTA_EPROTO for a value without attr, JXTA_EINVAL
 * for strings XML cannot carry. */
int jxta_disc_query_new(int type, int threshold, const char *attr, const char *value,
                        jxta_disc_query_t **out);
/* Parse the jxta:DiscoveryQuery document in text[0..len). */
int jxta_disc_query_parse(const void *text, size_t len, jxta_disc_query_t **out);
/* Append the document as JXSE writes it (see above) to `out`. */
int jxta_disc_query_write(const jxta_disc_query_t *q, jxta_buf_t *out);
/* Same, as a malloc'd NUL-terminated string. */
int jxta_disc_query_to_string(const jxta_disc_query_t *q, char **out);
void jxta_disc_query_free(jxta_disc_query_t *q);

/* ---- Responses --------------------------------------------------------- */

/* New empty response echoing a query's type/attr/value. */
int jxta_disc_response_new(int type, const char *attr, const char *value,
                           jxta_disc_response_t **out);
/* Append one advertisement (text copied; surrounding whitespace dropped, as
 * a reader would see it).  expiration_ms: -1 = write no attribute, else
 * >= 0 (values >= 2^62 are stored as JXTA_DISC_EXP_INFINITE).
 * JXTA_ETOOBIG past JXTA_DISC_MAX_ENTRIES, JXTA_EINVAL for an empty or
 * non-XML-safe text or a bad expiration. */
int jxta_disc_response_add(jxta_disc_response_t *r, const char *adv_xml, size_t len,
                           int64_t expiration_ms);
int jxta_disc_response_parse(const void *text, size_t len, jxta_disc_response_t **out);
int jxta_disc_response_write(const jxta_disc_response_t *r, jxta_buf_t *out);
int jxta_disc_response_to_string(const jxta_disc_response_t *r, char **out);
void jxta_disc_response_free(jxta_disc_response_t *r);

/* The Expiration a receiver applies to an entry: the 2 h default when it
 * was absent, else its value. */
int64_t jxta_disc_entry_expiration(const jxta_disc_entry_t *e);

/* ---- Matching (8.1, Cm.getIndexQuery) ------------------------------------ */

/* 1 if `value` matches `pattern`, else 0.  Case-sensitive.
 *   NULL, "" or "*"   any value
 *   "*abc*"           value contains "abc"
 *   "abc*"            value starts with "abc"
 *   "*abc"            value ends with "abc"
 *   anything else     exact equality (a '*' elsewhere is an ordinary char)
 * A NULL value matches only the "any" patterns. */
int jxta_disc_value_match(const char *pattern, const char *value);

/* "Peers", "Groups", "Adv" for types 0/1/2; NULL otherwise. */
const char *jxta_disc_type_dir_name(int type);

#ifdef __cplusplus
}
#endif
#endif
