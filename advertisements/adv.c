/* adv.c - the advertisement framework: one code path for every type.
 *
 * An advertisement is a descriptor (see jxta/adv.h) and the element tree
 * of its document.  Parsing is XML parse, type selection, schema check;
 * accessors read direct children of the root; builders edit the tree; the
 * writer is jxta_xml_write.  Nothing here knows a particular type: the
 * per-type knowledge is data in adv_std.c (or in whoever registered a
 * descriptor), so the checks below apply the same way to all of them. */
#include <stdio.h>

#include <jxta/adv.h>

#include "../jxta-c/util/internal.h"

struct jxta_adv {
    const jxta_adv_type_t *type; /* NULL: generic (unregistered root) */
    jxta_xml_node_t *root;
};

static const char *doc_type_attr(const jxta_xml_node_t *root)
{
    return jxta_xml_attr(root, "type");
}

const char *jxta_adv_type_name(const jxta_adv_t *adv)
{
    if (!adv)
        return "";
    return adv->type ? jxta_adv_type_name_of(adv->type) : jxta_xml_name(adv->root);
}

/* JXSE accepts a document for a type if its root name or its `type`
 * attribute is the type's name. */
static int doc_matches(const jxta_xml_node_t *root, const jxta_adv_type_t *type)
{
    const char *name = jxta_adv_type_name_of(type);
    const char *ta = doc_type_attr(root);
    return strcmp(jxta_xml_name(root), name) == 0 || (ta && strcmp(ta, name) == 0);
}

static int check_id_field(const jxta_adv_t *adv, const jxta_adv_field_t *f,
                          const jxta_xml_node_t *n)
{
    const char *text = jxta_xml_text(n);
    jxta_id_t id;
    int rc = jxta_id_parse(&id, text, strlen(text), 0);
    if (rc < 0)
        return jxta__reject(rc, "adv", "%s: field %s: '%.100s' is not a %s JXTA ID",
                            jxta_adv_type_name(adv), f->name, text,
                            rc == JXTA_ENONCANON ? "canonical" : "valid");
    if (f->id_kind != JXTA_ID_KIND_ANY && (int)jxta_id_kind(&id) != f->id_kind)
        return jxta__reject(JXTA_EBADID, "adv", "%s: field %s: %s ID where a %s ID is required",
                            jxta_adv_type_name(adv), f->name,
                            jxta_id_kind_name(jxta_id_kind(&id)),
                            jxta_id_kind_name((jxta_id_kind_t)f->id_kind));
    return 0;
}

int jxta_adv_validate(const jxta_adv_t *adv)
{
    if (!adv)
        return JXTA_EINVAL;
    const jxta_adv_type_t *t = adv->type;
    if (!t)
        return 0;
    for (size_t i = 0; i < t->nfields; i++) {
        const jxta_adv_field_t *f = &t->fields[i];
        size_t count = 0;
        for (const jxta_xml_node_t *c = jxta_xml_child(adv->root, f->name); c;
             c = jxta_xml_next_named(c)) {
            count++;
            if (f->kind == JXTA_FIELD_ID) {
                int rc = check_id_field(adv, f, c);
                if (rc < 0)
                    return rc;
            }
        }
        if (count == 0 && (f->flags & JXTA_FIELD_REQUIRED))
            return jxta__reject(JXTA_EMISSING, "adv", "%s: required field %s is missing",
                                jxta_adv_type_name(adv), f->name);
        if (count > 1 && !(f->flags & JXTA_FIELD_REPEATED))
            return jxta__reject(JXTA_EPROTO, "adv", "%s: field %s appears %zu times",
                                jxta_adv_type_name(adv), f->name, count);
    }
    return t->check ? t->check(adv) : 0;
}

/* ID fields are stored in canonical text, as JXSE re-serializes them: the
 * only accepted non-canonical spellings (the uuid forms of the World and Net
 * groups) become urn:jxta:jxta-WorldGroup / jxta-NetGroup, so index values
 * match what a JXSE peer indexes.  Called after validation. */
static int normalize_ids(jxta_adv_t *adv)
{
    const jxta_adv_type_t *t = adv->type;
    for (size_t i = 0; t && i < t->nfields; i++) {
        if (t->fields[i].kind != JXTA_FIELD_ID)
            continue;
        for (jxta_xml_node_t *c = jxta_xml_first_mut(adv->root); c; c = jxta_xml_next_mut(c)) {
            if (strcmp(jxta_xml_name(c), t->fields[i].name) != 0)
                continue;
            jxta_id_t id;
            jxta_id_text_t canon;
            const char *text = jxta_xml_text(c);
            if (jxta_id_parse(&id, text, strlen(text), 0) == 0 &&
                strcmp(jxta_id_str(&id, &canon), text) != 0) {
                int rc = jxta_xml_set_text(c, canon.s);
                if (rc < 0)
                    return rc;
            }
        }
    }
    return 0;
}

/* Takes ownership of root in every case. */
static int adv_wrap(jxta_xml_node_t *root, const jxta_adv_type_t *want, jxta_adv_t **out)
{
    const jxta_adv_type_t *t = want;
    if (t && !doc_matches(root, t)) {
        const char *ta = doc_type_attr(root);
        int rc = jxta__reject(JXTA_EADVTYPE, "adv", "expected %s, document is %s%s%s%s",
                              jxta_adv_type_name_of(t), jxta_xml_name(root),
                              ta ? " (type " : "", ta ? ta : "", ta ? ")" : "");
        jxta_xml_free(root);
        return rc;
    }
    if (!t)
        t = jxta_adv_lookup(jxta_xml_name(root), doc_type_attr(root));
    jxta_adv_t *adv = calloc(1, sizeof *adv);
    if (!adv) {
        jxta_xml_free(root);
        return JXTA_ENOMEM;
    }
    adv->type = t;
    adv->root = root;
    int rc = jxta_adv_validate(adv);
    if (rc == 0)
        rc = normalize_ids(adv);
    if (rc < 0) {
        jxta_adv_free(adv);
        return rc;
    }
    if (!t)
        jxta_log(JXTA_LOG_DEBUG, "adv", "unregistered advertisement type %s kept as generic",
                 jxta_xml_name(root));
    *out = adv;
    return 0;
}

int jxta_adv_parse_as(const void *text, size_t len, const jxta_adv_type_t *type,
                      jxta_adv_t **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_xml_node_t *root;
    int rc = jxta_xml_parse(text, len, &root);
    if (rc < 0)
        return rc;
    return adv_wrap(root, type, out);
}

int jxta_adv_parse(const void *text, size_t len, jxta_adv_t **out)
{
    return jxta_adv_parse_as(text, len, NULL, out);
}

int jxta_adv_from_xml(const jxta_xml_node_t *elem, const jxta_adv_type_t *type,
                      jxta_adv_t **out)
{
    if (!elem || !out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_xml_node_t *copy;
    int rc = jxta_xml_clone(elem, &copy);
    if (rc < 0)
        return rc;
    return adv_wrap(copy, type, out);
}

int jxta_adv_new(const jxta_adv_type_t *type, jxta_adv_t **out)
{
    if (!type || !type->root || !out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_xml_node_t *root;
    int rc = jxta_xml_new(type->root, &root);
    if (rc < 0)
        return rc;
    /* Attribute order as JXSE writes a standalone advertisement. */
    rc = jxta_xml_set_attr(root, "xml:space", "preserve");
    const char *colon = strchr(type->root, ':');
    if (rc == 0 && colon) {
        char attr[128];
        int n = snprintf(attr, sizeof attr, "xmlns:%.*s", (int)(colon - type->root), type->root);
        rc = n > 0 && (size_t)n < sizeof attr
                 ? jxta_xml_set_attr(root, attr, type->ns_uri ? type->ns_uri : "http://jxta.org")
                 : JXTA_EINVAL;
    } else if (rc == 0 && type->ns_uri) {
        rc = jxta_xml_set_attr(root, "xmlns", type->ns_uri);
    }
    if (rc == 0 && type->type_attr)
        rc = jxta_xml_set_attr(root, "type", type->type_attr);
    jxta_adv_t *adv = rc == 0 ? calloc(1, sizeof *adv) : NULL;
    if (!adv) {
        jxta_xml_free(root);
        return rc < 0 ? rc : JXTA_ENOMEM;
    }
    adv->type = type;
    adv->root = root;
    *out = adv;
    return 0;
}

void jxta_adv_free(jxta_adv_t *adv)
{
    if (!adv)
        return;
    jxta_xml_free(adv->root);
    free(adv);
}

int jxta_adv_clone(const jxta_adv_t *adv, jxta_adv_t **out)
{
    if (!adv || !out)
        return JXTA_EINVAL;
    jxta_adv_t *c = calloc(1, sizeof *c);
    if (!c)
        return JXTA_ENOMEM;
    int rc = jxta_xml_clone(adv->root, &c->root);
    if (rc < 0) {
        free(c);
        return rc;
    }
    c->type = adv->type;
    *out = c;
    return 0;
}

int jxta_adv_write(const jxta_adv_t *adv, unsigned flags, jxta_buf_t *out)
{
    if (!adv || !out)
        return JXTA_EINVAL;
    return jxta_xml_write(adv->root, flags, out);
}

int jxta_adv_to_string(const jxta_adv_t *adv, unsigned flags, char **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_adv_write(adv, flags, &b);
    if (rc == 0 && !(*out = jxta_buf_steal_str(&b)))
        rc = JXTA_ENOMEM;
    jxta_buf_free(&b);
    return rc;
}

const jxta_adv_type_t *jxta_adv_type(const jxta_adv_t *adv)
{
    return adv ? adv->type : NULL;
}

jxta_adv_dir_t jxta_adv_dir(const jxta_adv_t *adv)
{
    return adv && adv->type ? adv->type->dir : JXTA_ADV_DIR_NONE;
}

const jxta_xml_node_t *jxta_adv_root(const jxta_adv_t *adv)
{
    return adv ? adv->root : NULL;
}

jxta_xml_node_t *jxta_adv_root_mut(jxta_adv_t *adv)
{
    return adv ? adv->root : NULL;
}

const char *jxta_adv_get(const jxta_adv_t *adv, const char *field)
{
    const jxta_xml_node_t *c = adv ? jxta_xml_child(adv->root, field) : NULL;
    return c ? jxta_xml_text(c) : NULL;
}

int jxta_adv_get_id(const jxta_adv_t *adv, const char *field, jxta_id_t *id)
{
    if (!adv || !field || !id)
        return JXTA_EINVAL;
    const char *t = jxta_adv_get(adv, field);
    if (!t)
        return JXTA_ENOTFOUND;
    return jxta_id_parse(id, t, strlen(t), 0);
}

int jxta_adv_id(const jxta_adv_t *adv, jxta_id_t *id)
{
    if (!adv || !id)
        return JXTA_EINVAL;
    if (!adv->type || !adv->type->id_field)
        return JXTA_ENOTFOUND;
    return jxta_adv_get_id(adv, adv->type->id_field, id);
}

const jxta_xml_node_t *jxta_adv_first(const jxta_adv_t *adv, const char *field)
{
    return adv ? jxta_xml_child(adv->root, field) : NULL;
}

size_t jxta_adv_count(const jxta_adv_t *adv, const char *field)
{
    return adv && field ? jxta_xml_child_count(adv->root, field) : 0;
}

size_t jxta_adv_index(const jxta_adv_t *adv, jxta_adv_index_entry_t *out, size_t cap)
{
    size_t n = 0;
    if (!adv || !adv->type || !adv->type->index)
        return 0;
    for (const char *const *f = adv->type->index; *f; f++) {
        const char *v = jxta_adv_get(adv, *f);
        if (!v)
            continue;
        if (out && n < cap) {
            out[n].name = *f;
            out[n].value = v;
        }
        n++;
    }
    return n;
}

int jxta_adv_equal(const jxta_adv_t *a, const jxta_adv_t *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(jxta_adv_type_name(a), jxta_adv_type_name(b)) == 0 &&
           jxta_xml_equal(a->root, b->root);
}

int jxta_adv_set(jxta_adv_t *adv, const char *field, const char *text)
{
    if (!adv || !field)
        return JXTA_EINVAL;
    if (!text) {
        jxta_xml_node_t *c;
        while ((c = jxta_xml_child_mut(adv->root, field)) != NULL)
            jxta_xml_free(c);
        return 0;
    }
    jxta_xml_node_t *c = jxta_xml_child_mut(adv->root, field);
    if (!c)
        return jxta_xml_add(adv->root, field, text, NULL);
    return jxta_xml_set_text(c, text);
}

int jxta_adv_set_id(jxta_adv_t *adv, const char *field, const jxta_id_t *id)
{
    if (!id)
        return JXTA_EINVAL;
    jxta_id_text_t t;
    return jxta_adv_set(adv, field, jxta_id_str(id, &t));
}

int jxta_adv_add(jxta_adv_t *adv, const char *field, const char *text, jxta_xml_node_t **child)
{
    if (!adv)
        return JXTA_EINVAL;
    return jxta_xml_add(adv->root, field, text, child);
}

int jxta_adv_embed(jxta_xml_node_t *parent, const jxta_adv_t *inner)
{
    if (!parent || !inner)
        return JXTA_EINVAL;
    jxta_xml_node_t *copy;
    int rc = jxta_xml_clone(inner->root, &copy);
    if (rc < 0)
        return rc;
    if ((rc = jxta_xml_append(parent, copy)) < 0)
        jxta_xml_free(copy);
    return rc;
}
