/* resolver_doc.c - jxta:ResolverQuery and jxta:ResolverResponse documents
 * (see jxta/resolver.h).  JXSE pretty-prints them; every text value is
 * trimmed on read, and we write the compact layout JXSE accepts. */
#include <stdio.h>
#include <stdlib.h>

#include <jxta/resolver.h>
#include <jxta/xml.h>

#include "../util/internal.h"

static int text_of(const jxta_xml_node_t *root, const char *name, const char **out)
{
    const jxta_xml_node_t *n = jxta_xml_child(root, name);
    if (!n)
        return JXTA_EMISSING;
    *out = jxta_xml_text(n);
    return 0;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end)
        return JXTA_EPROTO;
    *out = v;
    return 0;
}

static int dup_str(char **dst, const char *src)
{
    *dst = strdup(src);
    return *dst ? 0 : JXTA_ENOMEM;
}

int jxta_rq_parse(const void *xml, size_t len, jxta_rq_t *out)
{
    memset(out, 0, sizeof *out);
    jxta_xml_node_t *root;
    int rc = jxta_xml_parse(xml, len, &root);
    if (rc < 0)
        return rc;
    const char *handler, *qid, *hc, *query, *src = NULL;
    long v;
    if (strcmp(jxta_xml_local_name(root), "ResolverQuery") != 0) {
        rc = jxta__reject(JXTA_EPROTO, "resolver", "query root is <%s>", jxta_xml_name(root));
        goto done;
    }
    if (text_of(root, "HandlerName", &handler) < 0 || text_of(root, "QueryID", &qid) < 0 ||
        text_of(root, "Query", &query) < 0 || !*handler) {
        rc = jxta__reject(JXTA_EMISSING, "resolver", "query without HandlerName, QueryID or Query");
        goto done;
    }
    if (parse_long(qid, &out->qid) < 0) {
        rc = jxta__reject(JXTA_EPROTO, "resolver", "bad QueryID '%.40s'", qid);
        goto done;
    }
    if (text_of(root, "HC", &hc) == 0) {
        if (parse_long(hc, &v) < 0 || v < 0 || v > 1000) {
            rc = jxta__reject(JXTA_EPROTO, "resolver", "bad HC '%.40s'", hc);
            goto done;
        }
        out->hc = (int)v;
    }
    const jxta_xml_node_t *route = jxta_xml_child(root, "SrcPeerRoute");
    const jxta_xml_node_t *ra = route ? jxta_xml_child(route, "jxta:RA") : NULL;
    if (ra && jxta_adv_from_xml(ra, &jxta_adv_type_ra, &out->route) < 0)
        out->route = NULL; /* a bad route does not spoil the query */
    if (text_of(root, "SrcPeerID", &src) == 0 && *src) {
        if (jxta_id_parse(&out->src, src, strlen(src), JXTA_ID_PARSE_LENIENT) < 0 ||
            jxta_id_kind(&out->src) != JXTA_ID_PEER) {
            rc = jxta__reject(JXTA_EPROTO, "resolver", "bad SrcPeerID '%.100s'", src);
            goto done;
        }
    } else if (!out->route || jxta_adv_get_id(out->route, "DstPID", &out->src) < 0) {
        rc = jxta__reject(JXTA_EMISSING, "resolver", "query without a source peer");
        goto done;
    }
    if ((rc = dup_str(&out->handler, handler)) < 0 || (rc = dup_str(&out->query, query)) < 0)
        goto done;
done:
    jxta_xml_free(root);
    if (rc < 0)
        jxta_rq_clear(out);
    return rc;
}

void jxta_rq_clear(jxta_rq_t *q)
{
    free(q->handler);
    free(q->query);
    jxta_adv_free(q->route);
    memset(q, 0, sizeof *q);
}

static int new_root(const char *name, jxta_xml_node_t **root)
{
    int rc = jxta_xml_new(name, root);
    if (rc == 0 && (rc = jxta_xml_set_attr(*root, "xmlns:jxta", "http://jxta.org")) < 0)
        jxta_xml_free(*root);
    return rc;
}

int jxta_rq_write(const jxta_rq_t *q, jxta_buf_t *out)
{
    jxta_xml_node_t *root, *sr;
    char num[32];
    jxta_id_text_t t;
    int rc = new_root("jxta:ResolverQuery", &root);
    if (rc < 0)
        return rc;
    snprintf(num, sizeof num, "%ld", q->qid);
    if ((rc = jxta_xml_add(root, "HandlerName", q->handler, NULL)) < 0 ||
        (rc = jxta_xml_add(root, "QueryID", num, NULL)) < 0)
        goto done;
    snprintf(num, sizeof num, "%d", q->hc);
    if ((rc = jxta_xml_add(root, "HC", num, NULL)) < 0 ||
        (rc = jxta_xml_add(root, "SrcPeerID", jxta_id_str(&q->src, &t), NULL)) < 0)
        goto done;
    if (q->route && ((rc = jxta_xml_add(root, "SrcPeerRoute", NULL, &sr)) < 0 ||
                     (rc = jxta_adv_embed(sr, q->route)) < 0))
        goto done;
    if ((rc = jxta_xml_add(root, "Query", q->query, NULL)) < 0)
        goto done;
    rc = jxta_xml_write(root, 0, out);
done:
    jxta_xml_free(root);
    return rc;
}

int jxta_rr_parse(const void *xml, size_t len, jxta_rr_t *out)
{
    memset(out, 0, sizeof *out);
    jxta_xml_node_t *root;
    int rc = jxta_xml_parse(xml, len, &root);
    if (rc < 0)
        return rc;
    const char *handler, *qid, *resp;
    if (strcmp(jxta_xml_local_name(root), "ResolverResponse") != 0) {
        rc = jxta__reject(JXTA_EPROTO, "resolver", "response root is <%s>", jxta_xml_name(root));
    } else if (text_of(root, "HandlerName", &handler) < 0 || text_of(root, "QueryID", &qid) < 0 ||
               text_of(root, "Response", &resp) < 0 || !*handler) {
        rc = jxta__reject(JXTA_EMISSING, "resolver",
                          "response without HandlerName, QueryID or Response");
    } else if (parse_long(qid, &out->qid) < 0) {
        rc = jxta__reject(JXTA_EPROTO, "resolver", "bad QueryID '%.40s'", qid);
    } else if ((rc = dup_str(&out->handler, handler)) == 0) {
        rc = dup_str(&out->response, resp);
    }
    jxta_xml_free(root);
    if (rc < 0)
        jxta_rr_clear(out);
    return rc;
}

void jxta_rr_clear(jxta_rr_t *r)
{
    free(r->handler);
    free(r->response);
    memset(r, 0, sizeof *r);
}

int jxta_rr_write(const jxta_rr_t *r, jxta_buf_t *out)
{
    jxta_xml_node_t *root;
    char num[32];
    int rc = new_root("jxta:ResolverResponse", &root);
    if (rc < 0)
        return rc;
    snprintf(num, sizeof num, "%ld", r->qid);
    if ((rc = jxta_xml_add(root, "HandlerName", r->handler, NULL)) == 0 &&
        (rc = jxta_xml_add(root, "QueryID", num, NULL)) == 0 &&
        (rc = jxta_xml_add(root, "Response", r->response, NULL)) == 0)
        rc = jxta_xml_write(root, 0, out);
    jxta_xml_free(root);
    return rc;
}
