/* juxmem/roles.c - the provider and manager roles of a JuxMem peer.
 *
 * Provider: runs the provider state machine (block.h) on the loop, fed by
 * net.c.  It publishes its memory advertisement in its cluster group when
 * the group is joined, whenever its free memory changes and every
 * JUXMEM_REFRESH_MS (for any JXTA peer to see), and says hello to every
 * manager of its cluster it knows every JUXMEM_HELLO_MS with its offer
 * (a JuxMemMember resolver query); the managers choose from these hellos.
 * Each copy it gains is announced with a jxta:JuxMemData advertisement in
 * the juxmem group (so peers that only hold the data ID find the copies)
 * and the data group's PGA.  As a block's sequencer it re-creates lost
 * copies (see "re-creating a lost copy").
 *
 * Managers: a cluster may have several (up to 8).  Each runs the cluster
 * group as rendezvous, hellos the others, keeps every provider's offer
 * from their hellos (a provider silent for JUXMEM_OFFER_DEAD_MS is out of
 * the choice) and answers each hello with the managers it knows.  The
 * primary - the live manager with the lowest peer ID - publishes the
 * cluster advertisement in the juxmem group (every live manager, primary
 * first) when the cluster changes and every JUXMEM_CLUSTER_REFRESH_MS,
 * with a short lifetime so that a dead primary's fades.  Any manager
 * answers "JuxMemAlloc" resolver queries ("SIZE COUNT") with COUNT
 * providers chosen by juxmem_choose_providers, and counts the chosen
 * memory as taken until the providers report a change, so that
 * allocations in a burst are spread out.  The client reserves on the
 * providers itself (exact accounting there); a race is caught as
 * JUXMEM_ENOSPACE and retried.  A backup hears the primary's hellos; when
 * they stop for JUXMEM_MGR_DEAD_MS (or at once when the endpoint says the
 * primary's process ended) it is primary at its next upkeep (at most
 * JUXMEM_MAINT_MS later) and publishes the advertisement naming itself
 * first: a take-over takes 4 to 5 s (under a second after a process
 * ended), and loses nothing (it held every offer already).
 *
 * Every provider, manager and client of a cluster runs a thread
 * (juxmem__cluster_thread) that looks for the cluster advertisement in the
 * juxmem group: a provider or client until found, then joins the cluster
 * group as an edge seeded with jxta://<manager> for every manager named
 * (reached through the Net group's router; the edge fails over from one to
 * the next), and again whenever no manager answers its hellos; a manager
 * to find the others (every 10 s while it hears none).
 *
 * The "JuxMemStat" queries are answered in stat.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service.h"
#include "../jxta-c/util/internal.h"

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
static void repair_seen(juxmem_t *j, const juxmem_pmsg_t *m);

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
    if (j->repairs)
        repair_seen(j, m);
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
        case JUXMEM_EV_SUSPECT: /* the verdict, if any, comes back through net.c's on_gone */
            jxta_endpoint_probe(j->ep, &e->peer);
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

/* A copy declared dead is replaced by a provider of the cluster it was in
 * (found in the block's data advertisement in our cache, which names each
 * copy's cluster; failing that, the cluster left with the fewest copies).
 * That cluster's managers (our own list for our cluster, else those its
 * advertisements name) are asked in turn, like a client does, for one more
 * provider than the copies the cluster still has (two more on every other
 * try, in case the dead provider is still offered).  A cluster whose
 * manager answers that it has no room (or twice offers only members)
 * gives way at once to another cluster with room (its advertisement counts
 * more providers than the block has copies there).  A chosen provider that is
 * not a member gets an ALLOC naming us as sequencer (retransmitted every
 * upkeep); once it accepts, juxmem_provider_add_copy brings it up to date
 * and the transfer is in flight until the new copy acknowledges it.
 *
 * Several re-creations are ordered: the blocks with the fewest live copies
 * go first, and at most REPAIR_INFLIGHT of them are past waiting (asking,
 * reserving or transferring) at once, so re-creation never takes more than
 * two state transfers' worth of this provider's bandwidth from the normal
 * traffic.  Given up after REPAIR_MS; the block then lives on with fewer
 * copies.
 *
 * The re-creations advance as soon as something happens - a copy lost,
 * the manager's answer, a refusal, a transfer finished (a slot free) -
 * from a zero-delay timer ("kick": the next loop iteration, never inside
 * the provider's own call that reported it), so a copy is back within a
 * few round trips; the upkeep steps them too, for retransmissions and
 * time-outs only.  A provider that does not answer our ALLOC within
 * REPAIR_ALLOC_MS (dead, but still offered by its manager until its hellos
 * have been missed long enough) is given up for another one, and never
 * chosen again by that re-creation; nor is any copy lost by a re-creation
 * running here. */
#define REPAIR_MS 60000
#define REPAIR_ASK_MS 3000
#define REPAIR_ALLOC_MS 2000 /* a chosen provider silent this long is given up */
#define REPAIR_MAX_AVOID 8   /* chosen providers given up, per re-creation */
#define REPAIR_XFER_MS 10000 /* a transfer counts as in flight this long at most */
#define REPAIR_INFLIGHT 2
#define REPAIR_FULL_TRIES 2  /* answers without room before another cluster is tried */
#define REPAIR_MAX_TRIED 8

enum { R_WAIT, R_ASK, R_ALLOC, R_XFER };

typedef struct juxmem_repair {
    struct juxmem_repair *next;
    jxta_id_t data, lost, manager, target;
    jxta_id_t avoid[REPAIR_MAX_AVOID]; /* chosen providers that never answered the ALLOC */
    size_t navoid;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1]; /* where the new copy goes */
    char tried[REPAIR_MAX_TRIED][JUXMEM_CLUSTER_NAME_MAX + 1]; /* clusters without room */
    size_t ntried;
    int state;
    unsigned tries, full;
    size_t live; /* live copies at the last upkeep: fewest first */
    juxmem_pending_t *p;
    uint64_t deadline, asked_at, alloc_at, seq, xfer_at, xfer_version, xfer_view;
    uint32_t xfer_epoch;
    /* transfer: done once the new copy acknowledged its state (acked) and
     * every other member answered a heartbeat sent after the change (so it
     * knows the new member list before anything else can happen to it) */
    int acked;
    size_t nwait;
    jxta_id_t wait[JUXMEM_MAX_COPIES];
} juxmem_repair_t;

static void repair_finish(juxmem_t *j, juxmem_repair_t *r);
static void repairs_run(juxmem_t *j, int upkeep);

static void on_repair_kick(jxta_timer_t *t)
{
    repairs_run(t->data, 0);
}

/* Step every re-creation on the next loop iteration (before the roles'
 * timers are on, the first upkeep will). */
static void repairs_kick(juxmem_t *j)
{
    if (j->repairs && j->timers_on && !jxta_timer_active(&j->repair_kick))
        jxta_timer_start(&j->repair_kick, 0);
}

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

/* The cluster of copy `lost` of `data`, as a data advertisement in our
 * cache names it (ours, or the allocator's). */
static int lost_cluster(juxmem_t *j, const jxta_id_t *data, const jxta_id_t *lost, char *out,
                        size_t cap)
{
    jxta_cm_result_t *res = NULL;
    size_t n = 0;
    jxta_id_text_t t;
    int found = 0;
    if (jxta_cm_search_docs(jxta_group_cm(j->jm), &j->jm_gid, JXTA_ADV_DIR_ADV, "Id",
                            jxta_id_str(data, &t), 8, JXTA_CM_INCLUDE_PRIVATE, wall_ms(), &res,
                            &n) < 0)
        return JXTA_ENOTFOUND;
    juxmem_block_adv_info_t *info = malloc(sizeof *info);
    for (size_t i = 0; info && i < n && !found; i++) {
        jxta_adv_t *adv;
        if (jxta_adv_parse(res[i].doc, res[i].len, &adv) < 0)
            continue;
        if (juxmem_block_adv_get(adv, info) == 0 && jxta_id_equal(&info->data, data)) {
            for (size_t k = 0; k < info->ncopies && !found; k++) {
                if (jxta_id_equal(&info->copies[k].peer, lost) && info->copies[k].cluster[0]) {
                    snprintf(out, cap, "%s", info->copies[k].cluster);
                    found = 1;
                }
            }
        }
        jxta_adv_free(adv);
    }
    free(info);
    jxta_cm_results_free(res, n);
    return found ? 0 : JXTA_ENOTFOUND;
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
    if (lost_cluster(j, data, lost, r->cluster, sizeof r->cluster) < 0) {
        /* not known: the cluster with the fewest copies left (allocations
         * are symmetric, so that is the lost copy's) */
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
    }
    r->live = bi->nmembers;
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
    repairs_kick(j);
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

static int was_tried(const juxmem_repair_t *r, const char *cluster)
{
    for (size_t i = 0; i < r->ntried; i++)
        if (strcmp(r->tried[i], cluster) == 0)
            return 1;
    return 0;
}

/* The cluster advertisements in our cache with `name` ("*": any). */
static int cached_clusters(juxmem_t *j, const char *name, juxmem_cluster_info_t *out, size_t cap,
                           size_t *n)
{
    jxta_cm_result_t *res = NULL;
    size_t nr = 0;
    *n = 0;
    int rc = jxta_cm_search_docs(jxta_group_cm(j->jm), &j->jm_gid, JXTA_ADV_DIR_ADV, "Name",
                                 name, 64, JXTA_CM_INCLUDE_PRIVATE, wall_ms(), &res, &nr);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < nr && *n < cap; i++) {
        jxta_adv_t *adv;
        if (jxta_adv_parse(res[i].doc, res[i].len, &adv) < 0)
            continue;
        if (juxmem_cluster_adv_get(adv, &out[*n]) == 0 &&
            (strcmp(name, "*") == 0 || strcmp(out[*n].name, name) == 0))
            (*n)++;
        jxta_adv_free(adv);
    }
    jxta_cm_results_free(res, nr);
    return 0;
}

/* The lost copy's cluster has no room: another one with room for one
 * more copy of the block (fewest copies of it first).  0 if switched. */
static int repair_other_cluster(juxmem_t *j, juxmem_repair_t *r, const juxmem_block_info_t *bi)
{
    enum { CAP = 16 };
    juxmem_cluster_info_t *cl = calloc(CAP, sizeof *cl);
    size_t n = 0, best = SIZE_MAX, pick = 0;
    if (!cl || cached_clusters(j, "*", cl, CAP, &n) < 0) {
        free(cl);
        return JXTA_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t have = in_cluster(bi, cl[i].name);
        if (strcmp(cl[i].name, r->cluster) == 0 || was_tried(r, cl[i].name) ||
            cl[i].nproviders <= have)
            continue;
        if (have < best) {
            best = have;
            pick = i;
        }
    }
    if (best == SIZE_MAX) { /* none known: look for more, for the next upkeep */
        jxta_discovery_query(jxta_group_discovery(j->jm), 2, "Name", "*", 16, NULL, NULL);
        free(cl);
        return JXTA_ENOTFOUND;
    }
    if (r->ntried < REPAIR_MAX_TRIED)
        snprintf(r->tried[r->ntried++], sizeof r->tried[0], "%s", r->cluster);
    jxta_log(JXTA_LOG_INFO, "juxmem", "re-creation: cluster %s has no room, trying %s",
             r->cluster, cl[pick].name);
    snprintf(r->cluster, sizeof r->cluster, "%s", cl[pick].name);
    r->full = 0;
    r->tries = 0;
    free(cl);
    return 0;
}

/* A manager of r->cluster to ask, in turn over the ones known (ours for
 * our own cluster, live first; else from the cluster advertisements). */
static int repair_find_manager(juxmem_t *j, juxmem_repair_t *r)
{
    jxta_id_t m[JUXMEM_MAX_MANAGERS];
    size_t n = 0;
    if (j->cluster[0] && strcmp(r->cluster, j->cluster) == 0)
        n = juxmem__cluster_managers(j, m, JUXMEM_MAX_MANAGERS);
    if (n == 0) {
        enum { CAP = 4 };
        juxmem_cluster_info_t *cl = calloc(CAP, sizeof *cl);
        size_t ncl = 0;
        if (cl && cached_clusters(j, r->cluster, cl, CAP, &ncl) == 0) {
            for (size_t i = 0; i < ncl; i++)
                for (size_t k = 0; k < cl[i].nmanagers && n < JUXMEM_MAX_MANAGERS; k++) {
                    int dup = 0;
                    for (size_t x = 0; x < n && !dup; x++)
                        dup = jxta_id_equal(&m[x], &cl[i].managers[k]);
                    if (!dup)
                        m[n++] = cl[i].managers[k];
                }
        }
        free(cl);
    }
    if (n == 0) { /* answers land in the cache: next upkeep */
        jxta_discovery_query(jxta_group_discovery(j->jm), 2, "Name", r->cluster, 2, NULL, NULL);
        return JXTA_ENOTFOUND;
    }
    r->manager = m[(r->tries / 2) % n]; /* two tries each (the second asks for more) */
    return 0;
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

/* Not to be chosen: a copy lost by any re-creation running here (dead,
 * though its manager may offer it until its hellos are missed long
 * enough), or a provider this one gave up. */
static int repair_avoids(juxmem_t *j, const juxmem_repair_t *r, const jxta_id_t *peer)
{
    for (const juxmem_repair_t *x = j->repairs; x; x = x->next)
        if (jxta_id_equal(&x->lost, peer))
            return 1;
    for (size_t i = 0; i < r->navoid; i++)
        if (jxta_id_equal(&r->avoid[i], peer))
            return 1;
    return jxta_id_equal(&r->lost, peer);
}

/* The manager's answer: a provider that is not a member, or none. */
static int repair_answer(juxmem_t *j, juxmem_repair_t *r, const juxmem_block_info_t *bi)
{
    juxmem_member_t *got = calloc(JUXMEM_MAX_COPIES, sizeof *got);
    size_t n = 0;
    int found = 0;
    int rc = got ? juxmem__parse_alloc_answer(r->p->answer, got, JUXMEM_MAX_COPIES, &n)
                 : JXTA_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n && !found; i++) {
        if (!is_member(bi, &got[i].peer) && !repair_avoids(j, r, &got[i].peer)) {
            r->target = got[i].peer;
            found = 1;
        }
    }
    free(got);
    if (found)
        return 0;
    /* no room there: another cluster at once; only members (or the dead
     * copy, still offered) offered: after one more try */
    if (rc == JUXMEM_ENOSPACE || rc == JUXMEM_ENOCLUSTER)
        r->full += REPAIR_FULL_TRIES;
    else if (rc == 0)
        r->full++;
    return JXTA_ENOTFOUND;
}

static void repair_step(juxmem_t *j, juxmem_repair_t *r, uint64_t now, size_t *inflight,
                        int upkeep)
{
    int again = 0;
    juxmem_block_info_t *bi = malloc(sizeof *bi);
    if (!bi)
        return;
    if (now >= r->deadline || juxmem_provider_block_info(j->prov, &r->data, now, bi) < 0 ||
        !bi->is_sequencer) {
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_WARN, "juxmem", "copy of %s in cluster %s not re-created",
                 jxta_id_str(&r->data, &t), r->cluster);
        juxmem__event(j, "REPAIR-FAILED data=%s cluster=%s", jxta_id_str(&r->data, &t),
                      r->cluster);
        if (r->state != R_WAIT && *inflight)
            (*inflight)--;
        free(bi);
        repair_drop(j, r);
        return;
    }
    if (r->state == R_WAIT) {
        if (*inflight >= REPAIR_INFLIGHT) { /* wait for our turn */
            free(bi);
            return;
        }
        if (r->full >= REPAIR_FULL_TRIES)
            repair_other_cluster(j, r, bi);
        if (repair_find_manager(j, r) == 0) {
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
                r->state = R_ASK;
                r->asked_at = now;
                (*inflight)++;
                jxta_id_text_t t;
                jxta_log(JXTA_LOG_DEBUG, "juxmem", "re-creation: asking %s for %u in %s",
                         jxta_id_str(&r->manager, &t), want, r->cluster);
            }
        }
    } else if (r->state == R_ASK) {
        pthread_mutex_lock(&j->mu);
        int done = r->p && r->p->done;
        pthread_mutex_unlock(&j->mu);
        if (done) {
            int rc = repair_answer(j, r, bi);
            repair_unpend(j, r);
            r->tries++;
            if (rc == 0) {
                r->state = R_ALLOC;
                uint8_t u[JXTA_UUID_BYTES];
                jxta_uuid_random(u);
                r->seq = 1;
                for (size_t i = 0; i < 7; i++)
                    r->seq = r->seq << 8 | u[i];
                r->alloc_at = now;
                repair_send_alloc(j, r, bi);
                jxta_id_text_t t;
                jxta_log(JXTA_LOG_DEBUG, "juxmem", "re-creation: reserving on %s",
                         jxta_id_str(&r->target, &t));
            } else { /* ask again (another manager or cluster) in this upkeep */
                jxta_log(JXTA_LOG_DEBUG, "juxmem",
                         "re-creation: no provider to take (%d); asking again", r->full);
                r->state = R_WAIT;
                (*inflight)--;
                again = 1;
            }
        } else if (now - r->asked_at >= REPAIR_ASK_MS) { /* that manager is silent: next */
            jxta_id_text_t t;
            jxta_log(JXTA_LOG_INFO, "juxmem", "re-creation: manager %s did not answer",
                     jxta_id_str(&r->manager, &t));
            repair_unpend(j, r);
            r->tries += 2 - (r->tries & 1);
            r->state = R_WAIT;
            (*inflight)--;
            again = 1;
        }
    } else if (r->state == R_ALLOC) {
        if (now - r->alloc_at >= REPAIR_ALLOC_MS) { /* silent: dead? another one */
            jxta_id_text_t t;
            jxta_log(JXTA_LOG_INFO, "juxmem", "re-creation: %s did not answer; choosing again",
                     jxta_id_str(&r->target, &t));
            if (r->navoid < REPAIR_MAX_AVOID)
                r->avoid[r->navoid++] = r->target;
            r->state = R_WAIT;
            (*inflight)--;
            again = 1;
        } else if (upkeep) { /* retransmission */
            repair_send_alloc(j, r, bi);
        }
    } else if (r->state == R_XFER && !is_member(bi, &r->target)) {
        /* the new copy was lost in turn (its own re-creation is under way) */
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_INFO, "juxmem", "re-created copy on %s lost during its transfer",
                 jxta_id_str(&r->target, &t));
        (*inflight)--;
        free(bi);
        repair_drop(j, r);
        repairs_kick(j); /* a transfer slot is free */
        return;
    } else if (r->state == R_XFER) {
        for (size_t i = 0; i < r->nwait;) /* members gone meanwhile are not waited for */
            if (!is_member(bi, &r->wait[i]))
                r->wait[i] = r->wait[--r->nwait];
            else
                i++;
        if ((r->acked && r->nwait == 0) || now - r->xfer_at >= REPAIR_XFER_MS) {
            (*inflight)--;
            repair_finish(j, r);
        }
    }
    free(bi);
    if (again)
        repair_step(j, r, now, inflight, upkeep);
}

int juxmem__repair_msg(juxmem_t *j, const juxmem_pmsg_t *m)
{
    for (juxmem_repair_t *r = j->repairs; r; r = r->next) {
        if (r->state != R_ALLOC || !jxta_id_equal(&r->data, &m->data) ||
            !jxta_id_equal(&r->target, &m->from))
            continue;
        if (m->status < 0) { /* refused (no room any more): choose again */
            r->state = R_WAIT;
            repairs_kick(j);
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
            r->nwait = 0;
            if (bi && juxmem_provider_block_info(j->prov, &r->data, now, bi) == 0) {
                publish_copy(j, &r->data, bi);
                r->xfer_version = bi->version;
                r->xfer_view = bi->view;
                r->xfer_epoch = bi->epoch;
                for (size_t i = 0; i < bi->nmembers; i++)
                    if (!jxta_id_equal(&bi->members[i].peer, &j->self) &&
                        !jxta_id_equal(&bi->members[i].peer, &r->target))
                        r->wait[r->nwait++] = bi->members[i].peer;
            }
            free(bi);
            r->state = R_XFER; /* until the new copy acknowledges its state */
            r->xfer_at = now;
            jxta_log(JXTA_LOG_DEBUG, "juxmem",
                     "re-creation: transfer to %s, %zu other members to confirm",
                     jxta_id_str(&r->target, &u), r->nwait);
        } else {
            jxta_log(JXTA_LOG_WARN, "juxmem", "re-created copy not added: %s",
                     juxmem_strerror(rc));
            repair_drop(j, r);
        }
        return 1;
    }
    return 0;
}

/* The end of a transfer: REPAIRED (also when some member never confirmed
 * the change within REPAIR_XFER_MS: the copy is there). */
static void repair_finish(juxmem_t *j, juxmem_repair_t *r)
{
    juxmem_block_info_t *bi = malloc(sizeof *bi);
    size_t copies = 0;
    if (bi && juxmem_provider_block_info(j->prov, &r->data, juxmem__now(j), bi) == 0)
        copies = bi->nmembers;
    free(bi);
    jxta_id_text_t t, u;
    if (!r->acked || r->nwait)
        jxta_log(JXTA_LOG_INFO, "juxmem", "re-created copy of %s: %s", jxta_id_str(&r->data, &t),
                 r->acked ? "not every member confirmed the change" : "state not acknowledged");
    juxmem__event(j, "REPAIRED data=%s peer=%s cluster=%s copies=%zu", jxta_id_str(&r->data, &t),
                  jxta_id_str(&r->target, &u), r->cluster, copies);
    repair_drop(j, r);
    repairs_kick(j); /* a transfer slot is free */
}

/* A message for our provider: the new copy's acknowledgement of its state,
 * and the other members' heartbeat answers, end a transfer. */
static void repair_seen(juxmem_t *j, const juxmem_pmsg_t *m)
{
    int ack = m->type == JUXMEM_MSG_ACK && m->status >= 0;
    int hb = m->type == JUXMEM_MSG_HEARTBEAT && (m->flags & JUXMEM_F_REPLY);
    if (!ack && !hb)
        return;
    uint64_t now = juxmem__now(j);
    for (juxmem_repair_t *r = j->repairs; r; r = r->next) {
        if (r->state != R_XFER || !jxta_id_equal(&r->data, &m->data))
            continue;
        if (ack && !r->acked && jxta_id_equal(&r->target, &m->from) &&
            m->version >= r->xfer_version) {
            r->acked = 1;
            jxta_log(JXTA_LOG_DEBUG, "juxmem", "re-creation: state acknowledged after %llu ms",
                     (unsigned long long)(now - r->xfer_at));
        }
        /* an answer to a heartbeat sent after the change (they go every hb_ms) */
        if (hb && m->epoch == r->xfer_epoch && m->ref >= r->xfer_view)
            for (size_t i = 0; i < r->nwait; i++)
                if (jxta_id_equal(&r->wait[i], &m->from)) {
                    r->wait[i] = r->wait[--r->nwait];
                    jxta_log(JXTA_LOG_DEBUG, "juxmem",
                             "re-creation: a member confirmed after %llu ms, %zu to go",
                             (unsigned long long)(now - r->xfer_at), r->nwait);
                    break;
                }
        if (r->acked && r->nwait == 0) {
            repair_finish(j, r);
            return;
        }
    }
}

/* Does re-creation x go before y? */
static int plan_before(const juxmem_repair_key_t *x, const juxmem_repair_key_t *y)
{
    if (x->in_flight != y->in_flight)
        return x->in_flight != 0;
    if (x->live != y->live)
        return x->live < y->live;
    return x->deadline < y->deadline;
}

size_t juxmem__repair_plan(const juxmem_repair_key_t *keys, size_t n, size_t limit,
                           size_t *order)
{
    size_t inflight = 0, out = 0;
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        inflight += keys[i].in_flight != 0;
    }
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful, and stable */
        for (size_t k = i; k > 0 && plan_before(&keys[order[k]], &keys[order[k - 1]]); k--) {
            size_t t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        if (!keys[order[i]].in_flight) {
            if (inflight >= limit)
                break;
            inflight++; /* if it starts; one that cannot waits for the next run */
        }
        order[out++] = order[i];
    }
    return out;
}

/* Step the re-creations juxmem__repair_plan picks.  `upkeep`: the periodic
 * step (retransmissions). */
static void repairs_run(juxmem_t *j, int upkeep)
{
    uint64_t now = juxmem__now(j);
    size_t n = 0, inflight = 0;
    for (juxmem_repair_t *r = j->repairs; r; r = r->next)
        n++;
    juxmem_repair_t **v = malloc((n ? n : 1) * sizeof *v);
    juxmem_repair_key_t *keys = malloc((n ? n : 1) * sizeof *keys);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    juxmem_block_info_t *bi = malloc(sizeof *bi);
    if (!v || !keys || !order || !bi) {
        free(v), free(keys), free(order), free(bi);
        return;
    }
    n = 0;
    for (juxmem_repair_t *r = j->repairs; r; r = r->next) {
        if (juxmem_provider_block_info(j->prov, &r->data, now, bi) == 0)
            r->live = bi->nmembers;
        inflight += r->state != R_WAIT;
        keys[n] = (juxmem_repair_key_t){r->live, r->deadline, r->state != R_WAIT};
        v[n++] = r;
    }
    free(bi);
    size_t k = juxmem__repair_plan(keys, n, REPAIR_INFLIGHT, order);
    for (size_t i = 0; i < k; i++) /* a step may drop its repair: v[] is a snapshot */
        repair_step(j, v[order[i]], now, &inflight, upkeep);
    free(v);
    free(keys);
    free(order);
}

/* ---- the cluster's managers (providers and managers) ---------------------------------- */

/* Every provider and manager of a cluster says hello to each manager it
 * knows every JUXMEM_HELLO_MS (every JUXMEM_HELLO_DEAD_MS to one that has
 * not answered lately), with a JuxMemMember resolver query
 * "H CLUSTER MANAGER OFFERED FREE" (MANAGER 1 from a manager, OFFERED 0
 * from a manager that provides nothing).  A manager notes the offer and
 * the sender (a manager is then heard) and answers with the live managers
 * it knows (itself included) in peer ID order: "L CLUSTER\nPEER\n...".  So
 * every manager holds every provider's offer (the primary's death loses
 * nothing), and the managers learn of each other from the cluster
 * advertisement (the cluster thread looks for it) and from these lists.
 * The primary is the live manager (heard within JUXMEM_MGR_DEAD_MS) with
 * the lowest peer ID; it alone publishes the cluster advertisement. */

static int mgr_live(const juxmem_mgr_t *m, uint64_t now)
{
    return m->heard && now - m->heard < JUXMEM_MGR_DEAD_MS;
}

static void mgr_seed(juxmem_t *j, const jxta_id_t *id)
{
    if (!j->cl || j->o.manager)
        return;
    jxta_addr_t a;
    if (jxta_addr_for_peer(&a, id, NULL, NULL) == 0)
        jxta_rdv_add_seed(jxta_group_rdv(j->cl), &a); /* EEXIST: known already */
}

/* A manager named (heard = 0) or heard from (1). */
static void mgr_note(juxmem_t *j, const jxta_id_t *id, uint64_t now, int heard)
{
    if (jxta_id_equal(id, &j->self) || jxta_id_kind(id) != JXTA_ID_PEER)
        return;
    juxmem_mgr_t *m = NULL;
    for (size_t i = 0; i < j->nmgrs && !m; i++)
        if (jxta_id_equal(&j->mgrs[i].id, id))
            m = &j->mgrs[i];
    if (!m) {
        if (j->nmgrs == JUXMEM_MAX_MANAGERS) { /* replace the longest silent one, if dead */
            size_t old = 0;
            for (size_t i = 1; i < j->nmgrs; i++)
                if (j->mgrs[i].heard < j->mgrs[old].heard)
                    old = i;
            if (mgr_live(&j->mgrs[old], now))
                return;
            j->mgrs[old] = j->mgrs[--j->nmgrs];
        }
        m = &j->mgrs[j->nmgrs++];
        memset(m, 0, sizeof *m);
        m->id = *id;
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_INFO, "juxmem", "cluster %s: manager %s", j->cluster,
                 jxta_id_str(id, &t));
        mgr_seed(j, id);
    }
    m->named = now;
    if (heard)
        m->heard = now;
}

static int id_cmp(const void *a, const void *b)
{
    return jxta_id_cmp(a, b);
}

/* Live managers in peer ID order (ourselves when a manager), then the
 * others; *nlive of them live. */
static size_t managers_list(juxmem_t *j, jxta_id_t *out, size_t cap, size_t *nlive)
{
    uint64_t now = juxmem__now(j);
    jxta_id_t live[JUXMEM_MAX_MANAGERS + 1], dead[JUXMEM_MAX_MANAGERS];
    size_t nl = 0, nd = 0;
    if (j->o.manager)
        live[nl++] = j->self;
    for (size_t i = 0; i < j->nmgrs; i++) {
        if (mgr_live(&j->mgrs[i], now))
            live[nl++] = j->mgrs[i].id;
        else
            dead[nd++] = j->mgrs[i].id;
    }
    qsort(live, nl, sizeof live[0], id_cmp);
    size_t n = 0;
    for (size_t i = 0; i < nl && n < cap; i++)
        out[n++] = live[i];
    *nlive = n;
    for (size_t i = 0; i < nd && n < cap; i++)
        out[n++] = dead[i];
    return n;
}

size_t juxmem__cluster_managers(juxmem_t *j, jxta_id_t *out, size_t cap)
{
    size_t nlive;
    return managers_list(j, out, cap, &nlive);
}

static void hello(juxmem_t *j)
{
    if (!j->cluster[0] || (!j->prov && !j->o.manager))
        return;
    uint64_t now = juxmem__now(j);
    for (size_t i = 0; i < j->nmgrs;) { /* forget managers long silent and unnamed */
        juxmem_mgr_t *m = &j->mgrs[i];
        uint64_t last = m->heard > m->named ? m->heard : m->named;
        if (now - last >= JUXMEM_MGR_FORGET_MS)
            j->mgrs[i] = j->mgrs[--j->nmgrs];
        else
            i++;
    }
    char q[32 + JUXMEM_CLUSTER_NAME_MAX + 48];
    snprintf(q, sizeof q, "H %s %d %" PRIu64 " %" PRIu64, j->cluster, j->o.manager ? 1 : 0,
             j->prov ? juxmem_provider_offered(j->prov) : 0,
             j->prov ? juxmem_provider_free_bytes(j->prov) : 0);
    for (size_t i = 0; i < j->nmgrs; i++) {
        juxmem_mgr_t *m = &j->mgrs[i];
        /* live or just named: every upkeep; silent: every JUXMEM_HELLO_DEAD_MS */
        int quick = mgr_live(m, now) || (!m->heard && now - m->named < JUXMEM_MGR_DEAD_MS);
        uint64_t every = quick ? JUXMEM_HELLO_MS / 2 : JUXMEM_HELLO_DEAD_MS;
        if (m->sent && now - m->sent < every)
            continue;
        m->sent = now;
        jxta_resolver_query(jxta_group_resolver(j->jm), JUXMEM_MEMBER_HANDLER, q, &m->id, NULL);
    }
}

static const char *take_word(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\n') {
        if (n + 1 >= cap)
            return NULL;
        out[n++] = *p++;
    }
    out[n] = '\0';
    return n ? p : NULL;
}

static const char *take_num(const char *p, uint64_t *v)
{
    if (*p < '0' || *p > '9')
        return NULL;
    uint64_t x = 0;
    while (*p >= '0' && *p <= '9') {
        if (x > (UINT64_MAX - 9) / 10)
            return NULL;
        x = x * 10 + (uint64_t)(*p++ - '0');
    }
    *v = x;
    return p;
}

int juxmem__parse_hello(const char *text, char *cluster, size_t cap, int *manager,
                        uint64_t *offered, uint64_t *fr)
{
    const char *p = text;
    uint64_t m = 0;
    if (!p || p[0] != 'H' || p[1] != ' ' || !(p = take_word(p + 2, cluster, cap)) ||
        *p++ != ' ' || !(p = take_num(p, &m)) || m > 1 || *p++ != ' ' ||
        !(p = take_num(p, offered)) || *p++ != ' ' || !(p = take_num(p, fr)) || *p ||
        *fr > *offered)
        return jxta__reject(JXTA_EPROTO, "juxmem", "bad cluster hello");
    *manager = (int)m;
    return 0;
}

static void offer_note(juxmem_t *j, const jxta_id_t *peer, uint64_t offered, uint64_t fr,
                       uint64_t now)
{
    juxmem_offer_t *o = NULL;
    for (size_t i = 0; i < j->ntable && !o; i++)
        if (jxta_id_equal(&j->table[i].info.provider, peer))
            o = &j->table[i];
    if (!o) {
        for (size_t i = 0; i < j->ntable && !o; i++) /* a dead one's place */
            if (now - j->table[i].heard >= 6 * JUXMEM_OFFER_DEAD_MS)
                o = &j->table[i];
        if (!o && j->ntable == JUXMEM_MAX_OFFERS) {
            jxta_log(JXTA_LOG_WARN, "juxmem", "cluster %s: more than %d providers; offer ignored",
                     j->cluster, JUXMEM_MAX_OFFERS);
            return;
        }
        if (!o)
            o = &j->table[j->ntable++];
        memset(o, 0, sizeof *o);
        o->info.provider = *peer;
        snprintf(o->info.cluster, sizeof o->info.cluster, "%s", j->cluster);
    }
    if (o->info.offered != offered || o->info.free_bytes != fr)
        o->taken = 0; /* what we counted as taken is in its numbers now */
    o->info.offered = offered;
    o->info.free_bytes = fr;
    o->heard = now;
}

static int on_member_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q)
{
    juxmem_t *j = ud;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1];
    int manager;
    uint64_t offered, fr;
    if (juxmem__parse_hello(q->query, cluster, sizeof cluster, &manager, &offered, &fr) < 0)
        return JXTA_RESOLVER_DONE;
    if (!j->o.manager || strcmp(cluster, j->cluster) != 0)
        return JXTA_RESOLVER_DONE; /* not for us (a manager that went away, restarted) */
    uint64_t now = juxmem__now(j);
    if (manager)
        mgr_note(j, &q->src, now, 1);
    if (offered)
        offer_note(j, &q->src, offered, fr, now);
    jxta_id_t m[JUXMEM_MAX_MANAGERS];
    size_t nlive, n;
    managers_list(j, m, JUXMEM_MAX_MANAGERS, &nlive);
    n = nlive; /* the live ones only: a dead manager is not kept alive by our answers */
    char text[16 + JUXMEM_CLUSTER_NAME_MAX + JUXMEM_MAX_MANAGERS * (JXTA_ID_TEXT_MAX + 1)];
    size_t len = (size_t)snprintf(text, sizeof text, "L %s\n", j->cluster);
    for (size_t i = 0; i < n; i++) {
        jxta_id_text_t t;
        len += (size_t)snprintf(text + len, sizeof text - len, "%s\n", jxta_id_str(&m[i], &t));
    }
    jxta_resolver_respond(r, q, text);
    return JXTA_RESOLVER_DONE;
}

int juxmem__parse_manager_list(const char *text, char *cluster, size_t cap, jxta_id_t *ids,
                               size_t max, size_t *n)
{
    const char *p = text;
    char word[JXTA_ID_TEXT_MAX + 1];
    *n = 0;
    /* the last newline may be lost on the way (XML) */
    if (!p || p[0] != 'L' || p[1] != ' ' || !(p = take_word(p + 2, cluster, cap)) ||
        (*p && *p++ != '\n'))
        return jxta__reject(JXTA_EPROTO, "juxmem", "bad manager list");
    while (*p) {
        if (*n == max || !(p = take_word(p, word, sizeof word)) || (*p && *p++ != '\n') ||
            jxta_id_from_string(&ids[*n], word) < 0 || jxta_id_kind(&ids[*n]) != JXTA_ID_PEER)
            return jxta__reject(JXTA_EPROTO, "juxmem", "bad manager list");
        for (size_t i = 0; i < *n; i++)
            if (jxta_id_equal(&ids[i], &ids[*n]))
                return jxta__reject(JXTA_EPROTO, "juxmem", "bad manager list (a manager twice)");
        (*n)++;
    }
    return *n ? 0 : jxta__reject(JXTA_EPROTO, "juxmem", "bad manager list (empty)");
}

static void on_member_response(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp,
                               const jxta_id_t *from)
{
    (void)r;
    juxmem_t *j = ud;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1];
    jxta_id_t m[JUXMEM_MAX_MANAGERS];
    size_t n;
    if (juxmem__parse_manager_list(rsp->response, cluster, sizeof cluster, m, JUXMEM_MAX_MANAGERS,
                                   &n) < 0 ||
        strcmp(cluster, j->cluster) != 0)
        return;
    int listed = 0;
    for (size_t i = 0; i < n && !listed; i++)
        listed = jxta_id_equal(&m[i], from);
    if (!listed) /* a manager lists itself: anything else is not an answer to our hello */
        return;
    uint64_t now = juxmem__now(j);
    for (size_t i = 0; i < n; i++)
        mgr_note(j, &m[i], now, jxta_id_equal(&m[i], from));
}

/* ---- manager ------------------------------------------------------------------------ */

/* Every provider heard within JUXMEM_OFFER_DEAD_MS (ourselves when we
 * provide), each with its free memory less what we chose it for since it
 * last reported (so a burst of allocations spreads out). */
#define TAKEN_MS 3000

static int gather_offers(juxmem_t *j)
{
    uint64_t now = juxmem__now(j);
    if (j->prov)
        offer_note(j, &j->self, juxmem_provider_offered(j->prov),
                   juxmem_provider_free_bytes(j->prov), now);
    j->noffers = 0;
    for (size_t i = 0; i < j->ntable; i++) {
        juxmem_offer_t *o = &j->table[i];
        if (now - o->heard >= JUXMEM_OFFER_DEAD_MS)
            continue;
        if (o->taken && now - o->taken_ms >= TAKEN_MS)
            o->taken = 0;
        juxmem_memory_info_t *info = &j->offers[j->noffers++];
        *info = o->info;
        info->free_bytes = o->taken < info->free_bytes ? info->free_bytes - o->taken : 0;
    }
    return 0;
}

static void on_client_down(void *ud, const jxta_id_t *peer, const char *reason)
{
    juxmem_t *j = ud;
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_INFO, "juxmem", "cluster %s: %s left (%s)", j->cluster,
             jxta_id_str(peer, &t), reason);
}

static const jxta_rdv_events_t cluster_events = {NULL, NULL, NULL, on_client_down};

static uint64_t ids_sig(const jxta_id_t *v, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof v[i]; k++)
            h = (h ^ ((const uint8_t *)&v[i])[k]) * 1099511628211u;
    return h ^ n;
}

static void manage(juxmem_t *j)
{
    if (gather_offers(j) < 0)
        return;
    juxmem_cluster_info_t *ci = calloc(1, sizeof *ci);
    if (!ci)
        return;
    uint64_t now = juxmem__now(j);
    jxta_id_t m[JUXMEM_MAX_MANAGERS];
    size_t nlive;
    managers_list(j, m, JUXMEM_MAX_MANAGERS, &nlive);
    /* just started: primary at once only when no other manager is known;
     * otherwise after hearing the others for a while (no flapping) */
    int primary = nlive && jxta_id_equal(&m[0], &j->self);
    if (primary && j->primary < 0 && j->nmgrs && now - j->start_ms < JUXMEM_MGR_DEAD_MS)
        primary = -1;
    if (primary >= 0 && primary != j->primary) {
        juxmem__event(j, "MANAGER role=%s cluster=%s managers=%zu",
                      primary ? "primary" : "backup", j->cluster, nlive);
        j->primary = primary;
        j->cl_published = 0;
    }
    snprintf(ci->name, sizeof ci->name, "%s", j->cluster);
    ci->group = j->cl_gid;
    ci->nmanagers = nlive;
    memcpy(ci->managers, m, nlive * sizeof m[0]);
    for (size_t i = 0; i < j->noffers; i++) {
        ci->providers[ci->nproviders++] = j->offers[i].provider;
        ci->free_bytes += j->offers[i].free_bytes;
    }
    uint64_t sig = ids_sig(m, nlive);
    int changed = ci->nproviders != j->cl_prov_last || ci->free_bytes != j->cl_free_last ||
                  sig != j->cl_mgr_sig;
    if (ci->nproviders != j->cl_prov_last || ci->free_bytes != j->cl_free_last ||
        j->cl_pub_ms == 0)
        juxmem__event(j, "MANAGER cluster=%s providers=%zu free=%" PRIu64 " role=%s", j->cluster,
                      ci->nproviders, ci->free_bytes, j->primary > 0 ? "primary" : "backup");
    if (j->cl_pub_ms == 0)
        j->cl_pub_ms = 1; /* event shown once at least */
    if (j->primary > 0 &&
        (changed || !j->cl_published || now - j->cl_pub_ms >= JUXMEM_CLUSTER_REFRESH_MS)) {
        jxta_adv_t *adv;
        if (juxmem_cluster_adv_new(ci, &adv) == 0) {
            if (publish_in(j->jm, adv, JUXMEM_CLUSTER_ADV_LIFE_MS) == 0) {
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
    j->cl_mgr_sig = sig;
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
    hello(j);
    if (j->o.manager && j->cl)
        manage(j);
    if (j->repairs)
        repairs_run(j, 1);
    jxta_timer_start(t, JUXMEM_MAINT_MS);
}

/* Allocation queries: answered by any manager asked (a client asks the
 * primary first and a backup only when the primary did not answer; the
 * providers account exactly, so two managers choosing at once cost at most
 * a retry). */
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
        uint64_t now = juxmem__now(j);
        for (unsigned i = 0; i < want; i++) {
            jxta_id_text_t t;
            const jxta_id_t *p = &j->offers[chosen[i]].provider;
            len += (size_t)sprintf(text + len, "%s\n", jxta_id_str(p, &t));
            for (size_t k = 0; k < j->ntable; k++) /* taken until it reports a change */
                if (jxta_id_equal(&j->table[k].info.provider, p)) {
                    j->table[k].taken += size;
                    j->table[k].taken_ms = now;
                }
        }
    }
    jxta_resolver_respond(r, q, text);
    free(text);
    return JXTA_RESOLVER_DONE;
}

/* The endpoint's verdict that a peer's process ended (jxta/endpoint.h): a
 * manager stops offering it at once (not JUXMEM_OFFER_DEAD_MS after its
 * last hello: a re-creation asking now must not get it); a manager of our
 * cluster is no longer live (not asked first, and a backup takes over at
 * its next upkeep instead of after JUXMEM_MGR_DEAD_MS); a re-creation
 * waiting on it (as the manager asked, the provider chosen or the copy
 * being transferred to) moves on at once.  A false verdict heals: the
 * peer's next hello puts its offer back and makes it live again. */
void juxmem__roles_peer_gone(juxmem_t *j, const jxta_id_t *peer)
{
    uint64_t now = juxmem__now(j);
    for (size_t i = 0; i < j->ntable; i++)
        if (jxta_id_equal(&j->table[i].info.provider, peer) && now >= JUXMEM_OFFER_DEAD_MS)
            j->table[i].heard = now - JUXMEM_OFFER_DEAD_MS;
    for (size_t i = 0; i < j->nmgrs; i++)
        if (jxta_id_equal(&j->mgrs[i].id, peer))
            j->mgrs[i].heard = 0;
    int kick = 0;
    for (juxmem_repair_t *r = j->repairs; r; r = r->next) {
        if (r->state == R_ALLOC && jxta_id_equal(&r->target, peer)) {
            if (r->navoid < REPAIR_MAX_AVOID)
                r->avoid[r->navoid++] = *peer;
            r->state = R_WAIT;
            kick = 1;
        } else if (r->state == R_ASK && jxta_id_equal(&r->manager, peer)) {
            repair_unpend(j, r);
            r->tries += 2 - (r->tries & 1); /* the next manager */
            r->state = R_WAIT;
            kick = 1;
        } else if (r->state == R_XFER && jxta_id_equal(&r->target, peer)) {
            kick = 1; /* dropped by the provider on the same verdict */
        }
    }
    if (kick)
        repairs_kick(j);
}

/* Answers to allocation queries: a client's (client.c), or a manager's
 * answer to a re-creation here, which is then stepped at once. */
static void on_alloc_response(void *ud, jxta_resolver_t *res, const jxta_rr_t *rsp,
                              const jxta_id_t *from)
{
    juxmem_t *j = ud;
    juxmem__on_response(ud, res, rsp, from);
    for (juxmem_repair_t *r = j->repairs; r; r = r->next) {
        if (r->state != R_ASK || !r->p)
            continue;
        pthread_mutex_lock(&j->mu);
        int done = r->p->done;
        pthread_mutex_unlock(&j->mu);
        if (done) {
            repairs_kick(j);
            return;
        }
    }
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
    jxta_id_t managers[JUXMEM_MAX_MANAGERS];
    size_t nmanagers;
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
    } else { /* every manager: the edge fails over to the next one */
        for (size_t i = 0; i < c->nmanagers && cfg.nseeds < JXTA_RDV_MAX_SEEDS; i++)
            if (jxta_addr_for_peer(&cfg.seeds[cfg.nseeds], &c->managers[i], NULL, NULL) == 0)
                cfg.nseeds++;
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

/* The managers an advertisement named: noted; an edge joins the cluster
 * group seeded with them all (or adds them as seeds). */
static int learn_fn(void *ud)
{
    struct join_call *c = ud;
    juxmem_t *j = c->j;
    uint64_t now = juxmem__now(j);
    for (size_t i = 0; i < c->nmanagers; i++)
        mgr_note(j, &c->managers[i], now, 0);
    if (!j->cl && !j->o.manager)
        return join_cluster_fn(c);
    hello(j);
    return 0;
}

/* 1 when the cluster advertisement should be looked for again: not joined
 * yet; a provider or manager hearing no other live manager; a client of the
 * cluster without its lease. */
static int need_managers_fn(void *ud)
{
    juxmem_t *j = ud;
    if (!j->cl)
        return 1;
    uint64_t now = juxmem__now(j);
    if (j->prov || j->o.manager) {
        for (size_t i = 0; i < j->nmgrs; i++)
            if (mgr_live(&j->mgrs[i], now))
                return 0;
        return 1;
    }
    return !jxta_group_connected(j->cl);
}

static int closing(juxmem_t *j)
{
    pthread_mutex_lock(&j->mu);
    int c = j->closing;
    pthread_mutex_unlock(&j->mu);
    return c;
}

/* The managers the cluster's advertisements in the juxmem group name
 * (several may be cached: a dead primary's lives on for a while; they
 * come together, so the search ends MANAGERS_SETTLE_MS after the last). */
#define MANAGERS_SETTLE_MS 250

static int find_managers(juxmem_t *j, jxta_id_t *out, size_t cap, size_t *nout)
{
    jxta_adv_t **advs = NULL;
    size_t n = 0;
    *nout = 0;
    int rc = jxta_peer_discover_settle(j->peer, j->jm, 2, "Name", j->cluster, 8, 1,
                                       MANAGERS_SETTLE_MS, 2000, &advs, &n);
    juxmem_cluster_info_t *ci = malloc(sizeof *ci);
    for (size_t i = 0; ci && rc == 0 && i < n; i++) {
        if (juxmem_cluster_adv_get(advs[i], ci) < 0 || strcmp(ci->name, j->cluster) != 0)
            continue;
        for (size_t k = 0; k < ci->nmanagers && *nout < cap; k++) {
            int dup = 0;
            for (size_t x = 0; x < *nout && !dup; x++)
                dup = jxta_id_equal(&out[x], &ci->managers[k]);
            if (!dup)
                out[(*nout)++] = ci->managers[k];
        }
    }
    free(ci);
    jxta_peer_free_advs(advs, n);
    return *nout ? 0 : JXTA_ENOTFOUND;
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

#define CLUSTER_CHECK_MS 5000   /* a provider without a live manager looks this often */
#define CLUSTER_LONE_MS 10000   /* a manager alone looks for others this often */

/* Finds the cluster's managers from its advertisement and, unless a
 * manager, joins the cluster group; then looks again whenever no live
 * manager is heard (another one may have taken the cluster over, or a
 * manager alone may have peers it does not know yet). */
void *juxmem__cluster_thread(void *arg)
{
    juxmem_t *j = arg;
    int found = 0;
    while (!closing(j)) {
        if (jxta_peer_run(j->peer, need_managers_fn, j, 10000) == 1) {
            struct join_call c = {.j = j};
            if (find_managers(j, c.managers, JUXMEM_MAX_MANAGERS, &c.nmanagers) == 0) {
                int rc = jxta_peer_run(j->peer, learn_fn, &c, 10000);
                if (rc < 0)
                    jxta_log(JXTA_LOG_WARN, "juxmem", "cannot join cluster %s: %s", j->cluster,
                             jxta_strerror(rc));
                else
                    found = 1;
            }
        }
        nap(j, !found ? 500 : j->o.manager ? CLUSTER_LONE_MS : CLUSTER_CHECK_MS);
    }
    return NULL;
}

/* ---- start / stop ------------------------------------------------------------------ */

int juxmem__roles_start(juxmem_t *j)
{
    int rc;
    j->primary = -1;
    j->start_ms = juxmem__now(j);
    if (j->o.provide_bytes) {
        if ((rc = juxmem_provider_new(&j->self, j->cluster, j->o.provide_bytes, &j->cfg,
                                      &j->prov)) < 0)
            return rc;
    }
    jxta_resolver_t *res = jxta_group_resolver(j->jm);
    if ((rc = jxta_resolver_register(res, JUXMEM_ALLOC_HANDLER, juxmem__on_alloc_query,
                                     on_alloc_response, j)) < 0)
        return rc;
    if ((rc = jxta_resolver_register(res, JUXMEM_STAT_HANDLER, juxmem__on_stat_query,
                                     juxmem__on_response, j)) < 0) {
        jxta_resolver_unregister(res, JUXMEM_ALLOC_HANDLER);
        return rc;
    }
    if ((rc = jxta_resolver_register(res, JUXMEM_MEMBER_HANDLER, on_member_query,
                                     on_member_response, j)) < 0) {
        jxta_resolver_unregister(res, JUXMEM_ALLOC_HANDLER);
        jxta_resolver_unregister(res, JUXMEM_STAT_HANDLER);
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
    jxta_timer_init(j->loop, &j->repair_kick, on_repair_kick);
    j->repair_kick.data = j;
    j->timers_on = 1;
    return 0;
}

void juxmem__roles_stop(juxmem_t *j)
{
    if (j->timers_on) {
        jxta_timer_stop(&j->maint);
        jxta_timer_stop(&j->repair_kick);
    }
    j->timers_on = 0;
    if (j->handlers_on) {
        jxta_resolver_t *res = jxta_group_resolver(j->jm);
        jxta_resolver_unregister(res, JUXMEM_ALLOC_HANDLER);
        jxta_resolver_unregister(res, JUXMEM_STAT_HANDLER);
        jxta_resolver_unregister(res, JUXMEM_MEMBER_HANDLER);
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
