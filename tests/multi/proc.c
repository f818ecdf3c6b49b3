/* proc.c - see proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#define MAX_PROCS 64

struct tproc {
    char name[64];
    pid_t pid;
    int fd;
    int reaped;
    int status;
    char partial[4096];
    size_t plen;
    char **lines;
    size_t nlines, cap;
};

static tproc_t *procs[MAX_PROCS];
static size_t nprocs;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A failed assertion ends the test process (Check's fork mode) before the
 * test's own clean-up: whatever is still running is killed and reaped on
 * the way out, so no daemon outlives its test. */
static void kill_leftovers(void)
{
    for (size_t i = 0; i < nprocs; i++)
        if (!procs[i]->reaped) {
            kill(procs[i]->pid, SIGKILL);
            waitpid(procs[i]->pid, NULL, 0);
            procs[i]->reaped = 1;
        }
}

tproc_t *tproc_spawn(const char *name, const char *logdir, const char *const argv[])
{
    static int at_exit_set;
    if (!at_exit_set && atexit(kill_leftovers) == 0)
        at_exit_set = 1;
    ck_assert_uint_lt(nprocs, MAX_PROCS);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    char log[512];
    snprintf(log, sizeof log, "%s/%s.log", logdir, name);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        dup2(fds[1], 1);
        if (lfd >= 0)
            dup2(lfd, 2);
        close(fds[0]);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    tproc_t *p = calloc(1, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->pid = pid;
    p->fd = fds[0];
    procs[nprocs++] = p;
    return p;
}

pid_t tproc_pid(const tproc_t *p)
{
    return p->pid;
}

const char *tproc_name(const tproc_t *p)
{
    return p->name;
}

static void add_line(tproc_t *p, const char *s, size_t n)
{
    if (p->nlines == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 32;
        p->lines = realloc(p->lines, p->cap * sizeof *p->lines);
    }
    p->lines[p->nlines] = malloc(n + 1);
    memcpy(p->lines[p->nlines], s, n);
    p->lines[p->nlines][n] = '\0';
    p->nlines++;
}

static void drain(tproc_t *p)
{
    char buf[8192];
    for (;;) {
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n <= 0) {
            if (n == 0) {
                close(p->fd);
                p->fd = -1;
            }
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                add_line(p, p->partial, p->plen);
                p->plen = 0;
            } else if (p->plen < sizeof p->partial - 1) {
                p->partial[p->plen++] = buf[i];
            }
        }
    }
}

void tproc_pump(int timeout_ms)
{
    struct pollfd pf[MAX_PROCS];
    tproc_t *who[MAX_PROCS];
    int n = 0;
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i]->fd >= 0) {
            pf[n].fd = procs[i]->fd;
            pf[n].events = POLLIN;
            who[n++] = procs[i];
        }
    if (n == 0)
        return;
    if (poll(pf, (nfds_t)n, timeout_ms) <= 0)
        return;
    for (int i = 0; i < n; i++)
        if (pf[i].revents)
            drain(who[i]);
}

size_t tproc_count(const tproc_t *p, const char *sub)
{
    size_t c = 0;
    for (size_t i = 0; i < p->nlines; i++)
        if (strstr(p->lines[i], sub))
            c++;
    return c;
}

int tproc_wait(tproc_t *p, const char *sub, size_t n, int timeout_ms, char *out, size_t cap)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        size_t c = 0;
        for (size_t i = 0; i < p->nlines; i++)
            if (strstr(p->lines[i], sub) && ++c == n) {
                if (out)
                    snprintf(out, cap, "%s", p->lines[i]);
                return 1;
            }
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        tproc_pump(left > 50 ? 50 : (int)left);
    }
}

void tproc_signal(tproc_t *p, int sig)
{
    if (!p->reaped)
        kill(p->pid, sig);
}

int tproc_reap(tproc_t *p, int timeout_ms)
{
    if (p->reaped)
        return p->status;
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->reaped = 1;
            p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            tproc_pump(0);
            return p->status;
        }
        if (now_ms() >= deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &st, 0);
            p->reaped = 1;
            p->status = -1;
            return -1;
        }
        tproc_pump(20);
    }
}

void tproc_cleanup(void)
{
    for (size_t i = 0; i < nprocs; i++)
        tproc_signal(procs[i], SIGTERM);
    /* reap them all before freeing any: reaping pumps every pipe */
    for (size_t i = 0; i < nprocs; i++)
        tproc_reap(procs[i], 3000);
    for (size_t i = 0; i < nprocs; i++) {
        tproc_t *p = procs[i];
        if (p->fd >= 0)
            close(p->fd);
        for (size_t k = 0; k < p->nlines; k++)
            free(p->lines[k]);
        free(p->lines);
        free(p);
    }
    nprocs = 0;
}

int tproc_field(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *s = strstr(line, pat);
    if (!s)
        return 0;
    s += strlen(pat);
    size_t n = strcspn(s, " ");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 1;
}

tproc_t *tproc_peer(const char *bin, const char *workdir, const char *name,
                    const char *const *extra)
{
    char home[512];
    snprintf(home, sizeof home, "%s/%s", workdir, name);
    const char *argv[48] = {bin, "--home", home, "--log-level", "info"};
    size_t n = 5;
    for (size_t i = 0; extra[i] && n < 47; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return tproc_spawn(name, workdir, argv);
}

void tproc_workdir(char *dir, size_t cap, const char *prefix)
{
    snprintf(dir, cap, "/tmp/%s-XXXXXX", prefix);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

void tproc_workdir_remove(char *dir)
{
    tproc_cleanup();
    if (!dir[0] || strncmp(dir, "/tmp/", 5) != 0 || strstr(dir, "XXXXXX"))
        return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    dir[0] = '\0';
}
