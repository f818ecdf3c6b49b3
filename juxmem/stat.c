/* juxmem/stat.c - a copy's answer to "JuxMemStat" resolver queries.
 *
 * Any provider answers queries naming a block it holds (the data ID): a
 * copy that follows a live sequencer redirects to it ("R <peer ID>"); the
 * sequencer - or a copy that has lost its sequencer (cut off, or an
 * election under way), which then says it has no quorum - describes the
 * block, its lock, its term and redundancy, and its copies, in the text
 * juxmem__parse_stat_answer (client.c) reads:
 *
 *   0 SIZE VERSION LOCKED LEASE_MS NCOPIES HOLDER|- EPOCH REPAIRING QUORUM
 *   <peer ID> <cluster>|-          (NCOPIES lines)
 *
 * or a negative status alone.  Kept apart from the roles: it only reads
 * the provider's state. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "service.h"

int juxmem__on_stat_query(void *ud, jxta_resolver_t *r, const jxta_rq_t *q)
{
    juxmem_t *j = ud;
    jxta_id_t id;
    if (!j->prov || !q->query || jxta_id_from_string(&id, q->query) < 0)
        return JXTA_RESOLVER_DONE;
    juxmem_block_info_t *bi = malloc(sizeof *bi);
    char *text = malloc(256 + JUXMEM_MAX_COPIES * (JXTA_ID_TEXT_MAX + JUXMEM_CLUSTER_NAME_MAX + 4));
    if (!bi || !text) {
        free(bi);
        free(text);
        return JXTA_RESOLVER_DONE;
    }
    jxta_id_text_t t;
    int rc = juxmem_provider_block_info(j->prov, &id, juxmem__now(j), bi);
    if (rc < 0) {
        sprintf(text, "%d", rc);
    } else if (!bi->is_sequencer && bi->has_quorum && !jxta_id_is_null(&bi->sequencer)) {
        sprintf(text, "R %s", jxta_id_str(&bi->sequencer, &t));
    } else {
        size_t len = (size_t)sprintf(
            text, "0 %" PRIu64 " %" PRIu64 " %d %" PRIu64 " %zu %s %" PRIu32 " %d %d\n", bi->size,
            bi->version, bi->locked, bi->lease_left_ms, bi->nmembers,
            bi->locked == 1 ? jxta_id_str(&bi->holder, &t) : "-", bi->epoch,
            juxmem__repair_active(j, &id), bi->has_quorum);
        for (size_t i = 0; i < bi->nmembers; i++)
            len += (size_t)sprintf(text + len, "%s %s\n", jxta_id_str(&bi->members[i].peer, &t),
                                   bi->members[i].cluster[0] ? bi->members[i].cluster : "-");
    }
    jxta_resolver_respond(r, q, text);
    free(bi);
    free(text);
    return JXTA_RESOLVER_DONE;
}
