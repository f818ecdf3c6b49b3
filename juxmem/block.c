/* juxmem/block.c - the provider (store + copy + sequencer) and client state
 * machines of JuxMem (see block.h and DESIGN.md).
 *
 * Everything is driven by three inputs - a decoded message, the time, and
 * a call from the service layer - and produces messages in a juxmem_out_t,
 * so the protocol can be run, replayed and checked in a simulated network
 * that reorders, duplicates and drops.  Correctness never depends on the
 * order of arrival: requests carry per-client sequence numbers (answered
 * from a reply cache when repeated), updates carry versions (applied in
 * order, gaps buffered, duplicates re-acknowledged), and every message from
 * a sequencer carries its epoch (older epochs refused). */
#include <stdlib.h>
#include <string.h>

#include <jxta/error.h>
#include <jxta/log.h>

#include "block.h"
#include "../jxta-c/util/internal.h"

#define MOD "juxmem"
#define PEND_MAX 16   /* out-of-order updates buffered per copy */
#define CACHE_MAX 256 /* clients remembered per sequencer */
#define RETRIES_PER_TARGET 3
#define APPLIED_MAX JUXMEM_HISTORY_MAX /* tokens of applied updates remembered per copy */
#define DEPARTED_MAX 8  /* dropped copies still told the view */

void juxmem_block_cfg_default(juxmem_block_cfg_t *c)
{
    c->lease_ms = 10000;
    c->rto_ms = 200;
    c->hb_ms = 1000;
    c->fail_ms = 5000;
    c->inline_max = 1u << 20;
    c->max_queue = 1024;
    c->max_tombs = 4096;
    c->max_blocks = 65536;
}

/* ---- output list ------------------------------------------------------------ */

void juxmem_out_init(juxmem_out_t *o)
{
    memset(o, 0, sizeof *o);
}

void juxmem_out_clear(juxmem_out_t *o)
{
    for (size_t i = 0; i < o->n; i++)
        juxmem_pmsg_clear(&o->v[i].m);
    free(o->v);
    free(o->ev);
    memset(o, 0, sizeof *o);
}

/* A new message in the output list, to fill in at once (the pointer dies
 * with the next emit); NULL when out of memory. */
static juxmem_pmsg_t *emit(juxmem_out_t *o, const jxta_id_t *to, juxmem_msg_type_t type,
                           const jxta_id_t *data, const jxta_id_t *from)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        juxmem_outmsg_t *v = realloc(o->v, cap * sizeof *v);
        if (!v) {
            o->err = JXTA_ENOMEM;
            return NULL;
        }
        o->v = v;
        o->cap = cap;
    }
    juxmem_outmsg_t *e = &o->v[o->n++];
    e->to = *to;
    juxmem_pmsg_init(&e->m, type, data, from);
    return &e->m;
}

static void emit_copy(juxmem_out_t *o, const jxta_id_t *to, const juxmem_pmsg_t *m)
{
    juxmem_pmsg_t *e = emit(o, to, m->type, &m->data, &m->from);
    if (e && juxmem_pmsg_copy(e, m) < 0) {
        o->err = JXTA_ENOMEM;
        o->n--;
    }
}

static void event(juxmem_out_t *o, juxmem_event_kind_t kind, const jxta_id_t *data,
                  const jxta_id_t *peer)
{
    if (o->nev == o->capev) {
        size_t cap = o->capev ? o->capev * 2 : 4;
        juxmem_event_t *v = realloc(o->ev, cap * sizeof *v);
        if (!v) {
            o->err = JXTA_ENOMEM;
            return;
        }
        o->ev = v;
        o->capev = cap;
    }
    o->ev[o->nev++] = (juxmem_event_t){kind, *data, *peer};
}

/* ---- data structures ---------------------------------------------------------- */

typedef struct member {
    juxmem_member_t m;
    uint64_t last_heard;
    uint64_t acked;    /* sequencer: highest version this copy acknowledged */
    uint64_t sent_at;  /* sequencer: last UPDATE or STATE sent to it */
    int need_state;    /* sequencer: send it the whole state */
    uint32_t refused;  /* candidate: the term this member refused us */
    int gone;          /* its process ended (juxmem_provider_peer_gone): for good */
    int greeted;       /* copy: we sent it a greeting (view_then_greet) */
    uint64_t probed_at; /* sequencer: when it was last reported SUSPECT */
} member_t;

typedef struct holder {
    jxta_id_t client;
    uint64_t acq_seq, token, expiry;
    uint32_t mode;
    int committing;
} holder_t;

typedef struct waiter {
    jxta_id_t client;
    uint64_t seq, cached;
    uint32_t mode;
    int want_data;
    uint64_t view; /* the view of the copies the client knows (ACQUIRE's ref) */
} waiter_t;

typedef struct cache_ent {
    jxta_id_t client;
    uint64_t seq, used;
    int has;
    juxmem_pmsg_t reply;
} cache_ent_t;

typedef struct copy {
    jxta_id_t id;
    uint64_t size;
    uint8_t *data;
    uint64_t version, last_token;
    uint32_t epoch;      /* highest sequencer epoch seen */
    uint32_t data_epoch; /* epoch of the sequencer that produced `data` */
    uint32_t view_epoch;
    uint64_t view;
    jxta_id_t seq_peer;
    uint64_t seq_heard;
    member_t members[JUXMEM_MAX_COPIES]; /* this provider included */
    size_t nmembers;
    juxmem_pmsg_t pend[PEND_MAX];
    size_t npend;
    /* sequencer role */
    int am_seq, syncing;
    uint32_t counter;
    holder_t *holders;
    size_t nholders, capholders;
    waiter_t *queue;
    size_t nq, capq;
    cache_ent_t *cache;
    size_t ncache, capcache;
    uint64_t cache_clock;
    int committing;
    uint64_t commit_version;
    juxmem_pmsg_t commit_upd;
    uint64_t hb_at;
    /* The last updates applied here (token -> version): a release retried
     * after a change of sequencer is answered from it. */
    struct {
        uint64_t token, version;
    } applied[APPLIED_MAX];
    size_t applied_next;
    /* Copies the sequencer dropped: they get the heartbeats (whose view
     * lacks them) for a while, so that one that was only slow learns it
     * is out and frees its copy instead of acting on stale data. */
    struct {
        jxta_id_t peer;
        uint64_t until;
    } departed[DEPARTED_MAX];
    /* Elections (see "Consensus" in DESIGN.md): the last term this copy
     * voted in and for whom; as a candidate, the term it stands for and
     * the votes it has. */
    uint32_t voted_epoch;
    jxta_id_t voted_for;
    int candidate;
    uint32_t cand_epoch;
    jxta_id_t votes[JUXMEM_MAX_COPIES];
    size_t nvotes;
    uint64_t cand_until, elect_at, vote_tx;
    uint64_t quorum_at; /* sequencer: when it last had a quorum */
    int seq_gone;       /* the sequencer we followed is known dead: elect at once */
    uint64_t gone_at, seq_probed_at;
    int greeted;        /* the members of our first view were greeted */
} copy_t;

typedef struct tomb {
    jxta_id_t data, client;
    uint64_t seq;
    int status; /* what that FREE was answered */
} tomb_t;

struct juxmem_provider {
    jxta_id_t self;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1];
    uint64_t offered, used;
    juxmem_block_cfg_t cfg;
    copy_t **copies;
    size_t ncopies, capcopies;
    tomb_t *tombs;
    size_t ntombs, captombs, tomb_next;
};

/* ---- members -------------------------------------------------------------------- */

static int member_index(const copy_t *c, const jxta_id_t *peer)
{
    for (size_t i = 0; i < c->nmembers; i++)
        if (jxta_id_equal(&c->members[i].m.peer, peer))
            return (int)i;
    return -1;
}

static int listed(const juxmem_pmsg_t *m, const jxta_id_t *peer)
{
    for (size_t i = 0; i < m->nmembers; i++)
        if (jxta_id_equal(&m->members[i].peer, peer))
            return 1;
    return 0;
}

static int listed_in(const jxta_id_t *ids, size_t n, const jxta_id_t *peer)
{
    for (size_t i = 0; i < n; i++)
        if (jxta_id_equal(&ids[i], peer))
            return 1;
    return 0;
}

static const jxta_id_t *lowest_member(const copy_t *c)
{
    const jxta_id_t *low = NULL;
    for (size_t i = 0; i < c->nmembers; i++)
        if (!low || jxta_id_cmp(&c->members[i].m.peer, low) < 0)
            low = &c->members[i].m.peer;
    return low;
}

static void member_remove(copy_t *c, size_t i)
{
    memmove(&c->members[i], &c->members[i + 1], (c->nmembers - i - 1) * sizeof c->members[0]);
    c->nmembers--;
}

static void add_members(juxmem_pmsg_t *m, const copy_t *c)
{
    for (size_t i = 0; i < c->nmembers; i++)
        juxmem_pmsg_add_member(m, &c->members[i].m.peer, c->members[i].m.cluster);
}

/* ---- quorums --------------------------------------------------------------------------- */

static size_t majority(size_t n)
{
    return n / 2 + 1;
}

/* A member quiet for a heartbeat period and a half is worth a question to
 * the transport (JUXMEM_EV_SUSPECT): a peer whose process ended is then
 * known at once, not after fail_ms - the case of a peer that died before
 * any direct connection to it came up, whose death closes nothing here. */
static uint64_t suspect_ms(const juxmem_provider_t *p)
{
    return p->cfg.hb_ms + p->cfg.hb_ms / 2;
}

/* Sequencer: has it heard a majority of the group (itself included) within
 * fail_ms?  Without that it grants nothing, accepts no write and changes
 * no membership: it may be the minority side of a partition. */
static int seq_has_quorum(const juxmem_provider_t *p, const copy_t *c, uint64_t now)
{
    size_t live = 0;
    for (size_t i = 0; i < c->nmembers; i++)
        live += jxta_id_equal(&c->members[i].m.peer, &p->self) ||
                (!c->members[i].gone && now < c->members[i].last_heard + p->cfg.fail_ms);
    return live >= majority(c->nmembers);
}

/* The view as one number, for VOTE (view epoch << 32 | view number). */
static uint64_t view_word(const copy_t *c)
{
    return ((uint64_t)c->view_epoch << 32) | (c->view & 0xffffffffu);
}

/* Replace the member list with a newer view (keeping what is known of the
 * peers that stay). */
static void set_view(copy_t *c, const juxmem_pmsg_t *m, uint64_t now)
{
    if (m->nmembers == 0 || m->epoch < c->view_epoch ||
        (m->epoch == c->view_epoch && m->ref <= c->view))
        return;
    member_t next[JUXMEM_MAX_COPIES];
    size_t n = 0;
    for (size_t i = 0; i < m->nmembers && n < JUXMEM_MAX_COPIES; i++) {
        int k = member_index(c, &m->members[i].peer);
        if (k >= 0) {
            next[n] = c->members[k];
        } else {
            memset(&next[n], 0, sizeof next[n]);
            next[n].last_heard = now;
        }
        next[n++].m = m->members[i];
    }
    memcpy(c->members, next, n * sizeof next[0]);
    c->nmembers = n;
    c->view_epoch = m->epoch;
    c->view = m->ref;
}

/* ---- provider store --------------------------------------------------------------- */

/* Copies are kept sorted by block ID: the position of `data`, or where it
 * would go (*found 0). */
static size_t copy_pos(const juxmem_provider_t *p, const jxta_id_t *data, int *found)
{
    size_t lo = 0, hi = p->ncopies;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = jxta_id_cmp(&p->copies[mid]->id, data);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static copy_t *find_copy(const juxmem_provider_t *p, const jxta_id_t *data, size_t *index)
{
    int found;
    size_t i = copy_pos(p, data, &found);
    if (!found)
        return NULL;
    if (index)
        *index = i;
    return p->copies[i];
}

static const tomb_t *find_tomb(const juxmem_provider_t *p, const jxta_id_t *data)
{
    for (size_t i = 0; i < p->ntombs; i++)
        if (jxta_id_equal(&p->tombs[i].data, data))
            return &p->tombs[i];
    return NULL;
}

static void add_tomb(juxmem_provider_t *p, const jxta_id_t *data, const jxta_id_t *client,
                     uint64_t seq, int status)
{
    if (p->cfg.max_tombs == 0)
        return;
    tomb_t t = {*data, client ? *client : jxta_id_null, seq, status};
    if (p->ntombs == p->captombs && p->captombs < p->cfg.max_tombs) {
        size_t cap = p->captombs ? p->captombs * 2 : 16;
        if (cap > p->cfg.max_tombs)
            cap = p->cfg.max_tombs;
        tomb_t *v = realloc(p->tombs, cap * sizeof *v);
        if (v) {
            p->tombs = v;
            p->captombs = cap;
        }
    }
    if (p->ntombs < p->captombs) {
        p->tombs[p->ntombs++] = t;
        return;
    }
    if (p->ntombs == 0)
        return; /* out of memory: the double free will read as "no such data" */
    if (p->tomb_next >= p->ntombs)
        p->tomb_next = 0;
    p->tombs[p->tomb_next] = t; /* the oldest goes */
    p->tomb_next = (p->tomb_next + 1) % p->ntombs;
}

static void seq_reset(copy_t *c)
{
    free(c->holders);
    free(c->queue);
    c->holders = NULL;
    c->queue = NULL;
    c->nholders = c->nq = c->capholders = c->capq = 0;
    for (size_t i = 0; i < c->ncache; i++)
        juxmem_pmsg_clear(&c->cache[i].reply);
    free(c->cache);
    c->cache = NULL;
    c->ncache = c->capcache = 0;
    juxmem_pmsg_clear(&c->commit_upd);
    c->committing = c->syncing = c->am_seq = 0;
}

static void copy_free(copy_t *c)
{
    if (!c)
        return;
    seq_reset(c);
    for (size_t i = 0; i < c->npend; i++)
        juxmem_pmsg_clear(&c->pend[i]);
    free(c->data);
    free(c);
}

int juxmem_provider_new(const jxta_id_t *self, const char *cluster, uint64_t offered,
                        const juxmem_block_cfg_t *cfg, juxmem_provider_t **out)
{
    *out = NULL;
    if (!self || jxta_id_kind(self) != JXTA_ID_PEER ||
        (cluster && strlen(cluster) > JUXMEM_CLUSTER_NAME_MAX))
        return jxta__reject(JXTA_EINVAL, MOD, "provider: bad peer ID or cluster name");
    juxmem_provider_t *p = calloc(1, sizeof *p);
    if (!p)
        return JXTA_ENOMEM;
    p->self = *self;
    if (cluster)
        strcpy(p->cluster, cluster);
    p->offered = offered;
    if (cfg)
        p->cfg = *cfg;
    else
        juxmem_block_cfg_default(&p->cfg);
    *out = p;
    return 0;
}

void juxmem_provider_free(juxmem_provider_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ncopies; i++)
        copy_free(p->copies[i]);
    free(p->copies);
    free(p->tombs);
    free(p);
}

uint64_t juxmem_provider_offered(const juxmem_provider_t *p) { return p->offered; }
uint64_t juxmem_provider_used(const juxmem_provider_t *p) { return p->used; }
uint64_t juxmem_provider_free_bytes(const juxmem_provider_t *p) { return p->offered - p->used; }
size_t juxmem_provider_nblocks(const juxmem_provider_t *p) { return p->ncopies; }

int juxmem_provider_alloc(juxmem_provider_t *p, const jxta_id_t *data, uint64_t size,
                          const juxmem_member_t *members, size_t nmembers,
                          const jxta_id_t *sequencer, uint32_t epoch, uint64_t now)
{
    if (!data || jxta_id_kind(data) != JXTA_ID_GROUP || size == 0 || !members ||
        nmembers == 0 || nmembers > JUXMEM_MAX_COPIES)
        return jxta__reject(JXTA_EINVAL, MOD, "alloc: bad block ID, size or members");
    if (find_tomb(p, data))
        return jxta__reject(JUXMEM_ENODATA, MOD, "alloc: block was freed");
    copy_t *old = find_copy(p, data, NULL);
    if (old) {
        if (old->size != size)
            return jxta__reject(JXTA_EEXIST, MOD, "alloc: block known with %llu bytes",
                                (unsigned long long)old->size);
        return 0; /* a repeated ALLOC */
    }
    int self_in = 0;
    for (size_t i = 0; i < nmembers; i++)
        self_in |= jxta_id_equal(&members[i].peer, &p->self);
    if (!self_in)
        return jxta__reject(JXTA_EINVAL, MOD, "alloc: this provider is not a member");
    if (size > p->offered - p->used) {
        jxta_log(JXTA_LOG_INFO, MOD, "alloc of %llu bytes refused: %llu free",
                 (unsigned long long)size, (unsigned long long)(p->offered - p->used));
        return JUXMEM_ENOSPACE;
    }
    if (size > SIZE_MAX)
        return JUXMEM_ENOSPACE;
    if (p->ncopies >= p->cfg.max_blocks) {
        jxta_log(JXTA_LOG_INFO, MOD, "alloc refused: already %zu blocks", p->ncopies);
        return JUXMEM_ENOSPACE;
    }
    if (p->ncopies == p->capcopies) {
        size_t cap = p->capcopies ? p->capcopies * 2 : 8;
        copy_t **v = realloc(p->copies, cap * sizeof *v);
        if (!v)
            return JXTA_ENOMEM;
        p->copies = v;
        p->capcopies = cap;
    }
    copy_t *c = calloc(1, sizeof *c);
    if (!c || !(c->data = calloc(1, (size_t)size))) {
        free(c);
        return JXTA_ENOMEM;
    }
    c->id = *data;
    c->size = size;
    c->epoch = c->data_epoch = c->view_epoch = epoch ? epoch : 1;
    for (size_t i = 0; i < nmembers; i++) {
        c->members[c->nmembers].m = members[i];
        c->members[c->nmembers++].last_heard = now;
    }
    c->seq_peer = sequencer && !jxta_id_is_null(sequencer) ? *sequencer : *lowest_member(c);
    c->seq_heard = now;
    c->am_seq = jxta_id_equal(&c->seq_peer, &p->self);
    c->quorum_at = now;
    c->hb_at = now;
    int found;
    size_t at = copy_pos(p, data, &found);
    memmove(&p->copies[at + 1], &p->copies[at], (p->ncopies - at) * sizeof p->copies[0]);
    p->copies[at] = c;
    p->ncopies++;
    p->used += size;
    return 0;
}

/* Drop copy `i` (memory returned exactly), answering the lock requests
 * still waiting with `err`. */
static void drop_copy(juxmem_provider_t *p, size_t i, int err, juxmem_out_t *o)
{
    copy_t *c = p->copies[i];
    for (size_t k = 0; k < c->nq; k++) {
        juxmem_pmsg_t *r = emit(o, &c->queue[k].client, JUXMEM_MSG_DENY, &c->id, &p->self);
        if (r) {
            r->seq = c->queue[k].seq;
            r->status = err;
            r->epoch = c->epoch;
        }
    }
    p->used -= c->size;
    copy_free(c);
    memmove(&p->copies[i], &p->copies[i + 1], (p->ncopies - i - 1) * sizeof p->copies[0]);
    p->ncopies--;
}

int juxmem_provider_free_block(juxmem_provider_t *p, const jxta_id_t *data,
                               const jxta_id_t *client, uint64_t seq, juxmem_out_t *out)
{
    const tomb_t *t = find_tomb(p, data);
    if (t) {
        if (client && seq && jxta_id_equal(&t->client, client) && t->seq == seq)
            return t->status; /* the same FREE again: the same answer */
        return jxta__reject(t->status ? JUXMEM_ENODATA : JUXMEM_EFREED, MOD,
                            "free: block already freed");
    }
    size_t i;
    if (!find_copy(p, data, &i)) {
        /* Remembered too: an ALLOC overtaken by this FREE (an allocation
         * being undone) must not create the block afterwards. */
        add_tomb(p, data, client, seq, JUXMEM_ENODATA);
        return jxta__reject(JUXMEM_ENODATA, MOD, "free: no such block");
    }
    juxmem_out_t scratch;
    juxmem_out_init(&scratch);
    drop_copy(p, i, JUXMEM_ENODATA, out ? out : &scratch);
    juxmem_out_clear(&scratch);
    add_tomb(p, data, client, seq, 0);
    return 0;
}

int juxmem_provider_block_info(const juxmem_provider_t *p, const jxta_id_t *data, uint64_t now,
                               juxmem_block_info_t *info)
{
    const copy_t *c = find_copy(p, data, NULL);
    memset(info, 0, sizeof *info);
    if (!c)
        return JUXMEM_ENODATA;
    info->size = c->size;
    info->version = c->version;
    info->last_token = c->last_token;
    info->epoch = c->epoch;
    info->view = c->view;
    info->is_sequencer = c->am_seq;
    info->has_quorum = c->am_seq ? seq_has_quorum(p, c, now)
                                 : !c->seq_gone && now < c->seq_heard + 2 * p->cfg.fail_ms;
    info->sequencer = c->seq_peer;
    info->nmembers = c->nmembers;
    for (size_t i = 0; i < c->nmembers; i++)
        info->members[i] = c->members[i].m;
    if (c->am_seq) {
        info->queued = c->nq;
        if (c->nholders) {
            info->locked = c->holders[0].mode == JUXMEM_MODE_EXCL ? 1 : 2;
            if (info->locked == 1)
                info->holder = c->holders[0].client;
            info->lease_left_ms = c->holders[0].expiry > now ? c->holders[0].expiry - now : 0;
        }
    }
    return 0;
}

int juxmem_provider_peek(const juxmem_provider_t *p, const jxta_id_t *data, uint64_t offset,
                         void *buf, size_t len)
{
    const copy_t *c = find_copy(p, data, NULL);
    if (!c)
        return JUXMEM_ENODATA;
    if (offset > c->size || len > c->size - offset)
        return JUXMEM_ERANGE;
    memcpy(buf, c->data + offset, len);
    return 0;
}

/* ---- sequencer: reply cache ---------------------------------------------------------- */

/* 1 if `m` is a repeat (answered from the cache, or still in progress, or
 * older than the client's latest request); 0 for a new request. */
static int cache_check(copy_t *c, const juxmem_pmsg_t *m, juxmem_out_t *o)
{
    cache_ent_t *e = NULL;
    for (size_t i = 0; i < c->ncache; i++)
        if (jxta_id_equal(&c->cache[i].client, &m->from))
            e = &c->cache[i];
    if (!e && c->ncache == c->capcache && c->capcache < CACHE_MAX) {
        size_t cap = c->capcache ? c->capcache * 2 : 8;
        cache_ent_t *v = realloc(c->cache, cap * sizeof *v);
        if (v) {
            c->cache = v;
            c->capcache = cap;
        }
    }
    if (!e) {
        if (c->ncache < c->capcache) {
            e = &c->cache[c->ncache++];
        } else if (c->ncache == 0) {
            return 1; /* out of memory: dropped, the client retries */
        } else { /* least recently used goes */
            e = &c->cache[0];
            for (size_t i = 1; i < c->ncache; i++)
                if (c->cache[i].used < e->used)
                    e = &c->cache[i];
            juxmem_pmsg_clear(&e->reply);
        }
        memset(e, 0, sizeof *e);
        e->client = m->from;
    }
    e->used = ++c->cache_clock;
    if (m->seq < e->seq && e->seq - m->seq < JUXMEM_SEQ_WINDOW)
        return 1; /* a late duplicate (far below: the client restarted) */
    if (m->seq == e->seq) {
        if (e->has)
            emit_copy(o, &m->from, &e->reply);
        return 1;
    }
    e->seq = m->seq;
    juxmem_pmsg_clear(&e->reply);
    e->has = 0;
    return 0;
}

/* Remember the answer to the client's request `reply->seq` (if it is
 * still the latest) and send it. */
static void answer(copy_t *c, const jxta_id_t *client, const juxmem_pmsg_t *reply,
                   juxmem_out_t *o)
{
    for (size_t i = 0; i < c->ncache; i++) {
        cache_ent_t *e = &c->cache[i];
        if (jxta_id_equal(&e->client, client) && e->seq == reply->seq && !e->has) {
            if (juxmem_pmsg_copy(&e->reply, reply) == 0)
                e->has = 1;
        }
    }
    emit_copy(o, client, reply);
}

static void answer_status(juxmem_provider_t *p, copy_t *c, const jxta_id_t *client,
                          juxmem_msg_type_t type, uint64_t seq, int status, juxmem_out_t *o)
{
    juxmem_pmsg_t r;
    juxmem_pmsg_init(&r, type, &c->id, &p->self);
    r.seq = seq;
    r.status = status;
    r.epoch = c->epoch;
    r.version = c->version;
    answer(c, client, &r, o);
}

/* ---- token history (sent with STATE) ---------------------------------------------------- */

static void put_u64(uint8_t *b, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

/* Append our applied tokens to a STATE as its second range. */
static void add_history(juxmem_pmsg_t *s, const copy_t *c, juxmem_out_t *o)
{
    uint8_t buf[APPLIED_MAX * JUXMEM_HISTORY_ENTRY];
    size_t n = 0;
    for (size_t i = 0; i < APPLIED_MAX; i++)
        if (c->applied[i].token && c->applied[i].version <= c->version) {
            put_u64(buf + n * JUXMEM_HISTORY_ENTRY, c->applied[i].token);
            put_u64(buf + n * JUXMEM_HISTORY_ENTRY + 8, c->applied[i].version);
            n++;
        }
    if (n && juxmem_pmsg_add_range(s, c->size, buf, n * JUXMEM_HISTORY_ENTRY) < 0)
        o->err = JXTA_ENOMEM;
}

/* Take the history of a STATE that replaced our data (nothing of ours
 * above its version survives). */
static void take_history(copy_t *c, const juxmem_pmsg_t *m)
{
    memset(c->applied, 0, sizeof c->applied);
    c->applied_next = 0;
    if (m->nranges < 2)
        return;
    const juxmem_range_t *r = &m->ranges[1];
    for (uint64_t k = 0; k + JUXMEM_HISTORY_ENTRY <= r->len; k += JUXMEM_HISTORY_ENTRY) {
        uint64_t token = get_u64(r->data + k), version = get_u64(r->data + k + 8);
        if (!token || version > m->version || c->applied_next == APPLIED_MAX)
            continue;
        c->applied[c->applied_next].token = token;
        c->applied[c->applied_next].version = version;
        c->applied_next++;
    }
    c->applied_next %= APPLIED_MAX;
}

/* ---- sequencer: locks ------------------------------------------------------------------ */

static void send_update(juxmem_provider_t *p, copy_t *c, member_t *mb, uint64_t now,
                        juxmem_out_t *o)
{
    if (mb->need_state || c->syncing || !c->committing) {
        juxmem_pmsg_t *s = emit(o, &mb->m.peer, JUXMEM_MSG_STATE, &c->id, &p->self);
        if (s) {
            s->epoch = c->epoch;
            s->ref = c->view;
            s->version = c->version;
            s->token = c->last_token;
            s->size = c->size;
            add_members(s, c);
            if (juxmem_pmsg_add_range(s, 0, c->data, c->size) < 0)
                o->err = JXTA_ENOMEM;
            add_history(s, c, o);
        }
    } else {
        emit_copy(o, &mb->m.peer, &c->commit_upd);
    }
    mb->sent_at = now;
}

static void grant(juxmem_provider_t *p, copy_t *c, const waiter_t *w, uint64_t now,
                  juxmem_out_t *o)
{
    if (c->counter == UINT32_MAX) { /* tokens stay increasing: next epoch */
        if (c->epoch == UINT32_MAX)
            return; /* no token left (a hostile epoch): nothing more is granted */
        c->epoch++;
        c->counter = 0;
    }
    holder_t h = {w->client, w->seq, ((uint64_t)c->epoch << 32) | ++c->counter,
                  now + p->cfg.lease_ms, w->mode, 0};
    c->holders[c->nholders++] = h;
    juxmem_pmsg_t r;
    juxmem_pmsg_init(&r, JUXMEM_MSG_GRANT, &c->id, &p->self);
    r.seq = w->seq;
    r.token = h.token;
    r.mode = w->mode;
    r.epoch = c->epoch;
    r.version = c->version;
    r.lease_ms = p->cfg.lease_ms;
    r.size = c->size;
    if (w->want_data && w->cached != c->version && c->size <= p->cfg.inline_max &&
        juxmem_pmsg_add_range(&r, 0, c->data, c->size) == 0)
        r.flags |= JUXMEM_F_HAS_DATA;
    if (w->view != view_word(c)) { /* the client's list of copies is out of date */
        r.ref = view_word(c);
        add_members(&r, c);
    }
    answer(c, &w->client, &r, o);
    juxmem_pmsg_clear(&r);
}

static void try_grant(juxmem_provider_t *p, copy_t *c, uint64_t now, juxmem_out_t *o)
{
    while (c->am_seq && !c->committing && !c->syncing && c->nq &&
           c->nholders < p->cfg.max_queue && seq_has_quorum(p, c, now)) {
        const waiter_t *w = &c->queue[0];
        if (c->nholders &&
            (w->mode == JUXMEM_MODE_EXCL || c->holders[0].mode == JUXMEM_MODE_EXCL))
            break;
        if (c->nholders == c->capholders) {
            size_t cap = c->capholders ? c->capholders * 2 : 8;
            holder_t *v = realloc(c->holders, cap * sizeof *v);
            if (!v)
                break; /* granted at a later tick */
            c->holders = v;
            c->capholders = cap;
        }
        waiter_t head = *w;
        memmove(&c->queue[0], &c->queue[1], (c->nq - 1) * sizeof c->queue[0]);
        c->nq--;
        grant(p, c, &head, now, o);
    }
}

static holder_t *find_holder(copy_t *c, const jxta_id_t *client, uint64_t token,
                             uint64_t acq_seq)
{
    for (size_t i = 0; i < c->nholders; i++) {
        holder_t *h = &c->holders[i];
        if (jxta_id_equal(&h->client, client) &&
            (token ? h->token == token : h->acq_seq == acq_seq))
            return h;
    }
    return NULL;
}

static void drop_holder(copy_t *c, holder_t *h)
{
    size_t i = (size_t)(h - c->holders);
    memmove(&c->holders[i], &c->holders[i + 1], (c->nholders - i - 1) * sizeof *h);
    c->nholders--;
}

/* A client runs one operation per block, and acquires only what it does
 * not hold: a new ACQUIRE means that its older requests still queued here,
 * or granted without its knowing (a GRANT lost, then a time-out whose
 * CANCEL went astray), were given up.  Left in place, each would hold the
 * lock for a whole lease while nobody uses it. */
static int older_request(uint64_t old, uint64_t seq)
{
    return old < seq || old > seq + JUXMEM_SEQ_WINDOW; /* or a former incarnation's */
}

static void forget_abandoned(copy_t *c, const jxta_id_t *client, uint64_t seq)
{
    for (size_t i = 0; i < c->nq;) {
        if (jxta_id_equal(&c->queue[i].client, client) && older_request(c->queue[i].seq, seq)) {
            memmove(&c->queue[i], &c->queue[i + 1], (c->nq - i - 1) * sizeof c->queue[0]);
            c->nq--;
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < c->nholders;) {
        holder_t *h = &c->holders[i];
        if (jxta_id_equal(&h->client, client) && older_request(h->acq_seq, seq) &&
            !h->committing) {
            jxta_log(JXTA_LOG_INFO, MOD, "lock of token %016llx given up by its holder",
                     (unsigned long long)h->token);
            drop_holder(c, h);
        } else {
            i++;
        }
    }
}

static int seq_acquire(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                       juxmem_out_t *o)
{
    if (cache_check(c, m, o))
        return 0;
    if (!seq_has_quorum(p, c, now)) {
        jxta_log(JXTA_LOG_INFO, MOD, "lock request refused: no majority of the copies heard");
        answer_status(p, c, &m->from, JUXMEM_MSG_DENY, m->seq, JUXMEM_ENOQUORUM, o);
        return JUXMEM_ENOQUORUM;
    }
    if (m->flags & JUXMEM_F_RENEW) {
        holder_t *h = find_holder(c, &m->from, m->token, 0);
        if (!h) {
            answer_status(p, c, &m->from, JUXMEM_MSG_DENY, m->seq, JUXMEM_ESTALE, o);
            return JUXMEM_ESTALE;
        }
        h->expiry = now + p->cfg.lease_ms;
        juxmem_pmsg_t r;
        juxmem_pmsg_init(&r, JUXMEM_MSG_GRANT, &c->id, &p->self);
        r.seq = m->seq;
        r.token = h->token;
        r.mode = h->mode;
        r.epoch = c->epoch;
        r.version = c->version;
        r.lease_ms = p->cfg.lease_ms;
        r.size = c->size;
        answer(c, &m->from, &r, o);
        return 0;
    }
    forget_abandoned(c, &m->from, m->seq);
    if (c->nq >= p->cfg.max_queue) {
        answer_status(p, c, &m->from, JUXMEM_MSG_DENY, m->seq, JXTA_EBUSY, o);
        return JXTA_EBUSY;
    }
    if (c->nq == c->capq) {
        size_t cap = c->capq ? c->capq * 2 : 8;
        waiter_t *v = realloc(c->queue, cap * sizeof *v);
        if (!v)
            return JXTA_ENOMEM; /* the client retries */
        c->queue = v;
        c->capq = cap;
    }
    c->queue[c->nq++] = (waiter_t){m->from, m->seq, m->version, m->mode,
                                   (m->flags & JUXMEM_F_WANT_DATA) != 0, m->ref};
    try_grant(p, c, now, o);
    return 0;
}

/* Committed once a majority of the group (the sequencer included) holds
 * `version`: any later majority - every election's - includes one of them,
 * and the most up-to-date candidate wins, so it is never rolled back. */
static int commit_done(const copy_t *c, const jxta_id_t *self, uint64_t version)
{
    size_t have = 0;
    for (size_t i = 0; i < c->nmembers; i++)
        have += jxta_id_equal(&c->members[i].m.peer, self) || c->members[i].acked >= version;
    return have >= majority(c->nmembers);
}

/* Finish the commit or the takeover once a majority of the copies holds
 * `version` (the others catch up by UPDATE or STATE). */
static void check_commit(juxmem_provider_t *p, copy_t *c, uint64_t now, juxmem_out_t *o)
{
    if (c->syncing && commit_done(c, &p->self, c->version)) {
        c->syncing = 0;
        jxta_log(JXTA_LOG_INFO, MOD, "sequencer epoch %u: copies synchronised at version %llu",
                 (unsigned)c->epoch, (unsigned long long)c->version);
    }
    if (c->committing && commit_done(c, &p->self, c->commit_version)) {
        c->committing = 0;
        for (size_t i = 0; i < c->nholders; i++) {
            holder_t *h = &c->holders[i];
            if (!h->committing)
                continue;
            juxmem_pmsg_t r;
            juxmem_pmsg_init(&r, JUXMEM_MSG_RELEASED, &c->id, &p->self);
            r.seq = c->commit_upd.seq;
            r.version = c->commit_version;
            r.epoch = c->epoch;
            jxta_id_t client = h->client;
            drop_holder(c, h);
            answer(c, &client, &r, o);
            break;
        }
        juxmem_pmsg_clear(&c->commit_upd);
    }
    try_grant(p, c, now, o);
}

static int range_ok(const copy_t *c, const juxmem_pmsg_t *m)
{
    for (size_t i = 0; i < m->nranges; i++)
        if (m->ranges[i].offset > c->size || m->ranges[i].len > c->size - m->ranges[i].offset)
            return 0;
    return 1;
}

/* Remember that the update of `token` made `version` (forgetting any
 * version at or above it first: a state transfer can roll back an update
 * that was never committed). */
static void remember_applied(copy_t *c, uint64_t token, uint64_t version)
{
    for (size_t i = 0; i < APPLIED_MAX; i++)
        if (c->applied[i].version >= version)
            c->applied[i].token = c->applied[i].version = 0;
    if (!token)
        return;
    c->applied[c->applied_next].token = token;
    c->applied[c->applied_next].version = version;
    c->applied_next = (c->applied_next + 1) % APPLIED_MAX;
}

static void apply(copy_t *c, const juxmem_pmsg_t *m)
{
    remember_applied(c, m->token, m->version);
    for (size_t i = 0; i < m->nranges; i++)
        memcpy(c->data + m->ranges[i].offset, m->ranges[i].data, (size_t)m->ranges[i].len);
    c->version = m->version;
    c->last_token = m->token;
    c->data_epoch = m->epoch;
}

static int seq_release(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                       juxmem_out_t *o)
{
    if (cache_check(c, m, o))
        return 0;
    if (m->flags & JUXMEM_F_CANCEL) {
        for (size_t i = 0; i < c->nq; i++)
            if (jxta_id_equal(&c->queue[i].client, &m->from) && c->queue[i].seq == m->ref) {
                memmove(&c->queue[i], &c->queue[i + 1], (c->nq - i - 1) * sizeof c->queue[0]);
                c->nq--;
                break;
            }
        holder_t *h = find_holder(c, &m->from, 0, m->ref);
        if (h && !h->committing)
            drop_holder(c, h);
        answer_status(p, c, &m->from, JUXMEM_MSG_RELEASED, m->seq, 0, o);
        try_grant(p, c, now, o);
        return 0;
    }
    holder_t *h = find_holder(c, &m->from, m->token, 0);
    uint64_t done_version = 0;
    for (size_t i = 0; i < APPLIED_MAX; i++)
        if (c->applied[i].token && c->applied[i].token == m->token)
            done_version = c->applied[i].version;
    if (!h) {
        if (done_version) {
            /* The update of this token is already in (it reached this
             * copy before a change of sequencer): the release did happen,
             * at that version (the client labels its cache with it). */
            juxmem_pmsg_t r;
            juxmem_pmsg_init(&r, JUXMEM_MSG_RELEASED, &c->id, &p->self);
            r.seq = m->seq;
            r.epoch = c->epoch;
            r.version = done_version;
            answer(c, &m->from, &r, o);
            return 0;
        }
        jxta_log(JXTA_LOG_INFO, MOD, "release with stale token %016llx refused",
                 (unsigned long long)m->token);
        answer_status(p, c, &m->from, JUXMEM_MSG_RELEASED, m->seq, JUXMEM_ESTALE, o);
        return JUXMEM_ESTALE;
    }
    if (h->committing) {
        answer_status(p, c, &m->from, JUXMEM_MSG_RELEASED, m->seq, JXTA_EBUSY, o);
        return JXTA_EBUSY;
    }
    if (m->nranges && !seq_has_quorum(p, c, now)) { /* the writes are discarded */
        jxta_log(JXTA_LOG_INFO, MOD, "release refused: no majority of the copies heard");
        drop_holder(c, h);
        answer_status(p, c, &m->from, JUXMEM_MSG_RELEASED, m->seq, JUXMEM_ENOQUORUM, o);
        return JUXMEM_ENOQUORUM;
    }
    int err = 0;
    if (h->mode == JUXMEM_MODE_SHARED && m->nranges)
        err = jxta__reject(JUXMEM_ENOTLOCKED, MOD, "writes released under a shared lock");
    else if (!range_ok(c, m))
        err = jxta__reject(JUXMEM_ERANGE, MOD, "released writes outside the block");
    if (err || m->nranges == 0) {
        drop_holder(c, h);
        answer_status(p, c, &m->from, JUXMEM_MSG_RELEASED, m->seq, err, o);
        try_grant(p, c, now, o);
        return err;
    }
    /* Commit: apply here, then to every other live copy. */
    juxmem_pmsg_t *u = &c->commit_upd;
    juxmem_pmsg_clear(u);
    if (juxmem_pmsg_copy(u, m) < 0)
        return JXTA_ENOMEM; /* the client retries */
    u->type = JUXMEM_MSG_UPDATE;
    u->from = p->self;
    u->flags = 0;
    u->epoch = c->epoch;
    u->version = c->version + 1;
    u->size = c->size;
    apply(c, u);
    u->seq = m->seq; /* kept to answer the client; not used by copies */
    c->committing = 1;
    c->commit_version = u->version;
    h->committing = 1;
    for (size_t i = 0; i < c->nmembers; i++)
        if (!jxta_id_equal(&c->members[i].m.peer, &p->self))
            send_update(p, c, &c->members[i], now, o);
    check_commit(p, c, now, o);
    return 0;
}

static int seq_ack(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                   juxmem_out_t *o)
{
    int k = member_index(c, &m->from);
    if (k < 0 || m->epoch != c->epoch)
        return 0; /* from a former member, or about a former epoch */
    member_t *mb = &c->members[k];
    mb->last_heard = now;
    if (m->status == JUXMEM__EBEHIND) {
        if (!mb->need_state || now >= mb->sent_at + p->cfg.rto_ms) {
            mb->need_state = 1;
            send_update(p, c, mb, now, o);
        }
        return 0;
    }
    if (m->status < 0)
        return 0;
    if (m->version > mb->acked)
        mb->acked = m->version;
    if (mb->acked >= c->version)
        mb->need_state = 0;
    check_commit(p, c, now, o);
    return 0;
}

static void seq_heartbeat_reply(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m,
                                uint64_t now, juxmem_out_t *o)
{
    int k = member_index(c, &m->from);
    if (k < 0)
        return;
    member_t *mb = &c->members[k];
    mb->last_heard = now;
    if (m->epoch == c->epoch && m->version + (c->committing ? 1 : 0) < c->version &&
        !mb->need_state) {
        mb->need_state = 1;
        send_update(p, c, mb, now, o);
    }
}

/* Won the election for `epoch`: push our state to every copy (rolling
 * back whatever a former sequencer had not committed) and grant nothing
 * until a majority holds it. */
static void become_sequencer(juxmem_provider_t *p, copy_t *c, uint32_t epoch, uint64_t now,
                             juxmem_out_t *o)
{
    jxta_id_t former = c->seq_peer;
    uint64_t former_heard = c->seq_heard;
    seq_reset(c);
    c->am_seq = 1;
    c->syncing = 1;
    c->candidate = 0;
    c->epoch = epoch;
    c->counter = 0;
    c->seq_peer = p->self;
    c->seq_gone = 0;
    c->view_epoch = c->epoch;
    c->view = 1;
    c->data_epoch = c->epoch;
    c->hb_at = now;
    c->quorum_at = now;
    jxta_log(JXTA_LOG_INFO, MOD, "now sequencer of a block (epoch %u, version %llu)",
             (unsigned)c->epoch, (unsigned long long)c->version);
    event(o, JUXMEM_EV_SEQUENCER, &c->id, &p->self);
    for (size_t i = 0; i < c->nmembers; i++) {
        member_t *mb = &c->members[i];
        if (jxta_id_equal(&mb->m.peer, &p->self))
            continue;
        mb->acked = 0;
        mb->need_state = 1;
        /* the former sequencer is as silent as it was: dropped (and its
         * copy re-created) as soon as we have a quorum without it */
        mb->last_heard = jxta_id_equal(&mb->m.peer, &former) ? former_heard : now;
        send_update(p, c, mb, now, o);
    }
    check_commit(p, c, now, o);
}

static void seq_tick(juxmem_provider_t *p, copy_t *c, uint64_t now, juxmem_out_t *o)
{
    if (seq_has_quorum(p, c, now)) {
        c->quorum_at = now;
    } else if (now >= c->quorum_at + 2 * p->cfg.fail_ms) {
        /* Cut off from the majority for long: step down.  As a plain copy
         * it stands for election; a majority that has gone on without it
         * answers that it is out of the group, and the copy is freed. */
        jxta_log(JXTA_LOG_WARN, MOD, "no majority of the copies heard for %llu ms: stepping down",
                 (unsigned long long)(now - c->quorum_at));
        seq_reset(c);
        c->seq_heard = now;
        c->elect_at = 0;
        return;
    }
    for (size_t i = 0; i < c->nholders;) {
        holder_t *h = &c->holders[i];
        if (!h->committing && h->expiry <= now) {
            jxta_log(JXTA_LOG_INFO, MOD, "lease of token %016llx expired",
                     (unsigned long long)h->token);
            drop_holder(c, h);
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < c->nmembers;) {
        member_t *mb = &c->members[i];
        if (jxta_id_equal(&mb->m.peer, &p->self)) {
            i++;
            continue;
        }
        if (!mb->gone && now >= mb->last_heard + suspect_ms(p) && mb->probed_at <= mb->last_heard) {
            mb->probed_at = now; /* once per silence */
            event(o, JUXMEM_EV_SUSPECT, &c->id, &mb->m.peer);
        }
        if ((mb->gone || now >= mb->last_heard + p->cfg.fail_ms) && seq_has_quorum(p, c, now)) {
            jxta_id_text_t t;
            if (mb->gone)
                jxta_log(JXTA_LOG_WARN, MOD, "copy on %s gone (its peer ended): dropped",
                         jxta_id_str(&mb->m.peer, &t));
            else
                jxta_log(JXTA_LOG_WARN, MOD, "copy on %s silent for %llu ms: dropped",
                         jxta_id_str(&mb->m.peer, &t),
                         (unsigned long long)(now - mb->last_heard));
            jxta_id_t lost = mb->m.peer;
            member_remove(c, i);
            c->view++;
            size_t slot = 0;
            for (size_t k = 1; k < DEPARTED_MAX; k++)
                if (c->departed[k].until < c->departed[slot].until)
                    slot = k;
            c->departed[slot].peer = lost;
            c->departed[slot].until = now + 3 * p->cfg.fail_ms;
            c->hb_at = now; /* tell the others at once */
            event(o, JUXMEM_EV_COPY_LOST, &c->id, &lost);
            continue;
        }
        int behind = (c->committing && mb->acked < c->commit_version) ||
                     ((c->syncing || mb->need_state) && mb->acked < c->version);
        if (behind && now >= mb->sent_at + p->cfg.rto_ms)
            send_update(p, c, mb, now, o);
        i++;
    }
    if (now >= c->hb_at) {
        c->hb_at = now + p->cfg.hb_ms;
        for (size_t i = 0; i < c->nmembers + DEPARTED_MAX; i++) {
            const jxta_id_t *to = i < c->nmembers ? &c->members[i].m.peer
                                                  : &c->departed[i - c->nmembers].peer;
            if (i >= c->nmembers && c->departed[i - c->nmembers].until <= now)
                continue;
            if (jxta_id_equal(to, &p->self))
                continue;
            juxmem_pmsg_t *h = emit(o, to, JUXMEM_MSG_HEARTBEAT, &c->id, &p->self);
            if (h) {
                h->epoch = c->epoch;
                h->ref = c->view;
                h->version = c->version;
                h->token = c->last_token;
                add_members(h, c);
            }
        }
    }
    check_commit(p, c, now, o);
}

/* ---- elections ------------------------------------------------------------------------- */

/* Is a candidate's state (data epoch, version) at least as recent as ours? */
static int up_to_date(const copy_t *c, uint32_t data_epoch, uint64_t version)
{
    return data_epoch > c->data_epoch || (data_epoch == c->data_epoch && version >= c->version);
}

/* Is (data_epoch, version) strictly more up to date than copy c? */
static int newer_than(const copy_t *c, uint32_t data_epoch, uint64_t version)
{
    return data_epoch > c->data_epoch || (data_epoch == c->data_epoch && version > c->version);
}

/* Our place among the copies that may stand (all but the silent
 * sequencer), by peer ID: the lowest stands first, the next one a
 * heartbeat period later, which avoids split votes without relying on
 * them not happening. */
static uint64_t stand_delay(const juxmem_provider_t *p, const copy_t *c)
{
    uint64_t rank = 0;
    for (size_t i = 0; i < c->nmembers; i++) {
        const jxta_id_t *m = &c->members[i].m.peer;
        if (!jxta_id_equal(m, &c->seq_peer) && !c->members[i].gone && jxta_id_cmp(m, &p->self) < 0)
            rank++;
    }
    /* a sequencer known dead leaves no doubt to wait out: a step of an
     * eighth of a period (the votes of the first candidate are back long
     * before the next one stands) */
    return rank * (c->seq_gone ? p->cfg.hb_ms / 8 : p->cfg.hb_ms);
}

/* After a candidacy without a majority: wait before standing again, with
 * a spread of up to fail_ms that differs from copy to copy and from term
 * to term (derived from our peer ID and the term, so the simulated network
 * stays reproducible), so two equally up-to-date candidates that split the
 * votes once - views that differ right after a membership change rank
 * them alike - do not keep doing so. */
static uint64_t retry_delay(const juxmem_provider_t *p, const copy_t *c)
{
    uint64_t h = 1469598103934665603ull ^ c->cand_epoch;
    for (size_t i = 0; i < JXTA_ID_BYTES; i++)
        h = (h ^ p->self.b[i]) * 1099511628211ull;
    /* a sequencer known dead: nobody else will lead meanwhile, so the
     * same shape on the heartbeat's scale (the votes take round trips) */
    uint64_t unit = c->seq_gone ? p->cfg.hb_ms : p->cfg.fail_ms;
    uint64_t spread = unit / 2 ? h % (unit / 2) : 0;
    return unit / 4 + spread + stand_delay(p, c);
}

static void count_vote(juxmem_provider_t *p, copy_t *c, const jxta_id_t *voter, uint64_t now,
                       juxmem_out_t *o)
{
    for (size_t i = 0; i < c->nvotes; i++)
        if (jxta_id_equal(&c->votes[i], voter))
            return;
    if (c->nvotes < JUXMEM_MAX_COPIES)
        c->votes[c->nvotes++] = *voter;
    if (c->nvotes < majority(c->nmembers))
        return;
    jxta_log(JXTA_LOG_INFO, MOD, "elected sequencer for epoch %u by %zu of %zu copies",
             (unsigned)c->cand_epoch, c->nvotes, c->nmembers);
    /* the former sequencer, silent, is dropped (and reported lost, once)
     * by the first tick that finds a quorum without it */
    become_sequencer(p, c, c->cand_epoch, now, o);
}

/* Ask every member that has not voted for us yet (again every quarter of
 * a heartbeat period while we stand: a VOTE can be lost, or wait for a
 * route). */
static void send_votes(juxmem_provider_t *p, copy_t *c, uint64_t now, juxmem_out_t *o)
{
    /* quickly while the sequencer is known dead: a voter that has not
     * heard so yet refuses ("alive") until it does, a moment later */
    uint64_t every = p->cfg.hb_ms / (c->seq_gone ? 16 : 4);
    c->vote_tx = now + (every ? every : 1);
    for (size_t i = 0; i < c->nmembers; i++) {
        const jxta_id_t *to = &c->members[i].m.peer;
        int voted = jxta_id_equal(to, &p->self) || c->members[i].gone;
        for (size_t k = 0; k < c->nvotes && !voted; k++)
            voted = jxta_id_equal(&c->votes[k], to);
        if (voted)
            continue;
        juxmem_pmsg_t *v = emit(o, to, JUXMEM_MSG_VOTE, &c->id, &p->self);
        if (v) {
            v->epoch = c->cand_epoch;
            v->version = c->version;
            v->ref = c->data_epoch;
            v->token = view_word(c);
            add_members(v, c);
        }
    }
}

/* May a candidate's newer view replace ours?  From a member of our view,
 * yes: it heard the sequencer after we did.  From a peer our view does not
 * list, only in the one legitimate case - a copy re-created just before the
 * sequencer died, whose view is a later one of the same term that differs
 * from ours by the sender joining and at most one member leaving.  Anything
 * else from outside the group (a stale or confused peer pushing its own
 * member list) is ignored; the vote is then refused as "not a member". */
static int view_plausible(const copy_t *c, const juxmem_pmsg_t *m)
{
    if (member_index(c, &m->from) >= 0)
        return 1;
    if ((uint32_t)(m->token >> 32) != c->view_epoch || (m->token & 0xffffffffu) > c->view + 2)
        return 0;
    size_t missing = 0, added = 0;
    for (size_t i = 0; i < c->nmembers; i++)
        missing += !listed(m, &c->members[i].m.peer);
    for (size_t i = 0; i < m->nmembers; i++)
        added += member_index(c, &m->members[i].peer) < 0;
    return missing <= 1 && added == 1; /* the one added is the sender (listed) */
}

/* The sequencer has been silent: stand for the next term.  The candidate
 * keeps its epoch until it wins (its term lives in voted_epoch), so a copy
 * cut off from the others cannot inflate its epoch and then ignore the
 * sequencer the majority elected meanwhile. */
static void stand(juxmem_provider_t *p, copy_t *c, uint64_t now, juxmem_out_t *o)
{
    uint32_t top = c->epoch > c->voted_epoch ? c->epoch : c->voted_epoch;
    if (top == UINT32_MAX) { /* only a hostile peer gets the terms there */
        jxta_log(JXTA_LOG_ERROR, MOD, "no term left to stand for (epoch %u)", (unsigned)top);
        c->elect_at = now + 60 * p->cfg.fail_ms;
        return;
    }
    c->cand_epoch = top + 1;
    c->voted_epoch = c->cand_epoch;
    c->voted_for = p->self;
    c->candidate = 1;
    c->nvotes = 0;
    c->cand_until = now + p->cfg.fail_ms;
    jxta_log(JXTA_LOG_INFO, MOD, "sequencer silent: standing for epoch %u (version %llu)",
             (unsigned)c->cand_epoch, (unsigned long long)c->version);
    send_votes(p, c, now, o);
    count_vote(p, c, &p->self, now, o);
}

/* A copy answers a VOTE.  It grants at most one vote per term, only to a
 * member at least as up to date as itself, and only when it has not heard
 * a live sequencer for fail_ms (so a copy that was merely cut off for a
 * while cannot unseat a working sequencer).  Granting adopts the term: the
 * former sequencer's messages are refused from then on, so it cannot
 * commit with our help behind the new one's back. */
static void vote_request(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                         juxmem_out_t *o)
{
    int status = JUXMEM_ESTALE, stand_now = 0;
    const char *why = NULL;
    if (!c->am_seq && m->nmembers && m->token > view_word(c) && listed(m, &p->self) &&
        listed(m, &m->from) && view_plausible(c, m)) {
        /* The candidate knows a newer view (a copy added or dropped just
         * before the sequencer died): count majorities in the same one. */
        juxmem_pmsg_t v = *m;
        v.epoch = (uint32_t)(m->token >> 32);
        v.ref = m->token & 0xffffffffu;
        set_view(c, &v, now);
    }
    if (!c->am_seq && member_index(c, &m->from) >= 0 &&
        ((uint32_t)m->ref > c->data_epoch ||
         ((uint32_t)m->ref == c->data_epoch && m->version > c->version))) {
        /* A more up-to-date copy stands: it must win, so stay out of its way
         * (even if we cannot vote for it in this term, having stood
         * ourselves: it gets our vote in the next one). */
        c->candidate = 0;
        c->elect_at = now + p->cfg.fail_ms + retry_delay(p, c);
    }
    if (member_index(c, &m->from) < 0) {
        /* not in our view: if ours is the newer one, it was dropped */
        status = view_word(c) > m->token ? JUXMEM_ENODATA : JUXMEM_ESTALE;
        why = "not a member";
    } else if (m->epoch == c->voted_epoch && jxta_id_equal(&c->voted_for, &m->from)) {
        status = 0; /* a repeated request (our answer may have been lost): same vote */
    } else if (m->epoch <= c->voted_epoch || m->epoch <= c->epoch) {
        why = "term already voted in";
    } else if (c->am_seq ? seq_has_quorum(p, c, now)
                         : !c->seq_gone && now < c->seq_heard + p->cfg.fail_ms) {
        why = "the sequencer is alive";
    } else if (!up_to_date(c, (uint32_t)m->ref, m->version)) {
        why = "candidate less up to date";
        /* No live sequencer, and we hold what the candidate lacks: we must
         * win, so stand now (for a later term than its: it has voted for
         * itself in that one) rather than when our own timer says. */
        if (m->epoch > c->voted_epoch) {
            c->voted_epoch = m->epoch;
            c->voted_for = p->self;
        }
        stand_now = !c->candidate && !c->am_seq;
    } else {
        status = 0;
        c->voted_epoch = m->epoch;
        c->voted_for = m->from;
        c->candidate = 0;
        if (c->am_seq) {
            jxta_log(JXTA_LOG_WARN, MOD, "voted for a new sequencer (epoch %u): stepping down",
                     (unsigned)m->epoch);
            seq_reset(c);
        }
        c->epoch = m->epoch;
        c->seq_peer = m->from;
        c->seq_heard = now;
        c->seq_gone = 0; /* the usual wait now: our candidate must have its chance */
    }
    jxta_id_text_t t;
    if (why)
        jxta_log(JXTA_LOG_INFO, MOD, "vote for %s (epoch %u) refused: %s",
                 jxta_id_str(&m->from, &t), (unsigned)m->epoch, why);
    else
        jxta_log(JXTA_LOG_INFO, MOD, "voted for %s (epoch %u)", jxta_id_str(&m->from, &t),
                 (unsigned)m->epoch);
    juxmem_pmsg_t *r = emit(o, &m->from, JUXMEM_MSG_VOTED, &c->id, &p->self);
    if (r) {
        r->epoch = m->epoch;
        r->status = status;
        r->version = c->version;
        r->ref = c->data_epoch;
    }
    if (stand_now)
        stand(p, c, now, o);
}

/* Returns 1 when this copy learnt it is no longer a member (to be dropped). */
static int vote_reply(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                      juxmem_out_t *o)
{
    if (!c->candidate || m->epoch != c->cand_epoch || member_index(c, &m->from) < 0)
        return 0;
    if (m->status == JUXMEM_ENODATA)
        return 1;
    if (m->status == 0) {
        count_vote(p, c, &m->from, now, o);
    } else if (m->status == JUXMEM_ESTALE && !newer_than(c, (uint32_t)m->ref, m->version)) {
        /* refused though we are as up to date (it voted for another, or
         * stands itself, or still hears the sequencer): once a majority is
         * out of reach - members that refused and members whose peer ended
         * - stop standing and retry after a spread rather than at the end
         * of the term */
        int k = member_index(c, &m->from);
        if (k >= 0)
            c->members[k].refused = c->cand_epoch;
        size_t out = 0; /* refused us, or ended: no vote from them in this term */
        for (size_t i = 0; i < c->nmembers; i++)
            out += c->members[i].refused == c->cand_epoch || c->members[i].gone;
        if (c->nmembers - out < majority(c->nmembers)) {
            c->candidate = 0;
            c->elect_at = now + retry_delay(p, c);
        }
    } else if (newer_than(c, (uint32_t)m->ref, m->version)) {
        /* a copy more up to date than us exists (it stands at once): let
         * it win the next term (standing again at once would split the
         * votes forever) */
        c->candidate = 0;
        c->elect_at = now + p->cfg.fail_ms + retry_delay(p, c);
    }
    return 0;
}

/* ---- copy ----------------------------------------------------------------------------- */

/* Does `m` come from the sequencer this copy should follow?  Adopts a
 * newer epoch (stepping down if this copy was sequencer, giving up a
 * candidacy). */
static int accept_seq(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now)
{
    /* A term has one sequencer at most (a majority elected it, each copy
     * votes once per term): any sequencer message of our term or a later
     * one is from the legitimate sequencer. */
    if (m->epoch < c->epoch)
        return 0;
    int k = member_index(c, &m->from);
    if (k >= 0 && c->members[k].gone)
        return 0; /* sent before its peer ended, and late: it leads nothing any more */
    if (m->epoch == c->epoch && c->am_seq && !jxta_id_equal(&m->from, &p->self))
        return 0; /* cannot happen but for a bug: never obey a rival of our own term */
    c->candidate = 0;
    if (!jxta_id_equal(&m->from, &c->seq_peer)) {
        if (c->am_seq) {
            jxta_log(JXTA_LOG_WARN, MOD, "another sequencer (epoch %u) took over: stepping down",
                     (unsigned)m->epoch);
            seq_reset(c);
        }
        c->seq_peer = m->from;
    }
    c->epoch = m->epoch;
    c->seq_heard = now;
    c->seq_gone = 0;
    return 1;
}

static void send_ack(juxmem_provider_t *p, copy_t *c, const jxta_id_t *to, int status,
                     juxmem_out_t *o)
{
    juxmem_pmsg_t *a = emit(o, to, JUXMEM_MSG_ACK, &c->id, &p->self);
    if (a) {
        a->status = status;
        a->version = c->version;
        a->epoch = c->epoch;
    }
}

/* Apply the buffered updates that are now next in line. */
static void drain(copy_t *c)
{
    for (int progress = 1; progress;) {
        progress = 0;
        for (size_t i = 0; i < c->npend; i++) {
            juxmem_pmsg_t *u = &c->pend[i];
            int next = u->version == c->version + 1 && u->token > c->last_token &&
                       u->epoch >= c->data_epoch;
            if (next)
                apply(c, u);
            if (next || u->version <= c->version) {
                juxmem_pmsg_clear(u);
                c->pend[i] = c->pend[--c->npend];
                progress = 1;
                break;
            }
        }
    }
}

static int copy_update(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                       juxmem_out_t *o)
{
    if (member_index(c, &m->from) < 0)
        return jxta__reject(JXTA_EPROTO, MOD, "UPDATE from a peer outside the data group");
    if (!accept_seq(p, c, m, now)) {
        send_ack(p, c, &m->from, JUXMEM_ESTALE, o);
        return jxta__reject(JUXMEM_ESTALE, MOD, "UPDATE from a former sequencer (epoch %u)",
                            (unsigned)m->epoch);
    }
    if (!range_ok(c, m))
        return jxta__reject(JUXMEM_ERANGE, MOD, "UPDATE writes outside the block");
    if (m->version <= c->version) {
        /* A repeat; unless our data came from an older regime and may differ. */
        int diverged = m->version == c->version && m->token != c->last_token;
        send_ack(p, c, &m->from, diverged ? JUXMEM__EBEHIND : 0, o);
        return 0;
    }
    if (m->version == c->version + 1) {
        if (m->token <= c->last_token) {
            send_ack(p, c, &m->from, JUXMEM_ESTALE, o);
            return jxta__reject(JUXMEM_ESTALE, MOD, "UPDATE with stale token %016llx",
                                (unsigned long long)m->token);
        }
        apply(c, m);
        drain(c);
        send_ack(p, c, &m->from, 0, o);
        return 0;
    }
    /* A gap: keep it for later (once), ask for the state. */
    int dup = 0;
    for (size_t i = 0; i < c->npend; i++)
        dup |= c->pend[i].version == m->version;
    if (!dup && c->npend < PEND_MAX && juxmem_pmsg_copy(&c->pend[c->npend], m) == 0)
        c->npend++;
    send_ack(p, c, &m->from, JUXMEM__EBEHIND, o);
    return 0;
}

/* A greeting: a heartbeat reply, which copies ignore but for answering
 * the first one from each member with one of their own - so that both
 * sides learn the other's route and a direct connection opens between
 * them long before an election needs it (a new connection holds its first
 * message back for the JXSE welcome race, PROTOCOLS.md 14). */
static void greet(juxmem_provider_t *p, copy_t *c, size_t k, juxmem_out_t *o)
{
    c->members[k].greeted = 1;
    juxmem_pmsg_t *h = emit(o, &c->members[k].m.peer, JUXMEM_MSG_HEARTBEAT, &c->id, &p->self);
    if (h) {
        h->flags = JUXMEM_F_REPLY;
        h->epoch = c->epoch;
        h->version = c->version;
        h->token = c->last_token;
    }
}

/* Take a newer view and greet the members it brings (a heartbeat reply,
 * which copies ignore): the first message between two peers carries the
 * sender's route (endpoint), so copies that never spoke - a re-created one
 * and the others - can reach each other at once when they must elect a
 * sequencer, instead of losing the first votes to a route search.  A copy
 * greets every member with its first view, the new members afterwards. */
static void view_then_greet(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                            juxmem_out_t *o)
{
    jxta_id_t known[JUXMEM_MAX_COPIES];
    size_t nknown = c->greeted ? c->nmembers : 0;
    for (size_t i = 0; i < nknown; i++)
        known[i] = c->members[i].m.peer;
    set_view(c, m, now);
    c->greeted = 1;
    for (size_t i = 0; i < c->nmembers; i++) {
        const jxta_id_t *to = &c->members[i].m.peer;
        if (jxta_id_equal(to, &p->self) || jxta_id_equal(to, &m->from) ||
            listed_in(known, nknown, to))
            continue;
        greet(p, c, i, o);
    }
}

static int copy_state(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                      juxmem_out_t *o)
{
    if (!listed(m, &m->from) || !listed(m, &p->self))
        return jxta__reject(JXTA_EPROTO, MOD, "STATE from or for a peer outside the group");
    if (m->size != c->size)
        return jxta__reject(JUXMEM_ERANGE, MOD, "STATE of %llu bytes for a block of %llu",
                            (unsigned long long)m->size, (unsigned long long)c->size);
    if (!accept_seq(p, c, m, now)) {
        send_ack(p, c, &m->from, JUXMEM_ESTALE, o);
        return jxta__reject(JUXMEM_ESTALE, MOD, "STATE from a former sequencer");
    }
    if (m->epoch > c->data_epoch || m->version >= c->version) {
        memcpy(c->data, m->ranges[0].data, (size_t)c->size);
        take_history(c, m);
        remember_applied(c, m->token, m->version);
        c->version = m->version;
        c->last_token = m->token;
        c->data_epoch = m->epoch;
    }
    view_then_greet(p, c, m, now, o);
    drain(c);
    send_ack(p, c, &m->from, 0, o);
    return 0;
}

/* Returns 1 when this copy learnt it is no longer a member (to be dropped). */
static int copy_heartbeat(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, uint64_t now,
                          juxmem_out_t *o)
{
    if (!listed(m, &m->from)) {
        jxta__reject(JXTA_EPROTO, MOD, "HEARTBEAT from a peer outside its own group");
        return 0;
    }
    if (!accept_seq(p, c, m, now))
        return 0;
    if (m->epoch > c->view_epoch || (m->epoch == c->view_epoch && m->ref > c->view)) {
        if (!listed(m, &p->self))
            return 1;
        view_then_greet(p, c, m, now, o);
    }
    juxmem_pmsg_t *r = emit(o, &m->from, JUXMEM_MSG_HEARTBEAT, &c->id, &p->self);
    if (r) {
        r->flags = JUXMEM_F_REPLY;
        r->epoch = c->epoch;
        r->ref = c->view_epoch == c->epoch ? c->view : 0; /* the member list we hold now */
        r->version = c->version;
        r->token = c->last_token;
    }
    return 0;
}

static int copy_read(juxmem_provider_t *p, copy_t *c, const juxmem_pmsg_t *m, juxmem_out_t *o)
{
    int status = 0;
    if (m->ref > c->size || m->size > c->size - m->ref)
        status = JUXMEM_ERANGE;
    else if (m->version > c->version)
        status = JUXMEM__EBEHIND;
    else if (m->version < c->version)
        status = JUXMEM_ESTALE;
    juxmem_pmsg_t *r = emit(o, &m->from, JUXMEM_MSG_DATA, &c->id, &p->self);
    if (!r)
        return JXTA_ENOMEM;
    r->seq = m->seq;
    r->status = status;
    r->version = c->version;
    r->epoch = c->epoch;
    if (status == 0 && juxmem_pmsg_add_range(r, m->ref, c->data + m->ref, m->size) < 0)
        r->status = JXTA_ENOMEM;
    return status;
}

/* ---- provider dispatch ---------------------------------------------------------------- */

static void reply_no_block(juxmem_provider_t *p, const juxmem_pmsg_t *m, int status,
                           juxmem_out_t *o)
{
    static const juxmem_msg_type_t reply_of[JUXMEM_MSG__LAST] = {
        [JUXMEM_MSG_ACQUIRE] = JUXMEM_MSG_DENY, [JUXMEM_MSG_RELEASE] = JUXMEM_MSG_RELEASED,
        [JUXMEM_MSG_READ] = JUXMEM_MSG_DATA, [JUXMEM_MSG_FREE] = JUXMEM_MSG_FREED,
        [JUXMEM_MSG_ALLOC] = JUXMEM_MSG_ALLOC_REPLY};
    if (!reply_of[m->type])
        return;
    juxmem_pmsg_t *r = emit(o, &m->from, reply_of[m->type], &m->data, &p->self);
    if (r) {
        r->seq = m->seq;
        r->status = status;
        r->size = p->offered - p->used;
    }
}

static int handle_alloc(juxmem_provider_t *p, const juxmem_pmsg_t *m, uint64_t now,
                        juxmem_out_t *o)
{
    int rc = juxmem_provider_alloc(p, &m->data, m->size, m->members, m->nmembers,
                                   jxta_id_is_null(&m->hint) ? NULL : &m->hint, m->epoch, now);
    reply_no_block(p, m, rc == JXTA_EINVAL ? JXTA_EPROTO : rc, o);
    return rc;
}

int juxmem_provider_handle(juxmem_provider_t *p, const juxmem_pmsg_t *m, uint64_t now,
                           juxmem_out_t *o)
{
    int rc = juxmem_pmsg_check(m);
    if (rc < 0)
        return rc;
    size_t idx = 0;
    copy_t *c = find_copy(p, &m->data, &idx);
    if (m->type == JUXMEM_MSG_ALLOC)
        return handle_alloc(p, m, now, o);
    if (m->type == JUXMEM_MSG_FREE) {
        rc = juxmem_provider_free_block(p, &m->data, &m->from, m->seq, o);
        reply_no_block(p, m, rc, o);
        return rc;
    }
    if (!c) {
        reply_no_block(p, m, JUXMEM_ENODATA, o);
        jxta_log(JXTA_LOG_DEBUG, MOD, "%s for a block not held here",
                 juxmem_msg_type_name(m->type));
        return JUXMEM_ENODATA;
    }
    switch (m->type) {
    case JUXMEM_MSG_ACQUIRE:
    case JUXMEM_MSG_RELEASE:
        if (!c->am_seq && (jxta_id_equal(&c->seq_peer, &p->self) || c->seq_gone ||
                           now >= c->seq_heard + 2 * p->cfg.fail_ms)) {
            /* no sequencer we can name: an election is due or running (the
             * client tries elsewhere, then again) */
            juxmem_pmsg_t *r = emit(o, &m->from, JUXMEM_MSG_DENY, &c->id, &p->self);
            if (r) {
                r->seq = m->seq;
                r->epoch = c->epoch;
                r->status = JUXMEM_ENOQUORUM;
            }
            return JUXMEM_ENOQUORUM;
        }
        if (!c->am_seq) {
            juxmem_pmsg_t *r = emit(o, &m->from, JUXMEM_MSG_DENY, &c->id, &p->self);
            if (r) {
                r->seq = m->seq;
                r->epoch = c->epoch;
                r->status = JUXMEM__EREDIRECT;
                r->hint = c->seq_peer;
            }
            return JUXMEM__EREDIRECT;
        }
        return m->type == JUXMEM_MSG_ACQUIRE ? seq_acquire(p, c, m, now, o)
                                             : seq_release(p, c, m, now, o);
    case JUXMEM_MSG_ACK:
        return c->am_seq ? seq_ack(p, c, m, now, o) : 0;
    case JUXMEM_MSG_UPDATE:
        return copy_update(p, c, m, now, o);
    case JUXMEM_MSG_STATE:
        return copy_state(p, c, m, now, o);
    case JUXMEM_MSG_HEARTBEAT:
        if (m->flags & JUXMEM_F_REPLY) {
            int k = member_index(c, &m->from);
            if (c->am_seq)
                seq_heartbeat_reply(p, c, m, now, o);
            else if (k >= 0 && !c->members[k].greeted && !jxta_id_equal(&m->from, &p->self))
                greet(p, c, (size_t)k, o); /* greeted first: greet back */
            return 0;
        }
        if (copy_heartbeat(p, c, m, now, o)) {
            jxta_log(JXTA_LOG_WARN, MOD, "this copy left the data group: memory freed");
            jxta_id_t data = c->id;
            drop_copy(p, idx, JUXMEM_ENODATA, o);
            event(o, JUXMEM_EV_EVICTED, &data, &p->self);
        }
        return 0;
    case JUXMEM_MSG_READ:
        return copy_read(p, c, m, o);
    case JUXMEM_MSG_VOTE:
        vote_request(p, c, m, now, o);
        return 0;
    case JUXMEM_MSG_VOTED:
        if (vote_reply(p, c, m, now, o)) {
            jxta_log(JXTA_LOG_WARN, MOD, "this copy was dropped from its data group: memory freed");
            jxta_id_t data = c->id;
            drop_copy(p, idx, JUXMEM_ENODATA, o);
            event(o, JUXMEM_EV_EVICTED, &data, &p->self);
        }
        return 0;
    default:
        return jxta__reject(JXTA_EPROTO, MOD, "%s is not for a provider",
                            juxmem_msg_type_name(m->type));
    }
}

void juxmem_provider_tick(juxmem_provider_t *p, uint64_t now, juxmem_out_t *o)
{
    for (size_t i = 0; i < p->ncopies; i++) {
        copy_t *c = p->copies[i];
        if (c->am_seq) {
            seq_tick(p, c, now, o);
            continue;
        }
        if (c->candidate && now >= c->cand_until) { /* lost, or votes went astray */
            c->candidate = 0;
            c->elect_at = now + retry_delay(p, c);
        }
        if (c->candidate && now >= c->vote_tx)
            send_votes(p, c, now, o);
        /* Twice the sequencer's own limit (a copy it dropped hears so
         * first), then our turn among the copies that may stand. */
        if (!c->seq_gone && !c->candidate && now >= c->seq_heard + suspect_ms(p) &&
            c->seq_probed_at <= c->seq_heard && !jxta_id_equal(&c->seq_peer, &p->self)) {
            c->seq_probed_at = now;
            event(o, JUXMEM_EV_SUSPECT, &c->id, &c->seq_peer);
        }
        uint64_t due = c->seq_gone ? c->gone_at + stand_delay(p, c)
                                   : c->seq_heard + 2 * p->cfg.fail_ms + stand_delay(p, c);
        if (c->candidate || now < due || now < c->elect_at)
            continue;
        stand(p, c, now, o);
    }
}

void juxmem_provider_peer_gone(juxmem_provider_t *p, const jxta_id_t *peer, uint64_t now,
                               juxmem_out_t *o)
{
    if (jxta_id_equal(peer, &p->self))
        return;
    for (size_t i = 0; i < p->ncopies; i++) {
        copy_t *c = p->copies[i];
        int k = member_index(c, peer);
        if (k < 0)
            continue;
        c->members[k].gone = 1;
        if (!c->am_seq && jxta_id_equal(peer, &c->seq_peer) && !c->seq_gone) {
            jxta_log(JXTA_LOG_INFO, MOD, "the sequencer's peer ended: electing another");
            c->seq_gone = 1;
            c->gone_at = now;
            c->elect_at = 0;
        }
    }
    juxmem_provider_tick(p, now, o); /* drop it, or stand, now */
}

int juxmem_provider_add_copy(juxmem_provider_t *p, const jxta_id_t *data, const jxta_id_t *peer,
                             const char *cluster, uint64_t now, juxmem_out_t *o)
{
    copy_t *c = find_copy(p, data, NULL);
    if (!c)
        return JUXMEM_ENODATA;
    if (!c->am_seq)
        return jxta__reject(JXTA_EINVAL, MOD, "add copy: not the sequencer");
    if (jxta_id_kind(peer) != JXTA_ID_PEER || (cluster && strlen(cluster) > JUXMEM_CLUSTER_NAME_MAX))
        return jxta__reject(JXTA_EINVAL, MOD, "add copy: bad peer ID or cluster");
    if (member_index(c, peer) >= 0)
        return JXTA_EEXIST;
    if (c->nmembers == JUXMEM_MAX_COPIES)
        return JXTA_ETOOBIG;
    member_t *mb = &c->members[c->nmembers++];
    memset(mb, 0, sizeof *mb);
    mb->m.peer = *peer;
    if (cluster)
        strcpy(mb->m.cluster, cluster);
    mb->last_heard = now;
    mb->need_state = 1;
    c->view++;
    c->hb_at = now; /* the others learn the new member list at the next tick */
    for (size_t k = 0; k < DEPARTED_MAX; k++)
        if (jxta_id_equal(&c->departed[k].peer, peer))
            c->departed[k].until = 0;
    send_update(p, c, mb, now, o);
    return 0;
}

/* A fresh request number: random, so that a restarted peer never repeats
 * one a provider remembers (frees are remembered by requester + number). */
static uint64_t fan_seq(void)
{
    uint8_t u[JXTA_UUID_BYTES];
    jxta_uuid_random(u);
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = v << 8 | u[i];
    return (v >> 1) | 1;
}

/* ---- client --------------------------------------------------------------------------- */

enum { OP_NONE = 0, OP_ACQUIRE, OP_FETCH, OP_RELEASE, OP_RENEW };

typedef struct dirty {
    uint64_t off, end;
} dirty_t;

struct juxmem_client {
    jxta_id_t self, data;
    uint64_t size;
    juxmem_block_cfg_t cfg;
    juxmem_member_t copies[JUXMEM_MAX_COPIES];
    size_t ncopies, rot;
    jxta_id_t target;
    int tries, heard, no_quorum; /* no_quorum: the last copy asked had no majority */
    unsigned nq_answers;         /* JUXMEM_ENOQUORUM answers in this operation */
    uint64_t gone; /* copies (bit = index in `copies`) that answered they hold no copy */
    jxta_id_t dead[JUXMEM_MAX_COPIES]; /* peers known ended (a ring): never targeted */
    size_t ndead, dead_next;
    jxta_id_t warm[JUXMEM_MAX_COPIES]; /* copies already sent a warm-up (see client_warm) */
    size_t nwarm;
    uint8_t *cache;
    int cache_valid;
    uint64_t cache_version;
    uint32_t held;
    uint64_t token, version, acq_seq, lease_end;
    uint64_t view; /* the view of the copies last learnt from a GRANT */
    int op, result;
    uint64_t seq, op_start, deadline, next_tx, fetch_off;
    juxmem_pmsg_t req;
    dirty_t *dirty;
    size_t ndirty;
};

int juxmem_client_new(const jxta_id_t *self, const jxta_id_t *data, uint64_t size,
                      const juxmem_member_t *copies, size_t ncopies,
                      const juxmem_block_cfg_t *cfg, juxmem_client_t **out)
{
    *out = NULL;
    if (jxta_id_kind(self) != JXTA_ID_PEER || jxta_id_kind(data) != JXTA_ID_GROUP ||
        size == 0 || size > SIZE_MAX || ncopies == 0 || ncopies > JUXMEM_MAX_COPIES)
        return jxta__reject(JXTA_EINVAL, MOD, "client: bad IDs, size or copies");
    juxmem_client_t *c = calloc(1, sizeof *c);
    if (!c || !(c->cache = calloc(1, (size_t)size)) ||
        !(c->dirty = calloc(JUXMEM_PROTO_MAX_RANGES + 1, sizeof *c->dirty))) {
        if (c)
            free(c->cache);
        free(c);
        return JXTA_ENOMEM;
    }
    c->self = *self;
    c->data = *data;
    c->size = size;
    if (cfg)
        c->cfg = *cfg;
    else
        juxmem_block_cfg_default(&c->cfg);
    memcpy(c->copies, copies, ncopies * sizeof *copies);
    c->ncopies = ncopies;
    c->target = copies[0].peer;
    c->seq = (fan_seq() & ((1ull << 40) - 1)) << 20; /* a fresh incarnation (JUXMEM_SEQ_WINDOW) */
    *out = c;
    return 0;
}

void juxmem_client_free(juxmem_client_t *c)
{
    if (!c)
        return;
    juxmem_pmsg_clear(&c->req);
    free(c->cache);
    free(c->dirty);
    free(c);
}

static int client_is_dead(const juxmem_client_t *c, const jxta_id_t *peer)
{
    return listed_in(c->dead, c->ndead, peer);
}

/* The next copy in turn, skipping peers known ended (unless all are). */
static void client_rotate(juxmem_client_t *c)
{
    for (size_t k = 0; k < c->ncopies; k++) {
        c->rot = (c->rot + 1) % c->ncopies;
        if (!client_is_dead(c, &c->copies[c->rot].peer))
            break;
    }
    c->target = c->copies[c->rot].peer;
    c->tries = 0;
    jxta_id_text_t t;
    jxta_log(JXTA_LOG_DEBUG, MOD, "client: next copy %s", jxta_id_str(&c->target, &t));
}

int juxmem_client_set_copies(juxmem_client_t *c, const juxmem_member_t *copies, size_t n)
{
    if (n == 0 || n > JUXMEM_MAX_COPIES)
        return JXTA_EINVAL;
    int keep = 0;
    for (size_t i = 0; i < n && !keep; i++)
        keep = jxta_id_equal(&copies[i].peer, &c->target);
    memcpy(c->copies, copies, n * sizeof *copies);
    c->ncopies = n;
    c->view = 0; /* a list from elsewhere may be older: the next GRANT says (client_granted
                    sets the view it brings) */
    size_t w = 0; /* forget the warm-ups of copies no longer listed */
    for (size_t i = 0; i < c->nwarm; i++) {
        int still = 0;
        for (size_t k = 0; k < n && !still; k++)
            still = jxta_id_equal(&copies[k].peer, &c->warm[i]);
        if (still)
            c->warm[w++] = c->warm[i];
    }
    c->nwarm = w;
    c->rot = 0;
    c->gone = 0;
    if (!keep)
        c->target = copies[0].peer;
    if (client_is_dead(c, &c->target))
        client_rotate(c);
    return 0;
}

size_t juxmem_client_copies(const juxmem_client_t *c, juxmem_member_t *out, size_t cap)
{
    size_t n = c->ncopies < cap ? c->ncopies : cap;
    memcpy(out, c->copies, n * sizeof *out);
    return c->ncopies;
}

const jxta_id_t *juxmem_client_target(const juxmem_client_t *c) { return &c->target; }
int juxmem_client_peer_is_gone(const juxmem_client_t *c, const jxta_id_t *peer)
{
    return client_is_dead(c, peer);
}
int juxmem_client_busy(const juxmem_client_t *c) { return c->op != OP_NONE; }
int juxmem_client_result(const juxmem_client_t *c) { return c->result; }
int juxmem_client_held(const juxmem_client_t *c) { return c->op == OP_NONE ? (int)c->held : 0; }
uint64_t juxmem_client_version(const juxmem_client_t *c) { return c->version; }
uint64_t juxmem_client_token(const juxmem_client_t *c) { return c->token; }

/* Open a direct path to every copy ahead of need: a one-byte READ that no
 * request of ours matches (sequence number 1), which the copy answers
 * directly - its answer carries its route, and a new connection holds its
 * first message back (JXSE welcome race, PROTOCOLS.md 14), so this way it
 * is not the failover after a sequencer's death that waits for that. */
static void client_warm(juxmem_client_t *c, juxmem_out_t *o)
{
    for (size_t i = 0; i < c->ncopies && c->nwarm < JUXMEM_MAX_COPIES; i++) {
        const jxta_id_t *to = &c->copies[i].peer;
        if (listed_in(c->warm, c->nwarm, to) || client_is_dead(c, to))
            continue;
        c->warm[c->nwarm++] = *to;
        juxmem_pmsg_t *r = emit(o, to, JUXMEM_MSG_READ, &c->data, &c->self);
        if (r) {
            r->seq = 1;
            r->size = 1;
            r->version = UINT64_MAX;
        }
    }
}

static void client_send(juxmem_client_t *c, uint64_t now, juxmem_out_t *o)
{
    if (c->nwarm < c->ncopies)
        client_warm(c, o);
    if (c->tries > 0) /* no answer from it yet: has its peer ended? */
        event(o, JUXMEM_EV_SUSPECT, &c->data, &c->target);
    emit_copy(o, &c->target, &c->req);
    c->next_tx = now + c->cfg.rto_ms;
    if (++c->tries >= RETRIES_PER_TARGET) /* try another copy: it redirects */
        client_rotate(c);
}

void juxmem_client_peer_gone(juxmem_client_t *c, const jxta_id_t *peer, uint64_t now,
                             juxmem_out_t *o)
{
    if (!client_is_dead(c, peer)) {
        c->dead[c->dead_next] = *peer;
        c->dead_next = (c->dead_next + 1) % JUXMEM_MAX_COPIES;
        if (c->ndead < JUXMEM_MAX_COPIES)
            c->ndead++;
    }
    if (jxta_id_equal(&c->target, peer)) {
        client_rotate(c);
        if (c->op != OP_NONE)
            client_send(c, now, o); /* no need to wait for the retransmission */
    }
}

static void client_start(juxmem_client_t *c, int op, juxmem_msg_type_t type, uint64_t now,
                         uint64_t timeout_ms)
{
    juxmem_pmsg_clear(&c->req);
    juxmem_pmsg_init(&c->req, type, &c->data, &c->self);
    c->req.seq = ++c->seq;
    c->op = op;
    c->tries = 0;
    if (op != OP_FETCH) {
        c->op_start = now;
        c->deadline = now + timeout_ms;
        c->heard = 0;
        c->no_quorum = 0;
        c->nq_answers = 0;
        c->gone = 0;
    }
}

/* After a "no majority here" answer: ask again soon - a sequencer known
 * dead is replaced within a few round trips - then less and less often (a
 * partition's minority may answer so until the deadline). */
static uint64_t no_quorum_wait(juxmem_client_t *c)
{
    unsigned k = c->nq_answers < 4 ? c->nq_answers : 4;
    c->nq_answers++;
    uint64_t w = (c->cfg.rto_ms / 16) << k;
    return w ? (w < c->cfg.rto_ms ? w : c->cfg.rto_ms) : 1;
}

static void client_finish(juxmem_client_t *c, int result)
{
    c->op = OP_NONE;
    c->result = result;
    juxmem_pmsg_clear(&c->req);
}

/* Give up a lock we may hold or be queued for (no answer awaited: the
 * lease bounds the harm of a lost cancel). */
static void client_cancel(juxmem_client_t *c, juxmem_out_t *o)
{
    juxmem_pmsg_t *r = emit(o, &c->target, JUXMEM_MSG_RELEASE, &c->data, &c->self);
    if (r) {
        r->seq = ++c->seq;
        r->flags = JUXMEM_F_CANCEL;
        r->ref = c->acq_seq;
    }
    c->held = 0;
}

int juxmem_client_acquire(juxmem_client_t *c, int mode, uint64_t now, uint64_t timeout_ms,
                          juxmem_out_t *o)
{
    if (c->op != OP_NONE)
        return JXTA_EBUSY;
    if ((mode != JUXMEM_MODE_EXCL && mode != JUXMEM_MODE_SHARED) || c->held)
        return JXTA_EINVAL;
    client_start(c, OP_ACQUIRE, JUXMEM_MSG_ACQUIRE, now, timeout_ms);
    c->req.mode = (uint32_t)mode;
    c->req.flags = JUXMEM_F_WANT_DATA;
    c->req.version = c->cache_valid ? c->cache_version : UINT64_MAX;
    c->req.ref = c->view;
    c->acq_seq = c->req.seq;
    c->ndirty = 0;
    client_send(c, now, o);
    return 0;
}

int juxmem_client_release(juxmem_client_t *c, uint64_t now, uint64_t timeout_ms,
                          juxmem_out_t *o)
{
    if (c->op != OP_NONE)
        return JXTA_EBUSY;
    if (!c->held)
        return JUXMEM_ENOTLOCKED;
    client_start(c, OP_RELEASE, JUXMEM_MSG_RELEASE, now, timeout_ms);
    c->req.token = c->token;
    for (size_t i = 0; i < c->ndirty; i++)
        if (juxmem_pmsg_add_range(&c->req, c->dirty[i].off, c->cache + c->dirty[i].off,
                                  c->dirty[i].end - c->dirty[i].off) < 0) {
            client_finish(c, JXTA_ENOMEM);
            return JXTA_ENOMEM;
        }
    c->ndirty = 0;
    client_send(c, now, o);
    return 0;
}

int juxmem_client_renew(juxmem_client_t *c, uint64_t now, uint64_t timeout_ms, juxmem_out_t *o)
{
    if (c->op != OP_NONE)
        return JXTA_EBUSY;
    if (!c->held)
        return JUXMEM_ENOTLOCKED;
    client_start(c, OP_RENEW, JUXMEM_MSG_ACQUIRE, now, timeout_ms);
    c->req.mode = c->held;
    c->req.flags = JUXMEM_F_RENEW;
    c->req.token = c->token;
    client_send(c, now, o);
    return 0;
}

uint64_t juxmem_client_lease_left(const juxmem_client_t *c, uint64_t now)
{
    return c->held && c->lease_end > now ? c->lease_end - now : 0;
}

int juxmem_client_read(const juxmem_client_t *c, uint64_t offset, void *buf, size_t len)
{
    if (!c->held || c->op != OP_NONE || !c->cache_valid)
        return JUXMEM_ENOTLOCKED;
    if (offset > c->size || len > c->size - offset)
        return JUXMEM_ERANGE;
    memcpy(buf, c->cache + offset, len);
    return 0;
}

static int dirty_cmp(const void *a, const void *b)
{
    const dirty_t *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static void dirty_add(juxmem_client_t *c, uint64_t off, uint64_t end)
{
    c->dirty[c->ndirty++] = (dirty_t){off, end};
    qsort(c->dirty, c->ndirty, sizeof *c->dirty, dirty_cmp);
    size_t n = 0;
    for (size_t i = 0; i < c->ndirty; i++) {
        if (n && c->dirty[i].off <= c->dirty[n - 1].end) {
            if (c->dirty[i].end > c->dirty[n - 1].end)
                c->dirty[n - 1].end = c->dirty[i].end;
        } else {
            c->dirty[n++] = c->dirty[i];
        }
    }
    c->ndirty = n;
    if (n > JUXMEM_PROTO_MAX_RANGES) { /* one covering range: the cache holds it all */
        c->dirty[0].end = c->dirty[n - 1].end;
        c->ndirty = 1;
    }
}

int juxmem_client_write(juxmem_client_t *c, uint64_t offset, const void *buf, size_t len)
{
    if (c->held != JUXMEM_MODE_EXCL || c->op != OP_NONE || !c->cache_valid)
        return JUXMEM_ENOTLOCKED;
    if (offset > c->size || len > c->size - offset)
        return JUXMEM_ERANGE;
    if (len == 0)
        return 0;
    memcpy(c->cache + offset, buf, len);
    dirty_add(c, offset, offset + len);
    return 0;
}

static void client_fetch_next(juxmem_client_t *c, uint64_t now, juxmem_out_t *o)
{
    uint64_t chunk = c->cfg.inline_max ? c->cfg.inline_max : 1u << 20;
    if (chunk > JUXMEM_PROTO_MAX_READ)
        chunk = JUXMEM_PROTO_MAX_READ;
    client_start(c, OP_FETCH, JUXMEM_MSG_READ, now, 0);
    c->req.ref = c->fetch_off;
    c->req.size = c->size - c->fetch_off < chunk ? c->size - c->fetch_off : chunk;
    c->req.version = c->version;
    client_send(c, now, o);
}

static void client_granted(juxmem_client_t *c, const juxmem_pmsg_t *m, uint64_t now,
                           juxmem_out_t *o)
{
    c->held = m->mode;
    c->token = m->token;
    c->version = m->version;
    c->lease_end = c->op_start + m->lease_ms;
    if (m->nmembers && m->ref) { /* the copies as the sequencer knows them now */
        juxmem_client_set_copies(c, m->members, m->nmembers);
        c->view = m->ref;
        c->target = m->from;
    }
    if (m->flags & JUXMEM_F_HAS_DATA) {
        memcpy(c->cache, m->ranges[0].data, (size_t)c->size);
        c->cache_valid = 1;
        c->cache_version = m->version;
    }
    if (c->cache_valid && c->cache_version == m->version) {
        client_finish(c, 0);
        return;
    }
    c->cache_valid = 0;
    c->fetch_off = 0;
    client_fetch_next(c, now, o);
}

/* A copy answered that it holds none: remember it.  Returns 1 while some
 * copy we know of has not said so (the block may live on there). */
static int client_copy_gone(juxmem_client_t *c, const jxta_id_t *from)
{
    for (size_t i = 0; i < c->ncopies && i < 64; i++)
        if (jxta_id_equal(&c->copies[i].peer, from))
            c->gone |= 1ull << i;
    size_t n = c->ncopies < 64 ? c->ncopies : 64;
    return c->gone != (n == 64 ? UINT64_MAX : (1ull << n) - 1);
}

int juxmem_client_handle(juxmem_client_t *c, const juxmem_pmsg_t *m, uint64_t now,
                         juxmem_out_t *o)
{
    if (!jxta_id_equal(&m->data, &c->data) || c->op == OP_NONE || m->seq != c->req.seq)
        return 0; /* late, repeated or not ours */
    int rc = juxmem_pmsg_check(m);
    if (rc < 0)
        return rc;
    c->heard = 1;
    if (m->type == JUXMEM_MSG_DENY) {
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_DEBUG, MOD, "client: DENY %s from %s", juxmem_strerror(m->status),
                 jxta_id_str(&m->from, &t));
    }
    if (m->type == JUXMEM_MSG_DENY && m->status == JUXMEM__EREDIRECT) {
        if (client_is_dead(c, &m->hint)) { /* that copy has not heard yet: again soon */
            c->next_tx = now + c->cfg.rto_ms / 8;
            return 0;
        }
        /* to the sequencer named, now (even if it is our target already:
         * our last message may have gone to the copy that redirects) */
        c->target = m->hint;
        c->tries = 0;
        client_send(c, now, o);
        return 0;
    }
    switch (c->op) {
    case OP_ACQUIRE:
        if (m->type == JUXMEM_MSG_GRANT && (m->flags & JUXMEM_F_HAS_DATA) && m->size != c->size)
            return jxta__reject(JXTA_ERANGE, MOD, "GRANT carries %llu bytes for a block of %llu",
                                (unsigned long long)m->size, (unsigned long long)c->size);
        if (m->type == JUXMEM_MSG_GRANT && m->mode == c->req.mode) {
            client_granted(c, m, now, o);
        } else if (m->type == JUXMEM_MSG_DENY && m->status == JUXMEM_ENODATA &&
                   client_copy_gone(c, &m->from)) {
            /* that provider lost or freed its copy: the others decide */
            c->tries = RETRIES_PER_TARGET - 1;
        } else if (m->type == JUXMEM_MSG_DENY && m->status == JUXMEM_ENOQUORUM) {
            /* that copy is cut off from the majority: another copy may
             * lead us to the sequencer the majority has (until the
             * deadline, when the answer is JUXMEM_ENOQUORUM) */
            c->no_quorum = 1;
            if (jxta_id_equal(&m->from, &c->target))
                client_rotate(c);
            c->next_tx = now + no_quorum_wait(c); /* an election takes a few round trips */
        } else if (m->type == JUXMEM_MSG_DENY) {
            client_finish(c, m->status);
        }
        break;
    case OP_FETCH:
        if (m->type != JUXMEM_MSG_DATA)
            break;
        if (m->status == 0 && m->version == c->version && m->nranges == 1 &&
            m->ranges[0].offset == c->fetch_off && m->ranges[0].len == c->req.size) {
            memcpy(c->cache + c->fetch_off, m->ranges[0].data, (size_t)m->ranges[0].len);
            c->fetch_off += m->ranges[0].len;
            if (c->fetch_off == c->size) {
                c->cache_valid = 1;
                c->cache_version = c->version;
                client_finish(c, 0);
            } else {
                client_fetch_next(c, now, o);
            }
        } else if (m->status == JUXMEM_ESTALE ||
                   (m->status == JUXMEM_ENODATA && !client_copy_gone(c, &m->from))) {
            client_cancel(c, o);
            client_finish(c, m->status);
        } else { /* a lagging copy, or one that lost its copy: ask another one */
            c->tries = RETRIES_PER_TARGET - 1;
        }
        break;
    case OP_RENEW:
        if (m->type == JUXMEM_MSG_GRANT && m->token == c->token) {
            c->lease_end = c->op_start + m->lease_ms;
            client_finish(c, 0);
        } else if (m->type == JUXMEM_MSG_DENY) { /* the lease had run out */
            c->held = 0;
            c->cache_valid = 0;
            c->ndirty = 0;
            client_finish(c, m->status);
        }
        break;
    case OP_RELEASE:
        if ((m->type == JUXMEM_MSG_DENY || m->type == JUXMEM_MSG_RELEASED) &&
            m->status == JUXMEM_ENODATA && client_copy_gone(c, &m->from)) {
            c->tries = RETRIES_PER_TARGET - 1; /* a provider that lost its copy */
            break;
        }
        if (m->type == JUXMEM_MSG_DENY && m->status == JUXMEM_ENOQUORUM) {
            /* no sequencer there: whether the writes are in is not known
             * yet; the one elected will tell (or the deadline passes) */
            if (jxta_id_equal(&m->from, &c->target))
                client_rotate(c);
            c->next_tx = now + no_quorum_wait(c);
            break;
        }
        if (m->type == JUXMEM_MSG_RELEASED || m->type == JUXMEM_MSG_DENY) {
            c->held = 0;
            if (m->type == JUXMEM_MSG_RELEASED && m->status == 0) {
                c->version = m->version;
                c->cache_version = m->version;
            } else {
                c->cache_valid = 0;
            }
            client_finish(c, m->status);
        }
        break;
    default:
        break;
    }
    return 0;
}

void juxmem_client_tick(juxmem_client_t *c, uint64_t now, juxmem_out_t *o)
{
    if (c->op == OP_NONE)
        return;
    if (now >= c->deadline) {
        int op = c->op;
        if (op == OP_ACQUIRE || op == OP_FETCH) {
            client_cancel(c, o);
            client_finish(c, c->no_quorum ? JUXMEM_ENOQUORUM
                             : c->heard   ? JUXMEM_ELOCKTIMEOUT
                                          : JUXMEM_EUNREACH);
        } else if (op == OP_RENEW) { /* still held as far as we know */
            client_finish(c, c->heard ? JUXMEM_ELOCKTIMEOUT : JUXMEM_EUNREACH);
        } else {
            c->held = 0;
            c->cache_valid = 0;
            client_finish(c, JUXMEM_EUNREACH);
        }
        return;
    }
    if (now >= c->next_tx)
        client_send(c, now, o);
}

/* ---- allocation and free: the requester's side ------------------------------------------- */

enum { FAN_ALLOC = 1, FAN_FREE, FAN_UNDO };

typedef struct fan_target {
    juxmem_member_t m;
    int state; /* 1 waiting, 0 accepted, < 0 refused */
    int undone;
} fan_target_t;

struct juxmem_fanout {
    jxta_id_t self, data;
    uint64_t size, seq, deadline, next_tx;
    juxmem_block_cfg_t cfg;
    int phase, done, result;
    fan_target_t t[JUXMEM_MAX_COPIES];
    size_t n;
};

static void fan_send(juxmem_fanout_t *f, uint64_t now, juxmem_out_t *o)
{
    for (size_t i = 0; i < f->n; i++) {
        fan_target_t *t = &f->t[i];
        if (f->phase == FAN_UNDO ? t->undone : t->state != 1)
            continue;
        juxmem_pmsg_t *m = emit(o, &t->m.peer, f->phase == FAN_ALLOC ? JUXMEM_MSG_ALLOC
                                                                     : JUXMEM_MSG_FREE,
                                &f->data, &f->self);
        if (!m)
            continue;
        m->seq = f->seq;
        if (f->phase == FAN_ALLOC) {
            m->epoch = 1;
            m->size = f->size;
            for (size_t k = 0; k < f->n; k++)
                juxmem_pmsg_add_member(m, &f->t[k].m.peer, f->t[k].m.cluster);
        }
    }
    f->next_tx = now + f->cfg.rto_ms;
}

static int fan_new(int phase, const jxta_id_t *self, const jxta_id_t *data, uint64_t size,
                   const juxmem_member_t *members, size_t n, const juxmem_block_cfg_t *cfg,
                   uint64_t now, uint64_t timeout_ms, juxmem_out_t *o, juxmem_fanout_t **out)
{
    *out = NULL;
    if (jxta_id_kind(self) != JXTA_ID_PEER || jxta_id_kind(data) != JXTA_ID_GROUP || n == 0 ||
        n > JUXMEM_MAX_COPIES || (phase == FAN_ALLOC && size == 0))
        return jxta__reject(JXTA_EINVAL, MOD, "allocation/free: bad IDs, size or providers");
    for (size_t i = 0; i < n; i++) {
        if (jxta_id_kind(&members[i].peer) != JXTA_ID_PEER)
            return jxta__reject(JXTA_EINVAL, MOD, "allocation/free: provider %zu not a peer", i);
        for (size_t k = 0; k < i; k++)
            if (jxta_id_equal(&members[i].peer, &members[k].peer))
                return jxta__reject(JXTA_EINVAL, MOD, "allocation/free: provider %zu twice", i);
    }
    juxmem_fanout_t *f = calloc(1, sizeof *f);
    if (!f)
        return JXTA_ENOMEM;
    f->self = *self;
    f->data = *data;
    f->size = size;
    f->phase = phase;
    f->seq = fan_seq();
    f->deadline = now + timeout_ms;
    if (cfg)
        f->cfg = *cfg;
    else
        juxmem_block_cfg_default(&f->cfg);
    for (size_t i = 0; i < n; i++) {
        f->t[i].m = members[i];
        f->t[i].state = 1;
    }
    f->n = n;
    fan_send(f, now, o);
    *out = f;
    return 0;
}

int juxmem_fanout_alloc(const jxta_id_t *self, const jxta_id_t *data, uint64_t size,
                        const juxmem_member_t *providers, size_t n,
                        const juxmem_block_cfg_t *cfg, uint64_t now, uint64_t timeout_ms,
                        juxmem_out_t *out, juxmem_fanout_t **op)
{
    return fan_new(FAN_ALLOC, self, data, size, providers, n, cfg, now, timeout_ms, out, op);
}

int juxmem_fanout_free(const jxta_id_t *self, const jxta_id_t *data,
                       const juxmem_member_t *copies, size_t n, const juxmem_block_cfg_t *cfg,
                       uint64_t now, uint64_t timeout_ms, juxmem_out_t *out,
                       juxmem_fanout_t **op)
{
    return fan_new(FAN_FREE, self, data, 0, copies, n, cfg, now, timeout_ms, out, op);
}

void juxmem_fanout_free_op(juxmem_fanout_t *f)
{
    free(f);
}

int juxmem_fanout_busy(const juxmem_fanout_t *f) { return !f->done; }
int juxmem_fanout_result(const juxmem_fanout_t *f) { return f->done ? f->result : JXTA_EBUSY; }

/* Every answer is in, or time is up: decide. */
static void fan_settle(juxmem_fanout_t *f, uint64_t now, juxmem_out_t *o)
{
    int first_err = 0, nok = 0, nunknown = 0, ndouble = 0;
    for (size_t i = 0; i < f->n; i++) {
        int st = f->t[i].state == 1 ? JUXMEM_EUNREACH : f->t[i].state;
        if (st < 0 && (!first_err || first_err == JUXMEM_EUNREACH))
            first_err = st;
        nok += st == 0;
        nunknown += st == JUXMEM_ENODATA;
        ndouble += st == JUXMEM_EFREED;
    }
    if (f->phase == FAN_ALLOC) {
        if (!first_err) {
            f->done = 1;
            f->result = 0;
            return;
        }
        /* Undo: free every copy that was (or may yet be) reserved.  The
         * providers remember the free, so an ALLOC still in flight cannot
         * create the block afterwards. */
        f->result = first_err;
        f->phase = FAN_UNDO;
        f->seq = fan_seq();
        f->deadline = now + f->cfg.fail_ms;
        for (size_t i = 0; i < f->n; i++) /* the refusers too: a late duplicate
                                             ALLOC could succeed there */
            f->t[i].undone = 0;
        fan_send(f, now, o);
        return;
    }
    f->done = 1;
    if (f->phase == FAN_UNDO)
        return; /* result: why the allocation failed */
    /* FREE: freed somewhere -> 0; only double frees -> EFREED; unknown -> ENODATA */
    f->result = nok ? 0 : ndouble ? JUXMEM_EFREED : nunknown ? JUXMEM_ENODATA : first_err;
}

int juxmem_fanout_handle(juxmem_fanout_t *f, const juxmem_pmsg_t *m, uint64_t now,
                         juxmem_out_t *o)
{
    if (f->done || !jxta_id_equal(&m->data, &f->data) || m->seq != f->seq)
        return 0;
    int rc = juxmem_pmsg_check(m);
    if (rc < 0)
        return rc;
    if (m->type != (f->phase == FAN_ALLOC ? JUXMEM_MSG_ALLOC_REPLY : JUXMEM_MSG_FREED))
        return 0;
    int waiting = 0;
    for (size_t i = 0; i < f->n; i++) {
        fan_target_t *t = &f->t[i];
        if (jxta_id_equal(&t->m.peer, &m->from)) {
            if (f->phase == FAN_UNDO)
                t->undone = 1;
            else if (t->state == 1)
                t->state = m->status;
        }
        waiting |= f->phase == FAN_UNDO ? !t->undone : t->state == 1;
    }
    if (!waiting)
        fan_settle(f, now, o);
    return 0;
}

void juxmem_fanout_tick(juxmem_fanout_t *f, uint64_t now, juxmem_out_t *o)
{
    if (f->done)
        return;
    if (now >= f->deadline)
        fan_settle(f, now, o);
    else if (now >= f->next_tx)
        fan_send(f, now, o);
}
