/* loop.c - the per-peer event loop (see jxta/loop.h).
 *
 * epoll (level-triggered) for sockets, a binary min-heap of caller-owned
 * timers ordered by (due time, arming sequence), and an eventfd that other
 * threads write to after queueing work under the only mutex in the loop.
 * Everything else runs on the loop thread without locks.
 *
 * Stopping an I/O handle from inside a callback clears any events still
 * pending for it in the current epoll batch, so a callback may close and
 * free its connection at once.  Timers armed while timers are firing wait
 * for the next iteration, so a zero-delay timer cannot starve the loop. */
#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <jxta/loop.h>

#include "../util/internal.h"

#define MAX_EVENTS 64

enum { POST_QUEUED, POST_RUNNING, POST_DONE };

struct post {
    struct post *next;
    jxta_post_fn fn;
    void *arg;
    int state;
    int is_call; /* lives on a waiting caller's stack; never freed here */
};

struct jxta_loop {
    int epfd;
    int evfd;
    uint64_t now;
    int stop; /* set from any thread: accessed atomically */
    pthread_t thread;
    int has_thread;

    jxta_timer_t **heap;
    size_t heap_len, heap_cap;
    uint64_t timer_seq;

    pthread_mutex_t mu;
    pthread_cond_t call_done;
    struct post *q_head, *q_tail;

    struct epoll_event events[MAX_EVENTS];
    int nevents, ev_idx;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int jxta_loop_new(jxta_loop_t **out)
{
    jxta_loop_t *l = calloc(1, sizeof *l);
    if (!l)
        return JXTA_ENOMEM;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->epfd < 0 || l->evfd < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev) < 0)
        goto fail;
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->call_done, &ca);
    pthread_condattr_destroy(&ca);
    l->now = mono_ms();
    *out = l;
    return 0;
fail:
    jxta_log(JXTA_LOG_ERROR, "loop", "cannot create event loop: %s", strerror(errno));
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->evfd >= 0)
        close(l->evfd);
    free(l);
    return JXTA_EIO;
}

void jxta_loop_free(jxta_loop_t *l)
{
    if (!l)
        return;
    struct post *p = l->q_head;
    while (p) {
        struct post *n = p->next;
        if (!p->is_call)
            free(p);
        p = n;
    }
    close(l->epfd);
    close(l->evfd);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->call_done);
    free(l->heap);
    free(l);
}

uint64_t jxta_loop_now(jxta_loop_t *l)
{
    return l->now;
}

int jxta_loop_on_thread(jxta_loop_t *l)
{
    pthread_mutex_lock(&l->mu); /* other threads ask this (jxta_loop_call) */
    int yes = l->has_thread && pthread_equal(l->thread, pthread_self());
    pthread_mutex_unlock(&l->mu);
    return yes;
}

static void claim_thread(jxta_loop_t *l)
{
    pthread_t self = pthread_self();
    if (l->has_thread && pthread_equal(l->thread, self))
        return; /* only this thread ever writes them: no lock needed to read */
    pthread_mutex_lock(&l->mu);
    l->thread = self;
    l->has_thread = 1;
    pthread_mutex_unlock(&l->mu);
}

void jxta_loop_stop(jxta_loop_t *l)
{
    __atomic_store_n(&l->stop, 1, __ATOMIC_RELEASE);
    uint64_t one = 1;
    ssize_t r = write(l->evfd, &one, sizeof one);
    (void)r;
}

/* ---- I/O handles ----------------------------------------------------- */

void jxta_io_init(jxta_loop_t *loop, jxta_io_t *io, int fd, jxta_io_cb cb)
{
    io->loop = loop;
    io->fd = fd;
    io->events = 0;
    io->cb = cb;
}

int jxta_io_start(jxta_io_t *io, unsigned events)
{
    events &= JXTA_IO_READ | JXTA_IO_WRITE;
    if (events == 0) {
        jxta_io_stop(io);
        return 0;
    }
    struct epoll_event ev = {.data.ptr = io};
    if (events & JXTA_IO_READ)
        ev.events |= EPOLLIN;
    if (events & JXTA_IO_WRITE)
        ev.events |= EPOLLOUT;
    int op = io->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(io->loop->epfd, op, io->fd, &ev) < 0) {
        jxta_log(JXTA_LOG_ERROR, "loop", "epoll_ctl(fd %d): %s", io->fd, strerror(errno));
        return JXTA_EIO;
    }
    io->events = events;
    return 0;
}

void jxta_io_stop(jxta_io_t *io)
{
    if (!io->events)
        return;
    jxta_loop_t *l = io->loop;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->events = 0;
    for (int i = l->ev_idx + 1; i < l->nevents; i++)
        if (l->events[i].data.ptr == io)
            l->events[i].data.ptr = NULL;
}

/* ---- timers ---------------------------------------------------------- */

static int timer_less(const jxta_timer_t *a, const jxta_timer_t *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void heap_set(jxta_loop_t *l, size_t i, jxta_timer_t *t)
{
    l->heap[i] = t;
    t->heap_idx = i;
}

static void heap_up(jxta_loop_t *l, size_t i)
{
    jxta_timer_t *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_less(t, l->heap[parent]))
            break;
        heap_set(l, i, l->heap[parent]);
        i = parent;
    }
    heap_set(l, i, t);
}

static void heap_down(jxta_loop_t *l, size_t i)
{
    jxta_timer_t *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->heap_len)
            break;
        if (c + 1 < l->heap_len && timer_less(l->heap[c + 1], l->heap[c]))
            c++;
        if (!timer_less(l->heap[c], t))
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

void jxta_timer_init(jxta_loop_t *loop, jxta_timer_t *t, jxta_timer_cb cb)
{
    t->loop = loop;
    t->cb = cb;
    t->heap_idx = SIZE_MAX;
    t->due_ms = 0;
    t->seq = 0;
}

int jxta_timer_active(const jxta_timer_t *t)
{
    return t->heap_idx != SIZE_MAX;
}

void jxta_timer_stop(jxta_timer_t *t)
{
    if (!jxta_timer_active(t))
        return;
    jxta_loop_t *l = t->loop;
    size_t i = t->heap_idx;
    t->heap_idx = SIZE_MAX;
    l->heap_len--;
    if (i == l->heap_len)
        return;
    heap_set(l, i, l->heap[l->heap_len]);
    heap_down(l, i);
    heap_up(l, l->heap[i]->heap_idx);
}

void jxta_timer_start(jxta_timer_t *t, uint64_t delay_ms)
{
    jxta_loop_t *l = t->loop;
    jxta_timer_stop(t);
    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 16;
        jxta_timer_t **h = realloc(l->heap, cap * sizeof *h);
        if (!h) {
            /* Cannot arm: log loudly rather than silently never firing. */
            jxta_log(JXTA_LOG_ERROR, "loop", "out of memory arming a timer");
            return;
        }
        l->heap = h;
        l->heap_cap = cap;
    }
    t->due_ms = l->now + delay_ms;
    t->seq = ++l->timer_seq;
    l->heap_len++;
    heap_set(l, l->heap_len - 1, t);
    heap_up(l, l->heap_len - 1);
}

static int run_timers(jxta_loop_t *l)
{
    uint64_t last_seq = l->timer_seq;
    int ran = 0;
    while (l->heap_len && l->heap[0]->due_ms <= l->now && l->heap[0]->seq <= last_seq) {
        jxta_timer_t *t = l->heap[0];
        jxta_timer_stop(t);
        t->cb(t);
        ran++;
    }
    return ran;
}

/* ---- cross-thread posts ---------------------------------------------- */

static void enqueue(jxta_loop_t *l, struct post *p)
{
    p->next = NULL;
    p->state = POST_QUEUED;
    if (l->q_tail)
        l->q_tail->next = p;
    else
        l->q_head = p;
    l->q_tail = p;
}

static void wake(jxta_loop_t *l)
{
    uint64_t one = 1;
    ssize_t r = write(l->evfd, &one, sizeof one);
    (void)r; /* EAGAIN means the counter is already non-zero: awake anyway */
}

int jxta_loop_post(jxta_loop_t *l, jxta_post_fn fn, void *arg)
{
    struct post *p = calloc(1, sizeof *p);
    if (!p)
        return JXTA_ENOMEM;
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_lock(&l->mu);
    enqueue(l, p);
    pthread_mutex_unlock(&l->mu);
    wake(l);
    return 0;
}

static int run_posts(jxta_loop_t *l)
{
    uint64_t v;
    ssize_t r = read(l->evfd, &v, sizeof v);
    (void)r;
    int ran = 0;
    pthread_mutex_lock(&l->mu);
    /* Only what is queued now: work posted by the posts waits a turn. */
    struct post *last = l->q_tail;
    while (l->q_head) {
        struct post *p = l->q_head;
        l->q_head = p->next;
        if (!l->q_head)
            l->q_tail = NULL;
        p->state = POST_RUNNING;
        pthread_mutex_unlock(&l->mu);
        p->fn(l, p->arg);
        ran++;
        pthread_mutex_lock(&l->mu);
        int was_last = p == last;
        if (p->is_call) {
            p->state = POST_DONE;
            pthread_cond_broadcast(&l->call_done);
        } else {
            free(p);
        }
        if (was_last)
            break;
    }
    int more = l->q_head != NULL;
    pthread_mutex_unlock(&l->mu);
    if (more)
        wake(l);
    return ran;
}

static void unlink_post(jxta_loop_t *l, struct post *p)
{
    struct post *prev = NULL;
    for (struct post *q = l->q_head; q; prev = q, q = q->next) {
        if (q != p)
            continue;
        if (prev)
            prev->next = q->next;
        else
            l->q_head = q->next;
        if (l->q_tail == q)
            l->q_tail = prev;
        return;
    }
}

int jxta_loop_call(jxta_loop_t *l, jxta_post_fn fn, void *arg, int timeout_ms)
{
    if (jxta_loop_on_thread(l)) {
        fn(l, arg);
        return 0;
    }
    struct post p = {.fn = fn, .arg = arg, .is_call = 1};
    struct timespec deadline;
    jxta__deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&l->mu);
    enqueue(l, &p);
    pthread_mutex_unlock(&l->mu);
    wake(l);
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    while (p.state != POST_DONE) {
        if (p.state == POST_QUEUED && timeout_ms >= 0) {
            int w = pthread_cond_timedwait(&l->call_done, &l->mu, &deadline);
            if (w == ETIMEDOUT && p.state == POST_QUEUED) {
                unlink_post(l, &p); /* not started: it must never run now */
                rc = JXTA_ERANGE;
                break;
            }
        } else {
            pthread_cond_wait(&l->call_done, &l->mu); /* running: ends soon */
        }
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

/* ---- running ---------------------------------------------------------- */

int jxta_loop_run_once(jxta_loop_t *l, int timeout_ms)
{
    claim_thread(l); /* whoever runs it is its thread */
    l->now = mono_ms();
    if (l->heap_len) {
        uint64_t due = l->heap[0]->due_ms;
        int until = due <= l->now ? 0 : (due - l->now > INT32_MAX ? INT32_MAX : (int)(due - l->now));
        if (timeout_ms < 0 || until < timeout_ms)
            timeout_ms = until;
    }
    int n = epoll_wait(l->epfd, l->events, MAX_EVENTS, timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            n = 0;
        else {
            jxta_log(JXTA_LOG_ERROR, "loop", "epoll_wait: %s", strerror(errno));
            return JXTA_EIO;
        }
    }
    l->now = mono_ms();
    int ran = 0;
    l->nevents = n;
    for (l->ev_idx = 0; l->ev_idx < n; l->ev_idx++) {
        void *ptr = l->events[l->ev_idx].data.ptr;
        uint32_t e = l->events[l->ev_idx].events;
        if (!ptr)
            continue; /* its handle was stopped during this batch */
        if (ptr == l) {
            ran += run_posts(l);
            continue;
        }
        jxta_io_t *io = ptr;
        unsigned ev = 0;
        if (e & EPOLLIN)
            ev |= JXTA_IO_READ;
        if (e & EPOLLOUT)
            ev |= JXTA_IO_WRITE;
        if (e & (EPOLLERR | EPOLLHUP))
            ev |= JXTA_IO_ERROR;
        io->cb(io, ev);
        ran++;
    }
    l->nevents = 0;
    l->ev_idx = 0;
    ran += run_timers(l);
    return ran;
}

int jxta_loop_run(jxta_loop_t *l)
{
    claim_thread(l);
    while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
        int rc = jxta_loop_run_once(l, -1);
        if (rc < 0)
            return rc;
    }
    __atomic_store_n(&l->stop, 0, __ATOMIC_RELEASE);
    return 0;
}
