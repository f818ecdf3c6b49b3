/* juxmem/roles.c - the provider and manager roles of a JuxMem peer.
 *
 * Provider: runs the provider state machine (block.h) on the loop, fed by
 * net.c.  It publishes its memory advertisement in its cluster group when
 * the group is joined, whenever its free memory changes and every
 * JUXMEM_REFRESH_MS (short lifetimes: a dead provider's offer fades out of
 * the manager's cache within a minute).  Each copy it gains is announced
 * with a jxta:JuxMemData advertisement in the juxmem group (so peers that
 * only hold the data ID find the copies) and the data group's PGA.
 *
 * Manager: runs its cluster group as rendezvous, so the providers' memory
 * advertisements (remote-published to it) land in its own cache; every
 * JUXMEM_MAINT_MS it reads them back, and it publishes the cluster
 * advertisement in the juxmem group when the cluster changes and every
 * JUXMEM_REFRESH_MS.  It answers "JuxMemAlloc" resolver queries ("SIZE
 * COUNT") with COUNT providers of its cluster chosen by
 * juxmem_choose_providers, and counts the chosen memory as taken until
 * the providers' next advertisements, so that allocations in a burst are
 * spread out.  The client reserves on the providers itself (exact
 * accounting there); a race is caught as JUXMEM_ENOSPACE and retried.
 *
 * A provider of a cluster it does not manage joins the cluster group from
 * a thread of its own (juxmem__cluster_thread): it looks for the cluster
 * advertisement in the juxmem group until found, then joins as an edge
 * seeded with jxta://<manager>, reached through the Net group's router.
 *
 * The "JuxMemStat" queries are answered in stat.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service.h"

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int publish_in(jxta_group_t *g, const jxta_adv_t *adv, int64_t life_ms)
{
    jxta_discovery_t *d = jxta_group_discovery(g);
    if (!d)
        return JXTA_EINVAL;
    int rc = jxta_discovery_publish(d, adv, life_ms, life_ms);
    if (rc == 0)
        rc = jxta_discovery_remote_publish(d, adv, life_ms);
    return rc == JXTA_EUNREACH ? 0 : rc; /* not leased yet: the SRDI push will carry it */
}

/* ---- provider --------------------------------------------------------------------- */

static int held_index(const juxmem_t *j, const jxta_id_t *id)
{
    for (size_t i = 0; i < j->nheld; i++)
        if (jxta_id_equal(&j->held[i], id))
            return (int)i;
    return -1;
}

int juxmem__publish_data_adv(juxmem_t *j, const juxmem_block_adv_info_t *info)
{
    jxta_adv_t *adv;
    int rc = juxmem_block_adv_new(info, &adv);
    if (rc < 0)
        return rc;
    rc = publish_in(j->jm, adv, JXTA_CM_DEFAULT_EXPIRATION_MS);
    jxta_adv_free(adv);
    return rc;
}

/* The data advertisement of a copy we hold, from the copy's member list. */
static void publish_copy(juxmem_t *j, const jxta_id_t *id, const juxmem_block_info_t *bi)
{
    juxmem_block_adv_info_t *info = calloc(1, sizeof *info);
    if (!info)
        return;
    info->data = *id;
    info->size = bi->size;
    info->ncopies = bi->nmembers;
    memcpy(info->copies, bi->members, bi->nmembers * sizeof bi->members[0]);
    unsigned clusters = 0;
    for (size_t i = 0; i < bi->nmembers; i++) {
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(bi->members[k].cluster, bi->members[i].cluster) == 0;
        clusters += !seen;
    }
    info->clusters = clusters ? clusters : 1;
    info->providers = (unsigned)(bi->nmembers / info->clusters);
    int rc = juxmem__publish_data_adv(j, info);
    if (rc < 0)
        jxta_log(JXTA_LOG_WARN, "juxmem", "cannot publish the data advertisement: %s",
                 jxta_strerror(rc));
    /* the data group's PGA, so that JXTA peers can find the group itself */
    jxta_adv_t *pga;
    if (jxta_group_create_pga(j->jm, id, "JuxMem data", NULL, NULL, &pga) == 0) {
        publish_in(j->jm, pga, JXTA_CM_DEFAULT_EXPIRATION_MS);
        jxta_adv_free(pga);
    }
    free(info);
}

static void forget_copy(juxmem_t *j, size_t i)
{
    jxta_id_text_t t;
    jxta_cm_remove(jxta_group_cm(j->jm), &j->jm_gid, JXTA_ADV_DIR_ADV,
                   jxta_id_unique_value(&j->held[i], &t));
    juxmem__event(j, "COPY freed data=%s", jxta_id_str(&j->held[i], &t));
    j->held[i] = j->held[--j->nheld];
}

static void publish_memory(juxmem_t *j, int force);
static void repair_start(juxmem_t *j, const jxta_id_t *data, const jxta_id_t *lost);

/* Compare the copies the provider holds with what we announced. */
static void check_copies(juxmem_t *j, const jxta_id_t *maybe_new)
{
    uint64_t now = juxmem__now(j);
    juxmem_block_info_t *bi = malloc(sizeof *bi);
    if (!bi)
        return;
    for (size_t i = 0; i < j->nheld;) {
        if (juxmem_provider_block_info(j->prov, &j->held[i], now, bi) < 0)
            forget_copy(j, i);
        else
            i++;
    }
    if (maybe_new && held_index(j, maybe_new) < 0 &&
        juxmem_provider_block_info(j->prov, maybe_new, now, bi) == 0) {
        if (j->nheld == j->capheld) {
            size_t cap = j->capheld ? j->capheld * 2 : 16;
            jxta_id_t *v = realloc(j->held, cap * sizeof *v);
            if (!v) {
                free(bi);
                return;
            }
            j->held = v;
            j->capheld = cap;
        }
        j->held[j->nheld++] = *maybe_new;
        jxta_id_text_t t;
        juxmem__event(j, "COPY added data=%s size=%" PRIu64, jxta_id_str(maybe_new, &t),
                      bi->size);
        if (bi->is_sequencer)
            juxmem__event(j, "SEQUENCER data=%s", jxta_id_str(maybe_new, &t));
        publish_copy(j, maybe_new, bi);
    }
    free(bi);
    publish_memory(j, 0);
}

void juxmem__provider_msg(juxmem_t *j, const juxmem_pmsg_t *m)
{
    juxmem_out_t out;
    juxmem_out_init(&out);
    juxmem_provider_handle(j->prov, m, juxmem__now(j), &out);
    juxmem__send_out(j, &out);
    if (m->type == JUXMEM_MSG_ALLOC || m->type == JUXMEM_MSG_STATE)
        check_copies(j, &m->data);
    else if (m->type == JUXMEM_MSG_FREE)
        check_copies(j, NULL);
}

void juxmem__events(juxmem_t *j, const juxmem_out_t *out)
{
    jxta_id_text_t t, u;
    int recheck = 0;
    for (size_t i = 0; i < out->nev; i++) {
        const juxmem_event_t *e = &out->ev[i];
        switch (e->kind) {
        case JUXMEM_EV_COPY_LOST:
            juxmem__event(j, "COPY-LOST data=%s peer=%s", jxta_id_str(&e->data, &t),
                          jxta_id_str(&e->peer, &u));
            if (j->prov)
                repair_start(j, &e->data, &e->peer);
            break;
        case JUXMEM_EV_EVICTED:
            recheck = 1;
            break;
        case JUXMEM_EV_SEQUENCER:
            juxmem__event(j, "SEQUENCER data=%s", jxta_id_str(&e->data, &t));
            break;
        }
    }
    if (recheck && j->prov)
        check_copies(j, NULL);
}

static void publish_memory(juxmem_t *j, int force)
{
    if (!j->prov)
        return;
    uint64_t offered = juxmem_provider_offered(j->prov), fr = juxmem_provider_free_bytes(j->prov);
    int changed = offered != j->last_offered || fr != j->last_free || !j->mem_published;
    if (offered != j->last_offered || fr != j->last_free || j->mem_pub_ms == 0)
        juxmem__event(j, "PROVIDER offered=%" PRIu64 " free=%" PRIu64, offered, fr);
    j->last_offered = offered;
    j->last_free = fr;
    if (!j->mem_pub_ms)
        j->mem_pub_ms = 1; /* event shown once at least */
    if (!j->cl)
        return;
    uint64_t now = juxmem__now(j);
    if (!changed && !force && now - j->mem_pub_ms < JUXMEM_REFRESH_MS)
        return;
    juxmem_memory_info_t info;
    memset(&info, 0, sizeof info);
    info.provider = j->self;
    snprintf(info.cluster, sizeof info.cluster, "%s", j->cluster);
    info.offered = offered;
    info.free_bytes = fr;
    jxta_adv_t *adv;
    if (juxmem_memory_adv_new(&info, &adv) < 0)
        return;
    int rc = publish_in(j->cl, adv, JUXMEM_ADV_LIFE_MS);
    jxta_adv_free(adv);
    if (rc == 0) {
        j->mem_published = 1;
        j->mem_pub_ms = now;
    }
}


/* ---- re-creating a lost copy (sequencer) ---------------------------------------------- */

/* A copy declared dead is replaced by a provider of the same cluster: the
 * cluster is the one left with the fewest copies (allocations are
 * symmetric); its manager is found from the cluster advertisement (our
 * cache, else a discovery query answered into it) and asked, like a
 * client does, for one more provider than the copies the cluster still
 * has (two more on every other try, in case the dead provider is still
 * advertised); a chosen provider that is not a member gets an ALLOC naming
 * us as sequencer (retransmitted every upkeep), and once it accepts,
 * juxmem_provider_add_copy brings it up to date.  Given up after
 * REPAIR_MS; the block then lives on with fewer copies. */
#define REPAIR_MS 60000
#define REPAIR_ASK_MS 3000

typedef struct juxmem_repair {
    struct juxmem_repair *next;
    jxta_id_t data, lost, manager, target;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1];
    int state; /* 0 find the manager, 1 asking it, 2 allocating on target */
    unsigned tries;
    juxmem_pending_t *p;
    uint64_t deadline, asked_at, seq;
} juxmem_repair_t;

static void repair_unpend(juxmem_t *j, juxmem_repair_t *r)
{
    if (!r->p)
        return;
    for (juxmem_pending_t **pp = &j->pend; *pp; pp = &(*pp)->next)
        if (*pp == r->p) {
            *pp = r->p->next;
            break;
        }
    free(r->p->answer);
    free(r->p);
    r->p = NULL;
}

static void repair_drop(juxmem_t *j, juxmem_repair_t *r)
{
    for (juxmem_repair_t **pp = &j->repairs; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    repair_unpend(j, r);
    free(r);
}

static void repair_start(juxmem_t *j, const jxta_id_t *data, const jxta_id_t *lost)
{
    juxmem_block_info_t *bi = malloc(sizeof *bi);
    juxmem_repair_t *r = calloc(1, sizeof *r);
    if (!bi || !r || juxmem_provider_block_info(j->prov, data, juxmem__now(j), bi) < 0 ||
        !bi->is_sequencer) {
        free(bi);
        free(r);
        return;
    }
    /* the cluster with the fewest copies left */
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < bi->nmembers; i++) {
        size_t n = 0;
        for (size_t k = 0; k < bi->nmembers; k++)
            n += strcmp(bi->members[k].cluster, bi->members[i].cluster) == 0;
        if (n < best) {
            best = n;
            snprintf(r->cluster, sizeof r->cluster, "%s", bi->members[i].cluster);
        }
    }
    free(bi);
    if (!r->cluster[0]) {
        free(r);
        return;
    }
    r->data = *data;
    r->lost = *lost;
    r->deadline = juxmem__now(j) + REPAIR_MS;
    r->next = j->repairs;
    j->repairs = r;
}

static int is_member(const juxmem_block_info_t *bi, const jxta_id_t *peer)
{
    for (size_t i = 0; i < bi->nmembers; i++)
        if (jxta_id_equal(&bi->members[i].peer, peer))
            return 1;
    return 0;
}

static size_t in_cluster(const juxmem_block_info_t *bi, const char *cluster)
{
    size_t n = 0;
    for (size_t i = 0; i < bi->nmembers; i++)
        n += strcmp(bi->members[i].cluster, cluster) == 0;
    return n;
}

/* The manager of r->cluster from the cluster advertisements we have. */
static int repair_find_manager(juxmem_t *j, juxmem_repair_t *r)
{
    if (j->o.manager && strcmp(r->cluster, j->cluster) == 0) {
        r->manager = j->self;
        return 0;
    }
    jxta_cm_result_t *res = NULL;
    size_t n = 0;
    int found = 0;
    if (jxta_cm_search_docs(jxta_group_cm(j->jm), &j->jm_gid, JXTA_ADV_DIR_ADV, "Name",
                            r->cluster, 4, JXTA_CM_INCLUDE_PRIVATE, wall_ms(), &res, &n) == 0) {
        for (size_t i = 0; i < n && !found; i++) {
            jxta_adv_t *adv;
            juxmem_cluster_info_t *ci = malloc(sizeof *ci);
            if (ci && jxta_adv_parse(res[i].doc, res[i].len, &adv) == 0) {
                if (juxmem_cluster_adv_get(adv, ci) == 0 && strcmp(ci->name, r->cluster) == 0) {
                    r->manager = ci->managers[0];
                    found = 1;
                }
                jxta_adv_free(adv);
            }
            free(ci);
        }
        jxta_cm_results_free(res, n);
    }
    if (!found) /* answers land in the cache: next upkeep */
        jxta_discovery_query(jxta_group_discovery(j->jm), 2, "Name", r->cluster, 1, NULL, NULL);
    return found ? 0 : JXTA_ENOTFOUND;
}

static void repair_send_alloc(juxmem_t *j, juxmem_repair_t *r, const juxmem_block_info_t *bi)
{
    juxmem_out_t out;
    juxmem_out_init(&out);
    out.v = calloc(1, sizeof *out.v);
    if (!out.v)
        return;
    out.n = out.cap = 1;
    juxmem_outmsg_t *om = &out.v[0];
    om->to = r->target;
    juxmem_pmsg_init(&om->m, JUXMEM_MSG_ALLOC, &r->data, &j->self);
    om->m.seq = r->seq;
    om->m.epoch = bi->epoch;
    om->m.size = bi->size;
    om->m.hint = j->self;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < bi->nmembers; i++)
        rc = juxmem_pmsg_add_member(&om->m, &bi->members[i].peer, bi->members[i].cluster);
    if (rc == 0)
        rc = juxmem_pmsg_add_member(&om->m, &r->target, r->cluster);
    if (rc < 0) {
        juxmem_pmsg_clear(&om->m);
        out.n = 0;
    }
    juxmem__send_out(j, &out);
    juxmem_out_clear(&out);
}

static void repair_step(juxmem_t *j, juxmem_repair_t *r, uint64_t now)
{
    juxmem_block_info_t *bi = malloc(sizeof *bi);
    if (!bi)
        return;
    if (now >= r->deadline || juxmem_provider_block_info(j->prov, &r->data, now, bi) < 0 ||
        !bi->is_sequencer) {
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_WARN, "juxmem", "copy of %s in cluster %s not re-created",
                 jxta_id_str(&r->data, &t), r->cluster);
        free(bi);
        repair_drop(j, r);
        return;
    }
    if (r->state == 0 && repair_find_manager(j, r) == 0) {
        char q[64];
        unsigned want = (unsigned)in_cluster(bi, r->cluster) + 1 + (r->tries & 1);
        snprintf(q, sizeof q, "%" PRIu64 " %u", bi->size, want);
        if (!r->p)
            r->p = calloc(1, sizeof *r->p);
        long qid = 0;
        if (r->p && jxta_resolver_query(jxta_group_resolver(j->jm), JUXMEM_ALLOC_HANDLER, q,
                                        &r->manager, &qid) == 0) {
            r->p->next = j->pend;
            j->pend = r->p;
            r->p->qids[0] = qid;
            r->p->nqids = 1;
            r->state = 1;
            r->asked_at = now;
        }
    } else if (r->state == 1) {
        pthread_mutex_lock(&j->mu);
        int done = r->p && r->p->done;
        pthread_mutex_unlock(&j->mu);
        if (done) {
            juxmem_member_t *got = calloc(JUXMEM_MAX_COPIES, sizeof *got);
            size_t n = 0;
            int found = 0;
            if (got && juxmem__parse_alloc_answer(r->p->answer, got, JUXMEM_MAX_COPIES, &n) == 0) {
                for (size_t i = 0; i < n && !found; i++) {
                    if (!is_member(bi, &got[i].peer) && !jxta_id_equal(&got[i].peer, &r->lost)) {
                        r->target = got[i].peer;
                        found = 1;
                    }
                }
            }
            free(got);
            repair_unpend(j, r);
            r->tries++;
            if (found) {
                r->state = 2;
                uint8_t u[JXTA_UUID_BYTES];
                jxta_uuid_random(u);
                r->seq = 1;
                for (size_t i = 0; i < 7; i++)
                    r->seq = r->seq << 8 | u[i];
                repair_send_alloc(j, r, bi);
            } else {
                r->state = 0;
            }
        } else if (now - r->asked_at >= REPAIR_ASK_MS) {
            repair_unpend(j, r);
            r->state = 0;
        }
    } else if (r->state == 2) {
        repair_send_alloc(j, r, bi);
    }
    free(bi);
}

int juxmem__repair_msg(juxmem_t *j, const juxmem_pmsg_t *m)
{
    for (juxmem_repair_t *r = j->repairs; r; r = r->next) {
        if (r->state != 2 || !jxta_id_equal(&r->data, &m->data) ||
            !jxta_id_equal(&r->target, &m->from))
            continue;
        if (m->status < 0) { /* refused (no room any more): choose again */
            r->state = 0;
            return 1;
        }
        juxmem_out_t out;
        juxmem_out_init(&out);
        uint64_t now = juxmem__now(j);
        int rc = juxmem_provider_add_copy(j->prov, &r->data, &r->target, r->cluster, now, &out);
        juxmem__send_out(j, &out);
        jxta_id_text_t t, u;
        if (rc == 0 || rc == JXTA_EEXIST) {
            juxmem__event(j, "COPY recreated data=%s peer=%s cluster=%s",
                          jxta_id_str(&r->data, &t), jxta_id_str(&r->target, &u), r->cluster);
            juxmem_block_info_t *bi = malloc(sizeof *bi);
            if (bi && juxmem_provider_block_info(j->prov, &r->data, now, bi) == 0)
                publish_copy(j, &r->data, bi);
            free(bi);
        } else {
            jxta_log(JXTA_LOG_WARN, "juxmem", "re-created copy not added: %s",
                     juxmem_strerror(rc));
        }
        repair_drop(j, r);
        return 1;
    }
    return 0;
}

static void repairs_tick(juxmem_t *j)
{
    uint64_t now = juxmem__now(j);
    for (juxmem_repair_t *r = j->repairs, *next; r; r = next) {
        next = r->next;
        repair_step(j, r, now);
    }
}

/* ---- manager ------------------------------------------------------------------------ */

/* The cluster group's leases (we are its rendezvous): a provider whose
 * lease ended (dead, or gone) is left out of the choice at once, even
 * while its last memory advertisement lives on in the cache. */
static int live_index(const juxmem_t *j, const jxta_id_t *peer)
{
    for (size_t i = 0; i < j->nlive; i++)
        if (jxta_id_equal(&j->live[i], peer))
            return (int)i;
    return -1;
}

static void on_client_up(void *ud, const jxta_id_t *peer)
{
    juxmem_t *j = ud;
    if (live_index(j, peer) < 0 && j->nlive < JUXMEM_MAX_OFFERS)
        j->live[j->nlive++] = *peer;
}

static void on_client_down(void *ud, const jxta_id_t *peer, const char *reason)
{
    juxmem_t *j = ud;
    int i = live_index(j, peer);
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_INFO, "juxmem", "cluster %s: %s left (%s)", j->cluster,
             jxta_id_str(peer, &t), reason);
    if (i >= 0)
        j->live[i] = j->live[--j->nlive];
}

static const jxta_rdv_events_t cluster_events = {NULL, NULL, on_client_up, on_client_down};

static int gather_offers(juxmem_t *j)
{
    jxta_cm_result_t *r = NULL;
    size_t n = 0;
    int rc = jxta_cm_search_docs(jxta_group_cm(j->cl), &j->cl_gid, JXTA_ADV_DIR_ADV, "Cluster",
                                 j->cluster, JUXMEM_MAX_OFFERS, JXTA_CM_INCLUDE_PRIVATE,
                                 wall_ms(), &r, &n);
    if (rc < 0)
        return rc;
    j->noffers = 0;
    for (size_t i = 0; i < n && j->noffers < JUXMEM_MAX_OFFERS; i++) {
        jxta_adv_t *adv;
        if (jxta_adv_parse(r[i].doc, r[i].len, &adv) < 0)
            continue;
        juxmem_memory_info_t info;
        if (juxmem_memory_adv_get(adv, &info) == 0 && strcmp(info.cluster, j->cluster) == 0 &&
            (jxta_id_equal(&info.provider, &j->self) || live_index(j, &info.provider) >= 0))
            j->offers[j->noffers++] = info;
        jxta_adv_free(adv);
    }
    jxta_cm_results_free(r, n);
    return 0;
}

static void manage(juxmem_t *j)
{
    if (gather_offers(j) < 0)
        return;
    juxmem_cluster_info_t *ci = calloc(1, sizeof *ci);
    if (!ci)
        return;
    snprintf(ci->name, sizeof ci->name, "%s", j->cluster);
    ci->group = j->cl_gid;
    ci->nmanagers = 1;
    ci->managers[0] = j->self;
    for (size_t i = 0; i < j->noffers; i++) {
        ci->providers[ci->nproviders++] = j->offers[i].provider;
        ci->free_bytes += j->offers[i].free_bytes;
    }
    uint64_t now = juxmem__now(j);
    int changed = ci->nproviders != j->cl_prov_last || ci->free_bytes != j->cl_free_last;
    if (changed || j->cl_pub_ms == 0)
        juxmem__event(j, "MANAGER cluster=%s providers=%zu free=%" PRIu64, j->cluster,
                      ci->nproviders, ci->free_bytes);
    if (changed || !j->cl_published || now - j->cl_pub_ms >= JUXMEM_REFRESH_MS) {
        jxta_adv_t *adv;
        if (juxmem_cluster_adv_new(ci, &adv) == 0) {
            if (publish_in(j->jm, adv, JUXMEM_ADV_LIFE_MS) == 0) {
                j->cl_published = 1;
                j->cl_pub_ms = now;
                /* and the cluster group's own advertisement, so that any JXTA
                 * peer can find and join the group (its first remote publish
                 * may have gone out before the manager had a lease) */
                if (j->cl && jxta_group_pga(j->cl))
                    jxta_group_publish_pga(j->jm, jxta_group_pga(j->cl));
            }
            jxta_adv_free(adv);
        }
    }
    j->cl_prov_last = ci->nproviders;
    j->cl_free_last = ci->free_bytes;
    free(ci);
}

static void on_maint(jxta_timer_t *t)
{
    juxmem_t *j = t->data;
    /* what was remote-published before a lease was lost: publish again */
    int cl_conn = j->cl && jxta_group_connected(j->cl), jm_conn = jxta_group_connected(j->jm);
    if (cl_conn && !j->cl_conn)
        j->mem_published = 0;
    if (jm_conn && !j->jm_conn)
        j->cl_published = 0;
    j->cl_conn = cl_conn;
    j->jm_conn = jm_conn;
    publish_memory(j, 0);
    if (j->o.manager && j->cl)
        manage(j);
    if (j->repairs)
        repairs_tick(j);
    jxta_timer_start(t, JUXMEM_MAINT_MS);
}

int juxmem__on_alloc_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q)
{
    juxmem_t *j = ud;
    if (!j->o.manager || !j->cl)
        return JXTA_RESOLVER_DONE;
    uint64_t size = 0;
    unsigned want = 0;
    if (juxmem__parse_alloc_query(q->query, &size, &want) < 0)
        return JXTA_RESOLVER_DONE;
    gather_offers(j);
    size_t chosen[JUXMEM_MAX_COPIES];
    int rc = want > j->noffers ? JUXMEM_ENOCLUSTER
                               : juxmem_choose_providers(j->offers, j->noffers, size, want, chosen);
    char *text = malloc(64 + (size_t)want * (JXTA_ID_TEXT_MAX + 2));
    if (!text)
        return JXTA_RESOLVER_DONE;
    if (rc < 0) {
        snprintf(text, 64, "%d", rc);
    } else {
        size_t len = (size_t)sprintf(text, "0 %s\n", j->cluster);
        for (unsigned i = 0; i < want; i++) {
            jxta_id_text_t t;
            len += (size_t)sprintf(text + len, "%s\n", jxta_id_str(&j->offers[chosen[i]].provider,
                                                                  &t));
            j->offers[chosen[i]].free_bytes -= size; /* taken until re-advertised */
        }
    }
    jxta_resolver_respond(r, q, text);
    free(text);
    return JXTA_RESOLVER_DONE;
}

int juxmem__repair_active(juxmem_t *j, const jxta_id_t *data)
{
    for (juxmem_repair_t *r = j->repairs; r; r = r->next)
        if (jxta_id_equal(&r->data, data))
            return 1;
    return 0;
}

/* ---- the cluster group ------------------------------------------------------------- */

struct join_call {
    juxmem_t *j;
    jxta_id_t manager;
    int rdv;
};

static int join_cluster_fn(void *ud)
{
    struct join_call *c = ud;
    juxmem_t *j = c->j;
    if (j->cl)
        return 0;
    jxta_adv_t *pga;
    char name[96];
    snprintf(name, sizeof name, "JuxMem cluster %s", j->cluster);
    int rc = jxta_group_create_pga(j->jm, &j->cl_gid, name, NULL, NULL, &pga);
    if (rc < 0)
        return rc;
    jxta_group_config_t cfg;
    jxta_group_config_default(&cfg);
    cfg.role = c->rdv ? JXTA_RDV_RENDEZVOUS : JXTA_RDV_EDGE;
    cfg.retry_ms = 3000;
    cfg.probe_ms = 2000;
    if (c->rdv) {
        cfg.lease_ms = JUXMEM_CLUSTER_LEASE_MS;
        cfg.gc_ms = 1000;
        cfg.rdv_events = &cluster_events;
        cfg.ud = j;
    }
    if (!c->rdv) {
        jxta_addr_for_peer(&cfg.seeds[0], &c->manager, NULL, NULL);
        cfg.nseeds = 1;
    }
    rc = jxta_group_join(j->jm, pga, &cfg, &j->cl);
    if (rc == 0 && c->rdv) /* the manager makes its cluster's group findable */
        jxta_group_publish_pga(j->jm, pga);
    jxta_adv_free(pga);
    if (rc < 0)
        return rc;
    jxta_id_text_t t;
    juxmem__event(j, "CLUSTER joined name=%s id=%s role=%s", j->cluster,
                  jxta_id_str(&j->cl_gid, &t), c->rdv ? "rdv" : "edge");
    publish_memory(j, 1);
    if (j->o.manager)
        manage(j);
    return 0;
}

static int closing(juxmem_t *j)
{
    pthread_mutex_lock(&j->mu);
    int c = j->closing;
    pthread_mutex_unlock(&j->mu);
    return c;
}

/* The cluster's manager as its advertisement in the juxmem group names it. */
static int find_manager(juxmem_t *j, jxta_id_t *manager)
{
    jxta_adv_t **advs = NULL;
    size_t n = 0;
    int rc = jxta_peer_discover(j->peer, j->jm, 2, "Name", j->cluster, 1, 2000, &advs, &n);
    int found = 0;
    juxmem_cluster_info_t *ci = malloc(sizeof *ci);
    for (size_t i = 0; ci && rc == 0 && i < n && !found; i++) {
        if (juxmem_cluster_adv_get(advs[i], ci) == 0 && strcmp(ci->name, j->cluster) == 0) {
            *manager = ci->managers[0];
            found = 1;
        }
    }
    free(ci);
    jxta_peer_free_advs(advs, n);
    return found ? 0 : JXTA_ENOTFOUND;
}

static void nap(juxmem_t *j, int ms)
{
    pthread_mutex_lock(&j->mu);
    if (!j->closing) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->cv, &j->mu, &until);
    }
    pthread_mutex_unlock(&j->mu);
}

static int cluster_connected_fn(void *ud)
{
    juxmem_t *j = ud;
    return j->cl && jxta_group_connected(j->cl);
}

static int add_seed_fn(void *ud)
{
    struct join_call *c = ud;
    jxta_addr_t a;
    int rc = jxta_addr_for_peer(&a, &c->manager, NULL, NULL);
    return rc < 0 ? rc : jxta_rdv_add_seed(jxta_group_rdv(c->j->cl), &a);
}

#define CLUSTER_CHECK_MS 5000
#define CLUSTER_ORPHAN_MS 15000

void *juxmem__cluster_thread(void *arg)
{
    juxmem_t *j = arg;
    jxta_id_t manager;
    while (!closing(j)) { /* find the manager, join */
        if (find_manager(j, &manager) == 0) {
            struct join_call c = {.j = j, .manager = manager, .rdv = 0};
            int rc = jxta_peer_run(j->peer, join_cluster_fn, &c, 10000);
            if (rc == 0)
                break;
            jxta_log(JXTA_LOG_WARN, "juxmem", "cannot join cluster %s: %s", j->cluster,
                     jxta_strerror(rc));
        }
        nap(j, 500);
    }
    /* then watch the lease: a cluster without its manager for a while may
     * have a new one (another peer): add it as rendezvous seed */
    int orphan_ms = 0;
    while (!closing(j)) {
        nap(j, CLUSTER_CHECK_MS);
        if (closing(j))
            break;
        if (jxta_peer_run(j->peer, cluster_connected_fn, j, 10000) == 1) {
            orphan_ms = 0;
            continue;
        }
        orphan_ms += CLUSTER_CHECK_MS;
        jxta_id_t m;
        if (orphan_ms >= CLUSTER_ORPHAN_MS && find_manager(j, &m) == 0 &&
            !jxta_id_equal(&m, &manager)) {
            struct join_call c = {.j = j, .manager = m};
            if (jxta_peer_run(j->peer, add_seed_fn, &c, 10000) == 0) {
                jxta_id_text_t t;
                jxta_log(JXTA_LOG_INFO, "juxmem", "cluster %s: new manager %s", j->cluster,
                         jxta_id_str(&m, &t));
                manager = m;
            }
            orphan_ms = 0;
        }
    }
    return NULL;
}

/* ---- start / stop ------------------------------------------------------------------ */

int juxmem__roles_start(juxmem_t *j)
{
    int rc;
    if (j->o.provide_bytes) {
        if ((rc = juxmem_provider_new(&j->self, j->cluster, j->o.provide_bytes, &j->cfg,
                                      &j->prov)) < 0)
            return rc;
    }
    jxta_resolver_t *res = jxta_group_resolver(j->jm);
    if ((rc = jxta_resolver_register(res, JUXMEM_ALLOC_HANDLER, juxmem__on_alloc_query,
                                     juxmem__on_response, j)) < 0)
        return rc;
    if ((rc = jxta_resolver_register(res, JUXMEM_STAT_HANDLER, juxmem__on_stat_query,
                                     juxmem__on_response, j)) < 0) {
        jxta_resolver_unregister(res, JUXMEM_ALLOC_HANDLER);
        return rc;
    }
    j->handlers_on = 1;
    if (j->o.manager) {
        struct join_call c = {.j = j, .rdv = 1};
        if ((rc = join_cluster_fn(&c)) < 0)
            return rc;
    }
    publish_memory(j, 1);
    jxta_timer_init(j->loop, &j->maint, on_maint);
    j->maint.data = j;
    jxta_timer_start(&j->maint, JUXMEM_MAINT_MS);
    j->timers_on = 1;
    return 0;
}

void juxmem__roles_stop(juxmem_t *j)
{
    if (j->timers_on)
        jxta_timer_stop(&j->maint);
    j->timers_on = 0;
    if (j->handlers_on) {
        jxta_resolver_t *res = jxta_group_resolver(j->jm);
        jxta_resolver_unregister(res, JUXMEM_ALLOC_HANDLER);
        jxta_resolver_unregister(res, JUXMEM_STAT_HANDLER);
        j->handlers_on = 0;
    }
    while (j->repairs)
        repair_drop(j, j->repairs);
    juxmem_provider_free(j->prov);
    j->prov = NULL;
    free(j->held);
    j->held = NULL;
    j->nheld = j->capheld = 0;
}
