/* id_new.c - making new IDs exactly as JXSE makes them (PROTOCOLS.md 1.5).
 *
 * Random IDs take a version-4 UUID from libuuid and apply JXSE's masks.
 * Seeded IDs copy the first 16 seed bytes into the UUID slot and set the
 * version/variant bits the way JXSE's seeded constructors do, so a C peer
 * and a Java peer derive the same pipe, peer or group ID from the same
 * seed - which is how well-known pipes and groups are shared.  The vectors
 * in dump/ids.json are all reproduced by these functions. */
#include <uuid/uuid.h>

#include <jxta/id.h>
#include <jxta/sha1.h>

#include "../util/internal.h"

int jxta_uuid_random(uint8_t out[JXTA_UUID_BYTES])
{
    uuid_t u;
    uuid_generate_random(u);
    memcpy(out, u, JXTA_UUID_BYTES);
    out[6] = (uint8_t)((out[6] & 0x0F) | 0x40); /* version 4 */
    out[8] = (uint8_t)((out[8] & 0x3F) | 0x80); /* IETF variant */
    out[10] |= 0x80;                            /* JXSE's extra bit */
    return 0;
}

void jxta_uuid_from_seed(uint8_t out[JXTA_UUID_BYTES], const void *seed, size_t len)
{
    memset(out, 0, JXTA_UUID_BYTES);
    if (seed && len)
        memcpy(out, seed, len < JXTA_UUID_BYTES ? len : JXTA_UUID_BYTES);
    out[6] = (uint8_t)((out[6] & 0x0F) | 0x40);
    out[8] = (uint8_t)((out[8] & 0x3F) | 0x80);
    out[10] = (uint8_t)((out[10] & 0x3F) | 0x80);
}

void jxta_seed_from_text(uint8_t out[20], const char *text)
{
    jxta_sha1(text, strlen(text), out);
}

/* group UUID of `group` in slot 0, `uuid` in slot 1, type byte `kind`. */
static int make_member(jxta_id_t *out, const jxta_id_t *group, const uint8_t uuid[16],
                       jxta_id_kind_t kind)
{
    if (!out || !group || jxta_id_kind(group) != JXTA_ID_GROUP)
        return JXTA_EINVAL;
    memset(out, 0, sizeof *out);
    memcpy(out->b, group->b, 16);
    memcpy(out->b + 16, uuid, 16);
    out->b[63] = (uint8_t)kind;
    return 0;
}

static int make_group(jxta_id_t *out, const jxta_id_t *parent, const uint8_t uuid[16])
{
    if (!out || (parent && jxta_id_kind(parent) != JXTA_ID_GROUP))
        return JXTA_EINVAL;
    memset(out, 0, sizeof *out);
    memcpy(out->b, uuid, 16);
    if (parent)
        memcpy(out->b + 16, parent->b, 16);
    out->b[63] = JXTA_ID_GROUP;
    return 0;
}

int jxta_id_new_peer(jxta_id_t *out, const jxta_id_t *group)
{
    uint8_t u[16];
    jxta_uuid_random(u);
    return make_member(out, group, u, JXTA_ID_PEER);
}

int jxta_id_new_pipe(jxta_id_t *out, const jxta_id_t *group)
{
    uint8_t u[16];
    jxta_uuid_random(u);
    return make_member(out, group, u, JXTA_ID_PIPE);
}

int jxta_id_new_codat(jxta_id_t *out, const jxta_id_t *group)
{
    uint8_t u[16];
    jxta_uuid_random(u);
    return make_member(out, group, u, JXTA_ID_CODAT);
}

int jxta_id_new_codat_hashed(jxta_id_t *out, const jxta_id_t *group, const void *data, size_t len)
{
    if (!data && len)
        return JXTA_EINVAL;
    int rc = jxta_id_new_codat(out, group);
    if (rc == 0)
        jxta_sha1(data, len, out->b + 32);
    return rc;
}

int jxta_id_new_group(jxta_id_t *out, const jxta_id_t *parent)
{
    uint8_t u[16];
    jxta_uuid_random(u);
    return make_group(out, parent, u);
}

int jxta_id_new_module_class(jxta_id_t *out)
{
    if (!out)
        return JXTA_EINVAL;
    memset(out, 0, sizeof *out);
    jxta_uuid_random(out->b);
    out->b[63] = JXTA_ID_MODULE_CLASS;
    return 0;
}

int jxta_id_new_module_spec(jxta_id_t *out, const jxta_id_t *cls)
{
    if (!out || !cls || jxta_id_kind(cls) != JXTA_ID_MODULE_CLASS)
        return JXTA_EINVAL;
    jxta_id_t s;
    memset(&s, 0, sizeof s);
    memcpy(s.b, cls->b, 16);
    jxta_uuid_random(s.b + 16);
    s.b[63] = JXTA_ID_MODULE_SPEC;
    *out = s;
    return 0;
}

int jxta_id_peer_from_seed(jxta_id_t *out, const jxta_id_t *group, const void *seed, size_t len)
{
    uint8_t u[16];
    jxta_uuid_from_seed(u, seed, len);
    return make_member(out, group, u, JXTA_ID_PEER);
}

int jxta_id_pipe_from_seed(jxta_id_t *out, const jxta_id_t *group, const void *seed, size_t len)
{
    uint8_t u[16];
    jxta_uuid_from_seed(u, seed, len);
    return make_member(out, group, u, JXTA_ID_PIPE);
}

int jxta_id_codat_from_seed(jxta_id_t *out, const jxta_id_t *group, const void *seed, size_t len)
{
    uint8_t u[16];
    jxta_uuid_from_seed(u, seed, len);
    return make_member(out, group, u, JXTA_ID_CODAT);
}

int jxta_id_group_from_seed(jxta_id_t *out, const jxta_id_t *parent, const void *seed, size_t len)
{
    uint8_t u[16];
    jxta_uuid_from_seed(u, seed, len);
    return make_group(out, parent, u);
}
