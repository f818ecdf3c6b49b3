/* srdi_index.c - the rendezvous-side SRDI index (PROTOCOLS.md 8.5, 8.3,
 * 6.5) and replica selection.
 *
 * An entry is (PKey, SKey, value, peer) with an absolute expiration.  The
 * edges feeding the index are untrusted, so everything is bounded: number
 * of entries, bytes of text, length of each string, all fixed when the
 * index is made.  Entries live in one slab (grown by doubling up to the
 * limit, freed slots reused) and are threaded on two lists:
 *   - a hash chain on (PKey, SKey, value), kept in insertion order, which
 *     serves the add/replace check and exact-value queries;
 *   - one insertion-order list of all entries, walked by wildcard queries,
 *     peer removal and garbage collection.
 * Insertion order everywhere makes query answers deterministic: peers come
 * out in the order their first matching entry was added.  Time is a
 * parameter; nothing here reads a clock. */
#include <jxta/sha1.h>
#include <jxta/srdi.h>

#include "../util/internal.h"

#define MOD "srdi"
#define NIL ((uint32_t)-1)

typedef struct entry {
    char *text;        /* "pkey\0skey\0value\0", one allocation */
    const char *skey;  /* into text */
    const char *value; /* into text */
    size_t tlen;       /* allocated bytes of text (counted against max_bytes) */
    jxta_id_t peer;
    int64_t expires; /* absolute ms; INT64_MAX = never */
    uint32_t hash;
    uint32_t hnext;      /* hash chain (or free list when unused) */
    uint32_t prev, next; /* insertion-order list */
    int used;
} entry_t;

struct jxta_srdi_index {
    jxta_srdi_index_limits_t lim;
    entry_t *e;
    size_t ecap;
    uint32_t free_head;
    uint32_t *buckets;
    size_t nbuckets; /* power of two */
    uint32_t head, tail;
    size_t count, bytes;
    int full_logged; /* a "full" WARN was logged since the index last had room */
};

void jxta_srdi_index_limits_default(jxta_srdi_index_limits_t *lim)
{
    lim->max_entries = 100000;
    lim->max_bytes = (size_t)32 << 20;
    lim->max_text = 4096;
}

int jxta_srdi_index_new(jxta_srdi_index_t **out, const jxta_srdi_index_limits_t *lim)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_srdi_index_t *x = calloc(1, sizeof *x);
    if (!x)
        return JXTA_ENOMEM;
    jxta_srdi_index_limits_default(&x->lim);
    if (lim) {
        if (lim->max_entries)
            x->lim.max_entries = lim->max_entries;
        if (lim->max_bytes)
            x->lim.max_bytes = lim->max_bytes;
        if (lim->max_text)
            x->lim.max_text = lim->max_text;
    }
    if (x->lim.max_entries >= NIL)
        x->lim.max_entries = NIL - 1;
    size_t nb = 16;
    while (nb < x->lim.max_entries / 2 && nb < ((size_t)1 << 20))
        nb *= 2;
    x->buckets = malloc(nb * sizeof *x->buckets);
    if (!x->buckets) {
        free(x);
        return JXTA_ENOMEM;
    }
    for (size_t i = 0; i < nb; i++)
        x->buckets[i] = NIL;
    x->nbuckets = nb;
    x->free_head = x->head = x->tail = NIL;
    *out = x;
    return 0;
}

void jxta_srdi_index_free(jxta_srdi_index_t *idx)
{
    if (!idx)
        return;
    for (size_t i = 0; i < idx->ecap; i++)
        if (idx->e[i].used)
            free(idx->e[i].text);
    free(idx->e);
    free(idx->buckets);
    free(idx);
}

/* FNV-1a over pkey NUL skey NUL value. */
static uint32_t key_hash(const char *pkey, const char *skey, const char *value)
{
    uint32_t h = 2166136261u;
    const char *parts[3] = {pkey, skey, value};
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * 16777619u;
        h = (h ^ 0xffu) * 16777619u;
    }
    return h;
}

static int key_eq(const entry_t *e, const char *pkey, const char *skey, const char *value)
{
    return strcmp(e->text, pkey) == 0 && strcmp(e->skey, skey) == 0 && strcmp(e->value, value) == 0;
}

static int live(const entry_t *e, int64_t now)
{
    return e->expires > now;
}

static void unlink_entry(jxta_srdi_index_t *idx, uint32_t i)
{
    entry_t *e = &idx->e[i];
    uint32_t *pp = &idx->buckets[e->hash & (idx->nbuckets - 1)];
    while (*pp != i)
        pp = &idx->e[*pp].hnext;
    *pp = e->hnext;
    if (e->prev != NIL)
        idx->e[e->prev].next = e->next;
    else
        idx->head = e->next;
    if (e->next != NIL)
        idx->e[e->next].prev = e->prev;
    else
        idx->tail = e->prev;
    free(e->text);
    idx->bytes -= e->tlen;
    idx->count--;
    memset(e, 0, sizeof *e);
    e->hnext = idx->free_head;
    idx->free_head = i;
    if (idx->full_logged && idx->count < idx->lim.max_entries)
        idx->full_logged = 0;
}

static int64_t absolute(int64_t rel, int64_t now)
{
    if (rel >= JXTA_SRDI_EXP_INFINITE || (now > 0 && rel > INT64_MAX - now))
        return INT64_MAX;
    return now + rel;
}

/* A free slot, growing the slab (by doubling, up to max_entries). */
static int take_slot(jxta_srdi_index_t *idx, uint32_t *slot)
{
    if (idx->free_head == NIL) {
        size_t cap = idx->ecap ? idx->ecap * 2 : 64;
        if (cap > idx->lim.max_entries)
            cap = idx->lim.max_entries;
        if (cap <= idx->ecap)
            return JXTA_ETOOBIG;
        entry_t *n = realloc(idx->e, cap * sizeof *n);
        if (!n)
            return JXTA_ENOMEM;
        memset(n + idx->ecap, 0, (cap - idx->ecap) * sizeof *n);
        for (size_t i = cap; i-- > idx->ecap;) {
            n[i].hnext = idx->free_head;
            idx->free_head = (uint32_t)i;
        }
        idx->e = n;
        idx->ecap = cap;
    }
    *slot = idx->free_head;
    idx->free_head = idx->e[*slot].hnext;
    return 0;
}

int jxta_srdi_index_add(jxta_srdi_index_t *idx, const char *pkey, const char *skey,
                        const char *value, const jxta_id_t *peer, int64_t expiration_ms,
                        int64_t now_ms)
{
    if (!idx || !pkey || !skey || !value || !peer)
        return JXTA_EINVAL;
    size_t lp = strlen(pkey), ls = strlen(skey), lv = strlen(value);
    if (lp > idx->lim.max_text || ls > idx->lim.max_text || lv > idx->lim.max_text)
        return jxta__reject(
            JXTA_ETOOBIG, MOD, "index: key or value of %zu bytes refused (limit %zu), PKey '%.40s'",
            lp > ls ? (lp > lv ? lp : lv) : (ls > lv ? ls : lv), idx->lim.max_text, pkey);
    uint32_t h = key_hash(pkey, skey, value);
    uint32_t *pp = &idx->buckets[h & (idx->nbuckets - 1)];
    while (*pp != NIL) {
        entry_t *e = &idx->e[*pp];
        if (e->hash == h && jxta_id_equal(&e->peer, peer) && key_eq(e, pkey, skey, value)) {
            if (expiration_ms <= 0)
                unlink_entry(idx, *pp);
            else
                e->expires = absolute(expiration_ms, now_ms);
            return 0;
        }
        pp = &e->hnext;
    }
    if (expiration_ms <= 0)
        return 0; /* removal of something we do not hold */
    size_t tlen = lp + ls + lv + 3;
    if (idx->count >= idx->lim.max_entries || idx->bytes + tlen > idx->lim.max_bytes) {
        size_t freed = jxta_srdi_index_gc(idx, now_ms);
        if (freed)
            jxta_log(JXTA_LOG_DEBUG, MOD, "index full: collected %zu expired entries", freed);
        if (idx->count >= idx->lim.max_entries || idx->bytes + tlen > idx->lim.max_bytes) {
            jxta_log_level_t lvl = idx->full_logged ? JXTA_LOG_DEBUG : JXTA_LOG_WARN;
            idx->full_logged = 1;
            jxta_log(lvl, MOD,
                     "index full (%zu entries, %zu bytes; limits %zu, %zu): entry %.40s/%.40s "
                     "refused",
                     idx->count, idx->bytes, idx->lim.max_entries, idx->lim.max_bytes, pkey, skey);
            return JXTA_ETOOBIG;
        }
    }
    char *text = malloc(tlen);
    if (!text)
        return JXTA_ENOMEM;
    uint32_t i;
    int rc = take_slot(idx, &i);
    if (rc < 0) {
        free(text);
        return rc;
    }
    /* The slab may have moved: find the chain tail again by index. */
    pp = &idx->buckets[h & (idx->nbuckets - 1)];
    while (*pp != NIL)
        pp = &idx->e[*pp].hnext;
    entry_t *e = &idx->e[i];
    memcpy(text, pkey, lp + 1);
    memcpy(text + lp + 1, skey, ls + 1);
    memcpy(text + lp + ls + 2, value, lv + 1);
    e->text = text;
    e->skey = text + lp + 1;
    e->value = text + lp + ls + 2;
    e->tlen = tlen;
    e->peer = *peer;
    e->expires = absolute(expiration_ms, now_ms);
    e->hash = h;
    e->hnext = NIL;
    e->used = 1;
    *pp = i;
    e->next = NIL;
    e->prev = idx->tail;
    if (idx->tail != NIL)
        idx->e[idx->tail].next = i;
    else
        idx->head = i;
    idx->tail = i;
    idx->count++;
    idx->bytes += tlen;
    return 0;
}

int jxta_srdi_index_add_srdi(jxta_srdi_index_t *idx, const jxta_srdi_t *srdi, int64_t now_ms)
{
    if (!idx || !srdi || !srdi->pkey)
        return JXTA_EINVAL;
    int first = 0;
    for (size_t i = 0; i < srdi->count; i++) {
        const jxta_srdi_entry_t *en = &srdi->entries[i];
        int rc =
            jxta_srdi_index_add(idx, srdi->pkey, en->skey ? en->skey : "NA",
                                en->value ? en->value : "", &srdi->pid, en->expiration_ms, now_ms);
        if (rc < 0 && first == 0)
            first = rc;
    }
    return first;
}

size_t jxta_srdi_index_remove_peer(jxta_srdi_index_t *idx, const jxta_id_t *peer, const char *pkey)
{
    if (!idx || !peer)
        return 0;
    size_t n = 0;
    for (uint32_t i = idx->head; i != NIL;) {
        uint32_t next = idx->e[i].next;
        if (jxta_id_equal(&idx->e[i].peer, peer) && (!pkey || strcmp(idx->e[i].text, pkey) == 0)) {
            unlink_entry(idx, i);
            n++;
        }
        i = next;
    }
    return n;
}

size_t jxta_srdi_index_gc(jxta_srdi_index_t *idx, int64_t now_ms)
{
    if (!idx)
        return 0;
    size_t n = 0;
    for (uint32_t i = idx->head; i != NIL;) {
        uint32_t next = idx->e[i].next;
        if (!live(&idx->e[i], now_ms)) {
            unlink_entry(idx, i);
            n++;
        }
        i = next;
    }
    return n;
}

size_t jxta_srdi_index_count(const jxta_srdi_index_t *idx)
{
    return idx ? idx->count : 0;
}

size_t jxta_srdi_index_count_peer(const jxta_srdi_index_t *idx, const jxta_id_t *peer)
{
    size_t n = 0;
    if (!idx || !peer)
        return 0;
    for (uint32_t i = idx->head; i != NIL; i = idx->e[i].next)
        n += jxta_id_equal(&idx->e[i].peer, peer);
    return n;
}

/* ---- Queries ------------------------------------------------------------- */

typedef enum { M_ANY, M_EXACT, M_PREFIX, M_SUFFIX, M_CONTAINS } match_kind_t;

typedef struct {
    match_kind_t kind;
    const char *s; /* the literal part */
    size_t n;
} matcher_t;

/* The discovery rules (8.1): '*' at the end, start or both; '*', "" = any. */
static void matcher_init(matcher_t *m, const char *pat)
{
    size_t n = pat ? strlen(pat) : 0;
    m->s = pat;
    m->n = n;
    m->kind = M_EXACT;
    if (n == 0 || (n == 1 && pat[0] == '*')) {
        m->kind = M_ANY;
    } else if (pat[0] == '*' && pat[n - 1] == '*') {
        m->kind = n == 2 ? M_ANY : M_CONTAINS;
        m->s = pat + 1;
        m->n = n - 2;
    } else if (pat[0] == '*') {
        m->kind = M_SUFFIX;
        m->s = pat + 1;
        m->n = n - 1;
    } else if (pat[n - 1] == '*') {
        m->kind = M_PREFIX;
        m->n = n - 1;
    }
}

static int matches(const matcher_t *m, const char *v)
{
    size_t vn;
    switch (m->kind) {
    case M_ANY: return 1;
    case M_EXACT: return strcmp(v, m->s) == 0;
    case M_PREFIX: return strncmp(v, m->s, m->n) == 0;
    case M_SUFFIX: vn = strlen(v); return vn >= m->n && memcmp(v + vn - m->n, m->s, m->n) == 0;
    case M_CONTAINS:
        vn = strlen(v);
        for (size_t i = 0; i + m->n <= vn; i++)
            if (memcmp(v + i, m->s, m->n) == 0)
                return 1;
        return 0;
    }
    return 0;
}

/* Distinct-peer accumulator: linear for small results, a hash set of
 * result indexes when the caller asks for many. */
typedef struct {
    jxta_id_t *peers;
    size_t n, max;
    uint32_t *set;
    size_t setcap;
} result_t;

static uint32_t peer_hash(const jxta_id_t *id)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < JXTA_ID_BYTES; i++)
        h = (h ^ id->b[i]) * 16777619u;
    return h;
}

static void result_add(result_t *r, const jxta_id_t *peer)
{
    if (r->set) {
        size_t j = peer_hash(peer) & (r->setcap - 1);
        for (; r->set[j] != NIL; j = (j + 1) & (r->setcap - 1))
            if (jxta_id_equal(&r->peers[r->set[j]], peer))
                return;
        r->set[j] = (uint32_t)r->n;
    } else {
        for (size_t k = 0; k < r->n; k++)
            if (jxta_id_equal(&r->peers[k], peer))
                return;
    }
    r->peers[r->n++] = *peer;
}

size_t jxta_srdi_index_query(const jxta_srdi_index_t *idx, const char *pkey, const char *skey,
                             const char *pattern, int64_t now_ms, jxta_id_t *peers, size_t max)
{
    if (!idx || !pkey || !peers || max == 0)
        return 0;
    matcher_t m;
    matcher_init(&m, pattern);
    result_t r = {peers, 0, max, NULL, 0};
    if (max > 32 && max < NIL / 4) {
        size_t cap = 64;
        while (cap < max * 2)
            cap *= 2;
        r.set = malloc(cap * sizeof *r.set);
        if (r.set) {
            memset(r.set, 0xff, cap * sizeof *r.set);
            r.setcap = cap;
        }
    }
    if (m.kind == M_EXACT && skey) {
        /* One hash chain holds every peer for this (pkey, skey, value). */
        uint32_t h = key_hash(pkey, skey, m.s);
        for (uint32_t i = idx->buckets[h & (idx->nbuckets - 1)]; i != NIL && r.n < max;
             i = idx->e[i].hnext) {
            const entry_t *e = &idx->e[i];
            if (e->hash == h && live(e, now_ms) && key_eq(e, pkey, skey, m.s))
                result_add(&r, &e->peer);
        }
    } else {
        for (uint32_t i = idx->head; i != NIL && r.n < max; i = idx->e[i].next) {
            const entry_t *e = &idx->e[i];
            if (live(e, now_ms) && strcmp(e->text, pkey) == 0 &&
                (!skey || strcmp(e->skey, skey) == 0) && matches(&m, e->value))
                result_add(&r, &e->peer);
        }
    }
    free(r.set);
    return r.n;
}

/* ---- Replica selection (6.5) ----------------------------------------------- */

typedef struct {
    jxta_id_text_t t;
    size_t i;
} view_item_t;

static int cmp_view(const void *a, const void *b)
{
    const view_item_t *x = a, *y = b;
    int c = strcmp(x->t.s, y->t.s);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

int jxta_srdi_replica(const char *key, const jxta_id_t *view, size_t n)
{
    if (!key || !view || n == 0 || n > INT32_MAX)
        return JXTA_EINVAL;
    uint8_t d[JXTA_SHA1_LEN];
    jxta_sha1(key, strlen(key), d);
    /* L: length of BigInteger.toByteArray() for the non-negative D. */
    size_t k = 0;
    while (k < JXTA_SHA1_LEN && d[k] == 0)
        k++;
    size_t L = k == JXTA_SHA1_LEN ? 1 : (JXTA_SHA1_LEN - k) + ((d[k] & 0x80) ? 1 : 0);
    /* P = D * n, big-endian in 28 bytes; position = P >> 8L. */
    uint8_t p[JXTA_SHA1_LEN + 8];
    uint64_t carry = 0;
    for (size_t i = JXTA_SHA1_LEN; i-- > 0;) {
        carry += (uint64_t)d[i] * n;
        p[i + 8] = (uint8_t)carry;
        carry >>= 8;
    }
    for (size_t i = 8; i-- > 0;) {
        p[i] = (uint8_t)carry;
        carry >>= 8;
    }
    uint64_t pos = 0;
    for (size_t i = 0; i < sizeof p - L; i++)
        pos = pos << 8 | p[i];
    if (pos >= n) /* cannot happen: D < 2^(8L) */
        pos = n - 1;
    view_item_t *items = malloc(n * sizeof *items);
    if (!items)
        return JXTA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        jxta_id_str(&view[i], &items[i].t);
        items[i].i = i;
    }
    qsort(items, n, sizeof *items, cmp_view);
    int chosen = (int)items[pos].i;
    free(items);
    return chosen;
}
