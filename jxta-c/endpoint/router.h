/* router.h - the jxta:ERM router header document (PROTOCOLS.md 5.4);
 * internal to the endpoint. */
#ifndef JXTA_ENDPOINT_ROUTER_H
#define JXTA_ENDPOINT_ROUTER_H

#include <jxta/addr.h>
#include <jxta/adv.h>
#include <jxta/buf.h>
#include <jxta/id.h>

typedef struct jxta_erm {
    jxta_addr_t src, dest, last;
    jxta_id_t src_peer, dest_peer, last_peer;
    jxta_adv_t *ra; /* originator's (or forwarder's) route, may be NULL */
    size_t nfwd, nrvs;
} jxta_erm_t;

/* Parse the XML body of an EndpointRouterMsg element.  Src, Dest and Last
 * must be jxta:// peer addresses. */
int jxta__erm_parse(const void *xml, size_t len, jxta_erm_t *out);
void jxta__erm_clear(jxta_erm_t *erm);
/* Serialize: Src/Dest/Last, empty Fwd, Rvs holding `rvs_peer` if not NULL,
 * then `ra` if not NULL. */
int jxta__erm_write(const jxta_addr_t *src, const jxta_addr_t *dest, const jxta_addr_t *last,
                    const jxta_id_t *rvs_peer, const jxta_adv_t *ra, jxta_buf_t *out);

/* The general paths, always through the XML layer (the functions above use
 * a fast path for the common form); exposed so tests can compare them. */
int jxta__erm_parse_full(const void *xml, size_t len, jxta_erm_t *out);
int jxta__erm_write_full(const jxta_addr_t *src, const jxta_addr_t *dest,
                         const jxta_addr_t *last, const jxta_id_t *rvs_peer, const jxta_adv_t *ra,
                         jxta_buf_t *out);

#endif
