/* jxta/addr.h - endpoint addresses (PROTOCOLS.md 5.1, 5.3).
 *
 *   <protocol>://<address>[/<service>[/<param>]]     tcp://127.0.0.1:9701/EndpointRouter
 *   urn:jxta:<unique-value>[#<service>[/<param>]]    (read only; normalised to jxta://)
 *
 * The parameter is everything after the second '/', and may contain '/'.
 * An address is a plain value with fixed-size fields, so it can be copied,
 * kept in tables and compared without ownership questions; over-long parts
 * are refused (JXTA_ETOOBIG) rather than truncated. */
#ifndef JXTA_ADDR_H
#define JXTA_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/buf.h>
#include <jxta/id.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_ADDR_PROTO_MAX 32
#define JXTA_ADDR_HOST_MAX 192
#define JXTA_ADDR_SERVICE_MAX 192
#define JXTA_ADDR_PARAM_MAX 512
/* Longest text form, NUL included. */
#define JXTA_ADDR_TEXT_MAX                                                                     \
    (JXTA_ADDR_PROTO_MAX + 3 + JXTA_ADDR_HOST_MAX + JXTA_ADDR_SERVICE_MAX + JXTA_ADDR_PARAM_MAX + 2)

typedef struct jxta_addr {
    char proto[JXTA_ADDR_PROTO_MAX];     /* "tcp", "jxta", ... */
    char host[JXTA_ADDR_HOST_MAX];       /* "127.0.0.1:9701", "uuid-...03" */
    char service[JXTA_ADDR_SERVICE_MAX]; /* "" = none */
    char param[JXTA_ADDR_PARAM_MAX];     /* "" = none */
} jxta_addr_t;

/* Parse `len` bytes.  Malformed text gives JXTA_EPROTO, parts over their
 * size JXTA_ETOOBIG, control characters or spaces JXTA_EPROTO; on error
 * *out holds nothing useful. */
int jxta_addr_parse(jxta_addr_t *out, const char *text, size_t len);
int jxta_addr_from_string(jxta_addr_t *out, const char *text);
/* Build from parts (service/param may be NULL). */
int jxta_addr_set(jxta_addr_t *out, const char *proto, const char *host, const char *service,
                  const char *param);
/* jxta://<unique value of peer>[/service[/param]] */
int jxta_addr_for_peer(jxta_addr_t *out, const jxta_id_t *peer, const char *service,
                       const char *param);
/* Canonical text ("proto://host[/service[/param]]"); returns its length. */
size_t jxta_addr_format(const jxta_addr_t *a, char *out, size_t cap);
void jxta_addr_append(const jxta_addr_t *a, jxta_buf_t *out);
/* Same transport endpoint (protocol and host, compared case-insensitively). */
int jxta_addr_same_endpoint(const jxta_addr_t *a, const jxta_addr_t *b);
/* Copy `a` with another service/param. */
int jxta_addr_with_service(jxta_addr_t *out, const jxta_addr_t *a, const char *service,
                           const char *param);

/* Group mangling: service S, param P of group G become service
 * "EndpointService:<G unique value>", param "S[/P]".  Already-mangled
 * addresses are returned unchanged. */
int jxta_addr_mangle(jxta_addr_t *out, const jxta_addr_t *a, const jxta_id_t *group);
/* Inverse: if `a` is mangled, *group_uv receives the group unique value
 * (e.g. "jxta-NetGroup") and `out` the real service/param; returns 1.
 * Returns 0 (out = a) for an unmangled address. */
int jxta_addr_demangle(jxta_addr_t *out, const jxta_addr_t *a, char *group_uv, size_t cap);

/* For "tcp" addresses: host part and port (1..65535, or 0 = not listening). */
int jxta_addr_tcp_hostport(const jxta_addr_t *a, char *host, size_t cap, uint16_t *port);
/* For "jxta" addresses: the peer ID. */
int jxta_addr_peer_id(const jxta_addr_t *a, jxta_id_t *peer);

#ifdef __cplusplus
}
#endif
#endif
