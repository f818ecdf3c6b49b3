/* welcome.c - the TCP welcome line (PROTOCOLS.md 4.2):
 *
 *   JXTAHELLO <dest> <public> <peer-id> <noprop> 1.1 CRLF          (6 tokens)
 *   JXTAHELLO <dest> <public> <peer-id> <noprop> <msgver> 3.0 CRLF (7 tokens)
 *
 * Parsing follows JXSE's rules (CRLF within 4096 bytes, at least 5 tokens,
 * exact greeting, addresses and peer ID must parse, exact token counts for
 * 1.1 and 3.0, other version strings accepted with defaults) but is
 * stricter on spelling: tokens are separated by exactly one space, and
 * control characters are refused rather than silently split on.  The
 * parsed tokens live in the jxta_welcome_t itself, so parsing allocates
 * nothing and needs no free. */
#include <stdio.h>

#include <jxta/frame.h>

#include "../util/internal.h"

#define GREETING "JXTAHELLO"

/* protocol://address[/service[/param]] with non-empty protocol and address,
 * or urn:jxta:<unique>[#service[/param]] (PROTOCOLS.md 5.1). */
static int address_ok(const char *a)
{
    if (strncmp(a, "urn:jxta:", 9) == 0)
        return a[9] != '\0' && a[9] != '#';
    const char *sep = strstr(a, "://");
    if (!sep || sep == a)
        return 0;
    for (const char *c = a; c < sep; c++)
        if (*c == '/' || *c == ':')
            return 0;
    const char *addr = sep + 3;
    return *addr != '\0' && *addr != '/';
}

static int small_decimal(const char *s, int max, int *out)
{
    int v = 0;
    if (!*s || strlen(s) > 3)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
    }
    if (v > max)
        return 0;
    *out = v;
    return 1;
}

int jxta_welcome_parse(const void *p, size_t len, jxta_welcome_t *w, size_t *consumed)
{
    const char *in = p;
    if (!w || (!p && len))
        return JXTA_EINVAL;
    memset(w, 0, offsetof(jxta_welcome_t, store_));
    w->store_[0] = '\0';
    w->msg_version = -1;
    size_t scan = len < JXTA_WELCOME_MAX ? len : JXTA_WELCOME_MAX;
    /* Check the greeting as early as possible, to reject a non-JXTA peer
     * without waiting for a line end. */
    size_t g = scan < sizeof GREETING ? scan : sizeof GREETING;
    if (memcmp(in, GREETING " ", g) != 0)
        return jxta__reject(JXTA_EMAGIC, "welcome", "line does not start with '" GREETING " '");
    size_t end = 0;
    while (end + 1 < scan && !(in[end] == '\r' && in[end + 1] == '\n'))
        end++;
    if (end + 1 >= scan) {
        if (len >= JXTA_WELCOME_MAX)
            return jxta__reject(JXTA_ETOOBIG, "welcome", "no CRLF within %d bytes",
                                JXTA_WELCOME_MAX);
        return jxta__reject(JXTA_ETRUNC, "welcome", "line cut off after %zu bytes", len);
    }
    if (!jxta_utf8_valid(in, end))
        return jxta__reject(JXTA_EUTF8, "welcome", "line is not UTF-8");
    for (size_t i = 0; i < end; i++)
        if ((unsigned char)in[i] < 0x20 || in[i] == 0x7F)
            return jxta__reject(JXTA_EPROTO, "welcome", "control character at offset %zu", i);
    memcpy(w->store_, in, end);
    w->store_[end] = '\0';

    char *tok[8];
    size_t ntok = 0;
    char *s = w->store_;
    for (;;) {
        char *sp = strchr(s, ' ');
        if (ntok == 8)
            return jxta__reject(JXTA_EPROTO, "welcome", "too many tokens");
        tok[ntok++] = s;
        if (!sp)
            break;
        *sp = '\0';
        s = sp + 1;
    }
    for (size_t i = 0; i < ntok; i++)
        if (tok[i][0] == '\0')
            return jxta__reject(JXTA_EPROTO, "welcome", "empty token %zu (double space?)", i);
    if (ntok < 5)
        return jxta__reject(JXTA_EPROTO, "welcome", "only %zu tokens", ntok);
    const char *version = tok[ntok - 1];
    if (strcmp(version, "1.1") == 0 && ntok != 6)
        return jxta__reject(JXTA_EPROTO, "welcome", "version 1.1 needs 6 tokens, not %zu", ntok);
    if (strcmp(version, "3.0") == 0 && ntok != 7)
        return jxta__reject(JXTA_EPROTO, "welcome", "version 3.0 needs 7 tokens, not %zu", ntok);
    if (!address_ok(tok[1]))
        return jxta__reject(JXTA_EPROTO, "welcome", "bad destination address '%.200s'", tok[1]);
    if (!address_ok(tok[2]))
        return jxta__reject(JXTA_EPROTO, "welcome", "bad public address '%.200s'", tok[2]);
    int rc = jxta_id_parse(&w->peer, tok[3], strlen(tok[3]), JXTA_ID_PARSE_LENIENT);
    if (rc < 0)
        return jxta__reject(JXTA_EBADID, "welcome", "bad peer ID '%.200s': %s", tok[3],
                            jxta_strerror(rc));
    if (jxta_id_kind(&w->peer) != JXTA_ID_PEER)
        return jxta__reject(JXTA_EBADID, "welcome", "'%.200s' is not a peer ID", tok[3]);
    w->noprop = 0;
    if (strcmp(version, "1.1") == 0 || strcmp(version, "3.0") == 0) {
        if (strcmp(tok[4], "0") != 0 && strcmp(tok[4], "1") != 0)
            return jxta__reject(JXTA_EPROTO, "welcome", "noprop '%.20s' is not 0 or 1", tok[4]);
        w->noprop = tok[4][0] == '1';
        if (ntok == 7 && !small_decimal(tok[5], 255, &w->msg_version))
            return jxta__reject(JXTA_EPROTO, "welcome", "bad message version '%.20s'", tok[5]);
    } else if (ntok > 5) {
        /* Keep the unknown middle tokens as one string, for re-formatting. */
        w->extra = tok[4];
        for (size_t i = 5; i < ntok - 1; i++)
            tok[i][-1] = ' ';
    }
    w->dest = tok[1];
    w->pub = tok[2];
    w->peer_str = tok[3];
    w->version = version;
    if (consumed)
        *consumed = end + 2;
    return 0;
}

void jxta_welcome_init(jxta_welcome_t *w, const char *dest, const char *pub,
                       const jxta_id_t *peer, int noprop)
{
    memset(w, 0, offsetof(jxta_welcome_t, store_));
    w->store_[0] = '\0';
    w->dest = dest;
    w->pub = pub;
    if (peer)
        w->peer = *peer;
    w->noprop = noprop ? 1 : 0;
    w->msg_version = -1;
    w->version = "1.1";
}

static int token_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7F)
            return 0;
    return 1;
}

int jxta_welcome_format(const jxta_welcome_t *w, jxta_buf_t *out)
{
    jxta_id_text_t idt;
    const char *version = w->version ? w->version : "1.1";
    const char *peer = w->peer_str ? w->peer_str : jxta_id_str(&w->peer, &idt);
    int v3 = strcmp(version, "3.0") == 0;
    int known = v3 || strcmp(version, "1.1") == 0;
    if (!token_ok(w->dest) || !address_ok(w->dest) || !token_ok(w->pub) || !address_ok(w->pub) ||
        !token_ok(peer) || !token_ok(version) || (v3 && (w->msg_version < 0 || w->msg_version > 255)) ||
        (!known && w->extra && (!*w->extra || strstr(w->extra, "  ") || strpbrk(w->extra, "\r\n\t") ||
                                w->extra[0] == ' ' || w->extra[strlen(w->extra) - 1] == ' ')))
        return jxta__reject(JXTA_EINVAL, "welcome", "cannot format welcome: bad field");
    size_t start = out->len;
    jxta_buf_printf(out, GREETING " %s %s %s ", w->dest, w->pub, peer);
    if (known)
        jxta_buf_printf(out, "%d ", w->noprop ? 1 : 0);
    else if (w->extra)
        jxta_buf_printf(out, "%s ", w->extra);
    if (v3)
        jxta_buf_printf(out, "%d ", w->msg_version);
    jxta_buf_printf(out, "%s\r\n", version);
    int rc = jxta_buf_error(out);
    if (rc == 0 && out->len - start > JXTA_WELCOME_MAX) {
        out->len = start;
        return jxta__reject(JXTA_EINVAL, "welcome", "welcome line over %d bytes",
                            JXTA_WELCOME_MAX);
    }
    return rc;
}
