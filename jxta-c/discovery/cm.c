/* cm.c - the cache manager (see jxta/cm.h for the model, the key rule and
 * the on-disk layout).
 *
 * Memory layout: a short array of groups, each with three directories;
 * a directory keeps its entries in a doubly-linked list in publication
 * order (searches walk it, which is what a peer-sized cache needs) plus a
 * chained hash table on the key (publish/remove/get), and its SRDI
 * journal.  Limits are global to the cache; eviction scans for the
 * nearest deadline, which only happens when a limit is hit.
 *
 * The journal records "key K was added or changed" and "pair (field,
 * value) was withdrawn".  Remaining lifetimes are computed when the
 * journal is read, removals go first (so a remove followed by a re-publish
 * ends published at the rendezvous), and a removal is dropped when another
 * live entry of the directory still carries the same pair, because the
 * rendezvous index is keyed by (PKey, SKey, value) and peer only. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jxta/cm.h>
#include <jxta/discovery.h>
#include <jxta/sha1.h>

#include "../util/internal.h"

#define MOD "cm"
#define NDIRS 3

static const char *const DIR_NAMES[NDIRS] = {"Peers", "Groups", "Adv"};

typedef struct cm_dir cm_dir_t;
typedef struct cm_group cm_group_t;

typedef struct cm_entry {
    struct cm_entry *prev, *next; /* publication order */
    struct cm_entry *hnext;       /* hash chain */
    cm_dir_t *dir;
    char *key;
    char *doc;
    size_t len;
    uint64_t deadline;
    int64_t expiration;
    uint64_t mark; /* last SRDI read that listed it */
    size_t nindex;
    jxta_cm_index_t *index; /* names and values owned */
} cm_entry_t;

typedef struct cm_jrec {
    char *a; /* ADD: key; DEL: field name */
    char *b; /* DEL: value; NULL for ADD */
} cm_jrec_t;

struct cm_dir {
    cm_group_t *group;
    jxta_adv_dir_t which;
    cm_entry_t *head, *tail;
    size_t count;
    cm_entry_t **buckets;
    size_t nbuckets; /* power of two, 0 before the first entry */
    cm_jrec_t *journal;
    size_t jlen, jcap;
    int jfull; /* journal overflowed: next delta is a full push */
};

struct cm_group {
    jxta_id_t id;
    jxta_id_text_t uv; /* unique value: directory name on disk */
    cm_dir_t dirs[NDIRS];
};

struct jxta_cm {
    char *root; /* <home>/cm, or NULL */
    size_t max_entries, max_bytes, journal_max;
    cm_group_t **groups;
    size_t ngroups;
    size_t count, bytes;
    uint64_t mark;
};

/* ---- small helpers -------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_ws(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_ws((*s)[*n - 1]))
        (*n)--;
}

static int dir_ok(jxta_adv_dir_t d)
{
    return d >= JXTA_ADV_DIR_PEERS && d <= JXTA_ADV_DIR_ADV;
}

static int64_t clamp_forever(int64_t v)
{
    return v >= JXTA_CM_FOREVER_MIN ? JXTA_CM_FOREVER : v;
}

static int64_t remaining(const cm_entry_t *e, uint64_t now)
{
    if (e->deadline == JXTA_CM_NO_DEADLINE)
        return JXTA_CM_FOREVER;
    if (e->deadline <= now)
        return 0;
    uint64_t r = e->deadline - now;
    return r >= (uint64_t)JXTA_CM_FOREVER_MIN ? JXTA_CM_FOREVER : (int64_t)r;
}

static int64_t shareable(const cm_entry_t *e, uint64_t now)
{
    int64_t r = remaining(e, now);
    return r < e->expiration ? r : e->expiration;
}

static int alive(const cm_entry_t *e, uint64_t now)
{
    return e->deadline == JXTA_CM_NO_DEADLINE || e->deadline > now;
}

static int key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n >= JXTA_CM_KEY_MAX)
        return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

/* A tiny set of strings (open addressing), used while reading the journal. */
typedef struct strset {
    char **slot;
    size_t cap, n;
} strset_t;

static void strset_free(strset_t *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    memset(s, 0, sizeof *s);
}

/* Key for (name, value): "name\x01value". */
static char *pair_key(const char *name, const char *value)
{
    size_t a = strlen(name), b = strlen(value);
    char *k = malloc(a + b + 2);
    if (!k)
        return NULL;
    memcpy(k, name, a);
    k[a] = '\x01';
    memcpy(k + a + 1, value, b + 1);
    return k;
}

static int strset_has(const strset_t *s, const char *k)
{
    if (!s->cap)
        return 0;
    for (size_t i = fnv1a(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slot[i])
            return 0;
        if (strcmp(s->slot[i], k) == 0)
            return 1;
    }
}

/* Takes ownership of k.  Returns 1 if added, 0 if present, <0 on error. */
static int strset_add(strset_t *s, char *k)
{
    if (!k)
        return JXTA_ENOMEM;
    if (strset_has(s, k)) {
        free(k);
        return 0;
    }
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        char **ns = calloc(ncap, sizeof *ns);
        if (!ns) {
            free(k);
            return JXTA_ENOMEM;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i])
                continue;
            size_t j = fnv1a(s->slot[i]) & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = s->slot[i];
        }
        free(s->slot);
        s->slot = ns;
        s->cap = ncap;
    }
    size_t j = fnv1a(k) & (s->cap - 1);
    while (s->slot[j])
        j = (j + 1) & (s->cap - 1);
    s->slot[j] = k;
    s->n++;
    return 1;
}

/* ---- keys and directories ---------------------------------------------------- */

const char *jxta_cm_dir_name(jxta_adv_dir_t dir)
{
    return dir_ok(dir) ? DIR_NAMES[dir] : NULL;
}

jxta_adv_dir_t jxta_cm_dir_of(const jxta_adv_t *adv)
{
    jxta_adv_dir_t d = jxta_adv_dir(adv);
    return dir_ok(d) ? d : JXTA_ADV_DIR_ADV;
}

static void hash_key(char *out, const void *a, size_t an, const void *b, size_t bn)
{
    uint8_t h[JXTA_SHA1_LEN];
    jxta_sha1_t c;
    jxta_sha1_init(&c);
    jxta_sha1_update(&c, a, an);
    if (b)
        jxta_sha1_update(&c, b, bn);
    jxta_sha1_final(&c, h);
    static const char hex[] = "0123456789ABCDEF";
    out[0] = 'c';
    out[1] = 'm';
    for (size_t i = 0; i < JXTA_SHA1_LEN; i++) {
        out[2 + 2 * i] = hex[h[i] >> 4];
        out[3 + 2 * i] = hex[h[i] & 15];
    }
    out[2 + 2 * JXTA_SHA1_LEN] = '\0';
}

int jxta_cm_key(const jxta_adv_t *adv, char *out, size_t cap)
{
    if (!adv || !out || cap < JXTA_CM_KEY_MAX)
        return JXTA_EINVAL;
    jxta_adv_dir_t dir = jxta_cm_dir_of(adv);
    jxta_id_t id;
    if (jxta_adv_id(adv, &id) == 0 && !jxta_id_is_null(&id)) {
        jxta_id_kind_t k = jxta_id_kind(&id);
        int owns = (dir == JXTA_ADV_DIR_PEERS && k == JXTA_ID_PEER) ||
                   (dir == JXTA_ADV_DIR_GROUPS && k == JXTA_ID_GROUP) ||
                   (dir == JXTA_ADV_DIR_ADV && k != JXTA_ID_PEER && k != JXTA_ID_GROUP);
        jxta_id_text_t t;
        if (owns) {
            const char *uv = jxta_id_unique_value(&id, &t);
            if (strlen(uv) >= cap)
                return JXTA_ETOOBIG;
            strcpy(out, uv);
            return 0;
        }
        /* An advertisement about a peer/group, not the peer/group itself. */
        const char *type = jxta_adv_type_name(adv);
        char *sep_type = malloc(strlen(type) + 2);
        if (!sep_type)
            return JXTA_ENOMEM;
        strcpy(sep_type, type);
        strcat(sep_type, "\n");
        const char *urn = jxta_id_str(&id, &t);
        hash_key(out, sep_type, strlen(sep_type), urn, strlen(urn));
        free(sep_type);
        return 0;
    }
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_adv_write(adv, 0, &b);
    if (rc == 0)
        hash_key(out, b.data, b.len, NULL, 0);
    jxta_buf_free(&b);
    return rc;
}

/* ---- paths and files ------------------------------------------------------------ */

static char *path_of(const jxta_cm_t *cm, const cm_dir_t *d, const char *key, const char *ext)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_buf_printf(&b, "%s/%s/%s", cm->root, d->group->uv.s, DIR_NAMES[d->which]);
    if (key)
        jxta_buf_printf(&b, "/%s%s", key, ext);
    char *p = jxta_buf_error(&b) ? NULL : jxta_buf_steal_str(&b);
    jxta_buf_free(&b);
    return p;
}

static int mkdir_p(const char *path)
{
    char *tmp = jxta__strndup(path, strlen(path));
    if (!tmp)
        return JXTA_ENOMEM;
    int rc = 0;
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
                rc = jxta__reject(JXTA_EIO, MOD, "cannot create %s: %s", tmp, strerror(errno));
                break;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    free(tmp);
    return rc;
}

static int write_atomic(const char *path, const void *data, size_t len)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    if (!tmp)
        return JXTA_ENOMEM;
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL;
    if (f) {
        ok = fwrite(data, 1, len, f) == len;
        ok = (fclose(f) == 0) && ok;
    }
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        jxta_log(JXTA_LOG_WARN, MOD, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : JXTA_EIO;
}

static void meta_line(char *buf, size_t cap, const cm_entry_t *e)
{
    char d[24], x[24];
    if (e->deadline == JXTA_CM_NO_DEADLINE)
        strcpy(d, "forever");
    else
        snprintf(d, sizeof d, "%llu", (unsigned long long)e->deadline);
    if (e->expiration == JXTA_CM_FOREVER)
        strcpy(x, "forever");
    else
        snprintf(x, sizeof x, "%lld", (long long)e->expiration);
    snprintf(buf, cap, "jxta-cm 1 %s %s\n", d, x);
}

static int save_entry(jxta_cm_t *cm, const cm_entry_t *e)
{
    if (!cm->root)
        return 0;
    char *dirp = path_of(cm, e->dir, NULL, NULL);
    char *xml = path_of(cm, e->dir, e->key, ".xml");
    char *meta = path_of(cm, e->dir, e->key, ".meta");
    int rc = (!dirp || !xml || !meta) ? JXTA_ENOMEM : mkdir_p(dirp);
    if (rc == 0) {
        jxta_buf_t b = JXTA_BUF_INIT;
        jxta_buf_append(&b, e->doc, e->len);
        jxta_buf_append_str(&b, "\n");
        rc = jxta_buf_error(&b);
        if (rc == 0)
            rc = write_atomic(xml, b.data, b.len);
        jxta_buf_free(&b);
    }
    if (rc == 0) {
        char line[96];
        meta_line(line, sizeof line, e);
        rc = write_atomic(meta, line, strlen(line));
    }
    if (rc < 0)
        rc = JXTA_EIO;
    free(dirp);
    free(xml);
    free(meta);
    return rc;
}

static void unlink_entry_files(jxta_cm_t *cm, const cm_dir_t *d, const char *key)
{
    if (!cm->root)
        return;
    char *xml = path_of(cm, d, key, ".xml");
    char *meta = path_of(cm, d, key, ".meta");
    if (xml && unlink(xml) < 0 && errno != ENOENT)
        jxta_log(JXTA_LOG_WARN, MOD, "cannot delete %s: %s", xml, strerror(errno));
    if (meta)
        unlink(meta);
    free(xml);
    free(meta);
}

/* ---- groups, directories, entries --------------------------------------------------- */

static cm_group_t *find_group(const jxta_cm_t *cm, const jxta_id_t *gid)
{
    for (size_t i = 0; i < cm->ngroups; i++)
        if (jxta_id_equal(&cm->groups[i]->id, gid))
            return cm->groups[i];
    return NULL;
}

static cm_group_t *get_group(jxta_cm_t *cm, const jxta_id_t *gid)
{
    cm_group_t *g = find_group(cm, gid);
    if (g)
        return g;
    cm_group_t **ng = realloc(cm->groups, (cm->ngroups + 1) * sizeof *ng);
    if (!ng)
        return NULL;
    cm->groups = ng;
    g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->id = *gid;
    jxta_id_unique_value(gid, &g->uv);
    for (int i = 0; i < NDIRS; i++) {
        g->dirs[i].group = g;
        g->dirs[i].which = (jxta_adv_dir_t)i;
    }
    cm->groups[cm->ngroups++] = g;
    return g;
}

static cm_entry_t *lookup(const cm_dir_t *d, const char *key)
{
    if (!d->nbuckets)
        return NULL;
    for (cm_entry_t *e = d->buckets[fnv1a(key) & (d->nbuckets - 1)]; e; e = e->hnext)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void free_index(jxta_cm_index_t *ix, size_t n)
{
    for (size_t i = 0; ix && i < n; i++) {
        free((char *)ix[i].name);
        free((char *)ix[i].value);
    }
    free(ix);
}

static void free_entry(cm_entry_t *e)
{
    free(e->key);
    free(e->doc);
    free_index(e->index, e->nindex);
    free(e);
}

static int grow_buckets(cm_dir_t *d)
{
    size_t nb = d->nbuckets ? d->nbuckets * 2 : 16;
    cm_entry_t **b = calloc(nb, sizeof *b);
    if (!b)
        return JXTA_ENOMEM;
    for (size_t i = 0; i < d->nbuckets; i++) {
        for (cm_entry_t *e = d->buckets[i], *nx; e; e = nx) {
            nx = e->hnext;
            size_t j = fnv1a(e->key) & (nb - 1);
            e->hnext = b[j];
            b[j] = e;
        }
    }
    free(d->buckets);
    d->buckets = b;
    d->nbuckets = nb;
    return 0;
}

static int link_entry(jxta_cm_t *cm, cm_dir_t *d, cm_entry_t *e)
{
    if (d->count + 1 > d->nbuckets && grow_buckets(d) < 0)
        return JXTA_ENOMEM;
    size_t j = fnv1a(e->key) & (d->nbuckets - 1);
    e->hnext = d->buckets[j];
    d->buckets[j] = e;
    e->dir = d;
    e->prev = d->tail;
    e->next = NULL;
    if (d->tail)
        d->tail->next = e;
    else
        d->head = e;
    d->tail = e;
    d->count++;
    cm->count++;
    cm->bytes += e->len;
    return 0;
}

static void unlink_entry(jxta_cm_t *cm, cm_entry_t *e)
{
    cm_dir_t *d = e->dir;
    cm_entry_t **pp = &d->buckets[fnv1a(e->key) & (d->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        d->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        d->tail = e->prev;
    d->count--;
    cm->count--;
    cm->bytes -= e->len;
}

/* ---- journal ---------------------------------------------------------------------- */

static void journal_clear(cm_dir_t *d)
{
    for (size_t i = 0; i < d->jlen; i++) {
        free(d->journal[i].a);
        free(d->journal[i].b);
    }
    free(d->journal);
    d->journal = NULL;
    d->jlen = d->jcap = 0;
    d->jfull = 0;
}

static void journal_overflow(jxta_cm_t *cm, cm_dir_t *d, const char *why)
{
    (void)cm;
    int was = d->jfull;
    journal_clear(d);
    d->jfull = 1;
    if (!was)
        jxta_log(JXTA_LOG_WARN, MOD, "SRDI journal of %s/%s %s: the next delta is a full push",
                 d->group->uv.s, DIR_NAMES[d->which], why);
}

/* Record; a copy of a (and b) is made. */
static void journal_add(jxta_cm_t *cm, cm_dir_t *d, const char *a, const char *b)
{
    if (d->jfull)
        return;
    if (d->jlen >= cm->journal_max) {
        journal_overflow(cm, d, "overflowed");
        return;
    }
    if (d->jlen == d->jcap) {
        size_t nc = d->jcap ? d->jcap * 2 : 16;
        cm_jrec_t *j = realloc(d->journal, nc * sizeof *j);
        if (!j) {
            journal_overflow(cm, d, "could not grow");
            return;
        }
        d->journal = j;
        d->jcap = nc;
    }
    char *ca = jxta__strndup(a, strlen(a));
    char *cb = b ? jxta__strndup(b, strlen(b)) : NULL;
    if (!ca || (b && !cb)) {
        free(ca);
        free(cb);
        journal_overflow(cm, d, "could not grow");
        return;
    }
    d->journal[d->jlen].a = ca;
    d->journal[d->jlen].b = cb;
    d->jlen++;
}

/* Withdraw the pairs of `old` not in `keep` (NULL = all of them). */
static void journal_withdraw(jxta_cm_t *cm, cm_dir_t *d, const jxta_cm_index_t *old, size_t nold,
                             const jxta_cm_index_t *keep, size_t nkeep)
{
    for (size_t i = 0; i < nold; i++) {
        int kept = 0;
        for (size_t j = 0; keep && j < nkeep && !kept; j++)
            kept = strcmp(old[i].name, keep[j].name) == 0 &&
                   strcmp(old[i].value, keep[j].value) == 0;
        if (!kept)
            journal_add(cm, d, old[i].name, old[i].value);
    }
}

/* Remove an entry for good: journal (if it was shared), files, memory. */
static void drop_entry(jxta_cm_t *cm, cm_entry_t *e, int journal, int files)
{
    cm_dir_t *d = e->dir;
    if (journal && e->expiration > 0)
        journal_withdraw(cm, d, e->index, e->nindex, NULL, 0);
    if (files)
        unlink_entry_files(cm, d, e->key);
    unlink_entry(cm, e);
    free_entry(e);
}

/* ---- open / close ---------------------------------------------------------------- */

static void apply_limits(jxta_cm_t *cm, const jxta_cm_limits_t *lim)
{
    cm->max_entries = lim && lim->max_entries ? lim->max_entries : JXTA_CM_DEFAULT_MAX_ENTRIES;
    cm->max_bytes = lim && lim->max_bytes ? lim->max_bytes : JXTA_CM_DEFAULT_MAX_BYTES;
    cm->journal_max = cm->max_entries + 1024;
}

static int load_all(jxta_cm_t *cm, uint64_t now);
static int enforce_limits(jxta_cm_t *cm, const cm_entry_t *fresh);

int jxta_cm_open(const char *home, const jxta_cm_limits_t *lim, uint64_t now_ms, jxta_cm_t **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_cm_t *cm = calloc(1, sizeof *cm);
    if (!cm)
        return JXTA_ENOMEM;
    apply_limits(cm, lim);
    if (home) {
        jxta_buf_t b = JXTA_BUF_INIT;
        jxta_buf_printf(&b, "%s/cm", home);
        cm->root = jxta_buf_error(&b) ? NULL : jxta_buf_steal_str(&b);
        jxta_buf_free(&b);
        int rc = cm->root ? mkdir_p(cm->root) : JXTA_ENOMEM;
        if (rc == 0)
            rc = load_all(cm, now_ms);
        if (rc < 0) {
            jxta_cm_close(cm);
            return rc;
        }
        enforce_limits(cm, NULL);
    }
    *out = cm;
    return 0;
}

void jxta_cm_close(jxta_cm_t *cm)
{
    if (!cm)
        return;
    for (size_t i = 0; i < cm->ngroups; i++) {
        cm_group_t *g = cm->groups[i];
        for (int k = 0; k < NDIRS; k++) {
            cm_dir_t *d = &g->dirs[k];
            for (cm_entry_t *e = d->head, *nx; e; e = nx) {
                nx = e->next;
                free_entry(e);
            }
            free(d->buckets);
            journal_clear(d);
        }
        free(g);
    }
    free(cm->groups);
    free(cm->root);
    free(cm);
}

/* ---- publishing ------------------------------------------------------------------ */

/* Index pairs of `adv` (empty values skipped), owned copies. */
static int build_index(const jxta_adv_t *adv, jxta_cm_index_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t total = jxta_adv_index(adv, NULL, 0);
    if (!total)
        return 0;
    jxta_adv_index_entry_t *tmp = calloc(total, sizeof *tmp);
    jxta_cm_index_t *ix = calloc(total, sizeof *ix);
    if (!tmp || !ix) {
        free(tmp);
        free(ix);
        return JXTA_ENOMEM;
    }
    jxta_adv_index(adv, tmp, total);
    size_t k = 0;
    for (size_t i = 0; i < total; i++) {
        if (!tmp[i].value || !*tmp[i].value)
            continue;
        ix[k].name = jxta__strndup(tmp[i].name, strlen(tmp[i].name));
        ix[k].value = jxta__strndup(tmp[i].value, strlen(tmp[i].value));
        k++;
        if (!ix[k - 1].name || !ix[k - 1].value) {
            free(tmp);
            free_index(ix, k);
            return JXTA_ENOMEM;
        }
    }
    free(tmp);
    if (!k) {
        free(ix);
        ix = NULL;
    }
    *out = ix;
    *n = k;
    return 0;
}

/* Evict entries nearest to their deadline until within limits.  Returns
 * JXTA_ETOOBIG if `fresh` itself had to go. */
static int enforce_limits(jxta_cm_t *cm, const cm_entry_t *fresh)
{
    int lost_fresh = 0;
    while (cm->count > cm->max_entries || cm->bytes > cm->max_bytes) {
        cm_entry_t *victim = NULL;
        for (size_t i = 0; i < cm->ngroups; i++)
            for (int k = 0; k < NDIRS; k++)
                for (cm_entry_t *e = cm->groups[i]->dirs[k].head; e; e = e->next)
                    if (!victim || e->deadline < victim->deadline)
                        victim = e;
        if (!victim)
            break;
        jxta_log(JXTA_LOG_WARN, MOD,
                 "evicting %s/%s/%s (nearest deadline): cache over its limit (%zu entries, %zu "
                 "bytes; max %zu, %zu)",
                 victim->dir->group->uv.s, DIR_NAMES[victim->dir->which], victim->key, cm->count,
                 cm->bytes, cm->max_entries, cm->max_bytes);
        if (victim == fresh)
            lost_fresh = 1;
        drop_entry(cm, victim, 1, 1);
    }
    return lost_fresh ? JXTA_ETOOBIG : 0;
}

/* Core of both publish forms: takes ownership of doc and ix. */
static int publish_doc(jxta_cm_t *cm, const jxta_id_t *group, const jxta_adv_t *adv, char *doc,
                       size_t len, int64_t lifetime, int64_t expiration, uint64_t now)
{
    jxta_cm_index_t *ix = NULL;
    size_t nix = 0;
    char key[JXTA_CM_KEY_MAX];
    int rc = jxta_cm_key(adv, key, sizeof key);
    if (rc == 0)
        rc = build_index(adv, &ix, &nix);
    if (rc < 0) {
        free(doc);
        return rc;
    }
    jxta_adv_dir_t which = jxta_cm_dir_of(adv);
    lifetime = clamp_forever(lifetime);
    expiration = clamp_forever(expiration);
    if (expiration > lifetime)
        expiration = lifetime;
    uint64_t deadline = lifetime == JXTA_CM_FOREVER || now > UINT64_MAX - 1 - (uint64_t)lifetime
                            ? JXTA_CM_NO_DEADLINE
                            : now + (uint64_t)lifetime;
    cm_group_t *g = get_group(cm, group);
    if (!g) {
        free(doc);
        free_index(ix, nix);
        return JXTA_ENOMEM;
    }
    cm_dir_t *d = &g->dirs[which];
    cm_entry_t *e = lookup(d, key);
    if (e && !alive(e, now)) { /* a dead entry lends nothing to its successor */
        drop_entry(cm, e, 0, 0);
        e = NULL;
    }
    int unchanged = 0;
    if (e) {
        /* The same document again (typically a discovery answer received
         * once more) with the same expiration, while at least half of its
         * life is left, is not news for SRDI: without this, every answer
         * would be pushed to the rendezvous again. */
        unchanged = e->len == len && memcmp(e->doc, doc, len) == 0 &&
                    e->expiration == expiration && e->deadline != JXTA_CM_NO_DEADLINE &&
                    deadline != JXTA_CM_NO_DEADLINE && e->deadline > now &&
                    e->deadline - now >= (uint64_t)lifetime / 2;
        /* Newer document replaces the older; the deadline never comes closer. */
        if (e->expiration > 0 && !unchanged)
            journal_withdraw(cm, d, e->index, e->nindex, expiration > 0 ? ix : NULL, nix);
        cm->bytes = cm->bytes - e->len + len;
        free(e->doc);
        free_index(e->index, e->nindex);
        e->doc = doc;
        e->len = len;
        e->index = ix;
        e->nindex = nix;
        if (deadline > e->deadline)
            e->deadline = deadline;
        e->expiration = expiration;
    } else {
        e = calloc(1, sizeof *e);
        char *k = jxta__strndup(key, strlen(key));
        if (!e || !k) {
            free(e);
            free(k);
            free(doc);
            free_index(ix, nix);
            return JXTA_ENOMEM;
        }
        e->key = k;
        e->doc = doc;
        e->len = len;
        e->index = ix;
        e->nindex = nix;
        e->deadline = deadline;
        e->expiration = expiration;
        if (link_entry(cm, d, e) < 0) {
            free_entry(e);
            return JXTA_ENOMEM;
        }
    }
    if (expiration > 0 && !unchanged)
        journal_add(cm, d, key, NULL);
    rc = save_entry(cm, e);
    int lim = enforce_limits(cm, e);
    return lim < 0 ? lim : rc;
}

static int check_publish(const jxta_cm_t *cm, const jxta_id_t *group, int64_t lifetime,
                         int64_t expiration)
{
    if (!cm || !group)
        return JXTA_EINVAL;
    if (jxta_id_kind(group) != JXTA_ID_GROUP) {
        jxta_id_text_t t;
        return jxta__reject(JXTA_EINVAL, MOD, "publish in %s: not a group ID",
                            jxta_id_str(group, &t));
    }
    if (lifetime <= 0 || expiration < 0)
        return jxta__reject(JXTA_ERANGE, MOD, "publish with lifetime %lld, expiration %lld",
                            (long long)lifetime, (long long)expiration);
    return 0;
}

static int check_size(const jxta_cm_t *cm, size_t len)
{
    if (len > JXTA_CM_MAX_DOC_BYTES || len > cm->max_bytes)
        return jxta__reject(JXTA_ETOOBIG, MOD, "document of %zu bytes exceeds the cache limits",
                            len);
    return 0;
}

int jxta_cm_publish(jxta_cm_t *cm, const jxta_id_t *group, const jxta_adv_t *adv,
                    int64_t lifetime_ms, int64_t expiration_ms, uint64_t now_ms)
{
    int rc = check_publish(cm, group, lifetime_ms, expiration_ms);
    if (rc < 0)
        return rc;
    if (!adv)
        return JXTA_EINVAL;
    jxta_buf_t b = JXTA_BUF_INIT;
    rc = jxta_adv_write(adv, 0, &b);
    const char *s = (const char *)b.data;
    size_t n = b.len;
    if (rc == 0) {
        trim(&s, &n);
        rc = check_size(cm, n);
    }
    char *doc = rc == 0 ? jxta__strndup(s, n) : NULL;
    jxta_buf_free(&b);
    if (rc < 0)
        return rc;
    if (!doc)
        return JXTA_ENOMEM;
    return publish_doc(cm, group, adv, doc, n, lifetime_ms, expiration_ms, now_ms);
}

int jxta_cm_publish_text(jxta_cm_t *cm, const jxta_id_t *group, const char *text, size_t len,
                         int64_t lifetime_ms, int64_t expiration_ms, uint64_t now_ms)
{
    int rc = check_publish(cm, group, lifetime_ms, expiration_ms);
    if (rc < 0)
        return rc;
    if (!text)
        return JXTA_EINVAL;
    trim(&text, &len);
    if ((rc = check_size(cm, len)) < 0)
        return rc;
    jxta_adv_t *adv = NULL;
    if ((rc = jxta_adv_parse(text, len, &adv)) < 0)
        return jxta__reject(rc, MOD, "published document does not parse");
    char *doc = jxta__strndup(text, len);
    if (!doc) {
        jxta_adv_free(adv);
        return JXTA_ENOMEM;
    }
    rc = publish_doc(cm, group, adv, doc, len, lifetime_ms, expiration_ms, now_ms);
    jxta_adv_free(adv);
    return rc;
}

int jxta_cm_remove(jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir, const char *key)
{
    if (!cm || !group || !key || !dir_ok(dir))
        return JXTA_EINVAL;
    cm_group_t *g = find_group(cm, group);
    cm_entry_t *e = g ? lookup(&g->dirs[dir], key) : NULL;
    if (!e)
        return JXTA_ENOTFOUND;
    drop_entry(cm, e, 1, 1);
    return 0;
}

size_t jxta_cm_gc(jxta_cm_t *cm, uint64_t now_ms)
{
    size_t n = 0;
    if (!cm)
        return 0;
    for (size_t i = 0; i < cm->ngroups; i++)
        for (int k = 0; k < NDIRS; k++)
            for (cm_entry_t *e = cm->groups[i]->dirs[k].head, *nx; e; e = nx) {
                nx = e->next;
                if (!alive(e, now_ms)) {
                    /* The rendezvous got the same deadline: no removal. */
                    drop_entry(cm, e, 0, 1);
                    n++;
                }
            }
    if (n)
        jxta_log(JXTA_LOG_DEBUG, MOD, "gc dropped %zu expired entries", n);
    return n;
}

size_t jxta_cm_count(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir)
{
    if (!cm)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < cm->ngroups; i++) {
        if (group && !jxta_id_equal(&cm->groups[i]->id, group))
            continue;
        for (int k = 0; k < NDIRS; k++)
            if (!dir_ok(dir) || (int)dir == k)
                n += cm->groups[i]->dirs[k].count;
    }
    return n;
}

size_t jxta_cm_bytes(const jxta_cm_t *cm)
{
    return cm ? cm->bytes : 0;
}

/* ---- reading ------------------------------------------------------------------------ */

static void fill_view(const cm_entry_t *e, uint64_t now, jxta_cm_entry_t *v)
{
    v->group = &e->dir->group->id;
    v->dir = e->dir->which;
    v->key = e->key;
    v->doc = e->doc;
    v->len = e->len;
    v->deadline_ms = e->deadline;
    v->expiration_ms = e->expiration;
    v->remaining_ms = remaining(e, now);
    v->shareable_ms = shareable(e, now);
    v->nindex = e->nindex;
    v->index = e->index;
}

static int entry_matches(const cm_entry_t *e, const char *attr, const char *value)
{
    if (!attr)
        return 1;
    for (size_t i = 0; i < e->nindex; i++)
        if (strcmp(e->index[i].name, attr) == 0 && jxta_disc_value_match(value, e->index[i].value))
            return 1;
    return 0;
}

int jxta_cm_search(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                   const char *attr, const char *value, size_t threshold, unsigned flags,
                   uint64_t now_ms, jxta_cm_visit_fn fn, void *ud)
{
    if (!cm || !group || !dir_ok(dir) || !fn)
        return JXTA_EINVAL;
    cm_group_t *g = find_group(cm, group);
    if (!g)
        return 0;
    size_t n = 0;
    for (const cm_entry_t *e = g->dirs[dir].head; e && n < threshold; e = e->next) {
        if (!alive(e, now_ms))
            continue;
        if (!(flags & JXTA_CM_INCLUDE_PRIVATE) && shareable(e, now_ms) <= 0)
            continue;
        if (!entry_matches(e, attr, value))
            continue;
        jxta_cm_entry_t v;
        fill_view(e, now_ms, &v);
        n++;
        if (fn(ud, &v))
            break;
    }
    return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
}

typedef struct collect {
    jxta_cm_result_t *v;
    size_t n;
    int err;
} collect_t;

static int collect_fn(void *ud, const jxta_cm_entry_t *e)
{
    collect_t *c = ud;
    jxta_cm_result_t *nv = realloc(c->v, (c->n + 1) * sizeof *nv);
    if (!nv) {
        c->err = JXTA_ENOMEM;
        return 1;
    }
    c->v = nv;
    jxta_cm_result_t *r = &c->v[c->n];
    r->key = jxta__strndup(e->key, strlen(e->key));
    r->doc = jxta__strndup(e->doc, e->len);
    r->len = e->len;
    r->expiration_ms = e->shareable_ms;
    c->n++;
    if (!r->key || !r->doc) {
        c->err = JXTA_ENOMEM;
        return 1;
    }
    return 0;
}

void jxta_cm_results_free(jxta_cm_result_t *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].key);
        free(r[i].doc);
    }
    free(r);
}

int jxta_cm_search_docs(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                        const char *attr, const char *value, size_t threshold, unsigned flags,
                        uint64_t now_ms, jxta_cm_result_t **out, size_t *n)
{
    if (!out || !n)
        return JXTA_EINVAL;
    *out = NULL;
    *n = 0;
    collect_t c = {NULL, 0, 0};
    int rc = jxta_cm_search(cm, group, dir, attr, value, threshold, flags, now_ms, collect_fn, &c);
    if (rc >= 0 && c.err)
        rc = c.err;
    if (rc < 0) {
        jxta_cm_results_free(c.v, c.n);
        return rc;
    }
    *out = c.v;
    *n = c.n;
    return 0;
}

int jxta_cm_get(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                const char *key, uint64_t now_ms, jxta_adv_t **adv, int64_t *shareable_ms)
{
    if (!cm || !group || !key || !dir_ok(dir))
        return JXTA_EINVAL;
    if (adv)
        *adv = NULL;
    cm_group_t *g = find_group(cm, group);
    const cm_entry_t *e = g ? lookup(&g->dirs[dir], key) : NULL;
    if (!e || !alive(e, now_ms))
        return JXTA_ENOTFOUND;
    if (shareable_ms)
        *shareable_ms = shareable(e, now_ms);
    return adv ? jxta_adv_parse(e->doc, e->len, adv) : 0;
}

int jxta_cm_foreach(const jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                    uint64_t now_ms, jxta_cm_visit_fn fn, void *ud)
{
    if (!cm || !fn)
        return JXTA_EINVAL;
    int n = 0;
    for (size_t i = 0; i < cm->ngroups; i++) {
        if (group && !jxta_id_equal(&cm->groups[i]->id, group))
            continue;
        for (int k = 0; k < NDIRS; k++) {
            if (dir_ok(dir) && (int)dir != k)
                continue;
            for (const cm_entry_t *e = cm->groups[i]->dirs[k].head; e; e = e->next) {
                if (!alive(e, now_ms))
                    continue;
                jxta_cm_entry_t v;
                fill_view(e, now_ms, &v);
                n++;
                if (fn(ud, &v))
                    return n;
            }
        }
    }
    return n;
}

/* ---- SRDI ---------------------------------------------------------------------------- */

typedef struct srdi_out {
    jxta_cm_srdi_t *v;
    size_t n, cap;
    int err;
} srdi_out_t;

static void srdi_push(srdi_out_t *o, cm_dir_t *d, const char *skey, const char *value,
                      int64_t exp)
{
    if (o->err)
        return;
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 16;
        jxta_cm_srdi_t *nv = realloc(o->v, nc * sizeof *nv);
        if (!nv) {
            o->err = JXTA_ENOMEM;
            return;
        }
        o->v = nv;
        o->cap = nc;
    }
    jxta_cm_srdi_t *s = &o->v[o->n];
    s->pkey = DIR_NAMES[d->which];
    s->skey = jxta__strndup(skey, strlen(skey));
    s->value = jxta__strndup(value, strlen(value));
    s->expiration_ms = exp;
    o->n++;
    if (!s->skey || !s->value)
        o->err = JXTA_ENOMEM;
}

static void srdi_entry(srdi_out_t *o, cm_dir_t *d, const cm_entry_t *e, uint64_t now)
{
    int64_t r = remaining(e, now);
    for (size_t i = 0; i < e->nindex; i++)
        srdi_push(o, d, e->index[i].name, e->index[i].value, r);
}

void jxta_cm_srdi_free(jxta_cm_srdi_t *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].skey);
        free(v[i].value);
    }
    free(v);
}

static int srdi_finish(srdi_out_t *o, jxta_cm_srdi_t **out, size_t *n)
{
    if (o->err) {
        jxta_cm_srdi_free(o->v, o->n);
        return o->err;
    }
    if (!o->n) {
        free(o->v);
        o->v = NULL;
    }
    *out = o->v;
    *n = o->n;
    return 0;
}

static int srdi_args(jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                     jxta_cm_srdi_t **out, size_t *n, cm_dir_t **d)
{
    if (!cm || !group || !dir_ok(dir) || !out || !n)
        return JXTA_EINVAL;
    *out = NULL;
    *n = 0;
    cm_group_t *g = find_group(cm, group);
    *d = g ? &g->dirs[dir] : NULL;
    return 0;
}

static void srdi_full(srdi_out_t *o, cm_dir_t *d, uint64_t now)
{
    for (const cm_entry_t *e = d->head; e; e = e->next)
        if (alive(e, now) && e->expiration > 0)
            srdi_entry(o, d, e, now);
}

int jxta_cm_srdi_all(jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                     uint64_t now_ms, jxta_cm_srdi_t **out, size_t *n)
{
    cm_dir_t *d;
    int rc = srdi_args(cm, group, dir, out, n, &d);
    if (rc < 0 || !d)
        return rc;
    srdi_out_t o = {NULL, 0, 0, 0};
    srdi_full(&o, d, now_ms);
    rc = srdi_finish(&o, out, n);
    if (rc == 0)
        journal_clear(d);
    return rc;
}

int jxta_cm_srdi_delta(jxta_cm_t *cm, const jxta_id_t *group, jxta_adv_dir_t dir,
                       uint64_t now_ms, jxta_cm_srdi_t **out, size_t *n)
{
    cm_dir_t *d;
    int rc = srdi_args(cm, group, dir, out, n, &d);
    if (rc < 0 || !d)
        return rc;
    if (d->jfull)
        return jxta_cm_srdi_all(cm, group, dir, now_ms, out, n);
    srdi_out_t o = {NULL, 0, 0, 0};
    uint64_t mark = ++cm->mark;
    strset_t live = {NULL, 0, 0}, done = {NULL, 0, 0};
    int have_removals = 0;
    for (size_t i = 0; i < d->jlen; i++)
        have_removals |= d->journal[i].b != NULL;
    if (have_removals) {
        /* Pairs still carried by a live shared entry must not be withdrawn. */
        for (const cm_entry_t *e = d->head; e && !o.err; e = e->next)
            if (alive(e, now_ms) && e->expiration > 0)
                for (size_t i = 0; i < e->nindex && !o.err; i++)
                    if (strset_add(&live, pair_key(e->index[i].name, e->index[i].value)) < 0)
                        o.err = JXTA_ENOMEM;
        for (size_t i = 0; i < d->jlen && !o.err; i++) {
            const cm_jrec_t *r = &d->journal[i];
            if (!r->b)
                continue;
            char *k = pair_key(r->a, r->b);
            if (!k) {
                o.err = JXTA_ENOMEM;
                break;
            }
            if (strset_has(&live, k)) {
                free(k);
                continue;
            }
            int added = strset_add(&done, k);
            if (added < 0)
                o.err = added;
            else if (added)
                srdi_push(&o, d, r->a, r->b, 0);
        }
    }
    for (size_t i = 0; i < d->jlen && !o.err; i++) {
        const cm_jrec_t *r = &d->journal[i];
        if (r->b)
            continue;
        cm_entry_t *e = lookup(d, r->a);
        if (!e || e->mark == mark || !alive(e, now_ms) || e->expiration <= 0)
            continue;
        e->mark = mark;
        srdi_entry(&o, d, e, now_ms);
    }
    strset_free(&live);
    strset_free(&done);
    rc = srdi_finish(&o, out, n);
    if (rc == 0)
        journal_clear(d);
    return rc;
}

/* ---- reload -------------------------------------------------------------------------- */

static int read_file(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return JXTA_EIO;
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return JXTA_EIO;
    }
    if ((uint64_t)st.st_size > max) {
        fclose(f);
        return JXTA_ETOOBIG;
    }
    /* One byte more than announced, to notice a file that grew. */
    size_t want = (size_t)st.st_size + 1;
    char *buf = malloc(want + 1);
    if (!buf) {
        fclose(f);
        return JXTA_ENOMEM;
    }
    size_t n = fread(buf, 1, want, f);
    int err = ferror(f);
    fclose(f);
    if (err || n > max) {
        free(buf);
        return err ? JXTA_EIO : JXTA_ETOOBIG;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* "jxta-cm 1 <deadline|forever> <expiration|forever>\n" */
static int parse_u64_tok(const char **p, uint64_t *v, int *forever)
{
    *forever = 0;
    if (strncmp(*p, "forever", 7) == 0) {
        *forever = 1;
        *p += 7;
        return 0;
    }
    if (**p < '0' || **p > '9')
        return -1;
    uint64_t x = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++) {
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(**p - '0');
    }
    *v = x;
    return 0;
}

static int parse_meta(const char *s, uint64_t *deadline, int64_t *expiration)
{
    if (strncmp(s, "jxta-cm 1 ", 10) != 0)
        return -1;
    s += 10;
    uint64_t d = 0, x = 0;
    int fd, fx;
    if (parse_u64_tok(&s, &d, &fd) < 0 || *s++ != ' ' || parse_u64_tok(&s, &x, &fx) < 0)
        return -1;
    if (*s == '\n')
        s++;
    if (*s)
        return -1;
    if (!fx && x >= (uint64_t)JXTA_CM_FOREVER_MIN)
        fx = 1;
    if (!fd && d == JXTA_CM_NO_DEADLINE)
        fd = 1;
    *deadline = fd ? JXTA_CM_NO_DEADLINE : d;
    *expiration = fx ? JXTA_CM_FOREVER : (int64_t)x;
    return 0;
}

static void drop_files(const char *xml, const char *meta)
{
    if (xml)
        unlink(xml);
    if (meta)
        unlink(meta);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One <key>.xml with its .meta; never fails the open except on ENOMEM. */
static int load_one(jxta_cm_t *cm, cm_dir_t *d, const char *key, uint64_t now)
{
    char *xml = path_of(cm, d, key, ".xml"), *meta = path_of(cm, d, key, ".meta");
    char *doc = NULL, *mtext = NULL;
    size_t len = 0, mlen = 0;
    jxta_adv_t *adv = NULL;
    jxta_cm_index_t *ix = NULL;
    size_t nix = 0;
    int rc = 0;
    const char *why = NULL;
    if (!xml || !meta) {
        rc = JXTA_ENOMEM;
        goto out;
    }
    uint64_t deadline;
    int64_t expiration;
    int r = read_file(meta, 128, &mtext, &mlen);
    if (r == JXTA_ENOMEM) {
        rc = r;
        goto out;
    }
    if (r < 0 || parse_meta(mtext, &deadline, &expiration) < 0) {
        why = r < 0 ? "no readable metadata" : "bad metadata";
        goto out;
    }
    if (deadline != JXTA_CM_NO_DEADLINE && deadline <= now) {
        jxta_log(JXTA_LOG_INFO, MOD, "dropping expired %s", xml);
        drop_files(xml, meta);
        goto out;
    }
    r = read_file(xml, JXTA_CM_MAX_DOC_BYTES + 2, &doc, &len);
    if (r == JXTA_ENOMEM) {
        rc = r;
        goto out;
    }
    if (r < 0) {
        why = r == JXTA_ETOOBIG ? "document too large" : "unreadable document";
        goto out;
    }
    const char *s = doc;
    size_t n = len;
    trim(&s, &n);
    if (n == 0 || n > JXTA_CM_MAX_DOC_BYTES || memchr(s, '\0', n)) {
        why = "empty or oversized document";
        goto out;
    }
    r = jxta_adv_parse(s, n, &adv);
    if (r == JXTA_ENOMEM) {
        rc = r;
        goto out;
    }
    if (r < 0) {
        why = "document does not parse";
        goto out;
    }
    char k2[JXTA_CM_KEY_MAX];
    if (jxta_cm_key(adv, k2, sizeof k2) < 0 || strcmp(k2, key) != 0 ||
        jxta_cm_dir_of(adv) != d->which) {
        why = "document does not belong under this name";
        goto out;
    }
    if (lookup(d, key)) {
        why = "duplicate";
        goto out;
    }
    if ((rc = build_index(adv, &ix, &nix)) < 0)
        goto out;
    cm_entry_t *e = calloc(1, sizeof *e);
    char *kc = jxta__strndup(key, strlen(key));
    char *dc = jxta__strndup(s, n);
    if (!e || !kc || !dc) {
        free(e);
        free(kc);
        free(dc);
        rc = JXTA_ENOMEM;
        goto out;
    }
    e->key = kc;
    e->doc = dc;
    e->len = n;
    e->index = ix;
    e->nindex = nix;
    ix = NULL;
    e->deadline = deadline;
    e->expiration = expiration;
    if ((rc = link_entry(cm, d, e)) < 0)
        free_entry(e);
out:
    if (why) {
        jxta_log(JXTA_LOG_WARN, MOD, "dropping corrupt cache file %s: %s", xml, why);
        drop_files(xml, meta);
    }
    free_index(ix, nix);
    jxta_adv_free(adv);
    free(doc);
    free(mtext);
    free(xml);
    free(meta);
    return rc;
}

static int load_dir(jxta_cm_t *cm, cm_dir_t *d, uint64_t now)
{
    char *dp = path_of(cm, d, NULL, NULL);
    if (!dp)
        return JXTA_ENOMEM;
    DIR *dh = opendir(dp);
    if (!dh) {
        free(dp);
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        const char *nm = de->d_name;
        if (nm[0] == '.')
            continue;
        size_t l = strlen(nm);
        int is_xml = l > 4 && strcmp(nm + l - 4, ".xml") == 0;
        int is_meta = l > 5 && strcmp(nm + l - 5, ".meta") == 0;
        char *full = NULL;
        if (!is_xml) {
            /* Leftover temporaries, orphan metadata, foreign files. */
            char base[JXTA_CM_KEY_MAX + 8];
            int orphan = is_meta && l - 5 < JXTA_CM_KEY_MAX;
            if (orphan) {
                memcpy(base, nm, l - 5);
                memcpy(base + l - 5, ".xml", 5);
                full = malloc(strlen(dp) + strlen(base) + 2);
                if (full) {
                    sprintf(full, "%s/%s", dp, base);
                    orphan = access(full, F_OK) != 0;
                }
                free(full);
                full = NULL;
            }
            int tmp = l > 4 && strcmp(nm + l - 4, ".tmp") == 0;
            if (orphan || tmp) {
                full = malloc(strlen(dp) + l + 2);
                if (full) {
                    sprintf(full, "%s/%s", dp, nm);
                    jxta_log(JXTA_LOG_WARN, MOD, "removing stray cache file %s", full);
                    unlink(full);
                    free(full);
                }
            }
            continue;
        }
        char *key = jxta__strndup(nm, l - 4);
        if (!key) {
            rc = JXTA_ENOMEM;
            break;
        }
        if (!key_ok(key)) {
            jxta_log(JXTA_LOG_WARN, MOD, "ignoring cache file %s/%s: not a cache key", dp, nm);
            free(key);
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                free(key);
                rc = JXTA_ENOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        names[n++] = key;
    }
    closedir(dh);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = load_one(cm, d, names[i], now);
        free(names[i]);
    }
    free(names);
    free(dp);
    return rc;
}

static int load_all(jxta_cm_t *cm, uint64_t now)
{
    DIR *dh = opendir(cm->root);
    if (!dh)
        return jxta__reject(JXTA_EIO, MOD, "cannot read %s: %s", cm->root, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = JXTA_ENOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = jxta__strndup(de->d_name, strlen(de->d_name)))) {
            rc = JXTA_ENOMEM;
            break;
        }
        n++;
    }
    closedir(dh);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            char urn[JXTA_ID_TEXT_MAX + 16];
            jxta_id_t gid;
            snprintf(urn, sizeof urn, "urn:jxta:%s", names[i]);
            if (strlen(names[i]) >= JXTA_ID_TEXT_MAX || jxta_id_from_string(&gid, urn) < 0 ||
                jxta_id_kind(&gid) != JXTA_ID_GROUP) {
                jxta_log(JXTA_LOG_WARN, MOD, "ignoring %s/%s: not a group's cache", cm->root,
                         names[i]);
            } else {
                cm_group_t *g = get_group(cm, &gid);
                if (!g)
                    rc = JXTA_ENOMEM;
                for (int k = 0; g && k < NDIRS && rc == 0; k++)
                    rc = load_dir(cm, &g->dirs[k], now);
            }
        }
        free(names[i]);
    }
    free(names);
    if (rc == 0 && cm->count)
        jxta_log(JXTA_LOG_INFO, MOD, "reloaded %zu advertisements from %s", cm->count, cm->root);
    return rc;
}
