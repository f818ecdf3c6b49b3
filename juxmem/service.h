/* juxmem/service.h - the JuxMem service layer (internal, not installed).
 *
 * One juxmem_t is one JuxMem peer: a running JXTA peer (jxta/peer.h, its
 * loop on its own thread), the juxmem group, the cluster group when it has
 * a cluster, and the roles it plays.  The state machines of block.h run on
 * the loop thread only: net.c carries their messages over the endpoint and
 * feeds them back, roles.c runs the provider and manager roles, client.c
 * the public calls (application threads, which reach the loop with
 * jxta_peer_run and wait for results on `cv`).  What application threads
 * wait for (a block's operation finishing, a resolver answer) is guarded
 * by `mu`; everything else is touched on the loop thread only.
 * DESIGN.md ("Service layer") describes the whole. */
#ifndef JUXMEM_SERVICE_H
#define JUXMEM_SERVICE_H

#include <pthread.h>
#include <stdint.h>

#include <jxta.h>
#include <jxta/peer.h>

#include "block.h"
#include "juxmem.h"
#include "proto.h"

#define JUXMEM_SERVICE "JuxMem"          /* endpoint service of the protocol messages */
#define JUXMEM_ALLOC_HANDLER "JuxMemAlloc" /* resolver handler: a manager chooses providers */
#define JUXMEM_STAT_HANDLER "JuxMemStat"   /* resolver handler: a copy describes its block */
#define JUXMEM_MEMBER_HANDLER "JuxMemMember" /* resolver handler: a cluster's hellos (offers,
                                                managers' heartbeats) and manager lists */
#define JUXMEM_TICK_MS 20
#define JUXMEM_MAINT_MS 1000              /* memory/cluster advertisement upkeep */
#define JUXMEM_REFRESH_MS 10000           /* republish advertisements this often */
#define JUXMEM_ADV_LIFE_MS 30000          /* memory and cluster advertisements */
#define JUXMEM_CLUSTER_LEASE_MS 20000     /* leases in a cluster group (its managers are
                                             its rendezvous) */
#define JUXMEM_CLUSTER_ADV_LIFE_MS 12000  /* cluster advertisement: a dead primary's fades */
#define JUXMEM_CLUSTER_REFRESH_MS 4000    /* the primary republishes it this often */
#define JUXMEM_HELLO_MS 1000              /* providers and managers hello every manager */
#define JUXMEM_HELLO_DEAD_MS 5000         /* ...to a manager silent this long: every 5 s */
#define JUXMEM_MGR_DEAD_MS 4000           /* a manager unheard this long is dead */
#define JUXMEM_OFFER_DEAD_MS 5000         /* a provider unheard this long is out of the choice */
#define JUXMEM_MGR_FORGET_MS 60000        /* a manager unheard this long is forgotten */

/* Lines for a daemon: "EVENT [what] key=value..." (values without spaces). */
typedef void (*juxmem_event_fn)(void *ud, const char *line);

/* One block known to this peer (allocated, attached, or held as a copy by
 * our provider only - then it has no entry here). Loop thread, except the
 * fields marked (mu). */
typedef struct juxmem_blk {
    struct juxmem_blk *next; /* written under mu (application threads look blocks up) */
    struct juxmem *j;
    /* smu: the block's state machines.  The loop holds it whenever it calls
     * into `client` or `fan` (or replaces them); an application thread holds
     * it to read or write the held block's view directly, without a trip
     * through the loop.  Taken before mu, never after. */
    pthread_mutex_t smu;
    jxta_id_t id;
    uint64_t size;
    unsigned clusters, providers;
    size_t ncopies;
    juxmem_member_t copies[JUXMEM_MAX_COPIES];
    juxmem_attr_t attr;
    juxmem_client_t *client;
    juxmem_fanout_t *fan;
    int freed;
    int app_op;       /* an application's operation runs (its result is awaited) */
    int renewing;     /* an automatic lease renewal runs */
    int pend_release; /* a release waits for that renewal to finish */
    int lost;         /* the lease ran out while held: the next release is ESTALE */
    uint64_t granted; /* lease of the held lock as first counted (renewed at half) */
    /* (mu): the operation an application thread waits for */
    int waiting, done, result;
    int app_held; /* (mu) a thread of this peer holds the lock (acquire..release) */
    int req_mode; /* (mu) the lock operation the posted start runs (0 = release) */
    int usable;   /* (mu) mirrors freed/client: JUXMEM_EFREED, 1 (client ready) or 0 */
} juxmem_blk_t;

/* A resolver query an application thread waits for. */
typedef struct juxmem_pending {
    struct juxmem_pending *next;
    long qids[16];
    size_t nqids;
    int done;      /* (mu) */
    int gone;      /* (mu) the endpoint said the asked peer ended: no answer will come */
    char *answer;  /* (mu), malloc'd */
    jxta_id_t from;
    jxta_id_t dest; /* the peer asked */
} juxmem_pending_t;

/* What the manager knows of its cluster (loop thread). */
#define JUXMEM_MAX_OFFERS JUXMEM_CLUSTER_MAX_PROVIDERS
#define JUXMEM_MAX_MANAGERS JUXMEM_CLUSTER_MAX_MANAGERS

/* A manager of our cluster, as a provider or manager knows it. */
typedef struct juxmem_mgr {
    jxta_id_t id;
    uint64_t heard; /* loop time of its last hello or answer (0: never) */
    uint64_t named; /* last time an advertisement or a manager list named it */
    uint64_t sent;  /* our last hello to it */
} juxmem_mgr_t;

/* A provider's offer as its hellos carry it (manager). */
typedef struct juxmem_offer {
    juxmem_memory_info_t info;
    uint64_t heard;      /* loop time of its last hello */
    uint64_t taken;      /* bytes chosen for allocations since (until it reports a change) */
    uint64_t taken_ms;
} juxmem_offer_t;

struct juxmem {
    juxmem_options_t o;
    char cluster[JUXMEM_CLUSTER_NAME_MAX + 1];
    const char *seeds_copy[16];
    juxmem_event_fn ev;
    void *ev_ud;
    jxta_peer_t *peer;
    jxta_loop_t *loop;
    jxta_endpoint_t *ep;
    jxta_id_t self;
    jxta_id_t jm_gid, cl_gid;
    jxta_group_t *net, *jm, *cl; /* cl: NULL until the cluster group is joined */
    juxmem_block_cfg_t cfg;
    uint64_t start_ms;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int closing;     /* (mu) */
    pthread_t bg;    /* finds the cluster's managers (and joins the cluster group) */
    int has_bg;

    /* loop thread */
    juxmem_provider_t *prov;
    juxmem_blk_t *blocks;
    int wake_pending; /* results posted, application threads not signalled yet */
    juxmem_pending_t *pend;
    jxta_id_t gone_ring[16]; /* peers the endpoint said ended lately (loop) */
    uint64_t gone_at[16];    /* when (loop ms): older verdicts are forgotten, as a
                                peer may come back with the same ID */
    size_t gone_next, ngone;
    jxta_timer_t tick, maint;
    jxta_timer_t repair_kick; /* zero-delay: step the re-creations at once (roles.c) */
    int timers_on;
    int listening, handlers_on;
    /* messages to ourselves, delivered from a posted function */
    juxmem_pmsg_t *localq;
    size_t nlocal, caplocal;
    int local_posted;
    /* provider bookkeeping: copies held (to report added / freed) */
    jxta_id_t *held;
    size_t nheld, capheld;
    uint64_t last_offered, last_free;
    int mem_published;
    int cl_conn, jm_conn; /* connected at the last upkeep: republish on a new lease */
    uint64_t mem_pub_ms;
    struct juxmem_repair *repairs; /* sequencer: copies being re-created */
    /* the cluster's managers (providers and managers) */
    juxmem_mgr_t mgrs[JUXMEM_MAX_MANAGERS];
    size_t nmgrs;
    /* manager */
    int primary;  /* 1 primary, 0 backup, -1 not decided yet */
    juxmem_offer_t table[JUXMEM_MAX_OFFERS]; /* every provider heard (live or not) */
    size_t ntable;
    juxmem_memory_info_t offers[JUXMEM_MAX_OFFERS]; /* the live ones, free less taken */
    size_t noffers;
    uint64_t cl_free_last;
    size_t cl_prov_last;
    int cl_published;
    uint64_t cl_pub_ms;
    uint64_t cl_mgr_sig; /* the live managers last published */
};

/* Emit one event line (printf-style); no-op without an event function. */
void juxmem__event(juxmem_t *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t juxmem__now(juxmem_t *j);

/* The open with a daemon's event function (called on any thread). */
int juxmem_open_ex(const juxmem_options_t *o, juxmem_event_fn ev, void *ud, juxmem_t **out);

/* ---- net.c (loop thread) ---- */
int juxmem__net_start(juxmem_t *j);
void juxmem__net_stop(juxmem_t *j);
/* Send everything in `out` (messages to ourselves are delivered from a
 * posted function), handle its events, and clear it. */
void juxmem__send_out(juxmem_t *j, juxmem_out_t *out);

/* ---- roles.c (loop thread) ---- */
int juxmem__roles_start(juxmem_t *j);
void juxmem__roles_stop(juxmem_t *j);
/* A decoded message for the provider; its outputs are sent. */
void juxmem__provider_msg(juxmem_t *j, const juxmem_pmsg_t *m);
void juxmem__events(juxmem_t *j, const juxmem_out_t *out);
/* Publish the block advertisement of `info` in the juxmem group. */
int juxmem__publish_data_adv(juxmem_t *j, const juxmem_block_adv_info_t *info);
/* Sequencer: an ALLOC_REPLY for a copy being re-created (1 = consumed). */
int juxmem__repair_msg(juxmem_t *j, const juxmem_pmsg_t *m);
/* The bg thread: find the manager, join the cluster group (edge). */
void *juxmem__cluster_thread(void *arg);
/* Resolver query handlers (alloc: manager; stat: provider). */
int juxmem__on_alloc_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q);
int juxmem__on_stat_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q); /* stat.c */
/* roles.c: a re-creation of a lost copy of `data` is running here. */
int juxmem__repair_active(juxmem_t *j, const jxta_id_t *data);
/* roles.c: our cluster's live managers, primary first (the lowest peer ID
 * heard within JUXMEM_MGR_DEAD_MS; ourselves when a manager), then those
 * known but not heard lately; returns how many (at most cap). */
size_t juxmem__cluster_managers(juxmem_t *j, jxta_id_t *out, size_t cap);
/* roles.c: a cluster hello "H CLUSTER MANAGER(0|1) OFFERED FREE", parsed
 * strictly (network input; JXTA_EPROTO, logged). */
/* Which re-creations to step now (roles.c): every one in flight (they
 * free slots), then waiting ones, fewest live copies first (then the
 * earliest deadline), while fewer than `limit` are in flight.  Writes the
 * indices into `order` and returns how many. */
typedef struct juxmem_repair_key {
    size_t live;       /* live copies of the block */
    uint64_t deadline; /* the re-creation gives up then */
    int in_flight;     /* past waiting: asking a manager, allocating or transferring */
} juxmem_repair_key_t;
size_t juxmem__repair_plan(const juxmem_repair_key_t *keys, size_t n, size_t limit,
                           size_t *order);
int juxmem__parse_hello(const char *text, char *cluster, size_t cap, int *manager,
                        uint64_t *offered, uint64_t *fr);
/* roles.c: a manager's answer "L CLUSTER\nPEER\n..." (1..max distinct peer
 * IDs, the last newline optional), parsed strictly (JXTA_EPROTO, logged). */
int juxmem__parse_manager_list(const char *text, char *cluster, size_t cap, jxta_id_t *ids,
                               size_t max, size_t *n);

/* ---- client.c (loop thread) ---- */
juxmem_blk_t *juxmem__blk_find(juxmem_t *j, const jxta_id_t *id);
/* A decoded message for the block's client or fanout. */
void juxmem__client_msg(juxmem_t *j, const juxmem_pmsg_t *m);
/* Tick the clients and fanouts. */
void juxmem__client_tick(juxmem_t *j, uint64_t now);
/* `peer`'s process ended: every block client stops targeting it. */
void juxmem__client_peer_gone(juxmem_t *j, const jxta_id_t *peer, uint64_t now);
/* The same for the roles (roles.c): managers' offers, re-creations. */
void juxmem__roles_peer_gone(juxmem_t *j, const jxta_id_t *peer);
void juxmem__on_response(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp,
                         const jxta_id_t *from);
void juxmem__client_stop(juxmem_t *j);
/* The resolver texts, parsed strictly (network input; JXTA_EPROTO):
 * allocation query "SIZE COUNT"; allocation answer "0 CLUSTER\nPEER\n..."
 * (members with the cluster, *n of at most cap) or "-CODE" (returned);
 * stat answer "0 SIZE VERSION LOCKED LEASE_MS NCOPIES HOLDER|-\n" and
 * NCOPIES lines "PEER CLUSTER|-", or "R PEER" (1: ask that sequencer),
 * or "-CODE" (returned). */
int juxmem__parse_alloc_query(const char *text, uint64_t *size, unsigned *want);
int juxmem__parse_alloc_answer(const char *text, juxmem_member_t *out, size_t cap, size_t *n);
int juxmem__parse_stat_answer(const char *text, juxmem_stat_t *st, jxta_id_t *redirect);

#endif
