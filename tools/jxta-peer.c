/* jxta-peer - run one JXTA peer (edge or rendezvous) until stopped.
 *
 * The peer keeps its identity in HOME/PlatformConfig (a JXSE-compatible
 * file, created on first run); command-line options override what the file
 * says and are saved back.  Everything happens on one event loop: the TCP
 * transport, the endpoint router, the rendezvous lease protocol,
 * propagation, the resolver, the route resolver and, on a rendezvous, the
 * PeerView.
 * SIGINT/SIGTERM (through a signalfd on the same loop) or --lifetime end the
 * run cleanly: an edge sends Disconnect to its rendezvous, a rendezvous to
 * its clients, and queued messages get up to a second to leave.
 *
 * Events a user (or a test) cares about go to stdout, one line each, in a
 * fixed format meant for grep; diagnostics go to stderr through the
 * library log. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>

#include "cli.h"

static const char *prog = "jxta-peer";

static void usage(FILE *out)
{
    fprintf(out,
        "usage: jxta-peer --home DIR [options]\n"
        "\n"
        "Run one JXTA peer, wire-compatible with JXSE 2.5, until it is stopped\n"
        "(SIGINT/SIGTERM) or --lifetime passes.\n"
        "\n"
        "  --home DIR            peer home: holds PlatformConfig (identity and settings);\n"
        "                        created if missing (required)\n"
        "  --name NAME           peer name (default: from PlatformConfig, else \"jxta-c peer\")\n"
        "  --listen tcp://HOST:PORT\n"
        "                        accept connections there (port 0 = any free port;\n"
        "                        default tcp://127.0.0.1:9701)\n"
        "  --no-listen           accept no connections (an edge behind a firewall)\n"
        "  --seed tcp://HOST:PORT\n"
        "                        edge: rendezvous to lease from, tried in order;\n"
        "                        rendezvous: other rendezvous to form a PeerView with\n"
        "                        (repeatable; replaces the seeds of PlatformConfig)\n"
        "  --role edge|rdv       be an edge (default) or a rendezvous\n"
        "  --lifetime SECONDS    stop after this long (default: run until signalled)\n"
        "  --log-level LEVEL     error, warn (default), info, debug or trace (stderr)\n"
        "\n"
        "Tuning (defaults are JXSE's; tests use short values):\n"
        "  --lease-ms N          rendezvous: lease granted to edges (default 1200000)\n"
        "  --gc-ms N             rendezvous: how often expired clients are dropped (120000)\n"
        "  --retry-ms N          edge: wait for a grant before trying the next seed (15000)\n"
        "  --max-clients N       rendezvous: most edges served at once (200)\n"
        "  --probe-ms N          rendezvous: PeerView probe period (5000)\n"
        "  --member-timeout-ms N rendezvous: silence before a PeerView member is dropped\n"
        "                        (300000)\n"
        "\n"
        "Events on stdout, one per line:\n"
        "  READY peer=<peer-id> role=<edge|rdv> listen=<tcp://host:port|none> name=<name>\n"
        "  LEASE granted rdv=<peer-id> lease_ms=<n>\n"
        "  LEASE renewed rdv=<peer-id> lease_ms=<n>\n"
        "  LEASE lost rdv=<peer-id> reason=<connection-lost|disconnected|expired|refused|shutdown>\n"
        "  CLIENT connected peer=<peer-id>\n"
        "  CLIENT disconnected peer=<peer-id> reason=<disconnected|expired|shutdown>\n"
        "  PEERVIEW joined peer=<peer-id>   PEERVIEW left peer=<peer-id>\n"
        "  STOP reason=<signal|lifetime|error>\n"
        "\n"
        "example:\n"
        "  jxta-peer --home /tmp/rdv --role rdv --listen tcp://127.0.0.1:9701 &\n"
        "  jxta-peer --home /tmp/e1 --no-listen --seed tcp://127.0.0.1:9701\n");
}

static void event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void event(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void ev_granted(void *ud, const jxta_id_t *rdv, uint64_t ms, int renewal)
{
    jxta_id_text_t t;
    (void)ud;
    event("LEASE %s rdv=%s lease_ms=%llu", renewal ? "renewed" : "granted", jxta_id_str(rdv, &t),
          (unsigned long long)ms);
}

static void ev_lost(void *ud, const jxta_id_t *rdv, const char *reason)
{
    jxta_id_text_t t;
    (void)ud;
    event("LEASE lost rdv=%s reason=%s", jxta_id_str(rdv, &t), reason);
}

static void ev_client(void *ud, const jxta_id_t *peer)
{
    jxta_id_text_t t;
    (void)ud;
    event("CLIENT connected peer=%s", jxta_id_str(peer, &t));
}

static void ev_client_gone(void *ud, const jxta_id_t *peer, const char *reason)
{
    jxta_id_text_t t;
    (void)ud;
    event("CLIENT disconnected peer=%s reason=%s", jxta_id_str(peer, &t), reason);
}

static void ev_view(void *ud, const jxta_id_t *peer, int joined)
{
    jxta_id_text_t t;
    (void)ud;
    event("PEERVIEW %s peer=%s", joined ? "joined" : "left", jxta_id_str(peer, &t));
}

static const char *stop_reason = "signal";

static void on_signal(jxta_io_t *io, unsigned events)
{
    struct signalfd_siginfo si;
    (void)events;
    if (read(io->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        jxta_log(JXTA_LOG_INFO, "peer", "signal %u: stopping", si.ssi_signo);
        stop_reason = "signal";
        jxta_loop_stop(io->loop);
    }
}

static void on_lifetime(jxta_timer_t *t)
{
    stop_reason = "lifetime";
    jxta_loop_stop(t->loop);
}

static int parse_u64(const char *opt, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-') {
        fprintf(stderr, "%s: %s needs a non-negative whole number, not '%s'\n", prog, opt, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

typedef struct {
    const char *home, *name, *listen, *role, *log_level;
    int no_listen;
    const char *seeds[JXTA_RDV_MAX_SEEDS];
    size_t nseeds;
    uint64_t lifetime_s, lease_ms, gc_ms, retry_ms, max_clients, probe_ms, member_timeout_ms;
    int have_lifetime, have_lease, have_gc, have_retry, have_max, have_probe, have_member_timeout;
} opts_t;

static int parse_opts(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE(name) (strcmp(a, name) == 0 && (v ? (i++, 1) : (fprintf(stderr, "%s: %s needs a value\n", prog, name), exit(2), 0)))
        if (TAKE("--home"))
            o->home = v;
        else if (TAKE("--name"))
            o->name = v;
        else if (TAKE("--listen"))
            o->listen = v;
        else if (strcmp(a, "--no-listen") == 0)
            o->no_listen = 1;
        else if (TAKE("--seed")) {
            if (o->nseeds == JXTA_RDV_MAX_SEEDS) {
                fprintf(stderr, "%s: at most %d --seed options\n", prog, JXTA_RDV_MAX_SEEDS);
                return -1;
            }
            o->seeds[o->nseeds++] = v;
        } else if (TAKE("--role"))
            o->role = v;
        else if (TAKE("--log-level"))
            o->log_level = v;
        else if (TAKE("--lifetime")) {
            if (parse_u64(a, v, &o->lifetime_s) < 0)
                return -1;
            o->have_lifetime = 1;
        } else if (TAKE("--lease-ms")) {
            if (parse_u64(a, v, &o->lease_ms) < 0 || o->lease_ms == 0)
                return -1;
            o->have_lease = 1;
        } else if (TAKE("--gc-ms")) {
            if (parse_u64(a, v, &o->gc_ms) < 0 || o->gc_ms == 0)
                return -1;
            o->have_gc = 1;
        } else if (TAKE("--retry-ms")) {
            if (parse_u64(a, v, &o->retry_ms) < 0 || o->retry_ms == 0)
                return -1;
            o->have_retry = 1;
        } else if (TAKE("--probe-ms")) {
            if (parse_u64(a, v, &o->probe_ms) < 0 || o->probe_ms == 0)
                return -1;
            o->have_probe = 1;
        } else if (TAKE("--member-timeout-ms")) {
            if (parse_u64(a, v, &o->member_timeout_ms) < 0 || o->member_timeout_ms == 0)
                return -1;
            o->have_member_timeout = 1;
        } else if (TAKE("--max-clients")) {
            if (parse_u64(a, v, &o->max_clients) < 0)
                return -1;
            o->have_max = 1;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
            return -1;
        }
#undef TAKE
    }
    if (!o->home) {
        fprintf(stderr, "%s: --home DIR is required (see --help)\n", prog);
        return -1;
    }
    if (o->listen && o->no_listen) {
        fprintf(stderr, "%s: --listen and --no-listen exclude each other\n", prog);
        return -1;
    }
    if (o->role && strcmp(o->role, "edge") != 0 && strcmp(o->role, "rdv") != 0) {
        fprintf(stderr, "%s: --role is edge or rdv, not '%s'\n", prog, o->role);
        return -1;
    }
    return 0;
}

/* PlatformConfig from HOME, overridden by the options, saved back. */
static int load_config(const opts_t *o, jxta_platform_config_t *pc)
{
    char path[4200];
    if (mkdir_p(o->home) < 0) {
        fprintf(stderr, "%s: cannot create home directory %s: %s\n", prog, o->home,
                strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", o->home, JXTA_PLATFORM_CONFIG_FILE);
    jxta_platform_config_default(pc);
    int rc = jxta_platform_config_load(path, pc);
    if (rc < 0 && rc != JXTA_ENOTFOUND) {
        fprintf(stderr, "%s: %s: %s (fix or remove it)\n", prog, path, jxta_strerror(rc));
        return -1;
    }
    if (o->name)
        snprintf(pc->name, sizeof pc->name, "%s", o->name);
    if (o->no_listen)
        pc->listen = 0;
    if (o->listen) {
        jxta_addr_t a;
        char host[64];
        uint16_t port;
        if (jxta_addr_from_string(&a, o->listen) < 0 ||
            jxta_addr_tcp_hostport(&a, host, sizeof host, &port) < 0) {
            fprintf(stderr, "%s: --listen wants tcp://HOST:PORT, not '%s'\n", prog, o->listen);
            return -1;
        }
        pc->listen = 1;
        snprintf(pc->host, sizeof pc->host, "%s", host);
        pc->port = port;
    }
    if (o->nseeds) {
        pc->nseeds = 0;
        for (size_t i = 0; i < o->nseeds; i++) {
            jxta_addr_t *s = &pc->seeds[pc->nseeds];
            char host[64];
            uint16_t port;
            if (jxta_addr_from_string(s, o->seeds[i]) < 0 ||
                jxta_addr_tcp_hostport(s, host, sizeof host, &port) < 0 || port == 0) {
                fprintf(stderr, "%s: --seed wants tcp://HOST:PORT, not '%s'\n", prog,
                        o->seeds[i]);
                return -1;
            }
            pc->nseeds++;
        }
    }
    if (o->role)
        pc->role = strcmp(o->role, "rdv") == 0 ? JXTA_RDV_RENDEZVOUS : JXTA_RDV_EDGE;
    if (jxta_platform_config_save(path, pc) < 0) {
        fprintf(stderr, "%s: cannot save %s\n", prog, path);
        return -1;
    }
    return 0;
}

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
    jxta_platform_config_t pc;
    if (load_config(&o, &pc) < 0)
        return 1;

    /* Signals arrive on the loop, like everything else. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

    jxta_loop_t *loop = NULL;
    jxta_endpoint_t *ep = NULL;
    jxta_rdv_t *rdv = NULL;
    jxta_propagate_t *prop = NULL;
    jxta_resolver_t *res = NULL;
    jxta_route_resolver_t *route = NULL;
    jxta_peerview_t *pv = NULL;
    jxta_adv_t *pa = NULL, *ra = NULL;
    int status = 1;
    if (sfd < 0 || jxta_loop_new(&loop) < 0) {
        fprintf(stderr, "%s: cannot set up the event loop: %s\n", prog, strerror(errno));
        goto out;
    }
    jxta_tcp_config_t tc;
    jxta_tcp_config_default(&tc);
    tc.peer_id = pc.peer_id;
    tc.listen = pc.listen;
    snprintf(tc.listen_host, sizeof tc.listen_host, "%s", pc.host);
    tc.listen_port = pc.port;
    if (jxta_endpoint_new(loop, &tc, &ep) < 0) {
        fprintf(stderr, "%s: cannot start the TCP transport on %s:%u (see the log above)\n", prog,
                pc.host, (unsigned)pc.port);
        goto out;
    }
    if (jxta_pa_new(&pc.peer_id, &jxta_id_net_group, pc.name, &pa) < 0 ||
        jxta_endpoint_local_route(ep, &ra) < 0 || jxta_pa_set_route(pa, ra) < 0) {
        fprintf(stderr, "%s: cannot build the peer advertisement\n", prog);
        goto out;
    }
    jxta_rdv_config_t rc;
    jxta_rdv_config_default(&rc);
    rc.role = pc.role;
    memcpy(rc.seeds, pc.seeds, sizeof rc.seeds);
    rc.nseeds = pc.nseeds;
    if (o.have_lease)
        rc.lease_ms = o.lease_ms;
    if (o.have_gc)
        rc.gc_ms = o.gc_ms;
    if (o.have_retry)
        rc.retry_ms = o.retry_ms;
    if (o.have_max)
        rc.max_clients = (size_t)o.max_clients;
    static const jxta_rdv_events_t ev = {ev_granted, ev_lost, ev_client, ev_client_gone};
    if (jxta_rdv_new(ep, pa, &rc, &ev, NULL, &rdv) < 0) {
        fprintf(stderr, "%s: cannot start the rendezvous service\n", prog);
        goto out;
    }
    if (jxta_propagate_new(ep, rdv, &jxta_id_net_group, &prop) < 0 ||
        jxta_resolver_new(ep, prop, &jxta_id_net_group, &res) < 0 ||
        jxta_route_resolver_new(res, &route) < 0) {
        fprintf(stderr, "%s: cannot start the resolver services\n", prog);
        goto out;
    }
    if (pc.role == JXTA_RDV_RENDEZVOUS) {
        /* A rendezvous' seeds are the other rendezvous of its PeerView. */
        jxta_peerview_config_t pvc;
        jxta_peerview_config_default(&pvc);
        pvc.name = pc.name;
        for (size_t i = 0; i < pc.nseeds && i < 16; i++)
            pvc.seeds[pvc.nseeds++] = pc.seeds[i];
        if (o.have_probe)
            pvc.probe_ms = o.probe_ms;
        if (o.have_member_timeout)
            pvc.member_timeout_ms = o.member_timeout_ms;
        if (jxta_peerview_new(ep, prop, &pvc, ev_view, NULL, &pv) < 0) {
            fprintf(stderr, "%s: cannot start the PeerView\n", prog);
            goto out;
        }
    }
    if (pc.role == JXTA_RDV_EDGE && pc.nseeds == 0)
        fprintf(stderr, "%s: warning: an edge without --seed will never get a lease\n", prog);

    jxta_io_t sio;
    jxta_io_init(loop, &sio, sfd, on_signal);
    jxta_io_start(&sio, JXTA_IO_READ);
    jxta_timer_t life;
    jxta_timer_init(loop, &life, on_lifetime);
    if (o.have_lifetime)
        jxta_timer_start(&life, o.lifetime_s * 1000);

    char listen[JXTA_ADDR_TEXT_MAX] = "none";
    if (pc.listen)
        jxta_addr_format(jxta_tcp_public_addr(jxta_endpoint_tcp(ep)), listen, sizeof listen);
    jxta_id_text_t t;
    event("READY peer=%s role=%s listen=%s name=%s", jxta_id_str(&pc.peer_id, &t),
          pc.role == JXTA_RDV_RENDEZVOUS ? "rdv" : "edge", listen, pc.name);

    if (jxta_loop_run(loop) < 0) {
        stop_reason = "error";
        goto out;
    }
    status = 0;
out:
    jxta_peerview_free(pv);
    jxta_route_resolver_free(route);
    jxta_resolver_free(res);
    jxta_propagate_free(prop);
    if (rdv) {
        jxta_rdv_free(rdv); /* goodbyes */
        uint64_t deadline = jxta_loop_now(loop) + 1000;
        while (jxta_tcp_queued_bytes(jxta_endpoint_tcp(ep)) && jxta_loop_now(loop) < deadline)
            jxta_loop_run_once(loop, 50);
    }
    jxta_endpoint_free(ep);
    jxta_adv_free(pa);
    jxta_adv_free(ra);
    jxta_loop_free(loop);
    if (sfd >= 0)
        close(sfd);
    if (loop)
        event("STOP reason=%s", status == 0 ? stop_reason : "error");
    return status;
}
