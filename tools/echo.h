/* echo.h - the "JxInterop" echo protocol of the Java harness
 * (../shared/jxta/harness), on the pipe service of the Net group, used by
 * jxta-peer --echo-pipe / --send-echo and by bench-pipes.
 *
 * Request: a message on the unicast pipe JxInteropEcho (pipe ID seeded from
 * "jxinterop-echo-pipe" in the Net group) with elements jxinterop:seq
 * (decimal text), jxinterop:t0 (sender's clock, text), jxinterop:data
 * (bytes) and jxinterop:resp (the sender's reply pipe advertisement, XML).
 * Reply: seq, t0 and data copied unchanged to the reply pipe, plus
 * jxinterop:echo-from (the echoing peer's ID).  Everything runs on the
 * loop thread. */
#ifndef JXTA_TOOLS_ECHO_H
#define JXTA_TOOLS_ECHO_H

#include <stdint.h>

#include <jxta.h>

#define ECHO_NS "jxinterop"
#define ECHO_PIPE_NAME "JxInteropEcho"
#define ECHO_PIPE_SEED "jxinterop-echo-pipe"

/* The echo pipe's ID (seeded in the Net group, as the harness derives it). */
void echo_pipe_id(jxta_id_t *out);

/* ---- host ---------------------------------------------------------------- */
typedef struct echo_host echo_host_t;
int echo_host_start(jxta_loop_t *loop, jxta_pipes_t *ps, const jxta_id_t *self,
                    echo_host_t **out);
void echo_host_stop(echo_host_t *h);
uint64_t echo_host_echoed(const echo_host_t *h);

/* ---- client --------------------------------------------------------------- */
typedef struct echo_client echo_client_t;
typedef struct echo_client_config {
    const char *seed;      /* names the reply pipe: seed "jxinterop-resp-<seed>" */
    int count;             /* measured round trips (stop-and-wait) */
    int warmup;            /* unmeasured round trips first (default 10) */
    size_t size;           /* jxinterop:data bytes (default 16) */
    int tput_count;        /* then this many messages of tput_size, window-limited */
    size_t tput_size;      /* (default 65536) */
    int window;            /* messages in flight in the throughput phase (default 8) */
    uint64_t timeout_ms;   /* per echo (default 10000) and for binding (default 60000) */
} echo_client_config_t;

typedef struct echo_result {
    int err;               /* 0, or why the run stopped early */
    int echoed, lost;
    double bind_ms;
    double min_ms, median_ms, p99_ms, max_ms;
    int tput_echoed;
    double tput_seconds, tput_mib_s;  /* payload MiB/s each way */
} echo_result_t;

typedef void (*echo_done_fn)(void *ud, const echo_result_t *r);
int echo_client_start(jxta_loop_t *loop, jxta_pipes_t *ps, const echo_client_config_t *cfg,
                      echo_done_fn done, void *ud, echo_client_t **out);
void echo_client_stop(echo_client_t *c);

#endif
