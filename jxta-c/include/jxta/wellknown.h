/* jxta/wellknown.h - the well-known module class and spec IDs of JXSE 2.5
 * (PROTOCOLS.md 1.6), by symbolic name.
 *
 * Services are addressed on the endpoint by their class ID, groups are
 * instantiated from spec IDs; both come from this one table so that every
 * layer (and the dump tools, which print names next to IDs) agrees. */
#ifndef JXTA_WELLKNOWN_H
#define JXTA_WELLKNOWN_H

#include <jxta/id.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    /* module classes */
    JXTA_WK_CLASS_PEERGROUP,
    JXTA_WK_CLASS_RESOLVER,
    JXTA_WK_CLASS_DISCOVERY,
    JXTA_WK_CLASS_PIPE,
    JXTA_WK_CLASS_MEMBERSHIP,
    JXTA_WK_CLASS_RENDEZVOUS,
    JXTA_WK_CLASS_PEERINFO,
    JXTA_WK_CLASS_ENDPOINT,
    JXTA_WK_CLASS_TCP,
    JXTA_WK_CLASS_HTTP,
    JXTA_WK_CLASS_ROUTER,
    JXTA_WK_CLASS_APPLICATION,
    JXTA_WK_CLASS_TLS,
    JXTA_WK_CLASS_PROXY,
    JXTA_WK_CLASS_RELAY,
    JXTA_WK_CLASS_ACCESS,
    JXTA_WK_CLASS_CBJX,
    JXTA_WK_CLASS_MCAST,
    /* module specs */
    JXTA_WK_SPEC_PLATFORM,
    JXTA_WK_SPEC_NETGROUP,
    JXTA_WK_SPEC_STDGROUP,
    JXTA_WK_SPEC_RESOLVER,
    JXTA_WK_SPEC_DISCOVERY,
    JXTA_WK_SPEC_PIPE,
    JXTA_WK_SPEC_MEMBERSHIP_NONE,
    JXTA_WK_SPEC_MEMBERSHIP_PASSWD,
    JXTA_WK_SPEC_MEMBERSHIP_PSE,
    JXTA_WK_SPEC_RENDEZVOUS,
    JXTA_WK_SPEC_PEERINFO,
    JXTA_WK_SPEC_ENDPOINT,
    JXTA_WK_SPEC_TCP,
    JXTA_WK_SPEC_HTTP,
    JXTA_WK_SPEC_ROUTER,
    JXTA_WK_SPEC_SHELL,
    JXTA_WK_SPEC_TLS,
    JXTA_WK_SPEC_PROXY,
    JXTA_WK_SPEC_RELAY,
    JXTA_WK_SPEC_ACCESS_ALWAYS,
    JXTA_WK_SPEC_ACCESS_SIMPLEACL,
    JXTA_WK_SPEC_ACCESS_PSE,
    JXTA_WK_SPEC_CBJX,
    JXTA_WK_SPEC_MCAST,
    JXTA_WK__COUNT
} jxta_wk_t;

/* The ID for a symbolic name (NULL for an out-of-range value). */
const jxta_id_t *jxta_wk_id(jxta_wk_t which);
/* Its canonical URN text, e.g. "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000205". */
const char *jxta_wk_urn(jxta_wk_t which);
/* Short name, e.g. "resolver" or "spec:membership-none". */
const char *jxta_wk_name(jxta_wk_t which);
/* Name of a well-known ID (also "WorldGroup", "NetGroup"), or NULL. */
const char *jxta_wk_describe(const jxta_id_t *id);

#ifdef __cplusplus
}
#endif
#endif
