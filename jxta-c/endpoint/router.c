/* router.c - reading and writing the jxta:ERM router header.
 *
 * Src, Dest and Last are endpoint addresses of peers; Dest carries the
 * real service and parameter.  Fwd and Rvs hold APA lists: we always send
 * an empty Fwd (we route hop by hop) and, when forwarding, an Rvs naming
 * ourselves, which is what JXSE needs to learn the way back. */
#include <jxta/endpoint.h>
#include <jxta/xml.h>

#include "../util/internal.h"
#include "router.h"

static int peer_addr(const jxta_xml_node_t *root, const char *name, jxta_addr_t *a,
                     jxta_id_t *pid)
{
    const jxta_xml_node_t *n = jxta_xml_child(root, name);
    if (!n)
        return jxta__reject(JXTA_EMISSING, "router", "router header without <%s>", name);
    int rc = jxta_addr_from_string(a, jxta_xml_text(n));
    if (rc < 0)
        return rc;
    rc = jxta_addr_peer_id(a, pid);
    if (rc < 0)
        return jxta__reject(JXTA_EPROTO, "router", "router header <%s> '%s' is not a peer",
                            name, jxta_xml_text(n));
    return 0;
}

int jxta__erm_parse(const void *xml, size_t len, jxta_erm_t *out)
{
    memset(out, 0, sizeof *out);
    jxta_xml_node_t *root = NULL;
    int rc = jxta_xml_parse(xml, len, &root);
    if (rc < 0)
        return rc;
    if (strcmp(jxta_xml_local_name(root), "ERM") != 0) {
        rc = jxta__reject(JXTA_EPROTO, "router", "router header root is <%s>, not jxta:ERM",
                          jxta_xml_name(root));
        goto done;
    }
    if ((rc = peer_addr(root, "Src", &out->src, &out->src_peer)) < 0 ||
        (rc = peer_addr(root, "Dest", &out->dest, &out->dest_peer)) < 0)
        goto done;
    if (jxta_xml_child(root, "Last")) {
        if ((rc = peer_addr(root, "Last", &out->last, &out->last_peer)) < 0)
            goto done;
    } else {
        out->last = out->src;
        out->last_peer = out->src_peer;
    }
    const jxta_xml_node_t *fwd = jxta_xml_child(root, "Fwd");
    const jxta_xml_node_t *rvs = jxta_xml_child(root, "Rvs");
    out->nfwd = fwd ? jxta_xml_child_count(fwd, NULL) : 0;
    out->nrvs = rvs ? jxta_xml_child_count(rvs, NULL) : 0;
    const jxta_xml_node_t *ra = jxta_xml_child(root, "jxta:RA");
    if (ra && jxta_adv_from_xml(ra, NULL, &out->ra) < 0)
        out->ra = NULL; /* a bad route is ignored, the message is still good */
    rc = 0;
done:
    jxta_xml_free(root);
    if (rc < 0)
        jxta__erm_clear(out);
    return rc;
}

void jxta__erm_clear(jxta_erm_t *erm)
{
    jxta_adv_free(erm->ra);
    erm->ra = NULL;
}

static int add_addr(jxta_xml_node_t *root, const char *name, const jxta_addr_t *a)
{
    char text[JXTA_ADDR_TEXT_MAX];
    jxta_addr_format(a, text, sizeof text);
    return jxta_xml_add(root, name, text, NULL);
}

int jxta__erm_write(const jxta_addr_t *src, const jxta_addr_t *dest, const jxta_addr_t *last,
                    const jxta_id_t *rvs_peer, const jxta_adv_t *ra, jxta_buf_t *out)
{
    jxta_xml_node_t *root = NULL, *rvs = NULL, *apa = NULL;
    int rc = jxta_xml_new("jxta:ERM", &root);
    if (rc < 0)
        return rc;
    if ((rc = jxta_xml_set_attr(root, "xmlns:jxta", "http://jxta.org")) < 0 ||
        (rc = jxta_xml_set_attr(root, "xml:space", "preserve")) < 0 ||
        (rc = add_addr(root, "Src", src)) < 0 || (rc = add_addr(root, "Dest", dest)) < 0 ||
        (rc = add_addr(root, "Last", last)) < 0 ||
        (rc = jxta_xml_add(root, "Fwd", NULL, NULL)) < 0 ||
        (rc = jxta_xml_add(root, "Rvs", NULL, &rvs)) < 0)
        goto done;
    if (rvs_peer) {
        jxta_id_text_t t;
        if ((rc = jxta_xml_add(rvs, "jxta:APA", NULL, &apa)) < 0 ||
            (rc = jxta_xml_add(apa, "PID", jxta_id_str(rvs_peer, &t), NULL)) < 0)
            goto done;
    }
    if (ra && (rc = jxta_adv_embed(root, ra)) < 0)
        goto done;
    rc = jxta_xml_write(root, 0, out);
done:
    jxta_xml_free(root);
    return rc;
}
