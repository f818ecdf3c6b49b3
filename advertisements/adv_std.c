/* adv_std.c - the standard JXSE 2.5 advertisement types as data, plus
 * the typed helpers a peer needs (PROTOCOLS.md 2.2-2.12).
 *
 * Each type is a descriptor for the generic framework in adv.c: element
 * names, which fields are required, which hold IDs of which kind, the
 * index fields JXSE publishes in SRDI and the discovery directory.  Fields
 * that JXSE always writes but never requires on reading (MSA Crtr/SURI/Vers,
 * pipe Type) are optional here, so that anything JXSE accepts we accept.
 * The helpers navigate the documents the way JXSE does, e.g. a peer's
 * addresses are the EAs of the route advertisement embedded in the
 * endpoint service's Svc of its peer advertisement. */
#include <jxta/adv.h>

#include "../jxta-c/util/internal.h"

#define ID_FIELD(n, k, fl) {n, JXTA_FIELD_ID, k, fl}
#define TEXT_FIELD(n, fl) {n, JXTA_FIELD_TEXT, JXTA_ID_KIND_ANY, fl}
#define ELEM_FIELD(n, fl) {n, JXTA_FIELD_ELEMENT, JXTA_ID_KIND_ANY, fl}
#define REQ JXTA_FIELD_REQUIRED
#define REP JXTA_FIELD_REPEATED

/* Endpoint (route in PA) and rendezvous module class IDs (PROTOCOLS 1.6). */
static const char ENDPOINT_CLASS[] = "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000805";
static const char RDV_CLASS[] = "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605";

/* ---- jxta:PA ------------------------------------------------------------ */
static const jxta_adv_field_t pa_fields[] = {
    ID_FIELD("PID", JXTA_ID_PEER, REQ),
    ID_FIELD("GID", JXTA_ID_GROUP, REQ),
    TEXT_FIELD("Name", 0),
    ELEM_FIELD("Desc", 0),
    ELEM_FIELD("Svc", REP),
};
static const char *const pa_index[] = {"Name", "PID", NULL};
const jxta_adv_type_t jxta_adv_type_pa = {
    "jxta:PA", NULL, NULL, JXTA_ADV_DIR_PEERS, pa_index, pa_fields, JXTA_ARRAY_LEN(pa_fields),
    "PID", NULL};

/* ---- jxta:PGA ----------------------------------------------------------- */
static const jxta_adv_field_t pga_fields[] = {
    ID_FIELD("GID", JXTA_ID_GROUP, REQ),
    ID_FIELD("MSID", JXTA_ID_MODULE_SPEC, REQ),
    TEXT_FIELD("Name", 0),
    ELEM_FIELD("Desc", 0),
    ELEM_FIELD("Svc", REP),
};
static const char *const pga_index[] = {"Name", "GID", "Desc", "MSID", NULL};
const jxta_adv_type_t jxta_adv_type_pga = {
    "jxta:PGA", NULL, NULL, JXTA_ADV_DIR_GROUPS, pga_index, pga_fields,
    JXTA_ARRAY_LEN(pga_fields), "GID", NULL};

/* ---- jxta:MCA ----------------------------------------------------------- */
static const jxta_adv_field_t mca_fields[] = {
    ID_FIELD("MCID", JXTA_ID_MODULE_CLASS, REQ),
    TEXT_FIELD("Name", 0),
    ELEM_FIELD("Desc", 0),
};
static const char *const mca_index[] = {"Name", "MCID", NULL};
const jxta_adv_type_t jxta_adv_type_mca = {
    "jxta:MCA", NULL, NULL, JXTA_ADV_DIR_ADV, mca_index, mca_fields,
    JXTA_ARRAY_LEN(mca_fields), "MCID", NULL};

/* ---- jxta:MSA ----------------------------------------------------------- */
static const jxta_adv_field_t msa_fields[] = {
    ID_FIELD("MSID", JXTA_ID_MODULE_SPEC, REQ),
    TEXT_FIELD("Name", 0),
    ELEM_FIELD("Desc", 0),
    TEXT_FIELD("Crtr", 0),
    TEXT_FIELD("SURI", 0),
    TEXT_FIELD("Vers", 0),
    ELEM_FIELD("jxta:PipeAdvertisement", 0),
    ID_FIELD("Proxy", JXTA_ID_MODULE_SPEC, 0),
    ID_FIELD("Auth", JXTA_ID_MODULE_SPEC, 0),
    ELEM_FIELD("Parm", 0),
};
static const char *const msa_index[] = {"Name", "MSID", NULL};
const jxta_adv_type_t jxta_adv_type_msa = {
    "jxta:MSA", NULL, NULL, JXTA_ADV_DIR_ADV, msa_index, msa_fields,
    JXTA_ARRAY_LEN(msa_fields), "MSID", NULL};

/* ---- jxta:MIA (no ID: the cache names it by a hash of the document) ---- */
static const jxta_adv_field_t mia_fields[] = {
    ID_FIELD("MSID", JXTA_ID_MODULE_SPEC, REQ),
    ELEM_FIELD("Desc", 0),
    ELEM_FIELD("Comp", REQ),
    TEXT_FIELD("Code", REQ),
    TEXT_FIELD("PURI", 0),
    TEXT_FIELD("Prov", 0),
    ELEM_FIELD("Parm", 0),
};
static const char *const mia_index[] = {"MSID", NULL};
const jxta_adv_type_t jxta_adv_type_mia = {
    "jxta:MIA", NULL, NULL, JXTA_ADV_DIR_ADV, mia_index, mia_fields,
    JXTA_ARRAY_LEN(mia_fields), NULL, NULL};

/* ---- jxta:PipeAdvertisement --------------------------------------------- */
static const jxta_adv_field_t pipe_fields[] = {
    ID_FIELD("Id", JXTA_ID_PIPE, REQ),
    TEXT_FIELD("Type", 0),
    TEXT_FIELD("Name", 0),
    ELEM_FIELD("Desc", 0),
};
static const char *const pipe_index[] = {"Name", "Id", NULL};
const jxta_adv_type_t jxta_adv_type_pipe = {
    "jxta:PipeAdvertisement", NULL, NULL, JXTA_ADV_DIR_ADV, pipe_index, pipe_fields,
    JXTA_ARRAY_LEN(pipe_fields), "Id", NULL};

/* ---- jxta:APA ----------------------------------------------------------- */
static const jxta_adv_field_t apa_fields[] = {
    ID_FIELD("PID", JXTA_ID_PEER, 0),
    TEXT_FIELD("EA", REP),
};
static const char *const apa_index[] = {"PID", NULL};
const jxta_adv_type_t jxta_adv_type_apa = {
    "jxta:APA", NULL, NULL, JXTA_ADV_DIR_ADV, apa_index, apa_fields,
    JXTA_ARRAY_LEN(apa_fields), "PID", NULL};

/* ---- jxta:RA ------------------------------------------------------------ */
static int ra_check(const jxta_adv_t *ra);
static const jxta_adv_field_t ra_fields[] = {
    ID_FIELD("DstPID", JXTA_ID_PEER, 0),
    ELEM_FIELD("Dst", REQ),
    ELEM_FIELD("Hops", 0),
};
static const char *const ra_index[] = {"DstPID", NULL};
const jxta_adv_type_t jxta_adv_type_ra = {
    "jxta:RA", NULL, NULL, JXTA_ADV_DIR_ADV, ra_index, ra_fields, JXTA_ARRAY_LEN(ra_fields),
    "DstPID", ra_check};

/* ---- jxta:RdvAdvertisement ---------------------------------------------- */
static const jxta_adv_field_t rdv_fields[] = {
    ID_FIELD("RdvGroupId", JXTA_ID_GROUP, REQ),
    ID_FIELD("RdvPeerId", JXTA_ID_PEER, REQ),
    TEXT_FIELD("RdvServiceName", REQ),
    TEXT_FIELD("Name", 0),
    ELEM_FIELD("RdvRoute", 0),
};
static const char *const rdv_index[] = {"RdvPeerId", "RdvServiceName", "RdvGroupId", NULL};
const jxta_adv_type_t jxta_adv_type_rdv = {
    "jxta:RdvAdvertisement", NULL, NULL, JXTA_ADV_DIR_ADV, rdv_index, rdv_fields,
    JXTA_ARRAY_LEN(rdv_fields), "RdvPeerId", NULL};

/* ---- transports (local configuration, not published) -------------------- */
static const jxta_adv_field_t transport_fields[] = {
    TEXT_FIELD("Protocol", 0),
};
const jxta_adv_type_t jxta_adv_type_transport = {
    "jxta:TransportAdvertisement", NULL, NULL, JXTA_ADV_DIR_NONE, NULL, transport_fields,
    JXTA_ARRAY_LEN(transport_fields), NULL, NULL};

static const jxta_adv_field_t tcp_fields[] = {
    TEXT_FIELD("Protocol", 0),      TEXT_FIELD("ConfigMode", 0), TEXT_FIELD("InterfaceAddress", 0),
    ELEM_FIELD("Port", 0),          TEXT_FIELD("Server", 0),     ELEM_FIELD("ClientOff", 0),
    ELEM_FIELD("ServerOff", 0),     ELEM_FIELD("MulticastOff", 0),
    TEXT_FIELD("MulticastAddr", 0), TEXT_FIELD("MulticastPort", 0),
    TEXT_FIELD("MulticastSize", 0),
};
const jxta_adv_type_t jxta_adv_type_tcp = {
    "jxta:TransportAdvertisement", "jxta:TCPTransportAdvertisement", NULL, JXTA_ADV_DIR_NONE,
    NULL, tcp_fields, JXTA_ARRAY_LEN(tcp_fields), NULL, NULL};

/* ---- PlatformConfig ------------------------------------------------------ */
static const jxta_adv_field_t cp_fields[] = {
    ID_FIELD("PID", JXTA_ID_PEER, 0),
    TEXT_FIELD("Name", 0),
    ELEM_FIELD("Desc", 0),
    ELEM_FIELD("Svc", REP),
};
const jxta_adv_type_t jxta_adv_type_platform_config = {
    "jxta:CP", "jxta:PlatformConfig", NULL, JXTA_ADV_DIR_NONE, NULL, cp_fields,
    JXTA_ARRAY_LEN(cp_fields), "PID", NULL};

static const jxta_adv_type_t *const std_types[] = {
    &jxta_adv_type_pa,  &jxta_adv_type_pga,       &jxta_adv_type_mca,
    &jxta_adv_type_msa, &jxta_adv_type_mia,       &jxta_adv_type_pipe,
    &jxta_adv_type_ra,  &jxta_adv_type_apa,       &jxta_adv_type_rdv,
    &jxta_adv_type_tcp, &jxta_adv_type_transport, &jxta_adv_type_platform_config,
};

const jxta_adv_type_t *const *jxta__adv_std_types(size_t *n);
const jxta_adv_type_t *const *jxta__adv_std_types(size_t *n)
{
    *n = JXTA_ARRAY_LEN(std_types);
    return std_types;
}

/* ---- shared navigation ----------------------------------------------------- */

size_t jxta_apa_endpoints(const jxta_xml_node_t *apa, const char **out, size_t cap)
{
    size_t n = 0;
    for (const jxta_xml_node_t *ea = jxta_xml_child(apa, "EA"); ea; ea = jxta_xml_next_named(ea)) {
        if (out && n < cap)
            out[n] = jxta_xml_text(ea);
        n++;
    }
    return n;
}

static const jxta_xml_node_t *svc_parm(const jxta_xml_node_t *root, const jxta_id_t *mcid)
{
    for (const jxta_xml_node_t *svc = jxta_xml_child(root, "Svc"); svc;
         svc = jxta_xml_next_named(svc)) {
        const char *t = jxta_xml_text(jxta_xml_child(svc, "MCID"));
        jxta_id_t id;
        if (jxta_id_parse(&id, t, strlen(t), JXTA_ID_PARSE_LENIENT) == 0 &&
            jxta_id_equal(&id, mcid))
            return jxta_xml_child(svc, "Parm");
    }
    return NULL;
}

const jxta_xml_node_t *jxta_adv_svc_parm(const jxta_adv_t *adv, const jxta_id_t *mcid)
{
    if (!adv || !mcid)
        return NULL;
    return svc_parm(jxta_adv_root(adv), mcid);
}

static int class_id(const char *text, jxta_id_t *id)
{
    return jxta_id_from_string(id, text);
}

/* ---- PA ------------------------------------------------------------------ */

int jxta_pa_new(const jxta_id_t *pid, const jxta_id_t *gid, const char *name, jxta_adv_t **out)
{
    if (!pid || !gid || !out || jxta_id_kind(pid) != JXTA_ID_PEER ||
        jxta_id_kind(gid) != JXTA_ID_GROUP)
        return JXTA_EINVAL;
    jxta_adv_t *pa;
    int rc = jxta_adv_new(&jxta_adv_type_pa, &pa);
    if (rc == 0)
        rc = jxta_adv_set_id(pa, "PID", pid);
    if (rc == 0)
        rc = jxta_adv_set_id(pa, "GID", gid);
    if (rc == 0 && name)
        rc = jxta_adv_set(pa, "Name", name);
    if (rc < 0) {
        jxta_adv_free(pa);
        return rc;
    }
    *out = pa;
    return 0;
}

static const jxta_xml_node_t *pa_route_elem(const jxta_adv_t *pa)
{
    jxta_id_t ep;
    if (class_id(ENDPOINT_CLASS, &ep) < 0)
        return NULL;
    return jxta_xml_child(jxta_adv_svc_parm(pa, &ep), "jxta:RA");
}

int jxta_pa_set_route(jxta_adv_t *pa, const jxta_adv_t *ra)
{
    if (!pa || !ra || strcmp(jxta_adv_type_name(ra), "jxta:RA") != 0)
        return JXTA_EINVAL;
    jxta_id_t ep;
    int rc = class_id(ENDPOINT_CLASS, &ep);
    if (rc < 0)
        return rc;
    jxta_xml_node_t *parm = (jxta_xml_node_t *)jxta_adv_svc_parm(pa, &ep);
    jxta_xml_node_t *svc = NULL;
    if (parm) {
        jxta_xml_node_t *c;
        while ((c = jxta_xml_first_mut(parm)) != NULL)
            jxta_xml_free(c);
        jxta_xml_set_text(parm, NULL);
    } else {
        rc = jxta_adv_add(pa, "Svc", NULL, &svc);
        if (rc == 0)
            rc = jxta_xml_add(svc, "MCID", ENDPOINT_CLASS, NULL);
        if (rc == 0)
            rc = jxta_xml_add(svc, "Parm", NULL, &parm);
        if (rc < 0) {
            jxta_xml_free(svc);
            return rc;
        }
    }
    rc = jxta_adv_embed(parm, ra);
    if (rc < 0 && svc)
        jxta_xml_free(svc);
    return rc;
}

int jxta_pa_route(const jxta_adv_t *pa, jxta_adv_t **ra)
{
    if (!pa || !ra)
        return JXTA_EINVAL;
    const jxta_xml_node_t *e = pa_route_elem(pa);
    if (!e)
        return JXTA_ENOTFOUND;
    return jxta_adv_from_xml(e, &jxta_adv_type_ra, ra);
}

size_t jxta_pa_endpoints(const jxta_adv_t *pa, const char **out, size_t cap)
{
    const jxta_xml_node_t *ra = pa ? pa_route_elem(pa) : NULL;
    if (!ra)
        return 0;
    return jxta_apa_endpoints(jxta_xml_child(jxta_xml_child(ra, "Dst"), "jxta:APA"), out, cap);
}

int jxta_pa_is_rdv(const jxta_adv_t *pa)
{
    jxta_id_t rdv;
    if (!pa || class_id(RDV_CLASS, &rdv) < 0)
        return 0;
    const jxta_xml_node_t *parm = jxta_adv_svc_parm(pa, &rdv);
    const jxta_xml_node_t *flag = jxta_xml_child(parm, "Rdv");
    return flag && strcmp(jxta_xml_text(flag), "true") == 0;
}

/* ---- PGA ----------------------------------------------------------------- */

int jxta_pga_new(const jxta_id_t *gid, const jxta_id_t *msid, const char *name,
                 const char *desc, jxta_adv_t **out)
{
    if (!gid || !msid || !out || jxta_id_kind(gid) != JXTA_ID_GROUP ||
        jxta_id_kind(msid) != JXTA_ID_MODULE_SPEC)
        return JXTA_EINVAL;
    jxta_adv_t *a;
    int rc = jxta_adv_new(&jxta_adv_type_pga, &a);
    if (rc < 0)
        return rc;
    rc = jxta_adv_set_id(a, "GID", gid);
    if (rc == 0)
        rc = jxta_adv_set_id(a, "MSID", msid);
    if (rc == 0 && name)
        rc = jxta_adv_set(a, "Name", name);
    if (rc == 0 && desc)
        rc = jxta_adv_set(a, "Desc", desc);
    if (rc < 0) {
        jxta_adv_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

/* ---- Pipe ---------------------------------------------------------------- */

int jxta_pipe_adv_new(const jxta_id_t *pipe_id, const char *type, const char *name,
                      jxta_adv_t **out)
{
    if (!pipe_id || !out || jxta_id_kind(pipe_id) != JXTA_ID_PIPE)
        return JXTA_EINVAL;
    jxta_adv_t *a;
    int rc = jxta_adv_new(&jxta_adv_type_pipe, &a);
    if (rc < 0)
        return rc;
    rc = jxta_adv_set_id(a, "Id", pipe_id);
    if (rc == 0)
        rc = jxta_adv_set(a, "Type", type ? type : "JxtaUnicast");
    if (rc == 0 && name)
        rc = jxta_adv_set(a, "Name", name);
    if (rc < 0) {
        jxta_adv_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

const char *jxta_pipe_adv_type(const jxta_adv_t *pipe)
{
    const char *t = jxta_adv_get(pipe, "Type");
    return t && *t ? t : "JxtaUnicast";
}

/* ---- RA ------------------------------------------------------------------ */

/* An APA element as JXSE embeds it: own xmlns, then xml:space. */
static int add_apa(jxta_xml_node_t *parent, const jxta_id_t *pid, const char *const *eas,
                   size_t n)
{
    jxta_xml_node_t *apa;
    int rc = jxta_xml_new("jxta:APA", &apa);
    if (rc < 0)
        return rc;
    rc = jxta_xml_set_attr(apa, "xmlns:jxta", "http://jxta.org");
    if (rc == 0)
        rc = jxta_xml_set_attr(apa, "xml:space", "preserve");
    if (rc == 0 && pid) {
        jxta_id_text_t t;
        rc = jxta_xml_add(apa, "PID", jxta_id_str(pid, &t), NULL);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = eas[i] ? jxta_xml_add(apa, "EA", eas[i], NULL) : JXTA_EINVAL;
    if (rc == 0)
        rc = jxta_xml_append(parent, apa);
    if (rc < 0)
        jxta_xml_free(apa);
    return rc;
}

int jxta_ra_new(const jxta_id_t *dst, const char *const *eas, size_t n, jxta_adv_t **out)
{
    if (!dst || !out || (n && !eas) || jxta_id_kind(dst) != JXTA_ID_PEER)
        return JXTA_EINVAL;
    jxta_adv_t *ra;
    int rc = jxta_adv_new(&jxta_adv_type_ra, &ra);
    if (rc < 0)
        return rc;
    jxta_xml_node_t *d = NULL;
    rc = jxta_adv_set_id(ra, "DstPID", dst);
    if (rc == 0)
        rc = jxta_adv_add(ra, "Dst", NULL, &d);
    if (rc == 0)
        rc = add_apa(d, NULL, eas, n);
    if (rc < 0) {
        jxta_adv_free(ra);
        return rc;
    }
    *out = ra;
    return 0;
}

int jxta_ra_add_hop(jxta_adv_t *ra, const jxta_id_t *pid, const char *const *eas, size_t n)
{
    if (!ra || !pid || (n && !eas) || jxta_id_kind(pid) != JXTA_ID_PEER)
        return JXTA_EINVAL;
    for (size_t i = 0; i < jxta_ra_hop_count(ra); i++) {
        jxta_id_t h;
        if (jxta_ra_hop(ra, i, &h, NULL) == 0 && jxta_id_equal(&h, pid))
            return jxta__reject(JXTA_EEXIST, "adv", "jxta:RA: hop already in the route");
    }
    jxta_xml_node_t *root = jxta_adv_root_mut(ra);
    jxta_xml_node_t *hops = jxta_xml_child_mut(root, "Hops");
    int created = 0;
    if (!hops) {
        int rc = jxta_xml_add(root, "Hops", NULL, &hops);
        if (rc < 0)
            return rc;
        created = 1;
    }
    int rc = add_apa(hops, pid, eas, n);
    if (rc < 0 && created)
        jxta_xml_free(hops);
    return rc;
}

size_t jxta_ra_endpoints(const jxta_adv_t *ra, const char **out, size_t cap)
{
    const jxta_xml_node_t *dst = jxta_adv_first(ra, "Dst");
    return jxta_apa_endpoints(jxta_xml_child(dst, "jxta:APA"), out, cap);
}

/* Hops are the APAs under Hops that name a peer (JXSE skips the others). */
static const jxta_xml_node_t *hop_at(const jxta_adv_t *ra, size_t i, size_t *count)
{
    size_t n = 0;
    const jxta_xml_node_t *found = NULL;
    for (const jxta_xml_node_t *a = jxta_xml_child(jxta_adv_first(ra, "Hops"), "jxta:APA"); a;
         a = jxta_xml_next_named(a)) {
        if (!jxta_xml_child(a, "PID"))
            continue;
        if (n == i)
            found = a;
        n++;
    }
    if (count)
        *count = n;
    return found;
}

size_t jxta_ra_hop_count(const jxta_adv_t *ra)
{
    size_t n = 0;
    hop_at(ra, (size_t)-1, &n);
    return n;
}

int jxta_ra_hop(const jxta_adv_t *ra, size_t i, jxta_id_t *pid, const jxta_xml_node_t **apa)
{
    const jxta_xml_node_t *a = hop_at(ra, i, NULL);
    if (!a)
        return JXTA_ENOTFOUND;
    if (apa)
        *apa = a;
    if (pid) {
        const char *t = jxta_xml_text(jxta_xml_child(a, "PID"));
        return jxta_id_parse(pid, t, strlen(t), 0);
    }
    return 0;
}

static int ra_check(const jxta_adv_t *ra)
{
    if (!jxta_xml_child(jxta_adv_first(ra, "Dst"), "jxta:APA"))
        return jxta__reject(JXTA_EMISSING, "adv", "jxta:RA: Dst holds no jxta:APA");
    size_t n = jxta_ra_hop_count(ra);
    if (n > 64)
        return jxta__reject(JXTA_ETOOBIG, "adv", "jxta:RA: %zu hops", n);
    jxta_id_t ids[64];
    for (size_t i = 0; i < n; i++) {
        int rc = jxta_ra_hop(ra, i, &ids[i], NULL);
        if (rc < 0)
            return jxta__reject(rc, "adv", "jxta:RA: hop %zu: PID is not a canonical ID", i);
        if (jxta_id_kind(&ids[i]) != JXTA_ID_PEER)
            return jxta__reject(JXTA_EBADID, "adv", "jxta:RA: hop %zu: PID is not a peer ID", i);
        for (size_t j = 0; j < i; j++)
            if (jxta_id_equal(&ids[i], &ids[j]))
                return jxta__reject(JXTA_EPROTO, "adv", "jxta:RA: hop %zu repeats hop %zu (loop)",
                                    i, j);
    }
    return 0;
}

int jxta_rdv_adv_route(const jxta_adv_t *rdv, jxta_adv_t **ra)
{
    if (!rdv || !ra)
        return JXTA_EINVAL;
    const jxta_xml_node_t *e = jxta_xml_child(jxta_adv_first(rdv, "RdvRoute"), "jxta:RA");
    if (!e)
        return JXTA_ENOTFOUND;
    return jxta_adv_from_xml(e, &jxta_adv_type_ra, ra);
}
