/* wire_v0.c - binary message format version 0, the one JXSE 2.5 reads and
 * writes (PROTOCOLS.md 3.2):
 *
 *   "jxmg" 00 u16 ns_count {u16 len, utf8}*  u16 elem_count  element*
 *   element = "jxel" u8 ns_id u8 flags str name [str type] u32 len body [element]
 *
 * Decoding is strict where JXSE would desynchronise or misbehave (the
 * HAS_ENCODING flag, unknown flag bits, namespace ids outside the table,
 * negative 16/32-bit values) and records what re-encoding needs to give
 * back the same bytes: the namespace table as listed, each element's
 * namespace id, and an explicit application/octet-stream type.
 *
 * Encoding of built messages follows JXSE: namespaces other than "" and
 * "jxta" listed in first-use order, type omitted for octet-stream. */
#include <jxta/msg.h>

#include "wire_common.h"

/* Smallest possible element: magic, ns id, flags, empty name, length. */
#define V0_MIN_ELEM 12u

static int decode_elem(wire_dec_t *d, const char *const *tbl, size_t ntbl, int is_sig,
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
    uint8_t nsid = jxta_reader_u8(&d->r);
    uint8_t flags = jxta_reader_u8(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "element header cut off");
    if (flags & V0_HAS_ENCODING) {
        d->r.pos--;
        return jxta__wire_fail(d, JXTA_EPROTO, "element flag HAS_ENCODING (0x02) is not allowed");
    }
    if (flags & ~(V0_HAS_TYPE | V0_HAS_SIGNATURE)) {
        d->r.pos--;
        return jxta__wire_fail(d, JXTA_EPROTO, "unknown element flags 0x%02x", flags);
    }
    if (is_sig && (flags & V0_HAS_SIGNATURE)) {
        d->r.pos--;
        return jxta__wire_fail(d, JXTA_EPROTO, "signature element is itself signed");
    }
    if (nsid >= ntbl) {
        d->r.pos -= 2;
        return jxta__wire_fail(d, JXTA_EPROTO, "namespace id %u not in the table of %zu", nsid,
                               ntbl);
    }
    const uint8_t *name, *type = NULL, *body;
    size_t namelen, typelen = 0;
    int rc = jxta__wire_read_str(d, "element name", &name, &namelen);
    if (rc < 0)
        return rc;
    if ((flags & V0_HAS_TYPE) && (rc = jxta__wire_read_str(d, "element type", &type, &typelen)) < 0)
        return rc;
    uint32_t len = jxta_reader_be32(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "element body length cut off");
    if ((rc = jxta__wire_read_body(d, len, &body)) < 0)
        return rc;
    jxta_msg_elem_t *e;
    rc = jxta__wire_elem_make(&e, (const uint8_t *)tbl[nsid], strlen(tbl[nsid]), name, namelen,
                              type, typelen, (flags & V0_HAS_TYPE) != 0, body, len, d->depth, d->shared);
    if (rc < 0)
        return rc;
    e->wire_nsid = nsid;
    e->is_sig = is_sig;
    if (flags & V0_HAS_SIGNATURE) {
        if ((rc = decode_elem(d, tbl, ntbl, 1, &e->sig)) < 0) {
            jxta_msg_elem_free(e);
            return rc;
        }
    }
    *out = e;
    return 0;
}

int jxta__wire_decode_v0(wire_dec_t *d, jxta_msg_t *m)
{
    const char **tbl = NULL;
    int rc;
    uint16_t nns = jxta_reader_be16(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "namespace count cut off");
    size_t maxns = d->lim.max_namespaces < JXTA_MSG_MAX_NAMESPACES ? d->lim.max_namespaces
                                                                     : JXTA_MSG_MAX_NAMESPACES;
    if (nns > maxns) {
        d->r.pos -= 2;
        return jxta__wire_fail(d, JXTA_ETOOBIG, "namespace count %u exceeds limit %zu", nns, maxns);
    }
    if ((size_t)nns * 2 > jxta_reader_left(&d->r))
        return jxta__wire_fail(d, JXTA_ETRUNC, "%u namespaces cannot fit in %zu bytes", nns,
                               jxta_reader_left(&d->r));
    tbl = calloc((size_t)nns + 2, sizeof *tbl);
    m->ns = calloc(nns ? nns : 1, sizeof *m->ns);
    if (!tbl || !m->ns) {
        rc = JXTA_ENOMEM;
        goto done;
    }
    tbl[0] = "";
    tbl[1] = "jxta";
    for (size_t i = 0; i < nns; i++) {
        const uint8_t *s;
        size_t n;
        if ((rc = jxta__wire_read_str(d, "namespace", &s, &n)) < 0)
            goto done;
        m->ns[i] = jxta__strndup((const char *)s, n);
        if (!m->ns[i]) {
            rc = JXTA_ENOMEM;
            goto done;
        }
        m->nns++;
        tbl[i + 2] = m->ns[i];
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
    if ((size_t)count * V0_MIN_ELEM > jxta_reader_left(&d->r)) {
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
        if ((rc = decode_elem(d, tbl, (size_t)nns + 2, 0, &e)) < 0)
            goto done;
        if ((rc = jxta__wire_msg_push(m, e)) < 0)
            goto done;
    }
    rc = 0;
done:
    free(tbl);
    return rc;
}

/* ---------------------------------------------------------------- encoding */

typedef struct ns_table {
    const char **v; /* ids 2.. : v[i] has id i + 2 */
    size_t n, cap;
} ns_table_t;

static int table_add(ns_table_t *t, const char *ns)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        const char **p = realloc(t->v, cap * sizeof *p);
        if (!p)
            return JXTA_ENOMEM;
        t->v = p;
        t->cap = cap;
    }
    t->v[t->n++] = ns;
    return 0;
}

/* The id to write for e: the decoded id when it still names e's namespace,
 * else 0/1 for ""/"jxta", else the first listed match; -1 if unlisted. */
static int ns_id_of(const ns_table_t *t, const jxta_msg_elem_t *e)
{
    int id = e->wire_nsid;
    if (id == 0 && e->ns[0] == '\0')
        return 0;
    if (id == 1 && strcmp(e->ns, "jxta") == 0)
        return 1;
    if (id >= 2 && (size_t)(id - 2) < t->n && strcmp(t->v[id - 2], e->ns) == 0)
        return id;
    if (e->ns[0] == '\0')
        return 0;
    if (strcmp(e->ns, "jxta") == 0)
        return 1;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i], e->ns) == 0)
            return (int)(i + 2);
    return -1;
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

static int encode_elem(const ns_table_t *t, const jxta_msg_elem_t *e, jxta_buf_t *out)
{
    int id = ns_id_of(t, e);
    if (id < 0 || id > 255)
        return jxta__reject(JXTA_ETOOBIG, "msg", "namespace '%s' has no id", e->ns);
    if (e->len > JXTA_MSG_MAX_BODY)
        return jxta__reject(JXTA_ETOOBIG, "msg", "element body of %zu bytes too long", e->len);
    int typed = jxta__wire_elem_writes_type(e);
    uint8_t flags = (uint8_t)((typed ? V0_HAS_TYPE : 0) | (e->sig ? V0_HAS_SIGNATURE : 0));
    jxta_buf_append(out, WIRE_ELEM_MAGIC, 4);
    jxta_buf_put_u8(out, (uint8_t)id);
    jxta_buf_put_u8(out, flags);
    int rc = str_out(out, e->name);
    if (rc == 0 && typed)
        rc = str_out(out, e->type);
    if (rc < 0)
        return rc;
    jxta_buf_put_be32(out, (uint32_t)e->len);
    jxta_buf_append(out, e->body, e->len);
    return e->sig ? encode_elem(t, e->sig, out) : 0;
}

static int table_note(ns_table_t *t, const jxta_msg_elem_t *e)
{
    if (ns_id_of(t, e) >= 0)
        return 0;
    if (t->n >= JXTA_MSG_MAX_NAMESPACES)
        return jxta__reject(JXTA_ETOOBIG, "msg", "more than %d namespaces",
                            JXTA_MSG_MAX_NAMESPACES);
    return table_add(t, e->ns);
}

int jxta__wire_encode_v0(const jxta_msg_t *m, jxta_buf_t *out)
{
    ns_table_t t = {NULL, 0, 0};
    int rc = 0;
    if (m->n > JXTA_MSG_MAX_COUNT)
        return jxta__reject(JXTA_ETOOBIG, "msg", "%zu elements too many to encode", m->n);
    if (m->nns > JXTA_MSG_MAX_NAMESPACES)
        return jxta__reject(JXTA_ETOOBIG, "msg", "more than %d namespaces",
                            JXTA_MSG_MAX_NAMESPACES);
    for (size_t i = 0; i < m->nns && rc == 0; i++)
        rc = table_add(&t, m->ns[i]);
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        rc = table_note(&t, m->elems[i]);
        if (rc == 0 && m->elems[i]->sig)
            rc = table_note(&t, m->elems[i]->sig);
    }
    if (rc < 0)
        goto done;
    jxta_buf_append(out, WIRE_MSG_MAGIC, 4);
    jxta_buf_put_u8(out, JXTA_MSG_V0);
    jxta_buf_put_be16(out, (uint16_t)t.n);
    for (size_t i = 0; i < t.n && rc == 0; i++)
        rc = str_out(out, t.v[i]);
    jxta_buf_put_be16(out, (uint16_t)m->n);
    for (size_t i = 0; i < m->n && rc == 0; i++)
        rc = encode_elem(&t, m->elems[i], out);
done:
    free(t.v);
    return rc;
}
