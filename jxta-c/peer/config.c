/* config.c - PlatformConfig read and write (see jxta/config.h).
 *
 * Only the parts this stack uses are interpreted (identity, TCP transport,
 * rendezvous role and seeds); the document is written in the same shape as
 * JXSE's so that either implementation can use the other's file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jxta/adv.h>
#include <jxta/config.h>
#include <jxta/wellknown.h>
#include <jxta/xml.h>

#include "../util/internal.h"

void jxta_platform_config_default(jxta_platform_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    jxta_id_new_peer(&cfg->peer_id, &jxta_id_net_group);
    snprintf(cfg->name, sizeof cfg->name, "jxta-c peer");
    cfg->listen = 1;
    snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
    cfg->port = 9701;
    cfg->role = JXTA_RDV_EDGE;
}

static const jxta_xml_node_t *svc_parm(const jxta_adv_t *adv, jxta_wk_t which)
{
    return jxta_adv_svc_parm(adv, jxta_wk_id(which));
}

static void load_tcp(const jxta_xml_node_t *parm, jxta_platform_config_t *cfg)
{
    const jxta_xml_node_t *ta = jxta_xml_child(parm, "jxta:TransportAdvertisement");
    if (!ta)
        return;
    const jxta_xml_node_t *n;
    if ((n = jxta_xml_child(ta, "InterfaceAddress")) && *jxta_xml_text(n))
        snprintf(cfg->host, sizeof cfg->host, "%s", jxta_xml_text(n));
    if ((n = jxta_xml_child(ta, "Port"))) {
        char *end;
        unsigned long p = strtoul(jxta_xml_text(n), &end, 10);
        if (*end == '\0' && p <= 65535)
            cfg->port = (uint16_t)p;
        else
            jxta_log(JXTA_LOG_WARN, "config", "bad TCP port '%s' ignored", jxta_xml_text(n));
    }
    cfg->listen = jxta_xml_child(ta, "ServerOff") == NULL;
}

static void load_rdv(const jxta_xml_node_t *parm, jxta_platform_config_t *cfg)
{
    const char *mode = jxta_xml_attr(parm, "config");
    if (mode)
        cfg->role = strcmp(mode, "rendezvous") == 0 ? JXTA_RDV_RENDEZVOUS : JXTA_RDV_EDGE;
    const jxta_xml_node_t *seeds = jxta_xml_child(parm, "seeds");
    for (const jxta_xml_node_t *a = seeds ? jxta_xml_first(seeds) : NULL; a;
         a = jxta_xml_next(a)) {
        if (strcmp(jxta_xml_name(a), "addr") != 0 || cfg->nseeds == JXTA_RDV_MAX_SEEDS)
            continue;
        if (jxta_addr_from_string(&cfg->seeds[cfg->nseeds], jxta_xml_text(a)) == 0)
            cfg->nseeds++;
        else
            jxta_log(JXTA_LOG_WARN, "config", "bad seed address '%s' ignored", jxta_xml_text(a));
    }
}

int jxta_platform_config_load(const char *path, jxta_platform_config_t *cfg)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? JXTA_ENOTFOUND : JXTA_EIO;
    char *buf = malloc(JXTA_XML_DEFAULT_MAX_BYTES);
    size_t n = buf ? fread(buf, 1, JXTA_XML_DEFAULT_MAX_BYTES, f) : 0;
    fclose(f);
    if (!buf)
        return JXTA_ENOMEM;
    jxta_adv_t *adv = NULL;
    int rc = jxta_adv_parse_as(buf, n, &jxta_adv_type_platform_config, &adv);
    free(buf);
    if (rc < 0) {
        jxta_log(JXTA_LOG_ERROR, "config", "%s is not a usable PlatformConfig: %s", path,
                 jxta_strerror(rc));
        return rc;
    }
    jxta_id_t pid;
    if (jxta_adv_get_id(adv, "PID", &pid) == 0 && jxta_id_kind(&pid) == JXTA_ID_PEER)
        cfg->peer_id = pid;
    const char *name = jxta_adv_get(adv, "Name");
    if (name && *name)
        snprintf(cfg->name, sizeof cfg->name, "%s", name);
    const jxta_xml_node_t *p;
    if ((p = svc_parm(adv, JXTA_WK_CLASS_TCP)))
        load_tcp(p, cfg);
    if ((p = svc_parm(adv, JXTA_WK_CLASS_RENDEZVOUS)))
        load_rdv(p, cfg);
    jxta_adv_free(adv);
    return 0;
}

static int add_svc(jxta_xml_node_t *root, jxta_wk_t which, jxta_xml_node_t **parm)
{
    jxta_xml_node_t *svc;
    jxta_id_text_t t;
    int rc = jxta_xml_add(root, "Svc", NULL, &svc);
    if (rc == 0)
        rc = jxta_xml_add(svc, "MCID", jxta_id_str(jxta_wk_id(which), &t), NULL);
    if (rc == 0)
        rc = jxta_xml_add(svc, "Parm", NULL, parm);
    return rc;
}

static int build(const jxta_platform_config_t *cfg, jxta_xml_node_t **out)
{
    jxta_xml_node_t *root, *parm, *ta, *seeds;
    jxta_id_text_t t;
    char tmp[JXTA_ADDR_TEXT_MAX];
    int rc = jxta_xml_new("jxta:CP", &root);
    if (rc < 0)
        return rc;
    if ((rc = jxta_xml_set_attr(root, "type", "jxta:PlatformConfig")) < 0 ||
        (rc = jxta_xml_set_attr(root, "xmlns:jxta", "http://jxta.org")) < 0 ||
        (rc = jxta_xml_add(root, "PID", jxta_id_str(&cfg->peer_id, &t), NULL)) < 0 ||
        (rc = jxta_xml_add(root, "Name", cfg->name, NULL)) < 0 ||
        (rc = jxta_xml_add(root, "Desc", "Created by jxta-c", NULL)) < 0)
        goto fail;
    /* TCP transport */
    if ((rc = add_svc(root, JXTA_WK_CLASS_TCP, &parm)) < 0 ||
        (rc = jxta_xml_add(parm, "jxta:TransportAdvertisement", NULL, &ta)) < 0 ||
        (rc = jxta_xml_set_attr(ta, "xmlns:jxta", "http://jxta.org")) < 0 ||
        (rc = jxta_xml_set_attr(ta, "xml:space", "preserve")) < 0 ||
        (rc = jxta_xml_set_attr(ta, "type", "jxta:TCPTransportAdvertisement")) < 0 ||
        (rc = jxta_xml_add(ta, "Protocol", "tcp", NULL)) < 0 ||
        (rc = jxta_xml_add(ta, "ConfigMode", "manual", NULL)) < 0 ||
        (rc = jxta_xml_add(ta, "InterfaceAddress", cfg->host, NULL)) < 0)
        goto fail;
    snprintf(tmp, sizeof tmp, "%u", (unsigned)cfg->port);
    if ((rc = jxta_xml_add(ta, "Port", tmp, NULL)) < 0)
        goto fail;
    if (!cfg->listen && (rc = jxta_xml_add(ta, "ServerOff", NULL, NULL)) < 0)
        goto fail;
    if ((rc = jxta_xml_add(ta, "MulticastOff", NULL, NULL)) < 0)
        goto fail;
    /* Rendezvous */
    if ((rc = add_svc(root, JXTA_WK_CLASS_RENDEZVOUS, &parm)) < 0 ||
        (rc = jxta_xml_set_attr(parm, "type", "jxta:RdvConfig")) < 0 ||
        (rc = jxta_xml_set_attr(parm, "xmlns:jxta", "http://jxta.org")) < 0 ||
        (rc = jxta_xml_set_attr(parm, "config", cfg->role == JXTA_RDV_RENDEZVOUS ? "rendezvous"
                                                                                 : "client")) < 0)
        goto fail;
    if (cfg->nseeds) {
        if ((rc = jxta_xml_add(parm, "seeds", NULL, &seeds)) < 0)
            goto fail;
        for (size_t i = 0; i < cfg->nseeds; i++) {
            jxta_addr_format(&cfg->seeds[i], tmp, sizeof tmp);
            if ((rc = jxta_xml_add(seeds, "addr", tmp, NULL)) < 0)
                goto fail;
        }
    }
    *out = root;
    return 0;
fail:
    jxta_xml_free(root);
    return rc;
}

int jxta_platform_config_save(const char *path, const jxta_platform_config_t *cfg)
{
    jxta_xml_node_t *root;
    int rc = build(cfg, &root);
    if (rc < 0)
        return rc;
    jxta_buf_t b = JXTA_BUF_INIT;
    rc = jxta_xml_write(root, JXTA_XML_INDENT, &b);
    jxta_xml_free(root);
    if (rc < 0) {
        jxta_buf_free(&b);
        return rc;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL;
    if (f) {
        ok = fwrite(b.data, 1, b.len, f) == b.len;
        ok = (fclose(f) == 0) && ok;
        ok = ok && rename(tmp, path) == 0;
        if (!ok)
            unlink(tmp);
    }
    if (!ok) {
        jxta_log(JXTA_LOG_ERROR, "config", "cannot write %s: %s", path, strerror(errno));
        rc = JXTA_EIO;
    }
    jxta_buf_free(&b);
    return rc;
}
