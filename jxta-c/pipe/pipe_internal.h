/* pipe_internal.h - what the unicast side of the pipe service (pipes.c)
 * and the propagate ("wire") side (wire.c) share: the service and input
 * pipe structures, the cross-thread waiter used by the blocking calls, and
 * a few helpers.  Not installed. */
#ifndef JXTA_PIPE_INTERNAL_H
#define JXTA_PIPE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <jxta/pipe.h>
#include <jxta/srdi.h>

/* One application thread blocked on the loop's work (poll, wait_bound,
 * send_sync).  Shared by that thread and the loop; refcounted under `mu`.
 * The loop completes it with waiter_finish, which fails (returns 0) when
 * the thread has already given up, so nothing handed over is lost. */
struct jxta__pipe_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    int done, withdrawn, status;
    jxta_msg_t *msg;  /* poll: the message handed over; send_sync: the copy to send */
    int timeout_ms;   /* what the thread waits (0: just look) */
    void *obj;        /* the input or output pipe (a reference is held) */
    struct jxta__pipe_waiter *next;
    /* send_sync, loop side only: the copy being sent, and the timer that
     * tries again while the pipe pushes back (JXTA_EBUSY) */
    jxta_msg_t *out;
    jxta_timer_t retry;
};
typedef struct jxta__pipe_waiter jxta__pipe_waiter_t;

jxta__pipe_waiter_t *jxta__waiter_new(void *obj, int timeout_ms);
void jxta__waiter_unref(jxta__pipe_waiter_t *w);
/* Loop side: complete w with status (and msg, taken only on success).
 * Returns 1 if the waiting thread gets it, 0 if it had already given up. */
int jxta__waiter_finish(jxta__pipe_waiter_t *w, int status, jxta_msg_t *msg);
/* Thread side: wait until finished or timeout_ms (-1 forever); on time-out
 * the waiter is withdrawn and JXTA_ETIMEDOUT returned.  *msg (may be NULL)
 * gets what was handed over. */
int jxta__waiter_wait(jxta__pipe_waiter_t *w, int timeout_ms, jxta_msg_t **msg);

typedef struct jxta__wire jxta__wire_t;

struct jxta_input_pipe {
    jxta_pipes_t *ps;
    jxta_loop_t *loop;
    jxta_id_t id;
    char idtext[JXTA_ID_TEXT_MAX];
    char type[32];
    int propagate;
    jxta_pipe_listener_fn fn;
    void *ud;
    jxta_msg_t **q; /* ring of queued messages (no listener) */
    size_t qhead, qlen, qcap;
    jxta__pipe_waiter_t *waiters, *waiters_tail; /* threads in poll, FIFO */
    uint64_t received, dropped;
    atomic_int refs;
    int closed;
    struct jxta_input_pipe *next;
};

struct jxta_pipes {
    jxta_resolver_t *res;
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_propagate_t *prop;
    jxta_loop_t *loop;
    jxta_id_t group, self;
    char group_uv[JXTA_ID_TEXT_MAX];
    char *pa_text; /* our peer advertisement, sent in answers */
    jxta_pipes_config_t cfg;
    jxta_srdi_index_t *idx; /* rendezvous: clients' pipe SRDI */
    jxta_input_pipe_t *inputs;
    jxta_output_pipe_t *outputs;
    jxta_timer_t timer;
    int pushed_valid;
    jxta_id_t pushed_to; /* edge: rendezvous that has our pipe SRDI */
    jxta__wire_t *wire;
    jxta_pipes_stats_t st;
};

int jxta__pipes_is_rdv(const jxta_pipes_t *ps);
jxta_input_pipe_t *jxta__pipes_find_input(jxta_pipes_t *ps, const jxta_id_t *id);
/* Hand a copy of m (transport, router, propagation and wire elements
 * left out) to the pipe's listener or queue. */
void jxta__input_pipe_deliver(jxta_input_pipe_t *ip, const jxta_msg_t *m, const jxta_id_t *src,
                              int propagated);
/* Rendezvous: peers whose SRDI says they have an input pipe of `type`. */
size_t jxta__pipes_index_hosts(jxta_pipes_t *ps, const char *type, const jxta_id_t *pipe_id,
                               jxta_id_t *peers, size_t max);
/* A copy of m without the transport/router/propagation/wire elements. */
int jxta__pipe_msg_copy(const jxta_msg_t *m, jxta_msg_t **out);
/* Remove what the endpoint added to a message we sent for the caller. */
void jxta__pipe_msg_unstamp(jxta_msg_t *m);

int jxta__wire_new(jxta_pipes_t *ps, jxta__wire_t **out);
void jxta__wire_free(jxta__wire_t *w);
/* Send m on propagate pipe pipe_id (to peers[0..n) with TTL 1 when n > 0).
 * Local listeners get it too.  cb as jxta_output_pipe_send. */
int jxta__wire_send(jxta__wire_t *w, const jxta_id_t *pipe_id, const jxta_id_t *peers, size_t n,
                    jxta_msg_t *m, jxta_tcp_sent_cb cb, void *ud);

#endif
