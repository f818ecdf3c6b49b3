/* juxmemd - run one JuxMem peer (rendezvous, manager, provider, or just a
 * client) until stopped.
 *
 * The peer is opened with juxmem_open (its JXTA loop on a thread of its
 * own); the main thread only waits for SIGINT/SIGTERM (blocked everywhere,
 * taken with sigtimedwait) or the end of --lifetime, then closes the peer
 * cleanly (goodbyes to the rendezvous, queued messages flushed).  Events
 * go to stdout one line each, in the format of jxta-peer (grep-friendly,
 * or one JSON object per line with --json); diagnostics go to stderr
 * through the library log. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jxta.h>
#include <jxta/peer.h>

#include "../juxmem/service.h"
#include "cli.h"

static const char *prog = "juxmemd";

static void usage(FILE *out)
{
    fprintf(out,
        "usage: juxmemd --home DIR [options]\n"
        "\n"
        "Run one JuxMem peer until it is stopped (SIGINT/SIGTERM) or --lifetime passes.\n"
        "\n"
        "  --home DIR            peer home (PlatformConfig, cache); created if missing\n"
        "  --name NAME           peer name\n"
        "  --listen tcp://HOST:PORT\n"
        "                        accept connections there (port 0 = any free port)\n"
        "  --no-listen           accept no connections\n"
        "  --seed tcp://HOST:PORT\n"
        "                        rendezvous of the Net and juxmem groups (repeatable)\n"
        "  --rdv                 be a rendezvous of the Net and juxmem groups\n"
        "  --manager             manage --cluster (runs its group as rendezvous); several\n"
        "                        peers may manage one cluster: one primary, the others\n"
        "                        backups that take over within about 5 s of its death\n"
        "  --provider SIZE       offer SIZE bytes (suffix k, M or G) in --cluster\n"
        "  --cluster NAME        this peer's cluster (required with --manager/--provider)\n"
        "  --lock-lease-ms N     lease of the locks this peer grants (default 10000)\n"
        "  --fail-ms N           a copy silent this long is dead (default 5000; a dead\n"
        "                        sequencer is replaced after about twice that)\n"
        "  --lifetime S          stop after S seconds\n"
        "  --log-level L         error, warn, info, debug or trace\n"
        "  --json                events as JSON objects, one per line\n"
        "  --help                this text\n"
        "\n"
        "events (stdout):\n"
        "  READY peer=<id> roles=<rdv,manager,provider|client> cluster=<name|none>\n"
        "        listen=<addr|none>\n"
        "  JOINED group=juxmem id=<gid> role=<rdv|edge>\n"
        "  CLUSTER joined name=<n> id=<gid> role=<rdv|edge>\n"
        "  PROVIDER offered=<n> free=<n>\n"
        "  MANAGER cluster=<n> providers=<k> free=<n> role=<primary|backup>\n"
        "  MANAGER role=<primary|backup> cluster=<n> managers=<live managers>\n"
        "                        (role taken: the live manager with the lowest peer ID\n"
        "                        is primary and publishes the cluster advertisement)\n"
        "  COPY added data=<id> size=<n>        COPY freed data=<id>\n"
        "  SEQUENCER data=<id>                  COPY-LOST data=<id> peer=<id>\n"
        "  COPY recreated data=<id> peer=<id> cluster=<n>   (new copy reserved, state sent)\n"
        "  REPAIRED data=<id> peer=<id> cluster=<n> copies=<k>  (its state acknowledged)\n"
        "  REPAIR-FAILED data=<id> cluster=<n>  (no replacement within 60 s)\n"
        "  STOP reason=<signal|lifetime|error>\n"
        "\n"
        "example (a rendezvous, then a cluster with its manager and a provider):\n"
        "  juxmemd --home /tmp/r --rdv --listen tcp://127.0.0.1:9801 &\n"
        "  juxmemd --home /tmp/m --listen tcp://127.0.0.1:9802 --seed tcp://127.0.0.1:9801 \\\n"
        "          --manager --cluster a &\n"
        "  juxmemd --home /tmp/p --no-listen --seed tcp://127.0.0.1:9801 --cluster a \\\n"
        "          --provider 64M &\n");
}

static int json_events;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void put_json_string(const char *v, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* "EVENT [what] key=value..." as is, or as one JSON object. */
static void print_event(const char *line)
{
    pthread_mutex_lock(&out_mu);
    if (!json_events) {
        puts(line);
    } else {
        const char *p = line;
        int first = 1;
        printf("{");
        while (*p) {
            const char *end = strchr(p, ' ');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            const char *eq = memchr(p, '=', n);
            if (first) {
                printf("\"event\":");
                put_json_string(p, n);
                first = 0;
            } else if (!eq) {
                printf(",\"what\":");
                put_json_string(p, n);
            } else {
                putchar(',');
                put_json_string(p, (size_t)(eq - p));
                putchar(':');
                put_json_string(eq + 1, n - (size_t)(eq - p) - 1);
            }
            p += n;
            while (*p == ' ')
                p++;
        }
        puts("}");
    }
    fflush(stdout);
    pthread_mutex_unlock(&out_mu);
}

static void on_event(void *ud, const char *line)
{
    (void)ud;
    print_event(line);
}

static int parse_u64(const char *opt, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-') {
        fprintf(stderr, "%s: %s wants a non-negative integer, not '%s'\n", prog, opt, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* SIZE with an optional k/M/G suffix (powers of 1024). */
static int parse_size(const char *opt, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1024ull * 1024 * 1024, end++;
    if (errno || end == v || *end || v[0] == '-' || x == 0 || x > UINT64_MAX / mul) {
        fprintf(stderr, "%s: %s wants a positive size (bytes, or with k, M or G), not '%s'\n",
                prog, opt, v);
        return -1;
    }
    *out = x * mul;
    return 0;
}

typedef struct {
    juxmem_options_t jo;
    const char *log_level;
    int no_listen;
    uint64_t lifetime_s;
    int have_lifetime;
} opts_t;

static int parse_opts(int argc, char **argv, opts_t *o)
{
    juxmem_options_default(&o->jo);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE(name) (strcmp(a, name) == 0 && (v ? (i++, 1) : (fprintf(stderr, "%s: %s needs a value\n", prog, name), exit(2), 0)))
        if (TAKE("--home")) {
            o->jo.home = v;
        } else if (TAKE("--name")) {
            o->jo.name = v;
        } else if (TAKE("--listen")) {
            if (strncmp(v, "tcp://", 6) != 0) {
                fprintf(stderr, "%s: --listen wants tcp://HOST:PORT, not '%s'\n", prog, v);
                return -1;
            }
            o->jo.listen = v;
        } else if (strcmp(a, "--no-listen") == 0) {
            o->no_listen = 1;
        } else if (TAKE("--seed")) {
            if (o->jo.nseeds == 16) {
                fprintf(stderr, "%s: at most 16 --seed options\n", prog);
                return -1;
            }
            if (strncmp(v, "tcp://", 6) != 0) {
                fprintf(stderr, "%s: --seed wants tcp://HOST:PORT, not '%s'\n", prog, v);
                return -1;
            }
            o->jo.seeds[o->jo.nseeds++] = v;
        } else if (strcmp(a, "--rdv") == 0) {
            o->jo.rendezvous = 1;
        } else if (strcmp(a, "--manager") == 0) {
            o->jo.manager = 1;
        } else if (TAKE("--provider")) {
            if (parse_size(a, v, &o->jo.provide_bytes) < 0)
                return -1;
        } else if (TAKE("--cluster")) {
            jxta_id_t gid;
            if (juxmem_cluster_group_id(v, &gid) < 0) {
                fprintf(stderr, "%s: --cluster wants a name of 1 to %d bytes, not '%s'\n", prog,
                        JUXMEM_CLUSTER_NAME_MAX, v);
                return -1;
            }
            o->jo.cluster = v;
        } else if (TAKE("--lock-lease-ms")) {
            if (parse_u64(a, v, &o->jo.lock_lease_ms) < 0)
                return -1;
            if (o->jo.lock_lease_ms == 0) {
                fprintf(stderr, "%s: --lock-lease-ms must be positive\n", prog);
                return -1;
            }
        } else if (TAKE("--fail-ms")) {
            if (parse_u64(a, v, &o->jo.fail_ms) < 0)
                return -1;
            if (o->jo.fail_ms < 100) {
                fprintf(stderr, "%s: --fail-ms must be at least 100\n", prog);
                return -1;
            }
        } else if (TAKE("--lifetime")) {
            if (parse_u64(a, v, &o->lifetime_s) < 0)
                return -1;
            o->have_lifetime = 1;
        } else if (TAKE("--log-level")) {
            o->log_level = v;
        } else if (strcmp(a, "--json") == 0) {
            json_events = 1;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
            return -1;
        }
#undef TAKE
    }
    if (!o->jo.home) {
        fprintf(stderr, "%s: --home DIR is required (see --help)\n", prog);
        return -1;
    }
    if (o->jo.listen && o->no_listen) {
        fprintf(stderr, "%s: --listen and --no-listen exclude each other\n", prog);
        return -1;
    }
    if (o->no_listen)
        o->jo.listen = "";
    if ((o->jo.manager || o->jo.provide_bytes) && !o->jo.cluster) {
        fprintf(stderr, "%s: --manager and --provider need --cluster NAME\n", prog);
        return -1;
    }
    if (o->log_level && cli_set_log_level(prog, o->log_level) < 0)
        return -1;
    return 0;
}

struct addr_call {
    juxmem_t *j;
    char text[128];
};

static int listen_addr_fn(void *ud)
{
    struct addr_call *c = ud;
    jxta_tcp_t *tcp = jxta_endpoint_tcp(jxta_peer_endpoint(juxmem_peer(c->j)));
    const jxta_addr_t *a = tcp ? jxta_tcp_public_addr(tcp) : NULL;
    char host[64];
    uint16_t port = 0;
    if (!a || jxta_addr_tcp_hostport(a, host, sizeof host, &port) < 0 || port == 0)
        snprintf(c->text, sizeof c->text, "none");
    else
        jxta_addr_format(a, c->text, sizeof c->text);
    return 0;
}

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    opts_t o;
    memset(&o, 0, sizeof o);
    if (parse_opts(argc, argv, &o) < 0)
        return 2;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started below inherits it */

    juxmem_t *j = NULL;
    int rc = juxmem_open_ex(&o.jo, on_event, NULL, &j);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot start: %s\n", prog, juxmem_strerror(rc));
        print_event("STOP reason=error");
        return 1;
    }
    struct addr_call ac = {.j = j};
    jxta_peer_run(juxmem_peer(j), listen_addr_fn, &ac, 10000);
    char roles[64] = "";
    if (o.jo.rendezvous)
        strcat(roles, "rdv,");
    if (o.jo.manager)
        strcat(roles, "manager,");
    if (o.jo.provide_bytes)
        strcat(roles, "provider,");
    if (!roles[0])
        strcpy(roles, "client,");
    roles[strlen(roles) - 1] = '\0';
    char line[512];
    jxta_id_text_t t;
    snprintf(line, sizeof line, "READY peer=%s roles=%s cluster=%s listen=%s",
             jxta_id_str(jxta_peer_id(juxmem_peer(j)), &t), roles,
             o.jo.cluster ? o.jo.cluster : "none", ac.text);
    print_event(line);

    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += (time_t)o.lifetime_s;
    const char *reason = "lifetime";
    for (;;) {
        struct timespec wait = {1, 0};
        if (o.have_lifetime) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > end.tv_sec ||
                (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
                break;
            long left_ms = (long)(end.tv_sec - now.tv_sec) * 1000 +
                           (end.tv_nsec - now.tv_nsec) / 1000000;
            if (left_ms < 1000) {
                wait.tv_sec = 0;
                wait.tv_nsec = (left_ms > 0 ? left_ms : 1) * 1000000L;
            }
        }
        int sig = sigtimedwait(&set, NULL, &wait);
        if (sig == SIGINT || sig == SIGTERM) {
            jxta_log(JXTA_LOG_INFO, "juxmemd", "signal %d: stopping", sig);
            reason = "signal";
            break;
        }
    }
    juxmem_close(j);
    snprintf(line, sizeof line, "STOP reason=%s", reason);
    print_event(line);
    return 0;
}
