/* jxta-peer - run one JXTA peer (edge or rendezvous) until stopped.
 *
 * The peer keeps its identity in HOME/PlatformConfig (a JXSE-compatible
 * file, created on first run); command-line options override what the file
 * says and are saved back.  Everything happens on one event loop: the TCP
 * transport, the endpoint router, the rendezvous lease protocol,
 * propagation, the resolver, the route resolver, discovery over a cache
 * kept in the home directory and, on a rendezvous, the PeerView.
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
        "  --publish FILE.xml    publish this advertisement locally (indexed at the\n"
        "                        rendezvous by SRDI) and remotely after each new lease\n"
        "                        (repeatable)\n"
        "  --discover TYPE[:ATTR=VALUE]\n"
        "                        look for advertisements (TYPE peer|group|adv; VALUE may\n"
        "                        use * at either end) every --discover-every-ms, printing\n"
        "                        each distinct result once (repeatable)\n"
        "  --adv-type ROOT=FIELD[,FIELD...]\n"
        "                        an application advertisement type (e.g.\n"
        "                        jxinterop:DataAdv=Id,Name): published in the Adv\n"
        "                        directory and indexed on those fields (repeatable)\n"
        "  --publish-lifetime-ms N\n"
        "                        how long --publish advertisements live here and in\n"
        "                        other peers' caches (default: 1 year here, 2 h elsewhere)\n"
        "  --json                events as JSON lines instead of text\n"
        "  --log-level LEVEL     error, warn (default), info, debug or trace (stderr)\n"
        "\n"
        "Tuning (defaults are JXSE's; tests use short values):\n"
        "  --lease-ms N          rendezvous: lease granted to edges (default 1200000)\n"
        "  --gc-ms N             rendezvous: how often expired clients are dropped (120000)\n"
        "  --retry-ms N          edge: wait for a grant before trying the next seed (15000)\n"
        "  --max-clients N       rendezvous: most edges served at once (200)\n"
        "  --srdi-ms N           edge: SRDI push period (30000)\n"
        "  --discover-every-ms N how often --discover queries are repeated (5000)\n"
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
        "  FOUND type=<peer|group|adv> id=<id-or-name> from=<peer-id>\n"
        "  STOP reason=<signal|lifetime|error>\n"
        "\n"
        "example:\n"
        "  jxta-peer --home /tmp/rdv --role rdv --listen tcp://127.0.0.1:9701 &\n"
        "  jxta-peer --home /tmp/e1 --no-listen --seed tcp://127.0.0.1:9701\n");
}

static int json_events;

static void put_json_string(const char *v)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* One event line: "EVENT [what] key=value..." or, with --json, one JSON
 * object per line with the same names.  Arguments after `what` are
 * key/value string pairs ending with NULL. */
static void emit(const char *event, const char *what, ...)
{
    va_list ap;
    if (json_events) {
        printf("{\"event\":");
        put_json_string(event);
        if (what) {
            printf(",\"what\":");
            put_json_string(what);
        }
    } else {
        fputs(event, stdout);
        if (what)
            printf(" %s", what);
    }
    va_start(ap, what);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;) {
        const char *v = va_arg(ap, const char *);
        if (json_events) {
            printf(",");
            put_json_string(k);
            putchar(':');
            put_json_string(v);
        } else {
            printf(" %s=%s", k, v);
        }
    }
    va_end(ap);
    puts(json_events ? "}" : "");
    fflush(stdout);
}

/* What the discovery options need from callbacks. */
#define MAX_PUBLISH 32
#define MAX_DISCOVER 16
static struct {
    jxta_discovery_t *disc;
    jxta_adv_t *pubs[MAX_PUBLISH];
    size_t npubs;
    struct {
        int type;
        char attr[64], value[256];
    } queries[MAX_DISCOVER];
    size_t nqueries;
    char **seen; /* "type|id" of every result already printed */
    size_t nseen, capseen;
    jxta_timer_t timer;
    uint64_t every_ms;
    int64_t pub_life, pub_exp;
} st;

static const char *type_names[3] = {"peer", "group", "adv"};

/* After each new lease: the --publish advertisements go out (remote
 * publish) and the --discover queries are asked again at once. */
static void on_new_lease(void)
{
    for (size_t i = 0; st.disc && i < st.npubs; i++) {
        int rc = jxta_discovery_remote_publish(st.disc, st.pubs[i], st.pub_exp);
        if (rc < 0)
            jxta_log(JXTA_LOG_WARN, "peer", "remote publish failed: %s", jxta_strerror(rc));
    }
    if (st.disc && st.nqueries)
        jxta_timer_start(&st.timer, 200);
}

static void ask(jxta_timer_t *t)
{
    for (size_t i = 0; i < st.nqueries; i++) {
        int rc = jxta_discovery_query(st.disc, st.queries[i].type,
                                      st.queries[i].attr[0] ? st.queries[i].attr : NULL,
                                      st.queries[i].value[0] ? st.queries[i].value : NULL, 50,
                                      NULL, NULL);
        if (rc < 0)
            jxta_log(JXTA_LOG_INFO, "peer", "discovery query not sent: %s", jxta_strerror(rc));
    }
    jxta_timer_start(t, st.every_ms);
}

static void on_found(void *ud, int type, const char *xml, size_t len, const jxta_id_t *from,
                     long qid)
{
    (void)ud;
    jxta_adv_t *adv = NULL;
    /* qid 0 = someone's remote publish passing through: cached, not "found" */
    if (qid == 0 || st.nqueries == 0 || type < 0 || type > 2 ||
        jxta_adv_parse(xml, len, &adv) < 0)
        return;
    jxta_id_t id;
    jxta_id_text_t t, ft;
    int has_id = jxta_adv_id(adv, &id) == 0;
    /* our own advertisements coming back are not news */
    for (size_t i = 0; has_id && i < st.npubs; i++) {
        jxta_id_t mine;
        if (jxta_adv_id(st.pubs[i], &mine) == 0 && jxta_id_equal(&mine, &id)) {
            jxta_adv_free(adv);
            return;
        }
    }
    const char *name = has_id ? jxta_id_str(&id, &t) : jxta_adv_get(adv, "Name");
    char key[600];
    snprintf(key, sizeof key, "%d|%s", type, name ? name : "(unnamed)");
    for (size_t i = 0; i < st.nseen; i++)
        if (strcmp(st.seen[i], key) == 0) {
            jxta_adv_free(adv);
            return;
        }
    if (st.nseen == st.capseen) {
        size_t cap = st.capseen ? st.capseen * 2 : 64;
        char **p = realloc(st.seen, cap * sizeof *p);
        if (!p) {
            jxta_adv_free(adv);
            return;
        }
        st.seen = p;
        st.capseen = cap;
    }
    st.seen[st.nseen++] = strdup(key);
    emit("FOUND", NULL, "type", type_names[type], "id", name ? name : "(unnamed)", "from",
         from ? jxta_id_str(from, &ft) : "unknown", NULL);
    jxta_adv_free(adv);
}

static int parse_discover(const char *v)
{
    if (st.nqueries == MAX_DISCOVER) {
        fprintf(stderr, "%s: at most %d --discover options\n", prog, MAX_DISCOVER);
        return -1;
    }
    const char *colon = strchr(v, ':');
    size_t tl = colon ? (size_t)(colon - v) : strlen(v);
    int type = -1;
    for (int i = 0; i < 3; i++)
        if (strlen(type_names[i]) == tl && strncmp(v, type_names[i], tl) == 0)
            type = i;
    const char *eq = colon ? strchr(colon + 1, '=') : NULL;
    if (type < 0 || (colon && (!eq || eq == colon + 1))) {
        fprintf(stderr, "%s: --discover wants peer|group|adv[:ATTR=VALUE], not '%s'\n", prog, v);
        return -1;
    }
    st.queries[st.nqueries].type = type;
    if (colon) {
        snprintf(st.queries[st.nqueries].attr, sizeof st.queries[0].attr, "%.*s",
                 (int)(eq - colon - 1), colon + 1);
        snprintf(st.queries[st.nqueries].value, sizeof st.queries[0].value, "%s", eq + 1);
    }
    st.nqueries++;
    return 0;
}

/* --adv-type ROOT=FIELD[,FIELD...]: an application advertisement type
 * (kept in the Adv directory, indexed on those fields, its ID in "Id" when
 * listed), registered so it can be published and discovered by field. */
static int register_adv_type(const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        fprintf(stderr, "%s: --adv-type wants ROOT=FIELD[,FIELD...], not '%s'\n", prog, spec);
        return -1;
    }
    jxta_adv_type_t *t = calloc(1, sizeof *t);
    char **index = calloc(17, sizeof *index);
    char *fields = strdup(eq + 1);
    char *root = strndup(spec, (size_t)(eq - spec));
    if (!t || !index || !fields || !root) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    size_t n = 0;
    for (char *save = NULL, *f = strtok_r(fields, ",", &save); f && n < 16;
         f = strtok_r(NULL, ",", &save)) {
        index[n++] = f;
        if (strcmp(f, "Id") == 0)
            t->id_field = f;
    }
    t->root = root;
    t->dir = JXTA_ADV_DIR_ADV;
    t->index = (const char *const *)index;
    int rc = jxta_adv_register(t);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot register advertisement type %s: %s\n", prog, root,
                jxta_strerror(rc));
        return -1;
    }
    return 0; /* the type lives as long as the process */
}

static int load_publish(const char *file)
{
    uint8_t *data;
    size_t len;
    if (cli_read_file(prog, file, 1u << 20, &data, &len) < 0)
        return -1;
    int rc = jxta_adv_parse(data, len, &st.pubs[st.npubs]);
    free(data);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: not a valid advertisement: %s\n", prog, file, jxta_strerror(rc));
        return -1;
    }
    st.npubs++;
    return 0;
}

static void ev_granted(void *ud, const jxta_id_t *rdv, uint64_t ms, int renewal)
{
    jxta_id_text_t t;
    (void)ud;
    char ms_s[24];
    snprintf(ms_s, sizeof ms_s, "%llu", (unsigned long long)ms);
    emit("LEASE", renewal ? "renewed" : "granted", "rdv", jxta_id_str(rdv, &t), "lease_ms", ms_s,
         NULL);
    if (!renewal)
        on_new_lease();
}

static void ev_lost(void *ud, const jxta_id_t *rdv, const char *reason)
{
    jxta_id_text_t t;
    (void)ud;
    emit("LEASE", "lost", "rdv", jxta_id_str(rdv, &t), "reason", reason, NULL);
}

static void ev_client(void *ud, const jxta_id_t *peer)
{
    jxta_id_text_t t;
    (void)ud;
    emit("CLIENT", "connected", "peer", jxta_id_str(peer, &t), NULL);
}

static void ev_client_gone(void *ud, const jxta_id_t *peer, const char *reason)
{
    jxta_id_text_t t;
    (void)ud;
    emit("CLIENT", "disconnected", "peer", jxta_id_str(peer, &t), "reason", reason, NULL);
}

static void ev_view(void *ud, const jxta_id_t *peer, int joined)
{
    jxta_id_text_t t;
    (void)ud;
    emit("PEERVIEW", joined ? "joined" : "left", "peer", jxta_id_str(peer, &t), NULL);
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
    const char *publish[MAX_PUBLISH];
    size_t npublish;
    uint64_t srdi_ms, discover_ms, publish_life_ms;
    int have_srdi, have_discover_ms, have_publish_life;
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
        } else if (TAKE("--publish")) {
            if (o->npublish == MAX_PUBLISH) {
                fprintf(stderr, "%s: at most %d --publish options\n", prog, MAX_PUBLISH);
                return -1;
            }
            o->publish[o->npublish++] = v;
        } else if (TAKE("--adv-type")) {
            if (register_adv_type(v) < 0)
                return -1;
        } else if (TAKE("--discover")) {
            if (parse_discover(v) < 0)
                return -1;
        } else if (TAKE("--srdi-ms")) {
            if (parse_u64(a, v, &o->srdi_ms) < 0 || o->srdi_ms == 0)
                return -1;
            o->have_srdi = 1;
        } else if (TAKE("--discover-every-ms")) {
            if (parse_u64(a, v, &o->discover_ms) < 0 || o->discover_ms == 0)
                return -1;
            o->have_discover_ms = 1;
        } else if (TAKE("--publish-lifetime-ms")) {
            if (parse_u64(a, v, &o->publish_life_ms) < 0 || o->publish_life_ms == 0)
                return -1;
            o->have_publish_life = 1;
        } else if (strcmp(a, "--json") == 0) {
            json_events = 1;
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
    for (size_t i = 0; i < o->npublish; i++) /* after --adv-type, whatever the order */
        if (load_publish(o->publish[i]) < 0)
            return -1;
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
    jxta_cm_t *cm = NULL;
    jxta_adv_t *pa = NULL, *ra = NULL;
    int status = 1;
    if (sfd < 0 || jxta_loop_new(&loop) < 0) {
        fprintf(stderr, "%s: cannot set up the event loop: %s\n", prog, strerror(errno));
        goto out;
    }
    jxta_timer_init(loop, &st.timer, ask);
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
    /* Discovery over the cache kept in the peer home. */
    jxta_discovery_config_t dcfg;
    jxta_discovery_config_default(&dcfg);
    if (o.have_srdi)
        dcfg.srdi_ms = o.srdi_ms;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t wall_ms = (uint64_t)wall.tv_sec * 1000u + (uint64_t)wall.tv_nsec / 1000000u;
    if (jxta_cm_open(o.home, NULL, wall_ms, &cm) < 0 ||
        jxta_discovery_new(res, rdv, cm, &dcfg, &st.disc) < 0) {
        fprintf(stderr, "%s: cannot start discovery (cache in %s)\n", prog, o.home);
        goto out;
    }
    jxta_discovery_on_found(st.disc, on_found, NULL);
    jxta_discovery_publish(st.disc, pa, JXTA_CM_FOREVER, JXTA_CM_DEFAULT_EXPIRATION_MS);
    st.pub_life = o.have_publish_life ? (int64_t)o.publish_life_ms : JXTA_CM_DEFAULT_LIFETIME_MS;
    st.pub_exp = o.have_publish_life ? (int64_t)o.publish_life_ms : JXTA_CM_DEFAULT_EXPIRATION_MS;
    for (size_t i = 0; i < st.npubs; i++)
        if (jxta_discovery_publish(st.disc, st.pubs[i], st.pub_life, st.pub_exp) < 0)
            fprintf(stderr, "%s: warning: advertisement %zu could not be published\n", prog, i + 1);
    st.every_ms = o.have_discover_ms ? o.discover_ms : 5000;
    if (st.nqueries)
        jxta_timer_start(&st.timer, pc.role == JXTA_RDV_RENDEZVOUS ? 0 : st.every_ms);
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
    emit("READY", NULL, "peer", jxta_id_str(&pc.peer_id, &t), "role",
         pc.role == JXTA_RDV_RENDEZVOUS ? "rdv" : "edge", "listen", listen, "name", pc.name, NULL);

    if (jxta_loop_run(loop) < 0) {
        stop_reason = "error";
        goto out;
    }
    status = 0;
out:
    if (loop)
        jxta_timer_stop(&st.timer);
    jxta_discovery_free(st.disc);
    st.disc = NULL;
    jxta_cm_close(cm);
    for (size_t i = 0; i < st.npubs; i++)
        jxta_adv_free(st.pubs[i]);
    for (size_t i = 0; i < st.nseen; i++)
        free(st.seen[i]);
    free(st.seen);
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
        emit("STOP", NULL, "reason", status == 0 ? stop_reason : "error", NULL);
    return status;
}
