/* jxta/config.h - a peer's configuration, stored as a JXSE PlatformConfig.
 *
 * The file is the document JXSE's NetworkConfigurator writes (root jxta:CP
 * type="jxta:PlatformConfig"): PID, Name, a TCP transport advertisement
 * (listen address and port, or ServerOff), and the rendezvous
 * configuration (config="rendezvous" or "client", with seed addresses).
 * A peer keeps its identity across restarts by keeping this file in its
 * home directory; a JXSE peer can read what we write and vice versa. */
#ifndef JXTA_CONFIG_H
#define JXTA_CONFIG_H

#include <stdint.h>

#include <jxta/addr.h>
#include <jxta/id.h>
#include <jxta/rdv.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_PLATFORM_CONFIG_FILE "PlatformConfig"

typedef struct jxta_platform_config {
    jxta_id_t peer_id;
    char name[128];
    int listen;              /* accept incoming TCP connections */
    char host[64];           /* interface address (default 127.0.0.1) */
    uint16_t port;           /* default 9701; 0 = any free port */
    jxta_rdv_role_t role;    /* edge ("client") or rendezvous */
    jxta_addr_t seeds[JXTA_RDV_MAX_SEEDS];
    size_t nseeds;
} jxta_platform_config_t;

/* Defaults: a new peer ID in the Net group, name "jxta-c peer", listening
 * on 127.0.0.1:9701, edge role, no seeds. */
void jxta_platform_config_default(jxta_platform_config_t *cfg);
/* Read `path`.  JXTA_ENOTFOUND if it does not exist; JXTA_EXML,
 * JXTA_EADVTYPE, JXTA_EBADID... (logged) if it is not a usable
 * PlatformConfig.  Fields the file lacks keep their defaults. */
int jxta_platform_config_load(const char *path, jxta_platform_config_t *cfg);
/* Write `path` (atomically: a temporary file renamed over it). */
int jxta_platform_config_save(const char *path, const jxta_platform_config_t *cfg);

#ifdef __cplusplus
}
#endif
#endif
