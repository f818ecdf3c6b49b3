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
#include "echo.h"
#include "pipe_load.h"

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
        "  --echo-pipe           host the Java harness's echo service (pipe JxInteropEcho)\n"
        "  --send-echo N         act as the harness's edge: bind to JxInteropEcho, time N\n"
        "                        echoes (after 10 unmeasured), print the median and p99,\n"
        "                        then stop (--echo-size B, --echo-tput N with\n"
        "                        --echo-tput-size B and --echo-window W add a throughput run)\n"
        "  --create-group NAME   create a child group of the Net group (its PGA is published\n"
        "                        and written to --pga-out FILE) and run it as its rendezvous;\n"
        "                        --group-login USER:PASSWORD (repeatable) makes it a\n"
        "                        password group\n"
        "  --join-group PGA.xml  join the group this advertisement describes\n"
        "                        (--group-seed ADDR: its rendezvous, tcp:// or jxta://<peer>;\n"
        "                        --group-role edge|rdv; --identity USER --password P for a\n"
        "                        password group)\n"
        "  --pipe-sink NAME[:propagate]\n"
        "                        open an input pipe (ID derived from NAME) in the joined\n"
        "                        group (else the Net group) and check what arrives:\n"
        "                        per sender once, in order, intact (PIPESTAT lines)\n"
        "  --pipe-watch NAME[:propagate]\n"
        "                        rendezvous: report how many peers its index names as\n"
        "                        hosts of that pipe, and how many of them are its own\n"
        "                        clients (PIPEHOSTS lines, when it changes)\n"
        "  --pipe-source NAME[:propagate]:COUNT\n"
        "                        send COUNT messages on that pipe (--pipe-size B,\n"
        "                        --pipe-window W messages in flight; PIPESENT lines)\n"
        "  --pipe-verify-ms N    how often bound output pipes check their host (1200000)\n"
        "  --pipe-resolve-timeout-ms N\n"
        "                        give up binding (or a verification) after N ms (60000)\n"
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
        "  GROUP joined id=<group-id> name=<name> role=<edge|rdv>\n"
        "  GROUP lease-granted|lease-lost|client-connected|client-gone group=<id> peer=<id>\n"
        "  ECHO serving pipe=<pipe-id>   ECHO result n= lost= bind_ms= median_ms= p99_ms= ...\n"
        "  PIPE sink-ready|bound pipe=<name> ...   PIPESTAT received= duplicates= reordered=\n"
        "  corrupt= senders=   PIPESENT progress|done sent= failed=   PIPEINDEX entries=<n>\n"
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
    /* pipes and groups */
    int echo_pipe;
    uint64_t send_echo, echo_size, echo_tput, echo_tput_size, echo_window;
    const char *create_group, *pga_out, *join_group, *group_role, *identity, *password;
    const char *group_logins[16];
    size_t ngroup_logins;
    const char *group_seeds[JXTA_RDV_MAX_SEEDS];
    size_t ngroup_seeds;
    const char *pipe_sink, *pipe_source, *pipe_watch;
    uint64_t pipe_size, pipe_window, pipe_verify_ms, pipe_resolve_ms;
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
        } else if (strcmp(a, "--echo-pipe") == 0) {
            o->echo_pipe = 1;
        } else if (TAKE("--send-echo")) {
            if (parse_u64(a, v, &o->send_echo) < 0 || o->send_echo == 0 || o->send_echo > 10000000)
                return -1;
        } else if (TAKE("--echo-size")) {
            if (parse_u64(a, v, &o->echo_size) < 0 || o->echo_size > (16u << 20))
                return -1;
        } else if (TAKE("--echo-tput")) {
            if (parse_u64(a, v, &o->echo_tput) < 0 || o->echo_tput > 10000000)
                return -1;
        } else if (TAKE("--echo-tput-size")) {
            if (parse_u64(a, v, &o->echo_tput_size) < 0 || o->echo_tput_size == 0 ||
                o->echo_tput_size > (16u << 20))
                return -1;
        } else if (TAKE("--echo-window")) {
            if (parse_u64(a, v, &o->echo_window) < 0 || o->echo_window == 0 || o->echo_window > 1024)
                return -1;
        } else if (TAKE("--create-group")) {
            o->create_group = v;
        } else if (TAKE("--pga-out")) {
            o->pga_out = v;
        } else if (TAKE("--group-login")) {
            if (o->ngroup_logins == 15 || !strchr(v, ':')) {
                fprintf(stderr, "%s: --group-login wants USER:PASSWORD (at most 15)\n", prog);
                return -1;
            }
            o->group_logins[o->ngroup_logins++] = v;
        } else if (TAKE("--join-group")) {
            o->join_group = v;
        } else if (TAKE("--group-seed")) {
            if (o->ngroup_seeds == JXTA_RDV_MAX_SEEDS) {
                fprintf(stderr, "%s: at most %d --group-seed options\n", prog, JXTA_RDV_MAX_SEEDS);
                return -1;
            }
            o->group_seeds[o->ngroup_seeds++] = v;
        } else if (TAKE("--group-role")) {
            o->group_role = v;
        } else if (TAKE("--identity")) {
            o->identity = v;
        } else if (TAKE("--password")) {
            o->password = v;
        } else if (TAKE("--pipe-sink")) {
            o->pipe_sink = v;
        } else if (TAKE("--pipe-watch")) {
            o->pipe_watch = v;
        } else if (TAKE("--pipe-source")) {
            o->pipe_source = v;
        } else if (TAKE("--pipe-size")) {
            if (parse_u64(a, v, &o->pipe_size) < 0 || o->pipe_size > (16u << 20))
                return -1;
        } else if (TAKE("--pipe-verify-ms")) {
            if (parse_u64(a, v, &o->pipe_verify_ms) < 0 || o->pipe_verify_ms == 0)
                return -1;
        } else if (TAKE("--pipe-resolve-timeout-ms")) {
            if (parse_u64(a, v, &o->pipe_resolve_ms) < 0 || o->pipe_resolve_ms == 0)
                return -1;
        } else if (TAKE("--pipe-window")) {
            if (parse_u64(a, v, &o->pipe_window) < 0 || o->pipe_window == 0 || o->pipe_window > 4096)
                return -1;
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
    if (o->group_role && strcmp(o->group_role, "edge") != 0 && strcmp(o->group_role, "rdv") != 0) {
        fprintf(stderr, "%s: --group-role is edge or rdv, not '%s'\n", prog, o->group_role);
        return -1;
    }
    if (o->create_group && o->join_group) {
        fprintf(stderr, "%s: --create-group and --join-group exclude each other\n", prog);
        return -1;
    }
    if ((o->ngroup_seeds || o->group_role || o->password || o->identity) && !o->join_group &&
        !o->create_group) {
        fprintf(stderr, "%s: group options need --join-group or --create-group\n", prog);
        return -1;
    }
    if (o->ngroup_logins && !o->create_group) {
        fprintf(stderr, "%s: --group-login needs --create-group\n", prog);
        return -1;
    }
    return 0;
}

/* ---- groups, pipes and echo ------------------------------------------------- */

static struct {
    jxta_group_t *group;      /* the joined or created child group, or NULL */
    jxta_id_text_t group_text;
    echo_host_t *echo_host;
    echo_client_t *echo_client;
    int echo_status;
    pipe_sink_t *sink;
    pipe_source_t *source;
    char sink_name[128];
    jxta_timer_t stats;
    pipe_sink_stats_t last_stats;
    size_t last_index;
    int index_reported;
    uint64_t last_progress;
    /* --pipe-watch */
    int watching;
    jxta_id_t watch_id;
    const char *watch_type;
    char watch_name[128];
    size_t last_hosts;
    int hosts_reported;
    /* the source starts once the group is connected (a lease, or rdv) */
    int source_pending;
    jxta_loop_t *loop;
    const jxta_id_t *self;
    char source_name[128];
    const char *source_type;
    uint64_t source_count, source_size, source_window;
} pt;

static void group_ev_granted(void *ud, const jxta_id_t *rdv, uint64_t ms, int renewal)
{
    (void)ud;
    (void)ms;
    jxta_id_text_t t;
    emit("GROUP", renewal ? "lease-renewed" : "lease-granted", "group", pt.group_text.s, "rdv",
         jxta_id_str(rdv, &t), NULL);
}

static void group_ev_lost(void *ud, const jxta_id_t *rdv, const char *reason)
{
    (void)ud;
    jxta_id_text_t t;
    emit("GROUP", "lease-lost", "group", pt.group_text.s, "rdv", jxta_id_str(rdv, &t), "reason",
         reason, NULL);
}

static void group_ev_client(void *ud, const jxta_id_t *peer)
{
    (void)ud;
    jxta_id_text_t t;
    emit("GROUP", "client-connected", "group", pt.group_text.s, "peer", jxta_id_str(peer, &t),
         NULL);
}

static void group_ev_client_gone(void *ud, const jxta_id_t *peer, const char *reason)
{
    (void)ud;
    jxta_id_text_t t;
    emit("GROUP", "client-gone", "group", pt.group_text.s, "peer", jxta_id_str(peer, &t),
         "reason", reason, NULL);
}

static int read_pga(const char *file, jxta_adv_t **pga)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_read_file(prog, file, 1u << 20, &data, &len) < 0)
        return -1;
    int rc = jxta_adv_parse(data, len, pga);
    free(data);
    if (rc < 0 || jxta_adv_type(*pga) != &jxta_adv_type_pga) {
        fprintf(stderr, "%s: %s: not a peer group advertisement (%s)\n", prog, file,
                rc < 0 ? jxta_strerror(rc) : jxta_adv_type_name(*pga));
        if (rc == 0)
            jxta_adv_free(*pga);
        return -1;
    }
    return 0;
}

static int write_text_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    return 0;
}

static const jxta_pipes_config_t *o_pipes_cfg; /* the pipe settings of every group */

/* --create-group / --join-group: the child group of the Net group. */
static int setup_group(const opts_t *o, jxta_group_t *ng)
{
    static const jxta_rdv_events_t gev = {group_ev_granted, group_ev_lost, group_ev_client,
                                          group_ev_client_gone};
    jxta_adv_t *pga = NULL;
    int rc;
    if (o->create_group) {
        const char *logins[17] = {0};
        for (size_t i = 0; i < o->ngroup_logins; i++)
            logins[i] = o->group_logins[i];
        rc = jxta_group_create_pga(ng, NULL, o->create_group, "created by jxta-peer",
                                   o->ngroup_logins ? logins : NULL, &pga);
        if (rc == 0)
            rc = jxta_group_publish_pga(ng, pga);
        if (rc < 0) {
            fprintf(stderr, "%s: cannot create group %s: %s\n", prog, o->create_group,
                    jxta_strerror(rc));
            jxta_adv_free(pga);
            return -1;
        }
        char *text = NULL;
        if (o->pga_out && (jxta_adv_to_string(pga, 0, &text) < 0 ||
                           write_text_file(o->pga_out, text) < 0)) {
            free(text);
            jxta_adv_free(pga);
            return -1;
        }
        free(text);
    } else if (read_pga(o->join_group, &pga) < 0) {
        return -1;
    }
    jxta_group_config_t gc;
    jxta_group_config_default(&gc);
    gc.role = (o->create_group && !o->group_role) || (o->group_role && !strcmp(o->group_role, "rdv"))
                  ? JXTA_RDV_RENDEZVOUS
                  : JXTA_RDV_EDGE;
    for (size_t i = 0; i < o->ngroup_seeds; i++) {
        if (jxta_addr_from_string(&gc.seeds[gc.nseeds], o->group_seeds[i]) < 0) {
            fprintf(stderr, "%s: --group-seed wants tcp://HOST:PORT or jxta://PEER, not '%s'\n",
                    prog, o->group_seeds[i]);
            jxta_adv_free(pga);
            return -1;
        }
        gc.nseeds++;
    }
    /* A creator with logins joins with the first of them. */
    char user[128] = "", pass[128] = "";
    if (o->create_group && o->ngroup_logins) {
        const char *c = strchr(o->group_logins[0], ':');
        snprintf(user, sizeof user, "%.*s", (int)(c - o->group_logins[0]), o->group_logins[0]);
        snprintf(pass, sizeof pass, "%s", c + 1);
        gc.identity = user;
        gc.password = pass;
    } else {
        gc.identity = o->identity;
        gc.password = o->password;
    }
    if (o->have_lease)
        gc.lease_ms = o->lease_ms;
    if (o->have_retry)
        gc.retry_ms = o->retry_ms;
    if (o->have_probe)
        gc.probe_ms = o->probe_ms;
    if (o->have_member_timeout)
        gc.member_timeout_ms = o->member_timeout_ms;
    if (o->have_srdi)
        gc.srdi_ms = o->srdi_ms;
    gc.rdv_events = &gev;
    gc.pipes = o_pipes_cfg;
    jxta_id_t gid;
    jxta_adv_get_id(pga, "GID", &gid);
    jxta_id_str(&gid, &pt.group_text);
    rc = jxta_group_join(ng, pga, &gc, &pt.group);
    jxta_adv_free(pga);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot join group %s: %s\n", prog, pt.group_text.s,
                jxta_strerror(rc));
        emit("GROUP", "refused", "group", pt.group_text.s, "error", jxta_strerror(rc), NULL);
        return -1;
    }
    emit("GROUP", "joined", "id", pt.group_text.s, "name", jxta_group_name(pt.group), "role",
         gc.role == JXTA_RDV_RENDEZVOUS ? "rdv" : "edge", NULL);
    return 0;
}

static void echo_done(void *ud, const echo_result_t *r)
{
    jxta_loop_t *loop = ud;
    char n[32], lost[32], bind[32], mn[32], med[32], p99[32], mx[32];
    snprintf(n, sizeof n, "%d", r->echoed);
    snprintf(lost, sizeof lost, "%d", r->lost);
    snprintf(bind, sizeof bind, "%.1f", r->bind_ms);
    snprintf(mn, sizeof mn, "%.3f", r->min_ms);
    snprintf(med, sizeof med, "%.3f", r->median_ms);
    snprintf(p99, sizeof p99, "%.3f", r->p99_ms);
    snprintf(mx, sizeof mx, "%.3f", r->max_ms);
    emit("ECHO", "result", "n", n, "lost", lost, "bind_ms", bind, "min_ms", mn, "median_ms", med,
         "p99_ms", p99, "max_ms", mx, "error", r->err ? jxta_strerror(r->err) : "none", NULL);
    if (r->tput_echoed) {
        char e[32], secs[32], mib[32];
        snprintf(e, sizeof e, "%d", r->tput_echoed);
        snprintf(secs, sizeof secs, "%.3f", r->tput_seconds);
        snprintf(mib, sizeof mib, "%.2f", r->tput_mib_s);
        emit("ECHO", "throughput", "echoed", e, "seconds", secs, "mib_s", mib, NULL);
    }
    pt.echo_status = r->err || r->echoed == 0 ? 1 : 0;
    stop_reason = "echo-done";
    jxta_loop_stop(loop);
}

static void source_done(void *ud, uint64_t sent, uint64_t failed, int err)
{
    (void)ud;
    char s[32], f[32];
    snprintf(s, sizeof s, "%llu", (unsigned long long)sent);
    snprintf(f, sizeof f, "%llu", (unsigned long long)failed);
    emit("PIPESENT", "done", "sent", s, "failed", f, "error", err ? jxta_strerror(err) : "none",
         NULL);
}

/* A message on the sink's pipe from some other sender (a Java peer...):
 * the first 50 are shown, element by element. */
static void on_foreign(void *ud, const jxta_msg_t *m, const jxta_pipe_msg_info_t *info)
{
    static unsigned shown;
    (void)ud;
    if (shown++ >= 50)
        return;
    char elems[512] = "", from[JXTA_ID_TEXT_MAX] = "unknown";
    size_t off = 0;
    for (size_t i = 0; i < jxta_msg_count(m) && off < sizeof elems - 80; i++) {
        const jxta_msg_elem_t *e = jxta_msg_get(m, i);
        size_t n = 0;
        const uint8_t *b = jxta_msg_elem_body(e, &n);
        int text = jxta_msg_elem_is_text(e) && n <= 40;
        off += (size_t)snprintf(elems + off, sizeof elems - off, "%s%s:%s%s%.*s", off ? "," : "",
                                jxta_msg_elem_ns(e), jxta_msg_elem_name(e), text ? "=" : "",
                                text ? (int)n : 0, text ? (const char *)b : "");
    }
    for (char *c = elems; *c; c++)
        if (*c == ' ' || *c == '\n')
            *c = '_';
    if (info->src_peer)
        jxta_id_format(info->src_peer, from, sizeof from);
    emit("PIPEMSG", NULL, "pipe", pt.sink_name, "from", from, "elements", elems, NULL);
}

static void print_sink_stats(int force)
{
    pipe_sink_stats_t s;
    pipe_sink_stats(pt.sink, &s);
    if (!force && !memcmp(&s, &pt.last_stats, sizeof s))
        return;
    pt.last_stats = s;
    char r[32], d[32], o[32], c[32], n[32];
    snprintf(r, sizeof r, "%llu", (unsigned long long)s.received);
    snprintf(d, sizeof d, "%llu", (unsigned long long)s.duplicates);
    snprintf(o, sizeof o, "%llu", (unsigned long long)s.reordered);
    snprintf(c, sizeof c, "%llu", (unsigned long long)s.corrupt);
    snprintf(n, sizeof n, "%zu", s.senders);
    emit("PIPESTAT", NULL, "pipe", pt.sink_name, "received", r, "duplicates", d, "reordered", o,
         "corrupt", c, "senders", n, NULL);
}

/* Every 200 ms: sink statistics and the rendezvous' pipe index, when they
 * changed; the source's progress every 10,000 messages. */
static void on_bound_event(void *ud, jxta_output_pipe_t *op, const jxta_id_t *peer, int err);
static void source_done(void *ud, uint64_t sent, uint64_t failed, int err);

static void on_stats(jxta_timer_t *t)
{
    jxta_group_t *g = t->data;
    if (pt.sink)
        print_sink_stats(0);
    jxta_pipes_t *ps = jxta_group_pipes(g);
    if (ps && jxta_rdv_role(jxta_group_rdv(g)) == JXTA_RDV_RENDEZVOUS) {
        jxta_pipes_stats_t ps_st;
        jxta_pipes_stats(ps, &ps_st);
        if (!pt.index_reported || ps_st.index_entries != pt.last_index) {
            char n[32];
            snprintf(n, sizeof n, "%zu", ps_st.index_entries);
            emit("PIPEINDEX", NULL, "entries", n, NULL);
            pt.last_index = ps_st.index_entries;
            pt.index_reported = 1;
        }
    }
    if (ps && pt.watching) {
        /* hosts: every peer the index names (other rendezvous' clients'
         * SRDI reaches us too); clients: those we hold a connection to */
        jxta_id_t hosts[256];
        size_t h = jxta_pipes_index_hosts(ps, &pt.watch_id, pt.watch_type, hosts, 256), c = 0;
        for (size_t i = 0; i < h; i++)
            c += jxta_endpoint_connected(jxta_group_endpoint(g), &hosts[i]) != 0;
        if (!pt.hosts_reported || h * 1000 + c != pt.last_hosts) {
            char n[32], cn[32];
            snprintf(n, sizeof n, "%zu", h);
            snprintf(cn, sizeof cn, "%zu", c);
            emit("PIPEHOSTS", NULL, "pipe", pt.watch_name, "hosts", n, "clients", cn, NULL);
            pt.last_hosts = h * 1000 + c;
            pt.hosts_reported = 1;
        }
    }
    if (pt.source_pending && jxta_group_connected(g)) {
        pt.source_pending = 0;
        int rc = pipe_source_start(pt.loop, ps, pt.self, pt.source_name, pt.source_type,
                                   pt.source_count, (size_t)pt.source_size, (int)pt.source_window,
                                   on_bound_event, pt.source_name, source_done, NULL, &pt.source);
        if (rc < 0) {
            fprintf(stderr, "%s: cannot open pipe %s: %s\n", prog, pt.source_name,
                    jxta_strerror(rc));
            stop_reason = "error";
            jxta_loop_stop(pt.loop);
            return;
        }
    }
    if (pt.source) {
        uint64_t sent, failed;
        pipe_source_counts(pt.source, &sent, &failed);
        if (sent + failed >= pt.last_progress + 10000) {
            pt.last_progress = sent + failed;
            char s[32], f[32];
            snprintf(s, sizeof s, "%llu", (unsigned long long)sent);
            snprintf(f, sizeof f, "%llu", (unsigned long long)failed);
            emit("PIPESENT", "progress", "sent", s, "failed", f, NULL);
        }
    }
    jxta_timer_start(t, 200);
}

/* NAME[:propagate][:COUNT] -> name, type and (for sources) count. */
static int parse_pipe_spec(const char *spec, int want_count, char *name, size_t cap,
                           const char **type, uint64_t *count)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    char *parts[3] = {buf, NULL, NULL};
    size_t n = 1;
    /* a pipe ID URN as NAME keeps its own colons */
    char *from = strncmp(buf, "urn:jxta:", 9) == 0 ? buf + 9 : buf;
    for (char *c = from; *c && n < 3; c++)
        if (*c == ':') {
            *c = 0;
            parts[n++] = c + 1;
        }
    *type = JXTA_PIPE_UNICAST;
    size_t k = 1;
    if (k < n && strcmp(parts[k], "propagate") == 0) {
        *type = JXTA_PIPE_PROPAGATE;
        k++;
    } else if (k < n && strcmp(parts[k], "unicast") == 0) {
        k++;
    }
    if (want_count) {
        char *end;
        if (k + 1 != n || !*parts[k] || (*count = strtoull(parts[k], &end, 10), *end) ||
            *count == 0) {
            fprintf(stderr, "%s: --pipe-source wants NAME[:propagate]:COUNT, not '%s'\n", prog, spec);
            return -1;
        }
    } else if (k != n) {
        fprintf(stderr, "%s: --pipe-sink wants NAME[:propagate], not '%s'\n", prog, spec);
        return -1;
    }
    if (!*parts[0] || strlen(parts[0]) >= cap) {
        fprintf(stderr, "%s: pipe name empty or too long in '%s'\n", prog, spec);
        return -1;
    }
    memcpy(name, parts[0], strlen(parts[0]) + 1);
    return 0;
}

static void on_bound_event(void *ud, jxta_output_pipe_t *op, const jxta_id_t *peer, int err)
{
    (void)op;
    jxta_id_text_t t;
    emit("PIPE", peer ? "bound" : "unbound", "pipe", (const char *)ud, "peer",
         peer ? jxta_id_str(peer, &t) : "none", "error", err ? jxta_strerror(err) : "none", NULL);
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
    char sink_name[128] = "", source_name[128] = "";
    const char *sink_type = NULL, *source_type = NULL;
    uint64_t source_count = 0;
    if (o.pipe_sink && parse_pipe_spec(o.pipe_sink, 0, sink_name, sizeof sink_name, &sink_type,
                                       NULL) < 0)
        return 2;
    if (o.pipe_source && parse_pipe_spec(o.pipe_source, 1, source_name, sizeof source_name,
                                         &source_type, &source_count) < 0)
        return 2;

    /* Signals arrive on the loop, like everything else. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) {
        fprintf(stderr, "%s: cannot set up signal handling: %s\n", prog, strerror(errno));
        return 1;
    }

    static const jxta_rdv_events_t ev = {ev_granted, ev_lost, ev_client, ev_client_gone};
    jxta_peer_options_t po;
    jxta_peer_options_default(&po);
    po.home = o.home;
    po.name = o.name;
    po.listen = o.no_listen ? "" : o.listen;
    for (size_t i = 0; i < o.nseeds; i++)
        po.seeds[i] = o.seeds[i];
    po.nseeds = o.nseeds;
    po.rendezvous = o.role ? strcmp(o.role, "rdv") == 0 : -1;
    po.run_loop = 0; /* this thread runs it, with the signals */
    po.net.rdv_events = &ev;
    po.net.view_fn = ev_view;
    if (o.have_lease)
        po.net.lease_ms = o.lease_ms;
    if (o.have_gc)
        po.net.gc_ms = o.gc_ms;
    if (o.have_retry)
        po.net.retry_ms = o.retry_ms;
    if (o.have_max)
        po.net.max_clients = (size_t)o.max_clients;
    if (o.have_probe)
        po.net.probe_ms = o.probe_ms;
    if (o.have_member_timeout)
        po.net.member_timeout_ms = o.member_timeout_ms;
    if (o.have_srdi)
        po.net.srdi_ms = o.srdi_ms;

    jxta_pipes_config_t pipes_cfg;
    jxta_pipes_config_default(&pipes_cfg);
    if (o.pipe_verify_ms)
        pipes_cfg.verify_ms = o.pipe_verify_ms;
    if (o.pipe_resolve_ms)
        pipes_cfg.resolve_timeout_ms = o.pipe_resolve_ms;
    po.net.pipes = &pipes_cfg;
    o_pipes_cfg = &pipes_cfg;

    jxta_peer_t *peer = NULL;
    int rc = jxta_peer_open(&po, &peer);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot start the peer: %s (see the log above)\n", prog,
                jxta_strerror(rc));
        close(sfd);
        return 1;
    }
    jxta_loop_t *loop = jxta_peer_loop(peer);
    jxta_group_t *ng = jxta_peer_net_group(peer);
    int status = 1;
    int is_rdv = jxta_rdv_role(jxta_group_rdv(ng)) == JXTA_RDV_RENDEZVOUS;
    jxta_timer_init(loop, &st.timer, ask);
    jxta_timer_init(loop, &pt.stats, on_stats);

    st.disc = jxta_group_discovery(ng);
    jxta_discovery_on_found(st.disc, on_found, NULL);
    st.pub_life = o.have_publish_life ? (int64_t)o.publish_life_ms : JXTA_CM_DEFAULT_LIFETIME_MS;
    st.pub_exp = o.have_publish_life ? (int64_t)o.publish_life_ms : JXTA_CM_DEFAULT_EXPIRATION_MS;
    for (size_t i = 0; i < st.npubs; i++)
        if (jxta_discovery_publish(st.disc, st.pubs[i], st.pub_life, st.pub_exp) < 0)
            fprintf(stderr, "%s: warning: advertisement %zu could not be published\n", prog, i + 1);
    st.every_ms = o.have_discover_ms ? o.discover_ms : 5000;
    if (st.nqueries)
        jxta_timer_start(&st.timer, is_rdv ? 0 : st.every_ms);
    if (!is_rdv && o.nseeds == 0 && jxta_group_connected(ng) == 0 &&
        !o.join_group && !o.create_group)
        fprintf(stderr, "%s: warning: an edge without --seed will never get a lease\n", prog);

    jxta_id_text_t t;
    jxta_group_t *work = ng; /* where the pipe options act */
    if ((o.create_group || o.join_group) && setup_group(&o, ng) < 0)
        goto out;
    if (pt.group)
        work = pt.group;
    jxta_pipes_t *ps = jxta_group_pipes(work);
    if (o.echo_pipe) {
        jxta_pipes_t *nps = jxta_group_pipes(ng);
        if ((rc = echo_host_start(loop, nps, jxta_peer_id(peer), &pt.echo_host)) < 0) {
            fprintf(stderr, "%s: cannot open the echo pipe: %s\n", prog, jxta_strerror(rc));
            goto out;
        }
        jxta_id_t eid;
        echo_pipe_id(&eid);
        /* Published like the harness does, so its edges find it by name. */
        jxta_adv_t *eadv = NULL;
        if (jxta_pipe_adv_new(&eid, JXTA_PIPE_UNICAST, ECHO_PIPE_NAME, &eadv) == 0) {
            jxta_discovery_publish(st.disc, eadv, JXTA_CM_DEFAULT_LIFETIME_MS,
                                   JXTA_CM_DEFAULT_EXPIRATION_MS);
            jxta_discovery_remote_publish(st.disc, eadv, JXTA_CM_DEFAULT_EXPIRATION_MS);
        }
        jxta_adv_free(eadv);
        emit("ECHO", "serving", "pipe", jxta_id_str(&eid, &t), NULL);
    }
    if (o.pipe_sink) {
        snprintf(pt.sink_name, sizeof pt.sink_name, "%s", sink_name);
        if ((rc = pipe_sink_start(ps, sink_name, sink_type, &pt.sink)) < 0) {
            fprintf(stderr, "%s: cannot open pipe %s: %s\n", prog, sink_name, jxta_strerror(rc));
            goto out;
        }
        pipe_sink_on_foreign(pt.sink, on_foreign, NULL);
        emit("PIPE", "sink-ready", "pipe", sink_name, "type", sink_type, NULL);
    }
    if (o.pipe_watch) {
        if (parse_pipe_spec(o.pipe_watch, 0, pt.watch_name, sizeof pt.watch_name, &pt.watch_type,
                            NULL) < 0 ||
            pipe_load_id(jxta_group_id(work), pt.watch_name, &pt.watch_id) < 0)
            goto out;
        pt.watching = 1;
    }
    if (o.pipe_source) {
        pt.source_pending = 1;
        pt.loop = loop;
        pt.self = jxta_peer_id(peer);
        memcpy(pt.source_name, source_name, sizeof pt.source_name);
        pt.source_type = source_type;
        pt.source_count = source_count;
        pt.source_size = o.pipe_size ? o.pipe_size : 64;
        pt.source_window = o.pipe_window ? o.pipe_window : 64;
    }
    pt.stats.data = work;
    jxta_timer_start(&pt.stats, 200);
    if (o.send_echo) {
        echo_client_config_t ec = {0};
        ec.seed = o.name ? o.name : "jxta-c-edge";
        ec.count = (int)o.send_echo;
        ec.warmup = 10;
        ec.size = o.echo_size ? (size_t)o.echo_size : 16;
        ec.tput_count = (int)o.echo_tput;
        ec.tput_size = (size_t)o.echo_tput_size;
        ec.window = (int)o.echo_window;
        if ((rc = echo_client_start(loop, jxta_group_pipes(ng), &ec, echo_done, loop,
                                    &pt.echo_client)) < 0) {
            fprintf(stderr, "%s: cannot start the echo client: %s\n", prog, jxta_strerror(rc));
            goto out;
        }
    }

    jxta_io_t sio;
    jxta_io_init(loop, &sio, sfd, on_signal);
    jxta_io_start(&sio, JXTA_IO_READ);
    jxta_timer_t life;
    jxta_timer_init(loop, &life, on_lifetime);
    if (o.have_lifetime)
        jxta_timer_start(&life, o.lifetime_s * 1000);

    char listen[JXTA_ADDR_TEXT_MAX] = "none";
    const jxta_addr_t *pub = jxta_tcp_public_addr(jxta_endpoint_tcp(jxta_peer_endpoint(peer)));
    char host[JXTA_ADDR_HOST_MAX];
    uint16_t port = 0;
    if (jxta_addr_tcp_hostport(pub, host, sizeof host, &port) == 0 && port != 0)
        jxta_addr_format(pub, listen, sizeof listen);
    emit("READY", NULL, "peer", jxta_id_str(jxta_peer_id(peer), &t), "role", is_rdv ? "rdv" : "edge",
         "listen", listen, "name", jxta_peer_name(peer), NULL);

    if (jxta_loop_run(loop) < 0) {
        stop_reason = "error";
        goto out;
    }
    status = o.send_echo ? pt.echo_status : 0;
    jxta_io_stop(&sio);
    jxta_timer_stop(&life);
out:
    jxta_timer_stop(&st.timer);
    jxta_timer_stop(&pt.stats);
    if (pt.sink)
        print_sink_stats(1);
    echo_client_stop(pt.echo_client);
    echo_host_stop(pt.echo_host);
    pipe_source_stop(pt.source);
    pipe_sink_stop(pt.sink);
    st.disc = NULL;
    for (size_t i = 0; i < st.npubs; i++)
        jxta_adv_free(st.pubs[i]);
    for (size_t i = 0; i < st.nseen; i++)
        free(st.seen[i]);
    free(st.seen);
    jxta_peer_close(peer); /* leaves the groups: goodbyes go out */
    close(sfd);
    emit("STOP", NULL, "reason", status == 0 ? stop_reason : "error", NULL);
    return status;
}
