/* msg.c - the message model (elements, lookup, removal, comparison), the
 * decoding entry point that dispatches on the version byte, nested message
 * decoding, and the helpers both wire codecs share (see wire_common.h).
 *
 * Elements are owned by exactly one message (or one signed element) and are
 * kept in an array of pointers: messages are small (JXSE core services use
 * three to six elements), so linear lookups are the simplest correct
 * choice and preserve order, which services and re-encoding rely on.
 *
 * A message decoded by jxta_msg_decode_owned (the TCP transport's receive
 * path) does not copy element bodies: they point into the decoded buffer,
 * shared by reference count (wire_shared_t), so removing, duplicating
 * (always a copy) and freeing work in any order. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include <jxta/msg.h>

#include "wire_common.h"

#define DEFAULT_MAX_SIZE ((size_t)16 << 20)
#define DEFAULT_MAX_ELEMENTS 4096
#define DEFAULT_MAX_NAME_LEN 4096
#define DEFAULT_MAX_DEPTH 8
#define HARD_MAX_DEPTH 64

void jxta_msg_limits_default(jxta_msg_limits_t *lim)
{
    lim->max_size = DEFAULT_MAX_SIZE;
    lim->max_elements = DEFAULT_MAX_ELEMENTS;
    lim->max_namespaces = JXTA_MSG_MAX_NAMESPACES;
    lim->max_name_len = DEFAULT_MAX_NAME_LEN;
    lim->max_depth = DEFAULT_MAX_DEPTH;
    lim->flags = 0;
}

/* Effective limits: defaults for NULL, clamped to the format's ceilings. */
static void limits_effective(const jxta_msg_limits_t *in, jxta_msg_limits_t *out)
{
    if (!in)
        jxta_msg_limits_default(out);
    else
        *out = *in;
    if (out->max_elements > JXTA_MSG_MAX_COUNT)
        out->max_elements = JXTA_MSG_MAX_COUNT;
    if (out->max_name_len > JXTA_MSG_MAX_COUNT)
        out->max_name_len = JXTA_MSG_MAX_COUNT;
    if (out->max_depth > HARD_MAX_DEPTH)
        out->max_depth = HARD_MAX_DEPTH;
}

/* ---------------------------------------------------------------- helpers */

int jxta__wire_fail(wire_dec_t *d, int err, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    d->err_off = d->r.pos;
    return jxta__reject(err, "msg", "offset %zu: %s", d->r.pos, text);
}

int jxta__wire_text_ok(const void *s, size_t n)
{
    return (n == 0 || memchr(s, 0, n) == NULL) && jxta_utf8_valid(s, n);
}

int jxta__wire_read_str(wire_dec_t *d, const char *what, const uint8_t **s, size_t *len)
{
    uint16_t n = jxta_reader_be16(&d->r);
    if (d->r.err)
        return jxta__wire_fail(d, JXTA_ETRUNC, "%s length cut off", what);
    if (n > d->lim.max_name_len)
        return jxta__wire_fail(d, JXTA_ETOOBIG, "%s length %u exceeds limit %zu", what, n,
                               d->lim.max_name_len);
    const uint8_t *p = jxta_reader_bytes(&d->r, n);
    if (!p)
        return jxta__wire_fail(d, JXTA_ETRUNC, "%s of %u bytes cut off (%zu left)", what, n,
                               jxta_reader_left(&d->r));
    if (!jxta__wire_text_ok(p, n)) {
        d->r.pos -= n; /* report the start of the string */
        return jxta__wire_fail(d, JXTA_EUTF8, "%s is not UTF-8 text", what);
    }
    *s = p;
    *len = n;
    return 0;
}

int jxta__wire_read_body(wire_dec_t *d, uint64_t len, const uint8_t **body)
{
    if (len > JXTA_MSG_MAX_BODY || len > d->lim.max_size)
        return jxta__wire_fail(d, JXTA_ETOOBIG, "element body length %llu exceeds limit %zu",
                               (unsigned long long)len, d->lim.max_size);
    *body = jxta_reader_bytes(&d->r, (size_t)len);
    if (!*body)
        return jxta__wire_fail(d, JXTA_ETRUNC, "element body of %llu bytes cut off (%zu left)",
                               (unsigned long long)len, jxta_reader_left(&d->r));
    return 0;
}

static char *dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

wire_shared_t *jxta__wire_shared_new(uint8_t *data)
{
    wire_shared_t *s = malloc(sizeof *s);
    if (!s) {
        free(data);
        return NULL;
    }
    s->refs = 1;
    s->data = data;
    return s;
}

void jxta__wire_shared_ref(wire_shared_t *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void jxta__wire_shared_unref(wire_shared_t *s)
{
    if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(s->data);
        free(s);
    }
}

int jxta__wire_elem_make(jxta_msg_elem_t **out, const uint8_t *ns, size_t nslen,
                         const uint8_t *name, size_t namelen, const uint8_t *type, size_t typelen,
                         int has_type, const uint8_t *body, size_t len, unsigned depth,
                         wire_shared_t *shared)
{
    jxta_msg_elem_t *e = calloc(1, sizeof *e);
    if (!e)
        return JXTA_ENOMEM;
    e->wire_nsid = -1;
    e->depth = depth;
    e->ns = dup_bytes(ns, nslen);
    e->name = dup_bytes(name, namelen);
    if (has_type)
        e->type = dup_bytes(type, typelen);
    if (len && shared) {
        /* Borrow: the body stays where it was decoded. */
        jxta__wire_shared_ref(shared);
        e->shared = shared;
        e->body = (uint8_t *)body;
    } else if (len) {
        e->body = malloc(len);
        if (e->body)
            memcpy(e->body, body, len);
    }
    e->len = len;
    if (!e->ns || !e->name || (has_type && !e->type) || (len && !e->body)) {
        jxta_msg_elem_free(e);
        return JXTA_ENOMEM;
    }
    e->type_forced = has_type && strcmp(e->type, JXTA_MSG_MIME_DEFAULT) == 0;
    *out = e;
    return 0;
}

int jxta__wire_elem_writes_type(const jxta_msg_elem_t *e)
{
    return e->type && (e->type_forced || strcmp(e->type, JXTA_MSG_MIME_DEFAULT) != 0);
}

int jxta__wire_msg_push(jxta_msg_t *m, jxta_msg_elem_t *e)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        jxta_msg_elem_t **p = realloc(m->elems, cap * sizeof *p);
        if (!p) {
            jxta_msg_elem_free(e);
            return JXTA_ENOMEM;
        }
        m->elems = p;
        m->cap = cap;
    }
    e->depth = m->depth;
    if (e->sig)
        e->sig->depth = m->depth;
    m->elems[m->n++] = e;
    return 0;
}

/* ---------------------------------------------------------------- elements */

static int check_text(const char *s, const char *what)
{
    size_t n = strlen(s);
    if (n > JXTA_MSG_MAX_COUNT)
        return jxta__reject(JXTA_ETOOBIG, "msg", "element %s of %zu bytes is too long", what, n);
    if (!jxta_utf8_valid(s, n))
        return jxta__reject(JXTA_EUTF8, "msg", "element %s is not UTF-8", what);
    return 0;
}

int jxta_msg_elem_new_owned(jxta_msg_elem_t **out, const char *ns, const char *name,
                            const char *type, uint8_t *body, size_t len)
{
    int rc;
    *out = NULL;
    if (!ns)
        ns = "";
    if (!name || (len && !body)) {
        free(body);
        return JXTA_EINVAL;
    }
    if (len > JXTA_MSG_MAX_BODY) {
        free(body);
        return jxta__reject(JXTA_ETOOBIG, "msg", "element body of %zu bytes is too long", len);
    }
    if ((rc = check_text(ns, "namespace")) < 0 || (rc = check_text(name, "name")) < 0 ||
        (type && (rc = check_text(type, "type")) < 0)) {
        free(body);
        return rc;
    }
    jxta_msg_elem_t *e = calloc(1, sizeof *e);
    if (!e) {
        free(body);
        return JXTA_ENOMEM;
    }
    e->wire_nsid = -1;
    e->body = len ? body : NULL;
    if (!len)
        free(body);
    e->len = len;
    e->ns = jxta__strndup(ns, strlen(ns));
    e->name = jxta__strndup(name, strlen(name));
    if (type)
        e->type = jxta__strndup(type, strlen(type));
    if (!e->ns || !e->name || (type && !e->type)) {
        jxta_msg_elem_free(e);
        return JXTA_ENOMEM;
    }
    *out = e;
    return 0;
}

int jxta_msg_elem_new(jxta_msg_elem_t **out, const char *ns, const char *name, const char *type,
                      const void *body, size_t len)
{
    *out = NULL;
    if (len && !body)
        return JXTA_EINVAL;
    uint8_t *copy = NULL;
    if (len) {
        if (len > JXTA_MSG_MAX_BODY)
            return jxta__reject(JXTA_ETOOBIG, "msg", "element body of %zu bytes is too long", len);
        copy = malloc(len);
        if (!copy)
            return JXTA_ENOMEM;
        memcpy(copy, body, len);
    }
    return jxta_msg_elem_new_owned(out, ns, name, type, copy, len);
}

void jxta_msg_elem_free(jxta_msg_elem_t *e)
{
    if (!e)
        return;
    jxta_msg_elem_free(e->sig);
    free(e->ns);
    free(e->name);
    free(e->type);
    if (e->shared)
        jxta__wire_shared_unref(e->shared);
    else
        free(e->body);
    free(e);
}

int jxta_msg_elem_dup(const jxta_msg_elem_t *e, jxta_msg_elem_t **out)
{
    *out = NULL;
    if (!e)
        return JXTA_EINVAL;
    jxta_msg_elem_t *c = NULL;
    int rc = jxta__wire_elem_make(&c, (const uint8_t *)e->ns, strlen(e->ns),
                                  (const uint8_t *)e->name, strlen(e->name),
                                  (const uint8_t *)e->type, e->type ? strlen(e->type) : 0,
                                  e->type != NULL, e->body, e->len, e->depth, NULL);
    if (rc < 0)
        return rc;
    c->type_forced = e->type_forced;
    c->wire_nsid = e->wire_nsid;
    c->is_sig = e->is_sig;
    if (e->sig && (rc = jxta_msg_elem_dup(e->sig, &c->sig)) < 0) {
        jxta_msg_elem_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int jxta_msg_elem_set_signature(jxta_msg_elem_t *e, jxta_msg_elem_t *sig)
{
    if (!e || !sig || sig->sig || e->is_sig || sig == e) {
        if (sig != e)
            jxta_msg_elem_free(sig);
        return JXTA_EINVAL;
    }
    jxta_msg_elem_free(e->sig);
    sig->is_sig = 1;
    sig->depth = e->depth;
    e->sig = sig;
    return 0;
}

const char *jxta_msg_elem_ns(const jxta_msg_elem_t *e)
{
    return e->ns;
}

const char *jxta_msg_elem_name(const jxta_msg_elem_t *e)
{
    return e->name;
}

const char *jxta_msg_elem_type(const jxta_msg_elem_t *e)
{
    return e->type ? e->type : JXTA_MSG_MIME_DEFAULT;
}

int jxta_msg_elem_has_type(const jxta_msg_elem_t *e)
{
    return jxta__wire_elem_writes_type(e);
}

const uint8_t *jxta_msg_elem_body(const jxta_msg_elem_t *e, size_t *len)
{
    if (len)
        *len = e->len;
    return e->body ? e->body : (const uint8_t *)"";
}

size_t jxta_msg_elem_len(const jxta_msg_elem_t *e)
{
    return e->len;
}

const jxta_msg_elem_t *jxta_msg_elem_signature(const jxta_msg_elem_t *e)
{
    return e->sig;
}

unsigned jxta_msg_elem_depth(const jxta_msg_elem_t *e)
{
    return e->depth;
}

/* Compare the media type (before any ';' parameters, spaces trimmed) with
 * `want`, case-insensitively. */
static int type_is(const char *type, const char *want)
{
    if (!type)
        return 0;
    while (*type == ' ' || *type == '\t')
        type++;
    size_t n = strcspn(type, ";");
    while (n > 0 && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    return n == strlen(want) && strncasecmp(type, want, n) == 0;
}

int jxta_msg_elem_is_message(const jxta_msg_elem_t *e)
{
    return type_is(e->type, JXTA_MSG_MIME);
}

int jxta_msg_elem_is_text(const jxta_msg_elem_t *e)
{
    const char *t = e->type;
    if (t) {
        while (*t == ' ')
            t++;
        if (strncasecmp(t, "text/", 5) == 0 || type_is(t, "application/xml"))
            return jxta_utf8_valid(e->body, e->len);
    }
    if (!jxta_utf8_valid(e->body, e->len))
        return 0;
    for (size_t i = 0; i < e->len; i++) {
        uint8_t c = e->body[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F)
            return 0;
    }
    return 1;
}

int jxta_msg_elem_decode_nested(const jxta_msg_elem_t *e, const jxta_msg_limits_t *lim,
                                jxta_msg_t **out)
{
    *out = NULL;
    if (!e || !jxta_msg_elem_is_message(e))
        return JXTA_EINVAL;
    jxta_msg_limits_t l;
    limits_effective(lim, &l);
    if (e->depth + 1 > l.max_depth)
        return jxta__reject(JXTA_EDEPTH, "msg",
                            "element %s:%s: nested message at depth %u exceeds limit %u", e->ns,
                            e->name, e->depth + 1, l.max_depth);
    return jxta__msg_decode_depth(e->body, e->len, &l, e->depth + 1, e->shared, out, NULL);
}

/* ---------------------------------------------------------------- messages */

int jxta_msg_new(jxta_msg_t **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return JXTA_ENOMEM;
    (*out)->version = -1;
    return 0;
}

void jxta_msg_free(jxta_msg_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        jxta_msg_elem_free(m->elems[i]);
    for (size_t i = 0; i < m->nns; i++)
        free(m->ns[i]);
    free(m->ns);
    free(m->elems);
    free(m);
}

int jxta_msg_append(jxta_msg_t *m, jxta_msg_elem_t *e)
{
    if (!m || !e || e->is_sig) {
        if (!e || !e->is_sig)
            jxta_msg_elem_free(e);
        return JXTA_EINVAL;
    }
    if (m->n >= JXTA_MSG_MAX_COUNT) {
        jxta_msg_elem_free(e);
        return jxta__reject(JXTA_ETOOBIG, "msg", "message already has %zu elements", m->n);
    }
    return jxta__wire_msg_push(m, e);
}

int jxta_msg_add_owned(jxta_msg_t *m, const char *ns, const char *name, const char *type,
                       uint8_t *body, size_t len)
{
    jxta_msg_elem_t *e;
    int rc = jxta_msg_elem_new_owned(&e, ns, name, type, body, len);
    return rc < 0 ? rc : jxta_msg_append(m, e);
}

int jxta_msg_add(jxta_msg_t *m, const char *ns, const char *name, const char *type,
                 const void *body, size_t len)
{
    jxta_msg_elem_t *e;
    int rc = jxta_msg_elem_new(&e, ns, name, type, body, len);
    return rc < 0 ? rc : jxta_msg_append(m, e);
}

int jxta_msg_add_text(jxta_msg_t *m, const char *ns, const char *name, const char *text)
{
    if (!text)
        return JXTA_EINVAL;
    return jxta_msg_add(m, ns, name, JXTA_MSG_MIME_TEXT, text, strlen(text));
}

size_t jxta_msg_count(const jxta_msg_t *m)
{
    return m->n;
}

const jxta_msg_elem_t *jxta_msg_get(const jxta_msg_t *m, size_t index)
{
    return index < m->n ? m->elems[index] : NULL;
}

static int elem_matches(const jxta_msg_elem_t *e, const char *ns, const char *name)
{
    return strcmp(e->ns, ns ? ns : "") == 0 && strcmp(e->name, name) == 0;
}

const jxta_msg_elem_t *jxta_msg_find_from(const jxta_msg_t *m, size_t *index, const char *ns,
                                          const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = *index; i < m->n; i++) {
        if (elem_matches(m->elems[i], ns, name)) {
            *index = i;
            return m->elems[i];
        }
    }
    return NULL;
}

const jxta_msg_elem_t *jxta_msg_find(const jxta_msg_t *m, const char *ns, const char *name)
{
    size_t i = 0;
    return jxta_msg_find_from(m, &i, ns, name);
}

int jxta_msg_remove_at(jxta_msg_t *m, size_t index)
{
    if (index >= m->n)
        return JXTA_ENOTFOUND;
    jxta_msg_elem_free(m->elems[index]);
    memmove(&m->elems[index], &m->elems[index + 1], (m->n - index - 1) * sizeof *m->elems);
    m->n--;
    return 0;
}

size_t jxta_msg_remove(jxta_msg_t *m, const char *ns, const char *name)
{
    size_t removed = 0, i = 0;
    if (!name)
        return 0;
    while (i < m->n) {
        if (elem_matches(m->elems[i], ns, name)) {
            jxta_msg_remove_at(m, i);
            removed++;
        } else {
            i++;
        }
    }
    return removed;
}

size_t jxta_msg_ns_count(const jxta_msg_t *m)
{
    return m->nns;
}

const char *jxta_msg_ns_at(const jxta_msg_t *m, size_t i)
{
    return i < m->nns ? m->ns[i] : NULL;
}

int jxta_msg_wire_version(const jxta_msg_t *m)
{
    return m->version;
}

unsigned jxta_msg_depth(const jxta_msg_t *m)
{
    return m->depth;
}

static int elem_equal(const jxta_msg_elem_t *a, const jxta_msg_elem_t *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a->ns, b->ns) == 0 && strcmp(a->name, b->name) == 0 &&
           strcmp(jxta_msg_elem_type(a), jxta_msg_elem_type(b)) == 0 &&
           jxta__wire_elem_writes_type(a) == jxta__wire_elem_writes_type(b) && a->len == b->len &&
           (a->len == 0 || memcmp(a->body, b->body, a->len) == 0) && elem_equal(a->sig, b->sig);
}

int jxta_msg_equal(const jxta_msg_t *a, const jxta_msg_t *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (!elem_equal(a->elems[i], b->elems[i]))
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- decoding */

/* Decode every nested message of m (recursion bounded by max_depth). */
static int check_nested(const jxta_msg_t *m, const jxta_msg_limits_t *lim)
{
    for (size_t i = 0; i < m->n; i++) {
        const jxta_msg_elem_t *e = m->elems[i];
        for (int k = 0; k < 2 && e; k++, e = e->sig) {
            if (!jxta_msg_elem_is_message(e))
                continue;
            jxta_msg_t *inner = NULL;
            int rc = jxta_msg_elem_decode_nested(e, lim, &inner);
            jxta_msg_free(inner);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int jxta__msg_decode_depth(const void *p, size_t len, const jxta_msg_limits_t *lim,
                           unsigned depth, wire_shared_t *shared, jxta_msg_t **out,
                           size_t *err_offset)
{
    wire_dec_t d;
    memset(&d, 0, sizeof d);
    d.lim = *lim;
    d.depth = depth;
    d.shared = shared;
    jxta_reader_init(&d.r, p, len);
    *out = NULL;
    if (err_offset)
        *err_offset = 0;

    int rc;
    jxta_msg_t *m = NULL;
    if (len > d.lim.max_size) {
        rc = jxta__wire_fail(&d, JXTA_ETOOBIG, "message of %zu bytes exceeds limit %zu", len,
                             d.lim.max_size);
        goto fail;
    }
    const uint8_t *magic = jxta_reader_bytes(&d.r, 4);
    if (!magic) {
        rc = jxta__wire_fail(&d, JXTA_ETRUNC, "message magic cut off (%zu bytes)", len);
        goto fail;
    }
    if (memcmp(magic, WIRE_MSG_MAGIC, 4) != 0) {
        d.r.pos = 0;
        rc = jxta__wire_fail(&d, JXTA_EMAGIC, "bad message magic %02x %02x %02x %02x", magic[0],
                             magic[1], magic[2], magic[3]);
        goto fail;
    }
    uint8_t version = jxta_reader_u8(&d.r);
    if (d.r.err) {
        rc = jxta__wire_fail(&d, JXTA_ETRUNC, "message version cut off");
        goto fail;
    }
    if (version > JXTA_MSG_V1) {
        d.r.pos--;
        rc = jxta__wire_fail(&d, JXTA_EVERSION, "message version %u not supported", version);
        goto fail;
    }
    if ((rc = jxta_msg_new(&m)) < 0)
        goto fail;
    m->version = version;
    m->depth = depth;
    rc = version == JXTA_MSG_V0 ? jxta__wire_decode_v0(&d, m) : jxta__wire_decode_v1(&d, m);
    if (rc < 0)
        goto fail;
    if (jxta_reader_left(&d.r) != 0) {
        rc = jxta__wire_fail(&d, JXTA_ETRAILING, "%zu bytes after the last element",
                             jxta_reader_left(&d.r));
        goto fail;
    }
    if ((d.lim.flags & JXTA_MSG_CHECK_NESTED) && (rc = check_nested(m, &d.lim)) < 0) {
        d.err_off = 0;
        goto fail;
    }
    *out = m;
    return 0;
fail:
    jxta_msg_free(m);
    if (err_offset)
        *err_offset = d.err_off;
    return rc;
}

int jxta_msg_decode_ex(const void *p, size_t len, const jxta_msg_limits_t *lim, jxta_msg_t **out,
                       size_t *err_offset)
{
    jxta_msg_limits_t l;
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    if (!p && len)
        return JXTA_EINVAL;
    limits_effective(lim, &l);
    return jxta__msg_decode_depth(p, len, &l, 0, NULL, out, err_offset);
}

int jxta_msg_decode_owned(uint8_t *buf, size_t len, const jxta_msg_limits_t *lim,
                          jxta_msg_t **out, size_t *err_offset)
{
    jxta_msg_limits_t l;
    if (err_offset)
        *err_offset = 0;
    if (!out || (!buf && len)) {
        free(buf);
        if (out)
            *out = NULL;
        return JXTA_EINVAL;
    }
    *out = NULL;
    wire_shared_t *s = jxta__wire_shared_new(buf);
    if (!s)
        return JXTA_ENOMEM;
    limits_effective(lim, &l);
    int rc = jxta__msg_decode_depth(buf, len, &l, 0, s, out, err_offset);
    jxta__wire_shared_unref(s); /* the elements keep what they borrow */
    return rc;
}

int jxta_msg_decode(const void *p, size_t len, const jxta_msg_limits_t *lim, jxta_msg_t **out)
{
    return jxta_msg_decode_ex(p, len, lim, out, NULL);
}

int jxta_msg_encode(const jxta_msg_t *m, int version, jxta_buf_t *out)
{
    if (!m || !out)
        return JXTA_EINVAL;
    if (out->err)
        return out->err;
    size_t start = out->len;
    int rc;
    if (version == JXTA_MSG_V0)
        rc = jxta__wire_encode_v0(m, out);
    else if (version == JXTA_MSG_V1)
        rc = jxta__wire_encode_v1(m, out);
    else
        return JXTA_EINVAL;
    if (rc == 0)
        rc = jxta_buf_error(out);
    if (rc < 0) {
        out->len = start;
        out->err = 0;
    }
    return rc;
}
