/* srdi_doc.c - the SRDI documents (PROTOCOLS.md 7.4): jxta:GenSRDI, its
 * jxta:ResolverSRDI wrapper, and the gzip'd message element carrying both.
 *
 * Reading goes through the XML layer (limits set from jxta_srdi_limits_t,
 * so a hostile document costs at most the inflation cap) and applies
 * JXSE's reader rules; anything JXSE would choke on (bad ID, non-numeric
 * number, repeated single field) is refused with a specific code and a log
 * line instead of being half-understood.
 *
 * Writing does not use jxta_xml_write: JXSE's resolver documents are
 * pretty-printed by LiteXML with tabs (each child on its own line, its
 * text on the next line indented once more), and the captures show that
 * layout inside the gzip'd element.  The two documents have a fixed, flat
 * shape, so they are printed directly, with the XML layer's text escaping
 * rules, which reproduces the captured bytes exactly. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include <jxta/srdi.h>
#include <jxta/xml.h>

#include "../util/internal.h"

#define MOD "srdi"

static const char XMLNS_JXTA[] = "http://jxta.org";

void jxta_srdi_limits_default(jxta_srdi_limits_t *lim)
{
    lim->max_inflated = JXTA_GZIP_DEFAULT_MAX;
    lim->max_entries = JXTA_SRDI_DEFAULT_MAX_ENTRIES;
}

static void limits_or_default(const jxta_srdi_limits_t *lim, jxta_srdi_limits_t *out)
{
    jxta_srdi_limits_default(out);
    if (lim) {
        if (lim->max_inflated)
            out->max_inflated = lim->max_inflated;
        if (lim->max_entries)
            out->max_entries = lim->max_entries;
    }
}

/* ---- The struct ---------------------------------------------------------- */

void jxta_srdi_init(jxta_srdi_t *s)
{
    memset(s, 0, sizeof *s);
}

void jxta_srdi_clear(jxta_srdi_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        free(s->entries[i].skey);
        free(s->entries[i].value);
    }
    free(s->entries);
    free(s->pkey);
    memset(s, 0, sizeof *s);
}

int jxta_srdi_set_pkey(jxta_srdi_t *s, const char *pkey)
{
    if (!s || !pkey)
        return JXTA_EINVAL;
    char *c = strdup(pkey);
    if (!c)
        return JXTA_ENOMEM;
    free(s->pkey);
    s->pkey = c;
    return 0;
}

static int reserve(jxta_srdi_t *s, size_t want)
{
    if (want <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 4;
    while (cap < want) {
        if (cap > SIZE_MAX / 2 / sizeof *s->entries)
            return JXTA_ENOMEM;
        cap *= 2;
    }
    jxta_srdi_entry_t *e = realloc(s->entries, cap * sizeof *e);
    if (!e)
        return JXTA_ENOMEM;
    s->entries = e;
    s->cap = cap;
    return 0;
}

int jxta_srdi_add(jxta_srdi_t *s, const char *skey, const char *value, int64_t expiration_ms)
{
    if (!s || !value)
        return JXTA_EINVAL;
    int rc = reserve(s, s->count + 1);
    if (rc < 0)
        return rc;
    jxta_srdi_entry_t *e = &s->entries[s->count];
    e->skey = strdup(skey ? skey : "NA");
    e->value = strdup(value);
    e->expiration_ms = expiration_ms;
    if (!e->skey || !e->value) {
        free(e->skey);
        free(e->value);
        return JXTA_ENOMEM;
    }
    s->count++;
    return 0;
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int jxta_srdi_equal(const jxta_srdi_t *a, const jxta_srdi_t *b)
{
    if (!jxta_id_equal(&a->pid, &b->pid) || !str_eq(a->pkey, b->pkey) || a->ttl != b->ttl ||
        a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++) {
        const jxta_srdi_entry_t *x = &a->entries[i], *y = &b->entries[i];
        if (!str_eq(x->skey, y->skey) || !str_eq(x->value, y->value) ||
            x->expiration_ms != y->expiration_ms)
            return 0;
    }
    return 1;
}

/* ---- Reading ------------------------------------------------------------- */

static int parse_xml(const void *text, size_t len, const jxta_srdi_limits_t *lim, unsigned depth,
                     jxta_xml_node_t **root)
{
    jxta_xml_limits_t xl;
    jxta_xml_limits_default(&xl);
    xl.max_bytes = lim->max_inflated;
    xl.max_depth = depth;
    /* Room for every allowed Entry plus the other fields and a credential. */
    xl.max_nodes = lim->max_entries + 256;
    return jxta_xml_parse_ex(text, len, &xl, root);
}

/* Java's Long.parseLong: optional sign, decimal digits, nothing else. */
static int parse_long(const char *s, int64_t *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (!*p)
        return JXTA_EPROTO;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return JXTA_EPROTO;
        unsigned d = (unsigned)(*p - '0');
        if (v > (lim - d) / 10)
            return JXTA_ERANGE;
        v = v * 10 + d;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return 0;
}

static int is_root(const jxta_xml_node_t *root, const char *name)
{
    const char *type = jxta_xml_attr(root, "type");
    return strcmp(jxta_xml_name(root), name) == 0 || (type && strcmp(type, name) == 0);
}

static int gen_from_tree(const jxta_xml_node_t *root, const jxta_srdi_limits_t *lim,
                         jxta_srdi_t *out)
{
    if (!is_root(root, "jxta:GenSRDI"))
        return jxta__reject(JXTA_EADVTYPE, MOD, "expected jxta:GenSRDI, document is %.100s",
                            jxta_xml_name(root));
    size_t nentries = jxta_xml_child_count(root, "Entry");
    if (nentries > lim->max_entries)
        return jxta__reject(JXTA_ETOOBIG, MOD, "GenSRDI with %zu entries (limit %zu)", nentries,
                            lim->max_entries);
    int rc = reserve(out, nentries);
    if (rc < 0)
        return rc;
    int have_pid = 0, have_pkey = 0, have_ttl = 0;
    for (const jxta_xml_node_t *n = jxta_xml_first(root); n; n = jxta_xml_next(n)) {
        const char *name = jxta_xml_name(n), *text = jxta_xml_text(n);
        if (strcmp(name, "PID") == 0) {
            if (have_pid++)
                return jxta__reject(JXTA_EPROTO, MOD, "GenSRDI: PID appears twice");
            rc = jxta_id_parse(&out->pid, text, strlen(text), 0);
            if (rc < 0)
                return jxta__reject(rc, MOD, "GenSRDI: PID '%.100s' is not a canonical JXTA ID",
                                    text);
            if (jxta_id_kind(&out->pid) != JXTA_ID_PEER)
                return jxta__reject(JXTA_EBADID, MOD, "GenSRDI: PID '%.100s' is a %s ID", text,
                                    jxta_id_kind_name(jxta_id_kind(&out->pid)));
        } else if (strcmp(name, "PKey") == 0) {
            if (have_pkey++)
                return jxta__reject(JXTA_EPROTO, MOD, "GenSRDI: PKey appears twice");
            if (!*text)
                continue; /* empty = absent, reported below */
            if (!(out->pkey = strdup(text)))
                return JXTA_ENOMEM;
        } else if (strcmp(name, "ttl") == 0) {
            if (have_ttl++)
                return jxta__reject(JXTA_EPROTO, MOD, "GenSRDI: ttl appears twice");
            int64_t v;
            rc = parse_long(text, &v);
            if (rc == 0 && (v < 0 || v > INT32_MAX))
                rc = JXTA_ERANGE;
            if (rc < 0)
                return jxta__reject(rc, MOD, "GenSRDI: bad ttl '%.40s'", text);
            out->ttl = (int)v;
        } else if (strcmp(name, "Entry") == 0) {
            if (!*text)
                continue; /* JXSE skips an entry without a value */
            const char *skey = jxta_xml_attr(n, "SKey"), *exp = jxta_xml_attr(n, "Expiration");
            int64_t e = JXTA_SRDI_EXP_ABSENT;
            if (exp && (rc = parse_long(exp, &e)) < 0)
                return jxta__reject(rc, MOD, "GenSRDI: entry %zu: bad Expiration '%.40s'",
                                    out->count, exp);
            if ((rc = jxta_srdi_add(out, skey, text, e)) < 0)
                return rc;
        }
        /* Other children are ignored, as JXSE does. */
    }
    if (!have_pid)
        return jxta__reject(JXTA_EMISSING, MOD, "GenSRDI without PID");
    if (!out->pkey)
        return jxta__reject(JXTA_EMISSING, MOD, "GenSRDI without PKey");
    return 0;
}

int jxta_srdi_parse(const void *text, size_t len, const jxta_srdi_limits_t *lim, jxta_srdi_t *out)
{
    if (!out || (!text && len))
        return JXTA_EINVAL;
    jxta_srdi_clear(out);
    jxta_srdi_limits_t l;
    limits_or_default(lim, &l);
    jxta_xml_node_t *root = NULL;
    int rc = parse_xml(text, len, &l, 8, &root);
    if (rc < 0)
        return rc;
    rc = gen_from_tree(root, &l, out);
    jxta_xml_free(root);
    if (rc < 0)
        jxta_srdi_clear(out);
    return rc;
}

void jxta_rsrdi_clear(jxta_rsrdi_t *r)
{
    if (!r)
        return;
    free(r->handler);
    free(r->payload);
    r->handler = r->payload = NULL;
}

static int rsrdi_from_tree(const jxta_xml_node_t *root, jxta_rsrdi_t *out)
{
    if (strcmp(jxta_xml_name(root), "jxta:ResolverSRDI") != 0)
        return jxta__reject(JXTA_EADVTYPE, MOD, "expected jxta:ResolverSRDI, document is %.100s",
                            jxta_xml_name(root));
    if (jxta_xml_child_count(root, "HandlerName") > 1 || jxta_xml_child_count(root, "Payload") > 1)
        return jxta__reject(JXTA_EPROTO, MOD, "ResolverSRDI: HandlerName or Payload repeated");
    const jxta_xml_node_t *h = jxta_xml_child(root, "HandlerName");
    const jxta_xml_node_t *p = jxta_xml_child(root, "Payload");
    if (!h || !*jxta_xml_text(h))
        return jxta__reject(JXTA_EMISSING, MOD, "ResolverSRDI without HandlerName");
    if (!p || !*jxta_xml_text(p))
        return jxta__reject(JXTA_EMISSING, MOD, "ResolverSRDI without Payload");
    out->handler = strdup(jxta_xml_text(h));
    out->payload = strdup(jxta_xml_text(p));
    if (!out->handler || !out->payload)
        return JXTA_ENOMEM;
    return 0;
}

int jxta_rsrdi_parse(const void *text, size_t len, const jxta_srdi_limits_t *lim, jxta_rsrdi_t *out)
{
    if (!out || (!text && len))
        return JXTA_EINVAL;
    out->handler = out->payload = NULL;
    jxta_srdi_limits_t l;
    limits_or_default(lim, &l);
    jxta_xml_node_t *root = NULL;
    /* Depth 16 leaves room for a credential document inside. */
    int rc = parse_xml(text, len, &l, 16, &root);
    if (rc < 0)
        return rc;
    rc = rsrdi_from_tree(root, out);
    jxta_xml_free(root);
    if (rc < 0)
        jxta_rsrdi_clear(out);
    return rc;
}

/* ---- Writing ------------------------------------------------------------- */

/* Text we can write so that an XML parser reads it back: valid UTF-8,
 * no control characters but TAB/LF/CR, no U+FFFE / U+FFFF. */
static int check_text(const char *what, const char *s)
{
    if (!jxta_xml_text_ok(s, strlen(s)))
        return jxta__reject(JXTA_EINVAL, MOD,
                            "cannot write %s: not UTF-8 or a character XML does not allow", what);
    return 0;
}

/* Attribute value between double quotes; field names never need escaping,
 * anything else is written as references so the output stays well-formed. */
static void put_attr(jxta_buf_t *out, const char *v)
{
    jxta_buf_append_str(out, "\"");
    for (const char *p = v; *p; p++) {
        switch (*p) {
        case '&': jxta_buf_append_str(out, "&amp;"); break;
        case '<': jxta_buf_append_str(out, "&lt;"); break;
        case '>': jxta_buf_append_str(out, "&gt;"); break;
        case '"': jxta_buf_append_str(out, "&quot;"); break;
        case '\t': jxta_buf_append_str(out, "&#9;"); break;
        case '\n': jxta_buf_append_str(out, "&#10;"); break;
        case '\r': jxta_buf_append_str(out, "&#13;"); break;
        default: jxta_buf_append(out, p, 1);
        }
    }
    jxta_buf_append_str(out, "\"");
}

static void put_head(jxta_buf_t *out, const char *root)
{
    jxta_buf_printf(out,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE %s>\n<%s "
                    "xmlns:jxta=\"%s\">\n",
                    root, root, XMLNS_JXTA);
}

static int finish(jxta_buf_t *out, size_t start)
{
    int rc = jxta_buf_error(out);
    if (rc < 0 && out->len > start)
        out->len = start;
    return rc;
}

int jxta_srdi_write(const jxta_srdi_t *s, jxta_buf_t *out)
{
    if (!s || !out)
        return JXTA_EINVAL;
    if (!s->pkey || !*s->pkey)
        return jxta__reject(JXTA_EMISSING, MOD, "cannot write GenSRDI without PKey");
    if (jxta_id_kind(&s->pid) != JXTA_ID_PEER)
        return jxta__reject(JXTA_EBADID, MOD, "cannot write GenSRDI: PID is not a peer ID");
    int rc = check_text("PKey", s->pkey);
    for (size_t i = 0; rc == 0 && i < s->count; i++) {
        if (!s->entries[i].skey || !s->entries[i].value)
            return jxta__reject(JXTA_EINVAL, MOD, "cannot write GenSRDI: entry %zu incomplete", i);
        if ((rc = check_text("SKey", s->entries[i].skey)) == 0)
            rc = check_text("entry value", s->entries[i].value);
    }
    if (rc < 0)
        return rc;
    size_t start = out->len;
    jxta_id_text_t t;
    put_head(out, "jxta:GenSRDI");
    jxta_id_str(&s->pid, &t);
    jxta_xml_put_field(out, "PID", t.s, strlen(t.s));
    jxta_xml_put_field(out, "PKey", s->pkey, strlen(s->pkey));
    if (s->ttl > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", s->ttl);
        jxta_xml_put_field(out, "ttl", n, strlen(n));
    }
    for (size_t i = 0; i < s->count; i++) {
        const jxta_srdi_entry_t *e = &s->entries[i];
        jxta_buf_append_str(out, "\t<Entry SKey=");
        put_attr(out, e->skey);
        jxta_buf_printf(out, " Expiration=\"%lld\"", (long long)e->expiration_ms);
        if (*e->value) {
            jxta_buf_append_str(out, ">\n\t\t");
            jxta_xml_escape_text(out, e->value, strlen(e->value));
            jxta_buf_append_str(out, "\n\t</Entry>\n");
        } else {
            jxta_buf_append_str(out, "/>\n");
        }
    }
    jxta_buf_append_str(out, "</jxta:GenSRDI>\n");
    return finish(out, start);
}

int jxta_rsrdi_write(const char *handler, const char *payload, jxta_buf_t *out)
{
    if (!handler || !payload || !out)
        return JXTA_EINVAL;
    if (!*handler)
        return jxta__reject(JXTA_EMISSING, MOD, "cannot write ResolverSRDI without handler");
    int rc = check_text("HandlerName", handler);
    if (rc == 0)
        rc = check_text("Payload", payload);
    if (rc < 0)
        return rc;
    size_t plen = strlen(payload);
    while (plen && isspace((unsigned char)payload[plen - 1]))
        plen--;
    size_t start = out->len;
    put_head(out, "jxta:ResolverSRDI");
    jxta_xml_put_field(out, "HandlerName", handler, strlen(handler));
    jxta_xml_put_field(out, "Payload", payload, plen);
    jxta_buf_append_str(out, "</jxta:ResolverSRDI>\n");
    return finish(out, start);
}

/* ---- Message elements ---------------------------------------------------- */

/* 1 if the element's base MIME type (before ';', any case) is gzip. */
static int is_gzip_type(const char *type)
{
    while (*type == ' ' || *type == '\t')
        type++;
    size_t n = strcspn(type, ";");
    while (n && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    return (n == 16 && strncasecmp(type, "application/gzip", 16) == 0) ||
           (n == 18 && strncasecmp(type, "application/x-gzip", 18) == 0);
}

int jxta_srdi_element_decode(const jxta_msg_elem_t *e, const jxta_srdi_limits_t *lim,
                             char **handler, jxta_srdi_t *srdi)
{
    if (!e || !srdi)
        return JXTA_EINVAL;
    if (handler)
        *handler = NULL;
    jxta_srdi_clear(srdi);
    jxta_srdi_limits_t l;
    limits_or_default(lim, &l);
    size_t len;
    const uint8_t *body = jxta_msg_elem_body(e, &len);
    jxta_buf_t plain = JXTA_BUF_INIT;
    int rc = 0;
    if (is_gzip_type(jxta_msg_elem_type(e))) {
        if ((rc = jxta_gunzip(body, len, l.max_inflated, &plain)) < 0) {
            jxta_buf_free(&plain);
            return jxta__reject(rc, MOD, "element %s: gzip body refused", jxta_msg_elem_name(e));
        }
        body = plain.data;
        len = plain.len;
    }
    jxta_rsrdi_t r;
    rc = jxta_rsrdi_parse(body, len, &l, &r);
    jxta_buf_free(&plain);
    if (rc < 0)
        return rc;
    rc = jxta_srdi_parse(r.payload, strlen(r.payload), &l, srdi);
    if (rc == 0 && handler) {
        *handler = r.handler;
        r.handler = NULL;
    }
    jxta_rsrdi_clear(&r);
    return rc;
}

int jxta_srdi_element_encode(const char *handler, const jxta_srdi_t *srdi, jxta_msg_t *m,
                             const char *elem_name)
{
    if (!handler || !srdi || !m || !elem_name)
        return JXTA_EINVAL;
    jxta_buf_t gen = JXTA_BUF_INIT, wrap = JXTA_BUF_INIT, gz = JXTA_BUF_INIT;
    int rc = jxta_srdi_write(srdi, &gen);
    if (rc == 0) {
        char *payload = jxta_buf_steal_str(&gen);
        rc = payload ? jxta_rsrdi_write(handler, payload, &wrap) : JXTA_ENOMEM;
        free(payload);
    }
    if (rc == 0)
        rc = jxta_gzip(wrap.data, wrap.len, &gz);
    if (rc == 0) {
        size_t n;
        uint8_t *body = jxta_buf_steal(&gz, &n);
        rc = body ? jxta_msg_add_owned(m, "jxta", elem_name, JXTA_SRDI_MIME_GZIP, body, n)
                  : JXTA_ENOMEM;
    }
    jxta_buf_free(&gen);
    jxta_buf_free(&wrap);
    jxta_buf_free(&gz);
    return rc;
}
