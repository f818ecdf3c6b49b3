/* test_replay.c - captured Java conversations replayed through the C
 * transport, endpoint and router over a real loopback socket, and hostile
 * streams sent the same way.
 *
 * Replay: for each captured direction, a C endpoint takes the identity of
 * the receiving Java peer and a raw socket plays the sender's bytes
 * (welcome line and frames) at it.  The expected destination of every
 * frame is worked out independently from the capture (the router header's
 * <Dest> when there is one, else EndpointDestinationAddress) and every
 * frame must be delivered exactly there.
 *
 * Hostile: mutated copies of the captures (truncated, bytes flipped,
 * absurd lengths, garbage) go over fresh sockets while a well-behaved C
 * peer keeps talking to the same endpoint: each bad connection is logged
 * and dropped, the good one is never disturbed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jxta.h>

#include "testutil.h"

#define MAX_KEYS 64

typedef struct {
    jxta_id_t group;
    char service[JXTA_ADDR_SERVICE_MAX];
    char param[JXTA_ADDR_PARAM_MAX];
    int expected, got;
} key_t_;

typedef struct {
    key_t_ keys[MAX_KEYS];
    int nkeys;
    int total_expected, total_got;
} expect_t;

static key_t_ *key_get(expect_t *x, const jxta_id_t *g, const char *svc, const char *param)
{
    for (int i = 0; i < x->nkeys; i++)
        if (jxta_id_equal(&x->keys[i].group, g) && !strcmp(x->keys[i].service, svc) &&
            !strcmp(x->keys[i].param, param))
            return &x->keys[i];
    ck_assert_int_lt(x->nkeys, MAX_KEYS);
    key_t_ *k = &x->keys[x->nkeys++];
    memset(k, 0, sizeof *k);
    k->group = *g;
    snprintf(k->service, sizeof k->service, "%s", svc);
    snprintf(k->param, sizeof k->param, "%s", param);
    return k;
}

static void on_delivery(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    expect_t *x = ud;
    (void)m;
    key_t_ *k = key_get(x, info->group, info->dst->service, info->dst->param);
    k->got++;
    x->total_got++;
}

static int text_between(const char *s, size_t n, const char *open, const char *close, char *out,
                        size_t cap)
{
    const char *a = memmem(s, n, open, strlen(open));
    if (!a)
        return 0;
    a += strlen(open);
    const char *b = memmem(a, n - (size_t)(a - s), close, strlen(close));
    if (!b || (size_t)(b - a) >= cap)
        return 0;
    memcpy(out, a, (size_t)(b - a));
    out[b - a] = '\0';
    return 1;
}

/* Where the capture says this message goes, or 0 if it is not for `self`. */
static int expected_dest(const jxta_msg_t *m, const jxta_id_t *self, jxta_id_t *group,
                         jxta_addr_t *dst)
{
    const jxta_msg_elem_t *erm = jxta_msg_find(m, "jxta", "EndpointRouterMsg");
    const jxta_msg_elem_t *eda = jxta_msg_find(m, "jxta", "EndpointDestinationAddress");
    ck_assert_ptr_nonnull(eda);
    size_t len;
    const char *b = (const char *)jxta_msg_elem_body(eda, &len);
    jxta_addr_t a;
    char uv[JXTA_ADDR_SERVICE_MAX], urn[JXTA_ADDR_SERVICE_MAX + 16];
    ck_assert_int_eq(jxta_addr_parse(&a, b, len), 0);
    *group = jxta_id_world_group;
    if (jxta_addr_demangle(dst, &a, uv, sizeof uv) == 1) {
        snprintf(urn, sizeof urn, "urn:jxta:%s", uv);
        ck_assert_int_eq(jxta_id_parse(group, urn, strlen(urn), JXTA_ID_PARSE_LENIENT), 0);
    }
    if (strcmp(dst->service, "EndpointRouter") != 0)
        return 1;
    ck_assert_ptr_nonnull(erm);
    char dest[1024];
    b = (const char *)jxta_msg_elem_body(erm, &len);
    ck_assert(text_between(b, len, "<Dest>", "</Dest>", dest, sizeof dest));
    ck_assert_int_eq(jxta_addr_from_string(&a, dest), 0);
    jxta_id_t to;
    ck_assert_int_eq(jxta_addr_peer_id(&a, &to), 0);
    if (!jxta_id_equal(&to, self))
        return 0;
    if (jxta_addr_demangle(dst, &a, uv, sizeof uv) == 1) {
        snprintf(urn, sizeof urn, "urn:jxta:%s", uv);
        ck_assert_int_eq(jxta_id_parse(group, urn, strlen(urn), JXTA_ID_PARSE_LENIENT), 0);
    } else {
        *group = jxta_id_net_group; /* the router runs in the Net group */
    }
    return 1;
}

static int raw_connect(jxta_endpoint_t *ep)
{
    char host[64];
    uint16_t port;
    ck_assert_int_eq(jxta_addr_tcp_hostport(jxta_tcp_public_addr(jxta_endpoint_tcp(ep)), host,
                                            sizeof host, &port),
                     0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Write all of [p, p+n) on a non-blocking socket while running the loop;
 * returns 0, or -1 if the peer closed the connection first. */
static int play(jxta_loop_t *l, int fd, const uint8_t *p, size_t n)
{
    size_t off = 0;
    char sink[4096];
    for (int i = 0; i < 20000 && off < n; i++) {
        ssize_t w = send(fd, p + off, n - off, MSG_NOSIGNAL);
        if (w > 0)
            off += (size_t)w;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        while (recv(fd, sink, sizeof sink, 0) > 0) /* the peer's welcome */
            ;
        jxta_loop_run_once(l, w > 0 ? 0 : 5);
    }
    return off == n ? 0 : -1;
}

static jxta_endpoint_t *mk_endpoint(jxta_loop_t *l, const jxta_id_t *id, int listen)
{
    jxta_tcp_config_t cfg;
    jxta_tcp_config_default(&cfg);
    cfg.peer_id = *id;
    cfg.listen = listen;
    cfg.first_frame_delay_ms = 0;
    cfg.welcome_timeout_ms = 2000;
    jxta_endpoint_t *ep;
    ck_assert_int_eq(jxta_endpoint_new(l, &cfg, &ep), 0);
    return ep;
}

static void replay_one(const char *dir, const char *name, const char *peer_name)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/%s", dir, name);
    char *path = tu_vector_path(rel);
    size_t len;
    uint8_t *bytes = tu_read(path, &len);
    jxta_stream_t *s, *peer_s;
    ck_assert_int_eq(jxta_stream_parse(bytes, len, NULL, &s, NULL), 0);
    snprintf(rel, sizeof rel, "%s/%s", dir, peer_name);
    char *ppath = tu_vector_path(rel);
    size_t plen;
    uint8_t *pbytes = tu_read(ppath, &plen);
    ck_assert_int_eq(jxta_stream_parse(pbytes, plen, NULL, &peer_s, NULL), 0);
    /* The C endpoint stands in for the receiving Java peer. */
    jxta_id_t self = peer_s->welcome.peer;

    expect_t x;
    memset(&x, 0, sizeof x);
    for (size_t i = 0; i < s->nframes; i++) {
        jxta_msg_t *m;
        ck_assert_int_eq(jxta_frame_decode_msg(s->frames[i], NULL, &m), 0);
        jxta_id_t g;
        jxta_addr_t d;
        if (expected_dest(m, &self, &g, &d)) {
            key_t_ *k = key_get(&x, &g, d.service, d.param);
            k->expected++;
            x.total_expected++;
        }
        jxta_msg_free(m);
    }
    ck_assert_int_gt(x.total_expected, 0);

    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_endpoint_t *ep = mk_endpoint(l, &self, 1);
    for (int i = 0; i < x.nkeys; i++)
        ck_assert_int_eq(jxta_endpoint_listen(ep, &x.keys[i].group, x.keys[i].service,
                                              x.keys[i].param, on_delivery, &x),
                         0);
    int fd = raw_connect(ep);
    ck_assert_int_eq(play(l, fd, bytes, len), 0);
    for (int i = 0; i < 2000 && x.total_got < x.total_expected; i++)
        jxta_loop_run_once(l, 5);
    for (int i = 0; i < x.nkeys; i++)
        ck_assert_msg(x.keys[i].got == x.keys[i].expected, "%s: %s/%s delivered %d, expected %d",
                      name, x.keys[i].service, x.keys[i].param, x.keys[i].got,
                      x.keys[i].expected);
    ck_assert_int_eq(x.total_got, x.total_expected);
    close(fd);
    jxta_endpoint_free(ep);
    jxta_loop_free(l);
    jxta_stream_free(s);
    jxta_stream_free(peer_s);
    free(bytes);
    free(pbytes);
    free(path);
    free(ppath);
}

static void replay_dir(const char *conv)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/decoded/streams", conv);
    char *full = tu_vector_path(dir);
    char **names;
    size_t n = tu_list(full, ".c2s.bin", &names);
    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        char other[512];
        snprintf(other, sizeof other, "%.*s.s2c.bin", (int)(strlen(names[i]) - 8), names[i]);
        replay_one(dir, names[i], other);
        replay_one(dir, other, names[i]);
    }
    tu_free_list(names);
    free(full);
}

START_TEST(test_replay_edge_listening)
{
    replay_dir("edge-listening");
}
END_TEST

START_TEST(test_replay_minimal_edge)
{
    replay_dir("minimal-edge");
}
END_TEST

/* ---- hostile streams -------------------------------------------------- */

static int good_got;
static void good_fn(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    (void)ud;
    (void)m;
    (void)info;
    good_got++;
}

static unsigned rng = 2463534242u;
static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

START_TEST(test_hostile_streams_over_sockets)
{
    char *path = tu_vector_path("minimal-edge/decoded/streams");
    char **names;
    ck_assert_uint_gt(tu_list(path, ".bin", &names), 0);
    char file[1024];
    snprintf(file, sizeof file, "%s/%s", path, names[0]);
    size_t len;
    uint8_t *orig = tu_read(file, &len);
    tu_free_list(names);
    free(path);

    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_id_t ida, idb;
    jxta_id_new_peer(&ida, &jxta_id_net_group);
    jxta_id_new_peer(&idb, &jxta_id_net_group);
    jxta_endpoint_t *a = mk_endpoint(l, &ida, 1), *b = mk_endpoint(l, &idb, 0);
    ck_assert_int_eq(jxta_endpoint_listen(a, &jxta_id_net_group, "Good", NULL, good_fn, NULL), 0);
    char dest[256];
    jxta_addr_format(jxta_tcp_public_addr(jxta_endpoint_tcp(a)), dest, sizeof dest);
    strcat(dest, "/Good");
    jxta_addr_t gd;
    jxta_addr_from_string(&gd, dest);

    tu_log_capture();
    uint8_t *buf = malloc(len + 64);
    int sent_good = 0;
    enum { VARIANTS = 120 };
    for (int v = 0; v < VARIANTS; v++) {
        size_t n = len;
        memcpy(buf, orig, len);
        switch (v % 4) {
        case 0: /* truncated anywhere */
            n = next_rand() % len;
            break;
        case 1: /* a few bytes flipped */
            for (int k = 0; k < 4; k++)
                buf[next_rand() % len] ^= (uint8_t)(1 + next_rand() % 255);
            break;
        case 2: { /* an absurd content-length right after the welcome */
            const uint8_t *crlf = memmem(buf, len, "\r\n", 2);
            size_t at = (size_t)(crlf - buf) + 2 + 0x36;
            memset(buf + at, 0xFF, 8);
            break;
        }
        default: /* garbage after the welcome line */
            for (size_t k = 140; k < len; k++)
                buf[k] = (uint8_t)next_rand();
        }
        int fd = raw_connect(a);
        play(l, fd, buf, n);
        close(fd);
        /* meanwhile the good peer keeps talking */
        jxta_msg_t *m;
        jxta_msg_new(&m);
        jxta_msg_add_text(m, "", "n", "x");
        ck_assert_int_eq(jxta_endpoint_send(b, &jxta_id_net_group, m, &gd, NULL, NULL), 0);
        jxta_msg_free(m);
        sent_good++;
        jxta_loop_run_once(l, 0);
    }
    /* Every good message arrives; every hostile connection is gone. */
    for (int i = 0; i < 3000 && (good_got < sent_good || jxta_tcp_conn_count(jxta_endpoint_tcp(a)) > 1);
         i++)
        jxta_loop_run_once(l, 5);
    ck_assert_int_eq(good_got, sent_good);
    ck_assert_uint_eq(jxta_tcp_conn_count(jxta_endpoint_tcp(a)), 1);
    ck_assert(jxta_endpoint_connected(a, &idb));
    ck_assert_uint_ge(tu_log_count(), VARIANTS / 4);
    tu_log_release();
    free(buf);
    free(orig);
    jxta_endpoint_free(b);
    jxta_endpoint_free(a);
    jxta_loop_free(l);
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_replay_edge_listening);
    tcase_add_test(tc, test_replay_minimal_edge);
    tcase_add_test(tc, test_hostile_streams_over_sockets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(replay_suite());
}
