/* test_juxmem_partition.c - a JuxMem overlay cut in two by a network
 * partition, in network namespaces this test creates (and removes).
 *
 * Topology: a namespace holding a bridge (the "switch") and one namespace
 * per site, each plugged into the switch by a veth pair, addresses
 * 10.213.0.0/24: site r runs a rendezvous; sites a, b and c each run a
 * cluster of the same name: its manager (also a rendezvous, so each side
 * of a partition keeps one) and two providers.  A block is allocated on
 * 3 clusters x 1 provider: three copies, one per site, so any two sites
 * are a majority.
 *
 * Two clients (the juxmem CLI, `incr --keep-going --history`) increment
 * the block's counter without pause: one in the site of the block's first
 * sequencer (the lowest peer ID among the copies), one in another site.
 * Then the sequencer's site is cut off (its port on the switch goes down):
 *   - the minority refuses: the client there records failed increments
 *     and at least one JUXMEM_ENOQUORUM;
 *   - the majority goes on: after the election, the other client records
 *     acknowledged increments while the partition lasts;
 * and the partition heals (the port comes back):
 *   - the cut-off client increments again (through the majority's
 *     sequencer: its former copy was dropped);
 *   - the merged histories pass the checker of tools/history.h: every
 *     acknowledged increment is in, every read returned the last
 *     acknowledged value, nothing to merge.
 * Needs root and iproute2 (`ip netns`): otherwise the test is skipped
 * (exit 77).  Every wait is bounded; every process is stopped by its PID;
 * the namespaces are deleted at the end, whatever happened. */
#include <errno.h>
#include <fcntl.h>
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

#include "../../tools/history.h"
#include "../unit/testutil.h"
#include "juxmem.h"
#include "proc.h"

#ifndef TOOLS_DIR
#define TOOLS_DIR "tools"
#endif

static const char *daemon_bin = TOOLS_DIR "/juxmemd";
static const char *cli_bin = TOOLS_DIR "/juxmem";

#define NSITES 4 /* r, a, b, c */
static const char site_name[NSITES] = {'r', 'a', 'b', 'c'};
static const int site_host[NSITES] = {1, 11, 12, 13};

static char ip_bin[64];
static char prefix[32]; /* namespace names: <prefix>s (switch), <prefix>r, ... */
static char workdir[256];
static int net_made;

/* ---- network namespaces -------------------------------------------------- */

static int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_cmd(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    int rc = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    if (rc != 0)
        fprintf(stderr, "partition test: '%s' failed (%d)\n", cmd, rc);
    return rc;
}

static void ns_name(char *out, size_t cap, char site)
{
    snprintf(out, cap, "%s%c", prefix, site);
}

static void net_remove(void)
{
    if (!net_made)
        return;
    char ns[40];
    for (int i = 0; i < NSITES; i++) {
        ns_name(ns, sizeof ns, site_name[i]);
        run_cmd("%s netns del %s 2>/dev/null", ip_bin, ns);
    }
    ns_name(ns, sizeof ns, 's');
    run_cmd("%s netns del %s 2>/dev/null", ip_bin, ns);
    net_made = 0;
}

static int net_make(void)
{
    char sw[40], ns[40];
    ns_name(sw, sizeof sw, 's');
    net_made = 1;
    if (run_cmd("%s netns add %s", ip_bin, sw) || run_cmd("%s -n %s link set lo up", ip_bin, sw) ||
        run_cmd("%s -n %s link add br0 type bridge", ip_bin, sw) ||
        run_cmd("%s -n %s link set br0 up", ip_bin, sw))
        return -1;
    for (int i = 0; i < NSITES; i++) {
        char c = site_name[i];
        ns_name(ns, sizeof ns, c);
        if (run_cmd("%s netns add %s", ip_bin, ns) ||
            run_cmd("%s -n %s link set lo up", ip_bin, ns) ||
            run_cmd("%s link add v%s%c netns %s type veth peer name eth0 netns %s", ip_bin,
                    prefix + 3, c, sw, ns) ||
            run_cmd("%s -n %s link set v%s%c master br0 up", ip_bin, sw, prefix + 3, c) ||
            run_cmd("%s -n %s addr add 10.213.0.%d/24 dev eth0", ip_bin, ns, site_host[i]) ||
            run_cmd("%s -n %s link set eth0 up", ip_bin, ns))
            return -1;
    }
    return 0;
}

/* Cut site `c` off the switch (down = 1), or plug it back. */
static void site_link(char c, int down)
{
    char sw[40];
    ns_name(sw, sizeof sw, 's');
    ck_assert_int_eq(
        run_cmd("%s -n %s link set v%s%c %s", ip_bin, sw, prefix + 3, c, down ? "down" : "up"), 0);
}

/* Can this process make namespaces?  (root, iproute2) */
static int can_partition(void)
{
    static const char *const where[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"};
    for (size_t i = 0; i < sizeof where / sizeof where[0] && !ip_bin[0]; i++)
        if (access(where[i], X_OK) == 0)
            snprintf(ip_bin, sizeof ip_bin, "%s", where[i]);
    if (!ip_bin[0] || geteuid() != 0)
        return 0;
    snprintf(prefix, sizeof prefix, "jxp%d", (int)getpid() % 10000000);
    char probe[40];
    ns_name(probe, sizeof probe, 'x');
    if (run_cmd("%s netns add %s 2>/dev/null", ip_bin, probe) != 0)
        return 0;
    run_cmd("%s netns del %s", ip_bin, probe);
    return 1;
}

/* ---- processes in a site -------------------------------------------------- */

static tproc_t *daemons[NSITES * 3];
static size_t ndaemons;
static tproc_t *providers[3][2];
static char provider_id[3][2][JXTA_ID_TEXT_MAX];

static void site_addr(char *out, size_t cap, int site, int port)
{
    snprintf(out, cap, "tcp://10.213.0.%d:%d", site_host[site], port);
}

/* juxmemd in `site`, listening on port, seeded with the rendezvous of site
 * r and of its own site; `opts` ends with NULL. */
static tproc_t *site_daemon(int site, const char *name, int port, const char *const *opts)
{
    char ns[40], home[512], listen[64], seed_r[64], seed_own[64];
    ns_name(ns, sizeof ns, site_name[site]);
    snprintf(home, sizeof home, "%s/%s", workdir, name);
    site_addr(listen, sizeof listen, site, port);
    site_addr(seed_r, sizeof seed_r, 0, 9701);
    site_addr(seed_own, sizeof seed_own, site, 9701);
    const char *argv[40] = {ip_bin,    "netns",      "exec",   ns,     daemon_bin,
                            "--home",  home,         "--name", name,   "--listen",
                            listen,    "--log-level", "info"};
    size_t n = 13;
    if (site != 0 && port != 9701) { /* the site's own rendezvous first */
        argv[n++] = "--seed";
        argv[n++] = seed_own;
    }
    if (site != 0 || port != 9701) {
        argv[n++] = "--seed";
        argv[n++] = seed_r;
    }
    for (size_t i = 0; opts[i]; i++)
        argv[n++] = opts[i];
    argv[n] = NULL;
    tproc_t *p = tproc_spawn(name, workdir, argv);
    ck_assert_uint_lt(ndaemons, sizeof daemons / sizeof daemons[0]);
    daemons[ndaemons++] = p;
    return p;
}

/* A juxmem CLI in `site` (seeded with its own site's rendezvous and r's),
 * stdout/stderr to files named after `tag`; returns the PID. */
static pid_t site_cli(int site, const char *tag, int timeout_ms, const char *const *args)
{
    char ns[40], home[512], out[512], err[512], seed_r[64], seed_own[64], tmo[16];
    ns_name(ns, sizeof ns, site_name[site]);
    snprintf(home, sizeof home, "%s/%s", workdir, tag);
    snprintf(out, sizeof out, "%s/%s.out", workdir, tag);
    snprintf(err, sizeof err, "%s/%s.err", workdir, tag);
    site_addr(seed_r, sizeof seed_r, 0, 9701);
    site_addr(seed_own, sizeof seed_own, site, 9701);
    snprintf(tmo, sizeof tmo, "%d", timeout_ms);
    const char *argv[40] = {ip_bin, "netns", "exec", ns,       cli_bin,   "--home", home,
                            "--seed", seed_own, "--seed", seed_r, "--timeout", tmo, "--json",
                            "--log-level", "info"};
    size_t n = 16;
    for (size_t i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
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
    return pid;
}

static pid_t cli_pids[8];
static size_t ncli;

/* Wait (bounded) for a CLI; kills it on time-out.  Exit status or -1. */
static int cli_wait(pid_t pid, int timeout_ms)
{
    uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
    int st;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (tu_now_ms() >= end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            st = -1;
            break;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < ncli; i++)
        if (cli_pids[i] == pid)
            cli_pids[i] = cli_pids[--ncli];
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc(len > 0 ? (size_t)len + 1 : 1);
    size_t n = len > 0 ? fread(s, 1, (size_t)len, f) : 0;
    s[n] = '\0';
    fclose(f);
    return s;
}

/* Run a one-shot CLI command in `site` to its end; its stdout (malloc'd). */
static char *site_run(int site, const char *tag, const char *const *args, int *status)
{
    pid_t pid = site_cli(site, tag, 15000, args);
    cli_pids[ncli++] = pid;
    *status = cli_wait(pid, 60000);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.out", workdir, tag);
    return slurp(path);
}

/* Lines of a history file with `outcome` whose operation started after
 * `after_us` (CLOCK_MONOTONIC, as tu_now_ms x 1000 and the CLI's clock). */
static size_t history_count(const char *path, const char *outcome, uint64_t after_us)
{
    char *text = slurp(path);
    size_t n = 0;
    char pat[16];
    snprintf(pat, sizeof pat, ",%s,", outcome);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *comma = strchr(line, ','), *k = comma ? strchr(comma + 1, ',') : NULL;
        if (!k || !strstr(line, pat))
            continue;
        double start_ms = strtod(k + 1, NULL);
        if (start_ms * 1000.0 > (double)after_us)
            n++;
    }
    free(text);
    return n;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wait until history `path` has `n` lines of `outcome` started after
 * `after_us`; 1, or 0 after timeout_ms. */
static int wait_history(const char *path, const char *outcome, uint64_t after_us, size_t n,
                        int timeout_ms)
{
    uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
    while (tu_now_ms() < end) {
        if (history_count(path, outcome, after_us) >= n)
            return 1;
        tproc_pump(200);
    }
    return 0;
}

/* ---- the test ----------------------------------------------------------------- */

static void teardown_all(void)
{
    for (size_t i = 0; i < ncli; i++) {
        kill(cli_pids[i], SIGKILL);
        waitpid(cli_pids[i], NULL, 0);
    }
    ncli = 0;
    tproc_cleanup();
    net_remove();
}

static void json_field(const char *text, const char *key, char *out, size_t cap)
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

START_TEST(test_partition)
{
    tproc_workdir(workdir, sizeof workdir, "juxmem-partition");
    ck_assert_msg(net_make() == 0, "could not build the namespaces");
    /* site r: the rendezvous; sites a, b, c: manager (+ rendezvous), 2 providers */
    const char *rdv_opts[] = {"--rdv", NULL};
    tproc_t *rdv = site_daemon(0, "rdv", 9701, rdv_opts);
    ck_assert_msg(tproc_wait(rdv, "READY", 1, 20000, NULL, 0), "rendezvous not ready");
    tproc_t *mgr[3];
    for (int s = 1; s < NSITES; s++) {
        char cl[2] = {site_name[s], 0}, name[32];
        snprintf(name, sizeof name, "mgr-%c", site_name[s]);
        const char *mopts[] = {"--rdv", "--manager", "--cluster", cl, NULL};
        mgr[s - 1] = site_daemon(s, name, 9701, mopts);
        for (int k = 0; k < 2; k++) {
            snprintf(name, sizeof name, "prov-%c%d", site_name[s], k);
            const char *popts[] = {"--provider", "4M", "--cluster", cl, NULL};
            providers[s - 1][k] = site_daemon(s, name, 9702 + k, popts);
        }
    }
    char line[512];
    for (int c = 0; c < 3; c++) {
        for (int k = 0; k < 2; k++) {
            ck_assert_msg(tproc_wait(providers[c][k], "READY", 1, 30000, line, sizeof line),
                          "provider %d/%d not ready", c, k);
            ck_assert(tproc_field(line, "peer", provider_id[c][k], sizeof provider_id[c][k]));
        }
        ck_assert_msg(tproc_wait(mgr[c], "providers=2", 1, 60000, NULL, 0),
                      "manager of %c does not see its providers", site_name[c + 1]);
    }

    /* the block: one copy per cluster */
    int st = 0;
    char *out = NULL, id[160] = "";
    uint64_t end = tu_now_ms() + 60000;
    while (!id[0] && tu_now_ms() < end) { /* until the clusters are advertised */
        const char *alloc[] = {"alloc", "4k", "--clusters", "3", "--providers", "1", NULL};
        out = site_run(1, "alloc", alloc, &st);
        if (st == 0)
            json_field(out, "id", id, sizeof id);
        free(out);
    }
    ck_assert_msg(id[0], "allocation failed: %d", st);
    const char *stat[] = {"stat", id, NULL};
    out = site_run(1, "stat0", stat, &st);
    ck_assert_msg(st == 0, "stat: %s", out);
    /* the first sequencer: the copy with the lowest peer ID */
    int seq_site = -1;
    jxta_id_t low;
    for (int c = 0; c < 3; c++)
        for (int k = 0; k < 2; k++) {
            if (!strstr(out, provider_id[c][k]))
                continue;
            jxta_id_t pid;
            ck_assert_int_eq(jxta_id_from_string(&pid, provider_id[c][k]), 0);
            if (seq_site < 0 || jxta_id_cmp(&pid, &low) < 0) {
                low = pid;
                seq_site = c + 1;
            }
        }
    free(out);
    ck_assert_int_ge(seq_site, 1);
    int other = seq_site == 1 ? 2 : 1;

    /* both clients increment without pause */
    char hist_min[512], hist_maj[512];
    snprintf(hist_min, sizeof hist_min, "%s/minority.csv", workdir);
    snprintf(hist_maj, sizeof hist_maj, "%s/majority.csv", workdir);
    const char *inc_min[] = {"incr", id, "100000000", "--keep-going", "--history", hist_min,
                             "--client", "1", NULL};
    const char *inc_maj[] = {"incr", id, "100000000", "--keep-going", "--history", hist_maj,
                             "--client", "2", NULL};
    pid_t cmin = site_cli(seq_site, "client-minority", 4000, inc_min);
    cli_pids[ncli++] = cmin;
    pid_t cmaj = site_cli(other, "client-majority", 30000, inc_maj);
    cli_pids[ncli++] = cmaj;
    ck_assert_msg(wait_history(hist_min, "ok", 0, 5, 60000), "minority client made no progress");
    ck_assert_msg(wait_history(hist_maj, "ok", 0, 5, 60000), "majority client made no progress");

    /* cut the sequencer's site off */
    uint64_t cut = now_us();
    site_link(site_name[seq_site], 1);
    ck_assert_msg(wait_history(hist_min, "fail", cut, 2, 60000),
                  "the minority side still grants locks");
    char path[512];
    snprintf(path, sizeof path, "%s/client-minority.out", workdir);
    end = tu_now_ms() + 60000;
    char *mout = NULL;
    while (tu_now_ms() < end) {
        free(mout);
        mout = slurp(path);
        if (strstr(mout, "\"code\":-209"))
            break;
        tproc_pump(200);
    }
    ck_assert_msg(strstr(mout, "\"code\":-209") != NULL,
                  "no JUXMEM_ENOQUORUM on the minority side: %s", mout);
    free(mout);
    /* stat on the minority side says why nothing can be locked there (once
     * its peers there have found each other again without site r) */
    end = tu_now_ms() + 60000;
    out = NULL;
    for (int k = 0; tu_now_ms() < end; k++) {
        char tag[32];
        snprintf(tag, sizeof tag, "stat-minority%d", k);
        free(out);
        out = site_run(seq_site, tag, stat, &st);
        if (st == 0 && strstr(out, "\"why\":\"quorum lost\""))
            break;
    }
    ck_assert_msg(st == 0 && strstr(out, "\"available\":false") &&
                      strstr(out, "\"why\":\"quorum lost\""),
                  "stat on the minority side: %d %s", st, out);
    free(out);
    uint64_t elected = now_us();
    ck_assert_msg(wait_history(hist_maj, "ok", elected, 5, 90000),
                  "the majority did not go on during the partition");
    ck_assert_uint_eq(history_count(hist_min, "ok", elected), 0);

    /* heal: the cut-off client works again, through the majority */
    uint64_t healed = now_us();
    site_link(site_name[seq_site], 0);
    ck_assert_msg(wait_history(hist_min, "ok", healed, 3, 120000),
                  "the minority client did not recover after the partition healed");
    ck_assert_msg(wait_history(hist_maj, "ok", healed, 3, 60000),
                  "the majority client stopped after the partition healed");
    kill(cmin, SIGTERM);
    kill(cmaj, SIGTERM);
    cli_wait(cmin, 40000);
    cli_wait(cmaj, 40000);

    /* the merged histories: nothing acknowledged lost, reads up to date */
    jm_hist_t *h = jm_hist_new();
    char err[256];
    ck_assert_int_eq(jm_hist_load_file(h, hist_min, err, sizeof err), 0);
    ck_assert_int_eq(jm_hist_load_file(h, hist_maj, err, sizeof err), 0);
    jm_hist_verdict_t v;
    int rc = jm_hist_check(h, &v);
    fprintf(stderr,
            "partition: %zu operations, %zu acknowledged writes, %zu failed, %zu "
            "indeterminate (%zu applied)\n",
            v.ops, v.acked_writes, v.failed, v.indet_applied + v.indet_unknown, v.indet_applied);
    ck_assert_msg(rc == 0 && v.ok, "history check: %s", v.why);
    ck_assert_uint_ge(v.failed, 1);
    jm_hist_free(h);

    /* the block is available again */
    out = site_run(other, "stat1", stat, &st);
    ck_assert_msg(st == 0 && strstr(out, "\"available\":true"), "stat after healing: %s", out);
    free(out);
    teardown_all();
    tproc_workdir_remove(workdir);
}
END_TEST

int main(void)
{
    if (!can_partition()) {
        printf("SKIP: the partition test needs root and iproute2 (ip netns)\n");
        return 77;
    }
    atexit(teardown_all);
    Suite *s = suite_create("juxmem partition (network namespaces)");
    TCase *tc = tcase_create("partition");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_partition);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
