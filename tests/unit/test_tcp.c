/* test_tcp.c - the TCP transport between two in-process peers on one loop
 * (127.0.0.1, ephemeral ports): welcome exchange and peer identification,
 * ordered delivery both ways over one connection, send outcomes, queue
 * back-pressure, message-version negotiation, and the hostile cases: no
 * welcome, a bad welcome, an absurd frame length, a refused connect with
 * back-off, idle close.  Every wait is a bounded loop on a condition. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jxta.h>
#include <jxta/tcp.h>

#include "testutil.h"

typedef struct {
    jxta_tcp_t *t;
    jxta_id_t id;
    int ups, downs, last_down_err;
    jxta_tcp_conn_t *last_conn;
    size_t nmsgs;
    long last_seq;
    int out_of_order;
    char last_src[256], last_dst[512];
} peer_t;

static void on_up(void *ud, jxta_tcp_conn_t *c)
{
    peer_t *p = ud;
    p->ups++;
    p->last_conn = c;
}

static void on_down(void *ud, jxta_tcp_conn_t *c, int err)
{
    peer_t *p = ud;
    p->downs++;
    p->last_down_err = err;
    if (p->last_conn == c)
        p->last_conn = NULL;
}

static void elem_text(const jxta_msg_t *m, const char *ns, const char *name, char *out, size_t cap)
{
    const jxta_msg_elem_t *e = jxta_msg_find(m, ns, name);
    size_t len = 0;
    const uint8_t *b = e ? jxta_msg_elem_body(e, &len) : NULL;
    snprintf(out, cap, "%.*s", (int)len, b ? (const char *)b : "");
}

static void on_msg(void *ud, jxta_tcp_conn_t *c, jxta_msg_t *m)
{
    peer_t *p = ud;
    (void)c;
    char seq[32];
    elem_text(m, "", "seq", seq, sizeof seq);
    long s = atol(seq);
    if (s != p->last_seq + 1)
        p->out_of_order = 1;
    p->last_seq = s;
    p->nmsgs++;
    elem_text(m, "jxta", "EndpointSourceAddress", p->last_src, sizeof p->last_src);
    elem_text(m, "jxta", "EndpointDestinationAddress", p->last_dst, sizeof p->last_dst);
    jxta_msg_free(m);
}

static const jxta_tcp_events_t events = {on_up, on_down, on_msg};

static void peer_start(jxta_loop_t *l, peer_t *p, int listen, void (*tweak)(jxta_tcp_config_t *))
{
    memset(p, 0, sizeof *p);
    jxta_tcp_config_t cfg;
    jxta_tcp_config_default(&cfg);
    ck_assert_int_eq(jxta_id_new_peer(&p->id, &jxta_id_net_group), 0);
    cfg.peer_id = p->id;
    cfg.listen = listen;
    cfg.first_frame_delay_ms = 20;
    if (tweak)
        tweak(&cfg);
    ck_assert_int_eq(jxta_tcp_new(l, &cfg, &events, p, &p->t), 0);
}

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 30)

static jxta_msg_t *seq_msg(long seq, size_t pad)
{
    jxta_msg_t *m;
    char s[32];
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    snprintf(s, sizeof s, "%ld", seq);
    ck_assert_int_eq(jxta_msg_add_text(m, "", "seq", s), 0);
    if (pad) {
        uint8_t *b = calloc(1, pad);
        ck_assert_int_eq(jxta_msg_add_owned(m, "", "pad", NULL, b, pad), 0);
    }
    return m;
}

static int sent_ok, sent_fail;
static void count_sent(void *ud, int status)
{
    (void)ud;
    if (status == 0)
        sent_ok++;
    else
        sent_fail++;
}

static void server_addr(peer_t *srv, const char *service, jxta_addr_t *out)
{
    ck_assert_int_eq(jxta_addr_with_service(out, jxta_tcp_public_addr(srv->t), service, NULL),
                     0);
}

START_TEST(test_exchange_both_ways)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t a, b;
    peer_start(l, &a, 1, NULL);
    peer_start(l, &b, 0, NULL);
    jxta_addr_t dest;
    server_addr(&a, "Svc", &dest);
    jxta_tcp_conn_t *c;
    ck_assert_int_eq(jxta_tcp_connect(b.t, &dest, &c), 0);
    /* Queued before the welcome completes: sent after it, in order. */
    sent_ok = sent_fail = 0;
    enum { N = 500 };
    for (long i = 1; i <= N; i++) {
        jxta_msg_t *m = seq_msg(i, (size_t)(i % 7) * 100);
        ck_assert_int_eq(jxta_tcp_send(c, m, &dest, count_sent, NULL), 0);
        jxta_msg_free(m);
    }
    RUN_UNTIL(l, a.nmsgs == N);
    ck_assert(!a.out_of_order);
    ck_assert_int_eq(sent_ok, N);
    ck_assert_int_eq(a.ups, 1);
    ck_assert_int_eq(b.ups, 1);
    /* Each side identified the other from its welcome. */
    ck_assert(jxta_id_equal(jxta_tcp_conn_peer(a.last_conn), &b.id));
    ck_assert(jxta_id_equal(jxta_tcp_conn_peer(c), &a.id));
    ck_assert(jxta_tcp_conn_incoming(a.last_conn));
    ck_assert_int_eq(jxta_tcp_conn_msg_version(c), JXTA_MSG_V0);
    ck_assert_str_eq(jxta_tcp_conn_remote_public(a.last_conn)->host, "127.0.0.1:0");
    /* Transport elements were set by the sender's transport. */
    ck_assert_str_eq(a.last_src, "tcp://127.0.0.1:0");
    char want[256];
    jxta_addr_format(&dest, want, sizeof want);
    ck_assert_str_eq(a.last_dst, want);
    /* The reply goes back over the same (incoming) connection. */
    ck_assert_ptr_eq(jxta_tcp_conn_for_peer(a.t, &b.id), a.last_conn);
    jxta_addr_t back;
    ck_assert_int_eq(jxta_addr_set(&back, "tcp", "127.0.0.1:0", "Reply", NULL), 0);
    for (long i = 1; i <= 10; i++) {
        jxta_msg_t *m = seq_msg(i, 0);
        ck_assert_int_eq(jxta_tcp_send(a.last_conn, m, &back, NULL, NULL), 0);
        jxta_msg_free(m);
    }
    RUN_UNTIL(l, b.nmsgs == 10);
    ck_assert(!b.out_of_order);
    ck_assert_uint_eq(jxta_tcp_conn_count(a.t), 1);
    /* Close from one side: both see it go down. */
    jxta_tcp_close(c, 0);
    RUN_UNTIL(l, a.downs == 1 && b.downs == 1);
    ck_assert_int_eq(a.last_down_err, JXTA_ECLOSED);
    ck_assert_uint_eq(jxta_tcp_conn_count(a.t), 0);
    jxta_tcp_free(a.t);
    jxta_tcp_free(b.t);
    jxta_loop_free(l);
}
END_TEST

static void small_queue(jxta_tcp_config_t *cfg)
{
    cfg->max_queue_bytes = 64 * 1024;
}

START_TEST(test_backpressure)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t a, b;
    peer_start(l, &a, 1, NULL);
    peer_start(l, &b, 0, small_queue);
    jxta_addr_t dest;
    server_addr(&a, "Svc", &dest);
    jxta_tcp_conn_t *c;
    ck_assert_int_eq(jxta_tcp_connect(b.t, &dest, &c), 0);
    int accepted = 0, busy = 0;
    for (long i = 1; i <= 100; i++) {
        jxta_msg_t *m = seq_msg(accepted + 1, 4000);
        int rc = jxta_tcp_send(c, m, &dest, NULL, NULL);
        jxta_msg_free(m);
        if (rc == 0)
            accepted++;
        else {
            ck_assert_int_eq(rc, JXTA_EBUSY);
            busy++;
        }
    }
    ck_assert_int_gt(busy, 0);
    ck_assert_int_lt(accepted, 20);
    ck_assert_uint_le(jxta_tcp_conn_queued_bytes(c), 64 * 1024);
    /* Everything accepted arrives; nothing refused does. */
    RUN_UNTIL(l, a.nmsgs == (size_t)accepted);
    ck_assert(!a.out_of_order);
    jxta_tcp_free(b.t);
    RUN_UNTIL(l, a.downs == 1);
    jxta_tcp_free(a.t);
    jxta_loop_free(l);
}
END_TEST

static void v3(jxta_tcp_config_t *cfg)
{
    cfg->welcome_v3 = 1;
}

START_TEST(test_version_negotiation)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t a, b, c3;
    peer_start(l, &a, 1, v3);
    peer_start(l, &b, 0, v3);
    peer_start(l, &c3, 0, NULL); /* speaks 1.1, like JXSE */
    jxta_addr_t dest;
    server_addr(&a, "Svc", &dest);
    jxta_tcp_conn_t *cb, *cc;
    ck_assert_int_eq(jxta_tcp_connect(b.t, &dest, &cb), 0);
    ck_assert_int_eq(jxta_tcp_connect(c3.t, &dest, &cc), 0);
    jxta_msg_t *m = seq_msg(1, 0);
    ck_assert_int_eq(jxta_tcp_send(cb, m, &dest, NULL, NULL), 0);
    RUN_UNTIL(l, b.ups == 1 && c3.ups == 1 && a.ups == 2 && a.nmsgs == 1);
    ck_assert_int_eq(jxta_tcp_conn_msg_version(cb), JXTA_MSG_V1);
    ck_assert_int_eq(jxta_tcp_conn_msg_version(cc), JXTA_MSG_V0);
    ck_assert_int_eq(jxta_tcp_conn_msg_version(jxta_tcp_conn_for_peer(a.t, &c3.id)), JXTA_MSG_V0);
    ck_assert_int_eq(jxta_tcp_conn_msg_version(jxta_tcp_conn_for_peer(a.t, &b.id)), JXTA_MSG_V1);
    jxta_msg_free(m);
    jxta_tcp_free(b.t);
    jxta_tcp_free(c3.t);
    jxta_tcp_free(a.t);
    jxta_loop_free(l);
}
END_TEST

static int raw_connect(peer_t *srv)
{
    char host[64];
    uint16_t port;
    ck_assert_int_eq(jxta_addr_tcp_hostport(jxta_tcp_public_addr(srv->t), host, sizeof host, &port),
                     0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void short_timeouts(jxta_tcp_config_t *cfg)
{
    cfg->welcome_timeout_ms = 200;
    cfg->idle_ms = 300;
}

START_TEST(test_hostile_peers)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t a;
    peer_start(l, &a, 1, short_timeouts);
    tu_log_capture();
    /* 1. Silent client: closed when the welcome does not come. */
    int fd = raw_connect(&a);
    RUN_UNTIL(l, a.downs == 1);
    ck_assert_int_eq(a.last_down_err, JXTA_ETIMEDOUT);
    close(fd);
    /* 2. Garbage instead of a welcome. */
    fd = raw_connect(&a);
    ck_assert_int_eq(write(fd, "HELLO THERE\r\n", 13), 13);
    RUN_UNTIL(l, a.downs == 2);
    ck_assert_int_eq(a.last_down_err, JXTA_EMAGIC);
    close(fd);
    /* 3. A good welcome, then a frame announcing 2^64-1 bytes. */
    fd = raw_connect(&a);
    jxta_id_t pid;
    jxta_id_new_peer(&pid, &jxta_id_net_group);
    jxta_id_text_t t;
    char line[300];
    int n = snprintf(line, sizeof line, "JXTAHELLO tcp://127.0.0.1:1 tcp://127.0.0.1:0 %s 0 1.1\r\n",
                     jxta_id_str(&pid, &t));
    ck_assert_int_eq(write(fd, line, (size_t)n), n);
    RUN_UNTIL(l, a.ups == 1);
    static const uint8_t hdr[] = {12, 'c', 'o', 'n', 't', 'e', 'n', 't', '-', 't', 'y', 'p', 'e',
                                  0, 22, 'a', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n',
                                  '/', 'x', '-', 'j', 'x', 't', 'a', '-', 'm', 's', 'g', 14, 'c',
                                  'o', 'n', 't', 'e', 'n', 't', '-', 'l', 'e', 'n', 'g', 't', 'h',
                                  0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};
    ck_assert_int_eq(write(fd, hdr, sizeof hdr), (ssize_t)sizeof hdr);
    RUN_UNTIL(l, a.downs == 3);
    ck_assert_int_eq(a.last_down_err, JXTA_ETOOBIG);
    close(fd);
    /* 4. A good welcome, then silence: closed as idle. */
    fd = raw_connect(&a);
    ck_assert_int_eq(write(fd, line, (size_t)n), n);
    RUN_UNTIL(l, a.downs == 4);
    ck_assert_int_eq(a.last_down_err, JXTA_ETIMEDOUT);
    close(fd);
    ck_assert_uint_ge(tu_log_count(), 3);
    tu_log_release();
    ck_assert_uint_eq(jxta_tcp_conn_count(a.t), 0);
    jxta_tcp_free(a.t);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_refused_and_backoff)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    peer_t a, b;
    peer_start(l, &a, 1, NULL);
    peer_start(l, &b, 0, NULL);
    jxta_addr_t dest;
    server_addr(&a, NULL, &dest);
    jxta_tcp_free(a.t); /* nobody listens there any more */
    jxta_tcp_conn_t *c;
    ck_assert_int_eq(jxta_tcp_connect(b.t, &dest, &c), 0);
    jxta_msg_t *m = seq_msg(1, 0);
    sent_ok = sent_fail = 0;
    ck_assert_int_eq(jxta_tcp_send(c, m, &dest, count_sent, NULL), 0);
    RUN_UNTIL(l, b.downs == 1);
    ck_assert_int_eq(b.last_down_err, JXTA_EREFUSED);
    ck_assert_int_eq(sent_fail, 1); /* the queued send reported its loss */
    /* Immediately again: refused by the back-off, not dialled. */
    ck_assert_int_eq(jxta_tcp_connect(b.t, &dest, &c), JXTA_EBUSY);
    /* Bad addresses. */
    jxta_addr_t bad;
    jxta_addr_from_string(&bad, "jxta://uuid-AB03");
    ck_assert_int_eq(jxta_tcp_connect(b.t, &bad, &c), JXTA_EINVAL);
    jxta_addr_from_string(&bad, "tcp://127.0.0.1:0");
    ck_assert_int_eq(jxta_tcp_connect(b.t, &bad, &c), JXTA_EINVAL);
    jxta_msg_free(m);
    jxta_tcp_free(b.t);
    jxta_loop_free(l);
}
END_TEST

static Suite *tcp_suite(void)
{
    Suite *s = suite_create("tcp");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_exchange_both_ways);
    tcase_add_test(tc, test_backpressure);
    tcase_add_test(tc, test_version_negotiation);
    tcase_add_test(tc, test_hostile_peers);
    tcase_add_test(tc, test_refused_and_backoff);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(tcp_suite());
}
