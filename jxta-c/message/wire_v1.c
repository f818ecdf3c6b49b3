/* wire_v1.c - binary message format version 1, the JXTA-C "v2" layout
 * (PROTOCOLS.md 3.3).  Only JXTA-C peers speak it; JXSE 2.5 rejects it.
 *
 *   "jxmg" 01 u8 msg_flags(=0) u16 names_count {u16 len, utf8}*
 *   u16 elem_count element*
 *   element = "jxel" u8 flags u16 ns_token (name: str if NAME_LITERAL else
 *             u16 token) [u16 type_token] (u32 | u64 if UINT64_LENS) len body
 *             [element if SIGNATURE]
 *
 * Tokens index a names table in which 0 = "" and 1 = "jxta" are implicit.
 * We write namespaces (in the preserved table order, then first use), then
 * MIME types, always with literal names and 32-bit lengths.  A decoded
 * message remembers the names actually used as namespaces, in table order,
 * so that re-encoding it as version 0 lists them in the same order. */
#include <jxta/msg.h>

#include "wire_common.h"

/* Smallest element: magic, flags, ns token, name token, 32-bit length. */
#define V1_MIN_ELEM 13u

typedef struct names {
    const char **v; /* all entries, 0 = "", 1 = "jxta" */
    size_t n, cap;
} names_t;

static int decode_elem(wire_dec_t *d, const names_t *t, uint8_t *used, int is_sig,
                       jxta_msg_elem_t **out)
{
    *out = NULL;
    size_t at = d->r.pos;
    const uint8_t *magic = jxta_reader_bytes(&d->r, 4);
    if (!magic)
        return jxta__wire_fail(d, JXTA_ETRUNC, "element magic cut off");
    if (memcmp(magic, WIRE_ELEM_MAGIC, 4) != 0) {
        d->r.pos = at;
        return jxta__wire_fail(d, JXTA_EMAGIC, "bad element magic %02x %02x %02x %02x", magic[0],
                               magic[1], magic[2], magic[3]);
    }
    uint8_t flags = jxta_reader_u8(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "element flags cut off");
    if (flags & ~(V1_UINT64_LENS | V1_NAME_LITERAL | V1_HAS_TYPE | V1_HAS_SIGNATURE)) {
        d->r.pos--;
        return jxta__wire_fail(d, JXTA_EPROTO, "unsupported element flags 0x%02x", flags);
    }
    if (is_sig && (flags & V1_HAS_SIGNATURE)) {
        d->r.pos--;
        return jxta__wire_fail(d, JXTA_EPROTO, "signature element is itself signed");
    }
    uint16_t nstok = jxta_reader_be16(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "namespace token cut off");
    if (nstok >= t->n) {
        d->r.pos -= 2;
        return jxta__wire_fail(d, JXTA_EPROTO, "namespace token %u not in the table of %zu",
                               nstok, t->n);
    }
    const uint8_t *name, *type = NULL, *body;
    size_t namelen, typelen = 0;
    int rc;
    if (flags & V1_NAME_LITERAL) {
        if ((rc = jxta__wire_read_str(d, "element name", &name, &namelen)) < 0)
            return rc;
    } else {
        uint16_t tok = jxta_reader_be16(&d->r);
        if (d->r.err)
            return jxta__wire_fail(d, JXTA_ETRUNC, "name token cut off");
        if (tok >= t->n) {
            d->r.pos -= 2;
            return jxta__wire_fail(d, JXTA_EPROTO, "name token %u not in the table of %zu", tok,
                                   t->n);
        }
        name = (const uint8_t *)t->v[tok];
        namelen = strlen(t->v[tok]);
    }
    if (flags & V1_HAS_TYPE) {
        uint16_t tok = jxta_reader_be16(&d->r);
        if (d->r.err)
            return jxta__wire_fail(d, JXTA_ETRUNC, "type token cut off");
        if (tok >= t->n) {
            d->r.pos -= 2;
            return jxta__wire_fail(d, JXTA_EPROTO, "type token %u not in the table of %zu", tok,
                                   t->n);
        }
        type = (const uint8_t *)t->v[tok];
        typelen = strlen(t->v[tok]);
    }
    uint64_t len;
    if (flags & V1_UINT64_LENS)
        len = jxta_reader_be64(&d->r);
    else
        len = jxta_reader_be32(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "element body length cut off");
    if ((rc = jxta__wire_read_body(d, len, &body)) < 0)
        return rc;
    jxta_msg_elem_t *e;
    rc = jxta__wire_elem_make(&e, (const uint8_t *)t->v[nstok], strlen(t->v[nstok]), name,
                              namelen, type, typelen, (flags & V1_HAS_TYPE) != 0, body,
                              (size_t)len, d->depth, d->shared);
    if (rc < 0)
        return rc;
    e->is_sig = is_sig;
    used[nstok] = 1;
    if (flags & V1_HAS_SIGNATURE) {
        if ((rc = decode_elem(d, t, used, 1, &e->sig)) < 0) {
            jxta_msg_elem_free(e);
            return rc;
        }
    }
    *out = e;
    return 0;
}

int jxta__wire_decode_v1(wire_dec_t *d, jxta_msg_t *m)
{
    names_t t = {NULL, 0, 0};
    char **strs = NULL;
    uint8_t *used = NULL;
    size_t nstrs = 0;
    int rc;
    uint8_t mflags = jxta_reader_u8(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "message flags cut off");
    if (mflags != 0) {
        d->r.pos--;
        return jxta__wire_fail(d, JXTA_EPROTO, "unsupported message flags 0x%02x", mflags);
    }
    uint16_t nnames = jxta_reader_be16(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "names count cut off");
    /* The table holds namespaces and types: allow a namespace and a type
     * for every element and its signature, on top of the namespace limit. */
    size_t maxn = d->lim.max_namespaces + 4 * d->lim.max_elements;
    if (maxn > V1_MAX_NAMES)
        maxn = V1_MAX_NAMES;
    if (nnames > maxn) {
        d->r.pos -= 2;
        return jxta__wire_fail(d, JXTA_ETOOBIG, "names count %u exceeds limit %zu", nnames, maxn);
    }
    if ((size_t)nnames * 2 > jxta_reader_left(&d->r))
        return jxta__wire_fail(d, JXTA_ETRUNC, "%u names cannot fit in %zu bytes", nnames,
                               jxta_reader_left(&d->r));
    t.n = (size_t)nnames + 2;
    t.v = calloc(t.n, sizeof *t.v);
    strs = calloc(nnames ? nnames : 1, sizeof *strs);
    used = calloc(t.n, 1);
    if (!t.v || !strs || !used) {
        rc = JXTA_ENOMEM;
        goto done;
    }
    t.v[0] = "";
    t.v[1] = "jxta";
    for (size_t i = 0; i < nnames; i++) {
        const uint8_t *s;
        size_t n;
        if ((rc = jxta__wire_read_str(d, "name table entry", &s, &n)) < 0)
            goto done;
        strs[i] = jxta__strndup((const char *)s, n);
        if (!strs[i]) {
            rc = JXTA_ENOMEM;
            goto done;
        }
        nstrs++;
        t.v[i + 2] = strs[i];
    }
    uint16_t count = jxta_reader_be16(&d->r);
    if (d->r.err) {
        rc = jxta__wire_fail(d, JXTA_ETRUNC, "element count cut off");
        goto done;
    }
    if (count > d->lim.max_elements) {
        d->r.pos -= 2;
        rc = jxta__wire_fail(d, JXTA_ETOOBIG, "element count %u exceeds limit %zu", count,
                             d->lim.max_elements);
        goto done;
    }
    if ((size_t)count * V1_MIN_ELEM > jxta_reader_left(&d->r)) {
        rc = jxta__wire_fail(d, JXTA_ETRUNC, "%u elements cannot fit in %zu bytes", count,
                             jxta_reader_left(&d->r));
        goto done;
    }
    if (count) {
        m->elems = calloc(count, sizeof *m->elems);
        if (!m->elems) {
            rc = JXTA_ENOMEM;
            goto done;
        }
        m->cap = count;
    }
    for (size_t i = 0; i < count; i++) {
        jxta_msg_elem_t *e;
        if ((rc = decode_elem(d, &t, used, 0, &e)) < 0)
            goto done;
        if ((rc = jxta__wire_msg_push(m, e)) < 0)
            goto done;
    }
    /* Keep the names used as namespaces (once each, table order). */
    m->ns = calloc(nnames ? nnames : 1, sizeof *m->ns);
    if (!m->ns) {
        rc = JXTA_ENOMEM;
        goto done;
    }
    for (size_t i = 2; i < t.n; i++) {
        if (!used[i] || strcmp(t.v[i], "") == 0 || strcmp(t.v[i], "jxta") == 0)
            continue;
        int dup = 0;
        for (size_t k = 0; k < m->nns && !dup; k++)
            dup = strcmp(m->ns[k], t.v[i]) == 0;
        if (dup)
            continue;
        m->ns[m->nns++] = strs[i - 2];
        strs[i - 2] = NULL;
    }
    rc = 0;
done:
    for (size_t i = 0; i < nstrs; i++)
        free(strs[i]);
    free(strs);
    free(used);
    free(t.v);
    return rc;
}

/* ---------------------------------------------------------------- encoding */

static int names_find(const names_t *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i], s) == 0)
            return (int)i;
    return -1;
}

static int names_note(names_t *t, const char *s)
{
    if (names_find(t, s) >= 0)
        return 0;
    if (t->n >= (size_t)V1_MAX_NAMES + 2)
        return jxta__reject(JXTA_ETOOBIG, "msg", "names table full");
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        const char **p = realloc(t->v, cap * sizeof *p);
        if (!p)
            return JXTA_ENOMEM;
        t->v = p;
        t->cap = cap;
    }
    t->v[t->n++] = s;
    return 0;
}

static int str_out(jxta_buf_t *out, const char *s)
{
    size_t n = strlen(s);
    if (n > JXTA_MSG_MAX_COUNT)
        return jxta__reject(JXTA_ETOOBIG, "msg", "string of %zu bytes too long to encode", n);
    jxta_buf_put_be16(out, (uint16_t)n);
    jxta_buf_append(out, s, n);
    return 0;
}

static int encode_elem(const names_t *t, const jxta_msg_elem_t *e, jxta_buf_t *out)
{
    int typed = jxta__wire_elem_writes_type(e);
    if (e->len > JXTA_MSG_MAX_BODY)
        return jxta__reject(JXTA_ETOOBIG, "msg", "element body of %zu bytes too long", e->len);
    uint8_t flags = (uint8_t)(V1_NAME_LITERAL | (typed ? V1_HAS_TYPE : 0) |
                              (e->sig ? V1_HAS_SIGNATURE : 0));
    jxta_buf_append(out, WIRE_ELEM_MAGIC, 4);
    jxta_buf_put_u8(out, flags);
    jxta_buf_put_be16(out, (uint16_t)names_find(t, e->ns));
    int rc = str_out(out, e->name);
    if (rc < 0)
        return rc;
    if (typed)
        jxta_buf_put_be16(out, (uint16_t)names_find(t, e->type));
    jxta_buf_put_be32(out, (uint32_t)e->len);
    jxta_buf_append(out, e->body, e->len);
    return e->sig ? encode_elem(t, e->sig, out) : 0;
}

int jxta__wire_encode_v1(const jxta_msg_t *m, jxta_buf_t *out)
{
    names_t t = {NULL, 0, 0};
    int rc = 0;
    if (m->n > JXTA_MSG_MAX_COUNT)
        return jxta__reject(JXTA_ETOOBIG, "msg", "%zu elements too many to encode", m->n);
    rc = names_note(&t, "");
    if (rc == 0)
        rc = names_note(&t, "jxta");
    for (size_t i = 0; i < m->nns && rc == 0; i++)
        rc = names_note(&t, m->ns[i]);
    for (size_t i = 0; i < m->n && rc == 0; i++)
        for (const jxta_msg_elem_t *e = m->elems[i]; e && rc == 0; e = e->sig)
            rc = names_note(&t, e->ns);
    for (size_t i = 0; i < m->n && rc == 0; i++)
        for (const jxta_msg_elem_t *e = m->elems[i]; e && rc == 0; e = e->sig)
            if (jxta__wire_elem_writes_type(e))
                rc = names_note(&t, e->type);
    if (rc < 0)
        goto done;
    jxta_buf_append(out, WIRE_MSG_MAGIC, 4);
    jxta_buf_put_u8(out, JXTA_MSG_V1);
    jxta_buf_put_u8(out, 0);
    jxta_buf_put_be16(out, (uint16_t)(t.n - 2));
    for (size_t i = 2; i < t.n && rc == 0; i++)
        rc = str_out(out, t.v[i]);
    jxta_buf_put_be16(out, (uint16_t)m->n);
    for (size_t i = 0; i < m->n && rc == 0; i++)
        rc = encode_elem(&t, m->elems[i], out);
done:
    free(t.v);
    return rc;
}
