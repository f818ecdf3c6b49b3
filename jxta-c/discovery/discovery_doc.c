/* discovery_doc.c - jxta:DiscoveryQuery and jxta:DiscoveryResponse
 * (PROTOCOLS.md 8.1, 8.2; see jxta/discovery.h for the rules).
 *
 * Parsing goes through the bounded XML layer and then reads the few
 * fields by name, as JXSE does; every rule violation is logged with
 * jxta__reject.  The query is written through the element tree (JXSE's
 * compact layout is what jxta_xml_write produces); the response is
 * written by hand because JXSE sends it tab-indented, a layout the
 * generic writer has no reason to know. */
#include <limits.h>
#include <stdio.h>

#include <jxta/discovery.h>
#include <jxta/xml.h>

#include "../util/internal.h"

#define MOD "discovery"

static const char XMLNS[] = "http://jxta.org";
static const char DECL[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/* ---- small helpers ---------------------------------------------------------- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trimmed copy of s[0..n), or NULL (with *err = 0) when it is empty. */
static char *dup_trimmed(const char *s, size_t n, int *err)
{
    *err = 0;
    if (!s)
        return NULL;
    while (n && is_ws(*s)) {
        s++;
        n--;
    }
    while (n && is_ws(s[n - 1]))
        n--;
    if (!n)
        return NULL;
    char *p = jxta__strndup(s, n);
    if (!p)
        *err = JXTA_ENOMEM;
    return p;
}

/* Strict decimal integer as Java's Long.parseLong reads it (optional sign,
 * digits only).  Returns 0, JXTA_EPROTO (not a number) or JXTA_ERANGE
 * (outside [lo, hi]); *overflow_pos set when the value exceeds int64. */
static int parse_dec(const char *s, int64_t lo, int64_t hi, int64_t *out, int *overflow_pos)
{
    int neg = 0;
    if (overflow_pos)
        *overflow_pos = 0;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!*s)
        return JXTA_EPROTO;
    uint64_t v = 0;
    int over = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return JXTA_EPROTO;
        if (!over) {
            if (v > (UINT64_MAX - 9) / 10)
                over = 1;
            else
                v = v * 10 + (uint64_t)(*s - '0');
        }
    }
    if (over || v > (uint64_t)INT64_MAX) {
        if (overflow_pos && !neg)
            *overflow_pos = 1;
        return JXTA_ERANGE;
    }
    int64_t x = neg ? -(int64_t)v : (int64_t)v;
    if (x < lo || x > hi)
        return JXTA_ERANGE;
    *out = x;
    return 0;
}

static int parse_int_field(const jxta_xml_node_t *root, const char *name, int lo, int *out)
{
    const jxta_xml_node_t *n = jxta_xml_child(root, name);
    if (!n)
        return jxta__reject(JXTA_EMISSING, MOD, "%s: no %s", jxta_xml_name(root), name);
    const char *t = jxta_xml_text(n);
    int64_t v = 0;
    int rc = parse_dec(t, lo, INT_MAX, &v, NULL);
    if (rc == JXTA_EPROTO)
        return jxta__reject(rc, MOD, "%s: %s '%.40s' is not a decimal number",
                            jxta_xml_name(root), name, t);
    if (rc < 0)
        return jxta__reject(rc, MOD, "%s: %s '%.40s' out of range", jxta_xml_name(root), name, t);
    *out = (int)v;
    return 0;
}

static int parse_type(const jxta_xml_node_t *root, int *type)
{
    int rc = parse_int_field(root, "Type", INT_MIN, type);
    if (rc < 0)
        return rc;
    if (*type < JXTA_DISC_PEER || *type > JXTA_DISC_ADV)
        return jxta__reject(JXTA_ERANGE, MOD, "%s: Type %d is not 0, 1 or 2", jxta_xml_name(root),
                            *type);
    return 0;
}

/* Attr and Value, empty = absent; Value requires Attr. */
static int parse_attr_value(const jxta_xml_node_t *root, char **attr, char **value)
{
    const jxta_xml_node_t *a = jxta_xml_child(root, "Attr"), *v = jxta_xml_child(root, "Value");
    const char *at = a ? jxta_xml_text(a) : "", *vt = v ? jxta_xml_text(v) : "";
    if (*vt && !*at)
        return jxta__reject(JXTA_EPROTO, MOD, "%s: Value '%.40s' without Attr", jxta_xml_name(root),
                            vt);
    int err;
    *attr = dup_trimmed(at, strlen(at), &err);
    if (err)
        return err;
    *value = dup_trimmed(vt, strlen(vt), &err);
    return err;
}

static int parse_root(const void *text, size_t len, const char *want, jxta_xml_node_t **root)
{
    if (!text && len)
        return JXTA_EINVAL;
    jxta_xml_limits_t lim;
    jxta_xml_limits_default(&lim);
    lim.max_depth = JXTA_DISC_MAX_DEPTH;
    int rc = jxta_xml_parse_ex(text ? text : "", len, &lim, root);
    if (rc < 0)
        return jxta__reject(rc, MOD, "%s: refused by the XML layer", want);
    if (strcmp(jxta_xml_name(*root), want) != 0) {
        rc = jxta__reject(JXTA_EADVTYPE, MOD, "root is <%.60s>, expected <%s>",
                          jxta_xml_name(*root), want);
        jxta_xml_free(*root);
        *root = NULL;
    }
    return rc;
}

static int check_attr_value(const char *attr, const char *value)
{
    if (attr && !jxta_xml_text_ok(attr, strlen(attr)))
        return jxta__reject(JXTA_EINVAL, MOD, "Attr is not XML text");
    if (value && !jxta_xml_text_ok(value, strlen(value)))
        return jxta__reject(JXTA_EINVAL, MOD, "Value is not XML text");
    return 0;
}

/* Attr / Value as they will be read back: trimmed, empty = absent. */
static int effective(const char *s)
{
    if (!s)
        return 0;
    while (*s && is_ws(*s))
        s++;
    return *s != 0;
}

/* ---- queries ---------------------------------------------------------------- */

void jxta_disc_query_free(jxta_disc_query_t *q)
{
    if (!q)
        return;
    free(q->attr);
    free(q->value);
    free(q);
}

int jxta_disc_query_new(int type, int threshold, const char *attr, const char *value,
                        jxta_disc_query_t **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    if (type < JXTA_DISC_PEER || type > JXTA_DISC_ADV)
        return jxta__reject(JXTA_ERANGE, MOD, "query type %d is not 0, 1 or 2", type);
    if (threshold < 0)
        return jxta__reject(JXTA_ERANGE, MOD, "query threshold %d is negative", threshold);
    if (effective(value) && !effective(attr))
        return jxta__reject(JXTA_EPROTO, MOD, "query Value without Attr");
    int rc = check_attr_value(attr, value);
    if (rc < 0)
        return rc;
    jxta_disc_query_t *q = calloc(1, sizeof *q);
    if (!q)
        return JXTA_ENOMEM;
    q->type = type;
    q->threshold = threshold;
    int e1 = 0, e2 = 0;
    q->attr = attr ? dup_trimmed(attr, strlen(attr), &e1) : NULL;
    q->value = value ? dup_trimmed(value, strlen(value), &e2) : NULL;
    if (e1 || e2) {
        jxta_disc_query_free(q);
        return JXTA_ENOMEM;
    }
    *out = q;
    return 0;
}

int jxta_disc_query_parse(const void *text, size_t len, jxta_disc_query_t **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_xml_node_t *root = NULL;
    int rc = parse_root(text, len, "jxta:DiscoveryQuery", &root);
    if (rc < 0)
        return rc;
    jxta_disc_query_t *q = calloc(1, sizeof *q);
    if (!q) {
        jxta_xml_free(root);
        return JXTA_ENOMEM;
    }
    if ((rc = parse_type(root, &q->type)) < 0)
        goto fail;
    if ((rc = parse_int_field(root, "Threshold", INT_MIN, &q->threshold)) < 0)
        goto fail;
    if (q->threshold < 0) {
        rc = jxta__reject(JXTA_ERANGE, MOD, "jxta:DiscoveryQuery: Threshold %d is negative",
                          q->threshold);
        goto fail;
    }
    if ((rc = parse_attr_value(root, &q->attr, &q->value)) < 0)
        goto fail;
    jxta_xml_free(root);
    *out = q;
    return 0;
fail:
    jxta_xml_free(root);
    jxta_disc_query_free(q);
    return rc;
}

int jxta_disc_query_write(const jxta_disc_query_t *q, jxta_buf_t *out)
{
    if (!q || !out)
        return JXTA_EINVAL;
    if (q->type < JXTA_DISC_PEER || q->type > JXTA_DISC_ADV || q->threshold < 0)
        return jxta__reject(JXTA_ERANGE, MOD, "query type %d / threshold %d", q->type,
                            q->threshold);
    int has_attr = effective(q->attr), has_value = effective(q->value);
    if (has_value && !has_attr)
        return jxta__reject(JXTA_EPROTO, MOD, "query Value without Attr");
    int rc = check_attr_value(q->attr, q->value);
    if (rc < 0)
        return rc;
    jxta_xml_node_t *root = NULL;
    char num[16];
    if ((rc = jxta_xml_new("jxta:DiscoveryQuery", &root)) < 0)
        return rc;
    /* JXSE's attribute order, as captured. */
    if ((rc = jxta_xml_set_attr(root, "xml:space", "preserve")) < 0 ||
        (rc = jxta_xml_set_attr(root, "xmlns:jxta", XMLNS)) < 0)
        goto done;
    snprintf(num, sizeof num, "%d", q->type);
    if ((rc = jxta_xml_add(root, "Type", num, NULL)) < 0)
        goto done;
    snprintf(num, sizeof num, "%d", q->threshold);
    if ((rc = jxta_xml_add(root, "Threshold", num, NULL)) < 0)
        goto done;
    if (has_attr && (rc = jxta_xml_add(root, "Attr", q->attr, NULL)) < 0)
        goto done;
    if (has_value && (rc = jxta_xml_add(root, "Value", q->value, NULL)) < 0)
        goto done;
    size_t start = out->len;
    rc = jxta_xml_write(root, 0, out);
    if (rc == 0 && out->len > start && out->data[out->len - 1] == '\n')
        out->len--; /* the text as it sits, trimmed, in the resolver query */
done:
    jxta_xml_free(root);
    return rc;
}

int jxta_disc_query_to_string(const jxta_disc_query_t *q, char **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_disc_query_write(q, &b);
    if (rc == 0)
        rc = jxta_buf_error(&b);
    if (rc == 0 && !(*out = jxta_buf_steal_str(&b)))
        rc = JXTA_ENOMEM;
    jxta_buf_free(&b);
    return rc;
}

/* ---- responses -------------------------------------------------------------- */

void jxta_disc_response_free(jxta_disc_response_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->entries[i].adv_xml);
    free(r->entries);
    free(r->attr);
    free(r->value);
    free(r);
}

int64_t jxta_disc_entry_expiration(const jxta_disc_entry_t *e)
{
    if (!e || e->expiration_ms < 0)
        return JXTA_DISC_DEFAULT_EXPIRATION_MS;
    return e->expiration_ms;
}

int jxta_disc_response_new(int type, const char *attr, const char *value,
                           jxta_disc_response_t **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    if (type < JXTA_DISC_PEER || type > JXTA_DISC_ADV)
        return jxta__reject(JXTA_ERANGE, MOD, "response type %d is not 0, 1 or 2", type);
    if (effective(value) && !effective(attr))
        return jxta__reject(JXTA_EPROTO, MOD, "response Value without Attr");
    int rc = check_attr_value(attr, value);
    if (rc < 0)
        return rc;
    jxta_disc_response_t *r = calloc(1, sizeof *r);
    if (!r)
        return JXTA_ENOMEM;
    r->type = type;
    int e1 = 0, e2 = 0;
    r->attr = attr ? dup_trimmed(attr, strlen(attr), &e1) : NULL;
    r->value = value ? dup_trimmed(value, strlen(value), &e2) : NULL;
    if (e1 || e2) {
        jxta_disc_response_free(r);
        return JXTA_ENOMEM;
    }
    *out = r;
    return 0;
}

/* Append an entry taking ownership of `xml` (freed on error).  The array
 * grows one slot at a time: it is small (JXTA_DISC_MAX_ENTRIES) and the
 * public struct has no room for a capacity. */
static int push_entry(jxta_disc_response_t *r, char *xml, size_t len, int64_t exp)
{
    if (r->count >= JXTA_DISC_MAX_ENTRIES) {
        free(xml);
        return jxta__reject(JXTA_ETOOBIG, MOD, "more than %d responses", JXTA_DISC_MAX_ENTRIES);
    }
    jxta_disc_entry_t *e = realloc(r->entries, (r->count + 1) * sizeof *e);
    if (!e) {
        free(xml);
        return JXTA_ENOMEM;
    }
    r->entries = e;
    if (exp >= JXTA_DISC_EXP_INFINITE_MIN)
        exp = JXTA_DISC_EXP_INFINITE;
    r->entries[r->count].adv_xml = xml;
    r->entries[r->count].len = len;
    r->entries[r->count].expiration_ms = exp;
    r->count++;
    return 0;
}

int jxta_disc_response_add(jxta_disc_response_t *r, const char *adv_xml, size_t len,
                           int64_t expiration_ms)
{
    if (!r || !adv_xml)
        return JXTA_EINVAL;
    if (expiration_ms < -1)
        return jxta__reject(JXTA_EINVAL, MOD, "response expiration %lld",
                            (long long)expiration_ms);
    if (memchr(adv_xml, '\0', len) || !jxta_xml_text_ok(adv_xml, len))
        return jxta__reject(JXTA_EINVAL, MOD, "advertisement text is not XML text");
    int err;
    char *copy = dup_trimmed(adv_xml, len, &err);
    if (err)
        return err;
    if (!copy)
        return jxta__reject(JXTA_EINVAL, MOD, "empty advertisement text");
    return push_entry(r, copy, strlen(copy), expiration_ms);
}

/* Expiration attribute: absent -1, huge -> infinite, negative -> 0. */
static int parse_expiration(const jxta_xml_node_t *resp, size_t i, int64_t *exp)
{
    const char *t = jxta_xml_attr(resp, "Expiration");
    if (!t) {
        *exp = -1;
        return 0;
    }
    /* Attribute values are not trimmed by the XML layer; JXSE's
     * Long.parseLong would not trim either, but be tolerant of spaces. */
    char buf[64];
    size_t n = strlen(t);
    while (n && is_ws(*t)) {
        t++;
        n--;
    }
    while (n && is_ws(t[n - 1]))
        n--;
    if (n == 0 || n >= sizeof buf)
        return jxta__reject(JXTA_EPROTO, MOD, "Response %zu: Expiration is not a decimal number",
                            i);
    memcpy(buf, t, n);
    buf[n] = '\0';
    int over = 0;
    int rc = parse_dec(buf, INT64_MIN, INT64_MAX, exp, &over);
    if (rc == JXTA_ERANGE && over) {
        *exp = JXTA_DISC_EXP_INFINITE; /* beyond 64 bits: "forever" */
        return 0;
    }
    if (rc == JXTA_ERANGE) {
        *exp = 0; /* below -2^63: "do not keep" */
        return 0;
    }
    if (rc < 0)
        return jxta__reject(rc, MOD, "Response %zu: Expiration '%.40s' is not a decimal number", i,
                            buf);
    if (*exp < 0)
        *exp = 0;
    else if (*exp >= JXTA_DISC_EXP_INFINITE_MIN)
        *exp = JXTA_DISC_EXP_INFINITE;
    return 0;
}

int jxta_disc_response_parse(const void *text, size_t len, jxta_disc_response_t **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_xml_node_t *root = NULL;
    int rc = parse_root(text, len, "jxta:DiscoveryResponse", &root);
    if (rc < 0)
        return rc;
    jxta_disc_response_t *r = calloc(1, sizeof *r);
    if (!r) {
        jxta_xml_free(root);
        return JXTA_ENOMEM;
    }
    int count = 0;
    if ((rc = parse_type(root, &r->type)) < 0)
        goto fail;
    if ((rc = parse_int_field(root, "Count", INT_MIN, &count)) < 0)
        goto fail;
    if ((rc = parse_attr_value(root, &r->attr, &r->value)) < 0)
        goto fail;
    size_t n = jxta_xml_child_count(root, "Response");
    if (n > JXTA_DISC_MAX_ENTRIES) {
        rc = jxta__reject(JXTA_ETOOBIG, MOD, "jxta:DiscoveryResponse: %zu responses (limit %d)", n,
                          JXTA_DISC_MAX_ENTRIES);
        goto fail;
    }
    if (count < 0 || (size_t)count != n) {
        rc = jxta__reject(JXTA_EPROTO, MOD,
                          "jxta:DiscoveryResponse: Count %d but %zu Response elements", count, n);
        goto fail;
    }
    size_t i = 0;
    for (const jxta_xml_node_t *e = jxta_xml_child(root, "Response"); e;
         e = jxta_xml_next_named(e), i++) {
        int64_t exp;
        if ((rc = parse_expiration(e, i, &exp)) < 0)
            goto fail;
        const char *t = jxta_xml_text(e);
        if (!*t) {
            rc = jxta__reject(JXTA_EMISSING, MOD, "jxta:DiscoveryResponse: Response %zu is empty",
                              i);
            goto fail;
        }
        size_t tl = strlen(t);
        char *copy = jxta__strndup(t, tl);
        if (!copy) {
            rc = JXTA_ENOMEM;
            goto fail;
        }
        if ((rc = push_entry(r, copy, tl, exp)) < 0)
            goto fail;
    }
    jxta_xml_free(root);
    *out = r;
    return 0;
fail:
    jxta_xml_free(root);
    jxta_disc_response_free(r);
    return rc;
}

int jxta_disc_response_write(const jxta_disc_response_t *r, jxta_buf_t *out)
{
    if (!r || !out || (r->count && !r->entries))
        return JXTA_EINVAL;
    if (r->type < JXTA_DISC_PEER || r->type > JXTA_DISC_ADV)
        return jxta__reject(JXTA_ERANGE, MOD, "response type %d", r->type);
    if (r->count > JXTA_DISC_MAX_ENTRIES)
        return jxta__reject(JXTA_ETOOBIG, MOD, "%zu responses (limit %d)", r->count,
                            JXTA_DISC_MAX_ENTRIES);
    int has_attr = effective(r->attr), has_value = effective(r->value);
    if (has_value && !has_attr)
        return jxta__reject(JXTA_EPROTO, MOD, "response Value without Attr");
    int rc = check_attr_value(r->attr, r->value);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r->count; i++) {
        const jxta_disc_entry_t *e = &r->entries[i];
        if (!e->adv_xml || !effective(e->adv_xml) || memchr(e->adv_xml, '\0', e->len) ||
            !jxta_xml_text_ok(e->adv_xml, e->len) || e->expiration_ms < -1)
            return jxta__reject(JXTA_EINVAL, MOD, "response entry %zu is not writable", i);
    }
    size_t start = out->len;
    jxta_buf_append_str(out, DECL);
    jxta_buf_printf(out, "<!DOCTYPE jxta:DiscoveryResponse>\n<jxta:DiscoveryResponse "
                         "xmlns:jxta=\"%s\">\n",
                    XMLNS);
    char num[24];
    snprintf(num, sizeof num, "%zu", r->count);
    jxta_xml_put_field(out, "Count", num, strlen(num));
    snprintf(num, sizeof num, "%d", r->type);
    jxta_xml_put_field(out, "Type", num, strlen(num));
    if (has_attr)
        jxta_xml_put_field(out, "Attr", r->attr, strlen(r->attr));
    if (has_value)
        jxta_xml_put_field(out, "Value", r->value, strlen(r->value));
    for (size_t i = 0; i < r->count; i++) {
        const jxta_disc_entry_t *e = &r->entries[i];
        const char *s = e->adv_xml;
        size_t n = e->len;
        while (n && is_ws(*s)) {
            s++;
            n--;
        }
        while (n && is_ws(s[n - 1]))
            n--;
        if (e->expiration_ms >= 0)
            jxta_buf_printf(out, "\t<Response Expiration=\"%lld\">\n\t\t",
                            (long long)(e->expiration_ms >= JXTA_DISC_EXP_INFINITE_MIN
                                            ? JXTA_DISC_EXP_INFINITE
                                            : e->expiration_ms));
        else
            jxta_buf_append_str(out, "\t<Response>\n\t\t");
        jxta_xml_escape_text(out, s, n);
        jxta_buf_append_str(out, "\n\t</Response>\n");
    }
    jxta_buf_append_str(out, "</jxta:DiscoveryResponse>");
    rc = jxta_buf_error(out);
    if (rc < 0 && out->len >= start)
        out->len = start;
    return rc;
}

int jxta_disc_response_to_string(const jxta_disc_response_t *r, char **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_disc_response_write(r, &b);
    if (rc == 0 && !(*out = jxta_buf_steal_str(&b)))
        rc = JXTA_ENOMEM;
    jxta_buf_free(&b);
    return rc;
}

/* ---- matching ------------------------------------------------------------------ */

int jxta_disc_value_match(const char *pattern, const char *value)
{
    if (!pattern || !*pattern || strcmp(pattern, "*") == 0)
        return 1;
    if (!value)
        return 0;
    size_t pl = strlen(pattern), vl = strlen(value);
    int lead = pattern[0] == '*', trail = pattern[pl - 1] == '*';
    if (lead && trail) { /* "*abc*" (pl >= 2 here) */
        size_t nl = pl - 2;
        if (nl == 0)
            return 1;
        if (nl > vl)
            return 0;
        for (size_t i = 0; i + nl <= vl; i++)
            if (memcmp(value + i, pattern + 1, nl) == 0)
                return 1;
        return 0;
    }
    if (trail) /* "abc*" */
        return vl >= pl - 1 && memcmp(value, pattern, pl - 1) == 0;
    if (lead) /* "*abc" */
        return vl >= pl - 1 && memcmp(value + vl - (pl - 1), pattern + 1, pl - 1) == 0;
    return strcmp(pattern, value) == 0;
}

const char *jxta_disc_type_dir_name(int type)
{
    switch (type) {
    case JXTA_DISC_PEER: return "Peers";
    case JXTA_DISC_GROUP: return "Groups";
    case JXTA_DISC_ADV: return "Adv";
    default: return NULL;
    }
}
