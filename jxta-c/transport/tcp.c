/* tcp.c - the JXSE-compatible TCP message transport (see jxta/tcp.h).
 *
 * Each connection is a small state machine driven by the loop:
 *
 *   CONNECTING --(socket writable, no error)--> WELCOME
 *   WELCOME    --(their welcome line parsed)--> UP
 *   any        --(error, EOF, time-out, close)--> gone (conn_down)
 *
 * Our welcome is queued as soon as the socket exists; frames wait in the
 * send queue until the connection is UP and first_frame_delay_ms has passed
 * since our welcome was written.  Input goes through the incremental frame
 * parser straight from recv(), so a peer can never make us buffer more than
 * one frame (bounded by the frame limits).
 *
 * Callbacks may close the connection they are handed; a connection being
 * processed is only freed once the processing code has unwound (`busy`).
 *
 * Relaying without loss: a message received on connection A and sent on
 * connection B while B's queue is full (a rendezvous forwarding to a slow
 * edge, or propagating to its clients) is not dropped: it is queued beyond
 * the limit (up to a hard cap) and A stops being read until B has drained
 * to half its limit.  A's sender then meets TCP flow control and, through
 * its own full queue, JXTA_EBUSY: back-pressure crosses the relay hop by
 * hop.  A hold never lasts more than HOLD_MAX_MS, so a cycle of relays
 * waiting on each other only slows down. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jxta/tcp.h>

#include "../util/internal.h"

#define READ_CHUNK (256 * 1024)
#define HOLD_MAX_MS 5000
/* A frame body still missing at least DIRECT_MIN bytes is recv()'d
 * straight into the frame; after such a frame, the next read stops at
 * HEAD_READ bytes so that the following body, likely as large, is mostly
 * read in place too instead of being copied out of the read buffer. */
#define DIRECT_MIN (8 * 1024)
#define HEAD_READ (4 * 1024)
#define READ_BUDGET (8 * READ_CHUNK) /* bytes per wake-up and connection */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

enum conn_state { ST_CONNECTING, ST_WELCOME, ST_UP, ST_CLOSED };

struct sendreq {
    struct sendreq *next;
    uint8_t *data;
    size_t len, off;
    jxta_tcp_sent_cb cb;
    void *ud;
};

struct backoff {
    struct backoff *next;
    char key[JXTA_ADDR_HOST_MAX];
    unsigned failures;
    uint64_t next_ok;
    int err;            /* why the last dial failed */
    uint64_t failed_at; /* and when (loop ms) */
};

struct jxta_tcp_conn {
    jxta_tcp_t *t;
    jxta_tcp_conn_t *prev, *next;
    int fd;
    jxta_io_t io;
    jxta_timer_t timeout; /* connect / welcome / idle */
    jxta_timer_t delay;   /* first frame delay */
    enum conn_state state;
    int incoming;
    int has_dialled;
    jxta_addr_t dialled;
    char remote_sock[JXTA_ADDR_HOST_MAX + 8]; /* tcp://ip:port of the socket peer */

    jxta_buf_t welcome_out;
    size_t welcome_off;
    uint64_t frames_ok_at; /* 0 until our welcome is written */

    char inwel[JXTA_WELCOME_MAX + 1];
    size_t inwel_len;
    jxta_frame_parser_t *parser;
    size_t last_body; /* body length of the last frame received */

    struct sendreq *q_head, *q_tail;
    size_t q_bytes;

    jxta_id_t peer;
    jxta_addr_t remote_pub;
    int msg_version;
    uint64_t up_at;
    uint64_t last_activity;
    int busy;
    int down_reported;
    int connect_failed; /* connect() failed at once (the code); reported from a timer */
    void *data;
    /* relay back-pressure (see the top of the file) */
    jxta_tcp_conn_t *held_by;   /* reads stopped until this one drains */
    jxta_tcp_conn_t *hold_next; /* next connection held by the same one */
    jxta_tcp_conn_t *waiters;   /* connections held until this one drains */
    jxta_timer_t hold_timer;
};

struct jxta_tcp {
    jxta_loop_t *loop;
    jxta_tcp_config_t cfg;
    jxta_tcp_events_t ev;
    void *ud;
    int lfd;
    jxta_io_t lio;
    jxta_addr_t pub;
    jxta_tcp_conn_t *conns;
    size_t nconns;
    uint8_t *rbuf; /* READ_CHUNK bytes shared by all reads (one loop thread) */
    struct backoff *backoffs;
    jxta_tcp_conn_t *rx_conn; /* whose message is being handled, or NULL */
};

void jxta_tcp_config_default(jxta_tcp_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_host, sizeof cfg->listen_host, "127.0.0.1");
    cfg->welcome_timeout_ms = 10000;
    cfg->first_frame_delay_ms = 150;
    cfg->idle_ms = 15 * 60 * 1000;
    cfg->connect_timeout_ms = 10000;
    cfg->dead_peer_ms = 15000;
    cfg->max_queue_bytes = 8u << 20;
    jxta_frame_limits_default(&cfg->frame_limits);
    jxta_msg_limits_default(&cfg->msg_limits);
}

/* ---- small helpers --------------------------------------------------- */

static void tune_socket(int fd, uint64_t dead_peer_ms)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    if (!dead_peer_ms)
        return;
    /* idle connections: probe after a third of the time, every sixth, and
     * give up after the time (three probes); busy ones: TCP_USER_TIMEOUT */
    int idle = (int)(dead_peer_ms / 3000) ? (int)(dead_peer_ms / 3000) : 1;
    int intvl = (int)(dead_peer_ms / 6000) ? (int)(dead_peer_ms / 6000) : 1, cnt = 3;
    unsigned user = dead_peer_ms > UINT32_MAX ? UINT32_MAX : (unsigned)dead_peer_ms;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user, sizeof user);
}

static const char *conn_name(const jxta_tcp_conn_t *c)
{
    return c->has_dialled ? c->dialled.host : c->remote_sock;
}

static void update_interest(jxta_tcp_conn_t *c);
static void conn_release(jxta_tcp_conn_t *c);

static void fail_queue(jxta_tcp_conn_t *c, int err)
{
    struct sendreq *r = c->q_head;
    c->q_head = c->q_tail = NULL;
    c->q_bytes = 0;
    while (r) {
        struct sendreq *n = r->next;
        if (r->cb)
            r->cb(r->ud, err);
        free(r->data);
        free(r);
        r = n;
    }
}

/* Tear down: stop I/O and timers, fail queued sends, tell the owner once. */
/* ---- relay back-pressure ------------------------------------------------ */

static void update_interest(jxta_tcp_conn_t *c);

/* Stop holding `c` (its reads resume). */
static void hold_end(jxta_tcp_conn_t *c)
{
    jxta_tcp_conn_t *target = c->held_by;
    if (!target)
        return;
    for (jxta_tcp_conn_t **pp = &target->waiters; *pp; pp = &(*pp)->hold_next)
        if (*pp == c) {
            *pp = c->hold_next;
            break;
        }
    c->held_by = NULL;
    c->hold_next = NULL;
    jxta_timer_stop(&c->hold_timer);
    update_interest(c);
}

/* Stop reading `in` until `target` has drained. */
static void hold_begin(jxta_tcp_conn_t *in, jxta_tcp_conn_t *target)
{
    if (in->held_by == target || in->state == ST_CLOSED)
        return;
    hold_end(in);
    in->held_by = target;
    in->hold_next = target->waiters;
    target->waiters = in;
    jxta_timer_start(&in->hold_timer, HOLD_MAX_MS);
    jxta_log(JXTA_LOG_DEBUG, "tcp", "relay: %s held until %s drains", conn_name(in),
             conn_name(target));
    update_interest(in);
}

static void release_waiters(jxta_tcp_conn_t *target)
{
    while (target->waiters)
        hold_end(target->waiters);
}

static void hold_expired(jxta_timer_t *tm)
{
    jxta_tcp_conn_t *c = tm->data;
    jxta_log(JXTA_LOG_INFO, "tcp", "relay: %s read again after %d ms without %s draining",
             conn_name(c), HOLD_MAX_MS, c->held_by ? conn_name(c->held_by) : "?");
    hold_end(c);
}

static void conn_shutdown(jxta_tcp_conn_t *c, int err)
{
    if (c->state == ST_CLOSED)
        return;
    jxta_tcp_t *t = c->t;
    int was_up = c->state == ST_UP;
    c->state = ST_CLOSED;
    jxta_io_stop(&c->io);
    jxta_timer_stop(&c->timeout);
    jxta_timer_stop(&c->delay);
    hold_end(c);
    release_waiters(c);
    if (t->rx_conn == c)
        t->rx_conn = NULL;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    /* unlink from the table now so lookups never return it */
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    t->nconns--;
    jxta_log(was_up ? JXTA_LOG_INFO : JXTA_LOG_DEBUG, "tcp", "connection %s %s: %s",
             conn_name(c), was_up ? "closed" : "failed", jxta_strerror(err));
    c->busy++;
    fail_queue(c, err == 0 ? JXTA_ECLOSED : err);
    if (t->ev.conn_down && !c->down_reported) {
        c->down_reported = 1;
        t->ev.conn_down(t->ud, c, err);
    }
    c->busy--;
    conn_release(c);
}

static void conn_release(jxta_tcp_conn_t *c)
{
    if (c->state != ST_CLOSED || c->busy)
        return;
    jxta_buf_free(&c->welcome_out);
    jxta_frame_parser_free(c->parser);
    free(c);
}

/* ---- back-off for outgoing connects ----------------------------------- */

static struct backoff *backoff_get(jxta_tcp_t *t, const char *key, int create)
{
    for (struct backoff *b = t->backoffs; b; b = b->next)
        if (strcmp(b->key, key) == 0)
            return b;
    if (!create)
        return NULL;
    struct backoff *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    snprintf(b->key, sizeof b->key, "%s", key);
    b->next = t->backoffs;
    t->backoffs = b;
    return b;
}

static void backoff_failed(jxta_tcp_t *t, const char *key, int err)
{
    struct backoff *b = backoff_get(t, key, 1);
    if (!b)
        return;
    b->err = err;
    b->failed_at = jxta_loop_now(t->loop);
    uint64_t d = BACKOFF_MIN_MS;
    for (unsigned i = 0; i < b->failures && d < BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > BACKOFF_MAX_MS)
        d = BACKOFF_MAX_MS;
    b->failures++;
    b->next_ok = jxta_loop_now(t->loop) + d;
}

int jxta_tcp_dial_failure(jxta_tcp_t *t, const jxta_addr_t *addr, uint64_t *when_ms)
{
    struct backoff *b = backoff_get(t, addr->host, 0);
    if (!b || jxta_loop_now(t->loop) >= b->next_ok)
        return JXTA_ENOTFOUND;
    *when_ms = b->failed_at;
    return b->err;
}

static void backoff_ok(jxta_tcp_t *t, const char *key)
{
    struct backoff **pp = &t->backoffs;
    while (*pp) {
        if (strcmp((*pp)->key, key) == 0) {
            struct backoff *b = *pp;
            *pp = b->next;
            free(b);
            return;
        }
        pp = &(*pp)->next;
    }
}

/* ---- welcome ---------------------------------------------------------- */

static int queue_welcome(jxta_tcp_conn_t *c)
{
    jxta_tcp_t *t = c->t;
    char dest[JXTA_ADDR_TEXT_MAX], pub[JXTA_ADDR_TEXT_MAX];
    if (c->has_dialled) {
        jxta_addr_t d;
        jxta_addr_with_service(&d, &c->dialled, NULL, NULL);
        jxta_addr_format(&d, dest, sizeof dest);
    } else {
        snprintf(dest, sizeof dest, "%s", c->remote_sock);
    }
    jxta_addr_format(&t->pub, pub, sizeof pub);
    jxta_welcome_t w;
    jxta_welcome_init(&w, dest, pub, &t->cfg.peer_id, 0);
    if (t->cfg.welcome_v3) {
        w.version = "3.0";
        w.msg_version = JXTA_MSG_V1;
    }
    return jxta_welcome_format(&w, &c->welcome_out);
}

static void enter_welcome(jxta_tcp_conn_t *c)
{
    c->state = ST_WELCOME;
    jxta_timer_start(&c->timeout, c->t->cfg.welcome_timeout_ms);
    int rc = queue_welcome(c);
    if (rc < 0) {
        conn_shutdown(c, rc);
        return;
    }
    update_interest(c);
}

/* Their welcome is complete in c->inwel[0..len): validate and go UP. */
static int handle_welcome(jxta_tcp_conn_t *c, size_t *consumed)
{
    jxta_tcp_t *t = c->t;
    jxta_welcome_t w;
    int rc = jxta_welcome_parse(c->inwel, c->inwel_len, &w, consumed);
    if (rc < 0)
        return rc;
    if (jxta_addr_from_string(&c->remote_pub, w.pub) < 0)
        return JXTA_EPROTO;
    if (jxta_id_kind(&w.peer) != JXTA_ID_PEER)
        return jxta__reject(JXTA_EPROTO, "tcp", "%s: welcome peer ID is not a peer ID",
                            conn_name(c));
    c->peer = w.peer;
    c->msg_version = (t->cfg.welcome_v3 && strcmp(w.version, "3.0") == 0 && w.msg_version >= 1)
                         ? JXTA_MSG_V1
                         : JXTA_MSG_V0;
    c->state = ST_UP;
    c->up_at = jxta_loop_now(t->loop);
    jxta_timer_start(&c->timeout, t->cfg.idle_ms);
    if (c->has_dialled)
        backoff_ok(t, c->dialled.host);
    jxta_id_text_t tx;
    jxta_log(JXTA_LOG_INFO, "tcp", "connection %s up: peer %s (%s, message v%d)", conn_name(c),
             jxta_id_str(&c->peer, &tx), c->incoming ? "incoming" : "outgoing", c->msg_version);
    if (t->ev.conn_up)
        t->ev.conn_up(t->ud, c);
    return 0;
}

/* ---- reading ---------------------------------------------------------- */
/* conn_read and conn_write run only inside conn_io, which holds `busy`:
 * a connection closed meanwhile is released by conn_io on the way out. */

/* A complete frame: decode it (the message keeps the frame's body, no
 * copy) and hand the message over.  <0 on a bad message. */
static int deliver_frame(jxta_tcp_conn_t *c, jxta_frame_t *f)
{
    jxta_tcp_t *t = c->t;
    jxta_msg_t *m = NULL;
    c->last_body = f->body_len;
    int rc = jxta_frame_take_msg(f, &t->cfg.msg_limits, &m);
    if (rc < 0)
        return rc; /* JXSE closes the connection on a bad message too */
    if (t->ev.message) {
        jxta_tcp_conn_t *outer = t->rx_conn;
        t->rx_conn = c; /* sends made while handling m were caused by c */
        t->ev.message(t->ud, c, m);
        t->rx_conn = outer;
    } else {
        jxta_msg_free(m);
    }
    return 0;
}

/* Feed frame bytes; returns <0 on a broken stream. */
static int feed_frames(jxta_tcp_conn_t *c, const uint8_t *p, size_t n)
{
    while (n > 0 && c->state == ST_UP) {
        size_t used = 0;
        jxta_frame_t *f = NULL;
        int rc = jxta_frame_parser_feed(c->parser, p, n, &used, &f);
        if (rc < 0)
            return rc;
        p += used;
        n -= used;
        if (rc == 0)
            break;
        if ((rc = deliver_frame(c, f)) < 0)
            return rc;
    }
    return 0;
}

/* After the bytes of a read were processed with result rc: 1 if reading
 * may go on, else 0 (the connection was closed, by a callback or here on a
 * broken stream). */
static int after_frames(jxta_tcp_conn_t *c, int rc)
{
    if (c->state == ST_CLOSED)
        return 0; /* a callback closed it; conn_io releases it */
    if (rc < 0) {
        jxta_log(JXTA_LOG_WARN, "tcp", "%s: bad frame at stream offset %llu: %s; closing",
                 conn_name(c), (unsigned long long)jxta_frame_parser_offset(c->parser),
                 jxta_strerror(rc));
        conn_shutdown(c, rc);
        return 0;
    }
    return 1;
}

/* One recv(): straight into the frame body when a large part of one is
 * missing, else into the transport's read buffer.  Returns 1 when it
 * filled what it asked for (more is probably waiting), else 0; *got gets
 * the bytes read. */
static int conn_read_once(jxta_tcp_conn_t *c, size_t *got)
{
    uint8_t *buf = c->t->rbuf;
    size_t want = READ_CHUNK;
    int direct = 0;
    *got = 0;
    if (c->state == ST_UP) {
        void *space;
        size_t room;
        if (jxta_frame_parser_body_space(c->parser, &space, &room) == 1 && room >= DIRECT_MIN) {
            buf = space;
            want = room;
            direct = 1;
        } else if (c->last_body >= DIRECT_MIN) {
            want = HEAD_READ;
        }
    }
    ssize_t n = recv(c->fd, buf, want, 0);
    if (n == 0) {
        int clean = c->state == ST_UP && jxta_frame_parser_idle(c->parser);
        if (!clean)
            jxta_log(JXTA_LOG_WARN, "tcp", "%s: connection closed in the middle of %s",
                     conn_name(c), c->state == ST_UP ? "a frame" : "the welcome");
        conn_shutdown(c, clean ? JXTA_ECLOSED : JXTA_ETRUNC);
        return 0;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        conn_shutdown(c, JXTA_EIO);
        return 0;
    }
    *got = (size_t)n;
    c->last_activity = jxta_loop_now(c->t->loop);
    if (direct) {
        jxta_frame_t *f = NULL;
        int rc = jxta_frame_parser_body_commit(c->parser, (size_t)n, &f);
        if (rc == 1)
            rc = deliver_frame(c, f);
        return after_frames(c, rc) && (size_t)n == want;
    }
    const uint8_t *p = buf;
    size_t len = (size_t)n;
    if (c->state == ST_WELCOME) {
        /* Take bytes up to the end of the welcome line only. */
        size_t room = JXTA_WELCOME_MAX - c->inwel_len;
        size_t take = len < room ? len : room;
        memcpy(c->inwel + c->inwel_len, p, take);
        size_t before = c->inwel_len;
        c->inwel_len += take;
        size_t consumed = 0;
        int rc = handle_welcome(c, &consumed);
        if (rc == JXTA_ETRUNC && c->inwel_len < JXTA_WELCOME_MAX)
            return 0; /* need more of the line */
        if (rc < 0) {
            jxta_log(JXTA_LOG_WARN, "tcp", "%s: bad welcome line: %s", conn_name(c),
                     jxta_strerror(rc));
            conn_shutdown(c, rc);
            return 0;
        }
        p += consumed - before;
        len -= consumed - before;
        update_interest(c);
    }
    int rc = feed_frames(c, p, len);
    return after_frames(c, rc) && (size_t)n == want;
}

static void conn_read(jxta_tcp_conn_t *c)
{
    /* Drain a busy socket in a few reads per wake-up (bounded, so one
     * fast sender cannot starve the other connections). */
    size_t total = 0;
    for (int i = 0; i < 64 && total < READ_BUDGET && c->state != ST_CLOSED && !c->held_by; i++) {
        size_t got;
        if (!conn_read_once(c, &got))
            break;
        total += got;
    }
}

/* ---- writing ---------------------------------------------------------- */

static int frames_allowed(const jxta_tcp_conn_t *c)
{
    return c->state == ST_UP && c->frames_ok_at &&
           jxta_loop_now(c->t->loop) >= c->frames_ok_at;
}

static void update_interest(jxta_tcp_conn_t *c)
{
    if (c->state == ST_CLOSED)
        return;
    unsigned ev = 0;
    if (c->state == ST_CONNECTING) {
        ev = JXTA_IO_WRITE;
    } else {
        ev = c->held_by ? 0 : JXTA_IO_READ;
        if (c->welcome_off < c->welcome_out.len || (c->q_head && frames_allowed(c)))
            ev |= JXTA_IO_WRITE;
    }
    if (ev != c->io.events && jxta_io_start(&c->io, ev) < 0)
        conn_shutdown(c, JXTA_EIO);
}

static void delay_fired(jxta_timer_t *tm)
{
    jxta_tcp_conn_t *c = tm->data;
    update_interest(c);
}

static void conn_write(jxta_tcp_conn_t *c)
{
    jxta_tcp_t *t = c->t;
    while (c->welcome_off < c->welcome_out.len) {
        ssize_t n = send(c->fd, c->welcome_out.data + c->welcome_off,
                         c->welcome_out.len - c->welcome_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            conn_shutdown(c, JXTA_EIO);
            return;
        }
        c->welcome_off += (size_t)n;
        if (c->welcome_off == c->welcome_out.len) {
            c->frames_ok_at = jxta_loop_now(t->loop) + t->cfg.first_frame_delay_ms;
            if (t->cfg.first_frame_delay_ms)
                jxta_timer_start(&c->delay, t->cfg.first_frame_delay_ms);
        }
    }
    while (c->q_head && frames_allowed(c)) {
        struct sendreq *r = c->q_head;
        ssize_t n = send(c->fd, r->data + r->off, r->len - r->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            conn_shutdown(c, JXTA_EIO);
            return;
        }
        r->off += (size_t)n;
        c->last_activity = jxta_loop_now(t->loop);
        if (r->off < r->len)
            continue;
        c->q_head = r->next;
        if (!c->q_head)
            c->q_tail = NULL;
        c->q_bytes -= r->len;
        free(r->data);
        if (r->cb)
            r->cb(r->ud, 0);
        free(r);
        if (c->state == ST_CLOSED)
            return; /* a callback closed it; conn_io releases it */
        if (c->waiters && c->q_bytes <= t->cfg.max_queue_bytes / 2)
            release_waiters(c);
    }
    update_interest(c);
}

/* A failed dial's errno as our code: refused (nothing listens), reset (a
 * listener closing as we came: JXTA_EIO), or unreachable. */
static int dial_error(int err)
{
    return err == ECONNREFUSED ? JXTA_EREFUSED : err == ECONNRESET ? JXTA_EIO : JXTA_EUNREACH;
}

static void connect_done(jxta_tcp_conn_t *c)
{
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
        jxta_log(JXTA_LOG_INFO, "tcp", "cannot connect to %s: %s", conn_name(c),
                 strerror(err ? err : errno));
        backoff_failed(c->t, c->dialled.host, dial_error(err));
        conn_shutdown(c, dial_error(err));
        return;
    }
    enter_welcome(c);
}

static void conn_io(jxta_io_t *io, unsigned events)
{
    jxta_tcp_conn_t *c = io->data;
    if (c->state == ST_CONNECTING) {
        connect_done(c);
        return;
    }
    c->busy++;
    if (events & (JXTA_IO_READ | JXTA_IO_ERROR))
        conn_read(c);
    if (c->state != ST_CLOSED && (events & JXTA_IO_WRITE))
        conn_write(c);
    c->busy--;
    conn_release(c);
}

static void timeout_fired(jxta_timer_t *tm)
{
    jxta_tcp_conn_t *c = tm->data;
    jxta_tcp_t *t = c->t;
    if (c->state == ST_CONNECTING) {
        if (c->connect_failed) {
            conn_shutdown(c, c->connect_failed);
            return;
        }
        backoff_failed(t, c->dialled.host, JXTA_ETIMEDOUT);
        conn_shutdown(c, JXTA_ETIMEDOUT);
    } else if (c->state == ST_WELCOME) {
        jxta_log(JXTA_LOG_WARN, "tcp", "%s: no welcome line within %llu ms", conn_name(c),
                 (unsigned long long)t->cfg.welcome_timeout_ms);
        conn_shutdown(c, JXTA_ETIMEDOUT);
    } else if (c->state == ST_UP) {
        uint64_t idle = jxta_loop_now(t->loop) - c->last_activity;
        if (idle >= t->cfg.idle_ms) {
            jxta_log(JXTA_LOG_INFO, "tcp", "%s: idle for %llu ms, closing", conn_name(c),
                     (unsigned long long)idle);
            conn_shutdown(c, JXTA_ETIMEDOUT);
        } else {
            jxta_timer_start(&c->timeout, t->cfg.idle_ms - idle);
        }
    }
}

/* ---- connections ------------------------------------------------------ */

static jxta_tcp_conn_t *conn_new(jxta_tcp_t *t, int fd, int incoming)
{
    jxta_tcp_conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (jxta_frame_parser_new(&t->cfg.frame_limits, &c->parser) < 0) {
        free(c);
        return NULL;
    }
    c->t = t;
    c->fd = fd;
    c->incoming = incoming;
    c->last_activity = jxta_loop_now(t->loop);
    jxta_io_init(t->loop, &c->io, fd, conn_io);
    c->io.data = c;
    jxta_timer_init(t->loop, &c->timeout, timeout_fired);
    c->timeout.data = c;
    jxta_timer_init(t->loop, &c->delay, delay_fired);
    jxta_timer_init(t->loop, &c->hold_timer, hold_expired);
    c->hold_timer.data = c;
    c->delay.data = c;
    jxta_buf_init(&c->welcome_out);
    c->next = t->conns;
    if (t->conns)
        t->conns->prev = c;
    t->conns = c;
    t->nconns++;
    return c;
}

static void sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        port = ntohs(s4->sin_port);
        snprintf(out, cap, "tcp://%s:%u", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        port = ntohs(s6->sin6_port);
        snprintf(out, cap, "tcp://[%s]:%u", ip, port);
    } else {
        snprintf(out, cap, "tcp://unknown:0");
    }
}

static void listener_io(jxta_io_t *io, unsigned events)
{
    jxta_tcp_t *t = io->data;
    (void)events;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(t->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                jxta_log(JXTA_LOG_WARN, "tcp", "accept: %s", strerror(errno));
            return;
        }
        tune_socket(fd, t->cfg.dead_peer_ms);
        jxta_tcp_conn_t *c = conn_new(t, fd, 1);
        if (!c) {
            jxta_log(JXTA_LOG_ERROR, "tcp", "out of memory accepting a connection");
            close(fd);
            continue;
        }
        sockaddr_text(&ss, c->remote_sock, sizeof c->remote_sock);
        jxta_log(JXTA_LOG_DEBUG, "tcp", "accepted connection from %s", c->remote_sock);
        enter_welcome(c);
    }
}

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0 || !res)
        return JXTA_EINVAL;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int jxta_tcp_new(jxta_loop_t *loop, const jxta_tcp_config_t *cfg, const jxta_tcp_events_t *ev,
                 void *ud, jxta_tcp_t **out)
{
    jxta_tcp_t *t = calloc(1, sizeof *t);
    if (!t)
        return JXTA_ENOMEM;
    t->loop = loop;
    t->cfg = *cfg;
    if (ev)
        t->ev = *ev;
    t->ud = ud;
    t->lfd = -1;
    t->rbuf = malloc(READ_CHUNK);
    if (!t->rbuf) {
        free(t);
        return JXTA_ENOMEM;
    }
    char pub[128];
    if (cfg->listen) {
        struct sockaddr_storage ss;
        socklen_t sl;
        if (resolve(cfg->listen_host, cfg->listen_port, &ss, &sl) < 0) {
            jxta_log(JXTA_LOG_ERROR, "tcp", "cannot resolve listen address %s",
                     cfg->listen_host);
            free(t->rbuf);
            free(t);
            return JXTA_EINVAL;
        }
        t->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        if (t->lfd >= 0)
            setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (t->lfd < 0 || bind(t->lfd, (struct sockaddr *)&ss, sl) < 0 ||
            listen(t->lfd, 128) < 0) {
            jxta_log(JXTA_LOG_ERROR, "tcp", "cannot listen on %s:%u: %s", cfg->listen_host,
                     cfg->listen_port, strerror(errno));
            if (t->lfd >= 0)
                close(t->lfd);
            free(t->rbuf);
            free(t);
            return JXTA_EIO;
        }
        struct sockaddr_storage bound;
        socklen_t bl = sizeof bound;
        getsockname(t->lfd, (struct sockaddr *)&bound, &bl);
        sockaddr_text(&bound, pub, sizeof pub);
        jxta_io_init(loop, &t->lio, t->lfd, listener_io);
        t->lio.data = t;
        if (jxta_io_start(&t->lio, JXTA_IO_READ) < 0) {
            close(t->lfd);
            free(t->rbuf);
            free(t);
            return JXTA_EIO;
        }
        jxta_log(JXTA_LOG_INFO, "tcp", "listening on %s", pub);
    } else {
        snprintf(pub, sizeof pub, "tcp://%s:0", cfg->listen_host);
    }
    jxta_addr_from_string(&t->pub, pub);
    *out = t;
    return 0;
}

void jxta_tcp_free(jxta_tcp_t *t)
{
    if (!t)
        return;
    while (t->conns)
        conn_shutdown(t->conns, JXTA_ECLOSED);
    if (t->lfd >= 0) {
        jxta_io_stop(&t->lio);
        close(t->lfd);
    }
    while (t->backoffs) {
        struct backoff *b = t->backoffs;
        t->backoffs = b->next;
        free(b);
    }
    free(t->rbuf);
    free(t);
}

const jxta_addr_t *jxta_tcp_public_addr(const jxta_tcp_t *t)
{
    return &t->pub;
}

int jxta_tcp_connect(jxta_tcp_t *t, const jxta_addr_t *addr, jxta_tcp_conn_t **out)
{
    char host[JXTA_ADDR_HOST_MAX];
    uint16_t port;
    if (jxta_addr_tcp_hostport(addr, host, sizeof host, &port) < 0 || port == 0)
        return JXTA_EINVAL;
    struct backoff *b = backoff_get(t, addr->host, 0);
    if (b && jxta_loop_now(t->loop) < b->next_ok)
        return JXTA_EBUSY;
    struct sockaddr_storage ss;
    socklen_t sl;
    if (resolve(host, port, &ss, &sl) < 0)
        return jxta__reject(JXTA_EINVAL, "tcp", "cannot resolve %s", host);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return JXTA_EIO;
    tune_socket(fd, t->cfg.dead_peer_ms);
    jxta_tcp_conn_t *c = conn_new(t, fd, 0);
    if (!c) {
        close(fd);
        return JXTA_ENOMEM;
    }
    c->has_dialled = 1;
    jxta_addr_with_service(&c->dialled, addr, NULL, NULL);
    snprintf(c->remote_sock, sizeof c->remote_sock, "tcp://%s", addr->host);
    jxta_log(JXTA_LOG_DEBUG, "tcp", "connecting to %s", addr->host);
    int rc = connect(fd, (struct sockaddr *)&ss, sl);
    if (rc < 0 && errno != EINPROGRESS) {
        int why = errno;
        jxta_log(JXTA_LOG_INFO, "tcp", "cannot connect to %s: %s", addr->host, strerror(why));
        backoff_failed(t, addr->host, dial_error(why));
        /* report asynchronously like any other failure: keep c alive until
         * the caller has seen it, by failing it from a zero timer */
        c->state = ST_CONNECTING;
        c->connect_failed = dial_error(why);
        jxta_timer_start(&c->timeout, 0);
        *out = c;
        return 0;
    }
    c->state = ST_CONNECTING;
    jxta_timer_start(&c->timeout, t->cfg.connect_timeout_ms);
    update_interest(c);
    *out = c;
    return 0;
}

/* Upper bound guess of the encoded size, so encoding rarely reallocates. */
static size_t encoded_estimate(const jxta_msg_t *m)
{
    size_t n = 64, count = jxta_msg_count(m);
    for (size_t i = 0; i < count; i++) {
        const jxta_msg_elem_t *e = jxta_msg_get(m, i);
        n += 32 + jxta_msg_elem_len(e) + strlen(jxta_msg_elem_name(e)) +
             strlen(jxta_msg_elem_ns(e)) + strlen(jxta_msg_elem_type(e));
    }
    return n;
}

int jxta_tcp_send(jxta_tcp_conn_t *c, jxta_msg_t *m, const jxta_addr_t *dest,
                  jxta_tcp_sent_cb cb, void *ud)
{
    jxta_tcp_t *t = c->t;
    if (c->state == ST_CLOSED)
        return JXTA_ECLOSED;
    char pub[JXTA_ADDR_TEXT_MAX], dst[JXTA_ADDR_TEXT_MAX];
    jxta_addr_format(&t->pub, pub, sizeof pub);
    jxta_addr_format(dest, dst, sizeof dst);
    jxta_msg_remove(m, "jxta", "EndpointSourceAddress");
    jxta_msg_remove(m, "jxta", "EndpointDestinationAddress");
    int rc;
    if ((rc = jxta_msg_add_text(m, "jxta", "EndpointSourceAddress", pub)) < 0 ||
        (rc = jxta_msg_add_text(m, "jxta", "EndpointDestinationAddress", dst)) < 0)
        return rc;
    /* Encode straight behind room for the 63-byte header, then fill it in:
     * one buffer, no copy of the body. */
    jxta_buf_t frame = JXTA_BUF_INIT;
    if ((rc = jxta_buf_reserve_exact(&frame, JXTA_FRAME_JXSE_HEADER_LEN + encoded_estimate(m))) <
        0)
        return rc;
    frame.len = JXTA_FRAME_JXSE_HEADER_LEN;
    rc = jxta_msg_encode(m, c->msg_version, &frame);
    size_t body_len = frame.len - JXTA_FRAME_JXSE_HEADER_LEN;
    if (rc == 0 && body_len > t->cfg.frame_limits.max_body)
        rc = JXTA_ETOOBIG;
    if (rc == 0 && c->q_head && c->q_bytes + frame.len > t->cfg.max_queue_bytes) {
        /* Full.  Caused by a message from another connection (we relay):
         * take it beyond the limit and stop reading that connection. */
        jxta_tcp_conn_t *in = t->rx_conn;
        size_t hard = 2 * t->cfg.max_queue_bytes + READ_BUDGET;
        if (in && in != c && in->state != ST_CLOSED && c->q_bytes + frame.len <= hard)
            hold_begin(in, c);
        else
            rc = JXTA_EBUSY;
    }
    if (rc == 0) {
        uint8_t hdr[JXTA_FRAME_JXSE_HEADER_LEN + 8];
        /* stack buffer: max below cap, so the buffer can never realloc it */
        jxta_buf_t h = {hdr, 0, sizeof hdr, sizeof hdr - 1, 0};
        jxta_frame_encode_header(&h, body_len);
        if (h.err || h.len != JXTA_FRAME_JXSE_HEADER_LEN)
            rc = JXTA_EINVAL;
        else
            memcpy(frame.data, hdr, JXTA_FRAME_JXSE_HEADER_LEN);
    }
    if (rc < 0) {
        jxta_buf_free(&frame);
        return rc;
    }
    size_t off = 0;
    if (!c->q_head && frames_allowed(c)) {
        /* Nothing queued: write now, skipping two epoll_ctl calls and a
         * loop pass.  Every earlier send has completed (the queue is
         * empty), so calling cb right here keeps callbacks in order. */
        ssize_t n = send(c->fd, frame.data, frame.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->last_activity = jxta_loop_now(t->loop);
            off = (size_t)n;
        }
        if (off == frame.len) {
            jxta_buf_free(&frame);
            if (cb)
                cb(ud, 0); /* may close c: not touched afterwards */
            return 0;
        }
    }
    struct sendreq *r = calloc(1, sizeof *r);
    if (!r) {
        jxta_buf_free(&frame);
        return JXTA_ENOMEM;
    }
    r->len = frame.len;
    r->off = off;
    r->data = jxta_buf_steal(&frame, NULL);
    r->cb = cb;
    r->ud = ud;
    if (c->q_tail)
        c->q_tail->next = r;
    else
        c->q_head = r;
    c->q_tail = r;
    c->q_bytes += r->len;
    update_interest(c);
    return 0;
}

void jxta_tcp_close(jxta_tcp_conn_t *c, int err)
{
    conn_shutdown(c, err ? err : JXTA_ECLOSED);
}

jxta_tcp_conn_t *jxta_tcp_conn_for_peer(jxta_tcp_t *t, const jxta_id_t *peer)
{
    jxta_tcp_conn_t *best = NULL;
    for (jxta_tcp_conn_t *c = t->conns; c; c = c->next)
        if (c->state == ST_UP && jxta_id_equal(&c->peer, peer) && (!best || c->up_at >= best->up_at))
            best = c;
    return best;
}

jxta_tcp_conn_t *jxta_tcp_conn_for_addr(jxta_tcp_t *t, const jxta_addr_t *addr)
{
    for (jxta_tcp_conn_t *c = t->conns; c; c = c->next) {
        if (c->state == ST_CLOSED)
            continue;
        if (c->has_dialled && jxta_addr_same_endpoint(&c->dialled, addr))
            return c;
        char h[JXTA_ADDR_HOST_MAX];
        uint16_t port = 0;
        if (c->state == ST_UP && jxta_addr_same_endpoint(&c->remote_pub, addr) &&
            jxta_addr_tcp_hostport(&c->remote_pub, h, sizeof h, &port) == 0 && port != 0)
            return c; /* port 0 = "not listening", shared by many peers */
    }
    return NULL;
}

size_t jxta_tcp_queued_bytes(const jxta_tcp_t *t)
{
    size_t n = 0;
    for (const jxta_tcp_conn_t *c = t->conns; c; c = c->next)
        n += c->q_bytes + (c->welcome_out.len - c->welcome_off);
    return n;
}

size_t jxta_tcp_conn_count(const jxta_tcp_t *t)
{
    return t->nconns;
}

const jxta_id_t *jxta_tcp_conn_peer(const jxta_tcp_conn_t *c)
{
    return &c->peer;
}

const jxta_addr_t *jxta_tcp_conn_remote_public(const jxta_tcp_conn_t *c)
{
    return &c->remote_pub;
}

const jxta_addr_t *jxta_tcp_conn_dialled(const jxta_tcp_conn_t *c)
{
    return c->has_dialled ? &c->dialled : NULL;
}

int jxta_tcp_conn_is_up(const jxta_tcp_conn_t *c)
{
    return c->state == ST_UP;
}

int jxta_tcp_conn_incoming(const jxta_tcp_conn_t *c)
{
    return c->incoming;
}

int jxta_tcp_conn_msg_version(const jxta_tcp_conn_t *c)
{
    return c->msg_version;
}

size_t jxta_tcp_conn_queued_bytes(const jxta_tcp_conn_t *c)
{
    return c->q_bytes;
}

void jxta_tcp_conn_set_data(jxta_tcp_conn_t *c, void *data)
{
    c->data = data;
}

void *jxta_tcp_conn_data(const jxta_tcp_conn_t *c)
{
    return c->data;
}
