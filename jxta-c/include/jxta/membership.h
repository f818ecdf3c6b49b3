/* jxta/membership.h - peer-group membership: JXSE's "none" and "passwd"
 * membership services, and a credential on the wire for password groups.
 *
 * Which membership a group uses.  A group's implementation (the MIA named by
 * the PGA's MSID) lists its services; the membership service is the entry
 * of class urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000505 and its spec ID
 * says which one: ...050106 "none" (JXSE's all-purpose group), ...050206
 * "passwd" (net.jxta.impl.membership.passwd.PasswdMembershipService),
 * ...050306 PSE.  Without the MIA, the well-known group specs tell (World
 * and all-purpose: none; the Net group's PSE is treated as none, see
 * below), and a custom spec whose PGA carries a membership Svc with login
 * entries is taken as passwd, the only JXSE membership configured there.
 *
 * The password group as JXSE describes it (PROTOCOLS.md 2.3, 2.6).  The
 * PGA carries, for the membership class, a service parameter
 *
 *   <Svc><MCID>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000505</MCID>
 *        <Parm><login>alice:WHPIFHI:</login><login>bob::</login></Parm></Svc>
 *
 * one <login> per identity, text "identity:encoded-password:" (anything
 * after the second ':' is ignored, as in /etc/passwd).  JXSE reads it
 * exactly so: entries without ':' are skipped, the identity is trimmed,
 * the password field is kept as is, a later entry for the same identity
 * replaces an earlier one, an empty password field accepts any password,
 * and an entry with a first but no second ':' makes JXSE fail to start the
 * group (we refuse such a PGA with JXTA_EPROTO).  The "encoding" is JXSE's
 * makePsswd: every letter is upper-cased and substituted through a fixed
 * alphabet, everything else is kept; so passwords compare without regard to
 * case and anyone holding the PGA can read them back.  JXSE calls it an
 * example, not a security mechanism, and so do we: the PGA of a password
 * group must be kept among its members for the password to mean anything.
 * Joining checks identity and password against that list, like JXSE's join.
 *
 * Credentials on the wire: a C extension.  JXSE's membership services issue
 * a credential document at join time but JXSE puts no credential on core
 * messages (resolver/SRDI credential fields are optional and never checked),
 * so a JXSE password group only keeps out peers that do not bother to join.
 * When a joined membership is attached to an endpoint for its group, the
 * endpoint (through its group guard, jxta/endpoint.h):
 *  - adds to every message it sends for the group an element
 *    jxta:MembershipCredential, text/plain, "1:<40 hex>:<identity>", where
 *    the (lower-case) hex is HMAC-SHA1 over "<group URN>\n<sender peer URN>\n<identity>"
 *    with a key derived from the group URN and the identity's encoded
 *    password (SHA-1 of "jxta-c membership v1\n<group URN>\n<encoded>");
 *    it proves knowledge of the password without revealing it, and is
 *    bound to the sending peer and to the group;
 *  - checks every message arriving from the network for the group's
 *    services before it reaches their listener: the sender is the router
 *    header's Src for routed messages, else the TCP connection's peer; the
 *    credential must be well-formed, name a known identity and carry the
 *    right HMAC for that sender.  Anything else is dropped, counted and
 *    logged (WARN, at most one line per sending peer per log interval,
 *    default 10 s, and at most 20 lines per interval in all).
 * Only what is delivered locally is checked: a rendezvous forwarding routed
 * messages for other peers passes them on untouched whether or not it is a
 * member; messages a group service hands on locally through
 * jxta_endpoint_deliver() (propagation) were checked when they arrived.
 * Limits, said plainly: the credential is the same on every message of a
 * peer, so someone who can read a member's traffic can replay it while
 * claiming that member's peer ID (peer IDs in router headers are not
 * authenticated in JXTA); a weak password can be guessed offline from a
 * captured credential; and the PGA gives the passwords away.
 *
 * Mixed C/JXSE groups: JXSE members send no credential, so a strict C
 * member would drop all their traffic.  jxta_membership_set_lenient() makes
 * a group lenient: credentials are still sent, a message without one is
 * accepted (and counted as unauthenticated), a message with a credential
 * that does not verify is still dropped.  JXSE ignores the extra element.
 *
 * "none" membership: join always succeeds; attaching does nothing and
 * nothing is checked.  All calls are made on the loop thread of the
 * endpoint the membership is attached to. */
#ifndef JXTA_MEMBERSHIP_H
#define JXTA_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/adv.h>
#include <jxta/buf.h>
#include <jxta/endpoint.h>
#include <jxta/id.h>
#include <jxta/xml.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The message element carrying the credential (namespace "jxta"). */
#define JXTA_MEMBERSHIP_CRED_NS "jxta"
#define JXTA_MEMBERSHIP_CRED_ELEMENT "MembershipCredential"
/* Class and impl names JXSE uses for the password membership service. */
#define JXTA_PASSWD_MEMBERSHIP_CODE "net.jxta.impl.membership.passwd.PasswdMembershipService"
/* Default interval of the refusal log lines (per sending peer). */
#define JXTA_MEMBERSHIP_LOG_INTERVAL_MS 10000u
/* Limits on a password Parm (beyond them: JXTA_ETOOBIG). */
#define JXTA_PASSWD_MAX_LOGINS 4096
#define JXTA_PASSWD_MAX_FIELD 1024 /* bytes of an identity or a password */

typedef enum {
    JXTA_MEMBERSHIP_NONE = 0,
    JXTA_MEMBERSHIP_PASSWD = 1
} jxta_membership_kind_t;

typedef struct jxta_membership jxta_membership_t;

/* "none" / "passwd". */
const char *jxta_membership_kind_name(jxta_membership_kind_t kind);

/* ---- Reading a group's membership -------------------------------------- */

/* The membership of the group described by `pga`, with the group's MIA
 * when the caller has it (NULL otherwise; when given, its MSID must be the
 * PGA's).  Errors: JXTA_EINVAL (arguments, MIA of another spec),
 * JXTA_EMISSING (passwd without login parameters: JXSE refuses to start
 * such a group), JXTA_EPROTO (a login entry JXSE cannot read),
 * JXTA_EUNSUPPORTED (a membership other than none/passwd, e.g. PSE in a
 * child group, or one we do not know), JXTA_ETOOBIG, JXTA_ENOMEM.  Every
 * refusal is logged. */
int jxta_membership_from_pga(const jxta_adv_t *pga, const jxta_adv_t *mia,
                             jxta_membership_t **out);
/* A "none" membership for `group`. */
int jxta_membership_new_none(const jxta_id_t *group, jxta_membership_t **out);
/* Detaches first when attached (so free it before the endpoint it is
 * attached to).  NULL is fine. */
void jxta_membership_free(jxta_membership_t *m);

jxta_membership_kind_t jxta_membership_kind(const jxta_membership_t *m);
const jxta_id_t *jxta_membership_group(const jxta_membership_t *m);
/* Logins of a passwd membership (0 for none), in first-appearance order. */
size_t jxta_membership_login_count(const jxta_membership_t *m);
const char *jxta_membership_login_identity(const jxta_membership_t *m, size_t i);

/* ---- Joining ------------------------------------------------------------- */

/* Check a login without joining: 0, or JXTA_EACCES (unknown identity or
 * wrong password), JXTA_EINVAL (NULL, invalid UTF-8).  none: always 0. */
int jxta_membership_check(const jxta_membership_t *m, const char *identity,
                          const char *password);
/* Join as `identity` (JXSE's PasswdAuthenticator identity/password).
 * `peer` is our peer ID (NULL: the attached endpoint's, taken at attach;
 * when attached, it must be the endpoint's: JXTA_EINVAL).  0, or
 * JXTA_EACCES with a log line when the login is wrong or unknown.
 * Joining again replaces the previous login.  none: always 0, identity
 * and password may be NULL (identity "nobody", as JXSE's default). */
int jxta_membership_join(jxta_membership_t *m, const jxta_id_t *peer, const char *identity,
                         const char *password);
/* Forget the login.  While still attached, sends for the group then fail
 * with JXTA_EACCES (logged once): detach too when leaving the group. */
void jxta_membership_resign(jxta_membership_t *m);
int jxta_membership_joined(const jxta_membership_t *m);
/* Identity joined as, or NULL. */
const char *jxta_membership_identity(const jxta_membership_t *m);

/* ---- Enforcement on an endpoint ------------------------------------------ */

/* Install the group guard on `ep` for the group.  passwd: must be joined
 * (JXTA_EACCES otherwise); JXTA_EINVAL if joined for another peer ID than
 * the endpoint's; JXTA_EEXIST if the membership or the group is already
 * attached/guarded.  none: does nothing, returns 0. */
int jxta_membership_attach(jxta_membership_t *m, jxta_endpoint_t *ep);
void jxta_membership_detach(jxta_membership_t *m);
/* Lenient: accept messages that carry no credential (mixed C/JXSE group). */
void jxta_membership_set_lenient(jxta_membership_t *m, int on);
int jxta_membership_lenient(const jxta_membership_t *m);
/* Minimum time between two refusal lines about the same peer (0 = log
 * every refusal; the overall cap then does not apply either). */
void jxta_membership_set_log_interval(jxta_membership_t *m, uint64_t ms);

typedef struct jxta_membership_stats {
    size_t accepted;        /* arrived with a valid credential */
    size_t unauthenticated; /* accepted without one (lenient) */
    size_t refused;         /* dropped, all reasons */
    size_t refused_missing; /* ... no credential, or no known sender */
    size_t refused_bad;     /* ... malformed, unknown identity or wrong HMAC */
    size_t sent;            /* outgoing messages given our credential */
} jxta_membership_stats_t;
void jxta_membership_stats(const jxta_membership_t *m, jxta_membership_stats_t *out);

/* The credential text we send ("1:<hex>:<identity>"), once joined with a
 * known peer ID (after join with a peer, or after attach); else NULL. */
const char *jxta_membership_credential(const jxta_membership_t *m);
/* Verify a credential text received from `peer`: 0, JXTA_EACCES (unknown
 * identity, wrong HMAC), JXTA_EPROTO (malformed), JXTA_EINVAL (arguments).
 * none: always 0.  Not logged (the guard logs, rate-limited). */
int jxta_membership_verify(const jxta_membership_t *m, const jxta_id_t *peer,
                           const void *cred, size_t len);

/* ---- Password groups (passwd.c) ------------------------------------------ */

/* JXSE's makePsswd: the stored form of a password.  `plain` is UTF-8
 * (JXTA_EINVAL otherwise); the result is appended to `out`. */
int jxta_passwd_encode(const char *plain, jxta_buf_t *out);

/* A login table as read from a membership Parm. */
typedef struct jxta_passwd_table jxta_passwd_table_t;
/* Read the <login> children of `parm` as JXSE does (see above).  Errors:
 * JXTA_EPROTO (an entry with one ':' only), JXTA_ETOOBIG, JXTA_EINVAL
 * (parm NULL), JXTA_ENOMEM; logged. */
int jxta_passwd_table_read(const jxta_xml_node_t *parm, jxta_passwd_table_t **out);
void jxta_passwd_table_free(jxta_passwd_table_t *t);
size_t jxta_passwd_table_count(const jxta_passwd_table_t *t);
const char *jxta_passwd_table_identity(const jxta_passwd_table_t *t, size_t i);
/* Stored (encoded) password of an identity, or NULL if unknown. */
const char *jxta_passwd_table_encoded(const jxta_passwd_table_t *t, const char *identity);
/* JXSE's checkPasswd: 0, or JXTA_EACCES. */
int jxta_passwd_table_check(const jxta_passwd_table_t *t, const char *identity,
                            const char *password);

/* The membership service parameter of a PGA (the Parm of its Svc for the
 * membership class, the last one as JXSE keeps it), or NULL. */
const jxta_xml_node_t *jxta_passwd_pga_parm(const jxta_adv_t *pga);

/* Make `pga` a password group's PGA, as JXSE applications write it: the
 * membership Svc (created, or its Parm emptied) gets one
 * <login>identity:ENCODED:</login> per "identity:password" string of
 * `logins`.  The identity must be non-empty without surrounding blanks,
 * the password must not hold ':' (JXSE would cut it there); an empty
 * password accepts any password, as in JXSE.  JXTA_EINVAL (logged) for a
 * bad entry, with the PGA unchanged. */
int jxta_membership_pga_set_passwd(jxta_adv_t *pga, const char *const *logins, size_t n);

/* The implementation advertisement of a password group, built the way
 * JXSE applications build it: a copy of the group implementation `mia`
 * (e.g. JXSE's all-purpose StdPeerGroup MIA) whose membership Svc entry
 * is replaced by an inline MIA of the passwd membership service (spec
 * ...050206, code JXTA_PASSWD_MEMBERSHIP_CODE, Comp/PURI/Prov taken from
 * the replaced entry), with MSID `msid` (a module spec ID; the PGA's MSID
 * must then be this one).  JXTA_ENOTFOUND if `mia` lists no membership
 * service, JXTA_EINVAL for bad arguments. */
int jxta_membership_mia_passwd(const jxta_adv_t *mia, const jxta_id_t *msid, jxta_adv_t **out);

#ifdef __cplusplus
}
#endif
#endif
