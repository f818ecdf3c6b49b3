/* jxta/loop.h - the event loop: one per peer, owning all protocol state.
 *
 * A peer runs one thread with one loop: non-blocking sockets watched with
 * epoll, timers in a binary heap, and a wake-up (eventfd) through which other
 * threads post work.  Protocol code never blocks and never locks; public
 * blocking calls post a request to the loop and wait for its answer with a
 * timeout (jxta_loop_call).
 *
 * Handles are long-lived and owned by the caller, libuv style: a jxta_io_t
 * or jxta_timer_t is embedded in the caller's own struct, initialised once,
 * started and stopped any number of times; stopping is idempotent and safe
 * from inside any callback, including the handle's own.  Loop functions
 * other than jxta_loop_post / jxta_loop_call / jxta_loop_stop must be called
 * on the loop's thread. */
#ifndef JXTA_LOOP_H
#define JXTA_LOOP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_loop jxta_loop_t;
typedef struct jxta_io jxta_io_t;
typedef struct jxta_timer jxta_timer_t;

#define JXTA_IO_READ 0x1u
#define JXTA_IO_WRITE 0x2u
#define JXTA_IO_ERROR 0x4u /* reported only: hang-up or socket error */

typedef void (*jxta_io_cb)(jxta_io_t *io, unsigned events);
typedef void (*jxta_timer_cb)(jxta_timer_t *t);
typedef void (*jxta_post_fn)(jxta_loop_t *loop, void *arg);

struct jxta_io {
    jxta_loop_t *loop;
    int fd;
    unsigned events; /* currently watched; 0 = stopped */
    jxta_io_cb cb;
    void *data; /* for the caller */
};

struct jxta_timer {
    jxta_loop_t *loop;
    uint64_t due_ms;
    uint64_t seq;
    size_t heap_idx; /* SIZE_MAX when not armed */
    jxta_timer_cb cb;
    void *data; /* for the caller */
};

int jxta_loop_new(jxta_loop_t **out);
/* Frees the loop; handles still started are simply forgotten. */
void jxta_loop_free(jxta_loop_t *loop);
/* Run until jxta_loop_stop; returns 0, or a negative error if epoll fails. */
int jxta_loop_run(jxta_loop_t *loop);
/* Run one iteration, waiting at most timeout_ms (-1 = until something
 * happens); returns the number of callbacks run or a negative error. */
int jxta_loop_run_once(jxta_loop_t *loop, int timeout_ms);
/* Thread-safe: make jxta_loop_run return after the current iteration. */
void jxta_loop_stop(jxta_loop_t *loop);
/* Monotonic milliseconds, refreshed once per iteration. */
uint64_t jxta_loop_now(jxta_loop_t *loop);
/* 1 when called from the thread currently running the loop. */
int jxta_loop_on_thread(jxta_loop_t *loop);

void jxta_io_init(jxta_loop_t *loop, jxta_io_t *io, int fd, jxta_io_cb cb);
/* Watch for JXTA_IO_READ and/or JXTA_IO_WRITE (0 = stop). */
int jxta_io_start(jxta_io_t *io, unsigned events);
void jxta_io_stop(jxta_io_t *io);

void jxta_timer_init(jxta_loop_t *loop, jxta_timer_t *t, jxta_timer_cb cb);
/* (Re)arm to fire once after delay_ms; timers due at the same time fire in
 * the order they were armed. */
void jxta_timer_start(jxta_timer_t *t, uint64_t delay_ms);
void jxta_timer_stop(jxta_timer_t *t);
int jxta_timer_active(const jxta_timer_t *t);

/* Thread-safe: run fn(loop, arg) on the loop thread soon, in post order.
 * JXTA_ENOMEM if the request cannot be queued. */
int jxta_loop_post(jxta_loop_t *loop, jxta_post_fn fn, void *arg);
/* Thread-safe, blocking: run fn on the loop thread and wait for it to
 * finish, at most timeout_ms.  Returns 0, or JXTA_ERANGE on time-out (fn
 * will still run later; `arg` must stay valid, so callers use heap state
 * with a reference they hand over).  Called on the loop thread, runs fn
 * directly. */
int jxta_loop_call(jxta_loop_t *loop, jxta_post_fn fn, void *arg, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
