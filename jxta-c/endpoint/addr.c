/* addr.c - endpoint address parsing, printing and group mangling
 * (see jxta/addr.h).  Pure string work on fixed-size fields. */
#include <stdio.h>
#include <strings.h>

#include <jxta/addr.h>

#include "../util/internal.h"

#define MANGLE_PREFIX "EndpointService:"

static int copy_part(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return JXTA_ETOOBIG;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

static int has_bad_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f)
            return 1;
    }
    return 0;
}

int jxta_addr_parse(jxta_addr_t *out, const char *text, size_t len)
{
    if (!out || (!text && len))
        return JXTA_EINVAL;
    /* parsed in place (on error *out is left zeroed or partly filled) */
    memset(out, 0, sizeof *out);
    if (len == 0 || has_bad_chars(text, len))
        return jxta__reject(JXTA_EPROTO, "addr", "endpoint address '%.*s' is empty or has "
                                                 "spaces/control characters",
                            (int)(len > 100 ? 100 : len), text ? text : "");
    const char *end = text + len, *rest;
    int rc;
    if (len > 9 && strncasecmp(text, "urn:jxta:", 9) == 0) {
        /* urn:jxta:<uv>#service/param -> jxta://<uv>/service/param */
        strcpy(out->proto, "jxta");
        const char *uv = text + 9;
        const char *hash = memchr(uv, '#', (size_t)(end - uv));
        const char *uv_end = hash ? hash : end;
        if (uv_end == uv || memchr(uv, '/', (size_t)(uv_end - uv)))
            return jxta__reject(JXTA_EPROTO, "addr", "bad unique value in '%.*s' (empty or "
                                                     "with '/')",
                                (int)(len > 100 ? 100 : len), text);
        if ((rc = copy_part(out->host, sizeof out->host, uv, (size_t)(uv_end - uv))) < 0)
            return rc;
        rest = hash ? hash + 1 : end;
        if (rest == end)
            goto parts_done;
        goto service;
    }
    const char *sep = NULL;
    for (const char *p = text; p + 2 < end; p++)
        if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
            sep = p;
            break;
        }
    if (!sep || sep == text)
        return jxta__reject(JXTA_EPROTO, "addr", "endpoint address '%.*s' has no protocol://",
                            (int)(len > 100 ? 100 : len), text);
    if (memchr(text, '/', (size_t)(sep - text)))
        return jxta__reject(JXTA_EPROTO, "addr", "bad protocol in '%.*s'",
                            (int)(len > 100 ? 100 : len), text);
    if ((rc = copy_part(out->proto, sizeof out->proto, text, (size_t)(sep - text))) < 0)
        return rc;
    for (char *p = out->proto; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    {
        const char *h = sep + 3;
        const char *slash = memchr(h, '/', (size_t)(end - h));
        const char *h_end = slash ? slash : end;
        if (h_end == h)
            return jxta__reject(JXTA_EPROTO, "addr", "empty address in '%.*s'",
                                (int)(len > 100 ? 100 : len), text);
        if ((rc = copy_part(out->host, sizeof out->host, h, (size_t)(h_end - h))) < 0)
            return rc;
        rest = slash ? slash + 1 : end;
        if (!slash)
            goto parts_done;
    }
service: {
    const char *slash = memchr(rest, '/', (size_t)(end - rest));
    const char *s_end = slash ? slash : end;
    if (slash && s_end == rest) /* "//param": a parameter needs a service */
        return jxta__reject(JXTA_EPROTO, "addr", "parameter without a service in '%.*s'",
                            (int)(len > 100 ? 100 : len), text);
    if ((rc = copy_part(out->service, sizeof out->service, rest, (size_t)(s_end - rest))) < 0)
        return rc;
    if (slash && (rc = copy_part(out->param, sizeof out->param, slash + 1, (size_t)(end - slash - 1))) < 0)
        return rc;
}
parts_done:
    if (strcasecmp(out->proto, "urn:jxta") == 0)
        strcpy(out->proto, "jxta");
    return 0;
}

int jxta_addr_from_string(jxta_addr_t *out, const char *text)
{
    return text ? jxta_addr_parse(out, text, strlen(text)) : JXTA_EINVAL;
}

int jxta_addr_set(jxta_addr_t *out, const char *proto, const char *host, const char *service,
                  const char *param)
{
    jxta_addr_t a;
    memset(&a, 0, sizeof a);
    int rc;
    if (!proto || !host || !*proto || !*host)
        return JXTA_EINVAL;
    if ((rc = copy_part(a.proto, sizeof a.proto, proto, strlen(proto))) < 0 ||
        (rc = copy_part(a.host, sizeof a.host, host, strlen(host))) < 0)
        return rc;
    if (service && (rc = copy_part(a.service, sizeof a.service, service, strlen(service))) < 0)
        return rc;
    if (param && *param) {
        if (!a.service[0])
            return JXTA_EINVAL; /* a parameter needs a service */
        if ((rc = copy_part(a.param, sizeof a.param, param, strlen(param))) < 0)
            return rc;
    }
    *out = a;
    return 0;
}

int jxta_addr_for_peer(jxta_addr_t *out, const jxta_id_t *peer, const char *service,
                       const char *param)
{
    jxta_id_text_t t;
    return jxta_addr_set(out, "jxta", jxta_id_unique_value(peer, &t), service, param);
}

/* Append src to out[*n..cap) (always NUL-terminated); *n counts the full
 * length even when truncated. */
static void put(char *out, size_t cap, size_t *n, const char *src)
{
    size_t l = strlen(src);
    if (*n < cap) {
        size_t room = cap - *n - 1, k = l < room ? l : room;
        memcpy(out + *n, src, k);
        out[*n + k] = '\0';
    }
    *n += l;
}

size_t jxta_addr_format(const jxta_addr_t *a, char *out, size_t cap)
{
    /* on every routed message: plain copies, no printf */
    size_t n = 0;
    if (cap)
        out[0] = '\0';
    put(out, cap, &n, a->proto);
    put(out, cap, &n, "://");
    put(out, cap, &n, a->host);
    if (a->service[0]) {
        put(out, cap, &n, "/");
        put(out, cap, &n, a->service);
        if (a->param[0]) {
            put(out, cap, &n, "/");
            put(out, cap, &n, a->param);
        }
    }
    return n;
}

void jxta_addr_append(const jxta_addr_t *a, jxta_buf_t *out)
{
    char tmp[JXTA_ADDR_TEXT_MAX];
    size_t n = jxta_addr_format(a, tmp, sizeof tmp);
    jxta_buf_append(out, tmp, n);
}

int jxta_addr_same_endpoint(const jxta_addr_t *a, const jxta_addr_t *b)
{
    return strcasecmp(a->proto, b->proto) == 0 && strcasecmp(a->host, b->host) == 0;
}

int jxta_addr_with_service(jxta_addr_t *out, const jxta_addr_t *a, const char *service,
                           const char *param)
{
    jxta_addr_t tmp = *a;
    return jxta_addr_set(out, tmp.proto, tmp.host, service, param);
}

int jxta_addr_mangle(jxta_addr_t *out, const jxta_addr_t *a, const jxta_id_t *group)
{
    if (strncmp(a->service, MANGLE_PREFIX, strlen(MANGLE_PREFIX)) == 0) {
        *out = *a;
        return 0;
    }
    jxta_id_text_t t;
    char svc[JXTA_ADDR_SERVICE_MAX], par[JXTA_ADDR_PARAM_MAX];
    int n = snprintf(svc, sizeof svc, MANGLE_PREFIX "%s", jxta_id_unique_value(group, &t));
    if (n < 0 || (size_t)n >= sizeof svc)
        return JXTA_ETOOBIG;
    if (a->param[0])
        n = snprintf(par, sizeof par, "%s/%s", a->service, a->param);
    else
        n = snprintf(par, sizeof par, "%s", a->service);
    if (n < 0 || (size_t)n >= sizeof par)
        return JXTA_ETOOBIG;
    return jxta_addr_with_service(out, a, svc, par[0] ? par : NULL);
}

int jxta_addr_demangle(jxta_addr_t *out, const jxta_addr_t *a, char *group_uv, size_t cap)
{
    size_t pl = strlen(MANGLE_PREFIX);
    if (strncmp(a->service, MANGLE_PREFIX, pl) != 0) {
        *out = *a;
        return 0;
    }
    const char *g = a->service + pl;
    if (!*g || strlen(g) >= cap)
        return JXTA_EPROTO;
    strcpy(group_uv, g);
    char svc[JXTA_ADDR_SERVICE_MAX] = "";
    const char *param = NULL;
    const char *slash = strchr(a->param, '/');
    size_t sl = slash ? (size_t)(slash - a->param) : strlen(a->param);
    if (sl >= sizeof svc)
        return JXTA_ETOOBIG;
    memcpy(svc, a->param, sl);
    svc[sl] = '\0';
    if (slash)
        param = slash + 1;
    if (!svc[0])
        return JXTA_EPROTO;
    int rc = jxta_addr_with_service(out, a, svc, param);
    return rc < 0 ? rc : 1;
}

int jxta_addr_tcp_hostport(const jxta_addr_t *a, char *host, size_t cap, uint16_t *port)
{
    if (strcmp(a->proto, "tcp") != 0)
        return JXTA_EINVAL;
    const char *h = a->host, *colon;
    size_t hl;
    if (h[0] == '[') { /* [v6]:port */
        const char *rb = strchr(h, ']');
        if (!rb || rb[1] != ':')
            return JXTA_EPROTO;
        colon = rb + 1;
        h++;
        hl = (size_t)(rb - h);
    } else {
        colon = strrchr(h, ':');
        if (!colon)
            return JXTA_EPROTO;
        hl = (size_t)(colon - h);
    }
    if (hl == 0 || hl >= cap)
        return JXTA_EPROTO;
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || p > 65535)
        return JXTA_EPROTO;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)p;
    return 0;
}

int jxta_addr_peer_id(const jxta_addr_t *a, jxta_id_t *peer)
{
    if (strcmp(a->proto, "jxta") != 0)
        return JXTA_EINVAL;
    char urn[JXTA_ADDR_HOST_MAX + 16] = "urn:jxta:";
    size_t hl = strlen(a->host);
    memcpy(urn + 9, a->host, hl + 1);
    int rc = jxta_id_parse(peer, urn, 9 + hl, JXTA_ID_PARSE_LENIENT);
    if (rc < 0)
        return rc;
    return jxta_id_kind(peer) == JXTA_ID_PEER ? 0 : JXTA_EBADID;
}
