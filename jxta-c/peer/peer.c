/* peer.c - the application interface (see jxta/peer.h).
 *
 * A jxta_peer_t owns what one peer is made of: the event loop (and, by
 * default, the thread running it), the endpoint with its TCP transport,
 * the cache and the Net group.  Application threads never touch those
 * directly: every call packs its arguments, runs a small function on the
 * loop with jxta_loop_call (which withdraws it if the loop does not get to
 * it in time, so stack arguments are safe) and returns its result.  Waits
 * that span many loop turns (a lease, discovery answers, a pipe binding)
 * sleep on a condition variable that loop-side callbacks signal. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jxta.h>

#include "../util/internal.h"

#define MAX_QIDS 32
/* A search asks again after REASK_FIRST_MS, then twice as long each time
 * up to REASK_MS: a peer that just joined (no lease yet, no route back)
 * gets its answers from the second ask instead of waiting 2 s for it. */
#define REASK_FIRST_MS 250
#define REASK_MS 2000

struct finder {
    struct finder *next;
    jxta_group_t *group;
    long qids[MAX_QIDS];
    size_t nqids;
    jxta_adv_t **advs;
    size_t n, cap, want;
};

/* The discovery callback's context: answers are matched to finders by
 * group and query ID (query IDs are only unique within one resolver). */
struct found_hook {
    struct found_hook *next;
    jxta_peer_t *p;
    jxta_group_t *g;
};

struct jxta_peer {
    jxta_loop_t *loop;
    jxta_endpoint_t *ep;
    jxta_cm_t *cm;
    jxta_group_t *net;
    jxta_platform_config_t pc;
    pthread_t thread;
    int has_thread;
    pthread_mutex_t mu; /* guards the finders' results and signals cv */
    pthread_cond_t cv;
    struct finder *finders; /* loop thread */
    struct found_hook *hooks;
    jxta_timer_t flush;
    uint64_t flush_deadline;
};

void jxta_peer_options_default(jxta_peer_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->rendezvous = -1;
    o->run_loop = 1;
    jxta_group_config_default(&o->net);
}

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return JXTA_EINVAL;
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
            return JXTA_EIO;
        *s = '/';
    }
    return mkdir(tmp, 0700) < 0 && errno != EEXIST ? JXTA_EIO : 0;
}

static int parse_tcp(const char *text, jxta_addr_t *a, char *host, size_t cap, uint16_t *port)
{
    if (jxta_addr_from_string(a, text) < 0 || jxta_addr_tcp_hostport(a, host, cap, port) < 0)
        return jxta__reject(JXTA_EINVAL, "peer", "'%s' is not a tcp://HOST:PORT address", text);
    return 0;
}

/* The PlatformConfig in o->home with the options applied, saved back. */
static int load_config(const jxta_peer_options_t *o, jxta_platform_config_t *pc)
{
    char path[4200];
    if (!o->home || !*o->home)
        return jxta__reject(JXTA_EINVAL, "peer", "no home directory given");
    if (mkdir_p(o->home) < 0)
        return jxta__reject(JXTA_EIO, "peer", "cannot create home directory %s: %s", o->home,
                            strerror(errno));
    snprintf(path, sizeof path, "%s/%s", o->home, JXTA_PLATFORM_CONFIG_FILE);
    jxta_platform_config_default(pc);
    int rc = jxta_platform_config_load(path, pc);
    if (rc < 0 && rc != JXTA_ENOTFOUND)
        return jxta__reject(rc, "peer", "%s: %s (fix or remove it)", path, jxta_strerror(rc));
    if (o->name)
        snprintf(pc->name, sizeof pc->name, "%s", o->name);
    if (o->listen && !*o->listen) {
        pc->listen = 0;
    } else if (o->listen) {
        jxta_addr_t a;
        if ((rc = parse_tcp(o->listen, &a, pc->host, sizeof pc->host, &pc->port)) < 0)
            return rc;
        pc->listen = 1;
    }
    if (o->nseeds) {
        if (o->nseeds > JXTA_RDV_MAX_SEEDS)
            return jxta__reject(JXTA_EINVAL, "peer", "at most %d seeds", JXTA_RDV_MAX_SEEDS);
        for (size_t i = 0; i < o->nseeds; i++) {
            char host[64];
            uint16_t port;
            if ((rc = parse_tcp(o->seeds[i], &pc->seeds[i], host, sizeof host, &port)) < 0)
                return rc;
            if (port == 0)
                return jxta__reject(JXTA_EINVAL, "peer", "seed %s has no port", o->seeds[i]);
        }
        pc->nseeds = o->nseeds;
    }
    if (o->rendezvous >= 0)
        pc->role = o->rendezvous ? JXTA_RDV_RENDEZVOUS : JXTA_RDV_EDGE;
    if ((rc = jxta_platform_config_save(path, pc)) < 0)
        return jxta__reject(rc, "peer", "cannot save %s", path);
    return 0;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *loop_main(void *arg)
{
    jxta_peer_t *p = arg;
    jxta_loop_run(p->loop);
    return NULL;
}

static void peer_free_parts(jxta_peer_t *p)
{
    jxta_endpoint_free(p->ep);
    jxta_cm_close(p->cm);
    jxta_loop_free(p->loop);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

int jxta_peer_open(const jxta_peer_options_t *o, jxta_peer_t **out)
{
    jxta_peer_t *p = calloc(1, sizeof *p);
    if (!p)
        return JXTA_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = load_config(o, &p->pc);
    if (rc == 0)
        rc = jxta_loop_new(&p->loop);
    if (rc < 0) {
        peer_free_parts(p);
        return rc;
    }
    jxta_tcp_config_t tc;
    jxta_tcp_config_default(&tc);
    tc.peer_id = p->pc.peer_id;
    tc.listen = p->pc.listen;
    snprintf(tc.listen_host, sizeof tc.listen_host, "%s", p->pc.host);
    tc.listen_port = p->pc.port;
    if ((rc = jxta_endpoint_new(p->loop, &tc, &p->ep)) < 0) {
        jxta_log(JXTA_LOG_ERROR, "peer", "cannot start the TCP transport on %s:%u: %s",
                 p->pc.host, (unsigned)p->pc.port, jxta_strerror(rc));
        peer_free_parts(p);
        return rc;
    }
    if ((rc = jxta_cm_open(o->home, NULL, wall_ms(), &p->cm)) < 0) {
        jxta_log(JXTA_LOG_ERROR, "peer", "cannot open the cache in %s: %s", o->home,
                 jxta_strerror(rc));
        peer_free_parts(p);
        return rc;
    }
    jxta_group_config_t nc = o->net;
    nc.role = p->pc.role;
    memcpy(nc.seeds, p->pc.seeds, sizeof nc.seeds);
    nc.nseeds = p->pc.nseeds;
    if ((rc = jxta_group_new_net(p->ep, p->cm, p->pc.name, &nc, &p->net)) < 0) {
        jxta_log(JXTA_LOG_ERROR, "peer", "cannot start the Net group: %s", jxta_strerror(rc));
        peer_free_parts(p);
        return rc;
    }
    if (o->run_loop) {
        if (pthread_create(&p->thread, NULL, loop_main, p) != 0) {
            jxta_group_discard(p->net);
            peer_free_parts(p);
            return JXTA_ENOMEM;
        }
        p->has_thread = 1;
    }
    *out = p;
    return 0;
}

/* ---- running things on the loop ------------------------------------------ */

struct run_call {
    int (*fn)(void *);
    void *ud;
    int rc;
};

static void run_tramp(jxta_loop_t *loop, void *arg)
{
    (void)loop;
    struct run_call *c = arg;
    c->rc = c->fn(c->ud);
}

int jxta_peer_run(jxta_peer_t *p, int (*fn)(void *ud), void *ud, int timeout_ms)
{
    struct run_call c = {fn, ud, 0};
    int rc = jxta_loop_call(p->loop, run_tramp, &c, timeout_ms);
    return rc == JXTA_ERANGE ? JXTA_ETIMEDOUT : rc < 0 ? rc : c.rc;
}

/* Calls made inside a public call: generous, as the loop is normally idle. */
#define CALL_MS 10000

/* ---- shutdown ------------------------------------------------------------ */

static void leave_tree(jxta_group_t *g)
{
    while (jxta_group_child_count(g) > 0)
        leave_tree(jxta_group_child(g, jxta_group_child_count(g) - 1));
    jxta_group_leave(g);
}

static int shutdown_fn(void *ud)
{
    jxta_peer_t *p = ud;
    while (p->finders) { /* waiters are gone by now: close() is the last call */
        struct finder *f = p->finders;
        p->finders = f->next;
        jxta_peer_free_advs(f->advs, f->n);
        free(f);
    }
    if (p->net)
        leave_tree(p->net);
    p->net = NULL;
    while (p->hooks) {
        struct found_hook *h = p->hooks;
        p->hooks = h->next;
        free(h);
    }
    return 0;
}

/* Goodbyes are queued on sockets: give them a moment (bounded) to leave. */
static void flush_tick(jxta_timer_t *t)
{
    jxta_peer_t *p = t->data;
    if (jxta_tcp_queued_bytes(jxta_endpoint_tcp(p->ep)) == 0 ||
        jxta_loop_now(p->loop) >= p->flush_deadline) {
        jxta_loop_stop(p->loop);
        return;
    }
    jxta_timer_start(t, 20);
}

static void flush_start(jxta_loop_t *loop, void *arg)
{
    jxta_peer_t *p = arg;
    jxta_timer_init(loop, &p->flush, flush_tick);
    p->flush.data = p;
    p->flush_deadline = jxta_loop_now(loop) + 1000;
    jxta_timer_start(&p->flush, 0);
}

void jxta_peer_close(jxta_peer_t *p)
{
    if (!p)
        return;
    if (p->has_thread) {
        jxta_peer_run(p, shutdown_fn, p, -1);
        jxta_loop_call(p->loop, flush_start, p, -1);
        pthread_join(p->thread, NULL);
    } else {
        shutdown_fn(p);
        uint64_t deadline = jxta_loop_now(p->loop) + 1000;
        while (jxta_tcp_queued_bytes(jxta_endpoint_tcp(p->ep)) &&
               jxta_loop_now(p->loop) < deadline)
            jxta_loop_run_once(p->loop, 50);
    }
    peer_free_parts(p);
}

/* ---- accessors ------------------------------------------------------------ */

jxta_loop_t *jxta_peer_loop(jxta_peer_t *p)
{
    return p->loop;
}

jxta_endpoint_t *jxta_peer_endpoint(jxta_peer_t *p)
{
    return p->ep;
}

jxta_group_t *jxta_peer_net_group(jxta_peer_t *p)
{
    return p->net;
}

const jxta_id_t *jxta_peer_id(const jxta_peer_t *p)
{
    return &p->pc.peer_id;
}

const char *jxta_peer_name(const jxta_peer_t *p)
{
    return p->pc.name;
}

/* ---- waiting for a lease ----------------------------------------------------- */

struct connected_arg {
    jxta_group_t *g;
};

static int connected_fn(void *ud)
{
    return jxta_group_connected(((struct connected_arg *)ud)->g);
}

/* Sleep `ms` on the peer's condition (woken early by any signal). */
static void nap(jxta_peer_t *p, int ms)
{
    struct timespec until;
    jxta__deadline_after(&until, ms);
    pthread_mutex_lock(&p->mu);
    pthread_cond_timedwait(&p->cv, &p->mu, &until);
    pthread_mutex_unlock(&p->mu);
}

int jxta_peer_wait_rdv(jxta_peer_t *p, jxta_group_t *g, int timeout_ms)
{
    struct connected_arg a = {g};
    struct timespec end;
    jxta__deadline_after(&end, timeout_ms);
    for (;;) {
        int rc = jxta_peer_run(p, connected_fn, &a, CALL_MS);
        if (rc != 0)
            return rc < 0 ? rc : 0;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (timeout_ms >= 0 && (now.tv_sec > end.tv_sec ||
                                (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)))
            return JXTA_ETIMEDOUT;
        nap(p, 20);
    }
}

/* ---- groups ------------------------------------------------------------------ */

struct group_call {
    jxta_group_t *parent, *g;
    const jxta_id_t *gid;
    const char *name, *desc;
    const char *const *logins;
    const jxta_adv_t *pga;
    const jxta_group_config_t *cfg;
    jxta_adv_t *out_pga;
};

static int create_fn(void *ud)
{
    struct group_call *c = ud;
    int rc = jxta_group_create_pga(c->parent, c->gid, c->name, c->desc, c->logins, &c->out_pga);
    if (rc == 0 && (rc = jxta_group_publish_pga(c->parent, c->out_pga)) < 0) {
        jxta_adv_free(c->out_pga);
        c->out_pga = NULL;
    }
    return rc;
}

int jxta_peer_create_group(jxta_peer_t *p, jxta_group_t *parent, const jxta_id_t *gid,
                           const char *name, const char *desc, const char *const *logins,
                           jxta_adv_t **pga)
{
    struct group_call c = {.parent = parent, .gid = gid, .name = name, .desc = desc,
                           .logins = logins};
    int rc = jxta_peer_run(p, create_fn, &c, CALL_MS);
    if (rc == 0)
        *pga = c.out_pga;
    return rc;
}

static int join_fn(void *ud)
{
    struct group_call *c = ud;
    return jxta_group_join(c->parent, c->pga, c->cfg, &c->g);
}

int jxta_peer_join(jxta_peer_t *p, jxta_group_t *parent, const jxta_adv_t *pga,
                   const jxta_group_config_t *cfg, jxta_group_t **out)
{
    struct group_call c = {.parent = parent, .pga = pga, .cfg = cfg};
    int rc = jxta_peer_run(p, join_fn, &c, CALL_MS);
    if (rc == 0)
        *out = c.g;
    return rc;
}

static int leave_fn(void *ud)
{
    return jxta_group_leave(((struct group_call *)ud)->g);
}

int jxta_peer_leave(jxta_peer_t *p, jxta_group_t *g)
{
    struct group_call c = {.g = g};
    return jxta_peer_run(p, leave_fn, &c, CALL_MS);
}

/* ---- discovery --------------------------------------------------------------- */

struct disc_call {
    jxta_peer_t *p;
    jxta_group_t *g;
    const jxta_adv_t *adv;
    int remote, type, threshold;
    const char *attr, *value;
    struct finder *f;
};

static int publish_fn(void *ud)
{
    struct disc_call *c = ud;
    jxta_discovery_t *d = jxta_group_discovery(c->g);
    if (!d)
        return JXTA_EINVAL;
    int rc = jxta_discovery_publish(d, c->adv, JXTA_CM_DEFAULT_LIFETIME_MS,
                                    JXTA_CM_DEFAULT_EXPIRATION_MS);
    if (rc == 0 && c->remote)
        rc = jxta_discovery_remote_publish(d, c->adv, JXTA_CM_DEFAULT_EXPIRATION_MS);
    /* An edge without a lease cannot push yet: the SRDI push after the
     * lease carries the index, so that is not an error. */
    return rc == JXTA_EUNREACH ? 0 : rc;
}

int jxta_peer_publish(jxta_peer_t *p, jxta_group_t *g, const jxta_adv_t *adv, int remote)
{
    struct disc_call c = {.p = p, .g = g, .adv = adv, .remote = remote};
    return jxta_peer_run(p, publish_fn, &c, CALL_MS);
}

static int has_adv(const struct finder *f, const jxta_adv_t *adv)
{
    jxta_id_t a, b;
    int has_id = jxta_adv_id(adv, &a) == 0;
    for (size_t i = 0; i < f->n; i++) {
        if (has_id ? (jxta_adv_id(f->advs[i], &b) == 0 && jxta_id_equal(&a, &b))
                   : jxta_adv_equal(adv, f->advs[i]))
            return 1;
    }
    return 0;
}

/* The group's discovery answers, handed to whichever finder asked. */
static void on_found(void *ud, int type, const char *xml, size_t len, const jxta_id_t *from,
                     long qid)
{
    (void)type;
    (void)from;
    struct found_hook *h = ud;
    jxta_peer_t *p = h->p;
    for (struct finder *f = p->finders; f; f = f->next) {
        int mine = 0;
        if (f->group != h->g)
            continue;
        for (size_t i = 0; i < f->nqids; i++)
            mine |= f->qids[i] == qid;
        if (!mine)
            continue;
        jxta_adv_t *adv = NULL;
        if (jxta_adv_parse(xml, len, &adv) < 0)
            return;
        pthread_mutex_lock(&p->mu);
        if (f->n < f->want && !has_adv(f, adv)) {
            if (f->n == f->cap) {
                size_t cap = f->cap ? f->cap * 2 : 8;
                jxta_adv_t **v = realloc(f->advs, cap * sizeof *v);
                if (v) {
                    f->advs = v;
                    f->cap = cap;
                }
            }
            if (f->n < f->cap) {
                f->advs[f->n++] = adv;
                adv = NULL;
            }
            pthread_cond_broadcast(&p->cv);
        }
        pthread_mutex_unlock(&p->mu);
        jxta_adv_free(adv);
        return;
    }
}

static int ask_fn(void *ud)
{
    struct disc_call *c = ud;
    jxta_discovery_t *d = jxta_group_discovery(c->g);
    if (!d)
        return JXTA_EINVAL;
    if (!c->f) {
        c->f = calloc(1, sizeof *c->f);
        if (!c->f)
            return JXTA_ENOMEM;
        c->f->group = c->g;
        c->f->want = (size_t)c->threshold;
        c->f->next = c->p->finders;
        c->p->finders = c->f;
        struct found_hook *h = c->p->hooks;
        while (h && h->g != c->g)
            h = h->next;
        if (!h) {
            if (!(h = calloc(1, sizeof *h)))
                return JXTA_ENOMEM;
            h->p = c->p;
            h->g = c->g;
            h->next = c->p->hooks;
            c->p->hooks = h;
        }
        jxta_discovery_on_found(d, on_found, h);
    }
    long qid = 0;
    int rc = jxta_discovery_query(d, c->type, c->attr, c->value, c->threshold, NULL, &qid);
    if (rc == 0) {
        if (c->f->nqids == MAX_QIDS) /* keep the newest */
            memmove(c->f->qids, c->f->qids + 1, (MAX_QIDS - 1) * sizeof c->f->qids[0]);
        else
            c->f->nqids++;
        c->f->qids[c->f->nqids - 1] = qid;
    }
    /* Not yet leased: the next ask may get through. */
    return rc == JXTA_EUNREACH ? 0 : rc;
}

static int unask_fn(void *ud)
{
    struct disc_call *c = ud;
    for (struct finder **pp = &c->p->finders; *pp; pp = &(*pp)->next)
        if (*pp == c->f) {
            *pp = c->f->next;
            break;
        }
    return 0;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int jxta_peer_discover(jxta_peer_t *p, jxta_group_t *g, int type, const char *attr,
                       const char *value, size_t want, int timeout_ms, jxta_adv_t ***advs,
                       size_t *n)
{
    return jxta_peer_discover_settle(p, g, type, attr, value, want, want, 0, timeout_ms, advs,
                                     n);
}

/* Ask again (see REASK_FIRST_MS: a rendezvous may have come up meanwhile)
 * and collect answers until `want`, or `enough` and settle_ms of quiet, or the
 * time-out. */
int jxta_peer_discover_settle(jxta_peer_t *p, jxta_group_t *g, int type, const char *attr,
                              const char *value, size_t want, size_t enough, int settle_ms,
                              int timeout_ms, jxta_adv_t ***advs, size_t *n)
{
    if (type < 0 || type > 2 || want == 0 || want > 10000 || timeout_ms < 0 || settle_ms < 0)
        return jxta__reject(JXTA_EINVAL, "peer", "discover: bad type, count or time-out");
    if (enough == 0)
        enough = 1;
    struct disc_call c = {.p = p, .g = g, .type = type, .attr = attr, .value = value,
                          .threshold = (int)want};
    struct timespec end, next, quiet_end = {0, 0};
    jxta__deadline_after(&end, timeout_ms);
    size_t seen = 0;
    int rc = 0, reask = REASK_FIRST_MS;
    for (;;) {
        rc = jxta_peer_run(p, ask_fn, &c, CALL_MS);
        if (rc < 0)
            break;
        jxta__deadline_after(&next, reask);
        reask = reask * 2 < REASK_MS ? reask * 2 : REASK_MS;
        if (ts_before(&end, &next))
            next = end;
        pthread_mutex_lock(&p->mu);
        int timed_out = 0, settled = 0;
        size_t got;
        for (;;) {
            got = c.f->n;
            if (got != seen) { /* a new answer: the quiet period starts again */
                seen = got;
                jxta__deadline_after(&quiet_end, settle_ms);
            }
            if (got >= want)
                break;
            const struct timespec *wake = &next;
            if (settle_ms > 0 && got >= enough) {
                struct timespec now;
                jxta__deadline_after(&now, 0);
                if (!ts_before(&now, &quiet_end)) {
                    settled = 1;
                    break;
                }
                if (ts_before(&quiet_end, &next))
                    wake = &quiet_end;
            }
            if (pthread_cond_timedwait(&p->cv, &p->mu, wake) == ETIMEDOUT && wake == &next) {
                timed_out = 1;
                break;
            }
        }
        pthread_mutex_unlock(&p->mu);
        if (got >= want || settled || (timed_out && !ts_before(&next, &end)))
            break;
    }
    if (c.f) {
        /* withdraw the finder on the loop (it may still be receiving) */
        if (jxta_peer_run(p, unask_fn, &c, -1) == 0) {
            *advs = c.f->advs;
            *n = c.f->n;
            free(c.f);
            if (rc == 0 && *n == 0)
                rc = JXTA_ETIMEDOUT;
            if (rc < 0) {
                jxta_peer_free_advs(*advs, *n);
                *advs = NULL;
                *n = 0;
            }
            return rc;
        }
    }
    *advs = NULL;
    *n = 0;
    return rc < 0 ? rc : JXTA_ETIMEDOUT;
}

void jxta_peer_free_advs(jxta_adv_t **advs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        jxta_adv_free(advs[i]);
    free(advs);
}

/* ---- pipes --------------------------------------------------------------------- */

struct pipe_call {
    jxta_group_t *g;
    const jxta_adv_t *adv;
    jxta_input_pipe_t *ip;
    jxta_output_pipe_t *op;
};

static int open_input_fn(void *ud)
{
    struct pipe_call *c = ud;
    jxta_pipes_t *ps = jxta_group_pipes(c->g);
    return ps ? jxta_input_pipe_open_adv(ps, c->adv, NULL, NULL, &c->ip) : JXTA_EINVAL;
}

int jxta_peer_open_input(jxta_peer_t *p, jxta_group_t *g, const jxta_adv_t *pipe_adv,
                         jxta_input_pipe_t **out)
{
    struct pipe_call c = {.g = g, .adv = pipe_adv};
    int rc = jxta_peer_run(p, open_input_fn, &c, CALL_MS);
    if (rc == 0)
        *out = c.ip;
    return rc;
}

static int open_output_fn(void *ud)
{
    struct pipe_call *c = ud;
    jxta_pipes_t *ps = jxta_group_pipes(c->g);
    return ps ? jxta_output_pipe_open_adv(ps, c->adv, NULL, NULL, &c->op) : JXTA_EINVAL;
}

static int close_output_fn(void *ud)
{
    jxta_output_pipe_close(((struct pipe_call *)ud)->op);
    return 0;
}

static int close_input_fn(void *ud)
{
    jxta_input_pipe_close(((struct pipe_call *)ud)->ip);
    return 0;
}

int jxta_peer_open_output(jxta_peer_t *p, jxta_group_t *g, const jxta_adv_t *pipe_adv,
                          int timeout_ms, jxta_output_pipe_t **out)
{
    struct pipe_call c = {.g = g, .adv = pipe_adv};
    int rc = jxta_peer_run(p, open_output_fn, &c, CALL_MS);
    if (rc < 0)
        return rc;
    const char *type = jxta_pipe_adv_type(pipe_adv);
    if (!type || strcmp(type, JXTA_PIPE_PROPAGATE) != 0) {
        rc = jxta_output_pipe_wait_bound(c.op, timeout_ms);
        if (rc < 0) {
            jxta_peer_run(p, close_output_fn, &c, -1);
            return rc;
        }
    }
    *out = c.op;
    return 0;
}

void jxta_peer_close_input(jxta_peer_t *p, jxta_input_pipe_t *ip)
{
    struct pipe_call c = {.ip = ip};
    jxta_peer_run(p, close_input_fn, &c, -1);
}

void jxta_peer_close_output(jxta_peer_t *p, jxta_output_pipe_t *op)
{
    struct pipe_call c = {.op = op};
    jxta_peer_run(p, close_output_fn, &c, -1);
}
