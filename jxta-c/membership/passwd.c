/* passwd.c - JXSE's password membership as data: the login list in a
 * group's membership service parameter, JXSE's password "encoding", the
 * login check, and the PGA/MIA pieces a password group is made of
 * (see jxta/membership.h for the format and its weaknesses).
 *
 * Reading follows PasswdMembershipService.init() rule for rule, including
 * its oddities (trimmed identity, untrimmed password, last entry wins,
 * empty password accepts anything), because a C peer and a JXSE peer must
 * agree on who may join the same group.  Writing produces the one layout
 * JXSE applications write: <login>identity:ENCODED:</login>. */
#include <jxta/membership.h>
#include <jxta/wellknown.h>

#include "../util/internal.h"

struct login {
    char *identity;
    char *encoded;
};

struct jxta_passwd_table {
    struct login *v;
    size_t n, cap;
};

/* ---- the encoding -------------------------------------------------------- */

/* JXSE substitutes an upper-case letter L by 'A' + (position of L in this
 * alphabet); characters whose upper case is not a letter A-Z are kept. */
static const char SUBST[] = "DQKWHRTENOGXCVYSFJPILZABMU";

static char encode_upper(char up)
{
    const char *p = memchr(SUBST, up, 26);
    return p ? (char)('A' + (p - SUBST)) : up;
}

int jxta_passwd_encode(const char *plain, jxta_buf_t *out)
{
    if (!plain || !out)
        return JXTA_EINVAL;
    size_t n = strlen(plain);
    if (!jxta_utf8_valid(plain, n))
        return jxta__reject(JXTA_EINVAL, "membership", "password is not valid UTF-8");
    const unsigned char *s = (const unsigned char *)plain;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 'a' && c <= 'z') {
            jxta_buf_put_u8(out, (uint8_t)encode_upper((char)(c - 'a' + 'A')));
        } else if (c >= 'A' && c <= 'Z') {
            jxta_buf_put_u8(out, (uint8_t)encode_upper((char)c));
        } else if (c == 0xC4 && i + 1 < n && s[i + 1] == 0xB1) {
            /* U+0131 dotless i: Java's toUpperCase gives 'I' */
            jxta_buf_put_u8(out, (uint8_t)encode_upper('I'));
            i++;
        } else if (c == 0xC5 && i + 1 < n && s[i + 1] == 0xBF) {
            /* U+017F long s: upper case 'S' */
            jxta_buf_put_u8(out, (uint8_t)encode_upper('S'));
            i++;
        } else {
            jxta_buf_put_u8(out, c);
        }
    }
    return jxta_buf_error(out);
}

/* ---- the table ------------------------------------------------------------- */

static void table_clear(jxta_passwd_table_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].identity);
        free(t->v[i].encoded);
    }
    free(t->v);
}

void jxta_passwd_table_free(jxta_passwd_table_t *t)
{
    if (!t)
        return;
    table_clear(t);
    free(t);
}

static struct login *table_find(const jxta_passwd_table_t *t, const char *identity)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].identity, identity) == 0)
            return &t->v[i];
    return NULL;
}

/* Set identity -> encoded (a later entry replaces an earlier one). */
static int table_put(jxta_passwd_table_t *t, const char *id, size_t idlen, const char *enc,
                     size_t enclen)
{
    char *identity = jxta__strndup(id, idlen), *encoded = jxta__strndup(enc, enclen);
    if (!identity || !encoded) {
        free(identity);
        free(encoded);
        return JXTA_ENOMEM;
    }
    struct login *l = table_find(t, identity);
    if (l) {
        free(identity);
        free(l->encoded);
        l->encoded = encoded;
        return 0;
    }
    if (t->n == JXTA_PASSWD_MAX_LOGINS) {
        free(identity);
        free(encoded);
        return jxta__reject(JXTA_ETOOBIG, "membership", "more than %d logins",
                            JXTA_PASSWD_MAX_LOGINS);
    }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 8;
        struct login *v = realloc(t->v, nc * sizeof *v);
        if (!v) {
            free(identity);
            free(encoded);
            return JXTA_ENOMEM;
        }
        t->v = v;
        t->cap = nc;
    }
    t->v[t->n].identity = identity;
    t->v[t->n].encoded = encoded;
    t->n++;
    return 0;
}

static int is_blank(char c)
{
    /* Java's String.trim(): every char <= U+0020 */
    return (unsigned char)c <= 0x20;
}

/* One <login> text, already trimmed as getTextValue() returns it. */
static int read_login(jxta_passwd_table_t *t, const char *text, size_t index)
{
    if (!*text) /* getTextValue() gives null: JXSE fails on it */
        return jxta__reject(JXTA_EPROTO, "membership",
                            "login entry %zu is empty (JXSE cannot start this group)", index);
    const char *c1 = strchr(text, ':');
    if (!c1) {
        jxta_log(JXTA_LOG_DEBUG, "membership", "login entry %zu has no ':'; ignored (as JXSE)",
                 index);
        return 0;
    }
    const char *c2 = strchr(c1 + 1, ':');
    if (!c2)
        return jxta__reject(JXTA_EPROTO, "membership",
                            "login entry %zu has no ':' after the password (JXSE cannot start "
                            "this group)",
                            index);
    const char *b = text, *e = c1;
    while (b < e && is_blank(*b))
        b++;
    while (e > b && is_blank(e[-1]))
        e--;
    if ((size_t)(e - b) > JXTA_PASSWD_MAX_FIELD || (size_t)(c2 - c1 - 1) > JXTA_PASSWD_MAX_FIELD)
        return jxta__reject(JXTA_ETOOBIG, "membership", "login entry %zu: field longer than %d",
                            index, JXTA_PASSWD_MAX_FIELD);
    return table_put(t, b, (size_t)(e - b), c1 + 1, (size_t)(c2 - c1 - 1));
}

int jxta_passwd_table_read(const jxta_xml_node_t *parm, jxta_passwd_table_t **out)
{
    if (!parm || !out)
        return JXTA_EINVAL;
    jxta_passwd_table_t *t = calloc(1, sizeof *t);
    if (!t)
        return JXTA_ENOMEM;
    size_t index = 0;
    int rc = 0;
    for (const jxta_xml_node_t *c = jxta_xml_first(parm); c && rc == 0; c = jxta_xml_next(c)) {
        if (strcmp(jxta_xml_name(c), "login") != 0)
            continue;
        rc = read_login(t, jxta_xml_text(c), index++);
    }
    if (rc < 0) {
        jxta_passwd_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

size_t jxta_passwd_table_count(const jxta_passwd_table_t *t)
{
    return t ? t->n : 0;
}

const char *jxta_passwd_table_identity(const jxta_passwd_table_t *t, size_t i)
{
    return t && i < t->n ? t->v[i].identity : NULL;
}

const char *jxta_passwd_table_encoded(const jxta_passwd_table_t *t, const char *identity)
{
    const struct login *l = t && identity ? table_find(t, identity) : NULL;
    return l ? l->encoded : NULL;
}

/* Constant-time equality of two strings of the same length. */
static int same_secret(const char *a, const char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int jxta_passwd_table_check(const jxta_passwd_table_t *t, const char *identity,
                            const char *password)
{
    if (!t || !identity || !password)
        return JXTA_EINVAL;
    const char *stored = jxta_passwd_table_encoded(t, identity);
    if (!stored)
        return JXTA_EACCES;
    if (!*stored)
        return 0; /* JXSE: an empty stored password matches everything */
    jxta_buf_t enc = JXTA_BUF_INIT;
    int rc = jxta_passwd_encode(password, &enc);
    if (rc == 0)
        rc = enc.len == strlen(stored) && same_secret((const char *)enc.data, stored, enc.len)
                 ? 0
                 : JXTA_EACCES;
    jxta_buf_free(&enc);
    return rc;
}

/* ---- PGA ------------------------------------------------------------------ */

static const jxta_xml_node_t *membership_svc_parm(const jxta_xml_node_t *root,
                                                  const jxta_xml_node_t **svc_out)
{
    const jxta_id_t *mcid = jxta_wk_id(JXTA_WK_CLASS_MEMBERSHIP);
    const jxta_xml_node_t *found = NULL, *found_svc = NULL;
    /* JXSE keeps the last MCID and the last Parm of a Svc, and the last Svc
     * with both for a class. */
    for (const jxta_xml_node_t *svc = jxta_xml_child(root, "Svc"); svc;
         svc = jxta_xml_next_named(svc)) {
        const jxta_xml_node_t *cls = NULL, *parm = NULL;
        for (const jxta_xml_node_t *c = jxta_xml_first(svc); c; c = jxta_xml_next(c)) {
            if (strcmp(jxta_xml_name(c), "MCID") == 0)
                cls = c;
            else if (strcmp(jxta_xml_name(c), "Parm") == 0)
                parm = c;
        }
        jxta_id_t id;
        const char *t = cls ? jxta_xml_text(cls) : NULL;
        if (t && parm && jxta_id_parse(&id, t, strlen(t), JXTA_ID_PARSE_LENIENT) == 0 &&
            jxta_id_equal(&id, mcid)) {
            found = parm;
            found_svc = svc;
        }
    }
    if (svc_out)
        *svc_out = found_svc;
    return found;
}

/* A membership Svc without Parm (which JXSE ignores), to be filled in. */
static jxta_xml_node_t *membership_svc_bare(jxta_xml_node_t *root)
{
    const jxta_id_t *mcid = jxta_wk_id(JXTA_WK_CLASS_MEMBERSHIP);
    for (jxta_xml_node_t *svc = root ? jxta_xml_first_mut(root) : NULL; svc;
         svc = jxta_xml_next_mut(svc)) {
        const jxta_xml_node_t *cls = jxta_xml_child(svc, "MCID");
        const char *t = cls ? jxta_xml_text(cls) : NULL;
        jxta_id_t id;
        if (strcmp(jxta_xml_name(svc), "Svc") == 0 && t && !jxta_xml_child(svc, "Parm") &&
            jxta_id_parse(&id, t, strlen(t), JXTA_ID_PARSE_LENIENT) == 0 &&
            jxta_id_equal(&id, mcid))
            return svc;
    }
    return NULL;
}

const jxta_xml_node_t *jxta_passwd_pga_parm(const jxta_adv_t *pga)
{
    return pga ? membership_svc_parm(jxta_adv_root(pga), NULL) : NULL;
}

/* "identity:password" -> "identity:ENCODED:" appended to `line`. */
static int login_line(const char *entry, size_t index, jxta_buf_t *line)
{
    const char *colon = entry ? strchr(entry, ':') : NULL;
    if (!colon)
        return jxta__reject(JXTA_EINVAL, "membership",
                            "login %zu is not \"identity:password\"", index);
    size_t idlen = (size_t)(colon - entry);
    const char *pw = colon + 1;
    if (idlen == 0 || is_blank(entry[0]) || is_blank(colon[-1]))
        return jxta__reject(JXTA_EINVAL, "membership",
                            "login %zu: identity empty or with surrounding blanks", index);
    if (strchr(pw, ':'))
        return jxta__reject(JXTA_EINVAL, "membership",
                            "login %zu: password holds ':' (JXSE would cut it there)", index);
    if (idlen > JXTA_PASSWD_MAX_FIELD || strlen(pw) > JXTA_PASSWD_MAX_FIELD)
        return jxta__reject(JXTA_EINVAL, "membership", "login %zu: field longer than %d", index,
                            JXTA_PASSWD_MAX_FIELD);
    if (!jxta_utf8_valid(entry, idlen))
        return jxta__reject(JXTA_EINVAL, "membership", "login %zu: identity not UTF-8", index);
    jxta_buf_append(line, entry, idlen);
    jxta_buf_put_u8(line, ':');
    int rc = jxta_passwd_encode(pw, line);
    if (rc < 0)
        return rc;
    if (!*pw)
        jxta_log(JXTA_LOG_INFO, "membership",
                 "login %zu has an empty password: any password will be accepted", index);
    jxta_buf_put_u8(line, ':');
    jxta_buf_put_u8(line, 0);
    return jxta_buf_error(line);
}

int jxta_membership_pga_set_passwd(jxta_adv_t *pga, const char *const *logins, size_t n)
{
    if (!pga || (n && !logins) || strcmp(jxta_adv_type_name(pga), "jxta:PGA") != 0)
        return JXTA_EINVAL;
    if (n > JXTA_PASSWD_MAX_LOGINS)
        return jxta__reject(JXTA_EINVAL, "membership", "more than %d logins",
                            JXTA_PASSWD_MAX_LOGINS);
    /* Build the new Parm aside, so a bad entry leaves the PGA unchanged. */
    jxta_xml_node_t *parm;
    int rc = jxta_xml_new("Parm", &parm);
    if (rc < 0)
        return rc;
    jxta_buf_t line = JXTA_BUF_INIT;
    for (size_t i = 0; i < n && rc == 0; i++) {
        jxta_buf_reset(&line);
        rc = login_line(logins[i], i, &line);
        if (rc == 0)
            rc = jxta_xml_add(parm, "login", (const char *)line.data, NULL);
    }
    jxta_buf_free(&line);
    if (rc < 0) {
        jxta_xml_free(parm);
        return rc;
    }
    jxta_xml_node_t *root = jxta_adv_root_mut(pga);
    const jxta_xml_node_t *svc_c = NULL;
    const jxta_xml_node_t *old = membership_svc_parm(root, &svc_c);
    jxta_xml_node_t *svc = (jxta_xml_node_t *)svc_c;
    if (!svc)
        svc = membership_svc_bare(root);
    if (old) {
        jxta_xml_free((jxta_xml_node_t *)old);
    } else if (!svc) {
        rc = jxta_adv_add(pga, "Svc", NULL, &svc);
        if (rc == 0)
            rc = jxta_xml_add(svc, "MCID", jxta_wk_urn(JXTA_WK_CLASS_MEMBERSHIP), NULL);
        if (rc < 0) {
            jxta_xml_free(svc);
            jxta_xml_free(parm);
            return rc;
        }
    }
    return jxta_xml_append(svc, parm);
}

/* ---- MIA ------------------------------------------------------------------ */

/* The spec a Svc entry of a group MIA's Parm names, and the class it
 * fills: text = spec ID; MCID + MSID; inline jxta:MIA (maybe with MCID).
 * IDs as JXSE reads them (any case).  0 or JXTA_EBADID. */
int jxta__membership_svc_entry(const jxta_xml_node_t *svc, jxta_id_t *cls, jxta_id_t *spec);
int jxta__membership_svc_entry(const jxta_xml_node_t *svc, jxta_id_t *cls, jxta_id_t *spec)
{
    const jxta_xml_node_t *mia = jxta_xml_child(svc, "jxta:MIA");
    const jxta_xml_node_t *ms = mia ? jxta_xml_child(mia, "MSID") : jxta_xml_child(svc, "MSID");
    const jxta_xml_node_t *mc = jxta_xml_child(svc, "MCID");
    const char *st = ms ? jxta_xml_text(ms) : (jxta_xml_first(svc) ? NULL : jxta_xml_text(svc));
    if (!st || jxta_id_parse(spec, st, strlen(st), JXTA_ID_PARSE_LENIENT) < 0 ||
        jxta_id_kind(spec) != JXTA_ID_MODULE_SPEC)
        return JXTA_EBADID;
    if (mc) {
        const char *ct = jxta_xml_text(mc);
        if (jxta_id_parse(cls, ct, strlen(ct), JXTA_ID_PARSE_LENIENT) < 0 ||
            jxta_id_kind(cls) != JXTA_ID_MODULE_CLASS)
            return JXTA_EBADID;
        return 0;
    }
    return jxta_id_class_of(spec, cls);
}

/* A copy of `elem` appended to `parent`, or nothing when elem is NULL. */
static int copy_child(jxta_xml_node_t *parent, const jxta_xml_node_t *elem)
{
    if (!elem)
        return 0;
    jxta_xml_node_t *c;
    int rc = jxta_xml_clone(elem, &c);
    if (rc == 0 && (rc = jxta_xml_append(parent, c)) < 0)
        jxta_xml_free(c);
    return rc;
}

/* The inline passwd membership MIA, with Comp/PURI/Prov of `old` (the
 * entry it replaces; may be NULL). */
static int passwd_service_mia(const jxta_xml_node_t *old, jxta_adv_t **out)
{
    jxta_adv_t *a;
    int rc = jxta_adv_new(&jxta_adv_type_mia, &a);
    if (rc < 0)
        return rc;
    jxta_xml_node_t *root = jxta_adv_root_mut(a);
    rc = jxta_adv_set(a, "MSID", jxta_wk_urn(JXTA_WK_SPEC_MEMBERSHIP_PASSWD));
    if (rc == 0)
        rc = jxta_adv_set(a, "Desc", "Password Membership Service");
    const jxta_xml_node_t *comp = old ? jxta_xml_child(old, "Comp") : NULL;
    if (rc == 0 && comp) {
        rc = copy_child(root, comp);
    } else if (rc == 0) {
        jxta_xml_node_t *c;
        rc = jxta_xml_add(root, "Comp", NULL, &c);
        if (rc == 0)
            rc = jxta_xml_add(c, "Efmt", "JDK1.4.1", NULL);
        if (rc == 0)
            rc = jxta_xml_add(c, "Bind", "V2.0 Ref Impl", NULL);
    }
    if (rc == 0)
        rc = jxta_adv_set(a, "Code", JXTA_PASSWD_MEMBERSHIP_CODE);
    const jxta_xml_node_t *puri = old ? jxta_xml_child(old, "PURI") : NULL;
    const jxta_xml_node_t *prov = old ? jxta_xml_child(old, "Prov") : NULL;
    if (rc == 0)
        rc = jxta_adv_set(a, "PURI", puri ? jxta_xml_text(puri)
                                          : "http://jxta-jxse.dev.java.net/download/jxta.jar");
    if (rc == 0)
        rc = jxta_adv_set(a, "Prov", prov ? jxta_xml_text(prov) : "sun.com");
    if (rc < 0) {
        jxta_adv_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

int jxta_membership_mia_passwd(const jxta_adv_t *mia, const jxta_id_t *msid, jxta_adv_t **out)
{
    if (!mia || !msid || !out || strcmp(jxta_adv_type_name(mia), "jxta:MIA") != 0 ||
        jxta_id_kind(msid) != JXTA_ID_MODULE_SPEC)
        return JXTA_EINVAL;
    jxta_adv_t *copy;
    int rc = jxta_adv_clone(mia, &copy);
    if (rc < 0)
        return rc;
    rc = jxta_adv_set_id(copy, "MSID", msid);
    jxta_xml_node_t *parm = jxta_xml_child_mut(jxta_adv_root_mut(copy), "Parm");
    jxta_xml_node_t *target = NULL;
    for (jxta_xml_node_t *c = parm ? jxta_xml_first_mut(parm) : NULL; rc == 0 && c;
         c = jxta_xml_next_mut(c)) {
        jxta_id_t cls, spec;
        if (strcmp(jxta_xml_name(c), "Svc") == 0 &&
            jxta__membership_svc_entry(c, &cls, &spec) == 0 &&
            jxta_id_equal(&cls, jxta_wk_id(JXTA_WK_CLASS_MEMBERSHIP)))
            target = c; /* the last one counts, as in JXSE */
    }
    if (rc == 0 && !target)
        rc = jxta__reject(JXTA_ENOTFOUND, "membership",
                          "group implementation lists no membership service");
    jxta_adv_t *svc_mia = NULL;
    if (rc == 0)
        rc = passwd_service_mia(jxta_xml_child(target, "jxta:MIA"), &svc_mia);
    if (rc == 0) {
        /* Empty the entry (text and children), then put the new MIA in. */
        jxta_xml_node_t *c;
        while ((c = jxta_xml_first_mut(target)) != NULL)
            jxta_xml_free(c);
        jxta_xml_set_text(target, NULL);
        rc = jxta_adv_embed(target, svc_mia);
    }
    jxta_adv_free(svc_mia);
    if (rc < 0) {
        jxta_adv_free(copy);
        return rc;
    }
    *out = copy;
    return 0;
}
