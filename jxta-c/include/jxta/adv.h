/* jxta/adv.h - advertisements (PROTOCOLS.md 2.2-2.12).
 *
 * One table-driven framework serves every advertisement type.  A type is
 * described by a jxta_adv_type_t: root element name, optional `type`
 * attribute (sub-typed documents such as
 * <jxta:TransportAdvertisement type="jxta:TCPTransportAdvertisement">),
 * discovery directory, index fields, a field schema checked on parse and
 * the field holding the advertisement's ID.  The standard JXSE types are
 * built in; other code (JuxMem's memory advertisements, applications)
 * registers its own descriptors with jxta_adv_register() without touching
 * the framework.
 *
 * An advertisement is its descriptor plus its XML element tree, so unknown
 * children, attributes and element order survive a parse/write round trip,
 * and a document of an unregistered type still parses (descriptor NULL,
 * "generic") and is written back unchanged.  Validation on parse follows
 * the schema: a missing required field gives JXTA_EMISSING, an ID field that
 * is malformed or of the wrong kind JXTA_EBADID, a non-canonical ID
 * JXTA_ENONCANON (JXSE indexes compare IDs as strings), a repeated
 * single-valued field JXTA_EPROTO; each rejection is logged naming the
 * field.  Text is always read trimmed, as JXSE's getTextValue() does. */
#ifndef JXTA_ADV_H
#define JXTA_ADV_H

#include <stddef.h>

#include <jxta/buf.h>
#include <jxta/id.h>
#include <jxta/xml.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Discovery directory (discovery type on the wire). */
typedef enum {
    JXTA_ADV_DIR_NONE = -1, /* not published (local config, embedded only) */
    JXTA_ADV_DIR_PEERS = 0,
    JXTA_ADV_DIR_GROUPS = 1,
    JXTA_ADV_DIR_ADV = 2
} jxta_adv_dir_t;

typedef enum {
    JXTA_FIELD_TEXT = 0, /* trimmed text */
    JXTA_FIELD_ID,       /* text that must be a canonical JXTA ID URN */
    JXTA_FIELD_ELEMENT   /* any content (sub-elements, attributes, text) */
} jxta_adv_field_kind_t;

#define JXTA_FIELD_REQUIRED 0x1u /* must be present -> else JXTA_EMISSING */
#define JXTA_FIELD_REPEATED 0x2u /* may occur more than once */

/* For JXTA_FIELD_ID: accept any ID kind. */
#define JXTA_ID_KIND_ANY (-1)

typedef struct jxta_adv_field {
    const char *name;           /* direct child element name */
    jxta_adv_field_kind_t kind;
    int id_kind;                /* jxta_id_kind_t, or JXTA_ID_KIND_ANY */
    unsigned flags;             /* JXTA_FIELD_* */
} jxta_adv_field_t;

typedef struct jxta_adv jxta_adv_t;

typedef struct jxta_adv_type {
    const char *root;            /* root element, e.g. "jxta:PA" */
    const char *type_attr;       /* NULL, or the root's `type` attribute value */
    const char *ns_uri;          /* xmlns for the root prefix of new advs; NULL =
                                    "http://jxta.org" */
    jxta_adv_dir_t dir;
    const char *const *index;    /* NULL-terminated index field names, or NULL */
    const jxta_adv_field_t *fields; /* schema; unknown children are allowed */
    size_t nfields;
    const char *id_field;        /* child holding the adv's ID, or NULL */
    /* Optional extra check run after the schema (e.g. RA hop loops);
     * returns 0 or a logged JXTA_E* code. */
    int (*check)(const jxta_adv_t *adv);
} jxta_adv_type_t;

/* The name a type goes by: type_attr when set, else root. */
const char *jxta_adv_type_name_of(const jxta_adv_type_t *type);

/* ---- Registry ---------------------------------------------------------- */

/* Register a descriptor (kept by pointer: it must outlive its use).
 * JXTA_EEXIST if one with the same (root, type_attr) exists, JXTA_EINVAL
 * for a malformed descriptor, JXTA_ETOOBIG when the table is full. */
int jxta_adv_register(const jxta_adv_type_t *type);
int jxta_adv_unregister(const jxta_adv_type_t *type); /* JXTA_ENOTFOUND */
/* Descriptor for a root name and optional type attribute, the way a
 * document is matched: a `type` attribute naming a registered type wins,
 * then a descriptor for the root name without type_attr.  NULL if none. */
const jxta_adv_type_t *jxta_adv_lookup(const char *root, const char *type_attr);
/* By name as returned by jxta_adv_type_name_of() ("jxta:PA",
 * "jxta:TCPTransportAdvertisement"); NULL if none. */
const jxta_adv_type_t *jxta_adv_lookup_name(const char *name);

/* ---- Standard types (registered automatically) ------------------------- */

extern const jxta_adv_type_t jxta_adv_type_pa;        /* jxta:PA */
extern const jxta_adv_type_t jxta_adv_type_pga;       /* jxta:PGA */
extern const jxta_adv_type_t jxta_adv_type_mca;       /* jxta:MCA */
extern const jxta_adv_type_t jxta_adv_type_msa;       /* jxta:MSA */
extern const jxta_adv_type_t jxta_adv_type_mia;       /* jxta:MIA */
extern const jxta_adv_type_t jxta_adv_type_pipe;      /* jxta:PipeAdvertisement */
extern const jxta_adv_type_t jxta_adv_type_ra;        /* jxta:RA */
extern const jxta_adv_type_t jxta_adv_type_apa;       /* jxta:APA */
extern const jxta_adv_type_t jxta_adv_type_rdv;       /* jxta:RdvAdvertisement */
extern const jxta_adv_type_t jxta_adv_type_transport; /* jxta:TransportAdvertisement, any type */
extern const jxta_adv_type_t jxta_adv_type_tcp;       /* ... type="jxta:TCPTransportAdvertisement" */
extern const jxta_adv_type_t jxta_adv_type_platform_config; /* jxta:CP type="jxta:PlatformConfig" */

/* ---- Parsing, writing, lifetime ------------------------------------------ */

/* Parse a document, choosing the type from the registry; unknown types
 * give a generic advertisement.  Errors: those of jxta_xml_parse plus the
 * schema errors above. */
int jxta_adv_parse(const void *text, size_t len, jxta_adv_t **out);
/* Parse expecting `type`: the root name or the `type` attribute must match
 * (as JXSE checks), else JXTA_EADVTYPE. */
int jxta_adv_parse_as(const void *text, size_t len, const jxta_adv_type_t *type,
                      jxta_adv_t **out);
/* Make an advertisement from an element (an embedded advertisement such
 * as the jxta:RA inside a PA's Parm); the subtree is copied.  `type` NULL
 * = look it up. */
int jxta_adv_from_xml(const jxta_xml_node_t *elem, const jxta_adv_type_t *type,
                      jxta_adv_t **out);
/* A new, empty advertisement of `type`: root element with xml:space,
 * xmlns and type attributes as JXSE writes them. */
int jxta_adv_new(const jxta_adv_type_t *type, jxta_adv_t **out);
void jxta_adv_free(jxta_adv_t *adv);
/* Deep copy. */
int jxta_adv_clone(const jxta_adv_t *adv, jxta_adv_t **out);
/* Check the schema (used after building). */
int jxta_adv_validate(const jxta_adv_t *adv);

/* The full JXSE-compatible document (flags as jxta_xml_write; 0 = compact,
 * as JXSE sends it). */
int jxta_adv_write(const jxta_adv_t *adv, unsigned flags, jxta_buf_t *out);
/* Same, as a malloc'd NUL-terminated string. */
int jxta_adv_to_string(const jxta_adv_t *adv, unsigned flags, char **out);

/* ---- Reading ------------------------------------------------------------- */

/* Descriptor, or NULL for a generic advertisement. */
const jxta_adv_type_t *jxta_adv_type(const jxta_adv_t *adv);
/* Descriptor name, or the root element name for a generic one. */
const char *jxta_adv_type_name(const jxta_adv_t *adv);
jxta_adv_dir_t jxta_adv_dir(const jxta_adv_t *adv);
const jxta_xml_node_t *jxta_adv_root(const jxta_adv_t *adv);
/* Mutable root, for building nested content (Svc/Parm...). */
jxta_xml_node_t *jxta_adv_root_mut(jxta_adv_t *adv);

/* Trimmed text of the first direct child `field`, or NULL if absent. */
const char *jxta_adv_get(const jxta_adv_t *adv, const char *field);
/* The ID in child `field`: JXTA_ENOTFOUND if absent, JXTA_EBADID /
 * JXTA_ENONCANON if it does not parse strictly. */
int jxta_adv_get_id(const jxta_adv_t *adv, const char *field, jxta_id_t *id);
/* The advertisement's own ID (descriptor's id_field); JXTA_ENOTFOUND when
 * the type has none or it is absent. */
int jxta_adv_id(const jxta_adv_t *adv, jxta_id_t *id);
/* First direct child `field` (iterate with jxta_xml_next_named). */
const jxta_xml_node_t *jxta_adv_first(const jxta_adv_t *adv, const char *field);
size_t jxta_adv_count(const jxta_adv_t *adv, const char *field);

/* Index fields as JXSE indexes them: (name, trimmed text) for each index
 * field present as a direct child.  Fills up to `cap` entries and returns
 * how many there are. */
typedef struct jxta_adv_index_entry {
    const char *name;
    const char *value; /* points into the advertisement */
} jxta_adv_index_entry_t;
size_t jxta_adv_index(const jxta_adv_t *adv, jxta_adv_index_entry_t *out, size_t cap);

/* Same type name and equal trees (jxta_xml_equal).  1 / 0. */
int jxta_adv_equal(const jxta_adv_t *a, const jxta_adv_t *b);

/* ---- Building ------------------------------------------------------------ */

/* Set the text of the first child `field` (appended if absent); text NULL
 * removes every child of that name. */
int jxta_adv_set(jxta_adv_t *adv, const char *field, const char *text);
int jxta_adv_set_id(jxta_adv_t *adv, const char *field, const jxta_id_t *id);
/* Append a new child (repeated fields: Svc, EA...); *child (may be NULL)
 * receives it for adding sub-elements. */
int jxta_adv_add(jxta_adv_t *adv, const char *field, const char *text,
                 jxta_xml_node_t **child);
/* Append a copy of `inner`'s root element under `parent` (embedding, no
 * declaration).  The copy keeps its xmlns and xml:space attributes. */
int jxta_adv_embed(jxta_xml_node_t *parent, const jxta_adv_t *inner);

/* ---- Typed helpers --------------------------------------------------------- */

/* The Parm element of the Svc entry whose MCID is `mcid` (PA, PGA,
 * PlatformConfig), or NULL. */
const jxta_xml_node_t *jxta_adv_svc_parm(const jxta_adv_t *adv, const jxta_id_t *mcid);
/* EA texts of an APA element, in order; returns the total count. */
size_t jxta_apa_endpoints(const jxta_xml_node_t *apa, const char **out, size_t cap);

/* Peer advertisement.  `name` may be NULL. */
int jxta_pa_new(const jxta_id_t *pid, const jxta_id_t *gid, const char *name, jxta_adv_t **out);
/* Put `ra` in the endpoint service's Svc (MCID ...0805, Parm/jxta:RA),
 * replacing an existing one. */
int jxta_pa_set_route(jxta_adv_t *pa, const jxta_adv_t *ra);
/* The embedded route as its own advertisement; JXTA_ENOTFOUND if none. */
int jxta_pa_route(const jxta_adv_t *pa, jxta_adv_t **ra);
/* The route's destination endpoint addresses (pointers into `pa`). */
size_t jxta_pa_endpoints(const jxta_adv_t *pa, const char **out, size_t cap);
/* 1 if the PA carries the rendezvous Svc with Parm/Rdv = true. */
int jxta_pa_is_rdv(const jxta_adv_t *pa);

/* Peer group advertisement; name/desc may be NULL. */
int jxta_pga_new(const jxta_id_t *gid, const jxta_id_t *msid, const char *name,
                 const char *desc, jxta_adv_t **out);

/* Pipe advertisement; type NULL = "JxtaUnicast", name may be NULL. */
int jxta_pipe_adv_new(const jxta_id_t *pipe_id, const char *type, const char *name,
                      jxta_adv_t **out);
/* Type text, "JxtaUnicast" when absent (JXSE's default). */
const char *jxta_pipe_adv_type(const jxta_adv_t *pipe);

/* Route advertisement to `dst` reachable at `eas[0..n)`. */
int jxta_ra_new(const jxta_id_t *dst, const char *const *eas, size_t n, jxta_adv_t **out);
/* Append a hop (peer `pid` at `eas`). */
int jxta_ra_add_hop(jxta_adv_t *ra, const jxta_id_t *pid, const char *const *eas, size_t n);
size_t jxta_ra_endpoints(const jxta_adv_t *ra, const char **out, size_t cap);
size_t jxta_ra_hop_count(const jxta_adv_t *ra);
/* Hop i: its PID and its APA element (for jxta_apa_endpoints). */
int jxta_ra_hop(const jxta_adv_t *ra, size_t i, jxta_id_t *pid, const jxta_xml_node_t **apa);

/* The route inside a rendezvous advertisement's RdvRoute. */
int jxta_rdv_adv_route(const jxta_adv_t *rdv, jxta_adv_t **ra);

#ifdef __cplusplus
}
#endif
#endif
