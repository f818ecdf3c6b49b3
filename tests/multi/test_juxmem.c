/* test_juxmem.c - JuxMem with real processes on 127.0.0.1.
 *
 * Each test starts its own overlay of juxmemd daemons: one rendezvous and
 * two clusters (c0, c1), each with a manager and two providers offering
 * 1 MiB, every daemon with a 2 s lock lease (10 s for the error test, whose
 * lock holder must not lose its lock while others time out).  The clients are the juxmem
 * CLI, one short-lived process (and peer home) per command, as a user or a
 * script would run it; --json output is parsed for IDs and error codes.
 *   - counter: 8 `juxmem incr ID N` processes started together; the final
 *     value is exactly 8N (no lost update under exclusive locks);
 *   - torn reads: writers put 16 KiB blocks whose 8-byte words all carry
 *     one value while readers get the block over and over: every read is
 *     one writer's whole block;
 *   - two clusters: --clusters 2 --providers 2 puts two copies in each
 *     cluster (stat, ls, and the providers' COPY lines);
 *   - errors: out of memory, unknown ID, double free, lock time-out, each
 *     exit 1 with its code;
 *   - leases: a live holder keeps its lock past several leases; a holder
 *     killed with SIGKILL after writing 0xEE everywhere loses the lock when
 *     its lease ends and its writes are never seen.
 * JXTA_TEST_SCALE=N divides the counts.  Every wait is bounded; every
 * process is stopped by its PID (also when a test fails: the runner does
 * not fork, so the teardown always runs), and the work directory is
 * removed when the test passed (kept, with every log, when it failed). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>

#include "../unit/testutil.h"
#include "juxmem.h"
#include "proc.h"

#ifndef TOOLS_DIR
#define TOOLS_DIR "tools"
#endif

static const char *daemon_bin = TOOLS_DIR "/juxmemd";
static const char *cli_bin = TOOLS_DIR "/juxmem";

#define SHORT_LEASE_MS "2000" /* the lease tests */
#define LONG_LEASE_MS "10000" /* the lock time-out test: no lease runs out */
#define PROVIDE "1M"
#define NCLUSTERS 2
#define NPROVIDERS 2 /* per cluster */
#define STEP_MS 30000 /* bound of one CLI command */

static char workdir[256];
static int passed;
static const char *lease_ms = SHORT_LEASE_MS;
static uint64_t t_setup, t_ready;
static char rdv_addr[128];
static tproc_t *providers[NCLUSTERS * NPROVIDERS];
static tproc_t *daemons[1 + NCLUSTERS * (1 + NPROVIDERS)];
static size_t ndaemons;

static unsigned long scaled(unsigned long n)
{
    const char *s = getenv("JXTA_TEST_SCALE");
    unsigned long d = s ? strtoul(s, NULL, 10) : 1;
    return d > 1 && n / d > 0 ? n / d : n;
}

/* ---- one-shot CLI processes ------------------------------------------------
 * stdout and stderr go to files in the work directory (clis.N.out/.err);
 * every PID is remembered so the teardown can stop them. */

#define MAX_RUNS 4096
static pid_t run_pids[MAX_RUNS];
static size_t nrun_pids;
static unsigned run_counter;
/* Output buffers not yet freed (a failed assertion skips run_free). */
static char *bufs[2 * MAX_RUNS];
static size_t nbufs;

typedef struct run {
    pid_t pid;
    unsigned n;
    int status; /* exit code, 128 + signal, -1 time-out */
    char *out, *err;
} run_t;

static void run_start(run_t *r, const char *const *args)
{
    memset(r, 0, sizeof *r);
    r->n = ++run_counter;
    char home[512], out[512], err[512];
    snprintf(home, sizeof home, "%s/cli%u", workdir, r->n);
    snprintf(out, sizeof out, "%s/cli%u.out", workdir, r->n);
    snprintf(err, sizeof err, "%s/cli%u.err", workdir, r->n);
    const char *argv[40] = {cli_bin, "--home", home, "--seed", rdv_addr, "--json"};
    size_t n = 6;
    for (size_t i = 0; args[i]; i++) {
        ck_assert_uint_lt(n, 39);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    ck_assert_uint_lt(nrun_pids, MAX_RUNS);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || o < 0 || e < 0)
            _exit(126);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    r->pid = pid;
    run_pids[nrun_pids++] = pid;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    for (;;) {
        if (cap - n < 2) {
            cap *= 2;
            s = realloc(s, cap);
            ck_assert_ptr_nonnull(s);
        }
        size_t got = fread(s + n, 1, cap - n - 1, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    s[n] = '\0';
    return s;
}

static void forget_pid(pid_t pid)
{
    for (size_t i = 0; i < nrun_pids; i++)
        if (run_pids[i] == pid) {
            run_pids[i] = run_pids[--nrun_pids];
            return;
        }
}

static char *keep_buf(char *b)
{
    ck_assert_uint_lt(nbufs, sizeof bufs / sizeof bufs[0]);
    bufs[nbufs++] = b;
    return b;
}

static void drop_buf(char *b)
{
    for (size_t i = 0; b && i < nbufs; i++)
        if (bufs[i] == b) {
            bufs[i] = bufs[--nbufs];
            break;
        }
    free(b);
}

static int sanitizer_report(const char *text)
{
    return strstr(text, "AddressSanitizer") || strstr(text, "LeakSanitizer") ||
           strstr(text, "runtime error:");
}

static void run_finish(run_t *r, int st)
{
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    forget_pid(r->pid);
    r->pid = 0;
    char path[512];
    snprintf(path, sizeof path, "%s/cli%u.out", workdir, r->n);
    r->out = keep_buf(slurp(path));
    snprintf(path, sizeof path, "%s/cli%u.err", workdir, r->n);
    r->err = keep_buf(slurp(path));
    ck_assert_msg(!sanitizer_report(r->err), "sanitizer report from cli%u: %s", r->n, r->err);
}

/* Non-blocking: 1 once the process has ended (status and output filled). */
static int run_poll(run_t *r)
{
    if (!r->pid)
        return 1;
    int st;
    pid_t w = waitpid(r->pid, &st, WNOHANG);
    if (w != r->pid)
        return 0;
    run_finish(r, st);
    return 1;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait (bounded) for the end of r; a process still running after
 * timeout_ms is killed and its status is -1. */
static int run_wait(run_t *r, int timeout_ms)
{
    uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
    while (!run_poll(r)) {
        if (tu_now_ms() >= end) {
            int st;
            kill(r->pid, SIGKILL);
            waitpid(r->pid, &st, 0);
            run_finish(r, st);
            r->status = -1;
            break;
        }
        pause_ms(5);
    }
    return r->status;
}

static void run_free(run_t *r)
{
    drop_buf(r->out);
    drop_buf(r->err);
    r->out = r->err = NULL;
}

/* Run one command to its end; returns its exit status. */
static int cli(run_t *r, const char *const *args)
{
    run_start(r, args);
    return run_wait(r, STEP_MS);
}

#define CLI(r, ...) cli((r), (const char *const[]){__VA_ARGS__, NULL})

/* "key":<number> in a JSON line. */
static long long json_num(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *s = strstr(text, pat);
    ck_assert_msg(s != NULL, "no %s in %s", key, text);
    return strtoll(s + strlen(pat), NULL, 10);
}

/* "key":"<string>" in a JSON line (no escapes in the values used here). */
static void json_str(const char *text, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *s = strstr(text, pat);
    ck_assert_msg(s != NULL, "no %s in %s", key, text);
    s += strlen(pat);
    size_t n = strcspn(s, "\"");
    ck_assert_uint_lt(n, cap);
    memcpy(out, s, n);
    out[n] = '\0';
}

static size_t count_sub(const char *text, const char *sub)
{
    size_t c = 0;
    for (const char *p = text; (p = strstr(p, sub)) != NULL; p += strlen(sub))
        c++;
    return c;
}

#define CHECK_OK(r, st)                                                                       \
    ck_assert_msg((st) == 0, "juxmem (cli%u) exit %d: %s%s", (r)->n, (st), (r)->err, (r)->out)

/* ---- the overlay ------------------------------------------------------------ */

/* A juxmemd listening on an ephemeral port, seeded with the rendezvous
 * once it is known; not waited for. */
static tproc_t *spawn_daemon(const char *name, const char *const *opts)
{
    const char *extra[24] = {"--listen", "tcp://127.0.0.1:0", "--lock-lease-ms", lease_ms};
    size_t n = 4;
    if (rdv_addr[0]) {
        extra[n++] = "--seed";
        extra[n++] = rdv_addr;
    }
    for (size_t i = 0; opts[i]; i++)
        extra[n++] = opts[i];
    extra[n] = NULL;
    tproc_t *p = tproc_peer(daemon_bin, workdir, name, extra);
    ck_assert_uint_lt(ndaemons, sizeof daemons / sizeof daemons[0]);
    daemons[ndaemons++] = p;
    return p;
}

/* The rendezvous first (its address seeds the others), then every manager
 * and provider at once; ready when each manager counts its providers. */
static void setup(void)
{
    passed = 0;
    ndaemons = 0;
    t_setup = tu_now_ms();
    rdv_addr[0] = '\0';
    tproc_workdir(workdir, sizeof workdir, "juxmem-multi");
    char line[512];
    const char *rdv_opts[] = {"--rdv", NULL};
    tproc_t *rdv = spawn_daemon("rdv", rdv_opts);
    ck_assert_msg(tproc_wait(rdv, "READY", 1, 15000, line, sizeof line), "rdv not ready");
    ck_assert(tproc_field(line, "listen", rdv_addr, sizeof rdv_addr));
    tproc_t *mgr[NCLUSTERS];
    for (int c = 0; c < NCLUSTERS; c++) {
        char cname[8], name[32];
        snprintf(cname, sizeof cname, "c%d", c);
        snprintf(name, sizeof name, "mgr-%s", cname);
        const char *mopts[] = {"--manager", "--cluster", cname, NULL};
        mgr[c] = spawn_daemon(name, mopts);
        for (int k = 0; k < NPROVIDERS; k++) {
            snprintf(name, sizeof name, "prov-%s-%d", cname, k);
            const char *popts[] = {"--provider", PROVIDE, "--cluster", cname, NULL};
            providers[c * NPROVIDERS + k] = spawn_daemon(name, popts);
        }
    }
    for (size_t i = 1; i < ndaemons; i++)
        ck_assert_msg(tproc_wait(daemons[i], "READY", 1, 15000, NULL, 0), "%s not ready",
                      tproc_name(daemons[i]));
    for (int c = 0; c < NCLUSTERS; c++) {
        char want[64];
        snprintf(want, sizeof want, "MANAGER cluster=c%d providers=%d", c, NPROVIDERS);
        ck_assert_msg(tproc_wait(mgr[c], want, 1, 20000, NULL, 0), "manager c%d: no '%s'", c,
                      want);
    }
    t_ready = tu_now_ms();
}

static void setup_short_lease(void)
{
    lease_ms = SHORT_LEASE_MS;
    setup();
}

static void setup_long_lease(void)
{
    lease_ms = LONG_LEASE_MS;
    setup();
}

static void kill_runs(void)
{
    for (size_t i = 0; i < nrun_pids; i++) {
        int st;
        kill(run_pids[i], SIGKILL);
        waitpid(run_pids[i], &st, 0);
    }
    nrun_pids = 0;
}

/* The end of a passing test: every daemon stops cleanly on SIGTERM (exit 0,
 * a STOP line) and its log holds no sanitizer report. */
static void stop_overlay(void)
{
    for (size_t i = 0; i < ndaemons; i++)
        tproc_signal(daemons[i], SIGTERM);
    for (size_t i = 0; i < ndaemons; i++) {
        int st = tproc_reap(daemons[i], 10000);
        ck_assert_msg(st == 0, "%s exit %d", tproc_name(daemons[i]), st);
        ck_assert_uint_eq(tproc_count(daemons[i], "STOP reason=signal"), 1);
        char path[512];
        snprintf(path, sizeof path, "%s/%s.log", workdir, tproc_name(daemons[i]));
        char *log = slurp(path);
        int bad = sanitizer_report(log);
        free(log);
        ck_assert_msg(!bad, "sanitizer report in %s", path);
    }
    fprintf(stderr, "overlay ready in %llu ms, test ran %llu ms\n",
            (unsigned long long)(t_ready - t_setup), (unsigned long long)(tu_now_ms() - t_ready));
    passed = 1;
}

static void teardown(void)
{
    for (size_t i = 0; i < nbufs; i++)
        free(bufs[i]);
    nbufs = 0;
    kill_runs();
    tproc_cleanup();
    if (passed)
        tproc_workdir_remove(workdir);
    else if (workdir[0])
        fprintf(stderr, "test_juxmem: logs kept in %s\n", workdir);
}

/* Allocate; the first allocation of an overlay may come before the
 * cluster advertisements reach the rendezvous' index: ENOCLUSTER is retried
 * for a bounded time. */
static void alloc_block(const char *size, const char *clusters, const char *providers_each,
                        char *id, size_t cap)
{
    uint64_t end = tu_now_ms() + 20000;
    for (;;) {
        run_t r;
        int st = CLI(&r, "alloc", size, "--clusters", clusters, "--providers", providers_each);
        if (st == 0) {
            json_str(r.out, "id", id, cap);
            run_free(&r);
            return;
        }
        int retry = st == 1 && strstr(r.out, "\"code\":") &&
                    json_num(r.out, "code") == JUXMEM_ENOCLUSTER && tu_now_ms() < end;
        ck_assert_msg(retry, "alloc %s (%s x %s): exit %d: %s%s", size, clusters, providers_each,
                      st, r.err, r.out);
        run_free(&r);
        pause_ms(200);
    }
}

/* Bytes of a file written by `get -o`. */
static uint8_t *read_back(const char *path, size_t *len)
{
    return tu_read(path, len);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void write_words(const char *path, size_t size, uint64_t value)
{
    uint8_t *b = malloc(size);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < size; i++)
        b[i] = (uint8_t)(value >> (8 * (i % 8)));
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
    free(b);
}

static void write_fill(const char *path, size_t size, int byte)
{
    uint8_t *b = malloc(size);
    ck_assert_ptr_nonnull(b);
    memset(b, byte, size);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
    free(b);
}

/* ---- (a) eight concurrent counters ----------------------------------------- */

START_TEST(test_counter_eight_clients)
{
    enum { CLIENTS = 8 };
    unsigned long each = scaled(1000);
    char id[160], count[32];
    snprintf(count, sizeof count, "%lu", each);
    alloc_block("8", "2", "1", id, sizeof id);
    run_t r[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        run_start(&r[i], (const char *const[]){"incr", id, count, NULL});
    for (int i = 0; i < CLIENTS; i++) {
        int st = run_wait(&r[i], 150000);
        CHECK_OK(&r[i], st);
        ck_assert_int_eq(json_num(r[i].out, "count"), (long long)each);
        ck_assert_int_le(json_num(r[i].out, "value"), (long long)(CLIENTS * each));
        run_free(&r[i]);
    }
    run_t g;
    int st = CLI(&g, "get", id);
    CHECK_OK(&g, st);
    char hex[64];
    json_str(g.out, "hex", hex, sizeof hex);
    ck_assert_uint_eq(strlen(hex), 16);
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        b[i] = (uint8_t)v;
    }
    ck_assert_uint_eq(le64(b), CLIENTS * each);
    run_free(&g);
    /* and once more from one client: the counter goes on from there */
    st = CLI(&g, "incr", id, "1");
    CHECK_OK(&g, st);
    ck_assert_int_eq(json_num(g.out, "value"), (long long)(CLIENTS * each + 1));
    run_free(&g);
    stop_overlay();
}
END_TEST

/* ---- (b) readers never see a torn block -------------------------------------- */

START_TEST(test_no_torn_reads)
{
    enum { WRITERS = 2, READERS = 3, SIZE = 16384 };
    unsigned rounds = (unsigned)scaled(10);
    char id[160];
    alloc_block("16k", "2", "1", id, sizeof id);
    run_t lane[WRITERS + READERS];
    unsigned done[WRITERS + READERS] = {0};
    int running[WRITERS + READERS] = {0};
    unsigned reads_seen_written = 0;
    uint64_t end = tu_now_ms() + 150000;
    for (;;) {
        int busy = 0;
        for (int i = 0; i < WRITERS + READERS; i++) {
            char path[512];
            if (!running[i] && done[i] < rounds) {
                if (i < WRITERS) {
                    /* writer i, round k: every word (i+1) << 32 | (k+1) */
                    snprintf(path, sizeof path, "%s/w%d-%u.bin", workdir, i, done[i]);
                    write_words(path, SIZE, (uint64_t)(i + 1) << 32 | (done[i] + 1));
                    run_start(&lane[i], (const char *const[]){"put", id, path, NULL});
                } else {
                    snprintf(path, sizeof path, "%s/r%d-%u.bin", workdir, i, done[i]);
                    run_start(&lane[i], (const char *const[]){"get", id, "-o", path, NULL});
                }
                running[i] = 1;
            }
            if (running[i] && run_poll(&lane[i])) {
                CHECK_OK(&lane[i], lane[i].status);
                if (i >= WRITERS) {
                    snprintf(path, sizeof path, "%s/r%d-%u.bin", workdir, i, done[i]);
                    size_t len;
                    uint8_t *b = read_back(path, &len);
                    ck_assert_uint_eq(len, SIZE);
                    uint64_t v = le64(b);
                    for (size_t w = 8; w < SIZE; w += 8)
                        ck_assert_msg(le64(b + w) == v,
                                      "torn read %s: word 0 = %016llx, word %zu = %016llx", path,
                                      (unsigned long long)v, w / 8,
                                      (unsigned long long)le64(b + w));
                    /* 0 (never written yet) or one writer's round */
                    ck_assert(v == 0 || ((v >> 32) >= 1 && (v >> 32) <= WRITERS &&
                                         (v & 0xffffffffu) >= 1 && (v & 0xffffffffu) <= rounds));
                    reads_seen_written += v != 0;
                    free(b);
                }
                run_free(&lane[i]);
                running[i] = 0;
                done[i]++;
            }
            busy |= running[i] || done[i] < rounds;
        }
        if (!busy)
            break;
        ck_assert_msg(tu_now_ms() < end, "torn-read test did not finish in time");
        pause_ms(5);
    }
    /* after the writers: one last read is a final round of a writer */
    run_t g;
    char path[512];
    snprintf(path, sizeof path, "%s/final.bin", workdir);
    int st = CLI(&g, "get", id, "-o", path);
    CHECK_OK(&g, st);
    size_t len;
    uint8_t *b = read_back(path, &len);
    ck_assert_uint_eq(len, SIZE);
    ck_assert_uint_eq(le64(b) & 0xffffffffu, rounds);
    free(b);
    run_free(&g);
    fprintf(stderr, "torn reads: %u of %u reads saw written data\n", reads_seen_written,
            READERS * rounds);
    stop_overlay();
}
END_TEST

/* ---- (c) copies on two clusters ---------------------------------------------- */

START_TEST(test_two_clusters)
{
    char id[160];
    alloc_block("64k", "2", "2", id, sizeof id);
    run_t r;
    int st = CLI(&r, "stat", id);
    CHECK_OK(&r, st);
    ck_assert_int_eq(json_num(r.out, "size"), 65536);
    ck_assert_int_eq(json_num(r.out, "clusters"), 2);
    ck_assert_int_eq(json_num(r.out, "providers"), 2);
    ck_assert_int_eq(json_num(r.out, "copy_clusters"), 2);
    ck_assert_int_eq(json_num(r.out, "requested"), 4);
    ck_assert_int_eq(json_num(r.out, "epoch"), 1);
    ck_assert_ptr_nonnull(strstr(r.out, "\"available\":true"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"repairing\":false"));
    ck_assert_uint_eq(count_sub(r.out, "\"cluster\":\"c0\""), 2);
    ck_assert_uint_eq(count_sub(r.out, "\"cluster\":\"c1\""), 2);
    run_free(&r);
    /* what the overlay advertises: both clusters, their four providers with
     * their memory, the block */
    st = CLI(&r, "ls", "clusters");
    CHECK_OK(&r, st);
    ck_assert_msg(strstr(r.out, "\"name\":\"c0\"") && strstr(r.out, "\"name\":\"c1\""), "%s",
                  r.out);
    ck_assert_int_eq(json_num(strstr(r.out, "\"ok\":true"), "count"), NCLUSTERS);
    run_free(&r);
    st = CLI(&r, "ls", "providers");
    CHECK_OK(&r, st);
    ck_assert_int_eq(json_num(strstr(r.out, "\"ok\":true"), "count"), NCLUSTERS * NPROVIDERS);
    ck_assert_uint_eq(count_sub(r.out, "\"offered\":1048576,\"free\":"), NCLUSTERS * NPROVIDERS);
    run_free(&r);
    st = CLI(&r, "ls", "data");
    CHECK_OK(&r, st);
    ck_assert_msg(strstr(r.out, id), "block not listed: %s", r.out);
    run_free(&r);
    /* each of the four providers holds one copy (2 per cluster, 2 providers each) */
    char want[256];
    snprintf(want, sizeof want, "COPY added data=%s", id);
    for (size_t i = 0; i < NCLUSTERS * NPROVIDERS; i++)
        ck_assert_msg(tproc_wait(providers[i], want, 1, 5000, NULL, 0), "%s holds no copy",
                      tproc_name(providers[i]));
    /* a write through one client is read back by another */
    char path[512];
    snprintf(path, sizeof path, "%s/hello.txt", workdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("hello juxmem", f);
    fclose(f);
    st = CLI(&r, "put", id, path, "--offset", "1000");
    CHECK_OK(&r, st);
    run_free(&r);
    st = CLI(&r, "get", id, "--offset", "1000", "--length", "12");
    CHECK_OK(&r, st);
    char hex[64];
    json_str(r.out, "hex", hex, sizeof hex);
    ck_assert_str_eq(hex, "68656c6c6f206a75786d656d");
    run_free(&r);
    /* freed: every copy goes */
    st = CLI(&r, "free", id);
    CHECK_OK(&r, st);
    run_free(&r);
    snprintf(want, sizeof want, "COPY freed data=%s", id);
    for (size_t i = 0; i < NCLUSTERS * NPROVIDERS; i++)
        ck_assert_msg(tproc_wait(providers[i], want, 1, 10000, NULL, 0), "%s kept its copy",
                      tproc_name(providers[i]));
    stop_overlay();
}
END_TEST

/* ---- (d) errors ---------------------------------------------------------------- */

static void expect_error(run_t *r, int st, int code, const char *what)
{
    ck_assert_msg(st == 1, "%s: exit %d, want 1: %s%s", what, st, r->err, r->out);
    ck_assert_msg(json_num(r->out, "code") == code, "%s: code %lld, want %d: %s", what,
                  json_num(r->out, "code"), code, r->out);
    char msg[256];
    json_str(r->out, "error", msg, sizeof msg);
    ck_assert_msg(msg[0] && strstr(r->err, msg), "%s: stderr lacks '%s': %s", what, msg, r->err);
}

START_TEST(test_errors)
{
    run_t r;
    /* usage errors: exit 2 before any network work */
    int st2 = CLI(&r, "frobnicate", "x");
    ck_assert_msg(st2 == 2 && strstr(r.err, "unknown command"), "exit %d: %s", st2, r.err);
    run_free(&r);
    st2 = CLI(&r, "get", "not-an-id");
    ck_assert_msg(st2 == 2 && strstr(r.err, "not a data ID"), "exit %d: %s", st2, r.err);
    run_free(&r);
    st2 = CLI(&r, "alloc", "1k", "--hold-ms", "5");
    ck_assert_msg(st2 == 2 && strstr(r.err, "belong to 'lock'"), "exit %d: %s", st2, r.err);
    run_free(&r);
    /* larger than any provider (each offers 1 MiB) */
    uint64_t end = tu_now_ms() + 20000;
    int st;
    for (;;) {
        st = CLI(&r, "alloc", "2M", "--providers", "1");
        if (!(st == 1 && json_num(r.out, "code") == JUXMEM_ENOCLUSTER && tu_now_ms() < end))
            break;
        run_free(&r);
        pause_ms(200);
    }
    expect_error(&r, st, JUXMEM_ENOSPACE, "alloc 2M");
    ck_assert_msg(strstr(r.err, "memory"), "no not-enough-memory message: %s", r.err);
    run_free(&r);

    /* a fresh data ID nobody allocated */
    jxta_id_t jg, fresh;
    uint8_t seed[20];
    jxta_seed_from_text(seed, "juxmem");
    ck_assert_int_eq(jxta_id_group_from_seed(&jg, &jxta_id_net_group, seed, sizeof seed), 0);
    ck_assert_int_eq(jxta_id_new_group(&fresh, &jg), 0);
    jxta_id_text_t t;
    const char *fid = jxta_id_str(&fresh, &t);
    char cto[16];
    snprintf(cto, sizeof cto, "%d", 5000);
    st = CLI(&r, "--timeout", cto, "get", fid);
    expect_error(&r, st, JUXMEM_ENODATA, "get of an unknown ID");
    run_free(&r);

    /* double free */
    char id[160];
    alloc_block("4k", "1", "2", id, sizeof id);
    st = CLI(&r, "free", id);
    CHECK_OK(&r, st);
    run_free(&r);
    st = CLI(&r, "free", id);
    expect_error(&r, st, JUXMEM_EFREED, "second free");
    run_free(&r);

    /* lock time-out: one holder, another waits 1 s */
    alloc_block("4k", "1", "2", id, sizeof id);
    char home[512];
    snprintf(home, sizeof home, "%s/holder", workdir);
    const char *hold[] = {cli_bin, "--home", home, "--seed", rdv_addr, "lock", id, "--hold-ms",
                          "10000", NULL};
    tproc_t *h = tproc_spawn("holder", workdir, hold);
    ck_assert_msg(tproc_wait(h, "HOLDING", 1, STEP_MS, NULL, 0), "holder never held the lock");
    uint64_t t0 = tu_now_ms();
    st = CLI(&r, "--timeout", "1000", "lock", id, "--hold-ms", "0");
    uint64_t took = tu_now_ms() - t0;
    expect_error(&r, st, JUXMEM_ELOCKTIMEOUT, "contended lock");
    ck_assert_msg(took < 8000, "lock time-out took %llu ms", (unsigned long long)took);
    run_free(&r);
    /* a reader waits too (exclusive holder) */
    st = CLI(&r, "--timeout", "1000", "lock", id, "--read", "--hold-ms", "0");
    expect_error(&r, st, JUXMEM_ELOCKTIMEOUT, "contended read lock");
    run_free(&r);
    /* the holder releases cleanly when told to stop */
    tproc_signal(h, SIGTERM);
    ck_assert_int_eq(tproc_reap(h, 10000), 0);
    ck_assert_uint_eq(tproc_count(h, "RELEASED"), 1);
    st = CLI(&r, "--timeout", "5000", "lock", id, "--hold-ms", "0");
    CHECK_OK(&r, st);
    run_free(&r);
    stop_overlay();
}
END_TEST

/* ---- (e) leases ---------------------------------------------------------------- */

START_TEST(test_dead_holder_loses_lock)
{
    enum { SIZE = 8192 };
    char id[160], path[512], home[512];
    alloc_block("8k", "2", "1", id, sizeof id);
    run_t r;
    snprintf(path, sizeof path, "%s/ones.bin", workdir);
    write_fill(path, SIZE, 0x11);
    int st = CLI(&r, "put", id, path);
    CHECK_OK(&r, st);
    run_free(&r);

    /* a live holder keeps its lock for 3 leases (renewed) and releases */
    st = CLI(&r, "lock", id, "--hold-ms", "6000");
    CHECK_OK(&r, st);
    ck_assert_msg(strstr(r.out, "\"released\":true"), "%s", r.out);
    run_free(&r);

    /* a holder that overwrote everything with 0xEE dies */
    snprintf(home, sizeof home, "%s/victim", workdir);
    const char *hold[] = {cli_bin, "--home", home, "--seed", rdv_addr, "lock", id,
                          "--write-pattern", "0xEE", NULL};
    tproc_t *h = tproc_spawn("victim", workdir, hold);
    ck_assert_msg(tproc_wait(h, "HOLDING", 1, STEP_MS, NULL, 0), "victim never held the lock");
    tproc_signal(h, SIGKILL);
    ck_assert_int_eq(tproc_reap(h, 5000), 128 + SIGKILL);

    /* the next client gets the lock once the lease ends; no 0xEE anywhere */
    uint64_t t0 = tu_now_ms();
    snprintf(path, sizeof path, "%s/after.bin", workdir);
    st = CLI(&r, "--timeout", "15000", "get", id, "-o", path);
    CHECK_OK(&r, st);
    fprintf(stderr, "dead holder: next lock after %llu ms\n",
            (unsigned long long)(tu_now_ms() - t0));
    run_free(&r);
    size_t len;
    uint8_t *b = read_back(path, &len);
    ck_assert_uint_eq(len, SIZE);
    for (size_t i = 0; i < SIZE; i++)
        ck_assert_msg(b[i] == 0x11, "byte %zu is 0x%02x after the holder died", i, b[i]);
    free(b);
    /* writes go on */
    st = CLI(&r, "incr", id, "3");
    CHECK_OK(&r, st);
    ck_assert_int_eq(json_num(r.out, "value"), 0x1111111111111111ll + 3);
    run_free(&r);
    st = CLI(&r, "stat", id);
    CHECK_OK(&r, st);
    ck_assert_msg(strstr(r.out, "\"lock\":\"free\""), "%s", r.out);
    run_free(&r);
    stop_overlay();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("juxmem (multi-process)");
    TCase *tc = tcase_create("overlay");
    tcase_add_checked_fixture(tc, setup_short_lease, teardown);
    tcase_add_test(tc, test_counter_eight_clients);
    tcase_add_test(tc, test_no_torn_reads);
    tcase_add_test(tc, test_two_clusters);
    tcase_add_test(tc, test_dead_holder_loses_lock);
    suite_add_tcase(s, tc);
    TCase *tl = tcase_create("long lease");
    tcase_add_checked_fixture(tl, setup_long_lease, teardown);
    tcase_add_test(tl, test_errors);
    suite_add_tcase(s, tl);
    SRunner *sr = srunner_create(s);
    /* No fork: a failed assertion returns to the runner, which then runs the
     * teardown (stopping every process by its PID); with fork, check ends
     * the child at once and the daemons would outlive the test. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
