/* pipe_load.c - pipe load generator and checker (see pipe_load.h).
 *
 * The sink keeps one small record per sender (a sorted array: a test has a
 * handful of senders; beyond PIPE_SINK_MAX_SENDERS new senders are only
 * counted) and a bitmap of the seqs seen, grown as needed, so duplicates
 * are exact however late they come. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipe_load.h"

#define NS "jxta-c"
#define PIPE_SINK_MAX_SENDERS 64
#define PIPE_LOAD_MAX_SEQ (UINT64_C(1) << 32)

int pipe_load_id(const jxta_id_t *group, const char *name, jxta_id_t *out)
{
    if (strncmp(name, "urn:jxta:", 9) == 0) { /* a pipe ID given as such */
        int rc = jxta_id_from_string(out, name);
        return rc == 0 && jxta_id_kind(out) != JXTA_ID_PIPE ? JXTA_EBADID : rc;
    }
    char text[300];
    int n = snprintf(text, sizeof text, "jxta-c-pipe:%s", name);
    if (n < 0 || (size_t)n >= sizeof text)
        return JXTA_EINVAL;
    uint8_t seed[20];
    jxta_seed_from_text(seed, text);
    return jxta_id_pipe_from_seed(out, group, seed, sizeof seed);
}

static uint8_t data_byte(uint64_t seq, size_t i)
{
    return (uint8_t)(seq * 131u + i * 7u);
}

/* ---- sink ------------------------------------------------------------------ */

struct sender {
    jxta_id_t id;
    uint64_t received, max_seq;
    uint8_t *seen; /* bitmap over seq */
    size_t seen_bytes;
};

struct pipe_sink {
    jxta_input_pipe_t *in;
    int unicast;
    struct sender senders[PIPE_SINK_MAX_SENDERS];
    size_t nsenders;
    pipe_sink_stats_t st;
    pipe_sink_foreign_fn foreign;
    void *foreign_ud;
};

static struct sender *sink_sender(pipe_sink_t *s, const jxta_id_t *id)
{
    for (size_t i = 0; i < s->nsenders; i++)
        if (jxta_id_equal(&s->senders[i].id, id))
            return &s->senders[i];
    if (s->nsenders == PIPE_SINK_MAX_SENDERS)
        return NULL;
    struct sender *r = &s->senders[s->nsenders++];
    memset(r, 0, sizeof *r);
    r->id = *id;
    return r;
}

static int text_u64(const jxta_msg_elem_t *e, uint64_t *out)
{
    size_t n = 0;
    const uint8_t *b = e ? jxta_msg_elem_body(e, &n) : NULL;
    char buf[24];
    if (!b || n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, b, n);
    buf[n] = 0;
    char *end;
    unsigned long long v = strtoull(buf, &end, 10);
    if (*end || buf[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int mark_seen(struct sender *r, uint64_t seq)
{
    size_t byte = (size_t)(seq / 8);
    if (byte >= r->seen_bytes) {
        size_t cap = r->seen_bytes ? r->seen_bytes : 1024;
        while (cap <= byte)
            cap *= 2;
        uint8_t *p = realloc(r->seen, cap);
        if (!p)
            return -1;
        memset(p + r->seen_bytes, 0, cap - r->seen_bytes);
        r->seen = p;
        r->seen_bytes = cap;
    }
    uint8_t bit = (uint8_t)(1u << (seq % 8));
    int dup = (r->seen[byte] & bit) != 0;
    r->seen[byte] |= bit;
    return dup;
}

static void sink_on_msg(void *ud, jxta_input_pipe_t *ip, jxta_msg_t *m,
                        const jxta_pipe_msg_info_t *info)
{
    (void)ip;
    pipe_sink_t *s = ud;
    const jxta_msg_elem_t *src = jxta_msg_find(m, NS, "src");
    const jxta_msg_elem_t *data = jxta_msg_find(m, NS, "data");
    if (!src) { /* not from a pipe source: somebody else's message */
        s->st.foreign++;
        if (s->foreign)
            s->foreign(s->foreign_ud, m, info);
        jxta_msg_free(m);
        return;
    }
    uint64_t seq = 0;
    jxta_id_t id;
    size_t n = 0;
    const uint8_t *b = src ? jxta_msg_elem_body(src, &n) : NULL;
    if (!b || jxta_id_parse(&id, (const char *)b, n, 0) < 0 ||
        text_u64(jxta_msg_find(m, NS, "seq"), &seq) < 0 || seq == 0 ||
        seq >= PIPE_LOAD_MAX_SEQ || !data) {
        s->st.corrupt++;
        jxta_msg_free(m);
        return;
    }
    s->st.received++;
    size_t dl = 0;
    const uint8_t *d = jxta_msg_elem_body(data, &dl);
    for (size_t i = 0; i < dl; i++)
        if (d[i] != data_byte(seq, i)) {
            s->st.corrupt++;
            break;
        }
    struct sender *r = sink_sender(s, &id);
    if (r) {
        int dup = mark_seen(r, seq);
        if (dup > 0) {
            s->st.duplicates++;
        } else {
            r->received++;
            if (seq < r->max_seq && s->unicast)
                s->st.reordered++;
            if (seq > r->max_seq)
                r->max_seq = seq;
        }
    }
    s->st.senders = s->nsenders;
    jxta_msg_free(m);
}

int pipe_sink_start(jxta_pipes_t *ps, const char *name, const char *type, pipe_sink_t **out)
{
    pipe_sink_t *s = calloc(1, sizeof *s);
    if (!s)
        return JXTA_ENOMEM;
    s->unicast = strcmp(type, JXTA_PIPE_PROPAGATE) != 0;
    jxta_id_t id;
    int rc = pipe_load_id(jxta_pipes_group(ps), name, &id);
    if (rc == 0)
        rc = jxta_input_pipe_open(ps, &id, type, sink_on_msg, s, &s->in);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void pipe_sink_on_foreign(pipe_sink_t *s, pipe_sink_foreign_fn fn, void *ud)
{
    s->foreign = fn;
    s->foreign_ud = ud;
}

void pipe_sink_stop(pipe_sink_t *s)
{
    if (!s)
        return;
    jxta_input_pipe_close(s->in);
    for (size_t i = 0; i < s->nsenders; i++)
        free(s->senders[i].seen);
    free(s);
}

void pipe_sink_stats(const pipe_sink_t *s, pipe_sink_stats_t *st)
{
    *st = s->st;
    st->senders = s->nsenders;
}

uint64_t pipe_sink_from(const pipe_sink_t *s, const jxta_id_t *sender, uint64_t *max_seq)
{
    for (size_t i = 0; i < s->nsenders; i++)
        if (jxta_id_equal(&s->senders[i].id, sender)) {
            if (max_seq)
                *max_seq = s->senders[i].max_seq;
            return s->senders[i].received;
        }
    if (max_seq)
        *max_seq = 0;
    return 0;
}

/* ---- source ---------------------------------------------------------------- */

struct pipe_source {
    jxta_output_pipe_t *out;
    jxta_timer_t retry;
    jxta_id_t self;
    uint64_t count, next_seq, sent, failed;
    size_t size;
    int window, pending, finished;
    int in_pump; /* sends may complete synchronously: no recursion */
    uint8_t *payload;
    pipe_source_done_fn done;
    void *ud;
};

static void source_pump(pipe_source_t *s);

static void source_check_done(pipe_source_t *s)
{
    if (!s->finished && s->sent + s->failed == s->count) {
        s->finished = 1;
        s->done(s->ud, s->sent, s->failed, 0);
    }
}

static void source_sent(void *ud, int status)
{
    pipe_source_t *s = ud;
    s->pending--;
    if (status < 0)
        s->failed++;
    else
        s->sent++;
    source_check_done(s);
    if (!s->finished && !s->in_pump)
        source_pump(s);
}

static void source_pump_once(pipe_source_t *s);

static void source_pump(pipe_source_t *s)
{
    s->in_pump = 1;
    source_pump_once(s);
    s->in_pump = 0;
}

static void source_pump_once(pipe_source_t *s)
{
    while (s->next_seq <= s->count && s->pending < s->window) {
        uint64_t seq = s->next_seq;
        jxta_msg_t *m = NULL;
        char seqt[24];
        jxta_id_text_t t;
        snprintf(seqt, sizeof seqt, "%llu", (unsigned long long)seq);
        for (size_t i = 0; i < s->size; i++)
            s->payload[i] = data_byte(seq, i);
        int rc = jxta_msg_new(&m);
        if (rc == 0)
            rc = jxta_msg_add_text(m, NS, "src", jxta_id_str(&s->self, &t));
        if (rc == 0)
            rc = jxta_msg_add_text(m, NS, "seq", seqt);
        if (rc == 0)
            rc = jxta_msg_add(m, NS, "data", NULL, s->payload, s->size);
        if (rc == 0) {
            s->pending++;
            rc = jxta_output_pipe_send(s->out, m, source_sent, s);
            if (rc < 0)
                s->pending--;
        }
        jxta_msg_free(m);
        if (rc == JXTA_EBUSY) { /* full: try again shortly (or when a send completes) */
            if (!jxta_timer_active(&s->retry))
                jxta_timer_start(&s->retry, 5);
            return;
        }
        s->next_seq++;
        if (rc < 0) {
            s->failed++;
            source_check_done(s);
            if (s->finished)
                return;
        }
    }
}

static void source_retry(jxta_timer_t *t)
{
    source_pump(t->data);
}

int pipe_source_start(jxta_loop_t *loop, jxta_pipes_t *ps, const jxta_id_t *self,
                      const char *name, const char *type, uint64_t count, size_t size,
                      int window, jxta_pipe_bound_fn bound, void *bound_ud,
                      pipe_source_done_fn done, void *ud, pipe_source_t **out)
{
    pipe_source_t *s = calloc(1, sizeof *s);
    if (!s)
        return JXTA_ENOMEM;
    s->self = *self;
    s->count = count;
    s->next_seq = 1;
    s->size = size;
    s->window = window > 0 ? window : 64;
    s->done = done;
    s->ud = ud;
    s->payload = malloc(size ? size : 1);
    jxta_timer_init(loop, &s->retry, source_retry);
    s->retry.data = s;
    jxta_id_t id;
    int rc = s->payload ? pipe_load_id(jxta_pipes_group(ps), name, &id) : JXTA_ENOMEM;
    if (rc == 0)
        rc = jxta_output_pipe_open(ps, &id, type, NULL, 0, bound, bound_ud, &s->out);
    if (rc < 0) {
        free(s->payload);
        free(s);
        return rc;
    }
    *out = s;
    if (count == 0) {
        s->finished = 1;
        done(ud, 0, 0, 0);
    } else {
        source_pump(s);
    }
    return 0;
}

void pipe_source_stop(pipe_source_t *s)
{
    if (!s)
        return;
    jxta_timer_stop(&s->retry);
    s->finished = 1;
    jxta_output_pipe_close(s->out); /* pending callbacks fire here (dropped) */
    free(s->payload);
    free(s);
}

void pipe_source_counts(const pipe_source_t *s, uint64_t *sent, uint64_t *failed)
{
    *sent = s->sent;
    *failed = s->failed;
}
