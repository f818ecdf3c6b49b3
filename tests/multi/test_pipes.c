/* test_pipes.c - multi-process pipes on 127.0.0.1.
 *
 * Real jxta-peer daemons: a rendezvous (two for propagation), edges that
 * do not listen (so every message is routed through a rendezvous), a sink
 * that checks every message it gets (per sender: once, in order, intact)
 * and sources that send as fast as the pipe's back-pressure allows.
 *   - unicast: two sources x 50,000 messages into one input pipe, one of
 *     them an edge of another rendezvous of the view: the sink gets all
 *     100,000, none twice, each sender's in order;
 *   - propagate: one source, 100,000 messages, three listeners on edges
 *     of two rendezvous in one PeerView: each gets every message once;
 *   - rebinding: the peer hosting an input pipe is stopped while a source
 *     sends; another peer opens the same pipe and the source, rebinding,
 *     delivers there;
 *   - the application API: tools/jxta-example serves and answers questions.
 * Every wait is bounded; every process is stopped by its PID. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jxta.h>

#include "../unit/testutil.h"
#include "proc.h"

#ifndef TOOLS_DIR
#define TOOLS_DIR "tools"
#endif

static char workdir[256];
static const char *peer_bin = TOOLS_DIR "/jxta-peer";

/* Scale the counts down (JXTA_TEST_SCALE=10 divides by 10) on slow runs. */
static unsigned long scaled(unsigned long n)
{
    const char *s = getenv("JXTA_TEST_SCALE");
    unsigned long d = s ? strtoul(s, NULL, 10) : 1;
    return d > 1 ? n / d : n;
}

static tproc_t *start_rdv(const char *name, const char *seed, char *addr, size_t cap)
{
    const char *extra[12] = {"--role", "rdv", "--listen", "tcp://127.0.0.1:0", "--probe-ms", "300",
                             "--pipe-watch", "wire:propagate"};
    size_t n = 8;
    if (seed) {
        extra[n++] = "--seed";
        extra[n++] = seed;
    }
    extra[n] = NULL;
    tproc_t *r = tproc_peer(peer_bin, workdir, name, extra);
    char line[512];
    ck_assert_msg(tproc_wait(r, "READY", 1, 10000, line, sizeof line), "%s not ready", name);
    ck_assert(tproc_field(line, "listen", addr, cap));
    return r;
}

/* An edge of `rdv` (not listening) with extra options; waits for its lease. */
static tproc_t *start_edge(const char *name, const char *rdv, const char *const *opts)
{
    const char *extra[24] = {"--no-listen", "--seed", rdv, "--retry-ms", "500"};
    size_t n = 5;
    for (size_t i = 0; opts && opts[i] && n < 23; i++)
        extra[n++] = opts[i];
    extra[n] = NULL;
    tproc_t *e = tproc_peer(peer_bin, workdir, name, extra);
    ck_assert_msg(tproc_wait(e, "LEASE granted", 1, 15000, NULL, 0), "%s got no lease", name);
    return e;
}

/* The last PIPESTAT line of p once it reports received >= want. */
static void wait_received(tproc_t *p, unsigned long want, int timeout_ms, char *line, size_t cap)
{
    char key[64];
    uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        char last[512] = "";
        if (tproc_count(p, "PIPESTAT") > 0)
            tproc_wait(p, "PIPESTAT", tproc_count(p, "PIPESTAT"), 0, last, sizeof last);
        if (last[0] && tproc_field(last, "received", key, sizeof key) &&
            strtoul(key, NULL, 10) >= want) {
            snprintf(line, cap, "%s", last);
            return;
        }
        ck_assert_msg(tu_now_ms() < end, "%s: received %s of %lu in %d ms (last: %s)",
                      tproc_name(p), last[0] ? key : "0", want, timeout_ms, last);
        tproc_pump(100);
    }
}

/* Wait until the last `event` line of p has key >= want. */
static void wait_field_ge(tproc_t *p, const char *event, const char *key, unsigned long want,
                          int timeout_ms)
{
    char v[64];
    uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        char last[512] = "";
        size_t n = tproc_count(p, event);
        if (n > 0)
            tproc_wait(p, event, n, 0, last, sizeof last);
        if (last[0] && tproc_field(last, key, v, sizeof v) && strtoul(v, NULL, 10) >= want)
            return;
        ck_assert_msg(tu_now_ms() < end, "%s: no %s line with %s >= %lu in %d ms (last: %s)",
                      tproc_name(p), event, key, want, timeout_ms, last);
        tproc_pump(100);
    }
}

static unsigned long field_ul(const char *line, const char *key)
{
    char v[64];
    ck_assert_msg(tproc_field(line, key, v, sizeof v), "no %s= in %s", key, line);
    return strtoul(v, NULL, 10);
}

START_TEST(test_unicast_two_senders)
{
    tproc_workdir(workdir, sizeof workdir, "jxta-pipes");
    char rdv[128], rdv1[128], line[512], count[32];
    unsigned long each = scaled(50000);
    snprintf(count, sizeof count, "uni:%lu", each);
    tproc_t *r0 = start_rdv("rdv", NULL, rdv, sizeof rdv);
    tproc_t *r1 = start_rdv("rdv1", rdv, rdv1, sizeof rdv1);
    ck_assert(tproc_wait(r0, "PEERVIEW joined", 1, 10000, NULL, 0));
    ck_assert(tproc_wait(r1, "PEERVIEW joined", 1, 10000, NULL, 0));
    const char *sink_opts[] = {"--pipe-sink", "uni", NULL};
    tproc_t *sink = start_edge("sink", rdv, sink_opts);
    const char *src_opts[] = {"--pipe-source", count, NULL};
    /* one sender of the sink's rendezvous, one of the other rendezvous */
    tproc_t *a = start_edge("src-a", rdv, src_opts);
    tproc_t *b = start_edge("src-b", rdv1, src_opts);
    wait_received(sink, 2 * each, 120000, line, sizeof line);
    ck_assert_uint_eq(field_ul(line, "received"), 2 * each);
    ck_assert_uint_eq(field_ul(line, "duplicates"), 0);
    ck_assert_uint_eq(field_ul(line, "reordered"), 0);
    ck_assert_uint_eq(field_ul(line, "corrupt"), 0);
    ck_assert_uint_eq(field_ul(line, "senders"), 2);
    ck_assert(tproc_wait(a, "PIPESENT done", 1, 10000, line, sizeof line));
    ck_assert_uint_eq(field_ul(line, "failed"), 0);
    ck_assert(tproc_wait(b, "PIPESENT done", 1, 10000, line, sizeof line));
    ck_assert_uint_eq(field_ul(line, "failed"), 0);
    tproc_cleanup();
    tproc_workdir_remove(workdir);
}
END_TEST

START_TEST(test_propagate_three_listeners)
{
    tproc_workdir(workdir, sizeof workdir, "jxta-pipes");
    char r0[128], r1[128], line[512], count[32];
    unsigned long total = scaled(100000);
    snprintf(count, sizeof count, "wire:propagate:%lu", total);
    tproc_t *rdv0 = start_rdv("rdv0", NULL, r0, sizeof r0);
    tproc_t *rdv1 = start_rdv("rdv1", r0, r1, sizeof r1);
    ck_assert(tproc_wait(rdv0, "PEERVIEW joined", 1, 10000, NULL, 0));
    ck_assert(tproc_wait(rdv1, "PEERVIEW joined", 1, 10000, NULL, 0));
    const char *sink_opts[] = {"--pipe-sink", "wire:propagate", NULL};
    tproc_t *s[3];
    s[0] = start_edge("sink0", r0, sink_opts);
    s[1] = start_edge("sink1", r1, sink_opts);
    s[2] = start_edge("sink2", r1, sink_opts);
    for (int i = 0; i < 3; i++)
        ck_assert(tproc_wait(s[i], "PIPE sink-ready", 1, 5000, NULL, 0));
    /* The listeners' pipe SRDI must be at their rendezvous before the first
     * message: each rendezvous reports how many hosts its index names. */
    wait_field_ge(rdv0, "PIPEHOSTS", "clients", 1, 10000);
    wait_field_ge(rdv1, "PIPEHOSTS", "clients", 2, 10000);
    const char *src_opts[] = {"--pipe-source", count, "--pipe-window", "16", NULL};
    tproc_t *src = start_edge("src", r0, src_opts);
    for (int i = 0; i < 3; i++) {
        wait_received(s[i], total, 180000, line, sizeof line);
        ck_assert_uint_eq(field_ul(line, "received"), total);
        ck_assert_uint_eq(field_ul(line, "duplicates"), 0);
        ck_assert_uint_eq(field_ul(line, "corrupt"), 0);
    }
    ck_assert(tproc_wait(src, "PIPESENT done", 1, 10000, line, sizeof line));
    ck_assert_uint_eq(field_ul(line, "failed"), 0);
    tproc_cleanup();
    tproc_workdir_remove(workdir);
}
END_TEST

START_TEST(test_host_restart_rebinds)
{
    tproc_workdir(workdir, sizeof workdir, "jxta-pipes");
    char rdv[128], line[512];
    start_rdv("rdv", NULL, rdv, sizeof rdv);
    const char *sink_opts[] = {"--pipe-sink", "moving", NULL};
    tproc_t *h1 = start_edge("host1", rdv, sink_opts);
    /* A long stream, slowed by a small window so it outlives the host.  The
     * rendezvous' route NACK makes it rebind at once; a short verification
     * period backs that up on a loaded machine. */
    const char *src_opts[] = {"--pipe-source", "moving:100000000", "--pipe-window", "4",
                              "--pipe-size", "4096", "--pipe-verify-ms", "2000",
                              "--pipe-resolve-timeout-ms", "5000", NULL};
    tproc_t *src = start_edge("src", rdv, src_opts);
    wait_received(h1, 2000, 30000, line, sizeof line);
    ck_assert_uint_eq(field_ul(line, "duplicates"), 0);
    ck_assert_uint_eq(field_ul(line, "reordered"), 0);
    tproc_signal(h1, SIGTERM); /* closes its pipe: the SRDI entry goes */
    ck_assert_int_eq(tproc_reap(h1, 10000), 0);
    tproc_t *h2 = start_edge("host2", rdv, sink_opts);
    wait_received(h2, 2000, 60000, line, sizeof line);
    ck_assert_uint_eq(field_ul(line, "duplicates"), 0);
    ck_assert_uint_eq(field_ul(line, "corrupt"), 0);
    /* bound to host1, then (after the route NACK or the SRDI removal) to host2 */
    ck_assert_msg(tproc_wait(src, "PIPE bound", 2, 10000, NULL, 0), "source did not rebind");
    tproc_cleanup();
    tproc_workdir_remove(workdir);
}
END_TEST

/* The application API end to end: jxta-example serves and answers. */
START_TEST(test_example_program)
{
    tproc_workdir(workdir, sizeof workdir, "jxta-pipes");
    char rdv[128], home[300];
    start_rdv("rdv", NULL, rdv, sizeof rdv);
    snprintf(home, sizeof home, "%s/server", workdir);
    const char *serve[] = {TOOLS_DIR "/jxta-example", "--home", home, "--seed", rdv, "serve",
                           "quotes", NULL};
    tproc_t *srv = tproc_spawn("server", workdir, serve);
    ck_assert(tproc_wait(srv, "serving quotes", 1, 15000, NULL, 0));
    snprintf(home, sizeof home, "%s/asker", workdir);
    const char *ask[] = {TOOLS_DIR "/jxta-example", "--home", home, "--seed", rdv, "ask",
                         "quotes", "hello there", "and again", NULL};
    tproc_t *a = tproc_spawn("asker", workdir, ask);
    ck_assert(tproc_wait(a, "you said: and again", 1, 30000, NULL, 0));
    ck_assert_uint_eq(tproc_count(a, "you said: hello there"), 1);
    ck_assert_int_eq(tproc_reap(a, 10000), 0);
    ck_assert_uint_eq(tproc_count(srv, "answered (success)"), 2);
    tproc_signal(srv, SIGTERM);
    ck_assert_int_eq(tproc_reap(srv, 10000), 0);
    tproc_cleanup();
    tproc_workdir_remove(workdir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pipes (multi-process)");
    TCase *tc = tcase_create("pipes");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_unicast_two_senders);
    tcase_add_test(tc, test_propagate_three_listeners);
    tcase_add_test(tc, test_host_restart_rebinds);
    tcase_add_test(tc, test_example_program);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
