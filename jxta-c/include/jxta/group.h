/* jxta/group.h - peer groups (PROTOCOLS.md 10.2-10.4): the World group, the
 * Net group and the child groups instantiated from their advertisements,
 * each bundling its own services.
 *
 * One peer has one endpoint (its TCP transport, owned by the World group in
 * JXSE's model) and one cache manager; every group runs its own instances
 * of the other services, all keyed by the group ID (the endpoint mangles
 * every group's traffic, PROTOCOLS.md 5.3, and the cache keeps one space
 * per group):
 *
 *   World  urn:jxta:jxta-WorldGroup, spec ...010106.  Carries its PGA and
 *          is the parent of the Net group; it runs no service of its own
 *          here (JXSE runs it ad hoc: transports only, which live in the
 *          endpoint).
 *   Net    urn:jxta:jxta-NetGroup, spec ...010206, PGA built locally as
 *          JXSE builds it.  Membership "none" (JXSE runs PSE, which puts
 *          nothing on the core protocols), rendezvous (role per config),
 *          propagation, resolver, route resolver (the router lives in the
 *          Net group), PeerView (rendezvous role), discovery, pipes.
 *   child  any group whose PGA names the all-purpose spec ...010306 (or a
 *          spec whose MIA, found in the parent's cache, is JXSE's
 *          StdPeerGroup with known services, e.g. a password group): the
 *          same set without the route resolver, with the membership the
 *          PGA and MIA ask for (none or passwd, jxta/membership.h), joined
 *          with cfg->identity/password and enforced on the endpoint.
 *
 * In each group the peer has its own peer advertisement (same peer ID and
 * name, GID = the group, PROTOCOLS.md 10.3 step 4), published with the
 * group's PGA in the group's own discovery.
 *
 * Child-group rendezvous.  An edge of a child group leases from the
 * rendezvous named in cfg->seeds: tcp://host:port of a peer running the
 * group as rendezvous, or jxta://<peer ID> reached through the Net group's
 * router.  Without seeds it finds them as JXSE does (PROTOCOLS.md 6.6,
 * 10.4): every rendezvous of a child group listens on a propagate pipe of
 * the PARENT group (ID seeded from "PeerView" + group unique value, in the
 * parent), and the edge sends on that pipe, every probe_ms while it holds
 * no lease, a PeerView.PeerAdv probe flagged PeerView.EdgePeer; each
 * rendezvous answers with its RdvAdvertisement to the edge's
 * PeerView/<grp>, and the edge adds it to its seeds.  A rendezvous of a
 * child group lists the other rendezvous of the group in its seeds to
 * form the group's PeerView.
 *
 * Checked against JXSE 2.5 (loopback, scratch programs): a JXSE edge finds
 * a C-made child group's PGA through Net group discovery, instantiates it
 * (newGroup), leases from the C child rendezvous - also when it only
 * learnt that rendezvous from the PeerView pipe, and when that rendezvous
 * does not listen - and publishes in it; a
 * C edge without seeds finds a JXSE child rendezvous through the pipe and
 * leases from it; a JXSE edge finds a C password group's PGA and MIA,
 * instantiates JXSE's passwd membership from them, is refused a wrong
 * password by JXSE itself, and with the right one leases from the C
 * rendezvous when that group is lenient (JXSE sends no credential; a
 * strict C rendezvous refuses it as a non-member).
 *
 * Our route in a child group.  A JXSE peer reaches us only by the route
 * it is given and accepts a lease only from the route it learnt, so a
 * peer without a listening address advertises, in its child-group PA and
 * RdvAdvertisement, a route through its Net group rendezvous (one hop),
 * which forwards to it; with that, a JXSE edge also leases from a C child
 * rendezvous that does not listen.  The route is redone (PA re-published,
 * rendezvous told) whenever the Net group gets a new rendezvous; the
 * application's Net group lease events (cfg->rdv_events) are relayed.
 *
 * Children must be left before their parent.  All calls are made on the
 * loop thread. */
#ifndef JXTA_GROUP_H
#define JXTA_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/addr.h>
#include <jxta/adv.h>
#include <jxta/cm.h>
#include <jxta/discovery_service.h>
#include <jxta/endpoint.h>
#include <jxta/id.h>
#include <jxta/membership.h>
#include <jxta/peerview.h>
#include <jxta/pipe.h>
#include <jxta/propagate.h>
#include <jxta/rdv.h>
#include <jxta/resolver.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jxta_group jxta_group_t;

typedef struct jxta_group_config {
    jxta_rdv_role_t role;                  /* our role in this group (default edge) */
    jxta_addr_t seeds[JXTA_RDV_MAX_SEEDS]; /* edge: rendezvous of THIS group;
                                              rendezvous: the other rendezvous
                                              (PeerView seeds); tcp:// or jxta:// */
    size_t nseeds;
    const char *identity, *password;       /* membership login (password groups) */
    int lenient;                /* password groups: also accept messages without a
                                   credential (JXSE members send none; see
                                   jxta_membership_set_lenient) */
    uint64_t lease_ms;          /* rendezvous: lease granted (0 = 20 min) */
    uint64_t retry_ms;          /* edge: next seed after this silence (0 = 15 s) */
    uint64_t probe_ms;          /* PeerView probe period (rendezvous), rendezvous
                                   search period (edge without seeds); 0 = 5 s */
    uint64_t member_timeout_ms; /* rendezvous: PeerView member silence (0 = 5 min) */
    uint64_t srdi_ms;           /* edge: SRDI push period (0 = 30 s) */
    uint64_t gc_ms;             /* rendezvous: expired-client check period (0 = 2 min) */
    size_t max_clients;         /* rendezvous: most edges at once (0 = 200) */
    const jxta_rdv_events_t *rdv_events; /* lease events (may be NULL); ud below */
    jxta_peerview_fn view_fn;   /* PeerView changes (rendezvous; may be NULL) */
    void *ud;
    const struct jxta_pipes_config *pipes; /* pipe service settings (NULL = defaults) */
} jxta_group_config_t;

/* Edge, no seeds, JXSE's timings. */
void jxta_group_config_default(jxta_group_config_t *c);

/* ---- the Net group ------------------------------------------------------ */

/* Start the Net group over `ep` (the peer's endpoint) and `cm` (the peer's
 * cache, shared by every group; neither is owned).  Its parent is the
 * World group object (jxta_group_parent), which only carries the World
 * PGA.  peer_name goes in our peer advertisements (may be NULL).
 * cfg NULL = defaults.  Errors: JXTA_EINVAL, the services' errors. */
int jxta_group_new_net(jxta_endpoint_t *ep, jxta_cm_t *cm, const char *peer_name,
                       const jxta_group_config_t *cfg, jxta_group_t **out);

/* ---- child groups --------------------------------------------------------- */

/* A new PGA for a child of `parent`, as JXSE's newGroup(gid, stdImpl, name,
 * desc) writes it: GID, MSID (all-purpose spec), Name, Desc.  gid NULL = a
 * random group ID with the parent recorded in it (IDFactory.newPeerGroupID
 * (parent)); name/desc may be NULL.  logins ("user:password" strings,
 * NULL-terminated; NULL = no membership) make a password group: the
 * logins go in the membership Svc parameter of the PGA, and the MSID is
 * a new spec whose MIA (JXSE's StdPeerGroup MIA with the "passwd"
 * membership) is published in the parent's cache at once.
 * Errors: JXTA_EINVAL (gid not a group ID, bad login text). */
int jxta_group_create_pga(jxta_group_t *parent, const jxta_id_t *gid, const char *name,
                          const char *desc, const char *const *logins, jxta_adv_t **pga);
/* Publish a PGA in `parent`: in its cache (and the rendezvous' index) and
 * by remote publish; the MIA of a non-standard spec, when the parent's
 * cache holds it, goes along. */
int jxta_group_publish_pga(jxta_group_t *parent, const jxta_adv_t *pga);

/* Instantiate the group described by `pga` as a child of `parent`.  The
 * PGA must name a group ID not already joined under this peer and a spec
 * we can run (see above); the membership it asks for must accept
 * cfg->identity/password.  cfg NULL = defaults.  Errors (each logged):
 * JXTA_EADVTYPE (not a PGA), JXTA_EUNSUPPORTED (unknown MSID or MIA),
 * JXTA_EACCES (membership refused), JXTA_EEXIST (already joined),
 * JXTA_EINVAL, the services' errors. */
int jxta_group_join(jxta_group_t *parent, const jxta_adv_t *pga, const jxta_group_config_t *cfg,
                    jxta_group_t **out);
/* Whether we can run the group `pga` describes: 0 when its spec is the
 * all-purpose one or its MIA is in the parent's cache (join may go ahead);
 * otherwise the MIA is asked for with a discovery query in the parent
 * (type Adv, Attr MSID; answers land in the cache) and JXTA_ENOTFOUND is
 * returned: call again once it may have arrived.  JXSE applications
 * publish a custom group's MIA next to its PGA, as publish_pga does. */
int jxta_group_find_impl(jxta_group_t *parent, const jxta_adv_t *pga);
/* Leave: PeerView goodbye, rendezvous Disconnect, close pipes (SRDI
 * removals), membership detached, free.  A
 * group with children still joined is not left: JXTA_EBUSY (logged).
 * Leaving the Net group also frees the World group object. */
int jxta_group_leave(jxta_group_t *g);
/* Abrupt stop: no PeerView goodbye, no Disconnect (a crashed member, as
 * far as the others can tell; only the pipe service still withdraws its
 * SRDI entries).  Children are discarded too. */
void jxta_group_discard(jxta_group_t *g);

/* ---- accessors ----------------------------------------------------------- */

const jxta_id_t *jxta_group_id(const jxta_group_t *g);
const char *jxta_group_name(const jxta_group_t *g);   /* "" when the PGA has none */
jxta_group_t *jxta_group_parent(const jxta_group_t *g); /* NULL for the World group */
const jxta_adv_t *jxta_group_pga(const jxta_group_t *g);
/* Our peer advertisement in the group; NULL for the World group. */
const jxta_adv_t *jxta_group_pa(const jxta_group_t *g);
jxta_endpoint_t *jxta_group_endpoint(const jxta_group_t *g);
jxta_cm_t *jxta_group_cm(const jxta_group_t *g);
/* Services; NULL for the World group (and for a service not running). */
jxta_rdv_t *jxta_group_rdv(const jxta_group_t *g);
jxta_propagate_t *jxta_group_propagate(const jxta_group_t *g);
jxta_resolver_t *jxta_group_resolver(const jxta_group_t *g);
jxta_route_resolver_t *jxta_group_route_resolver(const jxta_group_t *g); /* Net group only */
jxta_peerview_t *jxta_group_peerview(const jxta_group_t *g);           /* rendezvous only */
jxta_discovery_t *jxta_group_discovery(const jxta_group_t *g);
jxta_pipes_t *jxta_group_pipes(const jxta_group_t *g);
jxta_membership_t *jxta_group_membership(const jxta_group_t *g);
/* Joined children, i < count; NULL past the end. */
size_t jxta_group_child_count(const jxta_group_t *g);
jxta_group_t *jxta_group_child(const jxta_group_t *g, size_t i);
/* 1 when we are a rendezvous of the group, or an edge holding a lease. */
int jxta_group_connected(const jxta_group_t *g);

/* ---- advertisements (group_adv.c) ------------------------------------------ */

/* The World and Net group PGAs, byte for byte as JXSE 2.5 builds them. */
int jxta_group_world_pga(jxta_adv_t **out);
int jxta_group_net_pga(jxta_adv_t **out);
/* Our peer advertisement in group `gid`, derived from our advertisement
 * in the parent (`pa`): same PID, Name and Desc, GID = gid, and only the
 * endpoint service's parameter (our route), as JXSE writes it. */
int jxta_group_pa_in(const jxta_adv_t *pa, const jxta_id_t *gid, jxta_adv_t **out);
/* JXSE's StdPeerGroup implementation advertisement (the all-purpose
 * group's MIA), byte for byte.  A password group's MIA is this one made
 * over by jxta_membership_mia_passwd (jxta/membership.h). */
int jxta_group_std_mia(jxta_adv_t **out);

/* What a PGA's MSID (or an MIA for it) lets us run. */
typedef enum {
    JXTA_GROUP_IMPL_UNKNOWN = 0,
    JXTA_GROUP_IMPL_STD,    /* our standard service set */
    JXTA_GROUP_IMPL_NET     /* the Net group's own spec */
} jxta_group_impl_t;
/* From the MSID alone: the all-purpose spec, or the Net group's. */
jxta_group_impl_t jxta_group_impl_of_msid(const jxta_id_t *msid);
/* An MIA is runnable when it is JXSE's StdPeerGroup (Code) and lists only
 * services we have (endpoint, rendezvous, pipe, discovery, peerinfo,
 * access, resolver, membership none or passwd), no transports.  Returns
 * JXTA_GROUP_IMPL_STD or JXTA_GROUP_IMPL_UNKNOWN (the reason is logged at
 * info level); *membership_spec (may be NULL) gets the membership spec. */
jxta_group_impl_t jxta_group_impl_of_mia(const jxta_adv_t *mia, jxta_id_t *membership_spec);

#ifdef __cplusplus
}
#endif
#endif
