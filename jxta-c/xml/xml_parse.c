/* xml_parse.c - hardened XML parsing with libxml2 into our element tree.
 *
 * libxml2 is driven in SAX mode with our own handler table, and builds no
 * DOM of its own.  SAX1-style element callbacks are used on purpose: they
 * hand us qualified names and the attributes in document order with the
 * xmlns declarations in place, which is the view JXSE's LiteXML has and
 * what lets a JXSE document round-trip byte for byte.
 *
 * Safety, in the order the checks happen:
 *  - size is capped before libxml2 sees anything, and the whole input must
 *    be valid UTF-8 (the encoding declaration is ignored: UTF-8 always);
 *  - no network, no DTD loading, no entity substitution: the getEntity
 *    handler knows no entity (the five predefined ones and character
 *    references are decoded by libxml2 itself), and any entity, element,
 *    attribute-list or notation declaration, any external ID on the
 *    DOCTYPE, and any markup inside an internal subset stops the parser.
 *    Billion-laughs and XXE documents therefore fail before expansion;
 *  - depth and element count are checked as elements open, so deep or
 *    huge inputs stop early;
 *  - libxml2's messages go to a structured handler that keeps the first
 *    one for our log; afterwards its handlers stay silenced for this
 *    thread, so libxml2 never prints on its own. */
#include <stdio.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <jxta/xml.h>

#include "../util/internal.h"

/* Internal interface of xml_tree.c. */
int jxta__xml_node_new(const char *name, size_t len, jxta_xml_node_t **out);
int jxta__xml_attr_append(jxta_xml_node_t *n, const char *name, const char *value);
int jxta__xml_text_take(jxta_xml_node_t *n, char *text);
void jxta__xml_link(jxta_xml_node_t *parent, jxta_xml_node_t *child);
int jxta__xml_name_ok(const char *name, size_t len);

typedef struct parse_state {
    xmlParserCtxtPtr ctxt;
    jxta_xml_limits_t lim;
    jxta_xml_node_t *root;
    jxta_xml_node_t *cur;
    unsigned depth;
    size_t nodes;
    jxta_buf_t *text; /* one text buffer per open element, indexed by depth - 1 */
    int err;
    char why[200];
    char xml_msg[200];
} parse_state_t;

void jxta_xml_limits_default(jxta_xml_limits_t *lim)
{
    lim->max_bytes = JXTA_XML_DEFAULT_MAX_BYTES;
    lim->max_depth = JXTA_XML_DEFAULT_MAX_DEPTH;
    lim->max_nodes = JXTA_XML_DEFAULT_MAX_NODES;
}

static void silent_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void silent_structured(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

/* Make sure libxml2 never writes to stderr on this thread. */
static void silence_libxml(void)
{
    xmlSetGenericErrorFunc(NULL, silent_generic);
    xmlSetStructuredErrorFunc(NULL, silent_structured);
}

static parse_state_t *state_of(void *ctx)
{
    xmlParserCtxtPtr ctxt = ctx;
    return ctxt->_private;
}

static void fail(parse_state_t *st, int err, const char *why)
{
    if (st->err)
        return;
    st->err = err;
    snprintf(st->why, sizeof st->why, "%s", why);
    xmlStopParser(st->ctxt);
}

/* Registered with the parser context as data (see jxta_xml_parse_ex). */
static void on_error(void *ctx, xmlErrorPtr e)
{
    parse_state_t *st = state_of(ctx);
    if (!st || !e || e->level < XML_ERR_ERROR || st->xml_msg[0])
        return;
    char msg[160];
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "error");
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    snprintf(st->xml_msg, sizeof st->xml_msg, "line %d: %s", e->line, msg);
}

/* Without entity substitution libxml2 hands attribute values over with
 * every '&' spelled "&#38;" (no other reference can survive: undeclared
 * entities are errors).  Undo that in place; the result only shrinks. */
static void unescape_amp(char *v)
{
    char *w = v;
    for (const char *r = v; *r;) {
        if (strncmp(r, "&#38;", 5) == 0) {
            *w++ = '&';
            r += 5;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    parse_state_t *st = state_of(ctx);
    if (st->err)
        return;
    if (st->depth >= st->lim.max_depth) {
        fail(st, JXTA_EDEPTH, "elements nested too deeply");
        return;
    }
    if (++st->nodes > st->lim.max_nodes) {
        fail(st, JXTA_ETOOBIG, "too many elements");
        return;
    }
    size_t nl = strlen((const char *)name);
    if (!jxta__xml_name_ok((const char *)name, nl)) {
        fail(st, JXTA_EXML, "element name is not a valid qualified name");
        return;
    }
    jxta_xml_node_t *n;
    if (jxta__xml_node_new((const char *)name, nl, &n) < 0) {
        fail(st, JXTA_ENOMEM, "out of memory");
        return;
    }
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const char *an = (const char *)atts[i];
        const char *av = atts[i + 1] ? (const char *)atts[i + 1] : "";
        if (!jxta__xml_name_ok(an, strlen(an))) {
            jxta_xml_free(n);
            fail(st, JXTA_EXML, "attribute name is not a valid qualified name");
            return;
        }
        char *tmp = strchr(av, '&') ? jxta__strndup(av, strlen(av)) : NULL;
        if (tmp)
            unescape_amp(tmp);
        int rc = strchr(av, '&') && !tmp ? JXTA_ENOMEM
                                         : jxta__xml_attr_append(n, an, tmp ? tmp : av);
        free(tmp);
        if (rc < 0) {
            jxta_xml_free(n);
            fail(st, JXTA_ENOMEM, "out of memory");
            return;
        }
    }
    if (st->cur)
        jxta__xml_link(st->cur, n);
    else if (!st->root)
        st->root = n;
    else {
        jxta_xml_free(n); /* libxml2 reports extra content itself */
        fail(st, JXTA_EXML, "more than one root element");
        return;
    }
    st->cur = n;
    jxta_buf_reset(&st->text[st->depth]);
    st->depth++;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void on_end(void *ctx, const xmlChar *name)
{
    (void)name;
    parse_state_t *st = state_of(ctx);
    if (st->err || !st->cur || st->depth == 0)
        return;
    jxta_buf_t *b = &st->text[st->depth - 1];
    if (jxta_buf_error(b)) {
        fail(st, jxta_buf_error(b), "text buffer");
        return;
    }
    const char *p = (const char *)b->data;
    size_t len = b->len;
    while (len && is_ws(p[len - 1]))
        len--;
    size_t skip = 0;
    while (skip < len && is_ws(p[skip]))
        skip++;
    if (len > skip) {
        char *t = jxta__strndup(p + skip, len - skip);
        if (!t) {
            fail(st, JXTA_ENOMEM, "out of memory");
            return;
        }
        jxta__xml_text_take(st->cur, t);
    }
    st->depth--;
    st->cur = (jxta_xml_node_t *)jxta_xml_parent(st->cur);
}

static void on_chars(void *ctx, const xmlChar *ch, int len)
{
    parse_state_t *st = state_of(ctx);
    if (st->err || st->depth == 0 || len <= 0)
        return;
    jxta_buf_append(&st->text[st->depth - 1], ch, (size_t)len);
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                               const xmlChar *sys_id)
{
    (void)name;
    if (ext_id || sys_id)
        fail(state_of(ctx), JXTA_EXML, "DOCTYPE with an external identifier");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content)
{
    (void)name, (void)type, (void)pub, (void)sys, (void)content;
    fail(state_of(ctx), JXTA_EXML, "entity declaration in DOCTYPE");
}

static void on_element_decl(void *ctx, const xmlChar *name, int type, xmlElementContentPtr c)
{
    (void)name, (void)type, (void)c;
    fail(state_of(ctx), JXTA_EXML, "element declaration in DOCTYPE");
}

static void on_attr_decl(void *ctx, const xmlChar *elem, const xmlChar *fullname, int type,
                         int def, const xmlChar *defaultValue, xmlEnumerationPtr tree)
{
    (void)elem, (void)fullname, (void)type, (void)def, (void)defaultValue;
    xmlFreeEnumeration(tree); /* ownership passes to the handler */
    fail(state_of(ctx), JXTA_EXML, "attribute-list declaration in DOCTYPE");
}

static void on_notation_decl(void *ctx, const xmlChar *name, const xmlChar *pub,
                             const xmlChar *sys)
{
    (void)name, (void)pub, (void)sys;
    fail(state_of(ctx), JXTA_EXML, "notation declaration in DOCTYPE");
}

static void on_unparsed_decl(void *ctx, const xmlChar *name, const xmlChar *pub,
                             const xmlChar *sys, const xmlChar *notation)
{
    (void)name, (void)pub, (void)sys, (void)notation;
    fail(state_of(ctx), JXTA_EXML, "entity declaration in DOCTYPE");
}

/* Comments and PIs are dropped, except inside an internal subset, which
 * we refuse altogether. */
static void on_comment(void *ctx, const xmlChar *value)
{
    (void)value;
    parse_state_t *st = state_of(ctx);
    if (st->ctxt->inSubset)
        fail(st, JXTA_EXML, "internal DTD subset");
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    (void)target, (void)data;
    on_comment(ctx, NULL);
}

static void on_reference(void *ctx, const xmlChar *name)
{
    (void)name;
    fail(state_of(ctx), JXTA_EXML, "entity reference");
}

int jxta_xml_parse_ex(const void *text, size_t len, const jxta_xml_limits_t *lim,
                      jxta_xml_node_t **root)
{
    if (!root || (!text && len))
        return JXTA_EINVAL;
    *root = NULL;
    parse_state_t st;
    memset(&st, 0, sizeof st);
    if (lim)
        st.lim = *lim;
    else
        jxta_xml_limits_default(&st.lim);
    if (st.lim.max_depth == 0 || st.lim.max_depth > JXTA_XML_HARD_MAX_DEPTH)
        st.lim.max_depth = JXTA_XML_HARD_MAX_DEPTH;
    if (len > st.lim.max_bytes)
        return jxta__reject(JXTA_ETOOBIG, "xml", "document of %zu bytes exceeds the %zu-byte limit",
                            len, st.lim.max_bytes);
    if (len > (size_t)INT32_MAX)
        return jxta__reject(JXTA_ETOOBIG, "xml", "document too large");
    if (len == 0)
        return jxta__reject(JXTA_EXML, "xml", "empty document");
    if (!jxta_utf8_valid(text, len))
        return jxta__reject(JXTA_EUTF8, "xml", "document is not valid UTF-8");

    silence_libxml();
    xmlInitParser();
    st.text = calloc(st.lim.max_depth, sizeof *st.text);
    if (!st.text)
        return JXTA_ENOMEM;
    for (unsigned i = 0; i < st.lim.max_depth; i++)
        st.text[i].max = len + 1;

    int rc = 0;
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(text, (int)len);
    if (!ctxt) {
        rc = JXTA_ENOMEM;
        goto out;
    }
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_SAX1 | XML_PARSE_IGNORE_ENC |
                                XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    /* Replace the whole handler table: only what is set below can run. */
    xmlSAXHandler *sax = ctxt->sax;
    memset(sax, 0, sizeof *sax);
    sax->initialized = 1; /* SAX1: anything else makes libxml2 use the SAX2 callbacks */
    sax->startElement = on_start;
    sax->endElement = on_end;
    sax->characters = on_chars;
    sax->ignorableWhitespace = on_chars;
    sax->cdataBlock = on_chars;
    sax->getEntity = on_get_entity;
    sax->getParameterEntity = on_get_entity;
    sax->internalSubset = on_internal_subset;
    sax->entityDecl = on_entity_decl;
    sax->elementDecl = on_element_decl;
    sax->attributeDecl = on_attr_decl;
    sax->notationDecl = on_notation_decl;
    sax->unparsedEntityDecl = on_unparsed_decl;
    sax->comment = on_comment;
    sax->processingInstruction = on_pi;
    sax->reference = on_reference;
    ctxt->sax2 = 0;
    ctxt->replaceEntities = 0;
    ctxt->loadsubset = 0;
    ctxt->validate = 0;
    ctxt->_private = &st;
    ctxt->userData = ctxt;
    st.ctxt = ctxt;
    /* A SAX1 handler table has no serror slot: take libxml2's structured
     * error channel (thread-local) for the duration of the parse. */
    xmlSetStructuredErrorFunc(ctxt, on_error);
    xmlParseDocument(ctxt);
    int well_formed = ctxt->wellFormed;
    /* libxml2 may make a scratch document of its own (e.g. to hold an
     * entity declaration before our handler stops it); it is ours to free. */
    if (ctxt->myDoc) {
        xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    silence_libxml();

    if (st.err) {
        rc = jxta__reject(st.err, "xml", "%s", st.why);
    } else if (!well_formed || !st.root || st.depth != 0) {
        rc = jxta__reject(JXTA_EXML, "xml", "malformed XML: %s",
                          st.xml_msg[0] ? st.xml_msg : "incomplete document");
    }
out:
    for (unsigned i = 0; i < st.lim.max_depth; i++)
        jxta_buf_free(&st.text[i]);
    free(st.text);
    if (rc < 0) {
        jxta_xml_free(st.root);
        return rc;
    }
    *root = st.root;
    return 0;
}

int jxta_xml_parse(const void *text, size_t len, jxta_xml_node_t **root)
{
    return jxta_xml_parse_ex(text, len, NULL, root);
}
