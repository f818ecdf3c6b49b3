/* test_discovery_overlay.c - multi-process discovery on 127.0.0.1.
 *
 * Three C rendezvous form one PeerView (two of them seeded only with the
 * first); thirty C edges lease from them (ten each) and each publishes a
 * pipe advertisement of its own and looks for everybody's.  Every edge
 * must find every other edge's advertisement, whichever rendezvous holds
 * its index.  An advertisement published with a short life is found, then
 * gone: a peer that starts after it expired finds everything else but not
 * it.  A rendezvous killed with SIGKILL loses nothing: its edges fail over,
 * push their index again, and a newcomer finds all thirty advertisements.
 * Every wait is bounded; every process is stopped by its PID. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jxta.h>

#include "../unit/testutil.h"
#include "proc.h"

#ifndef TOOLS_DIR
#define TOOLS_DIR "tools"
#endif

#define NEDGES 30
#define NRDV 3

static char workdir[256];
static const char *peer_bin = TOOLS_DIR "/jxta-peer";

static tproc_t *start_peer(const char *name, const char *const *extra)
{
    return tproc_peer(peer_bin, workdir, name, extra);
}

/* Write a pipe advertisement named `name`; returns its path (static). */
static const char *pipe_file(const char *name)
{
    static char path[600];
    jxta_id_t id;
    jxta_adv_t *adv;
    ck_assert_int_eq(jxta_id_new_pipe(&id, &jxta_id_net_group), 0);
    ck_assert_int_eq(jxta_pipe_adv_new(&id, "JxtaUnicast", name, &adv), 0);
    char *text;
    ck_assert_int_eq(jxta_adv_to_string(adv, 0, &text), 0);
    snprintf(path, sizeof path, "%s/%s.xml", workdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    free(text);
    jxta_adv_free(adv);
    return path;
}

/* FOUND lines of p for pipes named pipe-NN: counted by distinct ID. */
static size_t found_pipes(tproc_t *p)
{
    return tproc_count(p, "FOUND type=adv");
}

START_TEST(test_thirty_edges_three_rendezvous)
{
    tproc_workdir(workdir, sizeof workdir, "jxta-disc");
    char addr[NRDV][128], id[NRDV][128], line[512];
    tproc_t *r[NRDV];
    for (int i = 0; i < NRDV; i++) {
        char name[16];
        snprintf(name, sizeof name, "rdv%d", i);
        const char *extra[16] = {"--role", "rdv", "--listen", "tcp://127.0.0.1:0",
                                 "--probe-ms", "300", "--member-timeout-ms", "4000"};
        size_t n = 8;
        if (i > 0) {
            extra[n++] = "--seed";
            extra[n++] = addr[0];
        }
        extra[n] = NULL;
        r[i] = start_peer(name, extra);
        ck_assert_msg(tproc_wait(r[i], "READY ", 1, 10000, line, sizeof line), "%s", name);
        ck_assert(tproc_field(line, "listen", addr[i], sizeof addr[i]));
        ck_assert(tproc_field(line, "peer", id[i], sizeof id[i]));
    }
    for (int i = 0; i < NRDV; i++)
        ck_assert_msg(tproc_wait(r[i], "PEERVIEW joined", NRDV - 1, 15000, NULL, 0),
                      "rdv%d did not see the whole view", i);

    /* Thirty edges, ten per rendezvous, each with a fail-over seed. */
    tproc_t *e[NEDGES];
    char names[NEDGES][16], files[NEDGES][600];
    for (int i = 0; i < NEDGES; i++) {
        snprintf(names[i], sizeof names[i], "pipe-%02d", i);
        snprintf(files[i], sizeof files[i], "%s", pipe_file(names[i]));
        char ename[16];
        snprintf(ename, sizeof ename, "edge%02d", i);
        const char *extra[] = {"--no-listen", "--seed", addr[i % NRDV], "--seed",
                               addr[(i + 1) % NRDV], "--retry-ms", "1000", "--srdi-ms", "300",
                               "--publish", files[i], "--discover", "adv:Name=pipe-*",
                               "--discover-every-ms", "1500", NULL};
        e[i] = start_peer(ename, extra);
    }
    /* Everyone finds everyone else's pipe. */
    for (int i = 0; i < NEDGES; i++)
        ck_assert_msg(tproc_wait(e[i], "FOUND type=adv", NEDGES - 1, 60000, NULL, 0),
                      "edge%02d found only %zu pipes", i, found_pipes(e[i]));

    /* A short-lived advertisement: found while alive... */
    const char *eph = pipe_file("ephemeral");
    const char *ex_pub[] = {"--no-listen", "--seed", addr[0], "--srdi-ms", "300", "--publish", eph,
                            "--publish-lifetime-ms", "3000", NULL};
    tproc_t *pub = start_peer("publisher", ex_pub);
    const char *ex_look[] = {"--no-listen", "--seed", addr[1], "--discover", "adv:Name=ephemeral",
                             "--discover-every-ms", "500", NULL};
    tproc_t *look = start_peer("looker", ex_look);
    ck_assert_msg(tproc_wait(look, "FOUND type=adv", 1, 20000, NULL, 0), "ephemeral not found");
    tproc_signal(look, SIGTERM);
    ck_assert_int_eq(tproc_reap(look, 5000), 0);
    /* ...and gone once expired: a newcomer after expiry finds the thirty
     * pipes (so it works) but not the ephemeral one. */
    const char *ex_late[] = {"--no-listen", "--seed", addr[2], "--discover", "adv:Name=*",
                             "--discover-every-ms", "700", NULL};
    /* Expiry is a matter of time itself, so here (only) the test waits for
     * the clock: the 3 s life has passed 3.5 s after it was found. */
    uint64_t until = tu_now_ms() + 3500;
    while (tu_now_ms() < until)
        tproc_pump(50);
    tproc_t *late = start_peer("late", ex_late);
    ck_assert_msg(tproc_wait(late, "FOUND type=adv", NEDGES, 30000, NULL, 0),
                  "late peer found only %zu", found_pipes(late));
    for (int k = 0; k < 6; k++) /* three more query rounds */
        tproc_pump(500);
    ck_assert_uint_eq(found_pipes(late), NEDGES);
    tproc_signal(late, SIGTERM);
    tproc_reap(late, 5000);
    tproc_signal(pub, SIGTERM);
    tproc_reap(pub, 5000);

    /* rdv1 dies: its ten edges fail over and re-push; nothing is lost. */
    tproc_signal(r[1], SIGKILL);
    ck_assert_int_eq(tproc_reap(r[1], 5000), 128 + SIGKILL);
    char want[200];
    snprintf(want, sizeof want, "LEASE granted rdv=%.127s", id[2]);
    for (int i = 1; i < NEDGES; i += NRDV)
        ck_assert_msg(tproc_wait(e[i], want, 1, 20000, NULL, 0), "edge%02d did not fail over", i);
    const char *ex_new[] = {"--no-listen", "--seed", addr[0], "--discover", "adv:Name=pipe-*",
                            "--discover-every-ms", "700", NULL};
    tproc_t *newcomer = start_peer("newcomer", ex_new);
    ck_assert_msg(tproc_wait(newcomer, "FOUND type=adv", NEDGES, 40000, NULL, 0),
                  "after the kill the newcomer found only %zu", found_pipes(newcomer));

    /* stop everything by PID */
    tproc_signal(newcomer, SIGTERM);
    for (int i = 0; i < NEDGES; i++)
        tproc_signal(e[i], SIGTERM);
    for (int i = 0; i < NRDV; i++)
        tproc_signal(r[i], SIGTERM);
    for (int i = 0; i < NEDGES; i++)
        ck_assert_int_eq(tproc_reap(e[i], 5000), 0);
    ck_assert_int_eq(tproc_reap(newcomer, 5000), 0);
    ck_assert_int_eq(tproc_reap(r[0], 5000), 0);
    ck_assert_int_eq(tproc_reap(r[2], 5000), 0);
}
END_TEST

static void teardown(void)
{
    tproc_workdir_remove(workdir);
}

static Suite *suite(void)
{
    Suite *s = suite_create("discovery-overlay");
    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_thirty_edges_three_rendezvous);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
