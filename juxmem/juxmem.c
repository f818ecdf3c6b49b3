/* juxmem.c - libjuxmem entry points (see juxmem.h): version, error texts,
 * and opening / closing a JuxMem peer.
 *
 * Opening starts a JXTA peer (its loop on its own thread), registers the
 * advertisement types, instantiates the juxmem group from a PGA every peer
 * builds alike (same derived group ID), as rendezvous or as an edge seeded
 * with the Net group's rendezvous (which run the juxmem group too), and
 * starts the roles; a manager also runs its cluster group as rendezvous.
 * A provider or client of a cluster joins the cluster group later, from a
 * thread that waits for the cluster advertisement (roles.c); a manager
 * runs that thread too, to find the cluster's other managers.  Everything
 * after jxta_peer_open happens on the loop, in one call. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

const char *juxmem_version(void)
{
    return "juxmem-c " JUXMEM_VERSION_STRING " (libjxta " JXTA_VERSION_STRING ")";
}

/* JUXMEM_E* texts, NULL for other codes. */
static const char *juxmem_errtext(int err)
{
    switch (err) {
    case JUXMEM_ENOSPACE: return "not enough memory on the providers";
    case JUXMEM_ENODATA: return "no such data";
    case JUXMEM_ELOCKTIMEOUT: return "lock not granted in time";
    case JUXMEM_EUNREACH: return "no copy of the data can be reached";
    case JUXMEM_ESTALE: return "lock lost (lease expired): writes discarded";
    case JUXMEM_ENOTLOCKED: return "not locked (or a write under a read lock)";
    case JUXMEM_EFREED: return "data already freed";
    case JUXMEM_ERANGE: return "offset/length outside the block";
    case JUXMEM_ENOCLUSTER: return "fewer clusters or providers than asked for";
    case JUXMEM_ENOQUORUM: return "no majority of the data's copies reachable (quorum lost)";
    default: return NULL;
    }
}

/* libjxta's own messages (rejections logged by the protocol core) name
 * JuxMem's codes too. */
__attribute__((constructor)) static void juxmem_errors_init(void)
{
    jxta_strerror_extend(juxmem_errtext);
}

const char *juxmem_strerror(int err)
{
    const char *text = juxmem_errtext(err);
    return text ? text : jxta_strerror(err);
}

void juxmem_options_default(juxmem_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->lock_lease_ms = 10000;
    o->fail_ms = 5000;
    o->timeout_ms = 30000;
}

void juxmem__event(juxmem_t *j, const char *fmt, ...)
{
    if (!j->ev)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    j->ev(j->ev_ud, line);
}

uint64_t juxmem__now(juxmem_t *j)
{
    return jxta_loop_now(j->loop);
}

struct jxta_peer *juxmem_peer(juxmem_t *j)
{
    return j ? j->peer : NULL;
}

static int check_options(const juxmem_options_t *o)
{
    if (!o->home || !*o->home) {
        jxta_log(JXTA_LOG_ERROR, "juxmem", "no home directory given");
        return JXTA_EINVAL;
    }
    if (o->nseeds > 16) {
        jxta_log(JXTA_LOG_ERROR, "juxmem", "at most 16 seeds");
        return JXTA_EINVAL;
    }
    if ((o->provide_bytes || o->manager) && (!o->cluster || !*o->cluster)) {
        jxta_log(JXTA_LOG_ERROR, "juxmem", "providers and managers need a cluster name");
        return JXTA_EINVAL;
    }
    jxta_id_t gid;
    if (o->cluster && juxmem_cluster_group_id(o->cluster, &gid) < 0) {
        jxta_log(JXTA_LOG_ERROR, "juxmem", "bad cluster name");
        return JXTA_EINVAL;
    }
    if (o->timeout_ms <= 0 || o->lock_lease_ms == 0 || o->fail_ms < 100) {
        jxta_log(JXTA_LOG_ERROR, "juxmem",
                 "time-out and lock lease must be positive, fail_ms at least 100");
        return JXTA_EINVAL;
    }
    return 0;
}

static int start_fn(void *ud)
{
    juxmem_t *j = ud;
    /* JuxMem orders its own messages: let peers first reached through a
     * relay talk directly (client <-> sequencer <-> copies) */
    jxta_endpoint_set_route_to_destinations(j->ep, 1);
    jxta_adv_t *pga;
    int rc = jxta_group_create_pga(j->net, &j->jm_gid, "JuxMem", "JuxMem data sharing", NULL,
                                   &pga);
    if (rc < 0)
        return rc;
    jxta_group_config_t cfg;
    jxta_group_config_default(&cfg);
    cfg.role = j->o.rendezvous ? JXTA_RDV_RENDEZVOUS : JXTA_RDV_EDGE;
    cfg.retry_ms = 3000;
    cfg.probe_ms = 2000;
    cfg.srdi_ms = 5000;
    for (size_t i = 0; i < j->o.nseeds && cfg.nseeds < JXTA_RDV_MAX_SEEDS; i++)
        if (jxta_addr_from_string(&cfg.seeds[cfg.nseeds], j->o.seeds[i]) == 0)
            cfg.nseeds++;
    rc = jxta_group_join(j->net, pga, &cfg, &j->jm);
    /* The group's advertisement goes to the Net group too, where any JXTA
     * peer (a JXSE one included) finds it by name and can join. */
    if (rc == 0 && jxta_group_publish_pga(j->net, pga) < 0)
        jxta_log(JXTA_LOG_INFO, "juxmem", "juxmem group advertisement not published yet");
    jxta_adv_free(pga);
    if (rc < 0)
        return rc;
    jxta_id_text_t t;
    juxmem__event(j, "JOINED group=juxmem id=%s role=%s", jxta_id_str(&j->jm_gid, &t),
                  j->o.rendezvous ? "rdv" : "edge");
    if ((rc = juxmem__net_start(j)) < 0)
        return rc;
    return juxmem__roles_start(j);
}

static int stop_fn(void *ud)
{
    juxmem_t *j = ud;
    if (j->jm)
        juxmem__roles_stop(j); /* first: its repairs hold entries of the pending list */
    juxmem__client_stop(j);
    juxmem__net_stop(j);
    return 0;
}

static void free_j(juxmem_t *j)
{
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

int juxmem_open_ex(const juxmem_options_t *o, juxmem_event_fn ev, void *ud, juxmem_t **out)
{
    *out = NULL;
    int rc;
    if (!o || (rc = check_options(o)) < 0)
        return o ? rc : JXTA_EINVAL;
    if ((rc = juxmem_adv_register()) < 0)
        return rc;
    juxmem_t *j = calloc(1, sizeof *j);
    if (!j)
        return JXTA_ENOMEM;
    j->o = *o;
    j->ev = ev;
    j->ev_ud = ud;
    if (o->cluster)
        snprintf(j->cluster, sizeof j->cluster, "%s", o->cluster);
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    juxmem_block_cfg_default(&j->cfg);
    j->cfg.lease_ms = o->lock_lease_ms;
    j->cfg.fail_ms = o->fail_ms;
    j->cfg.hb_ms = o->fail_ms / 5;
    juxmem_group_id(&j->jm_gid);
    if (o->cluster)
        juxmem_cluster_group_id(o->cluster, &j->cl_gid);

    jxta_peer_options_t po;
    jxta_peer_options_default(&po);
    po.home = o->home;
    po.name = o->name;
    po.listen = o->listen;
    for (size_t i = 0; i < o->nseeds; i++)
        po.seeds[i] = o->seeds[i];
    po.nseeds = o->nseeds;
    po.rendezvous = o->rendezvous ? 1 : 0;
    if ((rc = jxta_peer_open(&po, &j->peer)) < 0) {
        free_j(j);
        return rc;
    }
    j->loop = jxta_peer_loop(j->peer);
    j->ep = jxta_peer_endpoint(j->peer);
    j->net = jxta_peer_net_group(j->peer);
    j->self = *jxta_peer_id(j->peer);
    if ((rc = jxta_peer_run(j->peer, start_fn, j, 20000)) < 0) {
        jxta_log(JXTA_LOG_ERROR, "juxmem", "cannot start the JuxMem service: %s",
                 juxmem_strerror(rc));
        jxta_peer_run(j->peer, stop_fn, j, -1);
        jxta_peer_close(j->peer);
        free_j(j);
        return rc;
    }
    if (j->cluster[0]) { /* managers too: they look for the cluster's other managers */
        if (pthread_create(&j->bg, NULL, juxmem__cluster_thread, j) == 0)
            j->has_bg = 1;
    }
    /* an edge waits (bounded) for its juxmem rendezvous: calls work at once */
    if (!o->rendezvous && o->nseeds)
        jxta_peer_wait_rdv(j->peer, j->jm, o->timeout_ms < 10000 ? o->timeout_ms : 10000);
    *out = j;
    return 0;
}

int juxmem_open(const juxmem_options_t *o, juxmem_t **out)
{
    return juxmem_open_ex(o, NULL, NULL, out);
}

void juxmem_close(juxmem_t *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->closing = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (j->has_bg)
        pthread_join(j->bg, NULL);
    jxta_peer_run(j->peer, stop_fn, j, -1);
    jxta_peer_close(j->peer);
    free_j(j);
}
