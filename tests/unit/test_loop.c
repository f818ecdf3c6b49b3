/* test_loop.c - the event loop: timer order and cancellation, I/O
 * readiness, handles stopped inside callbacks, cross-thread posts, stop and
 * blocking calls with time-outs.  Waits are bounded by conditions, never by
 * sleeping for a guessed time. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jxta.h>

#include "testutil.h"

typedef struct {
    jxta_timer_t t;
    int id;
    int *log;
    int *nlog;
} rec_timer_t;

static void rec_cb(jxta_timer_t *t)
{
    rec_timer_t *r = (rec_timer_t *)t;
    r->log[(*r->nlog)++] = r->id;
}

/* Run iterations until cond() or a bounded number of them. */
#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 30)

START_TEST(test_timer_order)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    int log[16], n = 0;
    rec_timer_t t[5];
    for (int i = 0; i < 5; i++) {
        jxta_timer_init(l, &t[i].t, rec_cb);
        t[i].id = i;
        t[i].log = log;
        t[i].nlog = &n;
    }
    jxta_timer_start(&t[0].t, 30);
    jxta_timer_start(&t[1].t, 10);
    jxta_timer_start(&t[2].t, 10); /* same due time: fires after t1 */
    jxta_timer_start(&t[3].t, 20);
    jxta_timer_start(&t[4].t, 5);
    jxta_timer_stop(&t[3].t); /* cancelled: never fires */
    jxta_timer_stop(&t[3].t); /* idempotent */
    ck_assert(!jxta_timer_active(&t[3].t));
    ck_assert(jxta_timer_active(&t[0].t));
    RUN_UNTIL(l, n == 4);
    ck_assert_int_eq(log[0], 4);
    ck_assert_int_eq(log[1], 1);
    ck_assert_int_eq(log[2], 2);
    ck_assert_int_eq(log[3], 0);
    for (int i = 0; i < 5; i++)
        ck_assert(!jxta_timer_active(&t[i].t));
    jxta_loop_free(l);
}
END_TEST

/* Many timers with pseudo-random delays fire in non-decreasing due order. */
typedef struct {
    jxta_timer_t t;
    uint64_t due;
    uint64_t *last;
    int *count;
    int bad;
} heap_timer_t;

static void heap_cb(jxta_timer_t *t)
{
    heap_timer_t *h = (heap_timer_t *)t;
    if (h->due < *h->last)
        h->bad = 1;
    *h->last = h->due;
    (*h->count)++;
}

START_TEST(test_timer_heap)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    enum { N = 300 };
    heap_timer_t *h = calloc(N, sizeof *h);
    uint64_t last = 0;
    int count = 0;
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        jxta_timer_init(l, &h[i].t, heap_cb);
        h[i].last = &last;
        h[i].count = &count;
        jxta_timer_start(&h[i].t, (seed >> 16) % 40);
        h[i].due = h[i].t.due_ms;
    }
    for (int i = 0; i < N; i += 3) /* cancel a third of them, from the middle too */
        jxta_timer_stop(&h[i].t);
    RUN_UNTIL(l, count == N - (N + 2) / 3);
    for (int i = 0; i < N; i++)
        ck_assert(!h[i].bad);
    free(h);
    jxta_loop_free(l);
}
END_TEST

static int rearm_count;
static void rearm_cb(jxta_timer_t *t)
{
    rearm_count++;
    jxta_timer_start(t, 0);
}

START_TEST(test_zero_timer_no_starvation)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_timer_t t;
    jxta_timer_init(l, &t, rearm_cb);
    jxta_timer_start(&t, 0);
    rearm_count = 0;
    /* Each iteration fires it once; the iteration still returns. */
    for (int i = 0; i < 5; i++)
        ck_assert_int_ge(jxta_loop_run_once(l, 0), 0);
    ck_assert_int_eq(rearm_count, 5);
    jxta_timer_stop(&t);
    jxta_loop_free(l);
}
END_TEST

typedef struct {
    jxta_io_t io;
    int reads;
    char got[64];
    size_t got_len;
    jxta_io_t *victim; /* stopped from our callback */
} reader_t;

static void reader_cb(jxta_io_t *io, unsigned ev)
{
    reader_t *r = (reader_t *)io;
    if (ev & JXTA_IO_READ) {
        ssize_t n = read(io->fd, r->got + r->got_len, sizeof r->got - r->got_len);
        if (n > 0)
            r->got_len += (size_t)n;
        r->reads++;
    }
    if (r->victim) {
        jxta_io_stop(r->victim);
        r->victim = NULL;
    }
}

START_TEST(test_io_read_and_stop_in_batch)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    int a[2], b[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    reader_t ra = {0}, rb = {0};
    jxta_io_init(l, &ra.io, a[0], reader_cb);
    jxta_io_init(l, &rb.io, b[0], reader_cb);
    ck_assert_int_eq(jxta_io_start(&ra.io, JXTA_IO_READ), 0);
    ck_assert_int_eq(jxta_io_start(&rb.io, JXTA_IO_READ), 0);
    /* Both readable in the same batch; whichever runs first stops the other. */
    ra.victim = &rb.io;
    rb.victim = &ra.io;
    ck_assert_int_eq(write(a[1], "hello", 5), 5);
    ck_assert_int_eq(write(b[1], "world", 5), 5);
    RUN_UNTIL(l, ra.reads + rb.reads >= 1);
    ck_assert_int_ge(jxta_loop_run_once(l, 20), 0);
    ck_assert_int_eq(ra.reads + rb.reads, 1);
    reader_t *live = ra.reads ? &ra : &rb;
    ck_assert_mem_eq(live->got, ra.reads ? "hello" : "world", 5);
    /* More data on the live one keeps arriving; the stopped one stays silent. */
    ck_assert_int_eq(write(ra.reads ? a[1] : b[1], "!", 1), 1);
    RUN_UNTIL(l, live->reads == 2);
    ck_assert_uint_eq(live->got_len, 6);
    jxta_io_stop(&ra.io);
    jxta_io_stop(&rb.io);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    jxta_loop_free(l);
}
END_TEST

static void writable_cb(jxta_io_t *io, unsigned ev)
{
    int *flag = io->data;
    if (ev & JXTA_IO_WRITE)
        *flag = 1;
    jxta_io_stop(io);
}

START_TEST(test_io_write_and_hangup)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    int s[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    jxta_io_t io;
    int writable = 0;
    jxta_io_init(l, &io, s[0], writable_cb);
    io.data = &writable;
    ck_assert_int_eq(jxta_io_start(&io, JXTA_IO_WRITE), 0);
    RUN_UNTIL(l, writable);
    /* Peer closes: a read watcher sees READ (EOF) and/or ERROR. */
    reader_t r = {0};
    jxta_io_init(l, &r.io, s[0], reader_cb);
    ck_assert_int_eq(jxta_io_start(&r.io, JXTA_IO_READ), 0);
    close(s[1]);
    RUN_UNTIL(l, r.reads >= 1);
    ck_assert_uint_eq(r.got_len, 0);
    jxta_io_stop(&r.io);
    close(s[0]);
    /* Watching a closed fd is reported as an error, not a crash. */
    jxta_io_init(l, &io, s[0], writable_cb);
    tu_log_capture();
    ck_assert_int_eq(jxta_io_start(&io, JXTA_IO_READ), JXTA_EIO);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    jxta_loop_free(l);
}
END_TEST

typedef struct {
    jxta_loop_t *loop;
    int order[100];
    int n;
    int on_thread_ok;
} post_state_t;

typedef struct {
    post_state_t *st;
    int v;
} post_arg_t;

static void post_fn(jxta_loop_t *l, void *arg)
{
    post_arg_t *a = arg;
    if (!jxta_loop_on_thread(l))
        a->st->on_thread_ok = 0;
    a->st->order[a->st->n++] = a->v;
    if (a->v == 99)
        jxta_loop_stop(l);
}

static void *poster(void *arg)
{
    post_state_t *st = arg;
    static post_arg_t args[100];
    for (int i = 0; i < 100; i++) {
        args[i].st = st;
        args[i].v = i;
        ck_assert_int_eq(jxta_loop_post(st->loop, post_fn, &args[i]), 0);
    }
    return NULL;
}

START_TEST(test_cross_thread_posts)
{
    post_state_t st = {0};
    st.on_thread_ok = 1;
    ck_assert_int_eq(jxta_loop_new(&st.loop), 0);
    pthread_t th;
    pthread_create(&th, NULL, poster, &st);
    ck_assert_int_eq(jxta_loop_run(st.loop), 0); /* returns when post 99 stops it */
    pthread_join(th, NULL);
    ck_assert_int_eq(st.n, 100);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(st.order[i], i);
    ck_assert(st.on_thread_ok);
    jxta_loop_free(st.loop);
}
END_TEST

typedef struct {
    jxta_loop_t *loop;
    int value;
    int ran_on_loop;
    int rc;
    volatile int started;
} call_state_t;

static void call_fn(jxta_loop_t *l, void *arg)
{
    call_state_t *c = arg;
    c->ran_on_loop = jxta_loop_on_thread(l);
    c->value = 42;
}

static void *loop_thread(void *arg)
{
    call_state_t *c = arg;
    __atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
    c->rc = jxta_loop_run(c->loop);
    return NULL;
}

static void stop_fn(jxta_loop_t *l, void *arg)
{
    (void)arg;
    jxta_loop_stop(l);
}

START_TEST(test_blocking_call)
{
    call_state_t c = {0};
    ck_assert_int_eq(jxta_loop_new(&c.loop), 0);
    /* Loop not running yet: the call times out and is withdrawn. */
    ck_assert_int_eq(jxta_loop_call(c.loop, call_fn, &c, 50), JXTA_ERANGE);
    ck_assert_int_eq(c.value, 0);
    pthread_t th;
    pthread_create(&th, NULL, loop_thread, &c);
    ck_assert_int_eq(jxta_loop_call(c.loop, call_fn, &c, 5000), 0);
    ck_assert_int_eq(c.value, 42);
    ck_assert(c.ran_on_loop);
    ck_assert_int_eq(jxta_loop_call(c.loop, stop_fn, NULL, 5000), 0);
    pthread_join(th, NULL);
    ck_assert_int_eq(c.rc, 0);
    /* The withdrawn call never ran, even after the loop processed its queue. */
    c.value = 0;
    ck_assert_int_ge(jxta_loop_run_once(c.loop, 0), 0);
    ck_assert_int_eq(c.value, 0);
    /* On the loop's own thread a call runs directly. */
    jxta_loop_call(c.loop, call_fn, &c, 0);
    ck_assert_int_eq(c.value, 42);
    jxta_loop_free(c.loop);
}
END_TEST

START_TEST(test_stop_before_run)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_loop_stop(l); /* not lost: run returns at once */
    ck_assert_int_eq(jxta_loop_run(l), 0);
    jxta_loop_free(l);
}
END_TEST

static Suite *loop_suite(void)
{
    Suite *s = suite_create("loop");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_timer_order);
    tcase_add_test(tc, test_timer_heap);
    tcase_add_test(tc, test_zero_timer_no_starvation);
    tcase_add_test(tc, test_io_read_and_stop_in_batch);
    tcase_add_test(tc, test_io_write_and_hangup);
    tcase_add_test(tc, test_cross_thread_posts);
    tcase_add_test(tc, test_blocking_call);
    tcase_add_test(tc, test_stop_before_run);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(loop_suite());
}
