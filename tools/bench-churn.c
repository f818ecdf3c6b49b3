/* bench-churn - what provider churn costs JuxMem, and whether the data stays
 * correct through it.
 *
 * The overlay is made of real juxmemd processes on 127.0.0.1 (started and
 * killed by PID, their event lines read from their stdout): a rendezvous,
 * one manager per cluster and PROVIDERS providers spread over the
 * clusters.  This process opens an in-process JuxMem client, allocates one
 * SIZE-byte block on CLUSTERS clusters x COPIES providers and runs a
 * lock-put-unlock loop: acquire, read the 64-bit value kept at the start
 * (and its copy at the end: a torn block shows as a mismatch), write a new
 * unique value plus SIZE bytes of payload, release.  Every operation is
 * recorded in a history (tools/history.h) with its outcome.
 *
 * Phase 1 runs DURATION seconds without churn (the baseline); phase 2 runs
 * as long with churn: every PERIOD seconds a provider holding a copy (from
 * the daemons' own event lines: COPY added / COPY freed, matched to a
 * process by its READY peer=<id> line) is killed with SIGKILL and a fresh
 * provider is started, so the pool keeps its size.  A kill counts as
 * repaired when the sequencer reported the killed copy lost (COPY-LOST)
 * and then the degree restored (REPAIRED ... copies=N, N the requested
 * degree).  The client under test is never asked anything else (no
 * juxmem_stat polling on its loop while it is measured), so the overhead
 * is what churn costs it, not what watching the churn costs.
 *
 * Outputs: OUT-ops.csv (every operation: time, latency, phase, outcome,
 * kills and repairs so far), OUT-history.csv (the history, for
 * re-checking), OUT.svg (latency over time, kills as vertical lines), a
 * progress line on stderr and a summary on stdout; exit 1 when the
 * history checker finds a violation.  Every process started is stopped by
 * its PID at exit, on error, and on SIGINT/SIGTERM/time-out. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>

#include "bench.h"
#include "cli.h"
#include "history.h"
#include "juxmem.h"

static const char *prog = "bench-churn";

#define MAX_PROCS 1024
#define MAX_CLUSTERS 8
#define CLIENT_ID 1

static void usage(FILE *out)
{
    fprintf(out,
        "usage: bench-churn [options]\n"
        "\n"
        "Measure JuxMem lock-put-unlock (acquire, read the value, write a new value and\n"
        "SIZE bytes, release) while providers come and go.  juxmemd processes on\n"
        "127.0.0.1: a rendezvous, a manager per cluster and PROVIDERS providers; an\n"
        "in-process client allocates one block on CLUSTERS x COPIES providers.  Phase 1:\n"
        "DURATION s without churn; phase 2: DURATION s in which every PERIOD s a provider\n"
        "holding a copy is killed (SIGKILL) and a new one started; the two alternate in\n"
        "ROUNDS rounds, baseline first in odd rounds and churn first in even ones (a\n"
        "drift of the machine's speed then weighs on both alike), each churn phase\n"
        "followed by its repairs before any baseline.  Every operation is\n"
        "recorded and the history checked (no acknowledged write lost, every read\n"
        "current, no value out of nowhere).\n"
        "\n"
        "  --providers N        providers in all, spread over the clusters (default 16)\n"
        "  --clusters N         clusters, each with one manager, 1..%d (default 1)\n"
        "  --copies N           copies per cluster (default 3)\n"
        "  --duration S         seconds of each phase, all rounds together (default 30)\n"
        "  --rounds N           rounds of baseline then churn, 1..100 (default 3)\n"
        "  --warmup S           seconds of the loop before the first round, recorded in\n"
        "                       the history but not measured (the overlay settles after\n"
        "                       start-up; default 10)\n"
        "  --period T           seconds between kills in phase 2, e.g. 5 or 0.5 (default 5)\n"
        "  --size BYTES         block size and bytes written each time, 16..1048576\n"
        "                       (default 4096)\n"
        "  --lease-ms N         lock lease of the daemons (default 10000)\n"
        "  --wait-repair        a kill falls due only once the previous kills are\n"
        "                       repaired (the period then counts from that moment);\n"
        "                       default: kill on schedule, repaired or not\n"
        "  --victim WHICH       the copy holder killed: any (default), sequencer (the\n"
        "                       copy that printed the last SEQUENCER line) or other;\n"
        "                       or a cycle, e.g. other,sequencer (kill 1 other, kill 2\n"
        "                       the sequencer, kill 3 other...)\n"
        "  --restore-timeout S  a kill not repaired after S seconds counts as a failure\n"
        "                       to restore (default 60)\n"
        "  --out PREFIX         output files PREFIX-ops.csv, PREFIX-history.csv,\n"
        "                       PREFIX.svg (default bench-churn)\n"
        "  --juxmemd PATH       the daemon (default: juxmemd beside this program)\n"
        "  --seed N             random seed of the victims (default: from the time)\n"
        "  --keep               keep the work directory (daemon homes and logs, and\n"
        "                       events.log: every daemon event line and kill, timed)\n"
        "  --timeout SECS       give up (exit 1) if the whole run takes longer\n"
        "                       (default 2 x DURATION + WARMUP + 240)\n"
        "  --log-level L        library log of the client on stderr (default warn)\n"
        "  --daemon-log-level L the daemons' log level, in WORKDIR/NAME.log (default warn)\n"
        "  --fail-ms N          failure detection of every peer (juxmemd --fail-ms):\n"
        "                       a silent copy is dropped after N ms, a silent\n"
        "                       sequencer replaced after about 2N (default 2000)\n"
        "\n"
        "Targets printed alongside: overhead (1 - ops/s with churn / ops/s without)\n"
        "< 1%% at PERIOD >= 5 s, < 5%% at PERIOD >= 1 s.\n"
        "Exit status: 0 when the run completed and the history is correct (targets met\n"
        "or not), 1 on a violation, an error or a time-out, 2 on bad options.\n"
        "\n"
        "example:\n"
        "  bench-churn --duration 30 --period 1\n"
        "  make bench-churn BENCH_CHURN_ARGS='--period 1 --duration 20'\n",
        MAX_CLUSTERS);
}

/* ---- options -------------------------------------------------------------- */

typedef struct opts {
    uint64_t providers, clusters, copies, duration_s, size, lease_ms, restore_s, timeout_s;
    uint64_t fail_ms, rounds, warmup_s;
    uint64_t seed;
    double period_s;
    int keep, seeded, wait_repair;
    const char *out, *juxmemd, *log_level, *daemon_log_level, *victim;
} opts_t;

static int parse_period(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= 0.05 && d <= 3600)) {
        fprintf(stderr, "%s: --period needs seconds in 0.05..3600 (e.g. 5 or 0.5), not '%s'\n",
                prog, v);
        return -1;
    }
    *out = d;
    return 0;
}

/* The kind of the k-th kill (0-based) in a --victim cycle such as
 * "other,sequencer": 'a' (any), 's' (sequencer), 'o' (other); -1 if the
 * text is not such a cycle. */
static int victim_kind(const char *cycle, size_t k)
{
    static const char *const names[] = {"any", "sequencer", "other"};
    size_t n = 0;
    int kinds[64];
    for (const char *p = cycle;;) {
        size_t len = strcspn(p, ",");
        int kind = -1;
        for (size_t i = 0; i < 3; i++)
            if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0)
                kind = names[i][0];
        if (kind < 0 || n == 64)
            return -1;
        kinds[n++] = kind;
        if (!p[len])
            break;
        p += len + 1;
    }
    return kinds[k % n];
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.providers = 16, .clusters = 1, .copies = 3, .duration_s = 30, .rounds = 3,
                  .warmup_s = 10, .size = 4096,
                  .fail_ms = 2000,
                  .lease_ms = 10000, .restore_s = 60, .period_s = 5, .out = "bench-churn",
                  .victim = "any"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--keep") == 0 || strcmp(a, "--wait-repair") == 0) {
            if (a[2] == 'k')
                o->keep = 1;
            else
                o->wait_repair = 1;
            continue;
        }
        static const char *const takes[] = {"--providers", "--clusters", "--copies",
                                            "--duration", "--period", "--size", "--lease-ms",
                                            "--restore-timeout", "--out", "--juxmemd", "--seed",
                                            "--timeout", "--log-level", "--daemon-log-level",
                                            "--victim", "--fail-ms", "--rounds", "--warmup",
                                            NULL};
        int known = 0;
        for (size_t k = 0; takes[k]; k++)
            known |= strcmp(a, takes[k]) == 0;
        if (!known) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
            return -1;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "%s: %s needs a value\n", prog, a);
            return -1;
        }
        i++;
        int rc = 0;
        if (strcmp(a, "--providers") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 256, &o->providers);
        else if (strcmp(a, "--rounds") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 100, &o->rounds);
        else if (strcmp(a, "--warmup") == 0)
            rc = bench_parse_u64(prog, a, v, 0, 3600, &o->warmup_s);
        else if (strcmp(a, "--clusters") == 0)
            rc = bench_parse_u64(prog, a, v, 1, MAX_CLUSTERS, &o->clusters);
        else if (strcmp(a, "--copies") == 0)
            rc = bench_parse_u64(prog, a, v, 1, JUXMEM_MAX_COPIES, &o->copies);
        else if (strcmp(a, "--duration") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 86400, &o->duration_s);
        else if (strcmp(a, "--period") == 0)
            rc = parse_period(v, &o->period_s);
        else if (strcmp(a, "--size") == 0)
            rc = bench_parse_u64(prog, a, v, 16, 1u << 20, &o->size);
        else if (strcmp(a, "--lease-ms") == 0)
            rc = bench_parse_u64(prog, a, v, 100, 3600000, &o->lease_ms);
        else if (strcmp(a, "--restore-timeout") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 3600, &o->restore_s);
        else if (strcmp(a, "--seed") == 0) {
            rc = bench_parse_u64(prog, a, v, 0, UINT64_MAX, &o->seed);
            o->seeded = 1;
        } else if (strcmp(a, "--timeout") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 7 * 86400, &o->timeout_s);
        else if (strcmp(a, "--out") == 0)
            o->out = v;
        else if (strcmp(a, "--juxmemd") == 0)
            o->juxmemd = v;
        else if (strcmp(a, "--daemon-log-level") == 0)
            o->daemon_log_level = v;
        else if (strcmp(a, "--fail-ms") == 0)
            rc = bench_parse_u64(prog, a, v, 100, 600000, &o->fail_ms);
        else if (strcmp(a, "--victim") == 0) {
            if (victim_kind(v, 0) < 0) {
                fprintf(stderr,
                        "%s: --victim wants any, sequencer or other, or a comma-separated "
                        "cycle of them (e.g. other,sequencer), not '%s'\n",
                        prog, v);
                return -1;
            }
            o->victim = v;
        }
        else
            o->log_level = v;
        if (rc < 0)
            return -1;
    }
    if (o->providers < o->clusters * o->copies + 1) {
        fprintf(stderr,
                "%s: %llu providers are too few for %llu cluster(s) x %llu copies with one "
                "spare for the repairs\n",
                prog, (unsigned long long)o->providers, (unsigned long long)o->clusters,
                (unsigned long long)o->copies);
        return -1;
    }
    if (o->clusters * o->copies > JUXMEM_MAX_COPIES) {
        fprintf(stderr, "%s: at most %d copies in all\n", prog, JUXMEM_MAX_COPIES);
        return -1;
    }
    if (o->timeout_s == 0)
        o->timeout_s = 2 * o->duration_s + o->warmup_s + 240;
    return 0;
}

/* ---- the daemons -----------------------------------------------------------
 * Each juxmemd runs with its stdout on a pipe read by the monitor thread
 * (event lines) and its stderr in WORKDIR/NAME.log.  procs[] is guarded by
 * mu; the PIDs are also kept in sig_pids[] for the signal handler. */

typedef struct dproc {
    char name[32];
    pid_t pid; /* 0 once reaped */
    int fd;    /* stdout pipe, -1 at EOF */
    int provider, killed, ready;
    int sequencer; /* its last SEQUENCER line (any block: the run has one) */
    int holder;    /* holds a copy: COPY added, and no COPY freed since */
    unsigned cluster;
    char peer[JXTA_ID_TEXT_MAX];
    char listen[128];
    char partial[1024];
    size_t plen;
} dproc_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static dproc_t procs[MAX_PROCS];
static size_t nprocs;
static volatile pid_t sig_pids[MAX_PROCS];
static unsigned manager_providers[MAX_CLUSTERS]; /* from MANAGER lines */
static unsigned ev_copy_added, ev_copy_lost;
static char workdir[128];
static int keep_workdir;
static volatile const char *phase = "start-up";
static const char *juxmemd_bin;
static const char *daemon_log_level = "warn";
static char fail_ms_text[24] = "2000";

static uint64_t now_us(void)
{
    return bench_now_ns() / 1000;
}

/* Every child, by PID: SIGKILL (async-signal-safe; used by the handler). */
static void kill_all_now(void)
{
    for (size_t i = 0; i < MAX_PROCS; i++)
        if (sig_pids[i] > 0)
            kill(sig_pids[i], SIGKILL);
}

static void on_signal(int sig)
{
    kill_all_now();
    for (size_t i = 0; i < MAX_PROCS; i++) /* reap them: nobody else would */
        if (sig_pids[i] > 0)
            waitpid(sig_pids[i], NULL, 0);
    const char *p = (const char *)phase;
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     sig == SIGALRM ? "\n%s: overall time-out (--timeout) exceeded during %s; "
                                      "daemons killed, work directory %s kept\n"
                                    : "\n%s: interrupted during %s; daemons killed, work "
                                      "directory %s kept\n",
                     prog, p, workdir);
    if (n > 0 && write(2, msg, (size_t)n) < 0)
        _exit(1);
    _exit(sig == SIGALRM ? 1 : 130);
}

/* atexit: SIGTERM to every daemon still running, SIGKILL after 3 s, reap
 * them all by PID; then the work directory goes unless kept. */
static void stop_all(void)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i].pid > 0)
            kill(procs[i].pid, SIGTERM);
    uint64_t end = now_us() + 3000000;
    for (size_t i = 0; i < nprocs; i++) {
        while (procs[i].pid > 0) {
            int st;
            pid_t r = waitpid(procs[i].pid, &st, WNOHANG);
            if (r == procs[i].pid || (r < 0 && errno == ECHILD)) {
                procs[i].pid = 0;
                sig_pids[i] = 0;
                break;
            }
            if (now_us() >= end) {
                kill(procs[i].pid, SIGKILL);
                waitpid(procs[i].pid, &st, 0);
                procs[i].pid = 0;
                sig_pids[i] = 0;
                break;
            }
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    pthread_mutex_unlock(&mu);
    if (workdir[0] && !keep_workdir &&
        bench_remove_tree(workdir) < 0)
        fprintf(stderr, "%s: could not remove %s\n", prog, workdir);
    else if (workdir[0] && keep_workdir)
        fprintf(stderr, "%s: work directory (homes, daemon logs) kept in %s\n", prog, workdir);
}

/* Start a juxmemd named `name` with `extra` options (NULL-terminated);
 * returns its index in procs[].  Not waited for. */
static size_t spawn_daemon(const char *name, const char *seed, const char *const *extra,
                           int provider, unsigned cluster)
{
    char home[256], log[256];
    snprintf(home, sizeof home, "%s/%s", workdir, name);
    snprintf(log, sizeof log, "%s/%s.log", workdir, name);
    const char *argv[32] = {juxmemd_bin, "--home", home, "--listen", "tcp://127.0.0.1:0",
                            "--log-level", daemon_log_level, "--fail-ms", fail_ms_text};
    size_t n = 9;
    if (seed) {
        argv[n++] = "--seed";
        argv[n++] = seed;
    }
    for (size_t i = 0; extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        cli_fail(1, prog, "pipe: %s", strerror(errno));
    pthread_mutex_lock(&mu);
    if (nprocs == MAX_PROCS) {
        pthread_mutex_unlock(&mu);
        cli_fail(1, prog, "more than %d daemons started", MAX_PROCS);
    }
    pid_t pid = fork();
    if (pid < 0) {
        pthread_mutex_unlock(&mu);
        cli_fail(1, prog, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (lfd < 0 || nul < 0)
            _exit(126);
        dup2(nul, 0);
        dup2(fds[1], 1);
        dup2(lfd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    size_t i = nprocs++;
    dproc_t *p = &procs[i];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->pid = pid;
    p->fd = fds[0];
    p->provider = provider;
    p->cluster = cluster;
    sig_pids[i] = pid;
    pthread_mutex_unlock(&mu);
    return i;
}

static void field(const char *line, const char *key, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *s = strstr(line, pat);
    out[0] = '\0';
    if (!s)
        return;
    s += strlen(pat);
    size_t n = strcspn(s, " ");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

typedef struct kill_rec kill_rec_t;
static kill_rec_t *kills;
static size_t nkills;
static uint64_t t_start_us;
static FILE *events; /* WORKDIR/events.log: every daemon line, timed */
static void note_copy_lost(const char *peer);
static void note_repaired(unsigned copies);

/* One event line of procs[i] (mu held). */
static void on_line(dproc_t *p, const char *line)
{
    if (events)
        fprintf(events, "%.3f %s %s\n", (double)(now_us() - t_start_us) / 1e6, p->name, line);
    if (strncmp(line, "READY ", 6) == 0) {
        field(line, "peer", p->peer, sizeof p->peer);
        field(line, "listen", p->listen, sizeof p->listen);
        p->ready = 1;
    } else if (strncmp(line, "SEQUENCER ", 10) == 0) {
        for (size_t i = 0; i < nprocs; i++)
            procs[i].sequencer = 0;
        p->sequencer = 1;
    } else if (strncmp(line, "COPY added", 10) == 0) {
        ev_copy_added++;
        p->holder = 1;
    } else if (strncmp(line, "COPY freed", 10) == 0) {
        p->holder = 0;
    } else if (strncmp(line, "REPAIRED ", 9) == 0) {
        char n[16];
        field(line, "copies", n, sizeof n);
        note_repaired((unsigned)strtoul(n, NULL, 10));
    } else if (strncmp(line, "COPY-LOST", 9) == 0) {
        char peer[JXTA_ID_TEXT_MAX];
        field(line, "peer", peer, sizeof peer);
        note_copy_lost(peer);
        ev_copy_lost++;
    } else if (strncmp(line, "MANAGER ", 8) == 0) {
        char name[64], k[32];
        field(line, "cluster", name, sizeof name);
        field(line, "providers", k, sizeof k);
        unsigned c;
        if (sscanf(name, "c%u", &c) == 1 && c < MAX_CLUSTERS)
            manager_providers[c] = (unsigned)strtoul(k, NULL, 10);
    }
    pthread_cond_broadcast(&cv);
}

static void drain(dproc_t *p)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(p->fd);
                p->fd = -1;
            }
            return;
        }
        for (ssize_t k = 0; k < n; k++) {
            if (buf[k] == '\n') {
                p->partial[p->plen] = '\0';
                on_line(p, p->partial);
                p->plen = 0;
            } else if (p->plen < sizeof p->partial - 1) {
                p->partial[p->plen++] = buf[k];
            }
        }
    }
}

static volatile int monitor_stop;

static void *monitor_main(void *arg)
{
    (void)arg;
    while (!monitor_stop) {
        struct pollfd pf[MAX_PROCS];
        size_t who[MAX_PROCS];
        nfds_t n = 0;
        pthread_mutex_lock(&mu);
        for (size_t i = 0; i < nprocs; i++)
            if (procs[i].fd >= 0) {
                pf[n].fd = procs[i].fd;
                pf[n].events = POLLIN;
                who[n++] = i;
            }
        pthread_mutex_unlock(&mu);
        int r = poll(pf, n, 100);
        if (r <= 0)
            continue;
        pthread_mutex_lock(&mu);
        for (nfds_t k = 0; k < n; k++)
            if (pf[k].revents && procs[who[k]].fd == pf[k].fd)
                drain(&procs[who[k]]);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void deadline_in(struct timespec *ts, uint64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Wait (bounded) until procs[i] printed READY; fails the run otherwise. */
static void wait_ready(size_t i, uint64_t ms)
{
    struct timespec ts;
    deadline_in(&ts, ms);
    pthread_mutex_lock(&mu);
    while (!procs[i].ready && procs[i].fd >= 0)
        if (pthread_cond_timedwait(&cv, &mu, &ts) == ETIMEDOUT)
            break;
    int ok = procs[i].ready;
    char name[32];
    snprintf(name, sizeof name, "%s", procs[i].name);
    pthread_mutex_unlock(&mu);
    if (!ok)
        cli_fail(1, prog, "%s printed no READY line within %llu ms (see %s/%s.log)", name,
                 (unsigned long long)ms, workdir, name);
}

static void wait_managers(unsigned clusters, const unsigned *want, uint64_t ms)
{
    struct timespec ts;
    deadline_in(&ts, ms);
    pthread_mutex_lock(&mu);
    for (;;) {
        unsigned c = 0;
        while (c < clusters && manager_providers[c] >= want[c])
            c++;
        if (c == clusters)
            break;
        if (pthread_cond_timedwait(&cv, &mu, &ts) == ETIMEDOUT) {
            unsigned have = manager_providers[c];
            pthread_mutex_unlock(&mu);
            cli_fail(1, prog, "manager of c%u counts %u of its %u providers after %llu ms", c,
                     have, want[c], (unsigned long long)ms);
        }
    }
    pthread_mutex_unlock(&mu);
}

/* ---- the churn thread ---------------------------------------------------------- */

struct kill_rec {
    uint64_t t_us;       /* since the start of the run */
    uint64_t restored_us; /* 0 while the degree is not restored */
    uint64_t lost_us;     /* first COPY-LOST line naming the peer, 0 before */
    char victim[32];
    char peer[JXTA_ID_TEXT_MAX];
};

static size_t kills_cap, nrepairs;
static unsigned next_provider;

/* mu held */
static void note_copy_lost(const char *peer)
{
    for (size_t i = 0; i < nkills; i++)
        if (!kills[i].lost_us && strcmp(kills[i].peer, peer) == 0)
            kills[i].lost_us = now_us() - t_start_us;
}

static unsigned degree_wanted; /* clusters x copies */

/* The degree is back (mu held): every kill whose loss was reported is
 * repaired. */
static void note_repaired(unsigned copies)
{
    if (copies < degree_wanted)
        return;
    for (size_t i = 0; i < nkills; i++)
        if (kills[i].lost_us && !kills[i].restored_us) {
            kills[i].restored_us = now_us() - t_start_us;
            nrepairs++;
        }
}
static juxmem_t *client;
static jxta_id_t block_id;
static opts_t opt;
static unsigned prov_per_cluster[MAX_CLUSTERS];
static volatile int churn_stop;
static unsigned skipped_kills;
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void start_provider(unsigned cluster, const char *rdv)
{
    char name[32], cname[16], provide[32];
    snprintf(name, sizeof name, "prov-%u", next_provider++);
    snprintf(cname, sizeof cname, "c%u", cluster);
    uint64_t bytes = opt.size * 64 > (16u << 20) ? opt.size * 64 : (16u << 20);
    snprintf(provide, sizeof provide, "%llu", (unsigned long long)bytes);
    char lease[24];
    snprintf(lease, sizeof lease, "%llu", (unsigned long long)opt.lease_ms);
    const char *extra[] = {"--provider", provide, "--cluster", cname, "--lock-lease-ms", lease,
                           NULL};
    spawn_daemon(name, rdv, extra, 1, cluster);
}

static char rdv_addr[128];

/* Kill a provider holding a copy (per juxmem_stat) and start a new one in
 * its cluster. */
static void churn_kill(void)
{
    size_t cand[MAX_PROCS], nc = 0;
    pthread_mutex_lock(&mu);
    int kind = victim_kind(opt.victim, nkills);
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i].provider && procs[i].holder && !procs[i].killed && procs[i].pid > 0 &&
            (kind == 'a' || (kind == 's') == procs[i].sequencer))
            cand[nc++] = i;
    if (nc == 0) {
        pthread_mutex_unlock(&mu);
        skipped_kills++;
        return;
    }
    size_t v = cand[rng_next() % nc];
    dproc_t *p = &procs[v];
    kill(p->pid, SIGKILL);
    int status;
    waitpid(p->pid, &status, 0);
    p->pid = 0;
    sig_pids[v] = 0;
    p->killed = 1;
    unsigned cluster = p->cluster;
    if (nkills == kills_cap) {
        kills_cap = kills_cap ? kills_cap * 2 : 64;
        kill_rec_t *k = realloc(kills, kills_cap * sizeof *k);
        if (!k) {
            pthread_mutex_unlock(&mu);
            cli_fail(1, prog, "out of memory");
        }
        kills = k;
    }
    kill_rec_t *k = &kills[nkills++];
    memset(k, 0, sizeof *k);
    k->t_us = now_us() - t_start_us;
    snprintf(k->victim, sizeof k->victim, "%s", p->name);
    snprintf(k->peer, sizeof k->peer, "%s", p->peer);
    if (events)
        fprintf(events, "%.3f bench-churn KILL %s peer=%s\n", (double)k->t_us / 1e6, k->victim,
                k->peer);
    pthread_mutex_unlock(&mu);
    start_provider(cluster, rdv_addr);
}

/* 1 while some kill is not repaired yet. */
static int churn_pending(void)
{
    pthread_mutex_lock(&mu);
    size_t pending = 0;
    for (size_t i = 0; i < nkills; i++)
        pending += kills[i].restored_us == 0;
    pthread_mutex_unlock(&mu);
    return pending > 0;
}

static void sleep_until_us(uint64_t t)
{
    uint64_t n = now_us();
    if (t <= n)
        return;
    struct timespec ts = {(time_t)((t - n) / 1000000), (long)((t - n) % 1000000) * 1000L};
    nanosleep(&ts, NULL);
}

static void *churn_main(void *arg)
{
    (void)arg;
    uint64_t period = (uint64_t)(opt.period_s * 1e6);
    uint64_t next = now_us() + period;
    int pending = 0;
    while (!churn_stop) {
        uint64_t wake = now_us() + 100000;
        sleep_until_us(next < wake ? next : wake);
        if (churn_stop)
            break;
        if (now_us() >= next && !(opt.wait_repair && pending)) {
            int late = now_us() > next + 200000;
            churn_kill();
            next = late ? now_us() + period : next + period;
        }
        pending = churn_pending();
    }
    return NULL;
}

/* ---- the workload ------------------------------------------------------------ */

typedef struct oprec {
    uint64_t t_us, lat_us; /* t: start, since the start of the run */
    uint8_t phase;         /* 1 or 2 */
    uint8_t outcome;       /* jm_hist_outcome_t */
    int err;
    uint32_t kills, repairs;
} oprec_t;

static oprec_t *recs;
static size_t nrecs, recs_cap;
static jm_hist_t *hist;
static uint64_t write_counter;
static unsigned torn;
static char torn_msg[256];

static void record(const oprec_t *r)
{
    if (nrecs == recs_cap) {
        recs_cap = recs_cap ? recs_cap * 2 : 65536;
        oprec_t *n = realloc(recs, recs_cap * sizeof *n);
        if (!n)
            cli_fail(1, prog, "out of memory for %zu operation records", nrecs);
        recs = n;
    }
    recs[nrecs++] = *r;
}

/* One lock-put-unlock, recorded. */
static void one_op(uint8_t *buf, size_t size, int ph)
{
    jm_hist_op_t h = {.client = CLIENT_ID, .kind = JM_HIST_RMW};
    oprec_t r = {.phase = (uint8_t)ph};
    uint64_t t0 = now_us();
    h.start_us = t0 - t_start_us;
    int rc = juxmem_acquire(client, &block_id);
    if (rc < 0) {
        h.outcome = JM_HIST_FAIL;
    } else {
        uint8_t head[8], tail[8];
        rc = juxmem_read(client, &block_id, 0, head, 8);
        if (rc == 0)
            rc = juxmem_read(client, &block_id, size - 8, tail, 8);
        uint64_t w = (++write_counter << 8) | CLIENT_ID;
        if (rc == 0) {
            h.read = bench_get_be64(head);
            if (bench_get_be64(tail) != h.read && torn++ == 0)
                snprintf(torn_msg, sizeof torn_msg,
                         "torn block: value %llu at the start, %llu at the end",
                         (unsigned long long)h.read, (unsigned long long)bench_get_be64(tail));
            bench_put_be64(buf, w);
            bench_put_be64(buf + size - 8, w);
            rc = juxmem_write(client, &block_id, 0, buf, size);
        }
        if (rc < 0) {
            /* nothing written: the release only lets the lock go */
            juxmem_release(client, &block_id);
            h.outcome = JM_HIST_FAIL;
        } else {
            rc = juxmem_release(client, &block_id);
            h.outcome = rc == 0 ? JM_HIST_OK : JM_HIST_INDET;
            h.written = w;
        }
    }
    uint64_t t1 = now_us();
    h.end_us = t1 - t_start_us;
    if (jm_hist_add(hist, &h) < 0)
        cli_fail(1, prog, "out of memory for the history");
    r.t_us = h.start_us;
    r.lat_us = t1 - t0;
    r.outcome = (uint8_t)h.outcome;
    r.err = rc;
    pthread_mutex_lock(&mu);
    r.kills = (uint32_t)nkills;
    r.repairs = (uint32_t)nrepairs;
    pthread_mutex_unlock(&mu);
    record(&r);
    if (rc < 0) {
        /* a failed operation: do not spin on an error returned at once */
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int stderr_tty;

static void progress(int ph, uint64_t phase_start, uint64_t ops_start, int final)
{
    static uint64_t last;
    uint64_t n = now_us();
    uint64_t every = stderr_tty ? 500000 : 5000000;
    if (!final && n - last < every)
        return;
    last = n;
    double el = (double)(n - phase_start) / 1e6;
    size_t ops = nrecs - ops_start;
    pthread_mutex_lock(&mu);
    size_t k = nkills, rp = nrepairs;
    pthread_mutex_unlock(&mu);
    fprintf(stderr, "%sphase %d %s: %5.1f/%g s  %zu ops (%.0f/s)  kills %zu  repairs %zu%s",
            stderr_tty ? "\r" : "", ph, ph == 0 ? "(warm-up) " : ph == 1 ? "(no churn)" : "(churn)   ", el,
            ph == 0 ? (double)opt.warmup_s : (double)opt.duration_s / (double)opt.rounds, ops,
            el > 0 ? (double)ops / el : 0.0, k,
            rp, stderr_tty ? "   " : "\n");
    if (stderr_tty && final)
        fputc('\n', stderr);
}

static double phase_s[3]; /* measured length of phases 1 and 2 (all rounds) */
#define MAX_ROUNDS 100
static uint64_t churn_from_us[MAX_ROUNDS], churn_to_us[MAX_ROUNDS]; /* since the start */

static double round_ops_s[3][MAX_ROUNDS]; /* ops/s of each phase of each round */
static size_t round_now;

static void run_phase(int ph, uint8_t *buf, size_t size)
{
    phase = ph == 0 ? "warm-up" : ph == 1 ? "phase 1 (no churn)" : "phase 2 (churn)";
    uint64_t len = ph == 0 ? opt.warmup_s * 1000000 : opt.duration_s * 1000000 / opt.rounds;
    uint64_t start = now_us(), end = start + len;
    size_t first = nrecs;
    while (now_us() < end) {
        one_op(buf, size, ph);
        progress(ph, start, first, 0);
    }
    progress(ph, start, first, 1);
    double took = (double)(now_us() - start) / 1e6; /* an operation may end after the time */
    phase_s[ph] += took;
    size_t ok = 0;
    for (size_t i = first; i < nrecs; i++)
        ok += recs[i].outcome == JM_HIST_OK;
    if (round_now < MAX_ROUNDS)
        round_ops_s[ph][round_now] = took > 0 ? (double)ok / took : 0;
}

static const char *outcome_text(int o)
{
    return o == JM_HIST_OK ? "ok" : o == JM_HIST_FAIL ? "fail" : "indet";
}

/* Symbolic name of a JUXMEM_E* or JXTA_E* code, for the CSV. */
static const char *err_name(int rc)
{
    static const char *const jm[] = {"JUXMEM_ENOSPACE", "JUXMEM_ENODATA", "JUXMEM_ELOCKTIMEOUT",
                                     "JUXMEM_EUNREACH", "JUXMEM_ESTALE", "JUXMEM_ENOTLOCKED",
                                     "JUXMEM_EFREED", "JUXMEM_ERANGE", "JUXMEM_ENOCLUSTER",
                                     "JUXMEM_ENOQUORUM"};
    if (rc >= 0)
        return "";
    if (rc <= -200 && rc > -200 - (int)(sizeof jm / sizeof jm[0]))
        return jm[-200 - rc];
    return jxta_errname(rc);
}

/* ---- results ------------------------------------------------------------------ */

typedef struct phase_stats {
    size_t ok, fail, indet;
    double ops_s, med_ms, p99_ms, max_ms;
} phase_stats_t;

static void phase_stats(int ph, phase_stats_t *s)
{
    memset(s, 0, sizeof *s);
    double *lat = malloc((nrecs ? nrecs : 1) * sizeof *lat);
    if (!lat)
        cli_fail(1, prog, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < nrecs; i++) {
        if (recs[i].phase != ph)
            continue;
        lat[n++] = (double)recs[i].lat_us / 1000.0;
        if (recs[i].outcome == JM_HIST_OK) {
            s->ok++;
        } else if (recs[i].outcome == JM_HIST_FAIL) {
            s->fail++;
        } else {
            s->indet++;
        }
    }
    qsort(lat, n, sizeof *lat, bench_cmp_double);
    s->ops_s = phase_s[ph] > 0 ? (double)s->ok / phase_s[ph] : 0;
    if (n) {
        s->med_ms = bench_percentile(lat, n, 0.5);
        s->p99_ms = bench_percentile(lat, n, 0.99);
        s->max_ms = lat[n - 1];
    }
    free(lat);
}


static void write_ops_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        cli_fail(1, prog, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "t_ms,latency_us,phase,outcome,error,kills,repairs\n");
    for (size_t i = 0; i < nrecs; i++) {
        const oprec_t *r = &recs[i];
        fprintf(f, "%.3f,%llu,%s,%s,%s,%u,%u\n", (double)r->t_us / 1000.0,
                (unsigned long long)r->lat_us,
                r->phase == 0 ? "warmup" : r->phase == 1 ? "baseline" : "churn",
                outcome_text(r->outcome), err_name(r->err), r->kills,
                r->repairs);
    }
    if (fclose(f) != 0)
        cli_fail(1, prog, "cannot write %s", path);
}

/* Latency over time: per pixel column the range (min..max) of the ok
 * operations as a grey bar and their median as a dot; failed/indeterminate
 * operations as red crosses at the top; kills as red vertical lines, the
 * phase boundary as a dashed one.  Log scale in ms. */
static void write_svg(const char *path, uint64_t end_us)
{
    enum { W = 1000, H = 420, L = 60, R = 20, T = 30, B = 50 };
    const int pw = W - L - R, ph = H - T - B;
    FILE *f = fopen(path, "w");
    if (!f)
        cli_fail(1, prog, "cannot write %s: %s", path, strerror(errno));
    double lo = 1e9, hi = 0;
    for (size_t i = 0; i < nrecs; i++) {
        double ms = (double)recs[i].lat_us / 1000.0;
        lo = ms < lo ? ms : lo;
        hi = ms > hi ? ms : hi;
    }
    if (hi <= 0) {
        lo = 0.1;
        hi = 1;
    }
    double ylo = pow(10, floor(log10(lo > 0.01 ? lo : 0.01)));
    double yhi = pow(10, ceil(log10(hi > ylo * 10 ? hi : ylo * 10)));
    double xmax = (double)(end_us ? end_us : 1);
#define X(t) (L + (double)(t) / xmax * pw)
#define Y(ms) (T + ph - (log10((ms) > ylo ? (ms) : ylo) - log10(ylo)) / (log10(yhi) - log10(ylo)) * ph)
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"11\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"%d\" y=\"18\" font-size=\"13\">JuxMem lock-put-unlock latency, %llu B, "
            "%llu copies, kill every %g s in phase 2 (red lines: kills)</text>\n",
            W, H, L, (unsigned long long)opt.size,
            (unsigned long long)(opt.clusters * opt.copies), opt.period_s);
    /* axes and grid */
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
               "stroke=\"black\"/>\n", L, T, pw, ph);
    for (double d = ylo; d <= yhi * 1.001; d *= 10) {
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g ms</text>\n",
                L, L + pw, Y(d), Y(d), L - 4, Y(d) + 4, d);
    }
    double span_s = xmax / 1e6;
    double step = span_s > 120 ? 30 : span_s > 40 ? 10 : span_s > 10 ? 5 : 1;
    for (double s = 0; s <= span_s; s += step)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g s</text>\n", X(s * 1e6),
                T + ph + 15, s);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since start</text>\n",
            L + pw / 2, H - 12);
    /* columns */
    double *col = malloc((nrecs ? nrecs : 1) * sizeof *col);
    if (!col)
        cli_fail(1, prog, "out of memory");
    size_t i = 0;
    for (int px = 0; px < pw; px++) {
        uint64_t t_end = (uint64_t)((double)(px + 1) / pw * xmax);
        size_t n = 0;
        for (; i < nrecs && recs[i].t_us < t_end; i++) {
            if (recs[i].outcome == JM_HIST_OK)
                col[n++] = (double)recs[i].lat_us / 1000.0;
            else
                fprintf(f, "<path d=\"M%.1f %.1f l4 4 m0 -4 l-4 4\" stroke=\"red\"><title>%s "
                           "after %.0f ms</title></path>\n",
                        L + px - 2.0, Y((double)recs[i].lat_us / 1000.0) - 2,
                        outcome_text(recs[i].outcome), (double)recs[i].lat_us / 1000.0);
        }
        if (!n)
            continue;
        qsort(col, n, sizeof *col, bench_cmp_double);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                   "<circle cx=\"%d\" cy=\"%.1f\" r=\"1.2\" fill=\"#1f4e9c\"/>\n",
                L + px, L + px, Y(col[0]), Y(col[n - 1]), L + px,
                Y(bench_percentile(col, n, 0.5)));
    }
    free(col);
    for (uint64_t r = 0; r < opt.rounds; r++) /* the churn phases, shaded */
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f4a\" "
                   "fill-opacity=\"0.08\"/><text x=\"%.1f\" y=\"%d\">churn</text>\n",
                X(churn_from_us[r]), T, X(churn_to_us[r]) - X(churn_from_us[r]), ph,
                X(churn_from_us[r]) + 3, T + 12);
    for (size_t k = 0; k < nkills; k++)
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"red\" "
                   "stroke-opacity=\"0.6\"><title>kill %s</title></line>\n",
                X(kills[k].t_us), X(kills[k].t_us), T, T + ph, kills[k].victim);
    fprintf(f, "</svg>\n");
#undef X
#undef Y
    if (fclose(f) != 0)
        cli_fail(1, prog, "cannot write %s", path);
}

/* The block's last stat, its copies named by process (dead ones marked). */
static void print_final_stat(void)
{
    juxmem_stat_t st;
    int rc = juxmem_stat(client, &block_id, &st);
    if (rc < 0) {
        printf("final stat: %s\n", juxmem_strerror(rc));
        return;
    }
    printf("final stat: %zu copies of %u requested, repairing %d, epoch %llu, version %llu, "
           "why %s; copies:",
           st.ncopies, st.requested, st.repairing, (unsigned long long)st.epoch,
           (unsigned long long)st.version, st.why ? juxmem_strerror(st.why) : "-");
    pthread_mutex_lock(&mu);
    for (size_t c = 0; c < st.ncopies && c < JUXMEM_MAX_COPIES; c++) {
        char text[JXTA_ID_TEXT_MAX];
        jxta_id_format(&st.copies[c], text, sizeof text);
        const char *name = "?";
        int killed = 0;
        for (size_t i = 0; i < nprocs; i++)
            if (strcmp(procs[i].peer, text) == 0) {
                name = procs[i].name;
                killed = procs[i].killed;
            }
        printf(" %s%s", name, killed ? "(killed)" : "");
    }
    pthread_mutex_unlock(&mu);
    printf("\n");
}

/* ---- main ------------------------------------------------------------------------ */

static void default_juxmemd(const char *argv0, char *out, size_t cap)
{
    const char *slash = strrchr(argv0, '/');
    if (slash)
        snprintf(out, cap, "%.*s/juxmemd", (int)(slash - argv0), argv0);
    else
        snprintf(out, cap, "./juxmemd");
}

static void alloc_block(void)
{
    phase = "allocation (waiting for the clusters)";
    juxmem_attr_t attr;
    juxmem_attr_default(&attr);
    uint64_t t0 = now_us();
    degree_wanted = (unsigned)(opt.clusters * opt.copies);
    for (;;) {
        int rc = juxmem_alloc(client, opt.size, (unsigned)opt.clusters, (unsigned)opt.copies,
                              &attr, &block_id);
        if (rc == 0)
            return;
        if (rc != JUXMEM_ENOCLUSTER && rc != JUXMEM_ENOSPACE && rc != JXTA_ETIMEDOUT)
            cli_fail(1, prog, "allocation failed: %s", juxmem_strerror(rc));
        if (now_us() - t0 > 60000000)
            cli_fail(1, prog, "allocation still failing after 60 s: %s", juxmem_strerror(rc));
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void open_client(void)
{
    phase = "opening the client";
    char home[256];
    snprintf(home, sizeof home, "%s/client", workdir);
    juxmem_options_t jo;
    juxmem_options_default(&jo);
    jo.home = home;
    jo.name = "client";
    jo.listen = "tcp://127.0.0.1:0";
    jo.seeds[0] = rdv_addr;
    jo.nseeds = 1;
    jo.timeout_ms = 10000;
    jo.fail_ms = strtoull(fail_ms_text, NULL, 10);
    int rc = juxmem_open(&jo, &client);
    if (rc < 0)
        cli_fail(1, prog, "cannot open the client: %s", juxmem_strerror(rc));
}

static void start_overlay(void)
{
    phase = "starting the rendezvous";
    const char *rdv_extra[] = {"--rdv", NULL};
    size_t rdv = spawn_daemon("rdv", NULL, rdv_extra, 0, 0);
    wait_ready(rdv, 20000);
    pthread_mutex_lock(&mu);
    snprintf(rdv_addr, sizeof rdv_addr, "%s", procs[rdv].listen);
    pthread_mutex_unlock(&mu);
    if (strncmp(rdv_addr, "tcp://", 6) != 0)
        cli_fail(1, prog, "the rendezvous has no listening address (READY listen=%s)", rdv_addr);
    phase = "starting the managers and providers";
    char lease[24];
    snprintf(lease, sizeof lease, "%llu", (unsigned long long)opt.lease_ms);
    for (unsigned c = 0; c < opt.clusters; c++) {
        char name[32], cname[16];
        snprintf(name, sizeof name, "mgr-c%u", c);
        snprintf(cname, sizeof cname, "c%u", c);
        const char *extra[] = {"--manager", "--cluster", cname, "--lock-lease-ms", lease, NULL};
        spawn_daemon(name, rdv_addr, extra, 0, c);
    }
    for (unsigned p = 0; p < opt.providers; p++) {
        unsigned c = p % (unsigned)opt.clusters;
        prov_per_cluster[c]++;
        start_provider(c, rdv_addr);
    }
    pthread_mutex_lock(&mu);
    size_t n = nprocs;
    pthread_mutex_unlock(&mu);
    for (size_t i = 1; i < n; i++)
        wait_ready(i, 30000);
    phase = "waiting for the managers to count their providers";
    wait_managers((unsigned)opt.clusters, prov_per_cluster, 60000);
}

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if (parse_opts(argc, argv, &opt) < 0)
        return 2;
    if (opt.log_level && cli_set_log_level(prog, opt.log_level) < 0)
        return 2;
    char bin[512];
    if (opt.juxmemd)
        snprintf(bin, sizeof bin, "%s", opt.juxmemd);
    else
        default_juxmemd(argv[0], bin, sizeof bin);
    if (access(bin, X_OK) < 0)
        cli_fail(2, prog, "cannot run the daemon %s: %s (see --juxmemd)", bin, strerror(errno));
    juxmemd_bin = bin;
    if (opt.daemon_log_level) {
        jxta_log_level_t lv;
        if (jxta_log_level_parse(opt.daemon_log_level, &lv) < 0) {
            fprintf(stderr, "%s: --daemon-log-level wants error, warn, info, debug or trace\n",
                    prog);
            return 2;
        }
        daemon_log_level = opt.daemon_log_level;
    }
    snprintf(fail_ms_text, sizeof fail_ms_text, "%llu", (unsigned long long)opt.fail_ms);
    keep_workdir = opt.keep;
    stderr_tty = isatty(2);
    rng_state = opt.seeded ? opt.seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    uint64_t seed_used = rng_state;
    if (rng_state == 0)
        rng_state = 0x9e3779b97f4a7c15ull;

    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)opt.timeout_s);

    snprintf(workdir, sizeof workdir, "/tmp/bench-churn-XXXXXX");
    if (!mkdtemp(workdir))
        cli_fail(1, prog, "cannot create a temporary directory: %s", strerror(errno));
    atexit(stop_all);
    hist = jm_hist_new();
    if (!hist)
        cli_fail(1, prog, "out of memory");
    t_start_us = now_us();

    pthread_t mon;
    char evpath[256];
    snprintf(evpath, sizeof evpath, "%s/events.log", workdir);
    events = fopen(evpath, "w");
    if (events)
        setvbuf(events, NULL, _IOLBF, 0);
    if (pthread_create(&mon, NULL, monitor_main, NULL) != 0)
        cli_fail(1, prog, "cannot start the monitor thread");
    start_overlay();
    open_client();
    alloc_block();
    uint64_t ready_us = now_us() - t_start_us;

    size_t size = (size_t)opt.size;
    uint8_t *buf = bench_payload_new(size);
    if (!buf)
        cli_fail(1, prog, "out of memory");
    char sl[32];
    bench_size_label(size, sl, sizeof sl);
    printf("bench-churn: juxmemd processes on 127.0.0.1 (work directory %s): rendezvous %s, "
           "%llu cluster(s) with one manager, %llu providers; in-process client\n",
           workdir, rdv_addr, (unsigned long long)opt.clusters,
           (unsigned long long)opt.providers);
    printf("  block %s on %llu cluster(s) x %llu = %llu copies, ready %.1f s after start-up; "
           "loop: acquire + read + write %s + release; %llu s per phase in %llu round(s); kill "
           "every %g s in phase 2 (seed %llu)\n",
           sl, (unsigned long long)opt.clusters, (unsigned long long)opt.copies,
           (unsigned long long)(opt.clusters * opt.copies), (double)ready_us / 1e6, sl,
           (unsigned long long)opt.duration_s, (unsigned long long)opt.rounds, opt.period_s,
           (unsigned long long)seed_used);
    fflush(stdout);

    run_phase(0, buf, size);
    for (uint64_t r = 0; r < opt.rounds; r++) {
        /* baseline then churn, churn then baseline, ... (ABBA): a drift of
         * the machine's speed during the run weighs on both alike */
        int churn_first = r % 2;
        round_now = r;
        if (!churn_first)
            run_phase(1, buf, size);
        churn_from_us[r] = now_us() - t_start_us;
        pthread_t churn;
        churn_stop = 0;
        if (pthread_create(&churn, NULL, churn_main, NULL) != 0)
            cli_fail(1, prog, "cannot start the churn thread");
        run_phase(2, buf, size);
        churn_stop = 1;
        pthread_join(churn, NULL);
        churn_to_us[r] = now_us() - t_start_us;
        /* this round's repairs before any baseline (bounded) */
        phase = "waiting for the repairs";
        uint64_t until = now_us() + opt.restore_s * 1000000;
        while (churn_pending() && now_us() < until) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (churn_first)
            run_phase(1, buf, size);
    }
    uint64_t end_us = now_us() - t_start_us;
    /* a final read of the value, recorded as a shared read */
    phase = "final read";
    jm_hist_op_t fin = {.client = CLIENT_ID, .kind = JM_HIST_READ};
    fin.start_us = now_us() - t_start_us;
    uint8_t head[8];
    int rc = juxmem_acquire_read(client, &block_id);
    if (rc == 0 && (rc = juxmem_read(client, &block_id, 0, head, 8)) == 0) {
        fin.read = bench_get_be64(head);
        fin.outcome = juxmem_release(client, &block_id) == 0 ? JM_HIST_OK : JM_HIST_INDET;
    } else {
        if (rc != 0 && rc != JUXMEM_ELOCKTIMEOUT)
            juxmem_release(client, &block_id);
        fin.outcome = JM_HIST_FAIL;
    }
    fin.end_us = now_us() - t_start_us;
    jm_hist_add(hist, &fin);

    /* results */
    phase = "results";
    phase_stats_t s1, s2;
    phase_stats(1, &s1);
    phase_stats(2, &s2);
    double overhead = s1.ops_s > 0 ? (1.0 - s2.ops_s / s1.ops_s) * 100.0 : 0;
    size_t restored = 0, detected = 0;
    double sum_restore = 0, max_restore = 0, sum_detect = 0;
    pthread_mutex_lock(&mu);
    for (size_t k = 0; k < nkills; k++) {
        if (kills[k].lost_us) {
            detected++;
            sum_detect += (double)(kills[k].lost_us - kills[k].t_us) / 1e6;
        }
        if (kills[k].restored_us) {
            double d = (double)(kills[k].restored_us - kills[k].t_us) / 1e6;
            restored++;
            sum_restore += d;
            max_restore = d > max_restore ? d : max_restore;
        }
    }
    size_t nk = nkills;
    unsigned lost = ev_copy_lost, added = ev_copy_added;
    pthread_mutex_unlock(&mu);
    printf("phase 1, no churn, %.1f s: %zu ops ok (%.0f ops/s), %zu failed, %zu indeterminate; "
           "latency (all operations) median %.2f ms, p99 %.2f ms, max %.1f ms\n",
           phase_s[1], s1.ok, s1.ops_s, s1.fail, s1.indet, s1.med_ms, s1.p99_ms, s1.max_ms);
    printf("phase 2, kill every %g s, %.1f s: %zu ops ok (%.0f ops/s), %zu failed, %zu indeterminate; "
           "latency (all operations) median %.2f ms, p99 %.2f ms, max %.1f ms\n",
           opt.period_s, phase_s[2], s2.ok, s2.ops_s, s2.fail, s2.indet, s2.med_ms, s2.p99_ms, s2.max_ms);
    double target = opt.period_s >= 5 ? 1.0 : opt.period_s >= 1 ? 5.0 : -1;
    if (target > 0)
        printf("overhead (1 - churn/baseline): %.2f %%  [target overhead < %g%% at T >= %g s: "
               "%s]\n",
               overhead, target, opt.period_s >= 5 ? 5.0 : 1.0,
               overhead < target ? "ok" : "MISSED");
    else
        printf("overhead (1 - churn/baseline): %.2f %%  (no target below T = 1 s)\n", overhead);
    /* the same per round, to judge the machine's noise, and the time the
     * churn phase lost in stalls (operations slower than the baseline's
     * p99, beyond that p99): what the kills themselves cost */
    printf("  per round:");
    for (uint64_t r = 0; r < opt.rounds && r < MAX_ROUNDS; r++)
        printf(" %+.1f%%", round_ops_s[1][r] > 0
                               ? (1.0 - round_ops_s[2][r] / round_ops_s[1][r]) * 100.0
                               : 0.0);
    double slow_ms[3] = {0, 0, 0}; /* beyond the baseline's p99, per phase */
    for (size_t i = 0; i < nrecs; i++) {
        double l = (double)recs[i].lat_us / 1000.0;
        if (recs[i].phase <= 2 && l > s1.p99_ms)
            slow_ms[recs[i].phase] += l - s1.p99_ms;
    }
    double base_rate = phase_s[1] > 0 ? slow_ms[1] / phase_s[1] : 0; /* ms per s */
    double stalled_ms = slow_ms[2] - base_rate * phase_s[2];
    printf("\n  stalls: beyond the baseline's p99, the churn phase lost %.0f ms more than the "
           "baseline at its rate (%.2f %% of the phase, %.1f ms per kill)\n",
           stalled_ms, phase_s[2] > 0 ? stalled_ms / (phase_s[2] * 10.0) : 0.0,
           nk ? stalled_ms / (double)nk : 0.0);
    printf("churn: %zu kills (%u skipped: no live copy holder of the kind asked), %u COPY-LOST "
           "and %u COPY added lines from the daemons; degree restored after %zu of the %zu "
           "kills",
           nk, skipped_kills, lost, added, restored, nk);
    if (restored)
        printf(", in %.2f s on average (max %.2f s)", sum_restore / (double)restored,
               max_restore);
    if (detected)
        printf("; the loss of the killed copy reported (COPY-LOST) after %.2f s on average "
               "(%zu kills)",
               sum_detect / (double)detected, detected);
    printf("%s\n", opt.wait_repair ? " (--wait-repair: each kill waited for the previous repair)"
                                   : "");
    print_final_stat();

    char path[600];
    snprintf(path, sizeof path, "%s-ops.csv", opt.out);
    write_ops_csv(path);
    snprintf(path, sizeof path, "%s-history.csv", opt.out);
    if (jm_hist_save_file(hist, path) < 0)
        cli_fail(1, prog, "cannot write %s", path);
    snprintf(path, sizeof path, "%s.svg", opt.out);
    write_svg(path, end_us);

    jm_hist_verdict_t v;
    rc = jm_hist_check(hist, &v);
    if (rc < 0)
        cli_fail(1, prog, "history check: %s", jxta_strerror(rc));
    printf("history: %zu operations, %zu acknowledged writes, %zu indeterminate (%zu took "
           "effect), %zu failed, chain of %zu writes: %s%s\n",
           v.ops, v.acked_writes, v.indet_applied + v.indet_unknown, v.indet_applied, v.failed,
           v.chain, v.ok ? "correct" : "VIOLATION: ", v.why);
    if (torn)
        printf("torn blocks: %u (%s)\n", torn, torn_msg);
    printf("files: %s-ops.csv, %s-history.csv, %s.svg\n", opt.out, opt.out, opt.out);
    fflush(stdout);
    int status = v.ok && !torn ? 0 : 1;
    if (status)
        keep_workdir = 1;
    if (restored < nk)
        printf("note: %zu kill(s) not repaired within %llu s of the end\n", nk - restored,
               (unsigned long long)opt.restore_s);

    phase = "shutdown";
    juxmem_close(client);
    client = NULL;
    monitor_stop = 1;
    pthread_join(mon, NULL);
    if (events)
        fclose(events);
    events = NULL;
    free(buf);
    jm_hist_free(hist);
    free(recs);
    free(kills);
    alarm(0);
    return status;
}
