/* membership.c - the membership service object of a group: which kind the
 * group's advertisements ask for, joining, and the credential check on the
 * endpoint (see jxta/membership.h for the design and its limits).
 *
 * The credential is computed once per join (it depends only on group,
 * peer, identity and password), so sending costs one element copy; a
 * receiver keeps the derived key of every login, so checking costs one
 * HMAC-SHA1 over a few hundred bytes.  Refusals are counted always but
 * logged sparingly: a hostile peer can make us refuse as fast as it sends,
 * and a log line per message would be a denial of service of its own. */
#include <stdio.h>

#include <jxta/membership.h>
#include <jxta/sha1.h>
#include <jxta/wellknown.h>

#include "../util/internal.h"

#define CRED_VERSION "1"
#define MAC_HEX (2 * JXTA_SHA1_LEN)
#define LOG_SLOTS 32       /* peers remembered for rate limiting */
#define LOG_MAX_LINES 20u  /* refusal lines per interval, all peers */

int jxta__membership_svc_entry(const jxta_xml_node_t *svc, jxta_id_t *cls, jxta_id_t *spec);

struct log_slot {
    jxta_id_t peer;
    uint64_t at;
    size_t suppressed;
};

struct jxta_membership {
    jxta_membership_kind_t kind;
    jxta_id_t group;
    jxta_id_text_t group_urn;
    jxta_passwd_table_t *table;
    uint8_t (*keys)[JXTA_SHA1_LEN]; /* derived key of each login, table order */
    /* our login */
    int joined;
    char *identity;
    uint8_t key[JXTA_SHA1_LEN];
    int has_peer;
    jxta_id_t peer;
    char *cred;
    int warned_resigned; /* the "not a member" send refusal was logged */
    /* enforcement */
    jxta_endpoint_t *ep;
    int lenient;
    uint64_t log_interval;
    struct log_slot logs[LOG_SLOTS];
    size_t nlogs;
    uint64_t window_start;
    unsigned window_lines;
    jxta_membership_stats_t st;
};

const char *jxta_membership_kind_name(jxta_membership_kind_t kind)
{
    return kind == JXTA_MEMBERSHIP_PASSWD ? "passwd" : "none";
}

/* ---- HMAC-SHA1 and keys ----------------------------------------------------- */

static void hmac_sha1(const uint8_t *key, size_t klen, const void *data, size_t n,
                      uint8_t out[JXTA_SHA1_LEN])
{
    uint8_t k[64] = {0}, pad[64];
    if (klen > sizeof k)
        jxta_sha1(key, klen, k);
    else
        memcpy(k, key, klen);
    jxta_sha1_t c;
    for (size_t i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    jxta_sha1_init(&c);
    jxta_sha1_update(&c, pad, 64);
    jxta_sha1_update(&c, data, n);
    uint8_t inner[JXTA_SHA1_LEN];
    jxta_sha1_final(&c, inner);
    for (size_t i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    jxta_sha1_init(&c);
    jxta_sha1_update(&c, pad, 64);
    jxta_sha1_update(&c, inner, sizeof inner);
    jxta_sha1_final(&c, out);
}

/* The key of a login: SHA-1 of "jxta-c membership v1\n<group URN>\n<encoded>". */
static void derive_key(const jxta_membership_t *m, const char *encoded,
                       uint8_t out[JXTA_SHA1_LEN])
{
    static const char tag[] = "jxta-c membership v1\n";
    jxta_sha1_t c;
    jxta_sha1_init(&c);
    jxta_sha1_update(&c, tag, sizeof tag - 1);
    jxta_sha1_update(&c, m->group_urn.s, strlen(m->group_urn.s));
    jxta_sha1_update(&c, "\n", 1);
    jxta_sha1_update(&c, encoded, strlen(encoded));
    jxta_sha1_final(&c, out);
}

/* HMAC of "<group URN>\n<peer URN>\n<identity>". */
static int cred_mac(const jxta_membership_t *m, const uint8_t key[JXTA_SHA1_LEN],
                    const jxta_id_t *peer, const char *identity, size_t idlen,
                    uint8_t out[JXTA_SHA1_LEN])
{
    jxta_id_text_t pt;
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_buf_append_str(&b, m->group_urn.s);
    jxta_buf_put_u8(&b, '\n');
    jxta_buf_append_str(&b, jxta_id_str(peer, &pt));
    jxta_buf_put_u8(&b, '\n');
    jxta_buf_append(&b, identity, idlen);
    int rc = jxta_buf_error(&b);
    if (rc == 0)
        hmac_sha1(key, JXTA_SHA1_LEN, b.data, b.len, out);
    jxta_buf_free(&b);
    return rc;
}

static int make_cred(jxta_membership_t *m)
{
    uint8_t mac[JXTA_SHA1_LEN];
    int rc = cred_mac(m, m->key, &m->peer, m->identity, strlen(m->identity), mac);
    if (rc < 0)
        return rc;
    jxta_buf_t b = JXTA_BUF_INIT;
    jxta_buf_append_str(&b, CRED_VERSION ":");
    for (size_t i = 0; i < sizeof mac; i++)
        jxta_buf_printf(&b, "%02x", mac[i]);
    jxta_buf_put_u8(&b, ':');
    jxta_buf_append_str(&b, m->identity);
    jxta_buf_put_u8(&b, 0);
    if ((rc = jxta_buf_error(&b)) < 0) {
        jxta_buf_free(&b);
        return rc;
    }
    free(m->cred);
    m->cred = jxta_buf_steal_str(&b);
    return m->cred ? 0 : JXTA_ENOMEM;
}

/* ---- kind of a group's membership ----------------------------------------- */

static int spec_is(const jxta_id_t *id, jxta_wk_t wk)
{
    return jxta_id_equal(id, jxta_wk_id(wk));
}

/* Membership spec from the implementation's service list; *found = 0 when
 * it lists none. */
static void mia_membership(const jxta_adv_t *mia, jxta_id_t *spec, int *found)
{
    *found = 0;
    const jxta_xml_node_t *parm = jxta_adv_first(mia, "Parm");
    for (const jxta_xml_node_t *svc = parm ? jxta_xml_child(parm, "Svc") : NULL; svc;
         svc = jxta_xml_next_named(svc)) {
        jxta_id_t cls, s;
        if (jxta__membership_svc_entry(svc, &cls, &s) < 0) {
            jxta_log(JXTA_LOG_DEBUG, "membership", "unreadable Svc entry in group MIA; skipped");
            continue;
        }
        if (jxta_id_equal(&cls, jxta_wk_id(JXTA_WK_CLASS_MEMBERSHIP))) {
            *spec = s; /* the last one counts, as in JXSE */
            *found = 1;
        }
    }
}

static int kind_from_spec(const jxta_id_t *spec, jxta_membership_kind_t *kind)
{
    jxta_id_text_t t;
    if (spec_is(spec, JXTA_WK_SPEC_MEMBERSHIP_NONE)) {
        *kind = JXTA_MEMBERSHIP_NONE;
        return 0;
    }
    if (spec_is(spec, JXTA_WK_SPEC_MEMBERSHIP_PASSWD)) {
        *kind = JXTA_MEMBERSHIP_PASSWD;
        return 0;
    }
    if (spec_is(spec, JXTA_WK_SPEC_MEMBERSHIP_PSE))
        return jxta__reject(JXTA_EUNSUPPORTED, "membership",
                            "group uses PSE membership (certificates), not implemented");
    return jxta__reject(JXTA_EUNSUPPORTED, "membership", "unknown membership service %s",
                        jxta_id_str(spec, &t));
}

static int group_kind(const jxta_adv_t *pga, const jxta_id_t *gid, const jxta_id_t *msid,
                      const jxta_adv_t *mia, jxta_membership_kind_t *kind)
{
    jxta_id_text_t t;
    *kind = JXTA_MEMBERSHIP_NONE;
    if (jxta_id_is_net_group(gid) || spec_is(msid, JXTA_WK_SPEC_NETGROUP)) {
        /* JXSE's Net group runs PSE membership but never checks it on the
         * core protocols (PROTOCOLS.md 10.2): none is what it amounts to. */
        return 0;
    }
    if (mia) {
        jxta_id_t mia_msid, spec;
        int found, rc = jxta_adv_get_id(mia, "MSID", &mia_msid);
        if (rc < 0 || !jxta_id_equal(&mia_msid, msid))
            return jxta__reject(JXTA_EINVAL, "membership",
                                "the MIA given is not the implementation %s the PGA names",
                                jxta_id_str(msid, &t));
        mia_membership(mia, &spec, &found);
        return found ? kind_from_spec(&spec, kind) : 0;
    }
    if (spec_is(msid, JXTA_WK_SPEC_STDGROUP) || spec_is(msid, JXTA_WK_SPEC_PLATFORM))
        return 0; /* JXSE's own implementations: none membership */
    /* A custom implementation we have not seen: a membership parameter
     * with logins can only be meant for passwd. */
    const jxta_xml_node_t *parm = jxta_passwd_pga_parm(pga);
    if (parm && jxta_xml_child(parm, "login")) {
        jxta_id_text_t t2;
        jxta_log(JXTA_LOG_DEBUG, "membership",
                 "group %s: implementation %s unknown, logins present: passwd membership",
                 jxta_id_str(gid, &t), jxta_id_str(msid, &t2));
        *kind = JXTA_MEMBERSHIP_PASSWD;
    }
    return 0;
}

static int membership_alloc(const jxta_id_t *group, jxta_membership_kind_t kind,
                            jxta_membership_t **out)
{
    jxta_membership_t *m = calloc(1, sizeof *m);
    if (!m)
        return JXTA_ENOMEM;
    m->kind = kind;
    m->group = *group;
    jxta_id_str(group, &m->group_urn);
    m->log_interval = JXTA_MEMBERSHIP_LOG_INTERVAL_MS;
    *out = m;
    return 0;
}

int jxta_membership_new_none(const jxta_id_t *group, jxta_membership_t **out)
{
    if (!group || !out || jxta_id_kind(group) != JXTA_ID_GROUP)
        return JXTA_EINVAL;
    return membership_alloc(group, JXTA_MEMBERSHIP_NONE, out);
}

int jxta_membership_from_pga(const jxta_adv_t *pga, const jxta_adv_t *mia,
                             jxta_membership_t **out)
{
    if (!pga || !out || strcmp(jxta_adv_type_name(pga), "jxta:PGA") != 0 ||
        (mia && strcmp(jxta_adv_type_name(mia), "jxta:MIA") != 0))
        return JXTA_EINVAL;
    jxta_id_t gid, msid;
    int rc = jxta_adv_get_id(pga, "GID", &gid);
    if (rc == 0)
        rc = jxta_adv_get_id(pga, "MSID", &msid);
    if (rc < 0)
        return jxta__reject(rc == JXTA_ENOTFOUND ? JXTA_EMISSING : rc, "membership",
                            "PGA without a valid GID and MSID");
    jxta_membership_kind_t kind;
    if ((rc = group_kind(pga, &gid, &msid, mia, &kind)) < 0)
        return rc;
    jxta_membership_t *m;
    if ((rc = membership_alloc(&gid, kind, &m)) < 0)
        return rc;
    if (kind == JXTA_MEMBERSHIP_PASSWD) {
        const jxta_xml_node_t *parm = jxta_passwd_pga_parm(pga);
        jxta_id_text_t t;
        if (!parm)
            rc = jxta__reject(JXTA_EMISSING, "membership",
                              "password group %s has no login parameters in its PGA",
                              m->group_urn.s);
        else
            rc = jxta_passwd_table_read(parm, &m->table);
        size_t n = jxta_passwd_table_count(m->table);
        if (rc == 0 && n && !(m->keys = malloc(n * sizeof *m->keys)))
            rc = JXTA_ENOMEM;
        for (size_t i = 0; rc == 0 && i < n; i++)
            derive_key(m, jxta_passwd_table_encoded(m->table, jxta_passwd_table_identity(m->table, i)),
                       m->keys[i]);
        if (rc == 0 && n == 0)
            jxta_log(JXTA_LOG_INFO, "membership", "password group %s lists no login: nobody can join",
                     jxta_id_str(&gid, &t));
    }
    if (rc < 0) {
        jxta_membership_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void jxta_membership_free(jxta_membership_t *m)
{
    if (!m)
        return;
    jxta_membership_detach(m);
    jxta_passwd_table_free(m->table);
    free(m->keys);
    free(m->identity);
    free(m->cred);
    free(m);
}

jxta_membership_kind_t jxta_membership_kind(const jxta_membership_t *m)
{
    return m ? m->kind : JXTA_MEMBERSHIP_NONE;
}

const jxta_id_t *jxta_membership_group(const jxta_membership_t *m)
{
    return m ? &m->group : NULL;
}

size_t jxta_membership_login_count(const jxta_membership_t *m)
{
    return m ? jxta_passwd_table_count(m->table) : 0;
}

const char *jxta_membership_login_identity(const jxta_membership_t *m, size_t i)
{
    return m ? jxta_passwd_table_identity(m->table, i) : NULL;
}

/* ---- joining --------------------------------------------------------------- */

static long login_index(const jxta_membership_t *m, const char *identity, size_t len)
{
    size_t n = jxta_passwd_table_count(m->table);
    for (size_t i = 0; i < n; i++) {
        const char *id = jxta_passwd_table_identity(m->table, i);
        if (strlen(id) == len && memcmp(id, identity, len) == 0)
            return (long)i;
    }
    return -1;
}

int jxta_membership_check(const jxta_membership_t *m, const char *identity,
                          const char *password)
{
    if (!m || !identity || !password)
        return JXTA_EINVAL;
    if (m->kind == JXTA_MEMBERSHIP_NONE)
        return 0;
    return jxta_passwd_table_check(m->table, identity, password);
}

int jxta_membership_join(jxta_membership_t *m, const jxta_id_t *peer, const char *identity,
                         const char *password)
{
    if (m && m->kind == JXTA_MEMBERSHIP_NONE && !identity)
        identity = "nobody"; /* none: anything goes, JXSE's default identity */
    if (m && m->kind == JXTA_MEMBERSHIP_NONE && !password)
        password = "";
    if (!m || !identity || !password || (peer && jxta_id_kind(peer) != JXTA_ID_PEER) ||
        (peer && m->ep && !jxta_id_equal(peer, jxta_endpoint_peer_id(m->ep))))
        return JXTA_EINVAL;
    int rc = jxta_membership_check(m, identity, password);
    if (rc == JXTA_EACCES)
        return jxta__reject(rc, "membership", "join of group %s as '%s' refused: %s",
                            m->group_urn.s, identity,
                            jxta_passwd_table_encoded(m->table, identity) ? "wrong password"
                                                                          : "unknown identity");
    if (rc < 0)
        return rc;
    char *id = strdup(identity);
    if (!id)
        return JXTA_ENOMEM;
    jxta_membership_resign(m);
    m->identity = id;
    m->joined = 1;
    m->warned_resigned = 0;
    if (m->kind == JXTA_MEMBERSHIP_NONE)
        return 0;
    long i = login_index(m, identity, strlen(identity));
    memcpy(m->key, m->keys[i], sizeof m->key);
    if (peer) {
        m->peer = *peer;
        m->has_peer = 1;
    } else if (m->ep) {
        m->peer = *jxta_endpoint_peer_id(m->ep);
        m->has_peer = 1;
    }
    if (m->has_peer && (rc = make_cred(m)) < 0) {
        jxta_membership_resign(m);
        return rc;
    }
    return 0;
}

void jxta_membership_resign(jxta_membership_t *m)
{
    if (!m)
        return;
    free(m->identity);
    free(m->cred);
    m->identity = m->cred = NULL;
    m->joined = 0;
    m->has_peer = 0;
    memset(m->key, 0, sizeof m->key);
}

int jxta_membership_joined(const jxta_membership_t *m)
{
    return m && m->joined;
}

const char *jxta_membership_identity(const jxta_membership_t *m)
{
    return m ? m->identity : NULL;
}

const char *jxta_membership_credential(const jxta_membership_t *m)
{
    return m ? m->cred : NULL;
}

/* ---- credentials ------------------------------------------------------------- */

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int jxta_membership_verify(const jxta_membership_t *m, const jxta_id_t *peer, const void *cred,
                           size_t len)
{
    if (!m || !peer || (!cred && len))
        return JXTA_EINVAL;
    if (m->kind == JXTA_MEMBERSHIP_NONE)
        return 0;
    const char *s = cred;
    size_t head = sizeof CRED_VERSION ":" - 1;
    if (len < head + MAC_HEX + 1 || memcmp(s, CRED_VERSION ":", head) != 0 ||
        s[head + MAC_HEX] != ':')
        return JXTA_EPROTO;
    uint8_t mac[JXTA_SHA1_LEN];
    for (size_t i = 0; i < JXTA_SHA1_LEN; i++) {
        int hi = hex_val(s[head + 2 * i]), lo = hex_val(s[head + 2 * i + 1]);
        if (hi < 0 || lo < 0)
            return JXTA_EPROTO;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    const char *identity = s + head + MAC_HEX + 1;
    size_t idlen = len - head - MAC_HEX - 1;
    if (idlen > JXTA_PASSWD_MAX_FIELD || memchr(identity, 0, idlen) ||
        !jxta_utf8_valid(identity, idlen))
        return JXTA_EPROTO;
    long i = login_index(m, identity, idlen);
    if (i < 0)
        return JXTA_EACCES;
    uint8_t want[JXTA_SHA1_LEN];
    int rc = cred_mac(m, m->keys[i], peer, identity, idlen, want);
    if (rc < 0)
        return rc;
    unsigned char d = 0;
    for (size_t k = 0; k < sizeof want; k++)
        d |= (unsigned char)(want[k] ^ mac[k]);
    return d == 0 ? 0 : JXTA_EACCES;
}

/* ---- the guard ----------------------------------------------------------------- */

/* May a refusal about `peer` be logged now?  *suppressed gets how many
 * were not logged about it since the last line. */
static int log_allowed(jxta_membership_t *m, const jxta_id_t *peer, size_t *suppressed)
{
    *suppressed = 0;
    if (m->log_interval == 0)
        return 1;
    uint64_t now = jxta_loop_now(jxta_endpoint_loop(m->ep));
    if (now - m->window_start >= m->log_interval) {
        m->window_start = now;
        m->window_lines = 0;
    }
    struct log_slot *slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < m->nlogs; i++) {
        if (jxta_id_equal(&m->logs[i].peer, peer))
            slot = &m->logs[i];
        if (!oldest || m->logs[i].at < oldest->at)
            oldest = &m->logs[i];
    }
    if (slot && now - slot->at < m->log_interval) {
        slot->suppressed++;
        return 0;
    }
    if (m->window_lines >= LOG_MAX_LINES) {
        if (slot)
            slot->suppressed++;
        return 0;
    }
    m->window_lines++;
    if (!slot) {
        slot = m->nlogs < LOG_SLOTS ? &m->logs[m->nlogs++] : oldest;
        slot->peer = *peer;
        slot->suppressed = 0;
    }
    *suppressed = slot->suppressed;
    slot->suppressed = 0;
    slot->at = now;
    return 1;
}

static int refuse(jxta_membership_t *m, const jxta_ep_info_t *info, int missing,
                  const char *why)
{
    m->st.refused++;
    if (missing)
        m->st.refused_missing++;
    else
        m->st.refused_bad++;
    const jxta_id_t *peer = info->src_peer ? info->src_peer : &jxta_id_null;
    size_t suppressed;
    if (log_allowed(m, peer, &suppressed)) {
        jxta_id_text_t t;
        jxta_log(JXTA_LOG_WARN, "membership",
                 "group %s: message from %s to %s/%s refused: %s (%zu refused in all, %zu "
                 "more from this peer not logged)",
                 m->group_urn.s, info->src_peer ? jxta_id_str(peer, &t) : "an unknown peer",
                 info->dst->service, info->dst->param, why, m->st.refused, suppressed);
    }
    return JXTA_EACCES;
}

static int guard_in(void *ud, jxta_msg_t *msg, const jxta_ep_info_t *info)
{
    jxta_membership_t *m = ud;
    const jxta_msg_elem_t *e =
        jxta_msg_find(msg, JXTA_MEMBERSHIP_CRED_NS, JXTA_MEMBERSHIP_CRED_ELEMENT);
    if (!e) {
        if (m->lenient) {
            m->st.unauthenticated++;
            return 0;
        }
        return refuse(m, info, 1, "no membership credential");
    }
    if (!info->src_peer || jxta_id_is_null(info->src_peer))
        return refuse(m, info, 1, "sending peer unknown");
    size_t len;
    const uint8_t *body = jxta_msg_elem_body(e, &len);
    int rc = jxta_membership_verify(m, info->src_peer, body, len);
    if (rc == 0) {
        m->st.accepted++;
        return 0;
    }
    return refuse(m, info, 0,
                  rc == JXTA_EPROTO ? "malformed membership credential"
                                    : "credential does not verify for this peer (unknown "
                                      "identity, wrong password, or another peer's)");
}

static int guard_out(void *ud, jxta_msg_t *msg, const jxta_id_t *group)
{
    jxta_membership_t *m = ud;
    (void)group;
    if (!m->cred) {
        if (!m->warned_resigned) /* once: our own services may send often */
            jxta_log(JXTA_LOG_WARN, "membership",
                     "group %s: sends refused, this peer is no longer a member",
                     m->group_urn.s);
        m->warned_resigned = 1;
        return JXTA_EACCES;
    }
    jxta_msg_remove(msg, JXTA_MEMBERSHIP_CRED_NS, JXTA_MEMBERSHIP_CRED_ELEMENT);
    int rc = jxta_msg_add_text(msg, JXTA_MEMBERSHIP_CRED_NS, JXTA_MEMBERSHIP_CRED_ELEMENT,
                               m->cred);
    if (rc == 0)
        m->st.sent++;
    return rc;
}

int jxta_membership_attach(jxta_membership_t *m, jxta_endpoint_t *ep)
{
    if (!m || !ep)
        return JXTA_EINVAL;
    if (m->kind == JXTA_MEMBERSHIP_NONE)
        return 0;
    if (m->ep)
        return JXTA_EEXIST;
    if (!m->joined)
        return jxta__reject(JXTA_EACCES, "membership", "group %s: join before attaching",
                            m->group_urn.s);
    const jxta_id_t *self = jxta_endpoint_peer_id(ep);
    if (m->has_peer && !jxta_id_equal(&m->peer, self))
        return jxta__reject(JXTA_EINVAL, "membership",
                            "group %s: joined for another peer than the endpoint's",
                            m->group_urn.s);
    int rc;
    if (!m->has_peer) {
        m->peer = *self;
        m->has_peer = 1;
        if ((rc = make_cred(m)) < 0) {
            m->has_peer = 0;
            return rc;
        }
    }
    if ((rc = jxta_endpoint_set_group_guard(ep, &m->group, guard_out, guard_in, m)) < 0)
        return rc;
    m->ep = ep;
    return 0;
}

void jxta_membership_detach(jxta_membership_t *m)
{
    if (!m || !m->ep)
        return;
    jxta_endpoint_clear_group_guard(m->ep, &m->group);
    m->ep = NULL;
}

void jxta_membership_set_lenient(jxta_membership_t *m, int on)
{
    if (m)
        m->lenient = on != 0;
}

int jxta_membership_lenient(const jxta_membership_t *m)
{
    return m && m->lenient;
}

void jxta_membership_set_log_interval(jxta_membership_t *m, uint64_t ms)
{
    if (m)
        m->log_interval = ms;
}

void jxta_membership_stats(const jxta_membership_t *m, jxta_membership_stats_t *out)
{
    if (!out)
        return;
    if (m)
        *out = m->st;
    else
        memset(out, 0, sizeof *out);
}
