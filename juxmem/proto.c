/* juxmem/proto.c - encoding and hostile-input decoding of the JuxMem
 * protocol messages (see proto.h for the layout, DESIGN.md for their use).
 *
 * The per-type rules live in one table (which flags, elements, statuses a
 * type may carry) so that encoding and decoding apply exactly the same
 * checks: a message this peer sends always passes the receiver's decoder,
 * and the fuzz harness can assert decode -> encode -> decode is stable. */
#include <stdlib.h>
#include <string.h>

#include <jxta/buf.h>
#include <jxta/error.h>
#include <jxta/log.h>

#include "proto.h"
#include "../jxta-c/util/internal.h"

#define MOD "juxmem"

enum { R_RANGES = 0x1, R_MEMBERS = 0x2, R_HINT = 0x4, R_MODE = 0x8, R_STATUS = 0x10,
       R_SEQ = 0x20, R_TOKEN = 0x40, R_VERSION = 0x80, R_DENY = 0x100, R_SIZE = 0x200 };

static const struct {
    const char *name;
    unsigned flags; /* JUXMEM_F_* allowed */
    unsigned rules;
} types[JUXMEM_MSG__LAST] = {
    [JUXMEM_MSG_ALLOC] = {"ALLOC", 0, R_MEMBERS | R_HINT | R_SEQ | R_SIZE},
    [JUXMEM_MSG_ALLOC_REPLY] = {"ALLOC_REPLY", 0, R_STATUS | R_SEQ},
    [JUXMEM_MSG_ACQUIRE] = {"ACQUIRE", JUXMEM_F_WANT_DATA | JUXMEM_F_RENEW, R_MODE | R_SEQ},
    [JUXMEM_MSG_GRANT] = {"GRANT", JUXMEM_F_HAS_DATA, R_RANGES | R_MEMBERS | R_MODE | R_SEQ | R_TOKEN},
    [JUXMEM_MSG_DENY] = {"DENY", 0, R_HINT | R_STATUS | R_SEQ | R_DENY},
    [JUXMEM_MSG_RELEASE] = {"RELEASE", JUXMEM_F_CANCEL, R_RANGES | R_SEQ},
    [JUXMEM_MSG_RELEASED] = {"RELEASED", 0, R_STATUS | R_SEQ},
    [JUXMEM_MSG_UPDATE] = {"UPDATE", 0, R_RANGES | R_TOKEN | R_VERSION},
    [JUXMEM_MSG_ACK] = {"ACK", 0, R_STATUS | R_VERSION},
    [JUXMEM_MSG_READ] = {"READ", 0, R_SEQ},
    [JUXMEM_MSG_DATA] = {"DATA", 0, R_RANGES | R_STATUS | R_SEQ},
    [JUXMEM_MSG_FREE] = {"FREE", 0, R_SEQ},
    [JUXMEM_MSG_FREED] = {"FREED", 0, R_STATUS | R_SEQ},
    [JUXMEM_MSG_HEARTBEAT] = {"HEARTBEAT", JUXMEM_F_REPLY, R_MEMBERS},
    [JUXMEM_MSG_STATE] = {"STATE", 0, R_RANGES | R_MEMBERS | R_SIZE},
    [JUXMEM_MSG_VOTE] = {"VOTE", 0, R_VERSION | R_MEMBERS},
    [JUXMEM_MSG_VOTED] = {"VOTED", 0, R_STATUS | R_VERSION},
};

static int type_known(int type)
{
    return type > 0 && type < JUXMEM_MSG__LAST;
}

const char *juxmem_msg_type_name(int type)
{
    return type_known(type) ? types[type].name : "?";
}

void juxmem_pmsg_init(juxmem_pmsg_t *m, juxmem_msg_type_t type, const jxta_id_t *data,
                      const jxta_id_t *from)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    if (data)
        m->data = *data;
    if (from)
        m->from = *from;
}

void juxmem_pmsg_clear(juxmem_pmsg_t *m)
{
    for (size_t i = 0; i < m->nranges; i++)
        free(m->ranges[i].data);
    free(m->ranges);
    free(m->members);
    m->ranges = NULL;
    m->members = NULL;
    m->nranges = m->nmembers = 0;
}

int juxmem_pmsg_add_range(juxmem_pmsg_t *m, uint64_t offset, const void *data, uint64_t len)
{
    if (len > SIZE_MAX || m->nranges >= JUXMEM_PROTO_MAX_RANGES)
        return JXTA_ETOOBIG;
    juxmem_range_t *r = realloc(m->ranges, (m->nranges + 1) * sizeof *r);
    if (!r)
        return JXTA_ENOMEM;
    m->ranges = r;
    uint8_t *copy = malloc(len ? (size_t)len : 1);
    if (!copy)
        return JXTA_ENOMEM;
    if (len)
        memcpy(copy, data, (size_t)len);
    r[m->nranges++] = (juxmem_range_t){offset, len, copy};
    return 0;
}

int juxmem_pmsg_add_member(juxmem_pmsg_t *m, const jxta_id_t *peer, const char *cluster)
{
    size_t cl = cluster ? strlen(cluster) : 0;
    if (cl > JUXMEM_CLUSTER_NAME_MAX || m->nmembers >= JUXMEM_MAX_COPIES)
        return JXTA_ETOOBIG;
    juxmem_member_t e0; /* peer/cluster may point into m->members */
    memset(&e0, 0, sizeof e0);
    e0.peer = *peer;
    if (cl)
        memcpy(e0.cluster, cluster, cl);
    juxmem_member_t *v = realloc(m->members, (m->nmembers + 1) * sizeof *v);
    if (!v)
        return JXTA_ENOMEM;
    m->members = v;
    v[m->nmembers++] = e0;
    return 0;
}

int juxmem_pmsg_copy(juxmem_pmsg_t *out, const juxmem_pmsg_t *m)
{
    *out = *m;
    out->ranges = NULL;
    out->members = NULL;
    out->nranges = out->nmembers = 0;
    for (size_t i = 0; i < m->nranges; i++) {
        int rc = juxmem_pmsg_add_range(out, m->ranges[i].offset, m->ranges[i].data,
                                       m->ranges[i].len);
        if (rc < 0) {
            juxmem_pmsg_clear(out);
            return rc;
        }
    }
    for (size_t i = 0; i < m->nmembers; i++) {
        int rc = juxmem_pmsg_add_member(out, &m->members[i].peer, m->members[i].cluster);
        if (rc < 0) {
            juxmem_pmsg_clear(out);
            return rc;
        }
    }
    return 0;
}

/* ---- rules ---------------------------------------------------------------- */

static int status_known(int32_t s)
{
    return (s <= 0 && s > JXTA__ELAST) || (s <= JUXMEM_ENOSPACE && s >= JUXMEM_ENOQUORUM) ||
           s == JUXMEM__EREDIRECT || s == JUXMEM__EBEHIND;
}

static int check_ranges(const juxmem_pmsg_t *m, const char *tn)
{
    uint64_t end_prev = 0;
    for (size_t i = 0; i < m->nranges; i++) {
        const juxmem_range_t *r = &m->ranges[i];
        if (r->len == 0 || r->offset + r->len < r->offset)
            return jxta__reject(JXTA_ERANGE, MOD, "%s: range %zu empty or overflowing", tn, i);
        if (i && r->offset < end_prev)
            return jxta__reject(JXTA_ERANGE, MOD, "%s: range %zu overlaps or is out of order",
                                tn, i);
        end_prev = r->offset + r->len;
        if (m->type == JUXMEM_MSG_STATE && i == 1 && r->offset == m->size)
            continue; /* the token history, checked with the STATE */
        if (m->size && end_prev > m->size)
            return jxta__reject(JXTA_ERANGE, MOD, "%s: range %zu ends at %llu past size %llu",
                                tn, i, (unsigned long long)end_prev,
                                (unsigned long long)m->size);
    }
    return 0;
}

/* The whole block in one range: STATE, GRANT with data. */
static int check_whole(const juxmem_pmsg_t *m, const char *tn)
{
    if (m->size == 0 || m->nranges != 1 || m->ranges[0].offset != 0 ||
        m->ranges[0].len != m->size)
        return jxta__reject(JXTA_ERANGE, MOD, "%s: data must be one range covering the block",
                            tn);
    return 0;
}

static int check_ids(const juxmem_pmsg_t *m, const char *tn)
{
    if (jxta_id_kind(&m->data) != JXTA_ID_GROUP)
        return jxta__reject(JXTA_EBADID, MOD, "%s: data ID is not a group ID", tn);
    if (jxta_id_kind(&m->from) != JXTA_ID_PEER)
        return jxta__reject(JXTA_EBADID, MOD, "%s: sender is not a peer ID", tn);
    if (!jxta_id_is_null(&m->hint) && jxta_id_kind(&m->hint) != JXTA_ID_PEER)
        return jxta__reject(JXTA_EBADID, MOD, "%s: hint is not a peer ID", tn);
    for (size_t i = 0; i < m->nmembers; i++) {
        if (jxta_id_kind(&m->members[i].peer) != JXTA_ID_PEER)
            return jxta__reject(JXTA_EBADID, MOD, "%s: member %zu is not a peer ID", tn, i);
        for (size_t j = 0; j < i; j++)
            if (jxta_id_equal(&m->members[i].peer, &m->members[j].peer))
                return jxta__reject(JXTA_EPROTO, MOD, "%s: member %zu listed twice", tn, i);
    }
    return 0;
}

int juxmem_pmsg_check(const juxmem_pmsg_t *m)
{
    if (!type_known(m->type))
        return jxta__reject(JXTA_EPROTO, MOD, "unknown message type %d", (int)m->type);
    const char *tn = types[m->type].name;
    unsigned rules = types[m->type].rules;
    if (m->flags & ~types[m->type].flags)
        return jxta__reject(JXTA_EPROTO, MOD, "%s: flags 0x%x not allowed", tn, m->flags);
    if (m->nranges > JUXMEM_PROTO_MAX_RANGES || m->nmembers > JUXMEM_MAX_COPIES)
        return jxta__reject(JXTA_ETOOBIG, MOD, "%s: %zu ranges, %zu members", tn, m->nranges,
                            m->nmembers);
    if (m->nranges && !(rules & R_RANGES))
        return jxta__reject(JXTA_EPROTO, MOD, "%s carries no data ranges", tn);
    if (m->nmembers && !(rules & R_MEMBERS))
        return jxta__reject(JXTA_EPROTO, MOD, "%s carries no members", tn);
    if (!jxta_id_is_null(&m->hint) && !(rules & R_HINT))
        return jxta__reject(JXTA_EPROTO, MOD, "%s carries no hint", tn);
    int rc = check_ids(m, tn);
    if (rc < 0)
        return rc;
    if ((rules & R_MODE) ? (m->mode != JUXMEM_MODE_EXCL && m->mode != JUXMEM_MODE_SHARED)
                         : m->mode != 0)
        return jxta__reject(JXTA_EPROTO, MOD, "%s: lock mode %u", tn, (unsigned)m->mode);
    if ((rules & R_STATUS) ? !status_known(m->status) : m->status != 0)
        return jxta__reject(JXTA_EPROTO, MOD, "%s: status %d", tn, (int)m->status);
    if ((rules & R_DENY) && m->status == 0)
        return jxta__reject(JXTA_EPROTO, MOD, "%s without an error", tn);
    if ((rules & R_SEQ) && m->seq == 0)
        return jxta__reject(JXTA_EPROTO, MOD, "%s: sequence number 0", tn);
    if ((rules & R_TOKEN) && m->token == 0)
        return jxta__reject(JXTA_EPROTO, MOD, "%s: fencing token 0", tn);
    if ((rules & R_VERSION) && m->version == 0 && m->type == JUXMEM_MSG_UPDATE)
        return jxta__reject(JXTA_EPROTO, MOD, "%s: version 0", tn);
    if ((rules & R_SIZE) && m->size == 0)
        return jxta__reject(JXTA_ERANGE, MOD, "%s: size 0", tn);
    rc = check_ranges(m, tn);
    if (rc < 0)
        return rc;
    switch (m->type) {
    case JUXMEM_MSG_ALLOC:
        if (m->nmembers == 0)
            return jxta__reject(JXTA_EPROTO, MOD, "ALLOC without members");
        break;
    case JUXMEM_MSG_VOTE:
    case JUXMEM_MSG_VOTED:
        if (m->epoch == 0)
            return jxta__reject(JXTA_EPROTO, MOD, "%s for epoch 0", tn);
        break;
    case JUXMEM_MSG_GRANT:
        if (m->flags & JUXMEM_F_HAS_DATA) {
            if (check_whole(m, tn) < 0)
                return JXTA_ERANGE;
        } else if (m->nranges) {
            return jxta__reject(JXTA_EPROTO, MOD, "GRANT: data without HAS_DATA");
        }
        break;
    case JUXMEM_MSG_STATE: {
        /* the block, then optionally the token history (offset = size) */
        juxmem_pmsg_t whole = *m;
        whole.nranges = m->nranges ? 1 : 0;
        if (check_whole(&whole, tn) < 0)
            return JXTA_ERANGE;
        if (m->nranges > 2 ||
            (m->nranges == 2 &&
             (m->ranges[1].offset != m->size || m->ranges[1].len % JUXMEM_HISTORY_ENTRY ||
              m->ranges[1].len > JUXMEM_HISTORY_MAX * JUXMEM_HISTORY_ENTRY)))
            return jxta__reject(JXTA_ERANGE, MOD, "STATE: bad token history");
        if (m->nmembers == 0)
            return jxta__reject(JXTA_EPROTO, MOD, "STATE without members");
        break;
    }
    case JUXMEM_MSG_RELEASE:
        if (m->token == 0 && !(m->flags & JUXMEM_F_CANCEL))
            return jxta__reject(JXTA_EPROTO, MOD, "RELEASE: fencing token 0");
        if ((m->flags & JUXMEM_F_CANCEL) && (m->ref == 0 || m->nranges))
            return jxta__reject(JXTA_EPROTO, MOD, "RELEASE: cancel needs ref, no data");
        break;
    case JUXMEM_MSG_ACQUIRE:
        if ((m->flags & JUXMEM_F_RENEW) && m->token == 0)
            return jxta__reject(JXTA_EPROTO, MOD, "ACQUIRE: renew without token");
        break;
    case JUXMEM_MSG_READ:
        if (m->size == 0 || m->ref + m->size < m->ref)
            return jxta__reject(JXTA_ERANGE, MOD, "READ: empty or overflowing range");
        if (m->size > JUXMEM_PROTO_MAX_READ)
            return jxta__reject(JXTA_ETOOBIG, MOD, "READ of %llu bytes",
                                (unsigned long long)m->size);
        break;
    case JUXMEM_MSG_DATA:
        if (m->nranges > 1 || (m->status < 0 && m->nranges))
            return jxta__reject(JXTA_EPROTO, MOD, "DATA: %zu ranges", m->nranges);
        break;
    case JUXMEM_MSG_DENY:
        if (m->status == JUXMEM__EREDIRECT && jxta_id_is_null(&m->hint))
            return jxta__reject(JXTA_EPROTO, MOD, "DENY: redirect without hint");
        break;
    default:
        break;
    }
    return 0;
}

/* ---- encoding ------------------------------------------------------------- */

static void put_header(jxta_buf_t *b, const juxmem_pmsg_t *m)
{
    jxta_buf_put_u8(b, JUXMEM_PROTO_VERSION);
    jxta_buf_put_u8(b, (uint8_t)m->type);
    jxta_buf_put_be16(b, (uint16_t)m->flags);
    jxta_buf_put_be32(b, m->epoch);
    jxta_buf_put_be32(b, m->mode);
    jxta_buf_put_be32(b, (uint32_t)m->status);
    jxta_buf_append(b, m->data.b, JXTA_ID_BYTES);
    jxta_buf_append(b, m->from.b, JXTA_ID_BYTES);
    const uint64_t v[6] = {m->seq, m->ref, m->token, m->version, m->size, m->lease_ms};
    for (size_t i = 0; i < 6; i++)
        jxta_buf_put_be64(b, v[i]);
}

int juxmem_pmsg_encode(const juxmem_pmsg_t *m, jxta_msg_t *out)
{
    int rc = juxmem_pmsg_check(m);
    if (rc < 0)
        return rc;
    jxta_buf_t b = JXTA_BUF_INIT;
    put_header(&b, m);
    if ((rc = jxta_buf_error(&b)) < 0 ||
        (rc = jxta_msg_add(out, JUXMEM_PROTO_NS, "Header", NULL, b.data, b.len)) < 0)
        goto done;
    for (size_t i = 0; i < m->nranges; i++) {
        jxta_buf_reset(&b);
        jxta_buf_put_be64(&b, m->ranges[i].offset);
        jxta_buf_append(&b, m->ranges[i].data, (size_t)m->ranges[i].len);
        if ((rc = jxta_buf_error(&b)) < 0 ||
            (rc = jxta_msg_add(out, JUXMEM_PROTO_NS, "Range", NULL, b.data, b.len)) < 0)
            goto done;
    }
    for (size_t i = 0; i < m->nmembers; i++) {
        jxta_buf_reset(&b);
        jxta_buf_append(&b, m->members[i].peer.b, JXTA_ID_BYTES);
        jxta_buf_append_str(&b, m->members[i].cluster);
        if ((rc = jxta_buf_error(&b)) < 0 ||
            (rc = jxta_msg_add(out, JUXMEM_PROTO_NS, "Member", NULL, b.data, b.len)) < 0)
            goto done;
    }
    if (!jxta_id_is_null(&m->hint))
        rc = jxta_msg_add(out, JUXMEM_PROTO_NS, "Hint", NULL, m->hint.b, JXTA_ID_BYTES);
done:
    jxta_buf_free(&b);
    return rc;
}

int juxmem_pmsg_to_wire(const juxmem_pmsg_t *m, jxta_buf_t *out)
{
    jxta_msg_t *msg;
    int rc = jxta_msg_new(&msg);
    if (rc < 0)
        return rc;
    rc = juxmem_pmsg_encode(m, msg);
    if (rc == 0)
        rc = jxta_msg_encode(msg, JXTA_MSG_V0, out);
    jxta_msg_free(msg);
    return rc;
}

/* ---- decoding ------------------------------------------------------------- */

/* An ID from 64 raw bytes: must be a valid ID (the null ID only where
 * `null_ok`). */
static int read_id(const uint8_t *p, jxta_id_t *out, int null_ok, const char *what)
{
    int rc = jxta_id_from_bytes(out, p);
    if (rc < 0)
        return jxta__reject(JXTA_EBADID, MOD, "%s: not a valid JXTA ID", what);
    if (!null_ok && jxta_id_is_null(out))
        return jxta__reject(JXTA_EBADID, MOD, "%s: null ID", what);
    return 0;
}

static int read_header(const jxta_msg_elem_t *e, juxmem_pmsg_t *m)
{
    size_t len;
    const uint8_t *p = jxta_msg_elem_body(e, &len);
    if (len < JUXMEM_PROTO_HEADER_LEN)
        return jxta__reject(JXTA_ETRUNC, MOD, "header of %zu bytes, need %d", len,
                            JUXMEM_PROTO_HEADER_LEN);
    if (len > JUXMEM_PROTO_HEADER_LEN)
        return jxta__reject(JXTA_ETRAILING, MOD, "header of %zu bytes, expected %d", len,
                            JUXMEM_PROTO_HEADER_LEN);
    jxta_reader_t r;
    jxta_reader_init(&r, p, len);
    uint8_t ver = jxta_reader_u8(&r);
    if (ver != JUXMEM_PROTO_VERSION)
        return jxta__reject(JXTA_EVERSION, MOD, "protocol version %u", ver);
    m->type = (juxmem_msg_type_t)jxta_reader_u8(&r);
    if (!type_known(m->type))
        return jxta__reject(JXTA_EPROTO, MOD, "unknown message type %d", (int)m->type);
    m->flags = jxta_reader_be16(&r);
    m->epoch = jxta_reader_be32(&r);
    m->mode = jxta_reader_be32(&r);
    m->status = (int32_t)jxta_reader_be32(&r);
    int rc;
    if ((rc = read_id(jxta_reader_bytes(&r, JXTA_ID_BYTES), &m->data, 0, "data ID")) < 0 ||
        (rc = read_id(jxta_reader_bytes(&r, JXTA_ID_BYTES), &m->from, 0, "sender ID")) < 0)
        return rc;
    m->seq = jxta_reader_be64(&r);
    m->ref = jxta_reader_be64(&r);
    m->token = jxta_reader_be64(&r);
    m->version = jxta_reader_be64(&r);
    m->size = jxta_reader_be64(&r);
    m->lease_ms = jxta_reader_be64(&r);
    return r.err;
}

static int read_range(const jxta_msg_elem_t *e, juxmem_pmsg_t *m)
{
    size_t len;
    const uint8_t *p = jxta_msg_elem_body(e, &len);
    if (len < 8)
        return jxta__reject(JXTA_ETRUNC, MOD, "range element of %zu bytes", len);
    if (m->nranges >= JUXMEM_PROTO_MAX_RANGES)
        return jxta__reject(JXTA_ETOOBIG, MOD, "more than %d ranges", JUXMEM_PROTO_MAX_RANGES);
    jxta_reader_t r;
    jxta_reader_init(&r, p, len);
    uint64_t off = jxta_reader_be64(&r);
    return juxmem_pmsg_add_range(m, off, p + 8, len - 8);
}

static int read_member(const jxta_msg_elem_t *e, juxmem_pmsg_t *m)
{
    size_t len;
    const uint8_t *p = jxta_msg_elem_body(e, &len);
    if (len < JXTA_ID_BYTES)
        return jxta__reject(JXTA_ETRUNC, MOD, "member element of %zu bytes", len);
    if (len > JXTA_ID_BYTES + JUXMEM_CLUSTER_NAME_MAX)
        return jxta__reject(JXTA_ETOOBIG, MOD, "member cluster name of %zu bytes",
                            len - JXTA_ID_BYTES);
    if (m->nmembers >= JUXMEM_MAX_COPIES)
        return jxta__reject(JXTA_ETOOBIG, MOD, "more than %d members", JUXMEM_MAX_COPIES);
    const uint8_t *name = p + JXTA_ID_BYTES;
    size_t nl = len - JXTA_ID_BYTES;
    if (!jxta_utf8_valid(name, nl) || memchr(name, 0, nl))
        return jxta__reject(JXTA_EUTF8, MOD, "member cluster name is not UTF-8 text");
    jxta_id_t id;
    int rc = read_id(p, &id, 0, "member");
    if (rc < 0)
        return rc;
    char cl[JUXMEM_CLUSTER_NAME_MAX + 1];
    memcpy(cl, name, nl);
    cl[nl] = '\0';
    return juxmem_pmsg_add_member(m, &id, cl);
}

static int read_hint(const jxta_msg_elem_t *e, juxmem_pmsg_t *m, int *seen)
{
    size_t len;
    const uint8_t *p = jxta_msg_elem_body(e, &len);
    if ((*seen)++)
        return jxta__reject(JXTA_EPROTO, MOD, "hint given twice");
    if (len != JXTA_ID_BYTES)
        return jxta__reject(len < JXTA_ID_BYTES ? JXTA_ETRUNC : JXTA_ETRAILING, MOD,
                            "hint of %zu bytes", len);
    return read_id(p, &m->hint, 0, "hint");
}

int juxmem_pmsg_decode(const jxta_msg_t *in, juxmem_pmsg_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = 0, headers = 0, hints = 0;
    /* The header first, so that ranges can be checked against it. */
    for (size_t i = 0; rc == 0 && i < jxta_msg_count(in); i++) {
        const jxta_msg_elem_t *e = jxta_msg_get(in, i);
        if (strcmp(jxta_msg_elem_ns(e), JUXMEM_PROTO_NS) != 0 ||
            strcmp(jxta_msg_elem_name(e), "Header") != 0)
            continue;
        rc = headers++ ? jxta__reject(JXTA_EPROTO, MOD, "header given twice")
                       : read_header(e, out);
    }
    if (rc == 0 && headers == 0)
        rc = jxta__reject(JXTA_EMISSING, MOD, "no juxmem:Header element");
    for (size_t i = 0; rc == 0 && i < jxta_msg_count(in); i++) {
        const jxta_msg_elem_t *e = jxta_msg_get(in, i);
        if (strcmp(jxta_msg_elem_ns(e), JUXMEM_PROTO_NS) != 0)
            continue;
        const char *n = jxta_msg_elem_name(e);
        if (strcmp(n, "Range") == 0)
            rc = read_range(e, out);
        else if (strcmp(n, "Member") == 0)
            rc = read_member(e, out);
        else if (strcmp(n, "Hint") == 0)
            rc = read_hint(e, out, &hints);
    }
    if (rc == 0)
        rc = juxmem_pmsg_check(out);
    if (rc < 0) {
        juxmem_pmsg_clear(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

int juxmem_pmsg_from_wire(const void *p, size_t len, juxmem_pmsg_t *out)
{
    memset(out, 0, sizeof *out);
    jxta_msg_t *msg;
    int rc = jxta_msg_decode(p, len, NULL, &msg);
    if (rc < 0)
        return rc;
    rc = juxmem_pmsg_decode(msg, out);
    jxta_msg_free(msg);
    return rc;
}
