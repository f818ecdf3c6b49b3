/* adv_juxmem_data.c - jxta:JuxMemData, the advertisement of one JuxMem
 * block as the service layer publishes it in the juxmem group.
 *
 *   <jxta:JuxMemData xmlns:jxta="http://jxta.org">
 *     <Id>urn:jxta:uuid-...02</Id>        indexed: the data ID (data group)
 *     <Size>4096</Size>                   bytes
 *     <Clusters>2</Clusters>              as allocated
 *     <Providers>2</Providers>            per cluster, as allocated
 *     <Copy><PID>urn:jxta:uuid-...03</PID><Cluster>rennes</Cluster></Copy>  1..64
 *   </jxta:JuxMemData>
 *
 * Every provider holding a copy publishes it (and republishes it when the
 * copies change), so a peer holding nothing but the data ID finds the
 * copies with a discovery query Id=<data ID>; any live copy will do, as
 * the others redirect to the sequencer.  The content is that of the
 * protocol core's jxta:JuxMemBlock (juxmem_block_adv_info_t), under the
 * index name the service's queries use.  Checked on parse: the ID must be
 * a child group of the juxmem group, numbers decimal, copies distinct
 * peer IDs with valid cluster names. */
#include <stdio.h>
#include <string.h>

#include <jxta/adv.h>
#include <jxta/id.h>

#include "../juxmem/service.h"
#include "../jxta-c/util/internal.h"

#define MOD "juxmem"

static int data_check(const jxta_adv_t *adv);

static const jxta_adv_field_t data_fields[] = {
    {"Id", JXTA_FIELD_ID, JXTA_ID_GROUP, JXTA_FIELD_REQUIRED},
    {"Size", JXTA_FIELD_TEXT, JXTA_ID_KIND_ANY, JXTA_FIELD_REQUIRED},
    {"Clusters", JXTA_FIELD_TEXT, JXTA_ID_KIND_ANY, JXTA_FIELD_REQUIRED},
    {"Providers", JXTA_FIELD_TEXT, JXTA_ID_KIND_ANY, JXTA_FIELD_REQUIRED},
    {"Copy", JXTA_FIELD_ELEMENT, JXTA_ID_KIND_ANY, JXTA_FIELD_REQUIRED | JXTA_FIELD_REPEATED},
};
static const char *const data_index[] = {"Id", NULL};
const jxta_adv_type_t juxmem_adv_type_data = {
    "jxta:JuxMemData", NULL, NULL, JXTA_ADV_DIR_ADV, data_index, data_fields,
    JXTA_ARRAY_LEN(data_fields), "Id", data_check};

static pthread_once_t data_once = PTHREAD_ONCE_INIT;
static int data_reg_rc;

static void register_data(void)
{
    data_reg_rc = jxta_adv_register(&juxmem_adv_type_data);
}

int juxmem_data_adv_register(void)
{
    pthread_once(&data_once, register_data);
    return data_reg_rc;
}

static int cluster_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= JUXMEM_CLUSTER_NAME_MAX && jxta_utf8_valid(name, n);
}

/* A data ID: a group ID whose parent is the juxmem group. */
static int is_data_id(const jxta_id_t *id)
{
    jxta_id_t parent, g;
    return jxta_id_kind(id) == JXTA_ID_GROUP && jxta_id_parent_of(id, &parent) == 0 &&
           juxmem_group_id(&g) == 0 &&
           memcmp(jxta_id_uuid(&parent, 0), jxta_id_uuid(&g, 0), JXTA_UUID_BYTES) == 0;
}

static int set_u64(jxta_adv_t *adv, const char *field, uint64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    return jxta_adv_set(adv, field, t);
}

static int get_u64(const jxta_adv_t *adv, const char *field, uint64_t *out)
{
    const char *s = jxta_adv_get(adv, field);
    if (!s)
        return jxta__reject(JXTA_EMISSING, MOD, "data advertisement: no %s", field);
    uint64_t v = 0;
    if (!*s || (s[0] == '0' && s[1]))
        return jxta__reject(JXTA_ERANGE, MOD, "data advertisement: %s is not decimal", field);
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return jxta__reject(JXTA_ERANGE, MOD, "data advertisement: %s is not decimal",
                                field);
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

int juxmem_data_adv_new(const juxmem_block_adv_info_t *info, jxta_adv_t **out)
{
    *out = NULL;
    if (!is_data_id(&info->data) || info->size == 0 || info->ncopies == 0 ||
        info->ncopies > JUXMEM_MAX_COPIES || info->clusters > JUXMEM_MAX_COPIES ||
        info->providers > JUXMEM_MAX_COPIES)
        return jxta__reject(JXTA_EINVAL, MOD, "data advertisement: bad ID, size or copies");
    for (size_t i = 0; i < info->ncopies; i++)
        if (jxta_id_kind(&info->copies[i].peer) != JXTA_ID_PEER ||
            (info->copies[i].cluster[0] && !cluster_ok(info->copies[i].cluster)))
            return jxta__reject(JXTA_EINVAL, MOD, "data advertisement: bad copy %zu", i);
    jxta_adv_t *adv;
    int rc = jxta_adv_new(&juxmem_adv_type_data, &adv);
    if (rc < 0)
        return rc;
    jxta_id_text_t t;
    if ((rc = jxta_adv_set_id(adv, "Id", &info->data)) == 0 &&
        (rc = set_u64(adv, "Size", info->size)) == 0 &&
        (rc = set_u64(adv, "Clusters", info->clusters)) == 0)
        rc = set_u64(adv, "Providers", info->providers);
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

int juxmem_data_adv_get(const jxta_adv_t *adv, juxmem_block_adv_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (strcmp(jxta_adv_type_name(adv), juxmem_adv_type_data.root) != 0)
        return jxta__reject(JXTA_EADVTYPE, MOD, "%s is not a data advertisement",
                            jxta_adv_type_name(adv));
    int rc = jxta_adv_get_id(adv, "Id", &info->data);
    if (rc < 0)
        return jxta__reject(rc == JXTA_ENOTFOUND ? JXTA_EMISSING : JXTA_EBADID, MOD,
                            "data advertisement: Id missing or malformed");
    if (!is_data_id(&info->data))
        return jxta__reject(JXTA_EBADID, MOD, "data advertisement: Id is not a JuxMem data ID");
    uint64_t clusters, providers;
    if ((rc = get_u64(adv, "Size", &info->size)) < 0 ||
        (rc = get_u64(adv, "Clusters", &clusters)) < 0 ||
        (rc = get_u64(adv, "Providers", &providers)) < 0)
        return rc;
    if (info->size == 0 || clusters > JUXMEM_MAX_COPIES || providers > JUXMEM_MAX_COPIES)
        return jxta__reject(JXTA_ERANGE, MOD, "data advertisement: size 0 or too many copies");
    info->clusters = (unsigned)clusters;
    info->providers = (unsigned)providers;
    for (const jxta_xml_node_t *e = jxta_adv_first(adv, "Copy"); e; e = jxta_xml_next_named(e)) {
        if (info->ncopies == JUXMEM_MAX_COPIES)
            return jxta__reject(JXTA_ETOOBIG, MOD, "data advertisement: more than %d copies",
                                JUXMEM_MAX_COPIES);
        juxmem_member_t *m = &info->copies[info->ncopies];
        const jxta_xml_node_t *pid = jxta_xml_child(e, "PID"), *cl = jxta_xml_child(e, "Cluster");
        if (!pid || jxta_id_from_string(&m->peer, jxta_xml_text(pid)) < 0 ||
            jxta_id_kind(&m->peer) != JXTA_ID_PEER)
            return jxta__reject(JXTA_EBADID, MOD, "data advertisement: copy %zu has no peer ID",
                                info->ncopies);
        if (cl) {
            if (!cluster_ok(jxta_xml_text(cl)))
                return jxta__reject(JXTA_EINVAL, MOD, "data advertisement: bad cluster name");
            snprintf(m->cluster, sizeof m->cluster, "%s", jxta_xml_text(cl));
        }
        for (size_t k = 0; k < info->ncopies; k++)
            if (jxta_id_equal(&info->copies[k].peer, &m->peer))
                return jxta__reject(JXTA_EPROTO, MOD, "data advertisement: copy listed twice");
        info->ncopies++;
    }
    if (info->ncopies == 0)
        return jxta__reject(JXTA_EMISSING, MOD, "data advertisement: no Copy");
    return 0;
}

static int data_check(const jxta_adv_t *adv)
{
    juxmem_block_adv_info_t *info = malloc(sizeof *info);
    if (!info)
        return JXTA_ENOMEM;
    int rc = juxmem_data_adv_get(adv, info);
    free(info);
    return rc;
}
