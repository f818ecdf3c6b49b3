/* tools/juxmem.c - the JuxMem command-line client.
 *
 * Each invocation is one short-lived client peer: it opens a JuxMem peer
 * (juxmem_open) in its own home directory, as an edge that does not listen
 * and has no role, leases from the seed rendezvous, performs one command
 * and closes.  Commands map one to one onto the calls of juxmem.h:
 *
 *   alloc SIZE        juxmem_alloc on --clusters x --providers
 *   put ID FILE|-     acquire, write the whole input at --offset, release
 *   get ID            acquire_read, read (--offset/--length), release
 *   incr ID COUNT     COUNT x (acquire, read u64 LE at 0, +1, write, release)
 *   lock ID           acquire (or acquire_read), hold, release
 *   stat ID           juxmem_stat
 *   ls WHAT           clusters / providers / data, from the advertisements
 *                     the managers and providers publish (JXTA discovery)
 *   free ID           juxmem_free
 *
 * Output is human text by default; --json prints one JSON object per
 * result on stdout (errors too), for scripts and tests.  Exit status: 0 on
 * success, 1 when the operation failed (message from juxmem_strerror on
 * stderr), 2 on a usage error.  `lock` prints "HOLDING ..." (flushed) once
 * it holds the lock, so a script or test can wait for that line; SIGTERM
 * or SIGINT end the hold early and release cleanly. */
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jxta.h>
#include <jxta/peer.h>

#include "cli.h"
#include "juxmem.h"
#include "proto.h"
#include "service.h"

static const char *prog = "juxmem";
static volatile sig_atomic_t stopping;

#define MAX_INPUT ((size_t)64 << 20) /* put: larger inputs are refused */
#define LS_WAIT_MS 3000              /* ls: how long discovery collects answers */

static void usage(FILE *out)
{
    fprintf(out,
        "usage: juxmem --home DIR --seed tcp://HOST:PORT [options] COMMAND [ARGS]\n"
        "\n"
        "A one-shot JuxMem client: joins the JuxMem overlay as an edge peer (home\n"
        "DIR, no listener, no role), runs COMMAND and leaves.  Use one home per\n"
        "concurrently running client.\n"
        "\n"
        "commands:\n"
        "  alloc SIZE [--clusters N] [--providers M]\n"
        "        allocate SIZE bytes (suffixes k, M, G) on N clusters (default 1) x M\n"
        "        providers each (default 1); prints the data ID\n"
        "  put ID FILE|- [--offset N]\n"
        "        acquire, write the whole FILE (or stdin) at offset N (default 0), release\n"
        "  get ID [-o FILE] [--offset N] [--length N]\n"
        "        acquire_read, read (default: from offset to the end of the block),\n"
        "        release; the bytes go to stdout (or FILE)\n"
        "  incr ID COUNT [--keep-going] [--history FILE [--client N]]\n"
        "        COUNT times: acquire, add 1 to the 64-bit little-endian counter at\n"
        "        offset 0, release; prints the last value.  --keep-going: a failed\n"
        "        increment is reported (a JSON line with --json) and the next one\n"
        "        tried.  --history: append every operation to FILE as it ends, in\n"
        "        the CSV of tools/history.h (client N, default 0), for the checker;\n"
        "        each increment then also sets a stamp of its own (u64 LE at 8)\n"
        "  lock ID [--read] [--hold-ms N] [--write-pattern BYTE]\n"
        "        acquire (shared with --read), optionally fill the block with BYTE\n"
        "        (not released data until the release), print \"HOLDING ...\", hold N ms\n"
        "        (default: until SIGTERM/SIGINT), release\n"
        "  stat ID\n"
        "        size, version, copies and their clusters, lock state, holder, lease left\n"
        "  ls clusters|providers|data\n"
        "        what the managers and providers advertise (collected for up to 3 s;\n"
        "        providers: with their memory, from their cluster's group)\n"
        "  free ID\n"
        "        free the block on every provider\n"
        "\n"
        "options:\n"
        "  --home DIR        this client's peer home (PlatformConfig; created if missing)\n"
        "  --seed ADDR       a rendezvous of the overlay, tcp://HOST:PORT (repeatable)\n"
        "  --listen ADDR     accept connections at ADDR (default: none)\n"
        "  --cluster NAME    this client's cluster (default: none)\n"
        "  --timeout MS      time-out of each call, also of lock waits (default 30000)\n"
        "  --json            one JSON object per result on stdout (errors included)\n"
        "  --log-level L     library log on stderr: error, warn (default), info, debug\n"
        "\n"
        "exit status: 0 success, 1 the operation failed, 2 usage error\n"
        "\n"
        "examples:\n"
        "  id=$(juxmem --home /tmp/c1 --seed tcp://127.0.0.1:9701 alloc 4k --providers 2)\n"
        "  echo hello | juxmem --home /tmp/c1 --seed tcp://127.0.0.1:9701 put \"$id\" -\n"
        "  juxmem --home /tmp/c1 --seed tcp://127.0.0.1:9701 get \"$id\" --length 5\n");
}

/* ---- options ------------------------------------------------------------ */

typedef struct args {
    juxmem_options_t o;
    int json;
    const char *cmd;
    const char *pos[3];
    size_t npos;
    /* command options (0 / NULL when not given) */
    uint64_t clusters, providers;
    int has_clusters, has_providers;
    const char *outfile;
    uint64_t offset, length;
    int has_offset, has_length;
    int read_lock;
    uint64_t hold_ms;
    int has_hold;
    int pattern;
    int has_pattern;
    int keep_going;          /* incr: go on after a failed increment */
    const char *history;     /* incr: record every operation (tools/history.h CSV) */
    uint64_t client;         /* incr: client number in that history */
    int has_client;
    /* positionals, validated before the peer starts */
    jxta_id_t id;        /* every command but alloc and ls */
    uint64_t number;     /* alloc SIZE, incr COUNT */
} args_t;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see --help)\n", stderr);
    return -1;
}

/* A whole decimal (or 0x hexadecimal) number with an optional k/M/G
 * suffix (powers of 1024) when `suffixes`. */
static int parse_number(const char *what, const char *v, int suffixes, uint64_t max,
                        uint64_t *out)
{
    if (!v || !*v || *v == '-' || *v == '+')
        return usage_error("%s needs a whole number, got '%s'", what, v ? v : "");
    errno = 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 0);
    uint64_t mult = 1;
    if (suffixes && *end && !end[1]) {
        switch (*end) {
        case 'k': case 'K': mult = 1ull << 10; end++; break;
        case 'm': case 'M': mult = 1ull << 20; end++; break;
        case 'g': case 'G': mult = 1ull << 30; end++; break;
        default: break;
        }
    }
    if (errno || end == v || *end)
        return usage_error("%s needs a whole number%s, got '%s'", what,
                           suffixes ? " (suffixes k, M, G)" : "", v);
    if (n > max / mult)
        return usage_error("%s: %s is too large (at most %llu)", what, v,
                           (unsigned long long)max);
    *out = (uint64_t)n * mult;
    return 0;
}

static const char *const value_opts[] = {"--home", "--seed", "--listen", "--cluster", "--timeout",
                                         "--log-level", "--clusters", "--providers", "-o",
                                         "--output", "--offset", "--length", "--hold-ms",
                                         "--write-pattern", "--history", "--client", NULL};

static int takes_value(const char *a)
{
    for (size_t i = 0; value_opts[i]; i++)
        if (strcmp(a, value_opts[i]) == 0)
            return 1;
    return 0;
}

static int parse_option(args_t *a, const char *opt, const char *v)
{
    uint64_t n;
    if (strcmp(opt, "--home") == 0)
        a->o.home = v;
    else if (strcmp(opt, "--seed") == 0) {
        if (a->o.nseeds == sizeof a->o.seeds / sizeof a->o.seeds[0])
            return usage_error("at most %zu --seed options",
                               sizeof a->o.seeds / sizeof a->o.seeds[0]);
        a->o.seeds[a->o.nseeds++] = v;
    } else if (strcmp(opt, "--listen") == 0)
        a->o.listen = v;
    else if (strcmp(opt, "--cluster") == 0)
        a->o.cluster = v;
    else if (strcmp(opt, "--timeout") == 0) {
        if (parse_number(opt, v, 0, 86400000, &n) < 0)
            return -1;
        if (n == 0)
            return usage_error("--timeout must be at least 1 ms");
        a->o.timeout_ms = (int)n;
    } else if (strcmp(opt, "--log-level") == 0) {
        if (cli_set_log_level(prog, v) < 0)
            return -1;
    } else if (strcmp(opt, "--clusters") == 0) {
        if (parse_number(opt, v, 0, JUXMEM_MAX_COPIES, &a->clusters) < 0)
            return -1;
        a->has_clusters = 1;
    } else if (strcmp(opt, "--providers") == 0) {
        if (parse_number(opt, v, 0, JUXMEM_MAX_COPIES, &a->providers) < 0)
            return -1;
        a->has_providers = 1;
    } else if (strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0)
        a->outfile = v;
    else if (strcmp(opt, "--offset") == 0) {
        if (parse_number(opt, v, 1, UINT64_MAX, &a->offset) < 0)
            return -1;
        a->has_offset = 1;
    } else if (strcmp(opt, "--length") == 0) {
        if (parse_number(opt, v, 1, SIZE_MAX, &a->length) < 0)
            return -1;
        a->has_length = 1;
    } else if (strcmp(opt, "--hold-ms") == 0) {
        if (parse_number(opt, v, 0, UINT64_MAX / 2, &a->hold_ms) < 0)
            return -1;
        a->has_hold = 1;
    } else if (strcmp(opt, "--history") == 0) {
        a->history = v;
    } else if (strcmp(opt, "--client") == 0) {
        if (parse_number(opt, v, 0, UINT32_MAX, &a->client) < 0)
            return -1;
        a->has_client = 1;
    } else if (strcmp(opt, "--write-pattern") == 0) {
        if (parse_number(opt, v, 0, 255, &n) < 0)
            return -1;
        a->pattern = (int)n;
        a->has_pattern = 1;
    }
    return 0;
}

/* Which command options each command accepts. */
static int check_command_options(const args_t *a)
{
    const char *c = a->cmd;
    int is_alloc = strcmp(c, "alloc") == 0, is_put = strcmp(c, "put") == 0,
        is_get = strcmp(c, "get") == 0, is_lock = strcmp(c, "lock") == 0;
    if ((a->has_clusters || a->has_providers) && !is_alloc)
        return usage_error("--clusters/--providers belong to 'alloc'");
    if (a->has_offset && !is_put && !is_get)
        return usage_error("--offset belongs to 'put' and 'get'");
    if ((a->outfile || a->has_length) && !is_get)
        return usage_error("-o/--length belong to 'get'");
    if ((a->keep_going || a->history || a->has_client) && strcmp(c, "incr") != 0)
        return usage_error("--keep-going/--history/--client belong to 'incr'");
    if (a->has_client && !a->history)
        return usage_error("--client names this client in a --history");
    if ((a->read_lock || a->has_hold || a->has_pattern) && !is_lock)
        return usage_error("--read/--hold-ms/--write-pattern belong to 'lock'");
    if (a->read_lock && a->has_pattern)
        return usage_error("--write-pattern needs an exclusive lock (not --read)");
    if ((a->has_clusters && a->clusters == 0) || (a->has_providers && a->providers == 0))
        return usage_error("--clusters and --providers must be at least 1");
    return 0;
}

/* The data ID, SIZE, COUNT and ls argument, before any network work. */
static int check_positionals(args_t *a)
{
    const char *c = a->cmd;
    if (strcmp(c, "ls") == 0) {
        const char *w = a->pos[0];
        if (strcmp(w, "clusters") != 0 && strcmp(w, "providers") != 0 && strcmp(w, "data") != 0)
            return usage_error("ls takes clusters, providers or data, not '%s'", w);
        return 0;
    }
    if (strcmp(c, "alloc") == 0) {
        if (parse_number("SIZE", a->pos[0], 1, UINT64_MAX, &a->number) < 0)
            return -1;
        if (a->number == 0)
            return usage_error("SIZE must be at least 1 byte");
        uint64_t copies = (a->has_clusters ? a->clusters : 1) * (a->has_providers ? a->providers : 1);
        if (copies > JUXMEM_MAX_COPIES)
            return usage_error("at most %d copies (clusters x providers)", JUXMEM_MAX_COPIES);
        return 0;
    }
    if (jxta_id_from_string(&a->id, a->pos[0]) < 0 || jxta_id_kind(&a->id) != JXTA_ID_GROUP)
        return usage_error("'%s' is not a data ID (a group ID, urn:jxta:uuid-...)", a->pos[0]);
    if (strcmp(c, "incr") == 0 && parse_number("COUNT", a->pos[1], 0, UINT64_MAX, &a->number) < 0)
        return -1;
    return 0;
}

static const struct {
    const char *name;
    size_t nargs;
} commands[] = {{"alloc", 1}, {"put", 2}, {"get", 1},  {"incr", 2}, {"lock", 1},
                {"stat", 1},  {"ls", 1},  {"free", 1}};

static int parse_args(int argc, char **argv, args_t *a)
{
    memset(a, 0, sizeof *a);
    juxmem_options_default(&a->o);
    a->o.listen = "";
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--json") == 0) {
            a->json = 1;
        } else if (strcmp(s, "--read") == 0) {
            a->read_lock = 1;
        } else if (strcmp(s, "--keep-going") == 0) {
            a->keep_going = 1;
        } else if (takes_value(s)) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", s);
            if (parse_option(a, s, argv[++i]) < 0)
                return -1;
        } else if (s[0] == '-' && s[1] != '\0') {
            return usage_error("unknown option '%s'", s);
        } else if (!a->cmd) {
            a->cmd = s;
        } else if (a->npos < sizeof a->pos / sizeof a->pos[0]) {
            a->pos[a->npos++] = s;
        } else {
            return usage_error("too many arguments for '%s'", a->cmd);
        }
    }
    if (!a->cmd)
        return usage_error("no command given");
    size_t want = 0;
    int known = 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(a->cmd, commands[i].name) == 0) {
            known = 1;
            want = commands[i].nargs;
        }
    if (!known)
        return usage_error("unknown command '%s'", a->cmd);
    if (a->npos != want)
        return usage_error("'%s' takes %zu argument%s, got %zu", a->cmd, want,
                           want == 1 ? "" : "s", a->npos);
    if (!a->o.home)
        return usage_error("--home DIR is required");
    if (a->o.nseeds == 0)
        return usage_error("at least one --seed tcp://HOST:PORT is required");
    if (check_command_options(a) < 0)
        return -1;
    return check_positionals(a);
}

/* ---- output --------------------------------------------------------------- */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static const char *id_text(const jxta_id_t *id, jxta_id_text_t *buf)
{
    return jxta_id_str(id, buf);
}

/* Report a failed call: stderr always, a JSON object on stdout with --json.
 * Returns the exit status 1. */
static int fail(const args_t *a, const char *what, const char *id, int rc)
{
    fprintf(stderr, "%s: %s%s%s: %s\n", prog, what, id ? " " : "", id ? id : "",
            juxmem_strerror(rc));
    if (a->json) {
        printf("{\"op\":");
        json_string(stdout, a->cmd);
        printf(",\"ok\":false,\"step\":");
        json_string(stdout, what);
        if (id) {
            printf(",\"id\":");
            json_string(stdout, id);
        }
        printf(",\"code\":%d,\"error\":", rc);
        json_string(stdout, juxmem_strerror(rc));
        printf("}\n");
    }
    fflush(stdout);
    return 1;
}

/* ---- commands -------------------------------------------------------------- */

static int cmd_alloc(juxmem_t *j, const args_t *a)
{
    uint64_t size = a->number;
    unsigned clusters = a->has_clusters ? (unsigned)a->clusters : 1;
    unsigned providers = a->has_providers ? (unsigned)a->providers : 1;
    juxmem_attr_t attr;
    juxmem_attr_default(&attr);
    jxta_id_t id;
    int rc = juxmem_alloc(j, size, clusters, providers, &attr, &id);
    if (rc < 0)
        return fail(a, "alloc", NULL, rc);
    jxta_id_text_t t;
    const char *s = id_text(&id, &t);
    if (a->json)
        printf("{\"op\":\"alloc\",\"ok\":true,\"id\":\"%s\",\"size\":%llu,\"clusters\":%u,"
               "\"providers\":%u,\"copies\":%u}\n",
               s, (unsigned long long)size, clusters, providers, clusters * providers);
    else
        printf("allocated %s size=%llu copies=%u\n", s, (unsigned long long)size,
               clusters * providers);
    return 0;
}

/* attach + acquire (exclusive or shared); reports the failing step. */
static int open_locked(juxmem_t *j, const args_t *a, const jxta_id_t *id, const char *text,
                       int shared)
{
    int rc = juxmem_attach(j, id);
    if (rc < 0)
        return fail(a, "attach", text, rc);
    rc = shared ? juxmem_acquire_read(j, id) : juxmem_acquire(j, id);
    if (rc < 0)
        return fail(a, shared ? "acquire_read" : "acquire", text, rc);
    return 0;
}

/* Release after a failure elsewhere: the first error is the one reported. */
static void release_quietly(juxmem_t *j, const jxta_id_t *id)
{
    int rc = juxmem_release(j, id);
    if (rc < 0)
        fprintf(stderr, "%s: release: %s\n", prog, juxmem_strerror(rc));
}

/* fail() for a step under a lock, then give the lock back. */
static int fail_release(juxmem_t *j, const jxta_id_t *id, const args_t *a, const char *what,
                        const char *text, int rc)
{
    int status = fail(a, what, text, rc);
    release_quietly(j, id);
    return status;
}

static int block_size(juxmem_t *j, const jxta_id_t *id, uint64_t *size)
{
    juxmem_stat_t *st = calloc(1, sizeof *st);
    if (!st)
        return JXTA_ENOMEM;
    int rc = juxmem_stat(j, id, st);
    if (rc == 0)
        *size = st->size;
    free(st);
    return rc;
}

static int cmd_put(juxmem_t *j, const args_t *a)
{
    jxta_id_t id = a->id;
    uint8_t *data;
    size_t len;
    if (cli_read_file(prog, a->pos[1], MAX_INPUT, &data, &len) < 0)
        return 1;
    int status = open_locked(j, a, &id, a->pos[0], 0);
    if (status) {
        free(data);
        return status;
    }
    int rc = juxmem_write(j, &id, a->offset, data, len);
    free(data);
    if (rc < 0)
        return fail_release(j, &id, a, "write", a->pos[0], rc);
    rc = juxmem_release(j, &id);
    if (rc < 0)
        return fail(a, "release", a->pos[0], rc);
    if (a->json)
        printf("{\"op\":\"put\",\"ok\":true,\"id\":\"%s\",\"offset\":%llu,\"bytes\":%zu}\n",
               a->pos[0], (unsigned long long)a->offset, len);
    else
        printf("wrote %zu bytes at offset %llu of %s\n", len, (unsigned long long)a->offset,
               a->pos[0]);
    return 0;
}

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        fputc(hex[p[i] >> 4], f);
        fputc(hex[p[i] & 15], f);
    }
}

static int write_output(const args_t *a, const uint8_t *buf, size_t n)
{
    if (a->outfile && strcmp(a->outfile, "-") != 0) {
        FILE *f = fopen(a->outfile, "wb");
        if (!f || (n && fwrite(buf, 1, n, f) != n) || fclose(f) != 0) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, a->outfile, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (a->json) /* the bytes go into the JSON object */
        return 0;
    if (cli_write_stdout(buf, n) < 0) {
        fprintf(stderr, "%s: cannot write to stdout: %s\n", prog, strerror(errno));
        return -1;
    }
    return 0;
}

static int cmd_get(juxmem_t *j, const args_t *a)
{
    jxta_id_t id = a->id;
    int status = open_locked(j, a, &id, a->pos[0], 1);
    if (status)
        return status;
    uint64_t len = a->length;
    if (!a->has_length) {
        uint64_t size = 0;
        int rc = block_size(j, &id, &size);
        if (rc < 0)
            return fail_release(j, &id, a, "stat", a->pos[0], rc);
        if (a->offset > size)
            return fail_release(j, &id, a, "read", a->pos[0], JUXMEM_ERANGE);
        len = size - a->offset;
    }
    if (len > SIZE_MAX - 1)
        return fail_release(j, &id, a, "read", a->pos[0], JXTA_ENOMEM);
    uint8_t *buf = malloc(len ? (size_t)len : 1);
    if (!buf)
        return fail_release(j, &id, a, "read", a->pos[0], JXTA_ENOMEM);
    int rc = juxmem_read(j, &id, a->offset, buf, (size_t)len);
    if (rc < 0) {
        free(buf);
        return fail_release(j, &id, a, "read", a->pos[0], rc);
    }
    rc = juxmem_release(j, &id);
    if (rc < 0) {
        free(buf);
        return fail(a, "release", a->pos[0], rc);
    }
    if (write_output(a, buf, (size_t)len) < 0) {
        free(buf);
        return 1;
    }
    if (a->json) {
        printf("{\"op\":\"get\",\"ok\":true,\"id\":\"%s\",\"offset\":%llu,\"length\":%llu", a->pos[0],
               (unsigned long long)a->offset, (unsigned long long)len);
        if (a->outfile && strcmp(a->outfile, "-") != 0) {
            printf(",\"file\":");
            json_string(stdout, a->outfile);
        } else {
            printf(",\"hex\":\"");
            print_hex(stdout, buf, (size_t)len);
            printf("\"");
        }
        printf("}\n");
    }
    free(buf);
    return 0;
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One line of the history CSV (tools/history.h) for an increment that
 * ended now; flushed at once, so a killed client leaves what it did. */
static void history_line(FILE *h, const args_t *a, uint64_t start_us, const char *outcome,
                         uint64_t read, uint64_t written)
{
    if (!h)
        return;
    uint64_t end_us = mono_us();
    fprintf(h, "%llu,rmw,%llu.%03llu,%llu.%03llu,%s,", (unsigned long long)a->client,
            (unsigned long long)(start_us / 1000), (unsigned long long)(start_us % 1000),
            (unsigned long long)(end_us / 1000), (unsigned long long)(end_us % 1000), outcome);
    if (strcmp(outcome, "fail") == 0)
        fprintf(h, "-,-\n");
    else
        fprintf(h, "%llu,%llu\n", (unsigned long long)read, (unsigned long long)written);
    fflush(h);
}

static int cmd_incr(juxmem_t *j, const args_t *a)
{
    jxta_id_t id = a->id;
    uint64_t count = a->number;
    int rc = juxmem_attach(j, &id);
    if (rc < 0)
        return fail(a, "attach", a->pos[0], rc);
    FILE *h = NULL;
    if (a->history) {
        int fresh = access(a->history, F_OK) != 0;
        if (!(h = fopen(a->history, "a"))) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, a->history, strerror(errno));
            return 1;
        }
        if (fresh)
            fprintf(h, "client,kind,start_ms,end_ms,outcome,read,written\n");
    }
    /* With a history, the counter at 0 is followed by a stamp at 8 that
     * every increment sets to a value of its own (client + 1) << 40 | n:
     * the checker needs each write to be unique. */
    uint64_t value = 0, failures = 0, stamp_read = 0;
    size_t len = h ? 16 : 8;
    int status = 0;
    for (uint64_t i = 0; i < count && !stopping; i++) {
        uint8_t b[16];
        uint64_t start = mono_us(), before = 0, stamp = ((a->client + 1) << 40) | (i + 1);
        const char *step = "acquire";
        if ((rc = juxmem_acquire(j, &id)) == 0) {
            step = "read";
            if ((rc = juxmem_read(j, &id, 0, b, len)) == 0) {
                before = get_le64(b);
                stamp_read = get_le64(b + 8);
                put_le64(b, before + 1);
                put_le64(b + 8, stamp);
                step = "write";
                rc = juxmem_write(j, &id, 0, b, len);
            }
            if (rc < 0) {
                juxmem_release(j, &id); /* nothing written: the lock goes back */
            } else {
                step = "release";
                rc = juxmem_release(j, &id);
            }
        }
        if (rc == 0) {
            value = before + 1;
            history_line(h, a, start, "ok", stamp_read, stamp);
            continue;
        }
        /* a failed release leaves the increment undecided: the writes may
         * be in (no answer) or not (refused); the checker decides */
        history_line(h, a, start, strcmp(step, "release") == 0 ? "indet" : "fail", stamp_read,
                     stamp);
        status = fail(a, step, a->pos[0], rc);
        failures++;
        if (!a->keep_going)
            break;
    }
    if (h)
        fclose(h);
    if (status && !a->keep_going)
        return status;
    if (stopping) {
        fprintf(stderr, "%s: incr interrupted\n", prog);
        return 1;
    }
    if (a->json)
        printf("{\"op\":\"incr\",\"ok\":%s,\"id\":\"%s\",\"count\":%llu,\"failed\":%llu,"
               "\"value\":%llu}\n",
               failures ? "false" : "true", a->pos[0], (unsigned long long)count,
               (unsigned long long)failures, (unsigned long long)value);
    else
        printf("%llu\n", (unsigned long long)value);
    return failures ? 1 : 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stopping)
        ;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int cmd_lock(juxmem_t *j, const args_t *a)
{
    jxta_id_t id = a->id;
    int shared = a->read_lock;
    int status = open_locked(j, a, &id, a->pos[0], shared);
    if (status)
        return status;
    juxmem_stat_t *st = calloc(1, sizeof *st);
    int rc = st ? juxmem_stat(j, &id, st) : JXTA_ENOMEM;
    if (rc < 0) {
        free(st);
        return fail_release(j, &id, a, "stat", a->pos[0], rc);
    }
    uint64_t size = st->size, version = st->version, lease = st->lease_left_ms;
    free(st);
    if (a->has_pattern) {
        uint8_t *p = size <= SIZE_MAX ? malloc(size ? (size_t)size : 1) : NULL;
        if (!p)
            return fail_release(j, &id, a, "write", a->pos[0], JXTA_ENOMEM);
        memset(p, a->pattern, (size_t)size);
        rc = juxmem_write(j, &id, 0, p, (size_t)size);
        free(p);
        if (rc < 0)
            return fail_release(j, &id, a, "write", a->pos[0], rc);
    }
    const char *mode = shared ? "shared" : "exclusive";
    if (a->json)
        printf("{\"op\":\"lock\",\"event\":\"holding\",\"id\":\"%s\",\"mode\":\"%s\","
               "\"version\":%llu,\"lease_left_ms\":%llu}\n",
               a->pos[0], mode, (unsigned long long)version, (unsigned long long)lease);
    else
        printf("HOLDING id=%s mode=%s version=%llu lease-left-ms=%llu\n", a->pos[0], mode,
               (unsigned long long)version, (unsigned long long)lease);
    fflush(stdout);
    uint64_t end = a->has_hold ? now_ms() + a->hold_ms : UINT64_MAX;
    while (!stopping && now_ms() < end) {
        uint64_t left = end - now_ms();
        sleep_ms(left > 100 ? 100 : (unsigned)left);
    }
    rc = juxmem_release(j, &id);
    if (rc < 0)
        return fail(a, "release", a->pos[0], rc);
    if (a->json)
        printf("{\"op\":\"lock\",\"ok\":true,\"id\":\"%s\",\"mode\":\"%s\",\"released\":true}\n",
               a->pos[0], mode);
    else
        printf("RELEASED %s\n", a->pos[0]);
    return 0;
}

static int cmd_stat(juxmem_t *j, const args_t *a)
{
    jxta_id_t id = a->id;
    int rc = juxmem_attach(j, &id);
    if (rc < 0)
        return fail(a, "attach", a->pos[0], rc);
    juxmem_stat_t *st = calloc(1, sizeof *st);
    if (!st)
        return fail(a, "stat", a->pos[0], JXTA_ENOMEM);
    rc = juxmem_stat(j, &id, st);
    if (rc < 0) {
        free(st);
        return fail(a, "stat", a->pos[0], rc);
    }
    static const char *const lock_names[] = {"free", "exclusive", "shared"};
    const char *lock = st->locked >= 0 && st->locked <= 2 ? lock_names[st->locked] : "?";
    size_t n = st->ncopies < JUXMEM_MAX_COPIES ? st->ncopies : JUXMEM_MAX_COPIES;
    jxta_id_text_t t;
    /* distinct clusters among the copies */
    size_t nclusters = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < i && strcmp(st->copy_cluster[k], st->copy_cluster[i]) != 0)
            k++;
        nclusters += k == i;
    }
    if (a->json) {
        printf("{\"op\":\"stat\",\"ok\":true,\"id\":\"%s\",\"size\":%llu,\"version\":%llu,"
               "\"clusters\":%u,\"providers\":%u,\"copy_clusters\":%zu,\"copies\":[",
               a->pos[0], (unsigned long long)st->size, (unsigned long long)st->version,
               st->clusters, st->providers, nclusters);
        for (size_t i = 0; i < n; i++) {
            printf("%s{\"peer\":\"%s\",\"cluster\":", i ? "," : "", id_text(&st->copies[i], &t));
            st->copy_cluster[i][sizeof st->copy_cluster[i] - 1] = '\0';
            json_string(stdout, st->copy_cluster[i]);
            printf("}");
        }
        printf("],\"requested\":%u,\"repairing\":%s,\"epoch\":%llu,\"available\":%s",
               st->requested, st->repairing ? "true" : "false", (unsigned long long)st->epoch,
               st->why ? "false" : "true");
        if (st->why)
            printf(",\"why\":\"quorum lost\"");
        printf(",\"lock\":\"%s\"", lock);
        if (st->locked == 1)
            printf(",\"holder\":\"%s\"", id_text(&st->lock_holder, &t));
        if (st->locked)
            printf(",\"lease_left_ms\":%llu", (unsigned long long)st->lease_left_ms);
        printf(",\"lifetime_ms\":%llu}\n", (unsigned long long)st->attr.lifetime_ms);
    } else {
        printf("data      %s\n", a->pos[0]);
        printf("size      %llu\n", (unsigned long long)st->size);
        printf("version   %llu\n", (unsigned long long)st->version);
        printf("allocated %u cluster%s x %u provider%s\n", st->clusters,
               st->clusters == 1 ? "" : "s", st->providers, st->providers == 1 ? "" : "s");
        printf("copies    %zu of %u in %zu cluster%s%s\n", n, st->requested, nclusters,
               nclusters == 1 ? "" : "s", st->repairing ? " (repair in progress)" : "");
        for (size_t i = 0; i < n; i++) {
            st->copy_cluster[i][sizeof st->copy_cluster[i] - 1] = '\0';
            printf("  %s cluster=%s\n", id_text(&st->copies[i], &t),
                   st->copy_cluster[i][0] ? st->copy_cluster[i] : "?");
        }
        printf("term      %llu\n", (unsigned long long)st->epoch);
        printf("state     %s\n", st->why ? "unavailable: quorum lost (no majority of the copies "
                                            "reachable: no lock granted, no write accepted)"
                                          : "available");
        printf("lock      %s", lock);
        if (st->locked == 1)
            printf(" holder=%s", id_text(&st->lock_holder, &t));
        if (st->locked)
            printf(" lease-left-ms=%llu", (unsigned long long)st->lease_left_ms);
        printf("\n");
    }
    free(st);
    return 0;
}

static int cmd_free(juxmem_t *j, const args_t *a)
{
    jxta_id_t id = a->id;
    int rc = juxmem_free(j, &id);
    if (rc == JUXMEM_ENODATA) { /* perhaps only not known here yet */
        if (juxmem_attach(j, &id) == 0)
            rc = juxmem_free(j, &id);
    }
    if (rc < 0)
        return fail(a, "free", a->pos[0], rc);
    if (a->json)
        printf("{\"op\":\"free\",\"ok\":true,\"id\":\"%s\"}\n", a->pos[0]);
    else
        printf("freed %s\n", a->pos[0]);
    return 0;
}

/* ---- ls: from the advertisements ----------------------------------------- */

typedef struct find_group {
    jxta_peer_t *peer;
    jxta_id_t gid;
    jxta_group_t *found;
} find_group_t;

/* On the loop thread: the joined group `gid` below the Net group. */
static jxta_group_t *search_children(jxta_group_t *g, const jxta_id_t *gid, int depth)
{
    size_t n = jxta_group_child_count(g);
    for (size_t i = 0; i < n; i++) {
        jxta_group_t *c = jxta_group_child(g, i);
        if (jxta_id_equal(jxta_group_id(c), gid))
            return c;
        jxta_group_t *d = depth > 0 ? search_children(c, gid, depth - 1) : NULL;
        if (d)
            return d;
    }
    return NULL;
}

static int find_group_on_loop(void *ud)
{
    find_group_t *f = ud;
    f->found = search_children(jxta_peer_net_group(f->peer), &f->gid, 2);
    return f->found ? 0 : JXTA_ENOTFOUND;
}

static int joined_group(jxta_peer_t *p, const jxta_id_t *gid, int timeout_ms,
                        jxta_group_t **out)
{
    find_group_t f = {p, *gid, NULL};
    int rc = jxta_peer_run(p, find_group_on_loop, &f, timeout_ms);
    *out = f.found;
    return rc;
}

/* Discover every advertisement of type `type` (root element name) in g:
 * all answers within the wait, filtered, one entry per distinct text. */
static int discover_type(jxta_peer_t *p, jxta_group_t *g, const char *attr, const char *type,
                         int wait_ms, jxta_adv_t ***advs, size_t *n)
{
    jxta_adv_t **all = NULL;
    size_t nall = 0;
    int rc = jxta_peer_discover(p, g, 2, attr, "*", 10000, wait_ms, &all, &nall);
    if (rc == JXTA_ETIMEDOUT || (rc == 0 && nall == 0)) {
        *advs = NULL;
        *n = 0;
        jxta_peer_free_advs(all, nall);
        return 0;
    }
    if (rc < 0)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < nall; i++) {
        const char *name = jxta_adv_type_name(all[i]);
        if (name && strcmp(name, type) == 0)
            all[k++] = all[i];
        else
            jxta_adv_free(all[i]);
    }
    *advs = all;
    *n = k;
    return 0;
}

/* The providers' memory advertisements of one cluster: they live in the
 * cluster's group, which this client joins (as an edge) from the group
 * advertisement the manager publishes in the juxmem group.  Best effort:
 * returns how many were found (0 when the group cannot be reached). */
static size_t cluster_memory(jxta_peer_t *p, jxta_group_t *jg, const juxmem_cluster_info_t *ci,
                             int wait_ms, juxmem_memory_info_t *out, size_t cap)
{
    jxta_id_text_t t;
    jxta_adv_t **pgas = NULL, **advs = NULL;
    size_t npgas = 0, n = 0, found = 0;
    jxta_group_t *cg = NULL;
    if (jxta_peer_discover(p, jg, 1, "GID", jxta_id_str(&ci->group, &t), 1, wait_ms, &pgas,
                           &npgas) < 0 || npgas == 0)
        goto out;
    if (joined_group(p, &ci->group, wait_ms, &cg) < 0 &&
        jxta_peer_join(p, jg, pgas[0], NULL, &cg) < 0)
        goto out;
    if (jxta_peer_wait_rdv(p, cg, wait_ms) < 0)
        goto out;
    size_t want = ci->nproviders ? ci->nproviders : 1;
    if (jxta_peer_discover(p, cg, 2, "Cluster", ci->name, want, wait_ms, &advs, &n) < 0)
        goto out;
    for (size_t i = 0; i < n && found < cap; i++) {
        const char *type = jxta_adv_type_name(advs[i]);
        if (type && strcmp(type, "jxta:JuxMemMemory") == 0 &&
            juxmem_memory_adv_get(advs[i], &out[found]) == 0)
            found++;
    }
out:
    jxta_peer_free_advs(pgas, npgas);
    jxta_peer_free_advs(advs, n);
    return found;
}

static int ls_clusters(jxta_peer_t *p, jxta_group_t *jg, const args_t *a, int wait_ms,
                       int providers)
{
    jxta_adv_t **advs;
    size_t n;
    int rc = discover_type(p, jg, "Name", "jxta:JuxMemCluster", wait_ms, &advs, &n);
    if (rc < 0)
        return fail(a, "discover", NULL, rc);
    juxmem_cluster_info_t *ci = calloc(1, sizeof *ci);
    juxmem_memory_info_t *mem = providers ? calloc(JUXMEM_CLUSTER_MAX_PROVIDERS, sizeof *mem) : NULL;
    if (!ci || (providers && !mem)) {
        free(ci);
        jxta_peer_free_advs(advs, n);
        return fail(a, "ls", NULL, JXTA_ENOMEM);
    }
    size_t shown = 0;
    jxta_id_text_t t;
    for (size_t i = 0; i < n; i++) {
        if (juxmem_cluster_adv_get(advs[i], ci) < 0)
            continue;
        if (!providers) {
            if (a->json) {
                printf("{\"op\":\"ls\",\"what\":\"cluster\",\"name\":");
                json_string(stdout, ci->name);
                printf(",\"group\":\"%s\",\"managers\":%zu,\"providers\":%zu,\"free\":%llu}\n",
                       id_text(&ci->group, &t), ci->nmanagers, ci->nproviders,
                       (unsigned long long)ci->free_bytes);
            } else {
                printf("cluster %s managers=%zu providers=%zu free=%llu group=%s\n", ci->name,
                       ci->nmanagers, ci->nproviders, (unsigned long long)ci->free_bytes,
                       id_text(&ci->group, &t));
            }
            shown++;
            continue;
        }
        size_t nmem = cluster_memory(p, jg, ci, wait_ms, mem, JUXMEM_CLUSTER_MAX_PROVIDERS);
        for (size_t k = 0; k < ci->nproviders; k++, shown++) {
            const juxmem_memory_info_t *m = NULL;
            for (size_t x = 0; x < nmem && !m; x++)
                if (jxta_id_equal(&mem[x].provider, &ci->providers[k]))
                    m = &mem[x];
            if (a->json) {
                printf("{\"op\":\"ls\",\"what\":\"provider\",\"peer\":\"%s\",\"cluster\":",
                       id_text(&ci->providers[k], &t));
                json_string(stdout, ci->name);
                if (m)
                    printf(",\"offered\":%llu,\"free\":%llu", (unsigned long long)m->offered,
                           (unsigned long long)m->free_bytes);
                printf("}\n");
            } else if (m) {
                printf("provider %s cluster=%s offered=%llu free=%llu\n",
                       id_text(&ci->providers[k], &t), ci->name, (unsigned long long)m->offered,
                       (unsigned long long)m->free_bytes);
            } else {
                printf("provider %s cluster=%s\n", id_text(&ci->providers[k], &t), ci->name);
            }
        }
    }
    free(ci);
    free(mem);
    jxta_peer_free_advs(advs, n);
    if (!a->json)
        printf("%zu %s\n", shown, providers ? "provider(s)" : "cluster(s)");
    else
        printf("{\"op\":\"ls\",\"ok\":true,\"what\":\"%s\",\"count\":%zu}\n",
               providers ? "providers" : "clusters", shown);
    return 0;
}

static int ls_data(jxta_peer_t *p, jxta_group_t *jg, const args_t *a, int wait_ms)
{
    jxta_adv_t **advs;
    size_t n;
    int rc = discover_type(p, jg, "Id", "jxta:JuxMemData", wait_ms, &advs, &n);
    if (rc < 0)
        return fail(a, "discover", NULL, rc);
    juxmem_block_adv_info_t *bi = calloc(1, sizeof *bi);
    if (!bi) {
        jxta_peer_free_advs(advs, n);
        return fail(a, "ls", NULL, JXTA_ENOMEM);
    }
    size_t shown = 0;
    jxta_id_text_t t;
    for (size_t i = 0; i < n; i++) {
        if (juxmem_block_adv_get(advs[i], bi) < 0)
            continue;
        shown++;
        if (a->json)
            printf("{\"op\":\"ls\",\"what\":\"data\",\"id\":\"%s\",\"size\":%llu,\"clusters\":%u,"
                   "\"providers\":%u,\"copies\":%zu}\n",
                   id_text(&bi->data, &t), (unsigned long long)bi->size, bi->clusters,
                   bi->providers, bi->ncopies);
        else
            printf("data %s size=%llu clusters=%u providers=%u copies=%zu\n",
                   id_text(&bi->data, &t), (unsigned long long)bi->size, bi->clusters,
                   bi->providers, bi->ncopies);
    }
    free(bi);
    jxta_peer_free_advs(advs, n);
    if (!a->json)
        printf("%zu data block(s)\n", shown);
    else
        printf("{\"op\":\"ls\",\"ok\":true,\"what\":\"data\",\"count\":%zu}\n", shown);
    return 0;
}

static int cmd_ls(juxmem_t *j, const args_t *a)
{
    const char *what = a->pos[0];
    int providers = strcmp(what, "providers") == 0, data = strcmp(what, "data") == 0;
    jxta_peer_t *p = juxmem_peer(j);
    jxta_id_t gid;
    jxta_group_t *jg = NULL;
    int rc = juxmem_group_id(&gid);
    if (rc == 0)
        rc = joined_group(p, &gid, a->o.timeout_ms, &jg);
    if (rc < 0)
        return fail(a, "ls (juxmem group)", NULL, rc);
    int wait_ms = a->o.timeout_ms < LS_WAIT_MS ? a->o.timeout_ms : LS_WAIT_MS;
    if (data)
        return ls_data(p, jg, a, wait_ms);
    return ls_clusters(p, jg, a, wait_ms, providers);
}

/* ---- main ------------------------------------------------------------------ */

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("%s\n", juxmem_version());
        return 0;
    }
    static args_t a;
    if (parse_args(argc, argv, &a) < 0)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a hold's sleep ends at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    juxmem_t *j = NULL;
    int rc = juxmem_open(&a.o, &j);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot start the client peer (home %s): %s\n", prog, a.o.home,
                juxmem_strerror(rc));
        if (a.json) {
            printf("{\"op\":");
            json_string(stdout, a.cmd);
            printf(",\"ok\":false,\"step\":\"open\",\"code\":%d,\"error\":", rc);
            json_string(stdout, juxmem_strerror(rc));
            printf("}\n");
        }
        return 1;
    }
    int status;
    if (strcmp(a.cmd, "alloc") == 0)
        status = cmd_alloc(j, &a);
    else if (strcmp(a.cmd, "put") == 0)
        status = cmd_put(j, &a);
    else if (strcmp(a.cmd, "get") == 0)
        status = cmd_get(j, &a);
    else if (strcmp(a.cmd, "incr") == 0)
        status = cmd_incr(j, &a);
    else if (strcmp(a.cmd, "lock") == 0)
        status = cmd_lock(j, &a);
    else if (strcmp(a.cmd, "stat") == 0)
        status = cmd_stat(j, &a);
    else if (strcmp(a.cmd, "ls") == 0)
        status = cmd_ls(j, &a);
    else
        status = cmd_free(j, &a);
    if (fflush(stdout) != 0 && status == 0) {
        fprintf(stderr, "%s: cannot write to stdout: %s\n", prog, strerror(errno));
        status = 1;
    }
    juxmem_close(j);
    return status;
}
