/* pipe_doc.c - jxta:PipeResolver and the JxtaWire header (PROTOCOLS.md
 * 9.2, 9.5; see jxta/pipe_doc.h for the rules).
 *
 * Parsing goes through the bounded XML layer and then reads the fields by
 * name, as JXSE does, refusing with a logged, specific code everything
 * JXSE would refuse (and a few things only a hostile peer sends: repeated
 * single fields, IDs of the wrong kind, unbounded Peer lists).  Both
 * documents are written by hand because JXSE sends them tab-indented, a
 * layout the generic XML writer has no reason to know. */
#include <limits.h>
#include <stdio.h>
#include <strings.h>

#include <jxta/adv.h>
#include <jxta/pipe_doc.h>
#include <jxta/propagate.h>
#include <jxta/xml.h>

#include "../util/internal.h"

#define MOD "pipe"

static const char XMLNS[] = "http://jxta.org";
static const char DECL[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
static const char PR_ROOT[] = "jxta:PipeResolver";
static const char WIRE_ROOT[] = "JxtaWire";

/* ---- small helpers ---------------------------------------------------------- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Non-empty, no surrounding whitespace, XML text: what a reader gives back. */
static int trimmed_text_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = strlen(s);
    return !is_ws(s[0]) && !is_ws(s[n - 1]) && jxta_xml_text_ok(s, n);
}

/* Trimmed copy; *out NULL when empty. */
static int dup_trimmed(const char *s, char **out)
{
    *out = NULL;
    size_t n = strlen(s);
    while (n && is_ws(*s)) {
        s++;
        n--;
    }
    while (n && is_ws(s[n - 1]))
        n--;
    if (!n)
        return 0;
    if (!(*out = jxta__strndup(s, n)))
        return JXTA_ENOMEM;
    return 0;
}

/* JXSE's pretty layout for a text field. */
static void put_field(jxta_buf_t *out, const char *name, const char *text)
{
    jxta_xml_put_field(out, name, text, strlen(text));
}

static void put_id_field(jxta_buf_t *out, const char *name, const jxta_id_t *id)
{
    jxta_id_text_t t;
    put_field(out, name, jxta_id_str(id, &t));
}

static int parse_doc(const void *text, size_t len, const char *what, jxta_xml_node_t **root)
{
    if (!text && len)
        return JXTA_EINVAL;
    jxta_xml_limits_t lim;
    jxta_xml_limits_default(&lim);
    lim.max_depth = JXTA_PIPE_DOC_MAX_DEPTH;
    int rc = jxta_xml_parse_ex(text ? text : "", len, &lim, root);
    if (rc < 0)
        return jxta__reject(rc, MOD, "%s: refused by the XML layer", what);
    return 0;
}

/* The single child `name`: NULL when absent, JXTA_EPROTO when repeated. */
static int single(const jxta_xml_node_t *root, const char *name, const jxta_xml_node_t **out)
{
    *out = jxta_xml_child(root, name);
    if (*out && jxta_xml_next_named(*out))
        return jxta__reject(JXTA_EPROTO, MOD, "%s: %s repeated", jxta_xml_name(root), name);
    return 0;
}

/* Required single child with non-empty text. */
static int required_text(const jxta_xml_node_t *root, const char *name, const char **text)
{
    const jxta_xml_node_t *n;
    int rc = single(root, name, &n);
    if (rc < 0)
        return rc;
    if (!n || !*jxta_xml_text(n))
        return jxta__reject(JXTA_EMISSING, MOD, "%s: no %s", jxta_xml_name(root), name);
    *text = jxta_xml_text(n);
    return 0;
}

/* An ID of `kind` in `text` (strict: canonical spelling). */
static int parse_id_of(const char *where, const char *field, const char *text, jxta_id_kind_t kind,
                       jxta_id_t *id)
{
    int rc = jxta_id_parse(id, text, strlen(text), 0);
    if (rc < 0)
        return jxta__reject(rc, MOD, "%s: %s '%.80s' is not a %sJXTA ID", where, field, text,
                            rc == JXTA_ENONCANON ? "canonical " : "");
    if (jxta_id_kind(id) != kind)
        return jxta__reject(JXTA_EBADID, MOD, "%s: %s '%.80s' is a %s ID, not a %s ID", where,
                            field, text, jxta_id_kind_name(jxta_id_kind(id)),
                            jxta_id_kind_name(kind));
    return 0;
}

static int check_id_kind(const char *what, const jxta_id_t *id, jxta_id_kind_t kind)
{
    if (jxta_id_kind(id) != kind)
        return jxta__reject(JXTA_EBADID, MOD, "%s is a %s ID, not a %s ID", what,
                            jxta_id_kind_name(jxta_id_kind(id)), jxta_id_kind_name(kind));
    return 0;
}

/* ---- jxta:PipeResolver -------------------------------------------------------- */

void jxta_pipe_res_clear(jxta_pipe_res_t *r)
{
    if (!r)
        return;
    free(r->type);
    free(r->peers);
    free(r->peer_adv);
    memset(r, 0, sizeof *r);
    r->found = -1;
}

void jxta_pipe_res_free(jxta_pipe_res_t *r)
{
    if (!r)
        return;
    jxta_pipe_res_clear(r);
    free(r);
}

int jxta_pipe_res_has_peer(const jxta_pipe_res_t *r, const jxta_id_t *peer)
{
    if (!r || !peer)
        return 0;
    for (size_t i = 0; i < r->npeers; i++)
        if (jxta_id_equal(&r->peers[i], peer))
            return 1;
    return 0;
}

/* Append a peer unless already there (JXSE keeps a set); the array is
 * allocated once for the announced count by the callers. */
static void add_peer(jxta_pipe_res_t *r, const jxta_id_t *peer)
{
    if (!jxta_pipe_res_has_peer(r, peer))
        r->peers[r->npeers++] = *peer;
}

/* The PA text must be a jxta:PA about one of r's peers. */
static int check_peer_adv(const jxta_pipe_res_t *r, const char *text)
{
    jxta_adv_t *pa = NULL;
    int rc = jxta_adv_parse_as(text, strlen(text), &jxta_adv_type_pa, &pa);
    if (rc < 0)
        return jxta__reject(rc, MOD, "%s: PeerAdv is not a peer advertisement", PR_ROOT);
    jxta_id_t pid;
    rc = jxta_adv_get_id(pa, "PID", &pid);
    jxta_adv_free(pa);
    if (rc < 0)
        return jxta__reject(rc == JXTA_ENOTFOUND ? JXTA_EMISSING : rc, MOD,
                            "%s: PeerAdv without a valid PID", PR_ROOT);
    if (!jxta_pipe_res_has_peer(r, &pid)) {
        jxta_id_text_t t;
        return jxta__reject(JXTA_EPROTO, MOD, "%s: PeerAdv of %s, who is none of the Peers",
                            PR_ROOT, jxta_id_str(&pid, &t));
    }
    return 0;
}

static int new_res(int answer, const jxta_id_t *pipe_id, const char *type, size_t npeers,
                   jxta_pipe_res_t **out)
{
    *out = NULL;
    if (!pipe_id)
        return JXTA_EINVAL;
    int rc = check_id_kind("pipe resolver PipeId", pipe_id, JXTA_ID_PIPE);
    if (rc < 0)
        return rc;
    if (!type)
        type = JXTA_PIPE_UNICAST;
    if (!jxta_xml_text_ok(type, strlen(type)))
        return jxta__reject(JXTA_EINVAL, MOD, "pipe type is not XML text");
    if (npeers > JXTA_PIPE_RES_MAX_PEERS)
        return jxta__reject(JXTA_ETOOBIG, MOD, "%zu peers (limit %d)", npeers,
                            JXTA_PIPE_RES_MAX_PEERS);
    jxta_pipe_res_t *r = calloc(1, sizeof *r);
    if (!r)
        return JXTA_ENOMEM;
    r->answer = answer;
    r->pipe_id = *pipe_id;
    r->found = -1;
    if ((rc = dup_trimmed(type, &r->type)) < 0)
        goto fail;
    if (!r->type) {
        rc = jxta__reject(JXTA_EINVAL, MOD, "empty pipe type");
        goto fail;
    }
    if (npeers && !(r->peers = calloc(npeers, sizeof *r->peers))) {
        rc = JXTA_ENOMEM;
        goto fail;
    }
    *out = r;
    return 0;
fail:
    jxta_pipe_res_free(r);
    return rc;
}

int jxta_pipe_res_new_query(const jxta_id_t *pipe_id, const char *type, const jxta_id_t *peers,
                            size_t npeers, jxta_pipe_res_t **out)
{
    if (!out || (npeers && !peers))
        return JXTA_EINVAL;
    *out = NULL;
    for (size_t i = 0; i < npeers && i <= JXTA_PIPE_RES_MAX_PEERS; i++) {
        int rc = check_id_kind("pipe resolver Peer", &peers[i], JXTA_ID_PEER);
        if (rc < 0)
            return rc;
    }
    jxta_pipe_res_t *r;
    int rc = new_res(JXTA_PIPE_RES_QUERY, pipe_id, type, npeers, &r);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < npeers; i++)
        add_peer(r, &peers[i]);
    *out = r;
    return 0;
}

int jxta_pipe_res_new_answer(const jxta_id_t *pipe_id, const char *type, const jxta_id_t *peer,
                             int found, const char *peer_adv, jxta_pipe_res_t **out)
{
    if (!out || !peer || (found != 0 && found != 1))
        return JXTA_EINVAL;
    *out = NULL;
    int rc = check_id_kind("pipe resolver Peer", peer, JXTA_ID_PEER);
    if (rc < 0)
        return rc;
    if (peer_adv && !jxta_xml_text_ok(peer_adv, strlen(peer_adv)))
        return jxta__reject(JXTA_EINVAL, MOD, "PeerAdv is not XML text");
    jxta_pipe_res_t *r;
    if ((rc = new_res(JXTA_PIPE_RES_ANSWER, pipe_id, type, 1, &r)) < 0)
        return rc;
    add_peer(r, peer);
    r->found = found;
    if (peer_adv) {
        if ((rc = dup_trimmed(peer_adv, &r->peer_adv)) < 0)
            goto fail;
        if (!r->peer_adv) {
            rc = jxta__reject(JXTA_EINVAL, MOD, "empty PeerAdv");
            goto fail;
        }
        if ((rc = check_peer_adv(r, r->peer_adv)) < 0)
            goto fail;
    }
    *out = r;
    return 0;
fail:
    jxta_pipe_res_free(r);
    return rc;
}

static int parse_res_fields(const jxta_xml_node_t *root, jxta_pipe_res_t *r)
{
    const char *msgtype, *pipe, *type;
    int rc;
    if ((rc = required_text(root, "MsgType", &msgtype)) < 0)
        return rc;
    if (strcmp(msgtype, "Query") == 0)
        r->answer = JXTA_PIPE_RES_QUERY;
    else if (strcmp(msgtype, "Answer") == 0)
        r->answer = JXTA_PIPE_RES_ANSWER;
    else
        return jxta__reject(JXTA_EPROTO, MOD, "%s: MsgType '%.40s' is neither Query nor Answer",
                            PR_ROOT, msgtype);
    if ((rc = required_text(root, "PipeId", &pipe)) < 0 ||
        (rc = parse_id_of(PR_ROOT, "PipeId", pipe, JXTA_ID_PIPE, &r->pipe_id)) < 0)
        return rc;
    if ((rc = required_text(root, "Type", &type)) < 0)
        return rc;
    if (!(r->type = jxta__strndup(type, strlen(type))))
        return JXTA_ENOMEM;

    size_t n = jxta_xml_child_count(root, "Peer");
    if (n > JXTA_PIPE_RES_MAX_PEERS)
        return jxta__reject(JXTA_ETOOBIG, MOD, "%s: %zu Peer elements (limit %d)", PR_ROOT, n,
                            JXTA_PIPE_RES_MAX_PEERS);
    if (n && !(r->peers = calloc(n, sizeof *r->peers)))
        return JXTA_ENOMEM;
    for (const jxta_xml_node_t *p = jxta_xml_child(root, "Peer"); p; p = jxta_xml_next_named(p)) {
        jxta_id_t id;
        if ((rc = parse_id_of(PR_ROOT, "Peer", jxta_xml_text(p), JXTA_ID_PEER, &id)) < 0)
            return rc;
        add_peer(r, &id);
    }
    if (r->answer == JXTA_PIPE_RES_QUERY)
        return 0; /* Found / PeerAdv belong to answers */
    if (r->npeers == 0)
        return jxta__reject(JXTA_EMISSING, MOD, "%s: an Answer without Peer", PR_ROOT);

    const jxta_xml_node_t *f, *pa;
    if ((rc = single(root, "Found", &f)) < 0 || (rc = single(root, "PeerAdv", &pa)) < 0)
        return rc;
    if (f)
        r->found = strcasecmp(jxta_xml_text(f), "true") == 0; /* Boolean.valueOf */
    if (pa) {
        const char *t = jxta_xml_text(pa);
        if (!*t)
            return jxta__reject(JXTA_EMISSING, MOD, "%s: empty PeerAdv", PR_ROOT);
        if ((rc = check_peer_adv(r, t)) < 0)
            return rc;
        if (!(r->peer_adv = jxta__strndup(t, strlen(t))))
            return JXTA_ENOMEM;
    }
    return 0;
}

int jxta_pipe_res_parse(const void *text, size_t len, jxta_pipe_res_t **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_xml_node_t *root = NULL;
    int rc = parse_doc(text, len, PR_ROOT, &root);
    if (rc < 0)
        return rc;
    if (strcmp(jxta_xml_name(root), PR_ROOT) != 0) {
        rc = jxta__reject(JXTA_EADVTYPE, MOD, "root is <%.60s>, expected <%s>",
                          jxta_xml_name(root), PR_ROOT);
        jxta_xml_free(root);
        return rc;
    }
    jxta_pipe_res_t *r = calloc(1, sizeof *r);
    if (!r) {
        jxta_xml_free(root);
        return JXTA_ENOMEM;
    }
    r->found = -1;
    rc = parse_res_fields(root, r);
    jxta_xml_free(root);
    if (rc < 0) {
        jxta_pipe_res_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static int res_writable(const jxta_pipe_res_t *r)
{
    if (r->answer != JXTA_PIPE_RES_QUERY && r->answer != JXTA_PIPE_RES_ANSWER)
        return jxta__reject(JXTA_EINVAL, MOD, "pipe resolver message type %d", r->answer);
    int rc = check_id_kind("pipe resolver PipeId", &r->pipe_id, JXTA_ID_PIPE);
    if (rc < 0)
        return rc;
    if (!trimmed_text_ok(r->type))
        return jxta__reject(JXTA_EINVAL, MOD, "pipe type missing, untrimmed or not XML text");
    if (r->npeers > JXTA_PIPE_RES_MAX_PEERS || (r->npeers && !r->peers))
        return jxta__reject(JXTA_EINVAL, MOD, "%zu peers (limit %d)", r->npeers,
                            JXTA_PIPE_RES_MAX_PEERS);
    for (size_t i = 0; i < r->npeers; i++) {
        if ((rc = check_id_kind("pipe resolver Peer", &r->peers[i], JXTA_ID_PEER)) < 0)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (jxta_id_equal(&r->peers[k], &r->peers[i]))
                return jxta__reject(JXTA_EINVAL, MOD, "pipe resolver Peer %zu repeated", i);
    }
    if (r->answer == JXTA_PIPE_RES_ANSWER) {
        if (r->npeers == 0)
            return jxta__reject(JXTA_EINVAL, MOD, "an answer without peers");
        if (r->found < -1 || r->found > 1)
            return jxta__reject(JXTA_EINVAL, MOD, "Found %d", r->found);
        if (r->peer_adv && !trimmed_text_ok(r->peer_adv))
            return jxta__reject(JXTA_EINVAL, MOD, "PeerAdv empty, untrimmed or not XML text");
    }
    return 0;
}

int jxta_pipe_res_write(const jxta_pipe_res_t *r, jxta_buf_t *out)
{
    if (!r || !out)
        return JXTA_EINVAL;
    int rc = res_writable(r);
    if (rc < 0)
        return rc;
    size_t start = out->len;
    jxta_buf_append_str(out, DECL);
    jxta_buf_printf(out, "<!DOCTYPE %s>\n<%s xmlns:jxta=\"%s\">\n", PR_ROOT, PR_ROOT, XMLNS);
    put_field(out, "MsgType", r->answer == JXTA_PIPE_RES_ANSWER ? "Answer" : "Query");
    put_id_field(out, "PipeId", &r->pipe_id);
    put_field(out, "Type", r->type);
    for (size_t i = 0; i < r->npeers; i++)
        put_id_field(out, "Peer", &r->peers[i]);
    if (r->answer == JXTA_PIPE_RES_ANSWER) {
        if (r->found >= 0)
            put_field(out, "Found", r->found ? "true" : "false");
        if (r->peer_adv)
            put_field(out, "PeerAdv", r->peer_adv);
    }
    jxta_buf_printf(out, "</%s>", PR_ROOT);
    rc = jxta_buf_error(out);
    if (rc < 0 && out->len >= start)
        out->len = start;
    return rc;
}

int jxta_pipe_res_to_string(const jxta_pipe_res_t *r, char **out)
{
    if (!out)
        return JXTA_EINVAL;
    *out = NULL;
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_pipe_res_write(r, &b);
    if (rc == 0 && !(*out = jxta_buf_steal_str(&b)))
        rc = JXTA_ENOMEM;
    jxta_buf_free(&b);
    return rc;
}

/* ---- JxtaWire header ---------------------------------------------------------- */

void jxta_wire_new_msg_id(char out[64])
{
    jxta_prop_new_msg_id(out);
}

int jxta_wire_hdr_init(jxta_wire_hdr_t *h, const jxta_id_t *src, const jxta_id_t *pipe_id,
                       int ttl)
{
    if (!h || !pipe_id)
        return JXTA_EINVAL;
    memset(h, 0, sizeof *h);
    int rc = check_id_kind("wire header PipeId", pipe_id, JXTA_ID_PIPE);
    if (rc < 0)
        return rc;
    if (src && !jxta_id_is_null(src) &&
        (rc = check_id_kind("wire header SrcPeer", src, JXTA_ID_PEER)) < 0)
        return rc;
    if (ttl < 0 || ttl > JXTA_WIRE_MAX_TTL)
        return jxta__reject(JXTA_ERANGE, MOD, "wire header TTL %d (1..%d)", ttl,
                            JXTA_WIRE_MAX_TTL);
    if (src && !jxta_id_is_null(src)) {
        h->has_src = 1;
        h->src_peer = *src;
    }
    h->pipe_id = *pipe_id;
    h->ttl = ttl ? ttl : JXTA_WIRE_MAX_TTL;
    jxta_wire_new_msg_id(h->msg_id);
    return 0;
}

/* Integer.parseInt: optional sign, decimal digits. */
static int parse_ttl(const char *t, int *ttl)
{
    const char *s = t;
    int neg = 0;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!*s)
        return jxta__reject(JXTA_EPROTO, MOD, "%s: TTL '%.40s' is not a decimal number",
                            WIRE_ROOT, t);
    long long v = 0;
    int over = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return jxta__reject(JXTA_EPROTO, MOD, "%s: TTL '%.40s' is not a decimal number",
                                WIRE_ROOT, t);
        if (!over && (v = v * 10 + (*s - '0')) > INT_MAX)
            over = 1;
    }
    if (over || neg || v < 1)
        return jxta__reject(JXTA_ERANGE, MOD, "%s: TTL '%.40s' is not in 1..%d", WIRE_ROOT, t,
                            INT_MAX);
    if (v > JXTA_WIRE_MAX_TTL) {
        jxta_log(JXTA_LOG_INFO, MOD, "%s: TTL %lld read as %d", WIRE_ROOT, v, JXTA_WIRE_MAX_TTL);
        v = JXTA_WIRE_MAX_TTL;
    }
    *ttl = (int)v;
    return 0;
}

static int parse_wire_fields(const jxta_xml_node_t *root, jxta_wire_hdr_t *h)
{
    const char *t;
    const jxta_xml_node_t *src;
    int rc;
    if ((rc = single(root, "SrcPeer", &src)) < 0)
        return rc;
    if (src && *jxta_xml_text(src)) {
        jxta_id_t id;
        t = jxta_xml_text(src);
        if ((rc = jxta_id_parse(&id, t, strlen(t), 0)) < 0)
            return jxta__reject(rc, MOD, "%s: SrcPeer '%.80s' is not a %sJXTA ID", WIRE_ROOT, t,
                                rc == JXTA_ENONCANON ? "canonical " : "");
        if (!jxta_id_is_null(&id)) { /* JXSE: the Null ID means "no source" */
            if ((rc = parse_id_of(WIRE_ROOT, "SrcPeer", t, JXTA_ID_PEER, &h->src_peer)) < 0)
                return rc;
            h->has_src = 1;
        }
    }
    if ((rc = required_text(root, "PipeId", &t)) < 0 ||
        (rc = parse_id_of(WIRE_ROOT, "PipeId", t, JXTA_ID_PIPE, &h->pipe_id)) < 0)
        return rc;
    if ((rc = required_text(root, "MsgId", &t)) < 0)
        return rc;
    if (strlen(t) >= sizeof h->msg_id)
        return jxta__reject(JXTA_ETOOBIG, MOD, "%s: MsgId of %zu bytes (limit %zu)", WIRE_ROOT,
                            strlen(t), sizeof h->msg_id - 1);
    memcpy(h->msg_id, t, strlen(t) + 1);
    if ((rc = required_text(root, "TTL", &t)) < 0)
        return rc;
    return parse_ttl(t, &h->ttl);
}

int jxta_wire_hdr_parse(const void *text, size_t len, jxta_wire_hdr_t *out)
{
    if (!out)
        return JXTA_EINVAL;
    memset(out, 0, sizeof *out);
    jxta_xml_node_t *root = NULL;
    int rc = parse_doc(text, len, WIRE_ROOT, &root);
    if (rc < 0)
        return rc;
    const char *type = jxta_xml_attr(root, "type");
    if (strcmp(jxta_xml_name(root), WIRE_ROOT) != 0 && !(type && strcmp(type, WIRE_ROOT) == 0))
        rc = jxta__reject(JXTA_EADVTYPE, MOD, "root is <%.60s>, expected <%s>",
                          jxta_xml_name(root), WIRE_ROOT);
    else
        rc = parse_wire_fields(root, out);
    jxta_xml_free(root);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

int jxta_wire_hdr_write(const jxta_wire_hdr_t *h, jxta_buf_t *out)
{
    if (!h || !out)
        return JXTA_EINVAL;
    int rc = check_id_kind("wire header PipeId", &h->pipe_id, JXTA_ID_PIPE);
    if (rc < 0)
        return rc;
    if (h->has_src && (rc = check_id_kind("wire header SrcPeer", &h->src_peer, JXTA_ID_PEER)) < 0)
        return rc;
    if (h->ttl < 1 || h->ttl > JXTA_WIRE_MAX_TTL)
        return jxta__reject(JXTA_ERANGE, MOD, "wire header TTL %d (1..%d)", h->ttl,
                            JXTA_WIRE_MAX_TTL);
    if (!memchr(h->msg_id, '\0', sizeof h->msg_id) || !trimmed_text_ok(h->msg_id))
        return jxta__reject(JXTA_EINVAL, MOD, "wire header MsgId empty, untrimmed or not text");
    size_t start = out->len;
    char num[16];
    jxta_buf_append_str(out, DECL);
    jxta_buf_printf(out, "<!DOCTYPE %s>\n<%s xmlns:jxta=\"%s\">\n", WIRE_ROOT, WIRE_ROOT, XMLNS);
    if (h->has_src)
        put_id_field(out, "SrcPeer", &h->src_peer);
    put_id_field(out, "PipeId", &h->pipe_id);
    put_field(out, "MsgId", h->msg_id);
    snprintf(num, sizeof num, "%d", h->ttl);
    put_field(out, "TTL", num);
    jxta_buf_printf(out, "</%s>\n", WIRE_ROOT);
    rc = jxta_buf_error(out);
    if (rc < 0 && out->len >= start)
        out->len = start;
    return rc;
}
