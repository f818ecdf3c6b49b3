/* juxmem/client.c - the public calls of juxmem.h on a running JuxMem peer.
 *
 * Each block this peer allocated or attached has a juxmem_blk_t on the
 * loop thread, holding the client state machine (and, while an allocation
 * or free runs, the requester).  A public call starts its operation on the
 * loop (jxta_peer_run), then sleeps on the peer's condition variable until
 * the loop sees the state machine idle again (after a message or a tick)
 * and posts the result in the block - at most the options' time-out plus
 * a margin, as the state machines give up by themselves in time.
 *
 * Allocation: the client reads the cluster advertisements of the juxmem
 * group (its own cluster first), asks each cluster's manager with a
 * "JuxMemAlloc" resolver query for `providers` providers until `clusters`
 * clusters have answered with enough, then reserves on all of them with
 * the requester of block.h; a JUXMEM_ENOSPACE (a race with another
 * allocation) is retried once with a fresh choice.  Asking the managers
 * from the client, rather than one manager forwarding to the others,
 * keeps every manager's answer local and lets the client skip a cluster
 * whose manager is gone.  Attach finds the block's jxta:JuxMemData
 * advertisement by its Id.  Stat asks a copy ("JuxMemStat"), which
 * redirects to the sequencer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service.h"

#define MARGIN_MS 3000
#define SPIN_NS 200000L /* see spin_for_answer */
#define ASK_EVERY_MS 1500
#define ALLOC_WAIT_MS 5000

void juxmem_attr_default(juxmem_attr_t *a)
{
    memset(a, 0, sizeof *a);
    a->consistency = JUXMEM_CONSISTENCY_SEQUENTIAL;
}

juxmem_blk_t *juxmem__blk_find(juxmem_t *j, const jxta_id_t *id)
{
    for (juxmem_blk_t *b = j->blocks; b; b = b->next)
        if (jxta_id_equal(&b->id, id))
            return b;
    return NULL;
}

static juxmem_blk_t *blk_add(juxmem_t *j, const jxta_id_t *id)
{
    juxmem_blk_t *b = juxmem__blk_find(j, id);
    if (b)
        return b;
    if (!(b = calloc(1, sizeof *b)))
        return NULL;
    if (pthread_mutex_init(&b->smu, NULL) != 0) {
        free(b);
        return NULL;
    }
    b->j = j;
    b->id = *id;
    juxmem_attr_default(&b->attr);
    pthread_mutex_lock(&j->mu);
    b->next = j->blocks;
    j->blocks = b;
    pthread_mutex_unlock(&j->mu);
    return b;
}

/* Application thread: the block if this peer knows it (blocks stay until
 * juxmem_close, so the pointer stays valid). */
static juxmem_blk_t *blk_lookup(juxmem_t *j, const jxta_id_t *id)
{
    pthread_mutex_lock(&j->mu);
    juxmem_blk_t *b = j->blocks;
    while (b && !jxta_id_equal(&b->id, id))
        b = b->next;
    pthread_mutex_unlock(&j->mu);
    return b;
}

/* Application thread: 1 if the block is known here with its client state
 * machine, JUXMEM_EFREED if freed, 0 if it must be attached first. */
static int blk_usable(juxmem_t *j, juxmem_blk_t *b)
{
    pthread_mutex_lock(&j->mu);
    int rc = b->usable;
    pthread_mutex_unlock(&j->mu);
    return rc;
}

/* Loop, with smu: mirror the block's state for blk_usable. */
static void set_usable(juxmem_t *j, juxmem_blk_t *b)
{
    pthread_mutex_lock(&j->mu);
    b->usable = b->freed ? JUXMEM_EFREED : b->client != NULL;
    pthread_mutex_unlock(&j->mu);
}

/* Loop: the application's operation is over with `result`. */
static void complete(juxmem_t *j, juxmem_blk_t *b, int result)
{
    b->app_op = 0;
    pthread_mutex_lock(&j->mu);
    int wake = b->waiting && !b->done;
    if (wake) {
        b->result = result;
        __atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&j->mu);
    if (wake)
        j->wake_pending = 1;
}

/* Loop: signal the results complete() posted.  Called once the loop lets
 * go of the block's locks, so the woken thread does not run straight into
 * a mutex the loop still holds (two more thread switches per result). */
static void flush_wake(juxmem_t *j)
{
    if (j->wake_pending) {
        j->wake_pending = 0;
        pthread_cond_broadcast(&j->cv);
    }
}

static void start_release(juxmem_t *j, juxmem_blk_t *b)
{
    juxmem_out_t out;
    juxmem_out_init(&out);
    b->pend_release = 0;
    if (b->lost) { /* the renewal found the lock gone */
        b->lost = 0;
        complete(j, b, JUXMEM_ESTALE);
        return;
    }
    int rc = juxmem_client_release(b->client, juxmem__now(j), (uint64_t)j->o.timeout_ms, &out);
    juxmem__send_out(j, &out);
    if (rc < 0)
        complete(j, b, rc);
}

/* Loop: after a message or a tick, see whether the block's machine is idle
 * again: a renewal ended (a waiting release starts), or the application's
 * operation is over. */
static void check_done(juxmem_t *j, juxmem_blk_t *b)
{
    int busy = b->fan ? juxmem_fanout_busy(b->fan) : b->client && juxmem_client_busy(b->client);
    if (busy)
        return;
    if (b->renewing && b->client) {
        b->renewing = 0;
        if (juxmem_client_result(b->client) < 0 && !juxmem_client_held(b->client))
            b->lost = 1;
        pthread_mutex_lock(&j->mu); /* readers and writers waited for it */
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
        if (b->pend_release) {
            start_release(j, b);
            return;
        }
    }
    if (!b->app_op)
        return;
    if (b->client && juxmem_client_held(b->client))
        b->granted = juxmem_client_lease_left(b->client, juxmem__now(j));
    complete(j, b, b->fan ? juxmem_fanout_result(b->fan)
                          : b->client ? juxmem_client_result(b->client) : JUXMEM_ENODATA);
}

/* Loop: a held lock is renewed when half its lease is gone, so that only a
 * holder that died loses it. */
static void maybe_renew(juxmem_t *j, juxmem_blk_t *b, uint64_t now, juxmem_out_t *out)
{
    if (!b->client || b->app_op || b->renewing || juxmem_client_busy(b->client) ||
        !juxmem_client_held(b->client))
        return;
    uint64_t half = b->granted / 2;
    if (juxmem_client_lease_left(b->client, now) > half)
        return;
    if (juxmem_client_renew(b->client, now, half ? half : 1, out) == 0)
        b->renewing = 1;
}

void juxmem__client_msg(juxmem_t *j, const juxmem_pmsg_t *m)
{
    if (m->type == JUXMEM_MSG_ALLOC_REPLY && juxmem__repair_msg(j, m))
        return;
    juxmem_blk_t *b = juxmem__blk_find(j, &m->data);
    if (!b)
        return;
    juxmem_out_t out;
    juxmem_out_init(&out);
    uint64_t now = juxmem__now(j);
    pthread_mutex_lock(&b->smu);
    if (m->type == JUXMEM_MSG_ALLOC_REPLY || m->type == JUXMEM_MSG_FREED) {
        if (b->fan)
            juxmem_fanout_handle(b->fan, m, now, &out);
    } else if (b->client) {
        juxmem_client_handle(b->client, m, now, &out);
    }
    juxmem__send_out(j, &out);
    check_done(j, b);
    pthread_mutex_unlock(&b->smu);
    flush_wake(j);
}

void juxmem__client_tick(juxmem_t *j, uint64_t now)
{
    juxmem_out_t out;
    juxmem_out_init(&out);
    for (juxmem_blk_t *b = j->blocks; b; b = b->next) {
        pthread_mutex_lock(&b->smu);
        if (b->fan)
            juxmem_fanout_tick(b->fan, now, &out);
        if (b->client) {
            juxmem_client_tick(b->client, now, &out);
            maybe_renew(j, b, now, &out);
        }
        juxmem__send_out(j, &out);
        if (b->fan || b->client)
            check_done(j, b);
        pthread_mutex_unlock(&b->smu);
    }
    flush_wake(j);
}

void juxmem__client_peer_gone(juxmem_t *j, const jxta_id_t *peer, uint64_t now)
{
    /* a question waiting for that peer's answer waits no longer, nor one
     * asked later (the list it was chosen from may predate the verdict) */
    j->gone_ring[j->gone_next] = *peer;
    j->gone_at[j->gone_next] = now;
    j->gone_next = (j->gone_next + 1) % (sizeof j->gone_ring / sizeof j->gone_ring[0]);
    if (j->ngone < sizeof j->gone_ring / sizeof j->gone_ring[0])
        j->ngone++;
    int woke = 0;
    pthread_mutex_lock(&j->mu);
    for (juxmem_pending_t *p = j->pend; p; p = p->next)
        if (!p->done && !p->gone && jxta_id_equal(&p->dest, peer))
            p->gone = woke = 1;
    if (woke)
        pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    juxmem_out_t out;
    juxmem_out_init(&out);
    for (juxmem_blk_t *b = j->blocks; b; b = b->next) {
        if (!b->client)
            continue;
        pthread_mutex_lock(&b->smu);
        juxmem_client_peer_gone(b->client, peer, now, &out);
        juxmem__send_out(j, &out);
        pthread_mutex_unlock(&b->smu);
    }
}

void juxmem__client_stop(juxmem_t *j)
{
    for (;;) {
        pthread_mutex_lock(&j->mu);
        juxmem_blk_t *b = j->blocks;
        if (b)
            j->blocks = b->next;
        pthread_mutex_unlock(&j->mu);
        if (!b)
            break;
        juxmem_client_free(b->client);
        juxmem_fanout_free_op(b->fan);
        pthread_mutex_destroy(&b->smu);
        free(b);
    }
    while (j->pend) {
        juxmem_pending_t *p = j->pend;
        j->pend = p->next;
        free(p->answer);
        free(p);
    }
}

/* ---- waiting ------------------------------------------------------------------------ */

static int deadline_passed(const struct timespec *end)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > end->tv_sec || (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Most answers come back within a few network hops, and a futex wake-up
 * costs about as much as a hop: spin up to SPIN_NS before sleeping - while
 * answers keep coming that fast (after a slow one, a few waits sleep at
 * once, so a busy or overloaded peer does not burn a core for nothing). */
static int spin_skip; /* waits left to make without spinning (any thread) */

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void spin_for_answer(juxmem_blk_t *b)
{
    if (__atomic_load_n(&spin_skip, __ATOMIC_RELAXED) > 0) {
        __atomic_fetch_sub(&spin_skip, 1, __ATOMIC_RELAXED);
        return;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 1;; i++) {
        if (__atomic_load_n(&b->done, __ATOMIC_ACQUIRE))
            return;
        if (i % 64 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) > SPIN_NS)
                break;
        }
        cpu_relax();
    }
    __atomic_store_n(&spin_skip, 16, __ATOMIC_RELAXED);
}

/* Wait for the block's operation (started with waiting = 1). */
static int wait_blk(juxmem_t *j, juxmem_blk_t *b, int timeout_ms)
{
    struct timespec end;
    deadline_after(&end, timeout_ms);
    spin_for_answer(b);
    pthread_mutex_lock(&j->mu);
    int timed_out = 0;
    while (!b->done && !timed_out && !j->closing)
        timed_out = pthread_cond_timedwait(&j->cv, &j->mu, &end) == ETIMEDOUT;
    int rc = b->done ? b->result : JXTA_ETIMEDOUT;
    b->waiting = 0;
    b->done = 0;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return rc;
}

static void arm(juxmem_t *j, juxmem_blk_t *b)
{
    pthread_mutex_lock(&j->mu);
    b->waiting = 1;
    b->done = 0;
    pthread_mutex_unlock(&j->mu);
}

static void disarm(juxmem_t *j, juxmem_blk_t *b)
{
    pthread_mutex_lock(&j->mu);
    b->waiting = 0;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

/* Application thread: one operation at a time per block and peer (the
 * client state machine runs one); later callers wait their turn.  An
 * acquire (lock = 1) also waits until no other thread of this peer holds
 * the block's lock: the peer holds one lock per block, so its threads
 * take turns in front of it. */
static int claim(juxmem_t *j, juxmem_blk_t *b, int lock, int timeout_ms)
{
    struct timespec end;
    deadline_after(&end, timeout_ms);
    pthread_mutex_lock(&j->mu);
    int timed_out = 0;
    while ((b->waiting || (lock && b->app_held)) && !timed_out && !j->closing)
        timed_out = pthread_cond_timedwait(&j->cv, &j->mu, &end) == ETIMEDOUT;
    int rc = 0;
    if (b->waiting || (lock && b->app_held))
        rc = lock && !b->waiting ? JUXMEM_ELOCKTIMEOUT : JXTA_ETIMEDOUT;
    if (rc == 0) {
        b->waiting = 1;
        b->done = 0;
        if (lock)
            b->app_held = 1;
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

static void set_held(juxmem_t *j, juxmem_blk_t *b, int held)
{
    pthread_mutex_lock(&j->mu);
    b->app_held = held;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

/* ---- resolver questions ------------------------------------------------------------- */

void juxmem__on_response(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp,
                         const jxta_id_t *from)
{
    (void)r;
    juxmem_t *j = ud;
    for (juxmem_pending_t *p = j->pend; p; p = p->next) {
        int mine = 0;
        for (size_t i = 0; i < p->nqids && !mine; i++)
            mine = p->qids[i] == rsp->qid;
        if (!mine)
            continue;
        pthread_mutex_lock(&j->mu);
        if (!p->done && rsp->response) {
            p->answer = strdup(rsp->response);
            p->done = p->answer != NULL;
            if (from)
                p->from = *from;
            pthread_cond_broadcast(&j->cv);
        }
        pthread_mutex_unlock(&j->mu);
        return;
    }
}

/* How long a question asked after the verdict on its peer still takes
 * it as ended (the list it was chosen from may predate the verdict by the
 * few seconds a stat or an allocation lasts); a peer restarted with the
 * same ID is asked normally after that. */
#define GONE_MEMORY_MS 5000

struct ask_call {
    juxmem_t *j;
    const char *handler, *text;
    jxta_id_t dest;
    juxmem_pending_t *p;
};

static int ask_fn(void *ud)
{
    struct ask_call *c = ud;
    if (!c->p) {
        if (!(c->p = calloc(1, sizeof *c->p)))
            return JXTA_ENOMEM;
        c->p->dest = c->dest;
        c->p->next = c->j->pend;
        c->j->pend = c->p;
        uint64_t now = juxmem__now(c->j);
        for (size_t i = 0; i < c->j->ngone; i++)
            if (now - c->j->gone_at[i] < GONE_MEMORY_MS &&
                jxta_id_equal(&c->j->gone_ring[i], &c->dest)) { /* ended already */
                pthread_mutex_lock(&c->j->mu);
                c->p->gone = 1;
                pthread_mutex_unlock(&c->j->mu);
                return 0;
            }
    }
    long qid = 0;
    int rc = jxta_resolver_query(jxta_group_resolver(c->j->jm), c->handler, c->text, &c->dest,
                                 &qid);
    if (rc == 0) {
        if (c->p->nqids == 16)
            memmove(c->p->qids, c->p->qids + 1, 15 * sizeof c->p->qids[0]);
        else
            c->p->nqids++;
        c->p->qids[c->p->nqids - 1] = qid;
    }
    return rc == JXTA_EUNREACH ? 0 : rc;
}

static int unask_fn(void *ud)
{
    struct ask_call *c = ud;
    for (juxmem_pending_t **pp = &c->j->pend; *pp; pp = &(*pp)->next)
        if (*pp == c->p) {
            *pp = c->p->next;
            break;
        }
    return 0;
}

/* Ask `dest` a resolver question; *answer (malloc'd) gets the response.
 * JXTA_ETIMEDOUT when nobody answered, JXTA_EUNREACH at once when the
 * endpoint says `dest` ended meanwhile (juxmem__client_peer_gone). */
static int ask(juxmem_t *j, const char *handler, const char *text, const jxta_id_t *dest,
               int timeout_ms, char **answer)
{
    struct ask_call c = {.j = j, .handler = handler, .text = text, .dest = *dest};
    struct timespec end;
    deadline_after(&end, timeout_ms);
    int rc = 0;
    *answer = NULL;
    for (;;) {
        if ((rc = jxta_peer_run(j->peer, ask_fn, &c, 10000)) < 0)
            break;
        struct timespec next;
        deadline_after(&next, ASK_EVERY_MS);
        if (next.tv_sec > end.tv_sec || (next.tv_sec == end.tv_sec && next.tv_nsec > end.tv_nsec))
            next = end;
        pthread_mutex_lock(&j->mu);
        int timed_out = 0;
        while (!c.p->done && !c.p->gone && !timed_out && !j->closing)
            timed_out = pthread_cond_timedwait(&j->cv, &j->mu, &next) == ETIMEDOUT;
        int done = c.p->done, stop = j->closing, gone = c.p->gone;
        pthread_mutex_unlock(&j->mu);
        if (gone && !done)
            rc = JXTA_EUNREACH;
        if (done || gone || stop || deadline_passed(&end))
            break;
    }
    if (c.p && jxta_peer_run(j->peer, unask_fn, &c, -1) == 0) {
        if (rc == 0 && c.p->done)
            *answer = c.p->answer;
        else
            free(c.p->answer);
        if (rc == 0 && !c.p->done)
            rc = JXTA_ETIMEDOUT;
        free(c.p);
    }
    return rc;
}


/* ---- the texts of the JuxMemAlloc and JuxMemStat exchanges --------------------------- */

/* Resolver payloads come from the network: parsed strictly (decimal
 * digits only, bounded counts, valid IDs and cluster names), anything
 * else refused with JXTA_EPROTO and a log line. */

static const char *take_u64(const char *p, uint64_t *v)
{
    uint64_t x = 0;
    if (*p < '0' || *p > '9')
        return NULL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return NULL;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    *v = x;
    return p;
}

/* A status: "0" or a negative code (at most 4 digits). */
static const char *take_status(const char *p, int *status)
{
    int neg = *p == '-';
    uint64_t v;
    const char *e = take_u64(p + neg, &v);
    if (!e || v > 9999 || (!neg && v != 0))
        return NULL;
    *status = neg ? -(int)v : 0;
    return e;
}

/* One '\n'-terminated (or final) line starting at p into buf; NULL when too long. */
static const char *take_line(const char *p, char *buf, size_t cap)
{
    size_t n = strcspn(p, "\n");
    if (n >= cap)
        return NULL;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return p[n] ? p + n + 1 : p + n;
}

static int bad_text(const char *what)
{
    jxta_log(JXTA_LOG_WARN, "juxmem", "malformed %s: refused", what);
    return JXTA_EPROTO;
}

int juxmem__parse_alloc_query(const char *text, uint64_t *size, unsigned *want)
{
    uint64_t s, w;
    const char *p = text ? take_u64(text, &s) : NULL;
    if (!p || *p++ != ' ' || !(p = take_u64(p, &w)) || *p || s == 0 || w == 0 ||
        w > JUXMEM_MAX_COPIES)
        return bad_text("allocation query");
    *size = s;
    *want = (unsigned)w;
    return 0;
}

int juxmem__parse_alloc_answer(const char *text, juxmem_member_t *out, size_t cap, size_t *n)
{
    int status;
    char line[JXTA_ID_TEXT_MAX + 8];
    *n = 0;
    const char *p = text ? take_status(text, &status) : NULL;
    if (!p)
        return bad_text("allocation answer");
    if (status < 0)
        return *p ? bad_text("allocation answer") : status;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1];
    jxta_id_t gid;
    if (*p++ != ' ' || !(p = take_line(p, cluster, sizeof cluster)))
        return bad_text("allocation answer");
    if (juxmem_cluster_group_id(cluster, &gid) < 0)
        return bad_text("allocation answer (cluster)");
    while (*p) {
        if (*n == cap || !(p = take_line(p, line, sizeof line)))
            return bad_text("allocation answer (providers)");
        juxmem_member_t *m = &out[*n];
        memset(m, 0, sizeof *m);
        if (jxta_id_from_string(&m->peer, line) < 0 || jxta_id_kind(&m->peer) != JXTA_ID_PEER)
            return bad_text("allocation answer (peer ID)");
        for (size_t k = 0; k < *n; k++)
            if (jxta_id_equal(&out[k].peer, &m->peer))
                return bad_text("allocation answer (a provider twice)");
        snprintf(m->cluster, sizeof m->cluster, "%s", cluster);
        (*n)++;
    }
    return *n ? 0 : bad_text("allocation answer (no provider)");
}

int juxmem__parse_stat_answer(const char *text, juxmem_stat_t *st, jxta_id_t *redirect)
{
    char line[JXTA_ID_TEXT_MAX + JUXMEM_CLUSTER_NAME_MAX + 8];
    if (!text)
        return bad_text("stat answer");
    if (text[0] == 'R' && text[1] == ' ') {
        if (jxta_id_from_string(redirect, text + 2) < 0 || jxta_id_kind(redirect) != JXTA_ID_PEER)
            return bad_text("stat redirect");
        return 1;
    }
    int status;
    const char *p = take_status(text, &status);
    if (!p)
        return bad_text("stat answer");
    if (status < 0)
        return *p ? bad_text("stat answer") : status;
    uint64_t v[5], w[3];
    for (int i = 0; i < 5; i++)
        if (*p++ != ' ' || !(p = take_u64(p, &v[i])))
            return bad_text("stat answer (numbers)");
    if (*p++ != ' ' || !(p = take_line(p, line, sizeof line)) || v[2] > 2 ||
        v[4] > JUXMEM_MAX_COPIES)
        return bad_text("stat answer");
    /* the holder line ends with the term, repair and quorum flags */
    char *tail = strchr(line, ' ');
    const char *q = tail;
    for (int i = 0; i < 3; i++)
        if (!q || *q++ != ' ' || !(q = take_u64(q, &w[i])))
            return bad_text("stat answer (term)");
    if (*q || w[0] > UINT32_MAX || w[1] > 1 || w[2] > 1)
        return bad_text("stat answer (term)");
    *tail = '\0';
    st->epoch = w[0];
    st->repairing = (int)w[1];
    st->why = w[2] ? 0 : JUXMEM_ENOQUORUM;
    st->size = v[0];
    st->version = v[1];
    st->locked = (int)v[2];
    st->lease_left_ms = v[3];
    memset(&st->lock_holder, 0, sizeof st->lock_holder);
    if (st->locked == 1 && (jxta_id_from_string(&st->lock_holder, line) < 0 ||
                            jxta_id_kind(&st->lock_holder) != JXTA_ID_PEER))
        return bad_text("stat answer (holder)");
    st->ncopies = 0;
    while (*p) {
        if (st->ncopies == v[4] || !(p = take_line(p, line, sizeof line)))
            return bad_text("stat answer (copies)");
        char *sp = strchr(line, ' ');
        if (!sp)
            return bad_text("stat answer (copy)");
        *sp = '\0';
        jxta_id_t gid;
        if (jxta_id_from_string(&st->copies[st->ncopies], line) < 0 ||
            jxta_id_kind(&st->copies[st->ncopies]) != JXTA_ID_PEER ||
            (strcmp(sp + 1, "-") != 0 && juxmem_cluster_group_id(sp + 1, &gid) < 0))
            return bad_text("stat answer (copy)");
        snprintf(st->copy_cluster[st->ncopies], sizeof st->copy_cluster[0], "%s",
                 strcmp(sp + 1, "-") ? sp + 1 : "");
        st->ncopies++;
    }
    return st->ncopies == v[4] ? 0 : bad_text("stat answer (copy count)");
}

/* The first sequencer of a block is its copy with the lowest peer ID: put
 * it first, where the client sends its first request. */
static void sequencer_first(juxmem_member_t *copies, size_t n)
{
    size_t low = 0;
    for (size_t i = 1; i < n; i++)
        if (jxta_id_cmp(&copies[i].peer, &copies[low].peer) < 0)
            low = i;
    juxmem_member_t t = copies[0];
    copies[0] = copies[low];
    copies[low] = t;
}

/* ---- allocation ------------------------------------------------------------------------ */

#define MAX_CLUSTERS 64

/* Cluster advertisements: our own cluster first, then any others. */
/* Add to `into` the managers `from` names that it lacks (two
 * advertisements of one cluster around a change of primary). */
static void merge_managers(juxmem_cluster_info_t *into, const juxmem_cluster_info_t *from)
{
    for (size_t i = 0; i < from->nmanagers; i++) {
        size_t k = 0;
        while (k < into->nmanagers && !jxta_id_equal(&into->managers[k], &from->managers[i]))
            k++;
        if (k == into->nmanagers && into->nmanagers < JUXMEM_CLUSTER_MAX_MANAGERS)
            into->managers[into->nmanagers++] = from->managers[i];
    }
    if (from->nproviders > into->nproviders) {
        into->nproviders = from->nproviders;
        memcpy(into->providers, from->providers, from->nproviders * sizeof from->providers[0]);
        into->free_bytes = from->free_bytes;
    }
}

/* Quiet time after the last cluster (or data) advertisement before a
 * search ends: answers travel rendezvous -> publisher -> here, a few round
 * trips across the grid at most. */
#define SEARCH_SETTLE_MS 250

static int find_clusters(juxmem_t *j, unsigned want, juxmem_cluster_info_t *cl, size_t *n)
{
    *n = 0;
    for (int pass = 0; pass < 2 && *n < want; pass++) {
        const char *names[2] = {j->cluster[0] ? j->cluster : NULL, "*"};
        for (int k = 0; k < 2 && *n < want; k++) {
            if (!names[k])
                continue;
            jxta_adv_t **advs = NULL;
            size_t na = 0;
            /* every cluster's advertisement (a stale one of a cluster whose
             * primary manager changed may come too): small ones are skipped.
             * How many clusters exist is unknown: once enough advertisements
             * came, the answers still on their way get SEARCH_SETTLE_MS. */
            size_t asked = k == 0 ? 2 : 16, enough = k == 0 ? 1 : want;
            if (jxta_peer_discover_settle(j->peer, j->jm, 2, "Name", names[k], asked, enough,
                                          SEARCH_SETTLE_MS, k == 0 ? 1500 : 2000, &advs,
                                          &na) < 0)
                continue;
            for (size_t i = 0; i < na && *n < MAX_CLUSTERS; i++) {
                if (juxmem_cluster_adv_get(advs[i], &cl[*n]) < 0)
                    continue;
                size_t m = 0;
                while (m < *n && strcmp(cl[m].name, cl[*n].name) != 0)
                    m++;
                if (m == *n)
                    (*n)++;
                else /* the same cluster again: keep every manager named */
                    merge_managers(&cl[m], &cl[*n]);
            }
            jxta_peer_free_advs(advs, na);
        }
    }
    if (*n >= want)
        return 0;
    /* Without a rendezvous of the juxmem group nothing could answer: say
     * so, rather than that the clusters are missing (a wrong --seed). */
    if (jxta_peer_wait_rdv(j->peer, j->jm, 0) < 0) {
        jxta_log(JXTA_LOG_WARN, "juxmem",
                 "alloc: no rendezvous of the juxmem group reached (check the seeds)");
        return JUXMEM_EUNREACH;
    }
    return JUXMEM_ENOCLUSTER;
}

/* Ask the clusters' managers for providers; fills members. */
static int choose(juxmem_t *j, uint64_t size, unsigned clusters, unsigned providers,
                  const juxmem_cluster_info_t *cl, size_t ncl, juxmem_member_t *members,
                  size_t *nmembers)
{
    char q[64];
    snprintf(q, sizeof q, "%" PRIu64 " %u", size, providers);
    unsigned got = 0;
    int why = JUXMEM_ENOCLUSTER;
    *nmembers = 0;
    for (size_t i = 0; i < ncl && got < clusters; i++) {
        if (cl[i].nproviders < providers)
            continue;
        /* the primary first (named first), then the backups */
        char *answer = NULL;
        int rc = JXTA_ETIMEDOUT;
        for (size_t k = 0; k < cl[i].nmanagers && rc < 0; k++) {
            rc = ask(j, JUXMEM_ALLOC_HANDLER, q, &cl[i].managers[k], k ? 2000 : 4000, &answer);
            if (rc < 0)
                jxta_log(JXTA_LOG_INFO, "juxmem", "manager %zu of cluster %s did not answer: %s",
                         k + 1, cl[i].name, jxta_strerror(rc));
        }
        if (rc < 0)
            continue;
        size_t first = *nmembers, got_n = 0;
        int status = juxmem__parse_alloc_answer(answer, members + first,
                                                JUXMEM_MAX_COPIES - first, &got_n);
        if (status < 0) {
            if (status == JUXMEM_ENOSPACE)
                why = JUXMEM_ENOSPACE;
            free(answer);
            continue;
        }
        *nmembers += got_n;
        free(answer);
        if (*nmembers - first == providers) {
            got++;
        } else {
            *nmembers = first;
        }
    }
    return got == clusters ? 0 : why;
}

struct alloc_call {
    juxmem_t *j;
    jxta_id_t id;
    uint64_t size;
    unsigned clusters, providers;
    juxmem_attr_t attr;
    juxmem_member_t *members;
    size_t n;
    juxmem_blk_t *b;
};

static int alloc_start_fn(void *ud)
{
    struct alloc_call *c = ud;
    juxmem_t *j = c->j;
    juxmem_blk_t *b = blk_add(j, &c->id);
    if (!b)
        return JXTA_ENOMEM;
    b->size = c->size;
    b->clusters = c->clusters;
    b->providers = c->providers;
    b->attr = c->attr;
    b->ncopies = c->n;
    memcpy(b->copies, c->members, c->n * sizeof c->members[0]);
    juxmem_out_t out;
    juxmem_out_init(&out);
    arm(j, b);
    b->app_op = 1;
    /* live providers answer in milliseconds: a dead one (still advertised)
     * costs ALLOC_WAIT_MS at most, then a fresh choice */
    uint64_t wait = j->o.timeout_ms < ALLOC_WAIT_MS ? (uint64_t)j->o.timeout_ms : ALLOC_WAIT_MS;
    pthread_mutex_lock(&b->smu);
    int rc = juxmem_fanout_alloc(&j->self, &c->id, c->size, c->members, c->n, &j->cfg,
                                 juxmem__now(j), wait, &out, &b->fan);
    juxmem__send_out(j, &out);
    if (rc < 0) {
        pthread_mutex_unlock(&b->smu);
        b->app_op = 0;
        disarm(j, b);
        return rc;
    }
    c->b = b;
    check_done(j, b);
    pthread_mutex_unlock(&b->smu);
    flush_wake(j);
    return 0;
}

static int alloc_end_fn(void *ud)
{
    struct alloc_call *c = ud;
    juxmem_t *j = c->j;
    juxmem_blk_t *b = c->b;
    pthread_mutex_lock(&b->smu);
    int result = b->fan ? juxmem_fanout_result(b->fan) : JXTA_ETIMEDOUT;
    if (b->fan && !juxmem_fanout_busy(b->fan)) {
        juxmem_fanout_free_op(b->fan);
        b->fan = NULL;
    }
    int rc = 0;
    if (result < 0) {
        b->freed = 1; /* never usable */
    } else {
        sequencer_first(b->copies, b->ncopies);
        rc = juxmem_client_new(&j->self, &b->id, b->size, b->copies, b->ncopies, &j->cfg,
                               &b->client);
    }
    set_usable(j, b);
    pthread_mutex_unlock(&b->smu);
    if (result < 0 || rc < 0)
        return rc;
    juxmem_block_adv_info_t *info = calloc(1, sizeof *info);
    if (info) {
        info->data = b->id;
        info->size = b->size;
        info->clusters = b->clusters;
        info->providers = b->providers;
        info->ncopies = b->ncopies;
        memcpy(info->copies, b->copies, b->ncopies * sizeof b->copies[0]);
        juxmem__publish_data_adv(j, info);
        free(info);
    }
    return 0;
}

int juxmem_alloc(juxmem_t *j, uint64_t size, unsigned clusters, unsigned providers,
                 const juxmem_attr_t *attr, jxta_id_t *id)
{
    if (!j || !id || size == 0 || clusters == 0 || providers == 0 ||
        (uint64_t)clusters * providers > JUXMEM_MAX_COPIES) {
        jxta_log(JXTA_LOG_WARN, "juxmem", "alloc: size 0, no copies, or more than %d copies",
                 JUXMEM_MAX_COPIES);
        return JXTA_EINVAL;
    }
    juxmem_cluster_info_t *cl = calloc(MAX_CLUSTERS, sizeof *cl);
    juxmem_member_t *members = calloc(JUXMEM_MAX_COPIES, sizeof *members);
    if (!cl || !members) {
        free(cl);
        free(members);
        return JXTA_ENOMEM;
    }
    size_t ncl = 0;
    int rc = find_clusters(j, clusters, cl, &ncl);
    for (int attempt = 0; rc == 0 && attempt < 2; attempt++) {
        size_t n = 0;
        if ((rc = choose(j, size, clusters, providers, cl, ncl, members, &n)) < 0)
            break;
        struct alloc_call c = {.j = j, .size = size, .clusters = clusters,
                               .providers = providers, .members = members, .n = n};
        if (attr)
            c.attr = *attr;
        else
            juxmem_attr_default(&c.attr);
        if ((rc = juxmem_data_id_new(&c.id)) < 0 ||
            (rc = jxta_peer_run(j->peer, alloc_start_fn, &c, 10000)) < 0)
            break;
        rc = wait_blk(j, c.b, j->o.timeout_ms + MARGIN_MS);
        int rc2 = jxta_peer_run(j->peer, alloc_end_fn, &c, -1);
        if (rc == 0 && rc2 < 0)
            rc = rc2;
        if (rc == 0) {
            *id = c.id;
            break;
        }
        if (rc != JUXMEM_ENOSPACE && rc != JUXMEM_EUNREACH)
            break;
    }
    free(cl);
    free(members);
    return rc;
}

/* ---- attach ------------------------------------------------------------------------------ */

struct blk_call {
    juxmem_t *j;
    jxta_id_t id;
    const juxmem_block_adv_info_t *info;
    juxmem_blk_t *b;
    int mode;
    uint64_t offset;
    void *rbuf;
    const void *wbuf;
    size_t len;
    jxta_id_t *ask; /* stat: the copies to ask, in order (JUXMEM_MAX_COPIES at most) */
    size_t nask;
};

static int known_fn(void *ud)
{
    struct blk_call *c = ud;
    c->b = juxmem__blk_find(c->j, &c->id);
    if (!c->b)
        return 0;
    return c->b->freed ? JUXMEM_EFREED : 1;
}

static int attach_fn(void *ud)
{
    struct blk_call *c = ud;
    juxmem_t *j = c->j;
    juxmem_blk_t *b = juxmem__blk_find(j, &c->id);
    if (b && b->client)
        return 0;
    if (!(b = blk_add(j, &c->id)))
        return JXTA_ENOMEM;
    b->size = c->info->size;
    b->clusters = c->info->clusters;
    b->providers = c->info->providers;
    b->ncopies = c->info->ncopies;
    memcpy(b->copies, c->info->copies, b->ncopies * sizeof b->copies[0]);
    if (b->ncopies)
        sequencer_first(b->copies, b->ncopies);
    pthread_mutex_lock(&b->smu);
    b->freed = 0;
    int rc = juxmem_client_new(&j->self, &b->id, b->size, b->copies, b->ncopies, &j->cfg,
                               &b->client);
    set_usable(j, b);
    pthread_mutex_unlock(&b->smu);
    return rc;
}

int juxmem_attach(juxmem_t *j, const jxta_id_t *id)
{
    if (!j || !id || jxta_id_kind(id) != JXTA_ID_GROUP) {
        jxta_log(JXTA_LOG_WARN, "juxmem", "attach: not a data ID");
        return JXTA_EINVAL;
    }
    struct blk_call c = {.j = j, .id = *id};
    int rc = jxta_peer_run(j->peer, known_fn, &c, 10000);
    if (rc == JUXMEM_EFREED)
        return JUXMEM_ENODATA;
    if (rc < 0)
        return rc;
    if (rc == 1 && c.b->client)
        return 0;
    jxta_id_text_t t;
    jxta_adv_t **advs = NULL;
    size_t n = 0;
    rc = jxta_peer_discover(j->peer, j->jm, 2, "Id", jxta_id_str(id, &t), 1, j->o.timeout_ms,
                            &advs, &n);
    if (rc == JXTA_ETIMEDOUT || (rc == 0 && n == 0))
        return JUXMEM_ENODATA;
    if (rc < 0)
        return rc;
    juxmem_block_adv_info_t *info = malloc(sizeof *info);
    rc = info ? JUXMEM_ENODATA : JXTA_ENOMEM;
    for (size_t i = 0; info && i < n; i++) {
        if (juxmem_block_adv_get(advs[i], info) == 0 && jxta_id_equal(&info->data, id)) {
            c.info = info;
            rc = jxta_peer_run(j->peer, attach_fn, &c, 10000);
            break;
        }
    }
    free(info);
    jxta_peer_free_advs(advs, n);
    return rc;
}

/* The block, attached on first use. */
static int get_blk(juxmem_t *j, const jxta_id_t *id, struct blk_call *c)
{
    c->j = j;
    c->id = *id;
    juxmem_blk_t *known = blk_lookup(j, id);
    int usable = known ? blk_usable(j, known) : 0;
    if (usable == 1) {
        c->b = known;
        return 0;
    }
    if (usable == JUXMEM_EFREED)
        return JUXMEM_ENODATA;
    int rc = jxta_peer_run(j->peer, known_fn, c, 10000);
    if (rc == JUXMEM_EFREED)
        return JUXMEM_ENODATA;
    if (rc < 0)
        return rc;
    if (rc == 1 && c->b->client)
        return 0;
    if ((rc = juxmem_attach(j, id)) < 0)
        return rc;
    rc = jxta_peer_run(j->peer, known_fn, c, 10000);
    return rc == 1 && c->b->client ? 0 : JUXMEM_ENODATA;
}

/* ---- the copies, refreshed ---------------------------------------------------------------- */

struct copies_call {
    juxmem_blk_t *b;
    juxmem_member_t copies[JUXMEM_MAX_COPIES];
    size_t n;
    int replace; /* the sequencer's own list: it replaces ours */
};

/* Loop: add the copies found to the block's (and its client's) list - or,
 * for the sequencer's list, make it the list: a merge alone would keep
 * every dead copy forever (under churn the list filled with them, each
 * costing a stat a per-copy wait, and new copies no longer fitted). */
static int merge_copies_fn(void *ud)
{
    struct copies_call *c = ud;
    juxmem_blk_t *b = c->b;
    int changed = 0;
    if (c->replace && c->n > 0) {
        changed = c->n != b->ncopies;
        for (size_t i = 0; i < c->n && !changed; i++)
            changed = !jxta_id_equal(&b->copies[i].peer, &c->copies[i].peer);
        if (changed) {
            memcpy(b->copies, c->copies, c->n * sizeof c->copies[0]);
            b->ncopies = c->n;
        }
    }
    for (size_t i = 0; i < c->n && !c->replace; i++) {
        size_t k = 0;
        while (k < b->ncopies && !jxta_id_equal(&b->copies[k].peer, &c->copies[i].peer))
            k++;
        if (k == b->ncopies && b->ncopies < JUXMEM_MAX_COPIES) {
            b->copies[b->ncopies++] = c->copies[i];
            changed = 1;
        }
    }
    pthread_mutex_lock(&b->smu);
    if (changed && b->client)
        juxmem_client_set_copies(b->client, b->copies, b->ncopies);
    pthread_mutex_unlock(&b->smu);
    return changed;
}

/* Application thread: the copies of a block change as lost ones are
 * re-created, and a client that knew only dead ones would never find the
 * block again.  Read the block's data advertisements again (every copy
 * republishes it) and add the copies they name.  1 if any was new. */
static int refresh_copies(juxmem_t *j, juxmem_blk_t *b)
{
    jxta_id_text_t t;
    jxta_adv_t **advs = NULL;
    size_t n = 0;
    if (jxta_peer_discover_settle(j->peer, j->jm, 2, "Id", jxta_id_str(&b->id, &t), 8, 1,
                                  SEARCH_SETTLE_MS, 3000, &advs, &n) < 0)
        return 0;
    struct copies_call *c = calloc(1, sizeof *c);
    juxmem_block_adv_info_t *info = malloc(sizeof *info);
    int changed = 0;
    if (c && info) {
        c->b = b;
        for (size_t i = 0; i < n; i++) {
            if (juxmem_block_adv_get(advs[i], info) < 0 || !jxta_id_equal(&info->data, &b->id))
                continue;
            for (size_t k = 0; k < info->ncopies && c->n < JUXMEM_MAX_COPIES; k++) {
                size_t m = 0;
                while (m < c->n && !jxta_id_equal(&c->copies[m].peer, &info->copies[k].peer))
                    m++;
                if (m == c->n)
                    c->copies[c->n++] = info->copies[k];
            }
        }
        changed = c->n && jxta_peer_run(j->peer, merge_copies_fn, c, 10000) == 1;
    }
    if (changed)
        jxta_log(JXTA_LOG_INFO, "juxmem", "new copies of %s found", jxta_id_str(&b->id, &t));
    free(info);
    free(c);
    jxta_peer_free_advs(advs, n);
    return changed;
}

/* ---- locks ---------------------------------------------------------------------------- */

/* Loop, posted by lock_op: start the acquire or release the application
 * thread waits for (it reads the outcome with wait_blk; errors go there
 * too).  Everything it needs is in the block, which outlives the wait. */
static void lock_start(jxta_loop_t *loop, void *arg)
{
    (void)loop;
    juxmem_blk_t *b = arg;
    juxmem_t *j = b->j;
    pthread_mutex_lock(&j->mu);
    int wanted = b->waiting && !b->done, mode = b->req_mode;
    pthread_mutex_unlock(&j->mu);
    if (!wanted) /* the caller gave up before the loop got here */
        return;
    pthread_mutex_lock(&b->smu);
    int rc = 0;
    b->app_op = 1;
    if (b->freed || !b->client) {
        rc = JUXMEM_ENODATA;
    } else if (!mode) {
        if (b->renewing) /* released once the renewal ends */
            b->pend_release = 1;
        else
            start_release(j, b);
    } else {
        juxmem_out_t out;
        juxmem_out_init(&out);
        b->lost = 0;
        rc = juxmem_client_acquire(b->client, mode, juxmem__now(j), (uint64_t)j->o.timeout_ms,
                                   &out);
        juxmem__send_out(j, &out);
    }
    if (rc < 0)
        complete(j, b, rc);
    else
        check_done(j, b);
    pthread_mutex_unlock(&b->smu);
    flush_wake(j);
}

static int lock_op_once(juxmem_t *j, const jxta_id_t *id, int mode, juxmem_blk_t **blk);

/* Application thread: an acquire that reached no copy (or no majority)
 * tries once more if the block's copies changed meanwhile. */
static int lock_op(juxmem_t *j, const jxta_id_t *id, int mode)
{
    juxmem_blk_t *b = NULL;
    int rc = lock_op_once(j, id, mode, &b);
    if (mode && b && (rc == JUXMEM_EUNREACH || rc == JUXMEM_ENOQUORUM) && refresh_copies(j, b))
        rc = lock_op_once(j, id, mode, &b);
    return rc;
}

/* Application thread: one post to the loop, one wait for the outcome. */
static int lock_op_once(juxmem_t *j, const jxta_id_t *id, int mode, juxmem_blk_t **blk)
{
    if (!j || !id)
        return JXTA_EINVAL;
    struct blk_call c;
    memset(&c, 0, sizeof c);
    int rc = get_blk(j, id, &c);
    if (rc < 0)
        return rc;
    *blk = c.b;
    if ((rc = claim(j, c.b, mode != 0, j->o.timeout_ms)) < 0)
        return rc;
    pthread_mutex_lock(&j->mu);
    c.b->req_mode = mode;
    pthread_mutex_unlock(&j->mu);
    if ((rc = jxta_loop_post(j->loop, lock_start, c.b)) < 0)
        disarm(j, c.b);
    else
        rc = wait_blk(j, c.b, j->o.timeout_ms + MARGIN_MS);
    /* acquire failed, or release done (whatever its result, the lock is gone) */
    if ((mode && rc < 0) || (!mode && rc != JXTA_ETIMEDOUT))
        set_held(j, c.b, 0);
    return rc;
}

int juxmem_acquire(juxmem_t *j, const jxta_id_t *id)
{
    return lock_op(j, id, JUXMEM_MODE_EXCL);
}

int juxmem_acquire_read(juxmem_t *j, const jxta_id_t *id)
{
    return lock_op(j, id, JUXMEM_MODE_SHARED);
}

int juxmem_release(juxmem_t *j, const jxta_id_t *id)
{
    return lock_op(j, id, 0);
}

/* Application thread: read or write the held block's view in place, under
 * the block's state lock (no trip through the loop). */
static int rw_once(juxmem_t *j, struct blk_call *c)
{
    juxmem_blk_t *b = blk_lookup(j, &c->id);
    if (!b)
        return JUXMEM_ENOTLOCKED;
    pthread_mutex_lock(&b->smu);
    int rc;
    if (!b->client || b->freed)
        rc = JUXMEM_ENOTLOCKED;
    else if (b->renewing)
        rc = JXTA_EBUSY; /* the caller waits for the renewal */
    else
        rc = c->rbuf ? juxmem_client_read(b->client, c->offset, c->rbuf, c->len)
                     : juxmem_client_write(b->client, c->offset, c->wbuf, c->len);
    pthread_mutex_unlock(&b->smu);
    return rc;
}

/* Run rw_once, waiting while an automatic renewal of the lease runs. */
static int rw(juxmem_t *j, struct blk_call *c)
{
    struct timespec end;
    deadline_after(&end, j->o.timeout_ms);
    for (;;) {
        int rc = rw_once(j, c);
        if (rc != JXTA_EBUSY || deadline_passed(&end))
            return rc == JXTA_EBUSY ? JXTA_ETIMEDOUT : rc;
        struct timespec nap;
        deadline_after(&nap, 10);
        pthread_mutex_lock(&j->mu);
        if (!j->closing)
            pthread_cond_timedwait(&j->cv, &j->mu, &nap);
        pthread_mutex_unlock(&j->mu);
    }
}

int juxmem_read(juxmem_t *j, const jxta_id_t *id, uint64_t offset, void *buf, size_t len)
{
    if (!j || !id || (!buf && len))
        return JXTA_EINVAL;
    struct blk_call c = {.j = j, .id = *id, .offset = offset, .rbuf = buf, .len = len};
    if (!buf)
        return 0;
    return rw(j, &c);
}

int juxmem_write(juxmem_t *j, const jxta_id_t *id, uint64_t offset, const void *buf, size_t len)
{
    if (!j || !id || (!buf && len))
        return JXTA_EINVAL;
    static const uint8_t none[1];
    struct blk_call c = {.j = j, .id = *id, .offset = offset, .wbuf = buf ? buf : none,
                         .len = len};
    return rw(j, &c);
}

/* ---- free --------------------------------------------------------------------------------- */

static int free_start_fn(void *ud)
{
    struct blk_call *c = ud;
    juxmem_t *j = c->j;
    juxmem_blk_t *b = c->b;
    if (b->freed || b->fan) {
        disarm(j, b);
        return b->freed ? JUXMEM_EFREED : JXTA_EBUSY;
    }
    juxmem_out_t out;
    juxmem_out_init(&out);
    b->app_op = 1;
    pthread_mutex_lock(&b->smu);
    int rc = juxmem_fanout_free(&j->self, &b->id, b->copies, b->ncopies, &j->cfg,
                                juxmem__now(j), (uint64_t)j->o.timeout_ms, &out, &b->fan);
    juxmem__send_out(j, &out);
    if (rc == 0)
        check_done(j, b);
    pthread_mutex_unlock(&b->smu);
    flush_wake(j);
    if (rc < 0) {
        b->app_op = 0;
        disarm(j, b);
    }
    return rc;
}

static int free_end_fn(void *ud)
{
    struct blk_call *c = ud;
    juxmem_blk_t *b = c->b;
    juxmem_t *j = c->j;
    pthread_mutex_lock(&b->smu);
    if (b->fan && !juxmem_fanout_busy(b->fan)) {
        int result = juxmem_fanout_result(b->fan);
        juxmem_fanout_free_op(b->fan);
        b->fan = NULL;
        if (result == 0 || result == JUXMEM_EFREED || result == JUXMEM_ENODATA) {
            b->freed = 1;
            juxmem_client_free(b->client);
            b->client = NULL;
            b->renewing = b->pend_release = 0;
            set_usable(j, b);
        }
    }
    pthread_mutex_unlock(&b->smu);
    return 0;
}

/* The copies as the sequencer knows them now (re-created ones in, dead
 * ones out: a copy dropped from the group frees itself). */
static int set_copies_fn(void *ud)
{
    struct blk_call *c = ud;
    const juxmem_stat_t *st = c->rbuf;
    juxmem_blk_t *b = c->b;
    if (st->ncopies == 0)
        return 0;
    b->ncopies = 0;
    for (size_t i = 0; i < st->ncopies && i < JUXMEM_MAX_COPIES; i++) {
        juxmem_member_t *m = &b->copies[b->ncopies++];
        memset(m, 0, sizeof *m);
        m->peer = st->copies[i];
        snprintf(m->cluster, sizeof m->cluster, "%s", st->copy_cluster[i]);
    }
    return 0;
}

int juxmem_free(juxmem_t *j, const jxta_id_t *id)
{
    if (!j || !id)
        return JXTA_EINVAL;
    struct blk_call c = {.j = j, .id = *id};
    int rc = jxta_peer_run(j->peer, known_fn, &c, 10000);
    if (rc < 0)
        return rc;
    if (rc == 0 && (rc = get_blk(j, id, &c)) < 0)
        return rc;
    /* the current copies: re-created ones are freed too, dead ones not waited for */
    juxmem_stat_t *st = calloc(1, sizeof *st);
    if (st && juxmem_stat(j, id, st) == 0) {
        struct blk_call m = {.j = j, .id = *id, .b = c.b, .rbuf = st};
        jxta_peer_run(j->peer, set_copies_fn, &m, 10000);
    }
    free(st);
    if ((rc = claim(j, c.b, 0, j->o.timeout_ms + MARGIN_MS)) < 0)
        return rc;
    if ((rc = jxta_peer_run(j->peer, free_start_fn, &c, 10000)) < 0) {
        if (rc == JXTA_ETIMEDOUT)
            disarm(j, c.b);
        return rc;
    }
    rc = wait_blk(j, c.b, j->o.timeout_ms + MARGIN_MS);
    jxta_peer_run(j->peer, free_end_fn, &c, -1);
    return rc;
}

/* ---- stat ----------------------------------------------------------------------------------- */

/* Add `peer` to the copies to ask unless listed or full. */
static void ask_add(struct blk_call *c, const jxta_id_t *peer)
{
    for (size_t i = 0; i < c->nask; i++)
        if (jxta_id_equal(&c->ask[i], peer))
            return;
    if (c->nask < JUXMEM_MAX_COPIES)
        c->ask[c->nask++] = *peer;
}

/* Loop: what this peer knows of the block, and the copies to ask for the
 * rest in the order most likely to answer at once: the copy the client's
 * requests go to (the sequencer), the copies of the client's view (newer
 * than the block's list after a failover), the block's list, and last the
 * peers the endpoint said ended - each of those would cost a whole
 * per-copy wait before the next is asked. */
static int copy_info_fn(void *ud)
{
    struct blk_call *c = ud;
    juxmem_stat_t *st = c->rbuf;
    juxmem_blk_t *b = c->b;
    st->size = b->size;
    st->clusters = b->clusters;
    st->providers = b->providers;
    st->requested = b->clusters * b->providers;
    st->attr = b->attr;
    st->ncopies = b->ncopies;
    for (size_t i = 0; i < b->ncopies; i++) {
        st->copies[i] = b->copies[i].peer;
        snprintf(st->copy_cluster[i], sizeof st->copy_cluster[i], "%s", b->copies[i].cluster);
    }
    jxta_id_t *order = calloc(2 * JUXMEM_MAX_COPIES + 1, sizeof *order);
    juxmem_member_t *view = calloc(JUXMEM_MAX_COPIES, sizeof *view);
    size_t n = 0;
    pthread_mutex_lock(&b->smu);
    if (b->client) {
        st->version = juxmem_client_version(b->client);
        if (order && view) {
            order[n++] = *juxmem_client_target(b->client);
            size_t nv = juxmem_client_copies(b->client, view, JUXMEM_MAX_COPIES);
            for (size_t i = 0; i < nv && i < JUXMEM_MAX_COPIES; i++)
                order[n++] = view[i].peer;
        }
    }
    for (size_t i = 0; order && i < b->ncopies; i++)
        order[n++] = b->copies[i].peer;
    c->nask = 0;
    for (int pass = 0; pass < 2; pass++) /* live peers, then the ended ones */
        for (size_t i = 0; i < n; i++)
            if ((b->client && juxmem_client_peer_is_gone(b->client, &order[i])) == pass)
                ask_add(c, &order[i]);
    pthread_mutex_unlock(&b->smu);
    if (!order || !view) /* out of memory: the block's list as it is */
        for (size_t i = 0; i < b->ncopies; i++)
            ask_add(c, &b->copies[i].peer);
    free(order);
    free(view);
    return 0;
}

static int stat_once(juxmem_t *j, const jxta_id_t *id, juxmem_stat_t *st, juxmem_blk_t **blk);

int juxmem_stat(juxmem_t *j, const jxta_id_t *id, juxmem_stat_t *st)
{
    juxmem_blk_t *b = NULL;
    int rc = stat_once(j, id, st, &b);
    if (b && (rc == JUXMEM_EUNREACH || (rc == 0 && st->why)) && refresh_copies(j, b))
        rc = stat_once(j, id, st, &b); /* copies we did not know of may answer */
    if (b && rc == 0 && !st->why && st->ncopies) { /* the sequencer's list: the copies now */
        struct copies_call *c = calloc(1, sizeof *c);
        if (c) {
            c->b = b;
            c->replace = 1;
            for (size_t i = 0; i < st->ncopies && i < JUXMEM_MAX_COPIES; i++) {
                c->copies[c->n].peer = st->copies[i];
                snprintf(c->copies[c->n].cluster, sizeof c->copies[0].cluster, "%s",
                         st->copy_cluster[i]);
                c->n++;
            }
            jxta_peer_run(j->peer, merge_copies_fn, c, 10000);
            free(c);
        }
    }
    return rc;
}

static int stat_once(juxmem_t *j, const jxta_id_t *id, juxmem_stat_t *st, juxmem_blk_t **blk)
{
    if (!j || !id || !st)
        return JXTA_EINVAL;
    memset(st, 0, sizeof *st);
    struct blk_call c;
    memset(&c, 0, sizeof c);
    int rc = get_blk(j, id, &c);
    if (rc < 0)
        return rc;
    *blk = c.b;
    c.rbuf = st;
    jxta_id_t ask_to[JUXMEM_MAX_COPIES + 3];
    c.ask = ask_to;
    jxta_peer_run(j->peer, copy_info_fn, &c, 10000);
    jxta_id_text_t t;
    char text[JXTA_ID_TEXT_MAX];
    snprintf(text, sizeof text, "%s", jxta_id_str(id, &t));
    size_t n = c.nask;
    int why = JUXMEM_EUNREACH, redirects = 0, answered = 0;
    int per = j->o.timeout_ms / (int)(n ? n : 1);
    if (per > 3000)
        per = 3000;
    if (per < 500)
        per = 500;
    for (size_t i = 0; i < n; i++) {
        char *answer = NULL;
        int arc = ask(j, JUXMEM_STAT_HANDLER, text, &ask_to[i], per, &answer);
        if (arc < 0) {
            jxta_id_text_t pt;
            jxta_log(JXTA_LOG_INFO, "juxmem", "stat: copy %s did not answer (%s): asking the next",
                     jxta_id_str(&ask_to[i], &pt), jxta_strerror(arc));
            continue;
        }
        jxta_id_t seq;
        juxmem_stat_t *got = calloc(1, sizeof *got);
        rc = got ? juxmem__parse_stat_answer(answer, got, &seq) : JXTA_ENOMEM;
        free(answer);
        if (rc == 1) {
            if (redirects++ < 2) { /* ask the sequencer next */
                memmove(&ask_to[i + 2], &ask_to[i + 1], (n - i - 1) * sizeof ask_to[0]);
                ask_to[i + 1] = seq;
                n++;
            }
        } else if (rc == 0) {
            st->size = got->size;
            st->version = got->version;
            st->locked = got->locked;
            st->lock_holder = got->lock_holder;
            st->lease_left_ms = got->lease_left_ms;
            st->ncopies = got->ncopies;
            st->epoch = got->epoch;
            st->repairing = got->repairing;
            st->why = got->why;
            memcpy(st->copies, got->copies, sizeof st->copies);
            memcpy(st->copy_cluster, got->copy_cluster, sizeof st->copy_cluster);
        } else if (rc != JXTA_EPROTO && rc != JXTA_ENOMEM) {
            why = rc;
        }
        free(got);
        /* a copy without quorum may be the cut-off one: another may know
         * the majority's sequencer (its answer then replaces this one) */
        if (rc == 0 && st->why != JUXMEM_ENOQUORUM)
            return 0;
        if (rc == 0)
            answered = 1;
    }
    if (answered)
        return 0; /* copies answer, none with a majority: st->why says so */
    st->why = JUXMEM_EUNREACH;
    return why;
}
