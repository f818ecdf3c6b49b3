/* bench-juxmem - how long one JuxMem lock-put-unlock takes, measured
 * against raw TCP round trips in the same process and run.
 *
 * The whole overlay runs in this process, every peer a juxmem_open() with
 * its own home (in a fresh temporary directory, removed at the end) and
 * its own event-loop thread, all on 127.0.0.1 with ports chosen by the
 * system: a rendezvous, CLUSTERS clusters each with a manager and
 * PROVIDERS providers, and one client.  The client allocates one SIZE-byte
 * block with copies on every cluster (--copies per cluster), then times
 * COUNT iterations of
 *     juxmem_acquire + juxmem_write(SIZE bytes at 0) + juxmem_release
 * after a warm-up, and prints the median, p99 and ops/s.
 *
 * The baseline is one raw TCP connection between two threads (tools/bench.c):
 * 16-byte ping-pongs (the raw round trip) and SIZE-byte frames each
 * acknowledged by a 16-byte one (one copy's transfer).  A lock-put-unlock
 * needs at least the acquire round trip, the release round trip and the
 * sequencer's update round trip to the other copies; the target printed
 * beside the figure is therefore 3 raw round trips plus the copy time
 * (SIZE bytes moved once per copy: copies x (raw SIZE round trip - raw
 * round trip)).  A miss is reported, not an error.
 *
 * A third figure is the floor of this machine for the same message
 * pattern (tools/bench_pattern.c): the acquire round trip, the release,
 * the update to every other copy, a majority's acknowledgements and the
 * answer, over raw TCP with one plain thread per peer.  The JuxMem figure
 * divided by it is what the stack itself costs, apart from the thread
 * wake-ups any implementation of the protocol pays on this machine.
 *
 * Every wait is bounded by --timeout (an alarm backs it up). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>
#include <jxta/peer.h>

#include "bench.h"
#include "bench_pattern.h"
#include "cli.h"
#include "juxmem.h"

static const char *prog = "bench-juxmem";

#define MAX_CLUSTERS 8
#define MAX_PROVIDERS 8

static void usage(FILE *out)
{
    fprintf(out,
        "usage: bench-juxmem [options]\n"
        "\n"
        "Benchmark JuxMem lock-put-unlock (acquire, write SIZE bytes, release) from\n"
        "one client, with the overlay in this process on 127.0.0.1: a rendezvous,\n"
        "CLUSTERS clusters of one manager and PROVIDERS providers each, and the\n"
        "client; every peer has its own event-loop thread.  The latency is printed\n"
        "with raw-TCP round trips measured in the same run, and as a multiple of them.\n"
        "\n"
        "  --count N          measured iterations (default 2000)\n"
        "  --warmup N         unmeasured iterations first (default 200)\n"
        "  --size BYTES       block size and bytes written each time, 8..1048576\n"
        "                     (default 4096)\n"
        "  --clusters N       clusters in the overlay, and holding copies, 1..%d (default 2)\n"
        "  --providers N      providers per cluster, 1..%d (default 2)\n"
        "  --copies N         copies per cluster, 1..PROVIDERS (default: PROVIDERS)\n"
        "  --lease-ms N       lock lease of the providers (default 10000)\n"
        "  --client-no-listen the client does not listen (its traffic is relayed by\n"
        "                     the rendezvous, as the juxmem CLI's)\n"
        "  --timeout SECS     give up (exit 1) if the whole run takes longer (default 120)\n"
        "  --log-level L      library log on stderr: error, warn (default), info, debug\n"
        "\n"
        "Target printed alongside: median <= 3 raw round trips + copy time\n"
        "(copies x the raw transfer of SIZE bytes).  Also printed: the same message\n"
        "pattern over raw TCP, one thread per peer (the machine's floor for it), and\n"
        "the JuxMem median as a multiple of that floor.\n"
        "Exit status: 0 when the measurement completed (target met or not), 1 on an\n"
        "error or time-out, 2 on bad options.\n"
        "\n"
        "example:\n"
        "  bench-juxmem --count 5000 --clusters 2 --providers 2\n",
        MAX_CLUSTERS, MAX_PROVIDERS);
}

/* ---- time-out ------------------------------------------------------------- */

static volatile const char *phase = "start-up";
static char tmpdir[64];

static void remove_tmpdir(void)
{
    if (tmpdir[0] && bench_remove_tree(tmpdir) < 0)
        fprintf(stderr, "%s: could not remove %s\n", prog, tmpdir);
    tmpdir[0] = '\0';
}

/* ---- options -------------------------------------------------------------- */

typedef struct opts {
    uint64_t count, warmup, size, clusters, providers, copies, lease_ms, timeout_s;
    int client_listen;
    const char *log_level;
} opts_t;

static int parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.count = 2000, .warmup = 200, .size = 4096, .clusters = 2, .providers = 2,
                  .copies = 0, .lease_ms = 10000, .timeout_s = 120, .client_listen = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--client-no-listen") == 0) {
            o->client_listen = 0;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        static const char *const takes[] = {"--count", "--warmup", "--size", "--clusters",
                                            "--providers", "--copies", "--lease-ms", "--timeout",
                                            "--log-level", NULL};
        int known = 0;
        for (size_t k = 0; takes[k]; k++)
            known |= strcmp(a, takes[k]) == 0;
        if (!known) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
            return -1;
        }
        if (!v) {
            fprintf(stderr, "%s: %s needs a value\n", prog, a);
            return -1;
        }
        i++;
        int rc = 0;
        if (strcmp(a, "--count") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 100000000, &o->count);
        else if (strcmp(a, "--warmup") == 0)
            rc = bench_parse_u64(prog, a, v, 0, 100000000, &o->warmup);
        else if (strcmp(a, "--size") == 0)
            rc = bench_parse_u64(prog, a, v, 8, 1u << 20, &o->size);
        else if (strcmp(a, "--clusters") == 0)
            rc = bench_parse_u64(prog, a, v, 1, MAX_CLUSTERS, &o->clusters);
        else if (strcmp(a, "--providers") == 0)
            rc = bench_parse_u64(prog, a, v, 1, MAX_PROVIDERS, &o->providers);
        else if (strcmp(a, "--copies") == 0)
            rc = bench_parse_u64(prog, a, v, 1, MAX_PROVIDERS, &o->copies);
        else if (strcmp(a, "--lease-ms") == 0)
            rc = bench_parse_u64(prog, a, v, 100, 3600000, &o->lease_ms);
        else if (strcmp(a, "--timeout") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 86400, &o->timeout_s);
        else
            o->log_level = v;
        if (rc < 0)
            return -1;
    }
    if (o->copies == 0)
        o->copies = o->providers;
    if (o->copies > o->providers) {
        fprintf(stderr, "%s: --copies %llu is more than the %llu providers per cluster\n", prog,
                (unsigned long long)o->copies, (unsigned long long)o->providers);
        return -1;
    }
    return 0;
}

/* ---- the overlay ------------------------------------------------------------ */

typedef struct overlay {
    juxmem_t *rdv;
    char rdv_addr[JXTA_ADDR_TEXT_MAX];
    juxmem_t *managers[MAX_CLUSTERS];
    juxmem_t *providers[MAX_CLUSTERS][MAX_PROVIDERS];
    juxmem_t *client;
    char names[MAX_CLUSTERS][16];
} overlay_t;

typedef struct addr_query {
    jxta_peer_t *peer;
    char *out;
    size_t cap;
} addr_query_t;

static int listen_addr_on_loop(void *ud)
{
    addr_query_t *q = ud;
    const jxta_addr_t *pub = jxta_tcp_public_addr(jxta_endpoint_tcp(jxta_peer_endpoint(q->peer)));
    char host[JXTA_ADDR_HOST_MAX];
    uint16_t port = 0;
    if (!pub || jxta_addr_tcp_hostport(pub, host, sizeof host, &port) < 0 || port == 0)
        return JXTA_ENOTFOUND;
    jxta_addr_format(pub, q->out, q->cap);
    return 0;
}

static void open_peer(const opts_t *o, const char *name, const char *cluster, int rdv,
                      int manager, uint64_t provide, int listen, const char *seed,
                      juxmem_t **out)
{
    char home[128];
    snprintf(home, sizeof home, "%s/%s", tmpdir, name);
    juxmem_options_t jo;
    juxmem_options_default(&jo);
    jo.home = home;
    jo.name = name;
    jo.listen = listen ? "tcp://127.0.0.1:0" : "";
    if (seed) {
        jo.seeds[0] = seed;
        jo.nseeds = 1;
    }
    jo.rendezvous = rdv;
    jo.cluster = cluster;
    jo.manager = manager;
    jo.provide_bytes = provide;
    jo.lock_lease_ms = o->lease_ms;
    jo.timeout_ms = 10000;
    phase = name;
    int rc = juxmem_open(&jo, out);
    if (rc < 0)
        cli_fail(1, prog, "cannot start %s: %s", name, juxmem_strerror(rc));
}

static void overlay_start(const opts_t *o, overlay_t *ov)
{
    uint64_t provide = o->size * 64 > (16u << 20) ? o->size * 64 : (16u << 20);
    open_peer(o, "rdv", NULL, 1, 0, 0, 1, NULL, &ov->rdv);
    addr_query_t q = {juxmem_peer(ov->rdv), ov->rdv_addr, sizeof ov->rdv_addr};
    int rc = jxta_peer_run(q.peer, listen_addr_on_loop, &q, 5000);
    if (rc < 0)
        cli_fail(1, prog, "the rendezvous has no listening address: %s", jxta_strerror(rc));
    for (unsigned c = 0; c < o->clusters; c++) {
        char name[32];
        snprintf(ov->names[c], sizeof ov->names[c], "c%u", c);
        snprintf(name, sizeof name, "mgr-c%u", c);
        open_peer(o, name, ov->names[c], 0, 1, 0, 1, ov->rdv_addr, &ov->managers[c]);
        for (unsigned p = 0; p < o->providers; p++) {
            snprintf(name, sizeof name, "prov-c%u-%u", c, p);
            open_peer(o, name, ov->names[c], 0, 0, provide, 1, ov->rdv_addr, &ov->providers[c][p]);
        }
    }
    open_peer(o, "client", NULL, 0, 0, 0, o->client_listen, ov->rdv_addr, &ov->client);
}

static void overlay_stop(const opts_t *o, overlay_t *ov)
{
    phase = "shutdown";
    if (ov->client)
        juxmem_close(ov->client);
    for (unsigned c = 0; c < o->clusters; c++) {
        for (unsigned p = 0; p < o->providers; p++)
            if (ov->providers[c][p])
                juxmem_close(ov->providers[c][p]);
        if (ov->managers[c])
            juxmem_close(ov->managers[c]);
    }
    if (ov->rdv)
        juxmem_close(ov->rdv);
}

/* The first allocation waits (bounded) until the managers have gathered
 * their providers and the clusters are advertised. */
static void alloc_block(const opts_t *o, overlay_t *ov, jxta_id_t *id, double *setup_s)
{
    phase = "allocation (waiting for the clusters)";
    juxmem_attr_t attr;
    juxmem_attr_default(&attr);
    uint64_t t0 = bench_now_ns();
    for (;;) {
        int rc = juxmem_alloc(ov->client, o->size, (unsigned)o->clusters, (unsigned)o->copies,
                              &attr, id);
        if (rc == 0)
            break;
        if (rc != JUXMEM_ENOCLUSTER && rc != JUXMEM_ENOSPACE && rc != JXTA_ETIMEDOUT)
            cli_fail(1, prog, "allocation failed: %s", juxmem_strerror(rc));
        if (bench_now_ns() - t0 > 30ull * 1000000000ull)
            cli_fail(1, prog, "allocation still failing after 30 s: %s", juxmem_strerror(rc));
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    *setup_s = (double)(bench_now_ns() - t0) / 1e9;
}

/* One acquire + write + release; microseconds in all, and of the acquire
 * and the release alone (acq, rel may be NULL). */
static double lock_put_unlock(juxmem_t *j, const jxta_id_t *id, uint8_t *buf, size_t size,
                              uint64_t i, double *acq, double *rel)
{
    bench_put_be64(buf, i);
    uint64_t t = bench_now_ns();
    int rc = juxmem_acquire(j, id);
    if (rc < 0)
        cli_fail(1, prog, "iteration %llu: acquire: %s", (unsigned long long)i,
                 juxmem_strerror(rc));
    uint64_t ta = bench_now_ns();
    if ((rc = juxmem_write(j, id, 0, buf, size)) < 0)
        cli_fail(1, prog, "iteration %llu: write: %s", (unsigned long long)i, juxmem_strerror(rc));
    uint64_t tw = bench_now_ns();
    if ((rc = juxmem_release(j, id)) < 0)
        cli_fail(1, prog, "iteration %llu: release: %s", (unsigned long long)i,
                 juxmem_strerror(rc));
    uint64_t tr = bench_now_ns();
    if (acq)
        *acq = (double)(ta - t) / 1000.0;
    if (rel)
        *rel = (double)(tr - tw) / 1000.0;
    return (double)(tr - t) / 1000.0;
}

/* ---- raw baseline ------------------------------------------------------------- */

static void raw_pair(bench_raw_job_t *mine, bench_raw_job_t *theirs, const char *what)
{
    phase = what;
    if (bench_raw_pair(mine, theirs) < 0)
        cli_fail(1, prog, "%s failed: connection broken, bad frame or socket time-out", what);
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    opts_t o;
    if (parse_opts(argc, argv, &o) < 0)
        return 2;
    if (o.log_level && cli_set_log_level(prog, o.log_level) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    bench_timeout_start(prog, &phase, (unsigned)o.timeout_s, NULL);

    snprintf(tmpdir, sizeof tmpdir, "/tmp/bench-juxmem-XXXXXX");
    if (!mkdtemp(tmpdir))
        cli_fail(1, prog, "cannot create a temporary directory: %s", strerror(errno));
    atexit(remove_tmpdir);

    size_t size = (size_t)o.size;
    double *js = malloc(o.count * sizeof *js), *raw = malloc(o.count * sizeof *raw);
    double *acq = malloc(o.count * sizeof *acq), *rel = malloc(o.count * sizeof *rel);
    double *pat = malloc(o.count * sizeof *pat);
    uint8_t *buf = bench_payload_new(size);
    if (!js || !raw || !acq || !rel || !pat || !buf)
        cli_fail(1, prog, "out of memory for %llu samples", (unsigned long long)o.count);
    uint64_t t_start = bench_now_ns();

    static overlay_t ov;
    overlay_start(&o, &ov);
    jxta_id_t id;
    double setup_s;
    alloc_block(&o, &ov, &id, &setup_s);
    unsigned copies = (unsigned)(o.clusters * o.copies);
    char sl[32];
    bench_size_label(size, sl, sizeof sl);
    printf("bench-juxmem: overlay in one process on 127.0.0.1 (homes in %s): rendezvous %s, "
           "%llu cluster(s) x (1 manager + %llu providers), client %s; one loop thread per peer\n",
           tmpdir, ov.rdv_addr, (unsigned long long)o.clusters, (unsigned long long)o.providers,
           o.client_listen ? "listening" : "not listening (relayed)");
    printf("  block: %s on %llu cluster(s) x %llu = %u copies, allocated %.1f s after start-up\n",
           sl, (unsigned long long)o.clusters, (unsigned long long)o.copies, copies, setup_s);
    printf("  loop: %llu x (acquire + write %s + release) after %llu warm-up; baseline: raw TCP, "
           "2 threads, TCP_NODELAY\n",
           (unsigned long long)o.count, sl, (unsigned long long)o.warmup);
    fflush(stdout);

    /* raw baselines first: 16-byte round trips, then SIZE-byte transfers */
    bench_raw_t ra, rb;
    char err[160];
    if (bench_raw_setup(&ra, &rb, size, (unsigned)o.timeout_s, err, sizeof err) < 0)
        cli_fail(1, prog, "%s", err);
    bench_raw_job_t ping = {&ra, BENCH_RAW_PING, o.count, o.warmup, 1, BENCH_SMALL, raw, 0, 0};
    bench_raw_job_t echo = {&rb, BENCH_RAW_ECHO, o.count, o.warmup, 1, BENCH_SMALL, NULL, 0, 0};
    raw_pair(&ping, &echo, "raw round trips");
    uint64_t nbulk = o.count < 1000 ? o.count : 1000;
    bench_raw_job_t ws = {&ra, BENCH_RAW_SEND, nbulk, 0, 1, size, NULL, 0, 0};
    bench_raw_job_t wr = {&rb, BENCH_RAW_RECV, nbulk, 0, 1, size, NULL, 0, 0};
    raw_pair(&ws, &wr, "raw warm-up transfers");
    bench_raw_job_t s = {&ra, BENCH_RAW_SEND, nbulk, 0, 1, size, NULL, 0, 0};
    bench_raw_job_t r = {&rb, BENCH_RAW_RECV, nbulk, 0, 1, size, NULL, 0, 0};
    raw_pair(&s, &r, "raw transfers");
    bench_raw_close(&ra);
    bench_raw_close(&rb);
    phase = "raw pattern";
    if (bench_pattern_run(copies, size, o.count, o.warmup, (unsigned)o.timeout_s, pat, err,
                          sizeof err) < 0)
        cli_fail(1, prog, "%s", err);

    /* JuxMem */
    phase = "warm-up";
    for (uint64_t i = 0; i < o.warmup; i++)
        lock_put_unlock(ov.client, &id, buf, size, i, NULL, NULL);
    phase = "measured loop";
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < o.count; i++)
        js[i] = lock_put_unlock(ov.client, &id, buf, size, o.warmup + i, &acq[i], &rel[i]);
    double loop_s = (double)(bench_now_ns() - t0) / 1e9;

    /* check the last write landed (read back under a shared lock) */
    phase = "read-back";
    uint8_t *back = malloc(size);
    int rc = back ? juxmem_acquire_read(ov.client, &id) : JXTA_ENOMEM;
    if (rc == 0 && (rc = juxmem_read(ov.client, &id, 0, back, size)) == 0)
        rc = juxmem_release(ov.client, &id);
    if (rc < 0)
        cli_fail(1, prog, "read-back: %s", juxmem_strerror(rc));
    if (memcmp(back, buf, size) != 0)
        cli_fail(1, prog, "read-back: the block does not hold the last write");
    free(back);

    qsort(js, o.count, sizeof *js, bench_cmp_double);
    qsort(raw, o.count, sizeof *raw, bench_cmp_double);
    qsort(acq, o.count, sizeof *acq, bench_cmp_double);
    qsort(rel, o.count, sizeof *rel, bench_cmp_double);
    qsort(pat, o.count, sizeof *pat, bench_cmp_double);
    size_t n = (size_t)o.count;
    double jm = bench_percentile(js, n, 0.5), j99 = bench_percentile(js, n, 0.99);
    double rm = bench_percentile(raw, n, 0.5), r99 = bench_percentile(raw, n, 0.99);
    double xfer = (double)s.elapsed / 1000.0 / (double)nbulk; /* us per SIZE-byte round trip */
    double copy_us = xfer > rm ? (double)copies * (xfer - rm) : 0;
    double target = 3 * rm + copy_us;
    int ok = jm <= target;
    printf("raw: round trip median %.1f us, p99 %.1f us; %s transfer + ack %.1f us "
           "(copy time for %u copies %.1f us)\n",
           rm, r99, sl, xfer, copies, copy_us);
    printf("lock-put-unlock %s: median %.1f us (%.2f raw round trips), p99 %.1f us (%.2f), "
           "%.0f ops/s  [target median <= 3 round trips + copy time = %.1f us: %s]\n",
           sl, jm, jm / rm, j99, j99 / r99, (double)o.count / loop_s, target,
           ok ? "ok" : "MISSED");
    printf("  of which: acquire median %.1f us (%.2f round trips), release with %s median %.1f "
           "us (%.2f round trips)\n",
           bench_percentile(acq, n, 0.5), bench_percentile(acq, n, 0.5) / rm, sl,
           bench_percentile(rel, n, 0.5), bench_percentile(rel, n, 0.5) / rm);
    double pm = bench_percentile(pat, n, 0.5), p99 = bench_percentile(pat, n, 0.99);
    printf("raw pattern (the same messages over raw TCP, one thread per peer: client, sequencer, "
           "%u other copies): median %.1f us (%.2f raw round trips), p99 %.1f us; lock-put-unlock "
           "= %.2f x the raw pattern\n",
           copies - 1, pm, pm / rm, p99, jm / pm);
    fflush(stdout);

    overlay_stop(&o, &ov);
    free(js);
    free(raw);
    free(acq);
    free(rel);
    free(pat);
    free(buf);
    printf("done in %.1f s\n", (double)(bench_now_ns() - t_start) / 1e9);
    return 0;
}
