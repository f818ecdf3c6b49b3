/* id_text.c - JXTA IDs as values: parsing, canonical printing, comparison
 * and the structural accessors (PROTOCOLS.md 1.1-1.4).
 *
 * An ID is its 64 bytes (see jxta/id.h).  Text is "urn:jxta:" followed by
 * either "jxta-<Name>" for the three well-known IDs or "uuid-<hex>": the
 * bytes b[0..k] up to the last non-zero one (at least b[0]) then the type
 * byte.  The parser rebuilds the 64 bytes and, in strict mode, checks that
 * printing them gives back exactly the input, which is the simplest complete
 * definition of "canonical". */
#include <stdio.h>
#include <strings.h>

#include <jxta/id.h>

#include "../util/internal.h"

#define URN_PREFIX "urn:jxta:"
#define URN_PREFIX_LEN 9
#define UUID_DATA_MAX 128 /* hex chars after "uuid-", as JXSE */

/* The World group UUID spells "YabadabaJXTAP2P!", the Net group one
 * "YabadabaNPG P2P!". */
const jxta_id_t jxta_id_null = {{0}};
const jxta_id_t jxta_id_world_group = {{0x59, 0x61, 0x62, 0x61, 0x64, 0x61, 0x62, 0x61, 0x4A,
                                         0x78, 0x74, 0x61, 0x50, 0x32, 0x50, 0x33,
                                         [63] = JXTA_ID_GROUP}};
const jxta_id_t jxta_id_net_group = {{0x59, 0x61, 0x62, 0x61, 0x64, 0x61, 0x62, 0x61, 0x4E,
                                       0x50, 0x47, 0x20, 0x50, 0x32, 0x50, 0x33,
                                       [63] = JXTA_ID_GROUP}};

static const struct {
    const char *name;
    const jxta_id_t *id;
} well_known[] = {
    {"Null", &jxta_id_null},
    {"WorldGroup", &jxta_id_world_group},
    {"NetGroup", &jxta_id_net_group},
};

/* Number of meaningful bytes in b[0..62] for each kind: bytes past it must
 * be zero in a well-formed ID. */
static size_t kind_extent(jxta_id_kind_t kind)
{
    switch (kind) {
    case JXTA_ID_CODAT:
        return 52; /* group, instance, optional SHA-1 */
    case JXTA_ID_GROUP:
    case JXTA_ID_PEER:
    case JXTA_ID_PIPE:
    case JXTA_ID_MODULE_CLASS:
    case JXTA_ID_MODULE_SPEC:
        return 32;
    default:
        return 0;
    }
}

jxta_id_kind_t jxta_id_kind(const jxta_id_t *id)
{
    return (jxta_id_kind_t)id->b[63];
}

const char *jxta_id_kind_name(jxta_id_kind_t kind)
{
    switch (kind) {
    case JXTA_ID_NULL:
        return "null";
    case JXTA_ID_CODAT:
        return "codat";
    case JXTA_ID_GROUP:
        return "group";
    case JXTA_ID_PEER:
        return "peer";
    case JXTA_ID_PIPE:
        return "pipe";
    case JXTA_ID_MODULE_CLASS:
        return "module-class";
    case JXTA_ID_MODULE_SPEC:
        return "module-spec";
    }
    return "unknown";
}

int jxta_id_equal(const jxta_id_t *a, const jxta_id_t *b)
{
    return memcmp(a->b, b->b, JXTA_ID_BYTES) == 0;
}

int jxta_id_cmp(const jxta_id_t *a, const jxta_id_t *b)
{
    return memcmp(a->b, b->b, JXTA_ID_BYTES);
}

int jxta_id_is_null(const jxta_id_t *id)
{
    return jxta_id_equal(id, &jxta_id_null);
}

int jxta_id_is_world_group(const jxta_id_t *id)
{
    return jxta_id_equal(id, &jxta_id_world_group);
}

int jxta_id_is_net_group(const jxta_id_t *id)
{
    return jxta_id_equal(id, &jxta_id_net_group);
}

const uint8_t *jxta_id_uuid(const jxta_id_t *id, int slot)
{
    return id->b + (slot ? 16 : 0);
}

/* Validate a 64-byte ID: known type byte, zero outside the kind's fields. */
static int check_bytes(const jxta_id_t *id)
{
    jxta_id_kind_t kind = jxta_id_kind(id);
    if (kind == JXTA_ID_NULL)
        return jxta_id_is_null(id) ? 0 : JXTA_EBADID;
    size_t ext = kind_extent(kind);
    if (ext == 0)
        return JXTA_EBADID;
    for (size_t i = ext; i < 63; i++)
        if (id->b[i])
            return JXTA_EBADID;
    return 0;
}

int jxta_id_from_bytes(jxta_id_t *out, const uint8_t bytes[JXTA_ID_BYTES])
{
    jxta_id_t id;
    memcpy(id.b, bytes, JXTA_ID_BYTES);
    int rc = check_bytes(&id);
    if (rc < 0)
        return rc;
    *out = id;
    return 0;
}

static const char *well_known_name(const jxta_id_t *id)
{
    for (size_t i = 0; i < JXTA_ARRAY_LEN(well_known); i++)
        if (jxta_id_equal(id, well_known[i].id))
            return well_known[i].name;
    return NULL;
}

/* "uuid-<hex>" for any ID, ignoring the well-known names. */
static size_t format_uuid_form(const jxta_id_t *id, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 62, n = 5;
    while (k > 0 && id->b[k] == 0)
        k--;
    memcpy(out, "uuid-", 5);
    for (size_t i = 0; i <= k; i++) {
        out[n++] = hex[id->b[i] >> 4];
        out[n++] = hex[id->b[i] & 15];
    }
    out[n++] = hex[id->b[63] >> 4];
    out[n++] = hex[id->b[63] & 15];
    out[n] = '\0';
    return n;
}

/* Unique value into out (cap > 0); returns the untruncated length. */
static size_t format_unique(const jxta_id_t *id, char *out, size_t cap)
{
    char tmp[JXTA_ID_TEXT_MAX];
    const char *wk = well_known_name(id);
    size_t n = wk ? (size_t)snprintf(tmp, sizeof tmp, "jxta-%s", wk) : format_uuid_form(id, tmp);
    snprintf(out, cap, "%s", tmp);
    return n;
}

size_t jxta_id_format(const jxta_id_t *id, char *out, size_t cap)
{
    char uv[JXTA_ID_TEXT_MAX];
    size_t n = format_unique(id, uv, sizeof uv);
    if (cap)
        snprintf(out, cap, URN_PREFIX "%s", uv);
    return URN_PREFIX_LEN + n;
}

const char *jxta_id_str(const jxta_id_t *id, jxta_id_text_t *buf)
{
    jxta_id_format(id, buf->s, sizeof buf->s);
    return buf->s;
}

const char *jxta_id_unique_value(const jxta_id_t *id, jxta_id_text_t *buf)
{
    format_unique(id, buf->s, sizeof buf->s);
    return buf->s;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int bad(const char *why, const char *text, size_t len)
{
    jxta_log(JXTA_LOG_DEBUG, "id", "bad ID '%.*s': %s", (int)(len > 200 ? 200 : len), text, why);
    return JXTA_EBADID;
}

static int parse_uuid_data(jxta_id_t *id, const char *d, size_t n, const char *text, size_t len)
{
    if (n < 2 || n > UUID_DATA_MAX || n % 2)
        return bad("uuid data must be 2..128 hex digits, even count", text, len);
    memset(id, 0, sizeof *id);
    size_t nbytes = n / 2;
    for (size_t i = 0; i < nbytes; i++) {
        int hi = hexval(d[2 * i]), lo = hexval(d[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return bad("non-hex digit in uuid data", text, len);
        uint8_t v = (uint8_t)(hi << 4 | lo);
        if (i == nbytes - 1)
            id->b[63] = v;
        else
            id->b[i] = v;
    }
    if (id->b[63] == JXTA_ID_NULL || check_bytes(id) < 0)
        return bad("unknown type byte or data outside the ID kind's fields", text, len);
    return 0;
}

int jxta_id_parse(jxta_id_t *out, const char *text, size_t len, unsigned flags)
{
    int lenient = (flags & JXTA_ID_PARSE_LENIENT) != 0;
    if (!out || (!text && len))
        return JXTA_EINVAL;
    if (len <= URN_PREFIX_LEN || strncasecmp(text, URN_PREFIX, URN_PREFIX_LEN) != 0)
        return bad("does not start with urn:jxta:", text, len);
    const char *d = text + URN_PREFIX_LEN;
    size_t n = len - URN_PREFIX_LEN;
    const char *dash = memchr(d, '-', n);
    if (!dash)
        return bad("no '-' after the format name", text, len);
    size_t fmt_len = (size_t)(dash - d);
    const char *val = dash + 1;
    size_t val_len = n - fmt_len - 1;
    jxta_id_t id;
    if (fmt_len == 4 && memcmp(d, "jxta", 4) == 0) {
        size_t i;
        for (i = 0; i < JXTA_ARRAY_LEN(well_known); i++)
            if (strlen(well_known[i].name) == val_len &&
                strncasecmp(val, well_known[i].name, val_len) == 0)
                break;
        if (i == JXTA_ARRAY_LEN(well_known))
            return bad("unknown well-known jxta- ID", text, len);
        id = *well_known[i].id;
    } else if (fmt_len == 4 && memcmp(d, "uuid", 4) == 0) {
        int rc = parse_uuid_data(&id, val, val_len, text, len);
        if (rc < 0)
            return rc;
    } else {
        return bad("unknown ID format (expected jxta- or uuid-)", text, len);
    }
    if (!lenient) {
        /* Canonical = what we print, except that the uuid spellings of the
         * World and Net groups are accepted (JXSE maps them). */
        char canon[JXTA_ID_TEXT_MAX];
        size_t cl = jxta_id_format(&id, canon, sizeof canon);
        int same = cl == len && memcmp(canon, text, len) == 0;
        if (!same && (jxta_id_is_world_group(&id) || jxta_id_is_net_group(&id))) {
            char alt[JXTA_ID_TEXT_MAX] = URN_PREFIX;
            size_t al = URN_PREFIX_LEN + format_uuid_form(&id, alt + URN_PREFIX_LEN);
            same = al == len && memcmp(alt, text, len) == 0;
        }
        if (!same) {
            jxta_log(JXTA_LOG_DEBUG, "id", "non-canonical ID '%.*s' (canonical: %s)",
                     (int)(len > 200 ? 200 : len), text, canon);
            return JXTA_ENONCANON;
        }
    }
    *out = id;
    return 0;
}

int jxta_id_from_string(jxta_id_t *out, const char *text)
{
    if (!text)
        return JXTA_EINVAL;
    return jxta_id_parse(out, text, strlen(text), 0);
}

static void group_from_uuid(jxta_id_t *g, const uint8_t uuid[16])
{
    memset(g, 0, sizeof *g);
    memcpy(g->b, uuid, 16);
    g->b[63] = JXTA_ID_GROUP;
}

int jxta_id_group_of(const jxta_id_t *id, jxta_id_t *group)
{
    switch (jxta_id_kind(id)) {
    case JXTA_ID_PEER:
    case JXTA_ID_PIPE:
    case JXTA_ID_CODAT:
        group_from_uuid(group, id->b);
        return 0;
    default:
        return JXTA_EINVAL;
    }
}

int jxta_id_parent_of(const jxta_id_t *group, jxta_id_t *parent)
{
    if (jxta_id_kind(group) != JXTA_ID_GROUP)
        return JXTA_EINVAL;
    static const uint8_t zero[16];
    if (memcmp(group->b + 16, zero, 16) == 0) {
        /* The Net group's parent is the World group; others have none. */
        if (jxta_id_is_net_group(group)) {
            *parent = jxta_id_world_group;
            return 0;
        }
        return JXTA_ENOTFOUND;
    }
    group_from_uuid(parent, group->b + 16);
    return 0;
}

int jxta_id_class_of(const jxta_id_t *spec, jxta_id_t *cls)
{
    if (jxta_id_kind(spec) != JXTA_ID_MODULE_SPEC)
        return JXTA_EINVAL;
    memset(cls, 0, sizeof *cls);
    memcpy(cls->b, spec->b, 16);
    cls->b[63] = JXTA_ID_MODULE_CLASS;
    return 0;
}
