/* history.c - the history recorder and checker of history.h.
 *
 * What is checked.  Value 0 is the block's initial value, written by no
 * operation.  An RMW whose outcome is ok wrote its value; one whose
 * outcome is indet wrote it or not: it is taken as applied exactly when
 * some operation read that value ("observed"), as not applied otherwise.
 * A failed operation read and wrote nothing.  The applied writes are the
 * ok RMWs plus the observed indet RMWs, and each applied write's
 * predecessor is the value its critical section read.
 *   0. writes are unique: no two operations write the same value (a
 *      requirement on the workload, or nothing below could be told apart);
 *   (c) every value read is 0 or the value of an ok/indet RMW: nobody
 *      read a value that was never written (nor one whose acquire failed);
 *   (a) no lost update: at most one applied write builds on each value, so
 *      the applied writes form a single chain 0 -> w1 -> w2 -> ... in
 *      which each critical section read the value written by its
 *      predecessor; two acknowledged critical sections that read the same
 *      value (a lost update), or an acknowledged one and an observed
 *      indeterminate one (a fork: somebody saw a write that was later
 *      overwritten as if it had never happened), are violations, and so is
 *      an applied write not reachable from 0 (a cycle);
 *   (b) recency: every read (shared, or the read of a critical section,
 *      whatever its outcome, as long as it read something) returned a
 *      value whose chain position is at least that of
 *        - every write acknowledged (ok RMW ended) before the read's
 *          acquire started, and
 *        - every value returned by an operation that ended before the
 *          read's acquire started (reads never go back in time);
 *      and not a value whose writer started after the read ended (a read
 *      from the future).
 * Why this suffices for "every read returned the last acknowledged value":
 * the chain is a total order of every write that took effect, consistent
 * with what each critical section read (a), containing every
 * acknowledged write ((a): all ok RMWs are applied and reachable).  A read
 * returns a value of that order (c), never one older than the last write
 * acknowledged, nor than anything already returned, before it began, and
 * never one written after it ended (b); so each operation can be placed at
 * one instant inside its own interval, in chain order, where the value it
 * read is the latest write: the history is linearizable as a register, the
 * strongest thing the clients can observe.  Indeterminate writes are
 * allowed both ways, as the protocol allows: applied (then on the chain,
 * with the same rules) or not (then nobody may ever see them).
 * Times compare strictly (an operation that ended in the same microsecond
 * another started is concurrent with it), so clock granularity can only
 * hide a violation, never invent one.  Cost O(n log n). */
#include "history.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jxta/error.h>
#include <jxta/log.h>

struct jm_hist {
    pthread_mutex_t mu;
    jm_hist_op_t *ops;
    size_t n, cap;
};

jm_hist_t *jm_hist_new(void)
{
    jm_hist_t *h = calloc(1, sizeof *h);
    if (h && pthread_mutex_init(&h->mu, NULL) != 0) {
        free(h);
        return NULL;
    }
    return h;
}

void jm_hist_free(jm_hist_t *h)
{
    if (!h)
        return;
    pthread_mutex_destroy(&h->mu);
    free(h->ops);
    free(h);
}

static const char *op_invalid(const jm_hist_op_t *op)
{
    if (op->kind != JM_HIST_RMW && op->kind != JM_HIST_READ)
        return "unknown kind";
    if (op->outcome != JM_HIST_OK && op->outcome != JM_HIST_FAIL && op->outcome != JM_HIST_INDET)
        return "unknown outcome";
    if (op->end_us < op->start_us)
        return "ends before it starts";
    if (op->kind == JM_HIST_RMW && op->outcome != JM_HIST_FAIL && op->written == 0)
        return "an RMW writes 0 (the initial value)";
    return NULL;
}

/* Append without the lock; normalises the fields a kind/outcome lacks. */
static int append(jm_hist_t *h, const jm_hist_op_t *op)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        jm_hist_op_t *ops = realloc(h->ops, cap * sizeof *ops);
        if (!ops)
            return JXTA_ENOMEM;
        h->ops = ops;
        h->cap = cap;
    }
    jm_hist_op_t *o = &h->ops[h->n++];
    *o = *op;
    if (o->outcome == JM_HIST_FAIL)
        o->read = o->written = 0;
    if (o->kind == JM_HIST_READ)
        o->written = 0;
    return 0;
}

int jm_hist_add(jm_hist_t *h, const jm_hist_op_t *op)
{
    if (!h || !op)
        return JXTA_EINVAL;
    const char *bad = op_invalid(op);
    if (bad) {
        jxta_log(JXTA_LOG_WARN, "history", "operation refused: %s", bad);
        return JXTA_EINVAL;
    }
    pthread_mutex_lock(&h->mu);
    int rc = append(h, op);
    pthread_mutex_unlock(&h->mu);
    return rc;
}

size_t jm_hist_count(const jm_hist_t *h)
{
    return h ? h->n : 0;
}

const jm_hist_op_t *jm_hist_op(const jm_hist_t *h, size_t i)
{
    return h && i < h->n ? &h->ops[i] : NULL;
}

/* ---- checking -------------------------------------------------------------- */

static const char *kind_name(jm_hist_kind_t k)
{
    return k == JM_HIST_RMW ? "rmw" : "read";
}

static const char *outcome_name(jm_hist_outcome_t o)
{
    return o == JM_HIST_OK ? "ok" : o == JM_HIST_FAIL ? "fail" : "indet";
}

/* "op #12 (client 3, rmw indet, 10.250-11.003 ms)" */
static void describe(const jm_hist_t *h, size_t i, char *out, size_t cap)
{
    const jm_hist_op_t *o = &h->ops[i];
    snprintf(out, cap, "op #%zu (client %" PRIu32 ", %s %s, %" PRIu64 ".%03" PRIu64 "-%" PRIu64
             ".%03" PRIu64 " ms)",
             i, o->client, kind_name(o->kind), outcome_name(o->outcome), o->start_us / 1000,
             o->start_us % 1000, o->end_us / 1000, o->end_us % 1000);
}

typedef struct wr {
    uint64_t value;
    size_t op;
} wr_t;

static int cmp_wr(const void *a, const void *b)
{
    const wr_t *x = a, *y = b;
    return x->value < y->value ? -1 : x->value > y->value;
}

typedef struct ck {
    const jm_hist_t *h;
    wr_t *w;          /* the ok/indet RMWs, sorted by value */
    size_t nw;
    unsigned char *observed, *applied; /* per entry of w */
    size_t *child;    /* per entry of w: the applied write building on it, or SIZE_MAX */
    size_t root_child;
    uint64_t *pos;    /* per entry of w: chain position (0 = not on the chain) */
    jm_hist_verdict_t *v;
} ck_t;

#define NONE SIZE_MAX

/* Index in c->w of the write of value x, NONE if nobody wrote it. */
static size_t find_write(const ck_t *c, uint64_t x)
{
    size_t lo = 0, hi = c->nw;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->w[mid].value < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nw && c->w[lo].value == x ? lo : NONE;
}

static int has_read(const jm_hist_op_t *o)
{
    return o->outcome != JM_HIST_FAIL;
}

static int is_write(const jm_hist_op_t *o)
{
    return o->kind == JM_HIST_RMW && o->outcome != JM_HIST_FAIL;
}

__attribute__((format(printf, 2, 3))) static int violation(ck_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->v->why, sizeof c->v->why, fmt, ap);
    va_end(ap);
    c->v->ok = 0;
    return 1;
}

/* 0: unique writes; the index built. */
static int check_unique(ck_t *c)
{
    for (size_t i = 1; i < c->nw; i++)
        if (c->w[i].value == c->w[i - 1].value) {
            char a[128], b[128];
            size_t x = c->w[i - 1].op < c->w[i].op ? c->w[i - 1].op : c->w[i].op;
            size_t y = c->w[i - 1].op < c->w[i].op ? c->w[i].op : c->w[i - 1].op;
            describe(c->h, x, a, sizeof a);
            describe(c->h, y, b, sizeof b);
            return violation(c,
                             "%s and %s both wrote value %" PRIu64
                             ": the workload must write unique values, so the history cannot "
                             "be checked",
                             a, b, c->w[i].value);
        }
    return 0;
}

/* (c): every value read was written; marks the observed writes. */
static int check_written(ck_t *c)
{
    const jm_hist_t *h = c->h;
    for (size_t i = 0; i < h->n; i++) {
        const jm_hist_op_t *o = &h->ops[i];
        if (!has_read(o) || o->read == 0)
            continue;
        size_t k = find_write(c, o->read);
        if (k == NONE) {
            char a[128];
            describe(h, i, a, sizeof a);
            return violation(c,
                             "%s read value %" PRIu64
                             ", which no operation wrote (never written, or written only by a "
                             "critical section whose acquire failed)",
                             a, o->read);
        }
        c->observed[k] = 1;
    }
    for (size_t k = 0; k < c->nw; k++) {
        const jm_hist_op_t *o = &h->ops[c->w[k].op];
        c->applied[k] = o->outcome == JM_HIST_OK || c->observed[k];
        if (o->outcome == JM_HIST_OK)
            c->v->acked_writes++;
        else if (c->observed[k])
            c->v->indet_applied++;
        else
            c->v->indet_unknown++;
    }
    return 0;
}

/* (a): one chain from 0 through every applied write. */
static int check_chain(ck_t *c)
{
    const jm_hist_t *h = c->h;
    for (size_t k = 0; k < c->nw; k++) {
        if (!c->applied[k])
            continue;
        const jm_hist_op_t *o = &h->ops[c->w[k].op];
        size_t parent = o->read == 0 ? NONE : find_write(c, o->read);
        size_t *slot = parent == NONE ? &c->root_child : &c->child[parent];
        if (*slot == NONE) {
            *slot = k;
            continue;
        }
        size_t first = *slot;
        const jm_hist_op_t *p = &h->ops[c->w[first].op];
        char a[128], b[128];
        describe(h, c->w[first].op, a, sizeof a);
        describe(h, c->w[k].op, b, sizeof b);
        if (p->outcome == JM_HIST_OK && o->outcome == JM_HIST_OK)
            return violation(c,
                             "lost update: %s and %s both read value %" PRIu64
                             " and both were acknowledged (they wrote %" PRIu64 " and %" PRIu64
                             "): one of the two acknowledged writes was lost",
                             a, b, o->read, p->written, o->written);
        return violation(c,
                         "fork: %s and %s both read value %" PRIu64 " and wrote %" PRIu64
                         " and %" PRIu64
                         "; both took effect (acknowledged, or indeterminate but read by some "
                         "operation), so a write that was seen was later overwritten as if it "
                         "had never happened",
                         a, b, o->read, p->written, o->written);
    }
    uint64_t n = 0;
    for (size_t k = c->root_child; k != NONE && n < c->nw; k = c->child[k])
        c->pos[k] = ++n;
    c->v->chain = (size_t)n;
    for (size_t k = 0; k < c->nw; k++)
        if (c->applied[k] && c->pos[k] == 0) {
            char a[128];
            describe(h, c->w[k].op, a, sizeof a);
            return violation(c,
                             "%s wrote %" PRIu64 " after reading %" PRIu64
                             ", but that write is not on the chain of writes from the initial "
                             "value 0 (the writes read one another in a cycle)",
                             a, c->w[k].value, h->ops[c->w[k].op].read);
        }
    return 0;
}

static uint64_t value_pos(const ck_t *c, uint64_t x)
{
    if (x == 0)
        return 0;
    return c->pos[find_write(c, x)];
}

static const ck_t *sort_ctx;

static int cmp_by_end(const void *a, const void *b)
{
    const jm_hist_op_t *x = &sort_ctx->h->ops[*(const size_t *)a];
    const jm_hist_op_t *y = &sort_ctx->h->ops[*(const size_t *)b];
    return x->end_us < y->end_us ? -1 : x->end_us > y->end_us;
}

static int cmp_by_start(const void *a, const void *b)
{
    const jm_hist_op_t *x = &sort_ctx->h->ops[*(const size_t *)a];
    const jm_hist_op_t *y = &sort_ctx->h->ops[*(const size_t *)b];
    return x->start_us < y->start_us ? -1 : x->start_us > y->start_us;
}

static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;

/* (b): recency, monotonic reads, no read from the future. */
static int check_recency(ck_t *c, size_t *by_end, size_t *by_start)
{
    const jm_hist_t *h = c->h;
    for (size_t i = 0; i < h->n; i++)
        by_end[i] = by_start[i] = i;
    pthread_mutex_lock(&sort_mu);
    sort_ctx = c;
    qsort(by_end, h->n, sizeof *by_end, cmp_by_end);
    qsort(by_start, h->n, sizeof *by_start, cmp_by_start);
    sort_ctx = NULL;
    pthread_mutex_unlock(&sort_mu);
    uint64_t bound = 0;     /* chain position every later read must reach */
    size_t bound_op = NONE; /* the operation that set it */
    int bound_is_ack = 0;
    size_t e = 0;
    for (size_t s = 0; s < h->n; s++) {
        size_t i = by_start[s];
        const jm_hist_op_t *r = &h->ops[i];
        for (; e < h->n && h->ops[by_end[e]].end_us < r->start_us; e++) {
            const jm_hist_op_t *d = &h->ops[by_end[e]];
            if (d->kind == JM_HIST_RMW && d->outcome == JM_HIST_OK) {
                uint64_t p = value_pos(c, d->written);
                if (p > bound || bound_op == NONE) {
                    bound = p;
                    bound_op = by_end[e];
                    bound_is_ack = 1;
                }
            } else if (has_read(d)) {
                uint64_t p = value_pos(c, d->read);
                if (p > bound) {
                    bound = p;
                    bound_op = by_end[e];
                    bound_is_ack = 0;
                }
            }
        }
        if (!has_read(r))
            continue;
        c->v->reads_checked++;
        uint64_t p = value_pos(c, r->read);
        char a[128], b[128];
        if (p < bound) {
            describe(h, i, a, sizeof a);
            describe(h, bound_op, b, sizeof b);
            const jm_hist_op_t *d = &h->ops[bound_op];
            if (bound_is_ack)
                return violation(c,
                                 "stale read: %s returned %" PRIu64 " (write #%" PRIu64
                                 " of the chain), but %s had its write of %" PRIu64
                                 " (write #%" PRIu64 ") acknowledged before it started",
                                 a, r->read, p, b, d->written, bound);
            return violation(c,
                             "stale read: %s returned %" PRIu64 " (write #%" PRIu64
                             " of the chain), but %s had already returned the newer %" PRIu64
                             " (write #%" PRIu64 ") before it started",
                             a, r->read, p, b, d->read, bound);
        }
        if (r->read != 0) {
            size_t wop = c->w[find_write(c, r->read)].op;
            if (h->ops[wop].start_us > r->end_us) {
                describe(h, i, a, sizeof a);
                describe(h, wop, b, sizeof b);
                return violation(c,
                                 "read from the future: %s returned %" PRIu64
                                 ", written by %s, which started after it ended",
                                 a, r->read, b);
            }
        }
    }
    return 0;
}

int jm_hist_check(const jm_hist_t *h, jm_hist_verdict_t *v)
{
    if (!h || !v)
        return JXTA_EINVAL;
    memset(v, 0, sizeof *v);
    v->ok = 1;
    v->ops = h->n;
    ck_t c = {.h = h, .v = v, .root_child = NONE};
    size_t n = h->n ? h->n : 1;
    c.w = malloc(n * sizeof *c.w);
    c.observed = calloc(n, 1);
    c.applied = calloc(n, 1);
    c.child = malloc(n * sizeof *c.child);
    c.pos = calloc(n, sizeof *c.pos);
    size_t *by_end = malloc(n * sizeof *by_end), *by_start = malloc(n * sizeof *by_start);
    int rc = JXTA_ENOMEM;
    if (!c.w || !c.observed || !c.applied || !c.child || !c.pos || !by_end || !by_start)
        goto out;
    for (size_t i = 0; i < h->n; i++) {
        if (h->ops[i].outcome == JM_HIST_FAIL)
            v->failed++;
        if (is_write(&h->ops[i]))
            c.w[c.nw++] = (wr_t){h->ops[i].written, i};
    }
    for (size_t k = 0; k < n; k++)
        c.child[k] = NONE;
    qsort(c.w, c.nw, sizeof *c.w, cmp_wr);
    rc = check_unique(&c);
    if (!rc)
        rc = check_written(&c);
    if (!rc)
        rc = check_chain(&c);
    if (!rc)
        rc = check_recency(&c, by_end, by_start);
out:
    free(c.w);
    free(c.observed);
    free(c.applied);
    free(c.child);
    free(c.pos);
    free(by_end);
    free(by_start);
    return rc;
}

/* ---- CSV ----------------------------------------------------------------------- */

#define CSV_HEADER "client,kind,start_ms,end_ms,outcome,read,written"

static void put_value(FILE *f, int present, uint64_t x)
{
    if (present)
        fprintf(f, "%" PRIu64, x);
    else
        fputc('-', f);
}

int jm_hist_save(const jm_hist_t *h, FILE *f)
{
    if (!h || !f)
        return JXTA_EINVAL;
    fprintf(f, "%s\n", CSV_HEADER);
    for (size_t i = 0; i < h->n; i++) {
        const jm_hist_op_t *o = &h->ops[i];
        fprintf(f, "%" PRIu32 ",%s,%" PRIu64 ".%03" PRIu64 ",%" PRIu64 ".%03" PRIu64 ",%s,", o->client,
                kind_name(o->kind), o->start_us / 1000, o->start_us % 1000, o->end_us / 1000,
                o->end_us % 1000, outcome_name(o->outcome));
        put_value(f, has_read(o), o->read);
        fputc(',', f);
        put_value(f, is_write(o), o->written);
        fputc('\n', f);
    }
    return ferror(f) ? JXTA_EIO : 0;
}

int jm_hist_save_file(const jm_hist_t *h, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        jxta_log(JXTA_LOG_WARN, "history", "cannot write %s: %s", path, strerror(errno));
        return JXTA_EIO;
    }
    int rc = jm_hist_save(h, f);
    if (fclose(f) != 0 && rc == 0)
        rc = JXTA_EIO;
    return rc;
}

/* A field of a line: [p, p + n). */
typedef struct field {
    const char *p;
    size_t n;
} field_t;

static int field_is(field_t f, const char *s)
{
    return strlen(s) == f.n && memcmp(f.p, s, f.n) == 0;
}

/* Strict decimal, no sign, no blanks, at most `max`. */
static int parse_uint(field_t f, uint64_t max, uint64_t *out)
{
    if (f.n == 0 || f.n > 20)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (f.p[i] < '0' || f.p[i] > '9')
            return -1;
        unsigned d = (unsigned)(f.p[i] - '0');
        if (x > (max - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

/* "MS" or "MS.F" with 1 to 3 decimals, as microseconds. */
static int parse_ms(field_t f, uint64_t *us)
{
    const char *dot = memchr(f.p, '.', f.n);
    field_t whole = {f.p, dot ? (size_t)(dot - f.p) : f.n};
    uint64_t ms, frac = 0;
    if (parse_uint(whole, UINT64_MAX / 1000 - 1, &ms) < 0)
        return -1;
    if (dot) {
        field_t fr = {dot + 1, f.n - whole.n - 1};
        if (fr.n < 1 || fr.n > 3 || parse_uint(fr, 999, &frac) < 0)
            return -1;
        for (size_t i = fr.n; i < 3; i++)
            frac *= 10;
    }
    *us = ms * 1000 + frac;
    return 0;
}

static int parse_opt_value(field_t f, int *present, uint64_t *x)
{
    *present = !field_is(f, "-");
    *x = 0;
    return *present ? parse_uint(f, UINT64_MAX, x) : 0;
}

/* One data line; NULL or the reason it is malformed. */
static const char *parse_line(const field_t *fl, size_t nf, jm_hist_op_t *op)
{
    if (nf != 7)
        return "expected 7 comma-separated fields (" CSV_HEADER ")";
    memset(op, 0, sizeof *op);
    uint64_t client;
    if (parse_uint(fl[0], UINT32_MAX, &client) < 0)
        return "client is not a number in 0..4294967295";
    op->client = (uint32_t)client;
    if (field_is(fl[1], "rmw"))
        op->kind = JM_HIST_RMW;
    else if (field_is(fl[1], "read"))
        op->kind = JM_HIST_READ;
    else
        return "kind is neither rmw nor read";
    if (parse_ms(fl[2], &op->start_us) < 0)
        return "start_ms is not a time in ms (digits, at most 3 decimals)";
    if (parse_ms(fl[3], &op->end_us) < 0)
        return "end_ms is not a time in ms (digits, at most 3 decimals)";
    if (op->end_us < op->start_us)
        return "end_ms is before start_ms";
    if (field_is(fl[4], "ok"))
        op->outcome = JM_HIST_OK;
    else if (field_is(fl[4], "fail"))
        op->outcome = JM_HIST_FAIL;
    else if (field_is(fl[4], "indet"))
        op->outcome = JM_HIST_INDET;
    else
        return "outcome is not ok, fail or indet";
    int has_r, has_w;
    if (parse_opt_value(fl[5], &has_r, &op->read) < 0)
        return "read is neither '-' nor a number in 0..2^64-1";
    if (parse_opt_value(fl[6], &has_w, &op->written) < 0)
        return "written is neither '-' nor a number in 0..2^64-1";
    if (op->outcome == JM_HIST_FAIL && (has_r || has_w))
        return "a failed operation read or wrote a value (must be '-')";
    if (op->outcome != JM_HIST_FAIL && !has_r)
        return "an operation that did not fail has no value read";
    if (op->kind == JM_HIST_READ && has_w)
        return "a shared read wrote a value";
    if (op->kind == JM_HIST_RMW && op->outcome != JM_HIST_FAIL && (!has_w || op->written == 0))
        return "an RMW that did not fail has no value written (or writes 0, the initial value)";
    return NULL;
}

static int reject(char *err, size_t errcap, size_t line, const char *why)
{
    if (err && errcap)
        snprintf(err, errcap, "line %zu: %s", line, why);
    jxta_log(JXTA_LOG_WARN, "history", "CSV refused, line %zu: %s", line, why);
    return JXTA_EINVAL;
}

int jm_hist_parse(jm_hist_t *h, const char *text, size_t len, char *err, size_t errcap)
{
    if (err && errcap)
        err[0] = '\0';
    if (!h || (!text && len))
        return JXTA_EINVAL;
    pthread_mutex_lock(&h->mu);
    size_t n0 = h->n;
    int rc = 0, header = 0;
    size_t lineno = 0;
    for (size_t at = 0; at < len && rc == 0;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *p = text + at;
        size_t n = end - at;
        at = end + 1;
        lineno++;
        if (n && p[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        if (memchr(p, '\0', n)) {
            rc = reject(err, errcap, lineno, "NUL byte in the line");
            break;
        }
        field_t fl[8];
        size_t nf = 0;
        for (size_t s = 0;;) {
            const char *c = memchr(p + s, ',', n - s);
            size_t e = c ? (size_t)(c - p) : n;
            if (nf < 8)
                fl[nf] = (field_t){p + s, e - s};
            nf++;
            if (!c)
                break;
            s = e + 1;
        }
        if (!header) {
            if (n != strlen(CSV_HEADER) || memcmp(p, CSV_HEADER, n) != 0) {
                rc = reject(err, errcap, lineno, "the first line is not the header " CSV_HEADER);
                break;
            }
            header = 1;
            continue;
        }
        jm_hist_op_t op;
        const char *why = parse_line(fl, nf, &op);
        if (why) {
            rc = reject(err, errcap, lineno, why);
            break;
        }
        rc = append(h, &op);
    }
    if (rc == 0 && !header)
        rc = reject(err, errcap, lineno ? lineno : 1, "no header line " CSV_HEADER);
    if (rc < 0)
        h->n = n0;
    pthread_mutex_unlock(&h->mu);
    return rc;
}

int jm_hist_load_file(jm_hist_t *h, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errcap)
            snprintf(err, errcap, "%s: %s", path, strerror(errno));
        jxta_log(JXTA_LOG_WARN, "history", "cannot read %s: %s", path, strerror(errno));
        return JXTA_EIO;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : JXTA_ENOMEM;
    while (rc == 0) {
        if (n == cap) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                rc = JXTA_ENOMEM;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                if (err && errcap)
                    snprintf(err, errcap, "%s: read error", path);
                rc = JXTA_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (rc == 0)
        rc = jm_hist_parse(h, buf, n, err, errcap);
    free(buf);
    return rc;
}
