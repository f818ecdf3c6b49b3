/* jxta-example.c - a complete application on the public API (jxta/peer.h):
 * a tiny question/answer service over pipes.
 *
 *   jxta-example --home DIR --seed tcp://HOST:PORT serve NAME
 *       publishes a pipe advertisement called NAME, opens its input pipe
 *       and answers every question with "you said: <text>" on the reply
 *       pipe the question names;
 *   jxta-example --home DIR --seed tcp://HOST:PORT ask NAME TEXT...
 *       discovers the advertisement NAME, binds an output pipe to it, asks
 *       each TEXT and prints the answers.
 *
 * Everything here is blocking calls from the main thread; the peer's
 * event loop runs on its own thread inside jxta_peer_t.  Messages carry
 * two elements in namespace "example": text and reply (the asker's reply
 * pipe advertisement). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "cli.h"

static const char *prog = "jxta-example";
static volatile sig_atomic_t stopping;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jxta-example --home DIR [--seed tcp://HOST:PORT] [--listen tcp://HOST:PORT]\n"
            "                    serve NAME | ask NAME TEXT...\n"
            "\n"
            "A question/answer service over JXTA pipes, written on the public API\n"
            "(jxta/peer.h).  'serve' publishes a pipe called NAME and answers questions;\n"
            "'ask' finds NAME through discovery, sends each TEXT and prints the answers.\n"
            "\n"
            "  --home DIR      peer home (PlatformConfig and cache; created if missing)\n"
            "  --seed ADDR     the rendezvous to lease from (repeatable)\n"
            "  --listen ADDR   accept connections here (default: none)\n"
            "  --timeout MS    how long 'ask' waits for each step (default 20000)\n"
            "  --log-level L   error, warn (default), info, debug\n");
}

static int make_msg(const char *text, const char *reply_xml, jxta_msg_t **out)
{
    jxta_msg_t *m = NULL;
    int rc = jxta_msg_new(&m);
    if (rc == 0)
        rc = jxta_msg_add_text(m, "example", "text", text);
    if (rc == 0 && reply_xml)
        rc = jxta_msg_add(m, "example", "reply", "text/xml;charset=UTF-8", reply_xml,
                          strlen(reply_xml));
    if (rc < 0) {
        jxta_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

static char *elem_text(const jxta_msg_t *m, const char *name)
{
    const jxta_msg_elem_t *e = jxta_msg_find(m, "example", name);
    size_t n = 0;
    const uint8_t *b = e ? jxta_msg_elem_body(e, &n) : NULL;
    char *s = b ? malloc(n + 1) : NULL;
    if (s) {
        memcpy(s, b, n);
        s[n] = 0;
    }
    return s;
}

static int serve(jxta_peer_t *p, const char *name)
{
    jxta_group_t *ng = jxta_peer_net_group(p);
    jxta_id_t id;
    jxta_adv_t *adv = NULL;
    jxta_input_pipe_t *in = NULL;
    int rc = jxta_id_new_pipe(&id, jxta_group_id(ng));
    if (rc == 0)
        rc = jxta_pipe_adv_new(&id, JXTA_PIPE_UNICAST, name, &adv);
    if (rc == 0)
        rc = jxta_peer_publish(p, ng, adv, 1);
    if (rc == 0)
        rc = jxta_peer_open_input(p, ng, adv, &in);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot serve %s: %s\n", prog, name, jxta_strerror(rc));
        jxta_adv_free(adv);
        return 1;
    }
    printf("serving %s\n", name);
    fflush(stdout);
    while (!stopping) {
        jxta_msg_t *m = NULL;
        rc = jxta_input_pipe_poll(in, 500, &m);
        if (rc == JXTA_ETIMEDOUT)
            continue;
        if (rc < 0)
            break;
        char *text = elem_text(m, "text");
        char *reply = elem_text(m, "reply");
        jxta_adv_t *radv = NULL;
        jxta_output_pipe_t *out = NULL;
        if (text && reply && jxta_adv_parse(reply, strlen(reply), &radv) == 0 &&
            jxta_peer_open_output(p, ng, radv, 20000, &out) == 0) {
            char answer[1100];
            snprintf(answer, sizeof answer, "you said: %.1000s", text);
            jxta_msg_t *a = NULL;
            if (make_msg(answer, NULL, &a) == 0) {
                int src = jxta_output_pipe_send_sync(out, a, 10000);
                printf("question \"%s\" answered (%s)\n", text, jxta_strerror(src));
                jxta_msg_free(a);
            }
            jxta_peer_close_output(p, out);
        } else {
            printf("question without a usable reply pipe: ignored\n");
        }
        fflush(stdout);
        jxta_adv_free(radv);
        free(text);
        free(reply);
        jxta_msg_free(m);
    }
    jxta_peer_close_input(p, in);
    jxta_adv_free(adv);
    return 0;
}

static int ask(jxta_peer_t *p, const char *name, char **texts, int ntexts, int timeout)
{
    jxta_group_t *ng = jxta_peer_net_group(p);
    jxta_adv_t **found = NULL;
    size_t nfound = 0;
    int rc = jxta_peer_discover(p, ng, 2, "Name", name, 1, timeout, &found, &nfound);
    if (rc < 0 || nfound == 0) {
        fprintf(stderr, "%s: no pipe called %s found: %s\n", prog, name, jxta_strerror(rc));
        return 1;
    }
    /* Our reply pipe: a fresh pipe, described in every question. */
    jxta_id_t rid;
    jxta_adv_t *radv = NULL;
    char *rxml = NULL;
    jxta_input_pipe_t *in = NULL;
    jxta_output_pipe_t *out = NULL;
    rc = jxta_id_new_pipe(&rid, jxta_group_id(ng));
    if (rc == 0)
        rc = jxta_pipe_adv_new(&rid, JXTA_PIPE_UNICAST, "example-reply", &radv);
    if (rc == 0)
        rc = jxta_adv_to_string(radv, 0, &rxml);
    if (rc == 0)
        rc = jxta_peer_open_input(p, ng, radv, &in);
    if (rc == 0)
        rc = jxta_peer_open_output(p, ng, found[0], timeout, &out);
    int status = 0;
    for (int i = 0; rc == 0 && i < ntexts; i++) {
        jxta_msg_t *q = NULL, *a = NULL;
        rc = make_msg(texts[i], rxml, &q);
        if (rc == 0)
            rc = jxta_output_pipe_send_sync(out, q, timeout);
        jxta_msg_free(q);
        if (rc == 0)
            rc = jxta_input_pipe_poll(in, timeout, &a);
        if (rc == 0) {
            char *t = elem_text(a, "text");
            printf("%s\n", t ? t : "(answer without text)");
            free(t);
            jxta_msg_free(a);
        }
    }
    if (rc < 0) {
        fprintf(stderr, "%s: ask %s: %s\n", prog, name, jxta_strerror(rc));
        status = 1;
    }
    if (out)
        jxta_peer_close_output(p, out);
    if (in)
        jxta_peer_close_input(p, in);
    free(rxml);
    jxta_adv_free(radv);
    jxta_peer_free_advs(found, nfound);
    return status;
}

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
    jxta_peer_options_t o;
    jxta_peer_options_default(&o);
    o.listen = "";
    int timeout = 20000, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "%s: %s needs a value (see --help)\n", prog, argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--home") == 0)
            o.home = v;
        else if (strcmp(argv[i], "--seed") == 0 && o.nseeds < 16)
            o.seeds[o.nseeds++] = v;
        else if (strcmp(argv[i], "--listen") == 0)
            o.listen = v;
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = atoi(v);
        else if (strcmp(argv[i], "--log-level") == 0) {
            if (cli_set_log_level(prog, v) < 0)
                return 2;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, argv[i]);
            return 2;
        }
    }
    int serving = i < argc && strcmp(argv[i], "serve") == 0 && argc - i == 2;
    int asking = i < argc && strcmp(argv[i], "ask") == 0 && argc - i >= 3;
    if (!o.home || (!serving && !asking) || timeout <= 0) {
        fprintf(stderr, "%s: need --home DIR and 'serve NAME' or 'ask NAME TEXT...' (see --help)\n",
                prog);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    jxta_peer_t *p = NULL;
    int rc = jxta_peer_open(&o, &p);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot start the peer: %s\n", prog, jxta_strerror(rc));
        return 1;
    }
    if (o.nseeds && (rc = jxta_peer_wait_rdv(p, jxta_peer_net_group(p), timeout)) < 0) {
        fprintf(stderr, "%s: no rendezvous lease: %s\n", prog, jxta_strerror(rc));
        jxta_peer_close(p);
        return 1;
    }
    int status = serving ? serve(p, argv[i + 1]) : ask(p, argv[i + 1], argv + i + 2, argc - i - 2,
                                                       timeout);
    jxta_peer_close(p);
    return status;
}
