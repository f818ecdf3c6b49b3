/* group_adv.c - the advertisements of peer groups (see jxta/group.h):
 * the World and Net group PGAs JXSE builds locally, our peer advertisement
 * inside a group, JXSE's StdPeerGroup MIA (and its password-group variant)
 * and the recognition of the group implementations we can run.
 *
 * We never load code named by an MIA: a C peer runs its own standard
 * service set whenever the advertised implementation is, service by
 * service, the one JXSE's all-purpose group would run (PROTOCOLS.md 10.3).
 * So recognition reads the MIA's service list and accepts it only when
 * every entry is a service we have; anything else (transports, unknown
 * services, other group classes) is refused rather than half-run. */
#include <stdio.h>

#include <jxta/group.h>
#include <jxta/wellknown.h>
#include <jxta/xml.h>

#include "../util/internal.h"

#define STD_CODE "net.jxta.impl.peergroup.StdPeerGroup"
#define JXSE_EFMT "JDK1.4.1"
#define JXSE_BIND "V2.0 Ref Impl"
#define JXSE_PURI "http://jxta-jxse.dev.java.net/download/jxta.jar"
#define JXSE_PROV "sun.com"

int jxta_group_world_pga(jxta_adv_t **out)
{
    return jxta_pga_new(&jxta_id_world_group, jxta_wk_id(JXTA_WK_SPEC_PLATFORM),
                        "World PeerGroup", "Standard World PeerGroup Reference Implementation",
                        out);
}

int jxta_group_net_pga(jxta_adv_t **out)
{
    return jxta_pga_new(&jxta_id_net_group, jxta_wk_id(JXTA_WK_SPEC_NETGROUP), "NetPeerGroup",
                        "default Net Peer Group", out);
}

/* Append a copy of `node` (any content) under `parent`. */
static int append_copy(jxta_xml_node_t *parent, const jxta_xml_node_t *node)
{
    jxta_xml_node_t *copy;
    int rc = jxta_xml_clone(node, &copy);
    if (rc < 0)
        return rc;
    rc = jxta_xml_append(parent, copy);
    if (rc < 0)
        jxta_xml_free(copy);
    return rc;
}

int jxta_group_pa_in(const jxta_adv_t *pa, const jxta_id_t *gid, jxta_adv_t **out)
{
    jxta_id_t pid;
    if (!pa || !gid || !out || jxta_adv_type(pa) != &jxta_adv_type_pa ||
        jxta_id_kind(gid) != JXTA_ID_GROUP)
        return jxta__reject(JXTA_EINVAL, "group", "peer advertisement in a group: bad arguments");
    int rc = jxta_adv_get_id(pa, "PID", &pid);
    if (rc < 0)
        return jxta__reject(rc, "group", "peer advertisement without a valid PID");
    jxta_adv_t *npa;
    if ((rc = jxta_pa_new(&pid, gid, jxta_adv_get(pa, "Name"), &npa)) < 0)
        return rc;
    const jxta_xml_node_t *desc = jxta_adv_first(pa, "Desc");
    if (desc)
        rc = append_copy(jxta_adv_root_mut(npa), desc);
    /* Only the endpoint's parameter (our route) carries over: the other
     * services add theirs when they start in the group, as in JXSE. */
    const jxta_xml_node_t *parm = jxta_adv_svc_parm(pa, jxta_wk_id(JXTA_WK_CLASS_ENDPOINT));
    if (rc == 0 && parm)
        rc = append_copy(jxta_adv_root_mut(npa), jxta_xml_parent(parm));
    if (rc < 0) {
        jxta_adv_free(npa);
        return rc;
    }
    *out = npa;
    return 0;
}

/* ---- JXSE's StdPeerGroup MIA ---------------------------------------------- */

/* The inline service MIAs of the all-purpose group, in JXSE's order. */
static const struct {
    jxta_wk_t spec;
    const char *desc;
    const char *code;
} std_services[] = {
    {JXTA_WK_SPEC_ENDPOINT, "Reference Implementation of the Endpoint service",
     "net.jxta.impl.endpoint.EndpointServiceImpl"},
    {JXTA_WK_SPEC_RENDEZVOUS, "Reference Implementation of the Rendezvous Service",
     "net.jxta.impl.rendezvous.RendezVousServiceImpl"},
    {JXTA_WK_SPEC_PIPE, "Reference Implementation of the Pipe Service",
     "net.jxta.impl.pipe.PipeServiceImpl"},
    {JXTA_WK_SPEC_DISCOVERY, "Reference Implementation of the Discovery service",
     "net.jxta.impl.discovery.DiscoveryServiceImpl"},
    {JXTA_WK_SPEC_PEERINFO, "Reference Implementation of the Peerinfo Service",
     "net.jxta.impl.peer.PeerInfoServiceImpl"},
    {JXTA_WK_SPEC_ACCESS_ALWAYS, "Always Access Service",
     "net.jxta.impl.access.always.AlwaysAccessService"},
    {JXTA_WK_SPEC_RESOLVER, "Reference Implementation of the Resolver service",
     "net.jxta.impl.resolver.ResolverServiceImpl"},
    {JXTA_WK_SPEC_MEMBERSHIP_NONE, "None Membership Service",
     "net.jxta.impl.membership.none.NoneMembershipService"},
};

/* MSID, Desc, Comp, Code, PURI, Prov of an MIA. */
static int mia_head(jxta_adv_t *mia, const jxta_id_t *msid, const char *desc, const char *code)
{
    jxta_xml_node_t *comp;
    int rc = jxta_adv_set_id(mia, "MSID", msid);
    if (rc == 0)
        rc = jxta_adv_set(mia, "Desc", desc);
    if (rc == 0)
        rc = jxta_adv_add(mia, "Comp", NULL, &comp);
    if (rc == 0)
        rc = jxta_xml_add(comp, "Efmt", JXSE_EFMT, NULL);
    if (rc == 0)
        rc = jxta_xml_add(comp, "Bind", JXSE_BIND, NULL);
    if (rc == 0)
        rc = jxta_adv_set(mia, "Code", code);
    if (rc == 0)
        rc = jxta_adv_set(mia, "PURI", JXSE_PURI);
    if (rc == 0)
        rc = jxta_adv_set(mia, "Prov", JXSE_PROV);
    return rc;
}

/* <Svc><jxta:MIA ...>service MIA</jxta:MIA></Svc> under parm. */
static int add_service(jxta_xml_node_t *parm, const jxta_id_t *spec, const char *desc,
                       const char *code)
{
    jxta_adv_t *inner;
    jxta_xml_node_t *svc;
    int rc = jxta_adv_new(&jxta_adv_type_mia, &inner);
    if (rc < 0)
        return rc;
    rc = mia_head(inner, spec, desc, code);
    if (rc == 0)
        rc = jxta_xml_add(parm, "Svc", NULL, &svc);
    if (rc == 0)
        rc = jxta_adv_embed(svc, inner);
    jxta_adv_free(inner);
    return rc;
}

int jxta_group_std_mia(jxta_adv_t **out)
{
    if (!out)
        return jxta__reject(JXTA_EINVAL, "group", "standard MIA: no result pointer");
    jxta_adv_t *mia;
    jxta_xml_node_t *parm;
    int rc = jxta_adv_new(&jxta_adv_type_mia, &mia);
    if (rc < 0)
        return rc;
    rc = mia_head(mia, jxta_wk_id(JXTA_WK_SPEC_STDGROUP),
                  "General Purpose Peer Group Implementation", STD_CODE);
    if (rc == 0)
        rc = jxta_adv_add(mia, "Parm", NULL, &parm);
    for (size_t i = 0; rc == 0 && i < JXTA_ARRAY_LEN(std_services); i++)
        rc = add_service(parm, jxta_wk_id(std_services[i].spec), std_services[i].desc,
                         std_services[i].code);
    if (rc < 0) {
        jxta_adv_free(mia);
        return rc;
    }
    *out = mia;
    return 0;
}

/* ---- recognition ------------------------------------------------------------ */

jxta_group_impl_t jxta_group_impl_of_msid(const jxta_id_t *msid)
{
    if (!msid)
        return JXTA_GROUP_IMPL_UNKNOWN;
    if (jxta_id_equal(msid, jxta_wk_id(JXTA_WK_SPEC_STDGROUP)))
        return JXTA_GROUP_IMPL_STD;
    if (jxta_id_equal(msid, jxta_wk_id(JXTA_WK_SPEC_NETGROUP)))
        return JXTA_GROUP_IMPL_NET;
    return JXTA_GROUP_IMPL_UNKNOWN;
}

/* The spec ID named by one Svc/Proto/App entry of a StdPeerGroupParamAdv:
 * its text, its MSID child, or the MSID of its inline MIA. */
static int entry_spec(const jxta_xml_node_t *e, jxta_id_t *spec)
{
    const jxta_xml_node_t *n = jxta_xml_child(e, "MSID");
    const jxta_xml_node_t *mia = jxta_xml_child(e, "jxta:MIA");
    if (!n && mia)
        n = jxta_xml_child(mia, "MSID");
    const char *t = n ? jxta_xml_text(n) : jxta_xml_text(e);
    int rc = jxta_id_parse(spec, t, strlen(t), JXTA_ID_PARSE_LENIENT);
    if (rc == 0 && jxta_id_kind(spec) != JXTA_ID_MODULE_SPEC)
        rc = JXTA_EBADID;
    return rc;
}

static int known_service(const jxta_id_t *spec)
{
    static const jxta_wk_t ok[] = {
        JXTA_WK_SPEC_ENDPOINT,      JXTA_WK_SPEC_RENDEZVOUS,      JXTA_WK_SPEC_PIPE,
        JXTA_WK_SPEC_DISCOVERY,     JXTA_WK_SPEC_PEERINFO,        JXTA_WK_SPEC_ACCESS_ALWAYS,
        JXTA_WK_SPEC_RESOLVER,      JXTA_WK_SPEC_MEMBERSHIP_NONE, JXTA_WK_SPEC_MEMBERSHIP_PASSWD,
    };
    for (size_t i = 0; i < JXTA_ARRAY_LEN(ok); i++)
        if (jxta_id_equal(spec, jxta_wk_id(ok[i])))
            return 1;
    return 0;
}

static jxta_group_impl_t refuse(const char *why, const char *detail)
{
    jxta_log(JXTA_LOG_INFO, "group", "group implementation not runnable: %s%s%s", why,
             detail ? " " : "", detail ? detail : "");
    return JXTA_GROUP_IMPL_UNKNOWN;
}

jxta_group_impl_t jxta_group_impl_of_mia(const jxta_adv_t *mia, jxta_id_t *membership_spec)
{
    if (!mia || jxta_adv_type(mia) != &jxta_adv_type_mia)
        return refuse("not a jxta:MIA", NULL);
    const char *code = jxta_adv_get(mia, "Code");
    if (!code || strcmp(code, STD_CODE) != 0)
        return refuse("code is not JXSE's StdPeerGroup:", code ? code : "(none)");
    const jxta_xml_node_t *parm = jxta_adv_first(mia, "Parm");
    if (!parm)
        return refuse("no service list", NULL);
    jxta_id_t mship = *jxta_wk_id(JXTA_WK_SPEC_MEMBERSHIP_NONE);
    for (const jxta_xml_node_t *e = jxta_xml_first(parm); e; e = jxta_xml_next(e)) {
        const char *kind = jxta_xml_name(e);
        jxta_id_t spec;
        if (strcmp(kind, "App") == 0)
            continue; /* applications (JXSE's shell) are the user's business */
        if (strcmp(kind, "Svc") != 0)
            return refuse("it lists a", kind); /* Proto: transports of its own */
        if (entry_spec(e, &spec) < 0)
            return refuse("a service entry without a valid spec ID", NULL);
        jxta_id_text_t t;
        if (!known_service(&spec))
            return refuse("unknown service", jxta_id_str(&spec, &t));
        jxta_id_t cls;
        if (jxta_id_class_of(&spec, &cls) == 0 &&
            jxta_id_equal(&cls, jxta_wk_id(JXTA_WK_CLASS_MEMBERSHIP)))
            mship = spec;
    }
    if (membership_spec)
        *membership_spec = mship;
    return JXTA_GROUP_IMPL_STD;
}
