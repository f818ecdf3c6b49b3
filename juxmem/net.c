/* juxmem/net.c - the JuxMem protocol messages over the JXTA endpoint.
 *
 * Every peer listens on service "JuxMem" of the juxmem group; a message
 * about block B for peer P goes to jxta://P/JuxMem/<unique value of B>,
 * routed by the endpoint (directly, or through the rendezvous for peers we
 * have no address of).  The parameter names the block's data group; the
 * mangling uses the juxmem group rather than the data group itself because
 * a provider must receive the ALLOC that makes it a member of a data group
 * it does not know yet.  Messages a peer sends to itself (a client whose
 * block has a copy here) are queued and delivered from a posted function,
 * never re-entering the state machine that produced them.  Incoming
 * messages are decoded (hostile input: proto.c checks everything) and
 * handed to the provider, or to the block's client or requester, by type;
 * a 20 ms tick drives all the state machines' timers.  The endpoint's
 * verdict that a peer's process ended (jxta_endpoint_watch_gone) goes to
 * the provider and the clients at once: a killed sequencer is replaced,
 * and a killed copy re-created, within a few round trips instead of after
 * the heartbeats' fail_ms. */
#include <stdlib.h>
#include <string.h>

#include "service.h"

static int for_provider(juxmem_msg_type_t t)
{
    switch (t) {
    case JUXMEM_MSG_ALLOC:
    case JUXMEM_MSG_ACQUIRE:
    case JUXMEM_MSG_RELEASE:
    case JUXMEM_MSG_UPDATE:
    case JUXMEM_MSG_ACK:
    case JUXMEM_MSG_READ:
    case JUXMEM_MSG_FREE:
    case JUXMEM_MSG_HEARTBEAT:
    case JUXMEM_MSG_STATE:
    case JUXMEM_MSG_VOTE:
    case JUXMEM_MSG_VOTED:
        return 1;
    default:
        return 0;
    }
}

static void dispatch(juxmem_t *j, const juxmem_pmsg_t *m)
{
    if (for_provider(m->type)) {
        if (j->prov)
            juxmem__provider_msg(j, m);
        else
            jxta_log(JXTA_LOG_DEBUG, "juxmem", "%s for a peer that is not a provider: dropped",
                     juxmem_msg_type_name(m->type));
    } else {
        juxmem__client_msg(j, m);
    }
}

static void on_message(void *ud, jxta_msg_t *msg, const jxta_ep_info_t *info)
{
    (void)info;
    juxmem_t *j = ud;
    juxmem_pmsg_t m;
    if (juxmem_pmsg_decode(msg, &m) < 0)
        return; /* logged by the decoder */
    dispatch(j, &m);
    juxmem_pmsg_clear(&m);
}

static void drain_local(jxta_loop_t *loop, void *arg)
{
    (void)loop;
    juxmem_t *j = arg;
    j->local_posted = 0;
    /* take the queue: handling may queue more, for the next round */
    juxmem_pmsg_t *q = j->localq;
    size_t n = j->nlocal;
    j->localq = NULL;
    j->nlocal = j->caplocal = 0;
    for (size_t i = 0; i < n; i++) {
        dispatch(j, &q[i]);
        juxmem_pmsg_clear(&q[i]);
    }
    free(q);
}

static void queue_local(juxmem_t *j, const juxmem_pmsg_t *m)
{
    if (j->nlocal == j->caplocal) {
        size_t cap = j->caplocal ? j->caplocal * 2 : 16;
        juxmem_pmsg_t *v = realloc(j->localq, cap * sizeof *v);
        if (!v)
            return; /* retransmission covers it */
        j->localq = v;
        j->caplocal = cap;
    }
    if (juxmem_pmsg_copy(&j->localq[j->nlocal], m) < 0)
        return;
    j->nlocal++;
    if (!j->local_posted && jxta_loop_post(j->loop, drain_local, j) == 0)
        j->local_posted = 1;
}

static void send_one(juxmem_t *j, const juxmem_outmsg_t *om)
{
    if (jxta_id_equal(&om->to, &j->self)) {
        queue_local(j, &om->m);
        return;
    }
    jxta_msg_t *msg = NULL;
    if (jxta_msg_new(&msg) < 0)
        return;
    int rc = juxmem_pmsg_encode(&om->m, msg);
    jxta_id_text_t t;
    jxta_addr_t dst;
    if (rc == 0)
        rc = jxta_addr_for_peer(&dst, &om->to, JUXMEM_SERVICE,
                                jxta_id_unique_value(&om->m.data, &t));
    if (rc == 0)
        rc = jxta_endpoint_send(j->ep, &j->jm_gid, msg, &dst, NULL, NULL);
    if (rc < 0)
        jxta_log(JXTA_LOG_DEBUG, "juxmem", "%s to %s not sent: %s",
                 juxmem_msg_type_name(om->m.type), jxta_id_str(&om->to, &t), jxta_strerror(rc));
    jxta_msg_free(msg);
}

void juxmem__send_out(juxmem_t *j, juxmem_out_t *out)
{
    for (size_t i = 0; i < out->n; i++)
        send_one(j, &out->v[i]);
    if (out->nev)
        juxmem__events(j, out);
    juxmem_out_clear(out);
}

static void on_tick(jxta_timer_t *t)
{
    juxmem_t *j = t->data;
    uint64_t now = juxmem__now(j);
    if (j->prov) {
        juxmem_out_t out;
        juxmem_out_init(&out);
        juxmem_provider_tick(j->prov, now, &out);
        juxmem__send_out(j, &out);
    }
    juxmem__client_tick(j, now);
    jxta_timer_start(t, JUXMEM_TICK_MS);
}

static void on_gone(void *ud, const jxta_id_t *peer)
{
    juxmem_t *j = ud;
    uint64_t now = juxmem__now(j);
    if (j->prov) {
        juxmem_out_t out;
        juxmem_out_init(&out);
        juxmem_provider_peer_gone(j->prov, peer, now, &out);
        juxmem__send_out(j, &out);
    }
    juxmem__client_peer_gone(j, peer, now);
    juxmem__roles_peer_gone(j, peer);
}

int juxmem__net_start(juxmem_t *j)
{
    int rc = jxta_endpoint_listen(j->ep, &j->jm_gid, JUXMEM_SERVICE, NULL, on_message, j);
    if (rc < 0)
        return rc;
    if ((rc = jxta_endpoint_watch_gone(j->ep, on_gone, j)) < 0) {
        jxta_endpoint_unlisten(j->ep, &j->jm_gid, JUXMEM_SERVICE, NULL);
        return rc;
    }
    j->listening = 1;
    jxta_timer_init(j->loop, &j->tick, on_tick);
    j->tick.data = j;
    jxta_timer_start(&j->tick, JUXMEM_TICK_MS);
    return 0;
}

void juxmem__net_stop(juxmem_t *j)
{
    if (j->listening) {
        jxta_endpoint_unlisten(j->ep, &j->jm_gid, JUXMEM_SERVICE, NULL);
        jxta_endpoint_unwatch_gone(j->ep, on_gone, j);
        jxta_timer_stop(&j->tick);
        j->listening = 0;
    }
    for (size_t i = 0; i < j->nlocal; i++)
        juxmem_pmsg_clear(&j->localq[i]);
    free(j->localq);
    j->localq = NULL;
    j->nlocal = j->caplocal = 0;
}
