/* test_overlay.c - multi-process: real jxta-peer daemons on 127.0.0.1.
 *
 * Two C rendezvous and 20 C edges (half listening, half not) with a short
 * lease: every edge gets a lease from the first rendezvous and renews it;
 * the first rendezvous is killed with SIGKILL and every edge fails over to
 * the second; an edge killed with SIGKILL is expired by the rendezvous; an
 * edge stopped with SIGTERM says goodbye.  Every wait is bounded; every
 * process is stopped by its PID at the end, even when a check fails. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/testutil.h"
#include "proc.h"

#ifndef TOOLS_DIR
#define TOOLS_DIR "tools"
#endif

#define NEDGES 20
#define LEASE_MS "2000"

static char workdir[256];
static const char *peer_bin = TOOLS_DIR "/jxta-peer";

static tproc_t *start_peer(const char *name, const char *const *extra)
{
    return tproc_peer(peer_bin, workdir, name, extra);
}

/* Start a rendezvous on a free port; returns its READY line fields. */
static tproc_t *start_rdv(const char *name, char *addr, size_t acap, char *id, size_t icap)
{
    const char *extra[] = {"--role", "rdv", "--listen", "tcp://127.0.0.1:0", "--lease-ms", LEASE_MS,
                           "--gc-ms", "200", NULL};
    tproc_t *p = start_peer(name, extra);
    char line[512];
    ck_assert_msg(tproc_wait(p, "READY ", 1, 10000, line, sizeof line), "%s did not start", name);
    ck_assert(tproc_field(line, "listen", addr, acap));
    ck_assert(tproc_field(line, "peer", id, icap));
    return p;
}

START_TEST(test_rdv_with_20_edges_failover_expiry)
{
    tproc_workdir(workdir, sizeof workdir, "jxta-overlay");
    char a1[128], a2[128], id1[128], id2[128];
    tproc_t *r1 = start_rdv("rdv1", a1, sizeof a1, id1, sizeof id1);
    tproc_t *r2 = start_rdv("rdv2", a2, sizeof a2, id2, sizeof id2);

    tproc_t *e[NEDGES];
    char eid[NEDGES][128];
    for (int i = 0; i < NEDGES; i++) {
        char name[32];
        snprintf(name, sizeof name, "edge%02d", i);
        const char *listen[] = {"--listen", "tcp://127.0.0.1:0", "--seed", a1, "--seed", a2,
                                "--retry-ms", "1000", NULL};
        const char *nolisten[] = {"--no-listen", "--seed", a1, "--seed", a2, "--retry-ms", "1000",
                                  NULL};
        e[i] = start_peer(name, i % 2 ? listen : nolisten);
    }
    /* Every edge leases from rdv1 and renews (renewal at half of a 2 s lease). */
    char line[512], want[200];
    snprintf(want, sizeof want, "LEASE granted rdv=%s", id1);
    for (int i = 0; i < NEDGES; i++) {
        ck_assert_msg(tproc_wait(e[i], "READY ", 1, 10000, line, sizeof line), "edge %d", i);
        ck_assert(tproc_field(line, "peer", eid[i], sizeof eid[i]));
        ck_assert_msg(tproc_wait(e[i], want, 1, 15000, NULL, 0), "edge %d got no lease", i);
    }
    ck_assert(tproc_wait(r1, "CLIENT connected", NEDGES, 10000, NULL, 0));
    for (int i = 0; i < NEDGES; i++)
        ck_assert_msg(tproc_wait(e[i], "LEASE renewed", 2, 10000, NULL, 0), "edge %d: no renewal", i);
    ck_assert_uint_eq(tproc_count(r1, "CLIENT connected"), NEDGES); /* renewals are not new */
    for (int i = 0; i < NEDGES; i++) {
        snprintf(want, sizeof want, "CLIENT connected peer=%.127s", eid[i]);
        ck_assert_uint_eq(tproc_count(r1, want), 1);
    }

    /* rdv1 dies without a word: each edge loses its lease and fails over. */
    tproc_signal(r1, SIGKILL);
    ck_assert_int_eq(tproc_reap(r1, 5000), 128 + SIGKILL);
    snprintf(want, sizeof want, "LEASE granted rdv=%s", id2);
    for (int i = 0; i < NEDGES; i++) {
        ck_assert_msg(tproc_wait(e[i], "LEASE lost", 1, 10000, line, sizeof line), "edge %d", i);
        ck_assert_ptr_nonnull(strstr(line, "reason=connection-lost"));
        ck_assert_msg(tproc_wait(e[i], want, 1, 15000, NULL, 0), "edge %d did not fail over", i);
    }
    ck_assert(tproc_wait(r2, "CLIENT connected", NEDGES, 10000, NULL, 0));

    /* An edge killed with SIGKILL is expired after its lease. */
    tproc_signal(e[0], SIGKILL);
    ck_assert_int_eq(tproc_reap(e[0], 5000), 128 + SIGKILL);
    snprintf(want, sizeof want, "CLIENT disconnected peer=%.127s reason=expired", eid[0]);
    ck_assert_msg(tproc_wait(r2, want, 1, 10000, NULL, 0), "killed edge not expired");
    /* An edge stopped with SIGTERM says goodbye and exits cleanly. */
    tproc_signal(e[1], SIGTERM);
    ck_assert_int_eq(tproc_reap(e[1], 5000), 0);
    ck_assert_uint_eq(tproc_count(e[1], "STOP reason=signal"), 1);
    snprintf(want, sizeof want, "CLIENT disconnected peer=%.127s reason=disconnected", eid[1]);
    ck_assert_msg(tproc_wait(r2, want, 1, 10000, NULL, 0), "goodbye not seen");
    /* The others still hold their lease from rdv2, renewing. */
    for (int i = 2; i < NEDGES; i++) {
        size_t before = tproc_count(e[i], "LEASE renewed");
        ck_assert_msg(tproc_wait(e[i], "LEASE renewed", before + 1, 10000, NULL, 0), "edge %d", i);
        ck_assert_uint_eq(tproc_count(e[i], "LEASE lost"), 1);
    }
    ck_assert_uint_eq(tproc_count(r2, "reason=expired"), 1);

    /* Stop everything by PID; each exits 0 after a clean shutdown. */
    for (int i = 2; i < NEDGES; i++)
        tproc_signal(e[i], SIGTERM);
    for (int i = 2; i < NEDGES; i++)
        ck_assert_int_eq(tproc_reap(e[i], 5000), 0);
    tproc_signal(r2, SIGTERM);
    ck_assert_int_eq(tproc_reap(r2, 5000), 0);
}
END_TEST

START_TEST(test_identity_persists_and_bad_options)
{
    tproc_workdir(workdir, sizeof workdir, "jxta-overlay");
    const char *extra[] = {"--role", "rdv", "--listen", "tcp://127.0.0.1:0", "--lifetime", "0",
                           NULL};
    char line[512], id_a[128], id_b[128];
    tproc_t *p = start_peer("same", extra);
    ck_assert(tproc_wait(p, "READY ", 1, 10000, line, sizeof line));
    ck_assert(tproc_field(line, "peer", id_a, sizeof id_a));
    ck_assert_int_eq(tproc_reap(p, 5000), 0);
    ck_assert_uint_eq(tproc_count(p, "STOP reason=lifetime"), 1);
    p = start_peer("same", extra);
    ck_assert(tproc_wait(p, "READY ", 1, 10000, line, sizeof line));
    ck_assert(tproc_field(line, "peer", id_b, sizeof id_b));
    ck_assert_str_eq(id_a, id_b); /* same home, same peer */
    ck_assert_int_eq(tproc_reap(p, 5000), 0);
    /* Bad options: exit 2, no READY. */
    const char *bad1[] = {"--role", "king", NULL};
    p = start_peer("bad1", bad1);
    ck_assert_int_eq(tproc_reap(p, 5000), 2);
    ck_assert_uint_eq(tproc_count(p, "READY"), 0);
    const char *bad2[] = {"--seed", "127.0.0.1:9701", NULL};
    p = start_peer("bad2", bad2);
    ck_assert_int_eq(tproc_reap(p, 5000), 1);
}
END_TEST

static void teardown(void)
{
    tproc_workdir_remove(workdir);
}

static Suite *overlay_suite(void)
{
    Suite *s = suite_create("overlay");
    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 180);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_rdv_with_20_edges_failover_expiry);
    tcase_add_test(tc, test_identity_persists_and_bad_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(overlay_suite());
}
