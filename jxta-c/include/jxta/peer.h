/* jxta/peer.h - the application interface: one running JXTA peer.
 *
 * An application opens a peer from a home directory (its PlatformConfig:
 * identity, listen address, rendezvous seeds; created on first use) and
 * gets the Net peer group, inside which it joins child groups, publishes
 * and discovers advertisements, and opens pipes.  The peer runs its own
 * event loop on a thread of its own; every call below is made from the
 * application's threads and blocks until the loop has done the work (or
 * the time-out passes).  Messages are received by polling an input pipe
 * (jxta_input_pipe_poll) and sent with jxta_output_pipe_send_sync, both in
 * jxta/pipe.h.
 *
 *     jxta_peer_options_t o;
 *     jxta_peer_options_default(&o);
 *     o.home = "/tmp/alice"; o.seeds[0] = "tcp://127.0.0.1:9701"; o.nseeds = 1;
 *     jxta_peer_t *p;
 *     jxta_peer_open(&o, &p);
 *     jxta_peer_wait_rdv(p, jxta_peer_net_group(p), 30000);
 *     ...
 *     jxta_peer_close(p);
 *
 * Daemons that want the loop on their own thread (to add signal handling
 * or timers) set options.run_loop = 0 and run jxta_loop_run themselves;
 * the blocking calls then must come from other threads.
 * tools/jxta-example.c is a complete program. */
#ifndef JXTA_PEER_H
#define JXTA_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/adv.h>
#include <jxta/group.h>
#include <jxta/id.h>
#include <jxta/loop.h>
#include <jxta/pipe.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_peer jxta_peer_t;

typedef struct jxta_peer_options {
    const char *home;            /* required: PlatformConfig and cache live here */
    const char *name;            /* NULL: from PlatformConfig */
    const char *listen;          /* "tcp://HOST:PORT"; NULL: from PlatformConfig; "" = none */
    const char *seeds[16];       /* rendezvous of the Net group, "tcp://HOST:PORT" */
    size_t nseeds;               /* 0: from PlatformConfig */
    int rendezvous;              /* -1: from PlatformConfig, 0 edge, 1 rendezvous */
    int run_loop;                /* 1 (default): the peer runs its loop on its own thread */
    jxta_group_config_t net;     /* Net group settings (role and seeds are filled in) */
} jxta_peer_options_t;

void jxta_peer_options_default(jxta_peer_options_t *o);

/* Start the peer (writes the PlatformConfig back with the options applied).
 * Errors: JXTA_EINVAL (bad options, logged), the config's parse errors,
 * the transport's (address in use...). */
int jxta_peer_open(const jxta_peer_options_t *o, jxta_peer_t **out);
/* Leave every group (children first), stop the loop, free everything. */
void jxta_peer_close(jxta_peer_t *p);

jxta_loop_t *jxta_peer_loop(jxta_peer_t *p);
jxta_endpoint_t *jxta_peer_endpoint(jxta_peer_t *p);
jxta_group_t *jxta_peer_net_group(jxta_peer_t *p);
const jxta_id_t *jxta_peer_id(const jxta_peer_t *p);
const char *jxta_peer_name(const jxta_peer_t *p);

/* Run fn(ud) on the loop thread and wait for its result, at most
 * timeout_ms (-1 forever): the bridge for anything not wrapped below.
 * JXTA_ETIMEDOUT if the loop did not get to it (it then never runs). */
int jxta_peer_run(jxta_peer_t *p, int (*fn)(void *ud), void *ud, int timeout_ms);

/* Wait until we hold a rendezvous lease in `g` (or are its rendezvous). */
int jxta_peer_wait_rdv(jxta_peer_t *p, jxta_group_t *g, int timeout_ms);

/* Groups.  create: a new group advertisement (gid NULL = random; logins
 * NULL = no membership, else "user:password" strings for JXSE's password
 * membership), published in `parent`.  join: instantiate it (cfg NULL =
 * defaults: edge, rendezvous found through the parent).  leave: goodbyes
 * and free. */
int jxta_peer_create_group(jxta_peer_t *p, jxta_group_t *parent, const jxta_id_t *gid,
                           const char *name, const char *desc, const char *const *logins,
                           jxta_adv_t **pga);
int jxta_peer_join(jxta_peer_t *p, jxta_group_t *parent, const jxta_adv_t *pga,
                   const jxta_group_config_t *cfg, jxta_group_t **out);
int jxta_peer_leave(jxta_peer_t *p, jxta_group_t *g);

/* Discovery.  publish: into our cache (and the rendezvous' index);
 * remote != 0 also pushes it to the rendezvous.  discover: ask the group
 * (type 0 peers, 1 groups, 2 other advertisements; attr/value NULL = any,
 * '*' wildcards) and collect distinct advertisements until `want` are
 * found or timeout_ms passes; *advs is a malloc'd array the caller frees
 * with jxta_peer_free_advs.  JXTA_ETIMEDOUT when none was found. */
int jxta_peer_publish(jxta_peer_t *p, jxta_group_t *g, const jxta_adv_t *adv, int remote);
int jxta_peer_discover(jxta_peer_t *p, jxta_group_t *g, int type, const char *attr,
                       const char *value, size_t want, int timeout_ms, jxta_adv_t ***advs,
                       size_t *n);
/* The same, for a search whose answer count is not known in advance (every
 * cluster, every provider): it also ends once at least `enough` were found
 * and settle_ms passed without a new one, instead of always waiting out
 * the time-out when fewer than `want` exist.  settle_ms 0: plain discover. */
int jxta_peer_discover_settle(jxta_peer_t *p, jxta_group_t *g, int type, const char *attr,
                              const char *value, size_t want, size_t enough, int settle_ms,
                              int timeout_ms, jxta_adv_t ***advs, size_t *n);
void jxta_peer_free_advs(jxta_adv_t **advs, size_t n);

/* Pipes.  Input pipes queue their messages for jxta_input_pipe_poll;
 * open_output waits (at most timeout_ms) until a unicast pipe is bound. */
int jxta_peer_open_input(jxta_peer_t *p, jxta_group_t *g, const jxta_adv_t *pipe_adv,
                         jxta_input_pipe_t **out);
int jxta_peer_open_output(jxta_peer_t *p, jxta_group_t *g, const jxta_adv_t *pipe_adv,
                          int timeout_ms, jxta_output_pipe_t **out);
void jxta_peer_close_input(jxta_peer_t *p, jxta_input_pipe_t *ip);
void jxta_peer_close_output(jxta_peer_t *p, jxta_output_pipe_t *op);

#ifdef __cplusplus
}
#endif
#endif
