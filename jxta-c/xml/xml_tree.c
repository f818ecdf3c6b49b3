/* xml_tree.c - the owned element tree behind jxta/xml.h.
 *
 * A node is an element: qualified name, attributes in order, trimmed text
 * and a doubly linked list of children with a parent pointer.  Every walk
 * over a tree (free, clone, equality) is iterative, so a deep tree built
 * through the API cannot exhaust the stack.  The parser and the writer
 * reach the raw (unchecked) setters through the jxta__xml_* functions,
 * which are internal to libjxta and declared where they are used. */
#include <jxta/xml.h>

#include "../util/internal.h"

struct jxta_xml_attr {
    char *name;
    char *value;
};

struct jxta_xml_node {
    char *name;
    char *text; /* NULL means "" */
    struct jxta_xml_attr *attrs;
    size_t nattrs, cattrs;
    jxta_xml_node_t *parent, *first, *last, *prev, *next;
};

/* Internal interface shared with xml_parse.c (see the comment above). */
int jxta__xml_node_new(const char *name, size_t len, jxta_xml_node_t **out);
int jxta__xml_attr_append(jxta_xml_node_t *n, const char *name, const char *value);
int jxta__xml_text_take(jxta_xml_node_t *n, char *text);
void jxta__xml_link(jxta_xml_node_t *parent, jxta_xml_node_t *child);
int jxta__xml_name_ok(const char *name, size_t len);

static const char XML_WS[] = " \t\r\n";

/* ---- validation helpers ------------------------------------------------ */

static int name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

static int name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* An XML Name with at most one ':' that is neither first nor last. */
int jxta__xml_name_ok(const char *name, size_t len)
{
    if (!name || len == 0 || !jxta_utf8_valid(name, len))
        return 0;
    int colons = 0;
    int at_start = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == ':') {
            if (at_start || i + 1 == len || ++colons > 1)
                return 0;
            at_start = 1;
            continue;
        }
        if (at_start ? !name_start(c) : !name_char(c))
            return 0;
        at_start = 0;
    }
    return 1;
}

/* UTF-8 holding only characters XML 1.0 allows. */
int jxta_xml_text_ok(const char *s, size_t len)
{
    if (!jxta_utf8_valid(s, len))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return 0;
        /* U+FFFE and U+FFFF */
        if (c == 0xEF && i + 2 < len && (unsigned char)s[i + 1] == 0xBF &&
            ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF))
            return 0;
    }
    return 1;
}

/* ---- construction ------------------------------------------------------ */

int jxta__xml_node_new(const char *name, size_t len, jxta_xml_node_t **out)
{
    jxta_xml_node_t *n = calloc(1, sizeof *n);
    if (!n)
        return JXTA_ENOMEM;
    n->name = jxta__strndup(name, len);
    if (!n->name) {
        free(n);
        return JXTA_ENOMEM;
    }
    *out = n;
    return 0;
}

int jxta__xml_attr_append(jxta_xml_node_t *n, const char *name, const char *value)
{
    if (n->nattrs == n->cattrs) {
        size_t cap = n->cattrs ? n->cattrs * 2 : 4;
        struct jxta_xml_attr *a = realloc(n->attrs, cap * sizeof *a);
        if (!a)
            return JXTA_ENOMEM;
        n->attrs = a;
        n->cattrs = cap;
    }
    char *nm = jxta__strndup(name, strlen(name));
    char *v = jxta__strndup(value, strlen(value));
    if (!nm || !v) {
        free(nm);
        free(v);
        return JXTA_ENOMEM;
    }
    n->attrs[n->nattrs].name = nm;
    n->attrs[n->nattrs].value = v;
    n->nattrs++;
    return 0;
}

int jxta__xml_text_take(jxta_xml_node_t *n, char *text)
{
    free(n->text);
    n->text = text;
    return 0;
}

void jxta__xml_link(jxta_xml_node_t *parent, jxta_xml_node_t *child)
{
    child->parent = parent;
    child->next = NULL;
    child->prev = parent->last;
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
}

static void node_free_one(jxta_xml_node_t *n)
{
    for (size_t i = 0; i < n->nattrs; i++) {
        free(n->attrs[i].name);
        free(n->attrs[i].value);
    }
    free(n->attrs);
    free(n->name);
    free(n->text);
    free(n);
}

void jxta_xml_unlink(jxta_xml_node_t *node)
{
    if (!node || !node->parent)
        return;
    jxta_xml_node_t *p = node->parent;
    if (node->prev)
        node->prev->next = node->next;
    else
        p->first = node->next;
    if (node->next)
        node->next->prev = node->prev;
    else
        p->last = node->prev;
    node->parent = node->prev = node->next = NULL;
}

void jxta_xml_free(jxta_xml_node_t *node)
{
    if (!node)
        return;
    jxta_xml_unlink(node);
    /* Post-order walk without recursion: descend to a leaf, free it, and
     * continue with its sibling or its parent. */
    jxta_xml_node_t *cur = node;
    for (;;) {
        while (cur->first)
            cur = cur->first;
        if (cur == node) {
            node_free_one(cur);
            return;
        }
        jxta_xml_node_t *up = cur->parent;
        up->first = cur->next;
        if (cur->next)
            cur->next->prev = NULL;
        else
            up->last = NULL;
        node_free_one(cur);
        cur = up;
    }
}

int jxta_xml_new(const char *name, jxta_xml_node_t **out)
{
    if (!out || !name || !jxta__xml_name_ok(name, strlen(name)))
        return jxta__reject(JXTA_EINVAL, "xml", "bad element name '%.80s'", name ? name : "(null)");
    return jxta__xml_node_new(name, strlen(name), out);
}

int jxta_xml_set_text(jxta_xml_node_t *node, const char *text)
{
    if (!node)
        return JXTA_EINVAL;
    if (!text) {
        free(node->text);
        node->text = NULL;
        return 0;
    }
    size_t len = strlen(text);
    if (!jxta_xml_text_ok(text, len))
        return jxta__reject(JXTA_EINVAL, "xml", "text of <%s> is not valid XML character data",
                            node->name);
    while (len && strchr(XML_WS, text[len - 1]))
        len--;
    size_t skip = 0;
    while (skip < len && strchr(XML_WS, text[skip]))
        skip++;
    char *t = jxta__strndup(text + skip, len - skip);
    if (!t)
        return JXTA_ENOMEM;
    free(node->text);
    node->text = t;
    return 0;
}

int jxta_xml_add(jxta_xml_node_t *parent, const char *name, const char *text,
                 jxta_xml_node_t **out)
{
    if (!parent)
        return JXTA_EINVAL;
    jxta_xml_node_t *n;
    int rc = jxta_xml_new(name, &n);
    if (rc < 0)
        return rc;
    if (text && (rc = jxta_xml_set_text(n, text)) < 0) {
        jxta_xml_free(n);
        return rc;
    }
    jxta__xml_link(parent, n);
    if (out)
        *out = n;
    return 0;
}

int jxta_xml_set_attr(jxta_xml_node_t *node, const char *name, const char *value)
{
    if (!node || !name || !value)
        return JXTA_EINVAL;
    if (!jxta__xml_name_ok(name, strlen(name)))
        return jxta__reject(JXTA_EINVAL, "xml", "bad attribute name '%.80s'", name);
    size_t vl = strlen(value);
    if (!jxta_xml_text_ok(value, vl) || strpbrk(value, "<>&\t\r\n") ||
        (strchr(value, '"') && strchr(value, '\'')))
        return jxta__reject(JXTA_EINVAL, "xml",
                            "attribute %s: value cannot be written verbatim for JXSE", name);
    for (size_t i = 0; i < node->nattrs; i++) {
        if (strcmp(node->attrs[i].name, name) == 0) {
            char *v = jxta__strndup(value, vl);
            if (!v)
                return JXTA_ENOMEM;
            free(node->attrs[i].value);
            node->attrs[i].value = v;
            return 0;
        }
    }
    return jxta__xml_attr_append(node, name, value);
}

int jxta_xml_append(jxta_xml_node_t *parent, jxta_xml_node_t *child)
{
    if (!parent || !child || child->parent || child == parent)
        return JXTA_EINVAL;
    /* Refuse to create a cycle (child being an ancestor of parent). */
    for (const jxta_xml_node_t *p = parent; p; p = p->parent)
        if (p == child)
            return JXTA_EINVAL;
    jxta__xml_link(parent, child);
    return 0;
}

static int copy_one(const jxta_xml_node_t *src, jxta_xml_node_t **out)
{
    jxta_xml_node_t *n;
    int rc = jxta__xml_node_new(src->name, strlen(src->name), &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < src->nattrs; i++) {
        if ((rc = jxta__xml_attr_append(n, src->attrs[i].name, src->attrs[i].value)) < 0) {
            node_free_one(n);
            return rc;
        }
    }
    if (src->text && !(n->text = jxta__strndup(src->text, strlen(src->text)))) {
        node_free_one(n);
        return JXTA_ENOMEM;
    }
    *out = n;
    return 0;
}

int jxta_xml_clone(const jxta_xml_node_t *node, jxta_xml_node_t **out)
{
    if (!node || !out)
        return JXTA_EINVAL;
    jxta_xml_node_t *root;
    int rc = copy_one(node, &root);
    if (rc < 0)
        return rc;
    /* Pre-order walk of the source, mirroring each step in the copy. */
    const jxta_xml_node_t *s = node;
    jxta_xml_node_t *d = root;
    for (;;) {
        if (s->first) {
            s = s->first;
        } else {
            while (s != node && !s->next) {
                s = s->parent;
                d = d->parent;
            }
            if (s == node)
                break;
            s = s->next;
            d = d->parent;
        }
        jxta_xml_node_t *c;
        if ((rc = copy_one(s, &c)) < 0) {
            jxta_xml_free(root);
            return rc;
        }
        jxta__xml_link(d, c);
        d = c;
    }
    *out = root;
    return 0;
}

/* ---- reading ----------------------------------------------------------- */

const char *jxta_xml_name(const jxta_xml_node_t *node)
{
    return node ? node->name : "";
}

const char *jxta_xml_local_name(const jxta_xml_node_t *node)
{
    if (!node)
        return "";
    const char *c = strchr(node->name, ':');
    return c ? c + 1 : node->name;
}

const char *jxta_xml_text(const jxta_xml_node_t *node)
{
    return node && node->text ? node->text : "";
}

const jxta_xml_node_t *jxta_xml_child(const jxta_xml_node_t *node, const char *name)
{
    if (!node || !name)
        return NULL;
    for (const jxta_xml_node_t *c = node->first; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

jxta_xml_node_t *jxta_xml_child_mut(jxta_xml_node_t *node, const char *name)
{
    if (!node || !name)
        return NULL;
    for (jxta_xml_node_t *c = node->first; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const jxta_xml_node_t *jxta_xml_parent(const jxta_xml_node_t *node)
{
    return node ? node->parent : NULL;
}

const jxta_xml_node_t *jxta_xml_first(const jxta_xml_node_t *node)
{
    return node ? node->first : NULL;
}

const jxta_xml_node_t *jxta_xml_next(const jxta_xml_node_t *node)
{
    return node ? node->next : NULL;
}

jxta_xml_node_t *jxta_xml_first_mut(jxta_xml_node_t *node)
{
    return node ? node->first : NULL;
}

jxta_xml_node_t *jxta_xml_next_mut(jxta_xml_node_t *node)
{
    return node ? node->next : NULL;
}

const jxta_xml_node_t *jxta_xml_next_named(const jxta_xml_node_t *node)
{
    if (!node)
        return NULL;
    for (const jxta_xml_node_t *c = node->next; c; c = c->next)
        if (strcmp(c->name, node->name) == 0)
            return c;
    return NULL;
}

size_t jxta_xml_child_count(const jxta_xml_node_t *node, const char *name)
{
    size_t n = 0;
    if (!node)
        return 0;
    for (const jxta_xml_node_t *c = node->first; c; c = c->next)
        if (!name || strcmp(c->name, name) == 0)
            n++;
    return n;
}

size_t jxta_xml_attr_count(const jxta_xml_node_t *node)
{
    return node ? node->nattrs : 0;
}

const char *jxta_xml_attr_name(const jxta_xml_node_t *node, size_t i)
{
    return node && i < node->nattrs ? node->attrs[i].name : NULL;
}

const char *jxta_xml_attr_value(const jxta_xml_node_t *node, size_t i)
{
    return node && i < node->nattrs ? node->attrs[i].value : NULL;
}

const char *jxta_xml_attr(const jxta_xml_node_t *node, const char *name)
{
    if (!node || !name)
        return NULL;
    for (size_t i = 0; i < node->nattrs; i++)
        if (strcmp(node->attrs[i].name, name) == 0)
            return node->attrs[i].value;
    return NULL;
}

/* ---- equality ---------------------------------------------------------- */

static int ignored_attr(const char *name)
{
    return strcmp(name, "xml:space") == 0;
}

/* Every attribute of a (but xml:space) appears in b with the same value.
 * Duplicate names cannot occur (the parser and set_attr forbid them), so
 * checking both directions gives set equality. */
static int attrs_subset(const jxta_xml_node_t *a, const jxta_xml_node_t *b)
{
    for (size_t i = 0; i < a->nattrs; i++) {
        if (ignored_attr(a->attrs[i].name))
            continue;
        const char *v = jxta_xml_attr(b, a->attrs[i].name);
        if (!v || strcmp(v, a->attrs[i].value) != 0)
            return 0;
    }
    return 1;
}

static int shallow_equal(const jxta_xml_node_t *a, const jxta_xml_node_t *b)
{
    return strcmp(a->name, b->name) == 0 && strcmp(jxta_xml_text(a), jxta_xml_text(b)) == 0 &&
           attrs_subset(a, b) && attrs_subset(b, a);
}

int jxta_xml_equal(const jxta_xml_node_t *a, const jxta_xml_node_t *b)
{
    if (!a || !b)
        return a == b;
    const jxta_xml_node_t *ra = a;
    for (;;) {
        if (!shallow_equal(a, b))
            return 0;
        if (a->first || b->first) {
            if (!a->first || !b->first)
                return 0;
            a = a->first;
            b = b->first;
            continue;
        }
        for (;;) {
            if (a == ra)
                return 1;
            if (a->next || b->next) {
                if (!a->next || !b->next)
                    return 0;
                a = a->next;
                b = b->next;
                break;
            }
            a = a->parent;
            b = b->parent;
        }
    }
}
