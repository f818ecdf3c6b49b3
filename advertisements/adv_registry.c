/* adv_registry.c - the table of advertisement types.
 *
 * The standard JXSE types are always present (they live in a constant list
 * in adv_std.c); other code adds its own descriptors at run time with
 * jxta_adv_register(), so new advertisement types (JuxMem's, an
 * application's) need no change here.  Matching follows JXSE: a document's
 * `type` attribute naming a known type wins, otherwise the root element
 * name selects a descriptor that has no type attribute.  The dynamic part
 * is small and guarded by a mutex; lookups copy nothing. */
#include <pthread.h>

#include <jxta/adv.h>

#include "../jxta-c/util/internal.h"

/* Defined in adv_std.c. */
const jxta_adv_type_t *const *jxta__adv_std_types(size_t *n);

#define REGISTRY_MAX 64

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const jxta_adv_type_t *reg[REGISTRY_MAX];
static size_t nreg;

const char *jxta_adv_type_name_of(const jxta_adv_type_t *type)
{
    if (!type)
        return "";
    return type->type_attr ? type->type_attr : type->root;
}

static int same_str(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Calls fn on each descriptor (standard first) until it returns non-NULL.
 * Must be called with reg_lock held. */
typedef const jxta_adv_type_t *(*visit_fn)(const jxta_adv_type_t *t, const void *arg);

static const jxta_adv_type_t *each_type(visit_fn fn, const void *arg)
{
    size_t nstd;
    const jxta_adv_type_t *const *std = jxta__adv_std_types(&nstd);
    for (size_t i = 0; i < nstd; i++)
        if (fn(std[i], arg))
            return std[i];
    for (size_t i = 0; i < nreg; i++)
        if (fn(reg[i], arg))
            return reg[i];
    return NULL;
}

struct key {
    const char *root;
    const char *type_attr;
};

static const jxta_adv_type_t *match_same_key(const jxta_adv_type_t *t, const void *arg)
{
    const struct key *k = arg;
    return same_str(t->root, k->root) && same_str(t->type_attr, k->type_attr) ? t : NULL;
}

static const jxta_adv_type_t *match_type_attr(const jxta_adv_type_t *t, const void *arg)
{
    const char *ta = arg;
    return strcmp(jxta_adv_type_name_of(t), ta) == 0 ? t : NULL;
}

static const jxta_adv_type_t *match_root_only(const jxta_adv_type_t *t, const void *arg)
{
    return !t->type_attr && strcmp(t->root, (const char *)arg) == 0 ? t : NULL;
}

int jxta_adv_register(const jxta_adv_type_t *type)
{
    if (!type || !type->root || !*type->root || (type->fields == NULL && type->nfields) ||
        (type->type_attr && !*type->type_attr))
        return jxta__reject(JXTA_EINVAL, "adv", "malformed advertisement type descriptor");
    for (size_t i = 0; i < type->nfields; i++)
        if (!type->fields[i].name)
            return jxta__reject(JXTA_EINVAL, "adv", "descriptor %s: field %zu has no name",
                                type->root, i);
    struct key k = {type->root, type->type_attr};
    int rc = 0;
    pthread_mutex_lock(&reg_lock);
    if (each_type(match_same_key, &k))
        rc = JXTA_EEXIST;
    else if (nreg == REGISTRY_MAX)
        rc = JXTA_ETOOBIG;
    else
        reg[nreg++] = type;
    pthread_mutex_unlock(&reg_lock);
    if (rc < 0)
        jxta_log(JXTA_LOG_WARN, "adv", "cannot register advertisement type %s: %s",
                 jxta_adv_type_name_of(type), jxta_strerror(rc));
    else
        jxta_log(JXTA_LOG_DEBUG, "adv", "registered advertisement type %s",
                 jxta_adv_type_name_of(type));
    return rc;
}

int jxta_adv_unregister(const jxta_adv_type_t *type)
{
    int rc = JXTA_ENOTFOUND;
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < nreg; i++) {
        if (reg[i] == type) {
            memmove(&reg[i], &reg[i + 1], (nreg - i - 1) * sizeof reg[0]);
            nreg--;
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    return rc;
}

const jxta_adv_type_t *jxta_adv_lookup(const char *root, const char *type_attr)
{
    const jxta_adv_type_t *t = NULL;
    pthread_mutex_lock(&reg_lock);
    if (type_attr && *type_attr)
        t = each_type(match_type_attr, type_attr);
    if (!t && root)
        t = each_type(match_root_only, root);
    pthread_mutex_unlock(&reg_lock);
    return t;
}

const jxta_adv_type_t *jxta_adv_lookup_name(const char *name)
{
    if (!name)
        return NULL;
    pthread_mutex_lock(&reg_lock);
    const jxta_adv_type_t *t = each_type(match_type_attr, name);
    pthread_mutex_unlock(&reg_lock);
    return t;
}
