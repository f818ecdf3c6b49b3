/* adv_juxmem.c - JuxMem's advertisement types and group IDs.
 *
 * Two advertisement types are added to the registry (advertisements/
 * adv_registry.c) without touching the framework:
 *
 *   <jxta:JuxMemMemory>   one provider's memory offer, published by the
 *       PeerID            provider in its cluster group: its peer ID,
 *       Cluster           its cluster's name, the bytes it offers and the
 *       Offered           bytes still free (decimal).  Indexed on PeerID
 *       Free              and Cluster, so a manager finds its providers
 *                         with a discovery query Cluster=<name>.
 *
 *   <jxta:JuxMemCluster>  one cluster, published by its manager(s) in the
 *       Name              juxmem group: the cluster name, its group ID
 *       GID               (derived from the name, checked on reading),
 *       Manager...        the managers' and providers' peer IDs and the
 *       Provider...       free memory of the cluster.  Indexed on Name and
 *       Free              GID.
 *
 *   <jxta:JuxMemData>     one block (data), published in the juxmem group
 *       Id                by every provider holding a copy, so that any
 *       Size              peer holding the data ID finds its copies (query
 *       Clusters          Id=<id>): the block ID, its size, the clusters x
 *       Providers         providers it was allocated on, and each copy's
 *       Copy/PID,Cluster  peer ID and cluster.  Indexed on Id.
 *
 * All live in the advertisements directory (discovery type ADV), use the
 * JXSE document conventions of every other type, and are validated on
 * parse (schema + a check of the numbers and names).
 *
 * IDs: every peer derives the juxmem group ID the same way (a child of the
 * Net group seeded with SHA-1("juxmem")), and a cluster's group ID from
 * its name (a child of the juxmem group seeded with
 * SHA-1("juxmem-cluster:" + name)), so no lookup is needed to join
 * either; a block's data ID is a fresh random child of the juxmem group. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include <jxta/adv.h>
#include <jxta/buf.h>
#include <jxta/id.h>

#include "../juxmem/proto.h"
#include "../jxta-c/util/internal.h"

#define MOD "juxmem"

/* ---- IDs ------------------------------------------------------------------- */

int juxmem_group_id(jxta_id_t *out)
{
    uint8_t seed[20];
    jxta_seed_from_text(seed, "juxmem");
    return jxta_id_group_from_seed(out, &jxta_id_net_group, seed, sizeof seed);
}

static int cluster_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n <= JUXMEM_CLUSTER_NAME_MAX && jxta_utf8_valid(name, n);
}

int juxmem_cluster_group_id(const char *cluster, jxta_id_t *out)
{
    if (!cluster_name_ok(cluster))
        return jxta__reject(JXTA_EINVAL, MOD, "cluster name empty, too long or not UTF-8");
    jxta_id_t parent;
    int rc = juxmem_group_id(&parent);
    if (rc < 0)
        return rc;
    char text[16 + JUXMEM_CLUSTER_NAME_MAX + 1];
    snprintf(text, sizeof text, "juxmem-cluster:%s", cluster);
    uint8_t seed[20];
    jxta_seed_from_text(seed, text);
    return jxta_id_group_from_seed(out, &parent, seed, sizeof seed);
}

int juxmem_data_id_new(jxta_id_t *out)
{
    jxta_id_t parent;
    int rc = juxmem_group_id(&parent);
    return rc < 0 ? rc : jxta_id_new_group(out, &parent);
}

/* ---- descriptors ----------------------------------------------------------- */

#define ID_FIELD(n, k, fl) {n, JXTA_FIELD_ID, k, fl}
#define TEXT_FIELD(n, fl) {n, JXTA_FIELD_TEXT, JXTA_ID_KIND_ANY, fl}
#define REQ JXTA_FIELD_REQUIRED
#define REP JXTA_FIELD_REPEATED

/* A decimal uint64 with no sign, spaces or leading zeros. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s || (s[0] == '0' && s[1]))
        return JXTA_ERANGE;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return JXTA_ERANGE;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

static int get_number(const jxta_adv_t *adv, const char *field, uint64_t *out)
{
    const char *t = jxta_adv_get(adv, field);
    if (!t)
        return jxta__reject(JXTA_EMISSING, MOD, "%s: no %s", jxta_adv_type_name(adv), field);
    if (parse_u64(t, out) < 0)
        return jxta__reject(JXTA_ERANGE, MOD, "%s: %s is not a decimal byte count",
                            jxta_adv_type_name(adv), field);
    return 0;
}

static int memory_check(const jxta_adv_t *adv)
{
    juxmem_memory_info_t info;
    return juxmem_memory_adv_get(adv, &info);
}

static int cluster_check(const jxta_adv_t *adv)
{
    juxmem_cluster_info_t *info = malloc(sizeof *info);
    if (!info)
        return JXTA_ENOMEM;
    int rc = juxmem_cluster_adv_get(adv, info);
    free(info);
    return rc;
}

static const jxta_adv_field_t memory_fields[] = {
    ID_FIELD("PeerID", JXTA_ID_PEER, REQ),
    TEXT_FIELD("Cluster", REQ),
    TEXT_FIELD("Offered", REQ),
    TEXT_FIELD("Free", REQ),
};
static const char *const memory_index[] = {"PeerID", "Cluster", NULL};
const jxta_adv_type_t juxmem_adv_type_memory = {
    "jxta:JuxMemMemory", NULL, NULL, JXTA_ADV_DIR_ADV, memory_index, memory_fields,
    JXTA_ARRAY_LEN(memory_fields), "PeerID", memory_check};

static const jxta_adv_field_t cluster_fields[] = {
    TEXT_FIELD("Name", REQ),
    ID_FIELD("GID", JXTA_ID_GROUP, REQ),
    ID_FIELD("Manager", JXTA_ID_PEER, REQ | REP),
    ID_FIELD("Provider", JXTA_ID_PEER, REP),
    TEXT_FIELD("Free", REQ),
};
static const char *const cluster_index[] = {"Name", "GID", NULL};
const jxta_adv_type_t juxmem_adv_type_cluster = {
    "jxta:JuxMemCluster", NULL, NULL, JXTA_ADV_DIR_ADV, cluster_index, cluster_fields,
    JXTA_ARRAY_LEN(cluster_fields), "GID", cluster_check};

static int block_check(const jxta_adv_t *adv)
{
    juxmem_block_adv_info_t *info = malloc(sizeof *info);
    if (!info)
        return JXTA_ENOMEM;
    int rc = juxmem_block_adv_get(adv, info);
    free(info);
    return rc;
}

static const jxta_adv_field_t block_fields[] = {
    ID_FIELD("Id", JXTA_ID_GROUP, REQ),
    TEXT_FIELD("Size", REQ),
    TEXT_FIELD("Clusters", REQ),
    TEXT_FIELD("Providers", REQ),
    {"Copy", JXTA_FIELD_ELEMENT, JXTA_ID_KIND_ANY, REQ | REP},
};
static const char *const block_index[] = {"Id", NULL};
const jxta_adv_type_t juxmem_adv_type_block = {
    "jxta:JuxMemData", NULL, NULL, JXTA_ADV_DIR_ADV, block_index, block_fields,
    JXTA_ARRAY_LEN(block_fields), "Id", block_check};

static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static int reg_rc;

static void register_types(void)
{
    reg_rc = jxta_adv_register(&juxmem_adv_type_memory);
    if (reg_rc == 0)
        reg_rc = jxta_adv_register(&juxmem_adv_type_cluster);
    if (reg_rc == 0)
        reg_rc = jxta_adv_register(&juxmem_adv_type_block);
}

int juxmem_adv_register(void)
{
    pthread_once(&reg_once, register_types);
    return reg_rc;
}

/* ---- memory advertisement ---------------------------------------------------- */

static int set_number(jxta_adv_t *adv, const char *field, uint64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%" PRIu64, v);
    return jxta_adv_set(adv, field, t);
}

int juxmem_memory_adv_new(const juxmem_memory_info_t *info, jxta_adv_t **out)
{
    *out = NULL;
    if (jxta_id_kind(&info->provider) != JXTA_ID_PEER || !cluster_name_ok(info->cluster) ||
        info->free_bytes > info->offered)
        return jxta__reject(JXTA_EINVAL, MOD, "memory advertisement: bad peer, cluster or sizes");
    jxta_adv_t *adv;
    int rc = jxta_adv_new(&juxmem_adv_type_memory, &adv);
    if (rc < 0)
        return rc;
    if ((rc = jxta_adv_set_id(adv, "PeerID", &info->provider)) < 0 ||
        (rc = jxta_adv_set(adv, "Cluster", info->cluster)) < 0 ||
        (rc = set_number(adv, "Offered", info->offered)) < 0 ||
        (rc = set_number(adv, "Free", info->free_bytes)) < 0) {
        jxta_adv_free(adv);
        return rc;
    }
    *out = adv;
    return 0;
}

int juxmem_memory_adv_get(const jxta_adv_t *adv, juxmem_memory_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (strcmp(jxta_adv_type_name(adv), juxmem_adv_type_memory.root) != 0)
        return jxta__reject(JXTA_EADVTYPE, MOD, "%s is not a memory advertisement",
                            jxta_adv_type_name(adv));
    int rc = jxta_adv_get_id(adv, "PeerID", &info->provider);
    if (rc < 0 || jxta_id_kind(&info->provider) != JXTA_ID_PEER)
        return jxta__reject(rc == JXTA_ENOTFOUND ? JXTA_EMISSING : JXTA_EBADID, MOD,
                            "memory advertisement: PeerID missing or not a peer ID");
    const char *cl = jxta_adv_get(adv, "Cluster");
    if (!cl)
        return jxta__reject(JXTA_EMISSING, MOD, "memory advertisement: no Cluster");
    if (!cluster_name_ok(cl))
        return jxta__reject(JXTA_EINVAL, MOD, "memory advertisement: bad cluster name");
    strcpy(info->cluster, cl);
    if ((rc = get_number(adv, "Offered", &info->offered)) < 0 ||
        (rc = get_number(adv, "Free", &info->free_bytes)) < 0)
        return rc;
    if (info->free_bytes > info->offered)
        return jxta__reject(JXTA_ERANGE, MOD, "memory advertisement: more free than offered");
    return 0;
}

/* ---- cluster advertisement ----------------------------------------------------- */

int juxmem_cluster_adv_new(const juxmem_cluster_info_t *info, jxta_adv_t **out)
{
    *out = NULL;
    jxta_id_t gid;
    if (!cluster_name_ok(info->name) || info->nmanagers == 0 ||
        info->nmanagers > JUXMEM_CLUSTER_MAX_MANAGERS ||
        info->nproviders > JUXMEM_CLUSTER_MAX_PROVIDERS ||
        juxmem_cluster_group_id(info->name, &gid) < 0 || !jxta_id_equal(&gid, &info->group))
        return jxta__reject(JXTA_EINVAL, MOD, "cluster advertisement: bad name, group or counts");
    jxta_adv_t *adv;
    int rc = jxta_adv_new(&juxmem_adv_type_cluster, &adv);
    if (rc < 0)
        return rc;
    jxta_id_text_t t;
    rc = jxta_adv_set(adv, "Name", info->name);
    if (rc == 0)
        rc = jxta_adv_set_id(adv, "GID", &info->group);
    for (size_t i = 0; rc == 0 && i < info->nmanagers; i++)
        rc = jxta_adv_add(adv, "Manager", jxta_id_str(&info->managers[i], &t), NULL);
    for (size_t i = 0; rc == 0 && i < info->nproviders; i++)
        rc = jxta_adv_add(adv, "Provider", jxta_id_str(&info->providers[i], &t), NULL);
    if (rc == 0)
        rc = set_number(adv, "Free", info->free_bytes);
    if (rc < 0) {
        jxta_adv_free(adv);
        return rc;
    }
    *out = adv;
    return 0;
}

/* The peer IDs in every child `field`, at most `cap`. */
static int get_peers(const jxta_adv_t *adv, const char *field, jxta_id_t *out, size_t cap,
                     size_t *n)
{
    *n = 0;
    for (const jxta_xml_node_t *e = jxta_adv_first(adv, field); e; e = jxta_xml_next_named(e)) {
        if (*n == cap)
            return jxta__reject(JXTA_ETOOBIG, MOD, "cluster advertisement: more than %zu %s",
                                cap, field);
        const char *txt = jxta_xml_text(e);
        if (jxta_id_from_string(&out[*n], txt) < 0 || jxta_id_kind(&out[*n]) != JXTA_ID_PEER)
            return jxta__reject(JXTA_EBADID, MOD, "cluster advertisement: %s is not a peer ID",
                                field);
        (*n)++;
    }
    return 0;
}

int juxmem_cluster_adv_get(const jxta_adv_t *adv, juxmem_cluster_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (strcmp(jxta_adv_type_name(adv), juxmem_adv_type_cluster.root) != 0)
        return jxta__reject(JXTA_EADVTYPE, MOD, "%s is not a cluster advertisement",
                            jxta_adv_type_name(adv));
    const char *name = jxta_adv_get(adv, "Name");
    if (!name)
        return jxta__reject(JXTA_EMISSING, MOD, "cluster advertisement: no Name");
    if (!cluster_name_ok(name))
        return jxta__reject(JXTA_EINVAL, MOD, "cluster advertisement: bad cluster name");
    strcpy(info->name, name);
    int rc = jxta_adv_get_id(adv, "GID", &info->group);
    if (rc < 0)
        return jxta__reject(rc == JXTA_ENOTFOUND ? JXTA_EMISSING : JXTA_EBADID, MOD,
                            "cluster advertisement: GID missing or malformed");
    jxta_id_t gid;
    if ((rc = juxmem_cluster_group_id(name, &gid)) < 0)
        return rc;
    if (!jxta_id_equal(&gid, &info->group))
        return jxta__reject(JXTA_EBADID, MOD,
                            "cluster advertisement: GID is not the one derived from its name");
    if ((rc = get_peers(adv, "Manager", info->managers, JUXMEM_CLUSTER_MAX_MANAGERS,
                        &info->nmanagers)) < 0 ||
        (rc = get_peers(adv, "Provider", info->providers, JUXMEM_CLUSTER_MAX_PROVIDERS,
                        &info->nproviders)) < 0)
        return rc;
    if (info->nmanagers == 0)
        return jxta__reject(JXTA_EMISSING, MOD, "cluster advertisement: no Manager");
    return get_number(adv, "Free", &info->free_bytes);
}

/* ---- choosing providers ------------------------------------------------------- */

int juxmem_choose_providers(const juxmem_memory_info_t *offers, size_t n, uint64_t size,
                            size_t want, size_t *chosen)
{
    if (want == 0 || want > JUXMEM_MAX_COPIES || (n && !offers))
        return jxta__reject(JXTA_EINVAL, MOD, "choose providers: asked for %zu", want);
    size_t got = 0;
    while (got < want) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            const juxmem_memory_info_t *o = &offers[i];
            int taken = o->free_bytes < size || jxta_id_kind(&o->provider) != JXTA_ID_PEER;
            for (size_t k = 0; k < got && !taken; k++) /* each peer once */
                taken = jxta_id_equal(&offers[chosen[k]].provider, &o->provider);
            if (taken)
                continue;
            if (best == n || o->free_bytes > offers[best].free_bytes ||
                (o->free_bytes == offers[best].free_bytes &&
                 jxta_id_cmp(&o->provider, &offers[best].provider) < 0))
                best = i;
        }
        if (best == n)
            break;
        chosen[got++] = best;
    }
    if (got < want) {
        jxta_log(JXTA_LOG_INFO, MOD, "%zu of %zu providers can hold %llu bytes", got, want,
                 (unsigned long long)size);
        return JUXMEM_ENOSPACE;
    }
    return 0;
}

/* ---- block advertisement ------------------------------------------------------- */

/* A block ID: a group ID whose parent is the juxmem group. */
static int is_block_id(const jxta_id_t *id)
{
    jxta_id_t parent, g;
    return jxta_id_kind(id) == JXTA_ID_GROUP && jxta_id_parent_of(id, &parent) == 0 &&
           juxmem_group_id(&g) == 0 &&
           memcmp(jxta_id_uuid(&parent, 0), jxta_id_uuid(&g, 0), JXTA_UUID_BYTES) == 0;
}

int juxmem_block_adv_new(const juxmem_block_adv_info_t *info, jxta_adv_t **out)
{
    *out = NULL;
    if (!is_block_id(&info->data) || info->size == 0 || info->ncopies == 0 ||
        info->ncopies > JUXMEM_MAX_COPIES || info->clusters > JUXMEM_MAX_COPIES ||
        info->providers > JUXMEM_MAX_COPIES)
        return jxta__reject(JXTA_EINVAL, MOD, "block advertisement: bad ID, size or copies");
    for (size_t i = 0; i < info->ncopies; i++)
        if (jxta_id_kind(&info->copies[i].peer) != JXTA_ID_PEER ||
            (info->copies[i].cluster[0] && !cluster_name_ok(info->copies[i].cluster)))
            return jxta__reject(JXTA_EINVAL, MOD, "block advertisement: bad copy %zu", i);
    jxta_adv_t *adv;
    int rc = jxta_adv_new(&juxmem_adv_type_block, &adv);
    if (rc < 0)
        return rc;
    jxta_id_text_t t;
    if ((rc = jxta_adv_set_id(adv, "Id", &info->data)) == 0 &&
        (rc = set_number(adv, "Size", info->size)) == 0 &&
        (rc = set_number(adv, "Clusters", info->clusters)) == 0)
        rc = set_number(adv, "Providers", info->providers);
    for (size_t i = 0; rc == 0 && i < info->ncopies; i++) {
        jxta_xml_node_t *copy;
        rc = jxta_adv_add(adv, "Copy", NULL, &copy);
        if (rc == 0)
            rc = jxta_xml_add(copy, "PID", jxta_id_str(&info->copies[i].peer, &t), NULL);
        if (rc == 0 && info->copies[i].cluster[0])
            rc = jxta_xml_add(copy, "Cluster", info->copies[i].cluster, NULL);
    }
    if (rc < 0) {
        jxta_adv_free(adv);
        return rc;
    }
    *out = adv;
    return 0;
}

int juxmem_block_adv_get(const jxta_adv_t *adv, juxmem_block_adv_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (strcmp(jxta_adv_type_name(adv), juxmem_adv_type_block.root) != 0)
        return jxta__reject(JXTA_EADVTYPE, MOD, "%s is not a block advertisement",
                            jxta_adv_type_name(adv));
    int rc = jxta_adv_get_id(adv, "Id", &info->data);
    if (rc < 0)
        return jxta__reject(rc == JXTA_ENOTFOUND ? JXTA_EMISSING : JXTA_EBADID, MOD,
                            "block advertisement: Id missing or malformed");
    if (!is_block_id(&info->data))
        return jxta__reject(JXTA_EBADID, MOD, "block advertisement: Id is not a JuxMem block");
    uint64_t clusters, providers;
    if ((rc = get_number(adv, "Size", &info->size)) < 0 ||
        (rc = get_number(adv, "Clusters", &clusters)) < 0 ||
        (rc = get_number(adv, "Providers", &providers)) < 0)
        return rc;
    if (info->size == 0 || clusters > JUXMEM_MAX_COPIES || providers > JUXMEM_MAX_COPIES)
        return jxta__reject(JXTA_ERANGE, MOD, "block advertisement: size 0 or too many copies");
    info->clusters = (unsigned)clusters;
    info->providers = (unsigned)providers;
    for (const jxta_xml_node_t *e = jxta_adv_first(adv, "Copy"); e; e = jxta_xml_next_named(e)) {
        if (info->ncopies == JUXMEM_MAX_COPIES)
            return jxta__reject(JXTA_ETOOBIG, MOD, "block advertisement: more than %d copies",
                                JUXMEM_MAX_COPIES);
        juxmem_member_t *m = &info->copies[info->ncopies];
        const jxta_xml_node_t *pid = jxta_xml_child(e, "PID"), *cl = jxta_xml_child(e, "Cluster");
        if (!pid || jxta_id_from_string(&m->peer, jxta_xml_text(pid)) < 0 ||
            jxta_id_kind(&m->peer) != JXTA_ID_PEER)
            return jxta__reject(JXTA_EBADID, MOD, "block advertisement: copy %zu has no peer ID",
                                info->ncopies);
        if (cl) {
            if (!cluster_name_ok(jxta_xml_text(cl)))
                return jxta__reject(JXTA_EINVAL, MOD, "block advertisement: bad cluster name");
            strcpy(m->cluster, jxta_xml_text(cl));
        }
        for (size_t k = 0; k < info->ncopies; k++)
            if (jxta_id_equal(&info->copies[k].peer, &m->peer))
                return jxta__reject(JXTA_EPROTO, MOD, "block advertisement: copy listed twice");
        info->ncopies++;
    }
    if (info->ncopies == 0)
        return jxta__reject(JXTA_EMISSING, MOD, "block advertisement: no Copy");
    return 0;
}
