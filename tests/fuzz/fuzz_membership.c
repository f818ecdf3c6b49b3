/* fuzz_membership.c - libFuzzer harness for group membership.
 *
 * Every input is used four ways:
 *  - as an XML document: a PGA is read for its membership (and, when it
 *    is a password group, every login whose stored password can be typed
 *    must join and give a credential that verifies for our peer only); a
 *    MIA is read against a PGA naming it and turned into a password-group
 *    MIA; any root is read as a login Parm;
 *  - as a credential received from a peer: it must be refused unless it is
 *    the one real credential;
 *  - as a password: its JXSE encoding is UTF-8 without lower-case letters;
 *  - as lines "identity:password": what jxta_membership_pga_set_passwd
 *    accepts must be written, parsed again and let every login join.
 * Crashes, leaks (ASan), UB and a broken invariant are findings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include <jxta.h>
#include <jxta/membership.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 32

static jxta_id_t gid, msid, peer, other_peer;
static jxta_membership_t *fixed; /* a password group with alice/bob */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    jxta_log_set_level(JXTA_LOG_ERROR);
    xmlInitParser();
    jxta_id_t cls;
    if (jxta_id_from_string(&gid, "urn:jxta:uuid-A3F1C2D4E5B64A7C8D9EB01A2B3C4D5E02") < 0 ||
        jxta_id_from_string(&cls, "urn:jxta:uuid-7E21F0A6C3D44B1E9A0BC1D2E3F4A5B605") < 0 ||
        jxta_id_new_module_spec(&msid, &cls) < 0 ||
        jxta_id_new_peer(&peer, &jxta_id_net_group) < 0 ||
        jxta_id_new_peer(&other_peer, &jxta_id_net_group) < 0)
        abort();
    jxta_adv_t *pga;
    const char *logins[] = {"alice:password", "bob:hunter2"};
    if (jxta_pga_new(&gid, &msid, "g", NULL, &pga) < 0 ||
        jxta_membership_pga_set_passwd(pga, logins, 2) < 0 ||
        jxta_membership_from_pga(pga, NULL, &fixed) < 0 ||
        jxta_membership_join(fixed, &peer, "alice", "password") < 0)
        abort();
    jxta_adv_free(pga);
    return 0;
}

/* The plain text whose encoding is `stored`, when there is one (stored
 * holds no lower-case letter and no character Java upper-cases to one). */
static char *typeable(const char *stored)
{
    static const char subst[] = "DQKWHRTENOGXCVYSFJPILZABMU";
    size_t n = strlen(stored);
    char *p = malloc(n + 1);
    if (!p)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)stored[i];
        if ((c >= 'a' && c <= 'z') || c == 0xC4 || c == 0xC5) {
            free(p);
            return NULL;
        }
        p[i] = c >= 'A' && c <= 'Z' ? subst[c - 'A'] : (char)c;
    }
    p[n] = '\0';
    return p;
}

static void check_table(const jxta_passwd_table_t *t, jxta_membership_t *m)
{
    size_t n = jxta_passwd_table_count(t);
    for (size_t i = 0; i < n && i < 8; i++) {
        const char *id = jxta_passwd_table_identity(t, i);
        const char *stored = jxta_passwd_table_encoded(t, id);
        if (!id || !stored)
            abort();
        char *pw = typeable(stored);
        if (!pw)
            continue;
        if (jxta_passwd_table_check(t, id, pw) != 0)
            abort();
        if (m) {
            if (jxta_membership_join(m, &peer, id, pw) != 0)
                abort();
            const char *cred = jxta_membership_credential(m);
            if (!cred || jxta_membership_verify(m, &peer, cred, strlen(cred)) != 0 ||
                jxta_membership_verify(m, &other_peer, cred, strlen(cred)) != JXTA_EACCES)
                abort();
        }
        free(pw);
    }
}

static void as_document(const uint8_t *data, size_t size)
{
    jxta_adv_t *a = NULL;
    if (jxta_adv_parse(data, size, &a) == 0) {
        const char *type = jxta_adv_type_name(a);
        jxta_membership_t *m = NULL;
        if (strcmp(type, "jxta:PGA") == 0 && jxta_membership_from_pga(a, NULL, &m) == 0) {
            if (jxta_membership_kind(m) == JXTA_MEMBERSHIP_PASSWD) {
                jxta_passwd_table_t *t = NULL;
                if (jxta_passwd_table_read(jxta_passwd_pga_parm(a), &t) != 0 ||
                    jxta_passwd_table_count(t) != jxta_membership_login_count(m))
                    abort();
                check_table(t, m);
                jxta_passwd_table_free(t);
            } else if (jxta_membership_join(m, &peer, "x", "y") != 0) {
                abort();
            }
            jxta_membership_free(m);
        } else if (strcmp(type, "jxta:MIA") == 0) {
            jxta_id_t mia_msid;
            jxta_adv_t *pga = NULL, *pmia = NULL;
            if (jxta_adv_get_id(a, "MSID", &mia_msid) == 0 &&
                jxta_pga_new(&gid, &mia_msid, "g", NULL, &pga) == 0) {
                if (jxta_membership_from_pga(pga, a, &m) == 0)
                    jxta_membership_free(m);
                jxta_adv_free(pga);
            }
            if (jxta_membership_mia_passwd(a, &msid, &pmia) == 0) {
                /* the result names the passwd membership */
                const char *logins[] = {"u:p"};
                if (jxta_pga_new(&gid, &msid, "g", NULL, &pga) != 0 ||
                    jxta_membership_pga_set_passwd(pga, logins, 1) != 0 ||
                    jxta_membership_from_pga(pga, pmia, &m) != 0 ||
                    jxta_membership_kind(m) != JXTA_MEMBERSHIP_PASSWD)
                    abort();
                jxta_membership_free(m);
                jxta_adv_free(pga);
                jxta_adv_free(pmia);
            }
        }
        jxta_adv_free(a);
    }
    jxta_xml_node_t *root = NULL;
    if (jxta_xml_parse(data, size, &root) == 0) {
        jxta_passwd_table_t *t = NULL;
        if (jxta_passwd_table_read(root, &t) == 0) {
            check_table(t, NULL);
            jxta_passwd_table_free(t);
        }
        jxta_xml_free(root);
    }
}

static void as_credential(const uint8_t *data, size_t size)
{
    int rc = jxta_membership_verify(fixed, &peer, data, size);
    const char *real = jxta_membership_credential(fixed);
    if (rc == 0 && (size != strlen(real) || memcmp(data, real, size) != 0))
        abort();
    if (rc != 0 && rc != JXTA_EACCES && rc != JXTA_EPROTO)
        abort();
}

static void as_password(const char *text)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_passwd_encode(text, &b);
    if (rc == 0) {
        if (b.len > strlen(text) || !jxta_utf8_valid(b.data, b.len))
            abort();
        for (size_t i = 0; i < b.len; i++)
            if (b.data[i] >= 'a' && b.data[i] <= 'z')
                abort();
    } else if (rc != JXTA_EINVAL || jxta_utf8_valid(text, strlen(text))) {
        abort();
    }
    jxta_buf_free(&b);
}

static void as_logins(char *text)
{
    const char *lines[MAX_LINES];
    size_t n = 0;
    for (char *p = text; p && n < MAX_LINES;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lines[n++] = p;
        p = nl ? nl + 1 : NULL;
    }
    jxta_adv_t *pga = NULL, *back = NULL;
    if (jxta_pga_new(&gid, &msid, "g", NULL, &pga) != 0)
        abort();
    if (jxta_membership_pga_set_passwd(pga, lines, n) == 0) {
        char *doc = NULL;
        jxta_membership_t *m = NULL;
        if (jxta_adv_to_string(pga, 0, &doc) != 0 || jxta_adv_parse(doc, strlen(doc), &back) != 0 ||
            jxta_membership_from_pga(back, NULL, &m) != 0 ||
            jxta_membership_kind(m) != JXTA_MEMBERSHIP_PASSWD)
            abort();
        for (size_t i = 0; i < n; i++) {
            const char *colon = strchr(lines[i], ':');
            size_t idlen = (size_t)(colon - lines[i]);
            /* the last entry for an identity is the one that counts */
            size_t last = i;
            for (size_t j = i + 1; j < n; j++)
                if (strncmp(lines[j], lines[i], idlen + 1) == 0)
                    last = j;
            char id[JXTA_PASSWD_MAX_FIELD + 1];
            memcpy(id, lines[i], idlen);
            id[idlen] = '\0';
            if (jxta_membership_check(m, id, strchr(lines[last], ':') + 1) != 0)
                abort();
        }
        jxta_membership_free(m);
        jxta_adv_free(back);
        free(doc);
    }
    jxta_adv_free(pga);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    as_document(data, size);
    as_credential(data, size);
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    as_password(text);
    as_logins(text);
    free(text);
    return 0;
}
