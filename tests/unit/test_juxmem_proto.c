/* test_juxmem_proto.c - the JuxMem protocol messages, advertisements and
 * IDs: every message type round trip through the JXTA wire format, every
 * truncation refused, hostile values refused with their specific code and
 * a log line; the memory and cluster advertisements written, parsed back
 * through the registry, indexed and validated; the derived group IDs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "proto.h"
#include "testutil.h"

static jxta_id_t peer(unsigned i)
{
    jxta_id_t id;
    char text[32];
    uint8_t seed[20];
    snprintf(text, sizeof text, "proto-peer-%u", i);
    jxta_seed_from_text(seed, text);
    ck_assert_int_eq(jxta_id_peer_from_seed(&id, &jxta_id_net_group, seed, sizeof seed), 0);
    return id;
}

static jxta_id_t block_id(void)
{
    jxta_id_t id;
    ck_assert_int_eq(juxmem_data_id_new(&id), 0);
    return id;
}

/* A valid message of each type, with every field it may carry set. */
static void sample(juxmem_pmsg_t *m, juxmem_msg_type_t type)
{
    jxta_id_t data = block_id(), from = peer(1);
    juxmem_pmsg_init(m, type, &data, &from);
    m->epoch = 3;
    m->seq = 42;
    m->token = (3ull << 32) | 7;
    m->version = 9;
    m->lease_ms = 10000;
    switch (type) {
    case JUXMEM_MSG_ALLOC:
        m->size = 4096;
        ck_assert_int_eq(juxmem_pmsg_add_member(m, &from, "alpha"), 0);
        jxta_id_t p2 = peer(2);
        ck_assert_int_eq(juxmem_pmsg_add_member(m, &p2, ""), 0);
        m->hint = from;
        break;
    case JUXMEM_MSG_ALLOC_REPLY:
    case JUXMEM_MSG_FREED:
        m->status = JUXMEM_ENOSPACE;
        m->size = 100;
        break;
    case JUXMEM_MSG_ACQUIRE:
        m->mode = JUXMEM_MODE_SHARED;
        m->flags = JUXMEM_F_WANT_DATA | JUXMEM_F_RENEW;
        break;
    case JUXMEM_MSG_GRANT: { /* with the view and members of a client whose list is old */
        m->mode = JUXMEM_MODE_EXCL;
        m->size = 5;
        m->flags = JUXMEM_F_HAS_DATA;
        m->ref = (2ull << 32) | 3;
        ck_assert_int_eq(juxmem_pmsg_add_range(m, 0, "hello", 5), 0);
        jxta_id_t p4 = peer(4);
        ck_assert_int_eq(juxmem_pmsg_add_member(m, &p4, "c1"), 0);
        break;
    }
    case JUXMEM_MSG_DENY:
        m->status = JUXMEM__EREDIRECT;
        m->hint = peer(3);
        break;
    case JUXMEM_MSG_RELEASE:
    case JUXMEM_MSG_UPDATE:
        ck_assert_int_eq(juxmem_pmsg_add_range(m, 0, "ab", 2), 0);
        ck_assert_int_eq(juxmem_pmsg_add_range(m, 10, "cdef", 4), 0);
        m->size = type == JUXMEM_MSG_UPDATE ? 64 : 0;
        break;
    case JUXMEM_MSG_RELEASED:
    case JUXMEM_MSG_ACK:
        m->status = JUXMEM_ESTALE;
        break;
    case JUXMEM_MSG_READ:
        m->ref = 100;
        m->size = 28;
        break;
    case JUXMEM_MSG_DATA:
        ck_assert_int_eq(juxmem_pmsg_add_range(m, 100, "xyz", 3), 0);
        break;
    case JUXMEM_MSG_HEARTBEAT:
        m->flags = JUXMEM_F_REPLY;
        m->ref = 2;
        ck_assert_int_eq(juxmem_pmsg_add_member(m, &from, "beta"), 0);
        break;
    case JUXMEM_MSG_STATE:
        m->size = 3;
        m->ref = 2;
        ck_assert_int_eq(juxmem_pmsg_add_range(m, 0, "\0\1\2", 3), 0);
        /* the token history: one (token, version) pair after the block */
        ck_assert_int_eq(juxmem_pmsg_add_range(m, 3, "\0\0\0\3\0\0\0\7\0\0\0\0\0\0\0\x09",
                                               JUXMEM_HISTORY_ENTRY),
                         0);
        ck_assert_int_eq(juxmem_pmsg_add_member(m, &from, "gamma"), 0);
        break;
    case JUXMEM_MSG_VOTE:
        m->ref = 2; /* the candidate's data epoch */
        break;
    case JUXMEM_MSG_VOTED:
        m->status = JUXMEM_ENODATA;
        m->ref = 2;
        break;
    default:
        break;
    }
    ck_assert_int_eq(juxmem_pmsg_check(m), 0);
}

static void assert_same(const juxmem_pmsg_t *a, const juxmem_pmsg_t *b)
{
    ck_assert_int_eq(a->type, b->type);
    ck_assert_uint_eq(a->flags, b->flags);
    ck_assert_uint_eq(a->epoch, b->epoch);
    ck_assert_uint_eq(a->mode, b->mode);
    ck_assert_int_eq(a->status, b->status);
    ck_assert(jxta_id_equal(&a->data, &b->data));
    ck_assert(jxta_id_equal(&a->from, &b->from));
    ck_assert(jxta_id_equal(&a->hint, &b->hint));
    ck_assert_uint_eq(a->seq, b->seq);
    ck_assert_uint_eq(a->ref, b->ref);
    ck_assert_uint_eq(a->token, b->token);
    ck_assert_uint_eq(a->version, b->version);
    ck_assert_uint_eq(a->size, b->size);
    ck_assert_uint_eq(a->lease_ms, b->lease_ms);
    ck_assert_uint_eq(a->nranges, b->nranges);
    for (size_t i = 0; i < a->nranges; i++) {
        ck_assert_uint_eq(a->ranges[i].offset, b->ranges[i].offset);
        ck_assert_uint_eq(a->ranges[i].len, b->ranges[i].len);
        ck_assert(memcmp(a->ranges[i].data, b->ranges[i].data, (size_t)a->ranges[i].len) == 0);
    }
    ck_assert_uint_eq(a->nmembers, b->nmembers);
    for (size_t i = 0; i < a->nmembers; i++) {
        ck_assert(jxta_id_equal(&a->members[i].peer, &b->members[i].peer));
        ck_assert_str_eq(a->members[i].cluster, b->members[i].cluster);
    }
}

START_TEST(round_trip_every_type)
{
    for (int t = JUXMEM_MSG_ALLOC; t < JUXMEM_MSG__LAST; t++) {
        juxmem_pmsg_t m, back, copy;
        sample(&m, (juxmem_msg_type_t)t);
        ck_assert_str_ne(juxmem_msg_type_name(t), "?");
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(juxmem_pmsg_to_wire(&m, &b), 0);
        ck_assert_int_eq(juxmem_pmsg_from_wire(b.data, b.len, &back), 0);
        assert_same(&m, &back);
        ck_assert_int_eq(juxmem_pmsg_copy(&copy, &m), 0);
        assert_same(&m, &copy);
        /* the transport's own elements (other namespaces) are ignored */
        jxta_msg_t *msg;
        ck_assert_int_eq(jxta_msg_new(&msg), 0);
        ck_assert_int_eq(jxta_msg_add_text(msg, "jxta", "EndpointSourceAddress", "tcp://x"), 0);
        ck_assert_int_eq(juxmem_pmsg_encode(&m, msg), 0);
        ck_assert_int_eq(jxta_msg_add(msg, "", "Range", NULL, "zz", 2), 0);
        juxmem_pmsg_clear(&back);
        ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), 0);
        assert_same(&m, &back);
        jxta_msg_free(msg);
        jxta_buf_free(&b);
        juxmem_pmsg_clear(&m);
        juxmem_pmsg_clear(&back);
        juxmem_pmsg_clear(&copy);
    }
    ck_assert_str_eq(juxmem_msg_type_name(0), "?");
    ck_assert_str_eq(juxmem_msg_type_name(JUXMEM_MSG__LAST), "?");
}
END_TEST

/* Every prefix of every encoded message is refused, never read past. */
START_TEST(truncation_at_every_offset)
{
    tu_log_capture();
    for (int t = JUXMEM_MSG_ALLOC; t < JUXMEM_MSG__LAST; t++) {
        juxmem_pmsg_t m, back;
        sample(&m, (juxmem_msg_type_t)t);
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(juxmem_pmsg_to_wire(&m, &b), 0);
        for (size_t n = 0; n < b.len; n++) {
            uint8_t *cut = malloc(n ? n : 1); /* exact size, so ASan sees over-reads */
            memcpy(cut, b.data, n);
            ck_assert_int_lt(juxmem_pmsg_from_wire(cut, n, &back), 0);
            ck_assert_uint_eq(back.nranges + back.nmembers, 0);
            free(cut);
        }
        /* and every element body cut short */
        jxta_msg_t *msg;
        ck_assert_int_eq(jxta_msg_new(&msg), 0);
        ck_assert_int_eq(juxmem_pmsg_encode(&m, msg), 0);
        for (size_t e = 0; e < jxta_msg_count(msg); e++) {
            const jxta_msg_elem_t *el = jxta_msg_get(msg, e);
            size_t len;
            const uint8_t *body = jxta_msg_elem_body(el, &len);
            int is_range = strcmp(jxta_msg_elem_name(el), "Range") == 0;
            int is_member = strcmp(jxta_msg_elem_name(el), "Member") == 0;
            for (size_t n = 0; n < len; n++) {
                if ((is_range && n >= 8) || (is_member && n >= JXTA_ID_BYTES))
                    break; /* shorter data / names are still well-formed */
                jxta_msg_t *cut;
                ck_assert_int_eq(jxta_msg_new(&cut), 0);
                for (size_t k = 0; k < jxta_msg_count(msg); k++) {
                    const jxta_msg_elem_t *o = jxta_msg_get(msg, k);
                    size_t ol;
                    const uint8_t *ob = jxta_msg_elem_body(o, &ol);
                    ck_assert_int_eq(jxta_msg_add(cut, jxta_msg_elem_ns(o), jxta_msg_elem_name(o),
                                                  NULL, ob, k == e ? n : ol),
                                     0);
                }
                size_t logs = tu_log_count();
                int rc = juxmem_pmsg_decode(cut, &back);
                ck_assert_msg(rc < 0, "type %d element %zu cut at %zu accepted", t, e, n);
                ck_assert_uint_gt(tu_log_count(), logs);
                jxta_msg_free(cut);
            }
            (void)body;
        }
        jxta_msg_free(msg);
        jxta_buf_free(&b);
        juxmem_pmsg_clear(&m);
    }
    tu_log_release();
}
END_TEST

/* Encode `m` without checking (raw header bytes patched by the caller). */
static jxta_msg_t *raw(const juxmem_pmsg_t *m)
{
    juxmem_pmsg_t ok;
    sample(&ok, JUXMEM_MSG_READ);
    jxta_msg_t *msg;
    ck_assert_int_eq(jxta_msg_new(&msg), 0);
    ck_assert_int_eq(juxmem_pmsg_encode(&ok, msg), 0);
    juxmem_pmsg_clear(&ok);
    (void)m;
    return msg;
}

/* Decode a READ whose header byte `at` is replaced with `v`. */
static int patched_header(size_t at, const void *v, size_t n)
{
    jxta_msg_t *msg = raw(NULL);
    size_t len;
    const uint8_t *h = jxta_msg_elem_body(jxta_msg_find(msg, JUXMEM_PROTO_NS, "Header"), &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, h, len);
    memcpy(copy + at, v, n);
    jxta_msg_remove(msg, JUXMEM_PROTO_NS, "Header");
    ck_assert_int_eq(jxta_msg_add_owned(msg, JUXMEM_PROTO_NS, "Header", NULL, copy, len), 0);
    juxmem_pmsg_t back;
    int rc = juxmem_pmsg_decode(msg, &back);
    juxmem_pmsg_clear(&back);
    jxta_msg_free(msg);
    return rc;
}

/* Expect the check of `m` (and its decoding when encoded regardless) to
 * fail with `err` and a log line. */
static void expect_refused(juxmem_pmsg_t *m, int err)
{
    size_t logs = tu_log_count();
    ck_assert_int_eq(juxmem_pmsg_check(m), err);
    ck_assert_uint_gt(tu_log_count(), logs);
    jxta_msg_t *msg;
    ck_assert_int_eq(jxta_msg_new(&msg), 0);
    ck_assert_int_eq(juxmem_pmsg_encode(m, msg), err); /* never sent either */
    jxta_msg_free(msg);
    juxmem_pmsg_clear(m);
}

START_TEST(hostile_values)
{
    tu_log_capture();
    /* header fields */
    uint8_t two = 2, zero = 0, big = 99;
    ck_assert_int_eq(patched_header(0, &two, 1), JXTA_EVERSION);
    ck_assert_int_eq(patched_header(1, &zero, 1), JXTA_EPROTO);
    ck_assert_int_eq(patched_header(1, &big, 1), JXTA_EPROTO);
    uint8_t flags[2] = {0x80, 0};
    ck_assert_int_eq(patched_header(2, flags, 2), JXTA_EPROTO);
    uint8_t status[4] = {0, 0, 0, 5};
    ck_assert_int_eq(patched_header(12, status, 4), JXTA_EPROTO);
    uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_int_eq(patched_header(16 + 40, junk, 8), JXTA_EBADID); /* data ID unused bytes */
    ck_assert_int_eq(patched_header(16 + 63, &zero, 1), JXTA_EBADID); /* null data ID */
    uint8_t peer_type = JXTA_ID_PEER;
    ck_assert_int_eq(patched_header(16 + 63, &peer_type, 1), JXTA_EBADID); /* data is a peer */
    ck_assert_int_eq(patched_header(80 + 63, &zero, 1), JXTA_EBADID);      /* null sender */
    uint8_t seq0[8] = {0};
    ck_assert_int_eq(patched_header(144, seq0, 8), JXTA_EPROTO); /* READ seq 0 */
    uint8_t huge[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0};
    ck_assert_int_eq(patched_header(152, huge, 8), JXTA_ERANGE); /* offset + length wraps */

    /* element level */
    jxta_msg_t *msg = raw(NULL);
    juxmem_pmsg_t back;
    ck_assert_int_eq(jxta_msg_add(msg, JUXMEM_PROTO_NS, "Header", NULL,
                                  jxta_msg_elem_body(jxta_msg_get(msg, 0), NULL),
                                  JUXMEM_PROTO_HEADER_LEN),
                     0);
    ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), JXTA_EPROTO); /* two headers */
    jxta_msg_free(msg);
    msg = raw(NULL);
    uint8_t extra[JUXMEM_PROTO_HEADER_LEN + 1] = {0};
    memcpy(extra, jxta_msg_elem_body(jxta_msg_get(msg, 0), NULL), JUXMEM_PROTO_HEADER_LEN);
    jxta_msg_remove(msg, JUXMEM_PROTO_NS, "Header");
    ck_assert_int_eq(jxta_msg_add(msg, JUXMEM_PROTO_NS, "Header", NULL, extra, sizeof extra), 0);
    ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), JXTA_ETRAILING);
    jxta_msg_remove(msg, JUXMEM_PROTO_NS, "Header");
    ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), JXTA_EMISSING);
    jxta_msg_free(msg);
    /* a READ carrying data, a member, a hint */
    const char *names[] = {"Range", "Member", "Hint"};
    int want[] = {JXTA_EPROTO, JXTA_EPROTO, JXTA_EPROTO};
    for (size_t i = 0; i < 3; i++) {
        msg = raw(NULL);
        jxta_id_t p = peer(5);
        uint8_t body[JXTA_ID_BYTES + 8];
        memcpy(body, p.b, JXTA_ID_BYTES);
        memset(body + JXTA_ID_BYTES, 'a', 8);
        ck_assert_int_eq(jxta_msg_add(msg, JUXMEM_PROTO_NS, names[i], NULL, body,
                                      i == 1 ? sizeof body : JXTA_ID_BYTES),
                         0);
        ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), want[i]);
        jxta_msg_free(msg);
    }
    /* member: invalid UTF-8, over-long name, duplicate; hint twice */
    juxmem_pmsg_t m;
    sample(&m, JUXMEM_MSG_HEARTBEAT);
    ck_assert_int_eq(jxta_msg_new(&msg), 0);
    ck_assert_int_eq(juxmem_pmsg_encode(&m, msg), 0);
    uint8_t bad[JXTA_ID_BYTES + 2];
    jxta_id_t p6 = peer(6);
    memcpy(bad, p6.b, JXTA_ID_BYTES);
    bad[JXTA_ID_BYTES] = 0xC3;
    bad[JXTA_ID_BYTES + 1] = 0x28;
    ck_assert_int_eq(jxta_msg_add(msg, JUXMEM_PROTO_NS, "Member", NULL, bad, sizeof bad), 0);
    ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), JXTA_EUTF8);
    jxta_msg_free(msg);
    ck_assert_int_eq(jxta_msg_new(&msg), 0);
    ck_assert_int_eq(juxmem_pmsg_encode(&m, msg), 0);
    uint8_t longname[JXTA_ID_BYTES + JUXMEM_CLUSTER_NAME_MAX + 1];
    memcpy(longname, p6.b, JXTA_ID_BYTES);
    memset(longname + JXTA_ID_BYTES, 'n', JUXMEM_CLUSTER_NAME_MAX + 1);
    ck_assert_int_eq(jxta_msg_add(msg, JUXMEM_PROTO_NS, "Member", NULL, longname, sizeof longname),
                     0);
    ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), JXTA_ETOOBIG);
    jxta_msg_free(msg);
    ck_assert_int_eq(juxmem_pmsg_add_member(&m, &m.members[0].peer, "dup"), 0);
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_DENY);
    ck_assert_int_eq(jxta_msg_new(&msg), 0);
    ck_assert_int_eq(juxmem_pmsg_encode(&m, msg), 0);
    ck_assert_int_eq(jxta_msg_add(msg, JUXMEM_PROTO_NS, "Hint", NULL, m.hint.b, JXTA_ID_BYTES), 0);
    ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), JXTA_EPROTO);
    jxta_msg_free(msg);
    juxmem_pmsg_clear(&m);

    /* per-type rules */
    sample(&m, JUXMEM_MSG_UPDATE); /* overlapping ranges */
    ck_assert_int_eq(juxmem_pmsg_add_range(&m, 12, "x", 1), 0);
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_UPDATE); /* past the block */
    ck_assert_int_eq(juxmem_pmsg_add_range(&m, 63, "xy", 2), 0);
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_RELEASE); /* offset + length wraps */
    ck_assert_int_eq(juxmem_pmsg_add_range(&m, UINT64_MAX - 1, "xyz", 3), 0);
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_UPDATE);
    m.version = 0;
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_UPDATE);
    m.token = 0;
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_RELEASE);
    m.token = 0; /* only a cancel may have no token */
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_RELEASE);
    m.flags = JUXMEM_F_CANCEL; /* a cancel carries no data and names its acquire */
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_ACQUIRE);
    m.mode = 3;
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_ACQUIRE);
    m.flags = JUXMEM_F_CANCEL;
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_ACQUIRE);
    m.status = JUXMEM_ESTALE; /* requests carry no status */
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_DENY);
    m.status = 0;
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_DENY);
    m.hint = jxta_id_null;
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_DENY);
    m.hint = m.data; /* a group as hint */
    expect_refused(&m, JXTA_EBADID);
    sample(&m, JUXMEM_MSG_GRANT);
    m.size = 6; /* data no longer the whole block */
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_GRANT);
    m.flags = 0;
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_STATE);
    juxmem_pmsg_clear(&m);
    m.nmembers = 0;
    m.size = 3;
    ck_assert_int_eq(juxmem_pmsg_add_range(&m, 0, "abc", 3), 0);
    expect_refused(&m, JXTA_EPROTO); /* STATE without members */
    sample(&m, JUXMEM_MSG_STATE);
    m.ranges[1].len = JUXMEM_HISTORY_ENTRY - 1; /* not whole pairs */
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_STATE);
    m.ranges[1].offset = 4; /* the history starts right after the block */
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_STATE);
    ck_assert_int_eq(juxmem_pmsg_add_range(&m, 40, "x", 1), 0); /* a third range */
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_VOTE);
    m.epoch = 0; /* a term is never 0 */
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_VOTED);
    m.status = -99999; /* not a status */
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_VOTE);
    m.nranges = 0;
    ck_assert_int_eq(juxmem_pmsg_add_range(&m, 0, "x", 1), 0); /* no data in a vote */
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_ALLOC);
    m.size = 0;
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_DATA);
    m.status = JUXMEM_ERANGE;
    expect_refused(&m, JXTA_EPROTO); /* an error with data */
    sample(&m, JUXMEM_MSG_READ);
    m.size = 0;
    expect_refused(&m, JXTA_ERANGE);
    sample(&m, JUXMEM_MSG_READ);
    m.size = JUXMEM_PROTO_MAX_READ + 1;
    expect_refused(&m, JXTA_ETOOBIG);
    sample(&m, JUXMEM_MSG_ACK);
    m.type = (juxmem_msg_type_t)77;
    expect_refused(&m, JXTA_EPROTO);
    sample(&m, JUXMEM_MSG_ACK);
    m.from = m.data; /* sender must be a peer */
    expect_refused(&m, JXTA_EBADID);

    /* counts */
    sample(&m, JUXMEM_MSG_RELEASE);
    juxmem_pmsg_clear(&m);
    for (uint64_t i = 0; i < JUXMEM_PROTO_MAX_RANGES; i++)
        ck_assert_int_eq(juxmem_pmsg_add_range(&m, i * 2, "r", 1), 0);
    ck_assert_int_eq(juxmem_pmsg_check(&m), 0);
    ck_assert_int_eq(juxmem_pmsg_add_range(&m, 1u << 20, "r", 1), JXTA_ETOOBIG);
    ck_assert_int_eq(jxta_msg_new(&msg), 0);
    ck_assert_int_eq(juxmem_pmsg_encode(&m, msg), 0);
    uint8_t one[9] = {0, 0, 0, 0, 0, 0x10, 0, 0, 'r'};
    ck_assert_int_eq(jxta_msg_add(msg, JUXMEM_PROTO_NS, "Range", NULL, one, sizeof one), 0);
    ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), JXTA_ETOOBIG);
    jxta_msg_free(msg);
    juxmem_pmsg_clear(&m);
    sample(&m, JUXMEM_MSG_HEARTBEAT);
    juxmem_pmsg_clear(&m);
    for (unsigned i = 0; i < JUXMEM_MAX_COPIES; i++) {
        jxta_id_t pi = peer(100 + i);
        ck_assert_int_eq(juxmem_pmsg_add_member(&m, &pi, "c"), 0);
    }
    ck_assert_int_eq(juxmem_pmsg_check(&m), 0);
    ck_assert_int_eq(jxta_msg_new(&msg), 0);
    ck_assert_int_eq(juxmem_pmsg_encode(&m, msg), 0);
    jxta_id_t extra_peer = peer(999);
    ck_assert_int_eq(jxta_msg_add(msg, JUXMEM_PROTO_NS, "Member", NULL, extra_peer.b,
                                  JXTA_ID_BYTES),
                     0);
    ck_assert_int_eq(juxmem_pmsg_decode(msg, &back), JXTA_ETOOBIG);
    jxta_msg_free(msg);
    juxmem_pmsg_clear(&m);
    /* bad wire bytes */
    ck_assert_int_eq(juxmem_pmsg_from_wire("jxmgXXXX", 8, &back), JXTA_EVERSION);
    tu_log_release();
}
END_TEST

/* ---- IDs ---------------------------------------------------------------------- */

START_TEST(derived_ids)
{
    jxta_id_t g1, g2, c1, c2, c3, d1, d2, parent;
    ck_assert_int_eq(juxmem_group_id(&g1), 0);
    ck_assert_int_eq(juxmem_group_id(&g2), 0);
    ck_assert(jxta_id_equal(&g1, &g2));
    ck_assert_int_eq(jxta_id_kind(&g1), JXTA_ID_GROUP);
    ck_assert_int_eq(jxta_id_parent_of(&g1, &parent), 0);
    ck_assert(jxta_id_is_net_group(&parent));
    ck_assert_int_eq(juxmem_cluster_group_id("rennes-paraquad-cluster-A", &c1), 0);
    ck_assert_int_eq(juxmem_cluster_group_id("rennes-paraquad-cluster-A", &c2), 0);
    ck_assert_int_eq(juxmem_cluster_group_id("rennes-paraquad-cluster-B", &c3), 0);
    ck_assert(jxta_id_equal(&c1, &c2));
    ck_assert(!jxta_id_equal(&c1, &c3)); /* names longer than 16 bytes still differ */
    ck_assert_int_eq(jxta_id_parent_of(&c1, &parent), 0); /* parent: the juxmem group's UUID */
    ck_assert(memcmp(jxta_id_uuid(&parent, 0), jxta_id_uuid(&g1, 0), JXTA_UUID_BYTES) == 0);
    ck_assert_int_eq(juxmem_data_id_new(&d1), 0);
    ck_assert_int_eq(juxmem_data_id_new(&d2), 0);
    ck_assert(!jxta_id_equal(&d1, &d2));
    ck_assert_int_eq(jxta_id_parent_of(&d1, &parent), 0);
    ck_assert(memcmp(jxta_id_uuid(&parent, 0), jxta_id_uuid(&g1, 0), JXTA_UUID_BYTES) == 0);
    tu_log_capture();
    ck_assert_int_eq(juxmem_cluster_group_id("", &c1), JXTA_EINVAL);
    ck_assert_int_eq(juxmem_cluster_group_id(NULL, &c1), JXTA_EINVAL);
    char longname[JUXMEM_CLUSTER_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(juxmem_cluster_group_id(longname, &c1), JXTA_EINVAL);
    ck_assert_int_eq(juxmem_cluster_group_id("\xC3\x28", &c1), JXTA_EINVAL);
    tu_log_release();
}
END_TEST

/* ---- advertisements ------------------------------------------------------------- */

static jxta_adv_t *reparse(const jxta_adv_t *adv, int want)
{
    char *text;
    ck_assert_int_eq(jxta_adv_to_string(adv, 0, &text), 0);
    jxta_adv_t *back = NULL;
    ck_assert_int_eq(jxta_adv_parse(text, strlen(text), &back), want);
    free(text);
    return back;
}

START_TEST(memory_advertisement)
{
    ck_assert_int_eq(juxmem_adv_register(), 0);
    ck_assert_int_eq(juxmem_adv_register(), 0); /* idempotent */
    ck_assert_ptr_eq(jxta_adv_lookup_name("jxta:JuxMemMemory"), &juxmem_adv_type_memory);
    juxmem_memory_info_t in = {peer(1), "alpha", 1ull << 40, 12345}, out;
    jxta_adv_t *adv;
    ck_assert_int_eq(juxmem_memory_adv_new(&in, &adv), 0);
    jxta_adv_t *back = reparse(adv, 0);
    ck_assert_ptr_eq(jxta_adv_type(back), &juxmem_adv_type_memory);
    ck_assert_int_eq(jxta_adv_dir(back), JXTA_ADV_DIR_ADV);
    ck_assert_int_eq(juxmem_memory_adv_get(back, &out), 0);
    ck_assert(jxta_id_equal(&out.provider, &in.provider));
    ck_assert_str_eq(out.cluster, "alpha");
    ck_assert_uint_eq(out.offered, in.offered);
    ck_assert_uint_eq(out.free_bytes, in.free_bytes);
    jxta_id_t id;
    ck_assert_int_eq(jxta_adv_id(back, &id), 0);
    ck_assert(jxta_id_equal(&id, &in.provider));
    jxta_adv_index_entry_t ix[4];
    ck_assert_uint_eq(jxta_adv_index(back, ix, 4), 2);
    ck_assert_str_eq(ix[1].name, "Cluster");
    ck_assert_str_eq(ix[1].value, "alpha");
    jxta_adv_free(back);

    tu_log_capture();
    /* hostile values are refused on parse */
    const struct {
        const char *field, *value;
        int err;
    } bad[] = {
        {"Free", "99999999999999999999999", JXTA_ERANGE}, {"Free", "-1", JXTA_ERANGE},
        {"Free", "012", JXTA_ERANGE},  {"Offered", "1", JXTA_ERANGE}, /* free > offered */
        {"Offered", "", JXTA_ERANGE},  {"Free", "1 2", JXTA_ERANGE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jxta_adv_t *c;
        ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
        ck_assert_int_eq(jxta_adv_set(c, bad[i].field, bad[i].value), 0);
        size_t logs = tu_log_count();
        ck_assert_ptr_null(reparse(c, bad[i].err));
        ck_assert_uint_gt(tu_log_count(), logs);
        jxta_adv_free(c);
    }
    jxta_adv_t *c;
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_set(c, "Cluster", NULL), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EMISSING));
    jxta_adv_free(c);
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    jxta_id_t g;
    ck_assert_int_eq(juxmem_group_id(&g), 0);
    ck_assert_int_eq(jxta_adv_set_id(c, "PeerID", &g), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EBADID));
    jxta_adv_free(c);
    in.free_bytes = in.offered + 1;
    ck_assert_int_eq(juxmem_memory_adv_new(&in, &c), JXTA_EINVAL);
    jxta_adv_t *pa;
    ck_assert_int_eq(jxta_pa_new(&in.provider, &jxta_id_net_group, NULL, &pa), 0);
    ck_assert_int_eq(juxmem_memory_adv_get(pa, &out), JXTA_EADVTYPE);
    jxta_adv_free(pa);
    tu_log_release();
    jxta_adv_free(adv);
}
END_TEST

START_TEST(cluster_advertisement)
{
    ck_assert_int_eq(juxmem_adv_register(), 0);
    juxmem_cluster_info_t *in = calloc(1, sizeof *in), *out = calloc(1, sizeof *out);
    strcpy(in->name, "beta");
    ck_assert_int_eq(juxmem_cluster_group_id("beta", &in->group), 0);
    in->nmanagers = 2;
    in->managers[0] = peer(1);
    in->managers[1] = peer(2);
    in->nproviders = 3;
    for (unsigned i = 0; i < 3; i++)
        in->providers[i] = peer(10 + i);
    in->free_bytes = 3ull << 30;
    jxta_adv_t *adv;
    ck_assert_int_eq(juxmem_cluster_adv_new(in, &adv), 0);
    jxta_adv_t *back = reparse(adv, 0);
    ck_assert_ptr_eq(jxta_adv_type(back), &juxmem_adv_type_cluster);
    ck_assert_int_eq(juxmem_cluster_adv_get(back, out), 0);
    ck_assert_str_eq(out->name, "beta");
    ck_assert(jxta_id_equal(&out->group, &in->group));
    ck_assert_uint_eq(out->nmanagers, 2);
    ck_assert(jxta_id_equal(&out->managers[1], &in->managers[1]));
    ck_assert_uint_eq(out->nproviders, 3);
    ck_assert(jxta_id_equal(&out->providers[2], &in->providers[2]));
    ck_assert_uint_eq(out->free_bytes, in->free_bytes);
    jxta_adv_index_entry_t ix[4];
    ck_assert_uint_eq(jxta_adv_index(back, ix, 4), 2);
    ck_assert_str_eq(ix[0].name, "Name");
    ck_assert_str_eq(ix[0].value, "beta");
    jxta_adv_free(back);

    tu_log_capture();
    jxta_adv_t *c;
    /* the GID must be the one derived from the name */
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_set(c, "Name", "gamma"), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EBADID));
    jxta_adv_free(c);
    /* a manager that is not a peer */
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_add(c, "Provider", "urn:jxta:jxta-NetGroup", NULL), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EBADID));
    jxta_adv_free(c);
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_set(c, "Manager", NULL), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EMISSING));
    jxta_adv_free(c);
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_set(c, "Free", "x"), 0);
    ck_assert_ptr_null(reparse(c, JXTA_ERANGE));
    jxta_adv_free(c);
    /* too many providers */
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    jxta_id_text_t t;
    for (unsigned i = 0; i < JUXMEM_CLUSTER_MAX_PROVIDERS; i++) {
        jxta_id_t pi = peer(1000 + i);
        ck_assert_int_eq(jxta_adv_add(c, "Provider", jxta_id_str(&pi, &t), NULL), 0);
    }
    ck_assert_ptr_null(reparse(c, JXTA_ETOOBIG));
    jxta_adv_free(c);
    in->group = in->managers[0];
    ck_assert_int_eq(juxmem_cluster_adv_new(in, &c), JXTA_EINVAL);
    tu_log_release();
    jxta_adv_free(adv);
    free(in);
    free(out);
}
END_TEST

START_TEST(block_advertisement)
{
    ck_assert_int_eq(juxmem_adv_register(), 0);
    juxmem_block_adv_info_t *in = calloc(1, sizeof *in), *out = calloc(1, sizeof *out);
    in->data = block_id();
    in->size = 1ull << 33;
    in->clusters = 2;
    in->providers = 2;
    in->ncopies = 4;
    for (unsigned i = 0; i < 4; i++) {
        in->copies[i].peer = peer(30 + i);
        if (i != 3)
            snprintf(in->copies[i].cluster, sizeof in->copies[i].cluster, "c%u", i / 2);
    }
    jxta_adv_t *adv;
    ck_assert_int_eq(juxmem_block_adv_new(in, &adv), 0);
    jxta_adv_t *back = reparse(adv, 0);
    ck_assert_ptr_eq(jxta_adv_type(back), &juxmem_adv_type_block);
    ck_assert_int_eq(juxmem_block_adv_get(back, out), 0);
    ck_assert(jxta_id_equal(&out->data, &in->data));
    ck_assert_uint_eq(out->size, in->size);
    ck_assert_uint_eq(out->clusters, 2);
    ck_assert_uint_eq(out->providers, 2);
    ck_assert_uint_eq(out->ncopies, 4);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert(jxta_id_equal(&out->copies[i].peer, &in->copies[i].peer));
        ck_assert_str_eq(out->copies[i].cluster, in->copies[i].cluster);
    }
    jxta_adv_index_entry_t ix[2];
    ck_assert_uint_eq(jxta_adv_index(back, ix, 2), 1);
    ck_assert_str_eq(ix[0].name, "Id");
    jxta_adv_free(back);
    tu_log_capture();
    jxta_adv_t *c;
    jxta_id_t g;
    ck_assert_int_eq(juxmem_group_id(&g), 0); /* not a block of the juxmem group */
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_set_id(c, "Id", &g), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EBADID));
    jxta_adv_free(c);
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_set(c, "Size", "0"), 0);
    ck_assert_ptr_null(reparse(c, JXTA_ERANGE));
    jxta_adv_free(c);
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_set(c, "Providers", "65"), 0);
    ck_assert_ptr_null(reparse(c, JXTA_ERANGE));
    jxta_adv_free(c);
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    jxta_xml_node_t *cp;
    ck_assert_int_eq(jxta_adv_add(c, "Copy", NULL, &cp), 0);
    ck_assert_int_eq(jxta_xml_add(cp, "Cluster", "c9", NULL), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EBADID)); /* a copy without PID */
    jxta_adv_free(c);
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_add(c, "Copy", NULL, &cp), 0);
    jxta_id_text_t t;
    ck_assert_int_eq(jxta_xml_add(cp, "PID", jxta_id_str(&in->copies[0].peer, &t), NULL), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EPROTO)); /* a copy twice */
    jxta_adv_free(c);
    ck_assert_int_eq(jxta_adv_clone(adv, &c), 0);
    ck_assert_int_eq(jxta_adv_set(c, "Copy", NULL), 0);
    ck_assert_ptr_null(reparse(c, JXTA_EMISSING));
    jxta_adv_free(c);
    in->ncopies = 0;
    ck_assert_int_eq(juxmem_block_adv_new(in, &c), JXTA_EINVAL);
    tu_log_release();
    jxta_adv_free(adv);
    free(in);
    free(out);
}
END_TEST

START_TEST(choose_providers)
{
    juxmem_memory_info_t offers[5];
    memset(offers, 0, sizeof offers);
    const uint64_t free_bytes[5] = {100, 500, 300, 500, 50};
    for (unsigned i = 0; i < 5; i++) {
        offers[i].provider = peer(20 + i);
        offers[i].offered = 1000;
        offers[i].free_bytes = free_bytes[i];
    }
    offers[4].provider = offers[1].provider; /* the same provider advertised twice */
    size_t ch[4];
    ck_assert_int_eq(juxmem_choose_providers(offers, 5, 200, 3, ch), 0);
    int low13 = jxta_id_cmp(&offers[1].provider, &offers[3].provider) < 0;
    ck_assert_uint_eq(ch[0], low13 ? 1 : 3); /* most free first, ties by peer ID */
    ck_assert_uint_eq(ch[1], low13 ? 3 : 1);
    ck_assert_uint_eq(ch[2], 2);
    ck_assert_int_eq(juxmem_choose_providers(offers, 5, 200, 4, ch), JUXMEM_ENOSPACE);
    ck_assert_int_eq(juxmem_choose_providers(offers, 5, 100, 4, ch), 0);
    ck_assert_uint_eq(ch[3], 0);
    ck_assert_int_eq(juxmem_choose_providers(offers, 5, 501, 1, ch), JUXMEM_ENOSPACE);
    tu_log_capture();
    ck_assert_int_eq(juxmem_choose_providers(offers, 5, 1, 0, ch), JXTA_EINVAL);
    tu_log_release();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("juxmem_proto");
    TCase *tc = tcase_create("messages");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, round_trip_every_type);
    tcase_add_test(tc, truncation_at_every_offset);
    tcase_add_test(tc, hostile_values);
    suite_add_tcase(s, tc);
    TCase *ta = tcase_create("advertisements");
    tcase_add_test(ta, derived_ids);
    tcase_add_test(ta, memory_advertisement);
    tcase_add_test(ta, cluster_advertisement);
    tcase_add_test(ta, choose_providers);
    tcase_add_test(ta, block_advertisement);
    suite_add_tcase(s, ta);
    return tu_run(s);
}
