/* juxmem.h - the public interface of libjuxmem, the JuxMem data-sharing
 * service built on libjxta.
 *
 * A JuxMem peer is a JXTA peer that joins the juxmem group (a child of the
 * Net group whose ID every peer derives from the text "juxmem") and, when
 * it has a cluster, that cluster's group (a child of the juxmem group,
 * ID derived from the cluster name).  Any peer is a client; a peer can
 * also be a provider (it offers memory), a cluster manager (it gathers its
 * providers' memory advertisements, publishes the cluster advertisement
 * and serves allocations) and a rendezvous.
 *
 * A block is allocated on `clusters` clusters x `providers` providers per
 * cluster; the providers holding its copies form the block's data group,
 * whose group ID is the block's global data ID: anybody holding the ID can
 * attach it and read or write it, wherever it lives.  Accesses are made
 * between an acquire (exclusive) or acquire_read (shared) and a release:
 * acquire brings the local view of the block up to date, writes are
 * buffered, and release returns once a majority of the copies holds them
 * (the copies agree by majority on lock grants and on who is in the data
 * group; the side of a partition without a majority answers
 * JUXMEM_ENOQUORUM).  Under these locks the consistency is sequential.
 * Locks are leased: a holder that dies loses its lock when the lease ends
 * and its unreleased writes are discarded.
 *
 * Every call is blocking and made from application threads; each returns
 * 0 or a negative error (JUXMEM_E* below, or a JXTA_E* from libjxta). */
#ifndef JUXMEM_H
#define JUXMEM_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/id.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JUXMEM_VERSION_STRING "0.2.0"

/* "juxmem-c 0.2.0 (libjxta 0.1.0)" */
const char *juxmem_version(void);

/* ---- errors (distinct from every JXTA_E* code) ------------------------------ */
#define JUXMEM_ENOSPACE  (-200) /* not enough memory on the providers asked for */
#define JUXMEM_ENODATA   (-201) /* no such data (never allocated, or freed) */
#define JUXMEM_ELOCKTIMEOUT (-202) /* the lock was not granted in time */
#define JUXMEM_EUNREACH  (-203) /* no copy of the data can be reached */
#define JUXMEM_ESTALE    (-204) /* the lock was lost (lease expired): writes discarded */
#define JUXMEM_ENOTLOCKED (-205) /* access outside acquire/release, or a write under acquire_read */
#define JUXMEM_EFREED    (-206) /* double free */
#define JUXMEM_ERANGE    (-207) /* offset/length outside the block */
#define JUXMEM_ENOCLUSTER (-208) /* fewer clusters (or providers) than asked for */
#define JUXMEM_ENOQUORUM (-209) /* copies answer, but not a majority of the data group:
                                   no lock is granted and no write accepted (a partition's
                                   minority side, or too many copies lost at once) */
/* Text for a JUXMEM_E* or JXTA_E* code. */
const char *juxmem_strerror(int err);

/* ---- a JuxMem peer ---------------------------------------------------------- */
typedef struct juxmem juxmem_t;

typedef struct juxmem_options {
    const char *home;            /* required: the peer's PlatformConfig and cache */
    const char *name;            /* peer name (NULL: from PlatformConfig) */
    const char *listen;          /* "tcp://HOST:PORT", NULL: PlatformConfig, "" = none */
    const char *seeds[16];       /* rendezvous ("tcp://HOST:PORT") */
    size_t nseeds;
    int rendezvous;              /* be a rendezvous of the Net and juxmem groups */
    const char *cluster;         /* this peer's cluster (required for providers, managers) */
    uint64_t provide_bytes;      /* > 0: be a provider offering this much memory */
    int manager;                 /* be a manager of `cluster` */
    uint64_t lock_lease_ms;      /* lease of granted locks (default 10000) */
    uint64_t fail_ms;            /* a copy or sequencer silent this long is taken for dead
                                    (default 5000; heartbeats every fail_ms / 5; a dead
                                    sequencer is replaced after about 2 x fail_ms) */
    int timeout_ms;              /* default time-out of calls (default 30000) */
} juxmem_options_t;

void juxmem_options_default(juxmem_options_t *o);
int juxmem_open(const juxmem_options_t *o, juxmem_t **out);
void juxmem_close(juxmem_t *j);
/* The underlying JXTA peer (jxta/peer.h), to add pipes or groups of one's own. */
struct jxta_peer *juxmem_peer(juxmem_t *j);

/* ---- data ------------------------------------------------------------------- */
typedef enum {
    JUXMEM_CONSISTENCY_SEQUENTIAL = 0 /* the sequential-consistency protocol */
} juxmem_consistency_t;

typedef struct juxmem_attr {
    juxmem_consistency_t consistency;
    uint64_t lifetime_ms;        /* 0 = until freed */
} juxmem_attr_t;

void juxmem_attr_default(juxmem_attr_t *a);

/* Allocate `size` bytes on `clusters` clusters x `providers` providers
 * each; *id receives the global data ID (a peer group ID). */
int juxmem_alloc(juxmem_t *j, uint64_t size, unsigned clusters, unsigned providers,
                 const juxmem_attr_t *attr, jxta_id_t *id);
/* Make an existing block known to this peer (found from its ID alone). */
int juxmem_attach(juxmem_t *j, const jxta_id_t *id);
int juxmem_acquire(juxmem_t *j, const jxta_id_t *id);
int juxmem_acquire_read(juxmem_t *j, const jxta_id_t *id);
int juxmem_release(juxmem_t *j, const jxta_id_t *id);
/* Under a lock: copy out of / into the block. */
int juxmem_read(juxmem_t *j, const jxta_id_t *id, uint64_t offset, void *buf, size_t len);
int juxmem_write(juxmem_t *j, const jxta_id_t *id, uint64_t offset, const void *buf,
                 size_t len);
int juxmem_free(juxmem_t *j, const jxta_id_t *id);

#define JUXMEM_MAX_COPIES 64
typedef struct juxmem_stat {
    uint64_t size;
    uint64_t version;                       /* releases applied so far */
    unsigned clusters, providers;           /* as allocated */
    size_t ncopies;                         /* live copies known */
    jxta_id_t copies[JUXMEM_MAX_COPIES];    /* provider peer IDs */
    char copy_cluster[JUXMEM_MAX_COPIES][64];
    int locked;                             /* 0 free, 1 exclusive, 2 shared */
    jxta_id_t lock_holder;                  /* exclusive holder (when locked == 1) */
    uint64_t lease_left_ms;
    juxmem_attr_t attr;
    /* redundancy: live copies (ncopies) vs requested (clusters x providers) */
    unsigned requested;
    int repairing;                          /* a lost copy is being re-created */
    uint64_t epoch;                         /* the sequencer's term */
    /* Why the data cannot be locked or written now, 0 if it can:
     * JUXMEM_ENOQUORUM when copies answer but no majority of the data group
     * is reachable (juxmem_stat returns 0 with what they know), and
     * JUXMEM_EUNREACH when no copy answers at all (juxmem_stat returns
     * JUXMEM_EUNREACH). */
    int why;
} juxmem_stat_t;
int juxmem_stat(juxmem_t *j, const jxta_id_t *id, juxmem_stat_t *st);

#ifdef __cplusplus
}
#endif
#endif
