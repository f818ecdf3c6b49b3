/* jxta-msg - look inside JXTA binary messages, TCP frames and captured TCP
 * stream directions, and check that they round-trip.
 *
 *   jxta-msg dump FILE        readable dump (welcome, headers, elements)
 *   jxta-msg roundtrip FILE   decode and re-encode to stdout
 *
 * The input kind is detected from the content ("jxmg" magic, "JXTAHELLO"
 * welcome, otherwise a frame header block) so capture files can be given
 * whatever their name; --kind overrides.  Dumps decode nested messages
 * recursively, pretty-print XML bodies and summarise the two headers one
 * reads most when debugging JXSE traffic: the router header
 * (jxta:EndpointRouterMsg) and the rendezvous propagation header
 * (jxta:RendezVousPropagate<group>). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jxta.h>

#include "cli.h"

static const char *prog = "jxta-msg";

#define MAX_INPUT ((size_t)256 << 20)
#define HEX_MAX 256 /* binary bytes shown per body */

enum kind { K_AUTO, K_MSG, K_FRAME, K_STREAM };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jxta-msg dump [--kind KIND] [--log-level LEVEL] FILE\n"
            "       jxta-msg roundtrip [--kind KIND] [--version 0|1] [--log-level LEVEL] FILE\n"
            "\n"
            "Inspect JXTA messages as JXSE 2.5 sends them over TCP.\n"
            "\n"
            "dump FILE       print the content readably:\n"
            "                  stream: the welcome line fields, then every frame\n"
            "                  frame:  its headers, then the message in its body\n"
            "                  message: every element with namespace:name, MIME type,\n"
            "                  size and flags (HAS_TYPE, signature); text bodies as text,\n"
            "                  XML pretty-printed, binary as a short hex dump, nested\n"
            "                  application/x-jxta-msg elements decoded recursively;\n"
            "                  jxta:EndpointRouterMsg and jxta:RendezVousPropagate* get a\n"
            "                  one-line summary (Src/Dest/Last; MessageId/DestSName/\n"
            "                  DestSParam/TTL)\n"
            "roundtrip FILE  decode and re-encode to stdout with the same framing; a\n"
            "                JXSE capture comes out byte-identical\n"
            "FILE            a path, or - for stdin\n"
            "\n"
            "--kind KIND     msg (binary message, .jxmg), frame (TCP message package,\n"
            "                .tcpframe) or stream (one captured TCP direction: welcome\n"
            "                line then frames, .bin); default: detect from the content\n"
            "                (\"jxmg\" = msg, \"JXTAHELLO\" = stream, anything else = frame)\n"
            "--version V     roundtrip only: write messages in wire version V (0 = JXSE,\n"
            "                1 = JXTA-C); default: the version they were read in.  Frames\n"
            "                whose body changes get JXSE's two headers.\n"
            "--log-level L   error|warn|info|debug|trace (default: error, or $JXTA_LOG);\n"
            "                warn also shows each rejection as the library logs it\n"
            "-h, --help      this text\n"
            "\n"
            "Exit status: 0 success, 1 bad or unreadable input (one line on stderr:\n"
            "file, byte offset when known, reason), 2 usage error.\n"
            "\n"
            "examples:\n"
            "  jxta-msg dump msg-04-nested.jxmg\n"
            "  jxta-msg dump conn00-127.0.0.1_34892-to-127.0.0.1_9741.c2s.bin\n"
            "  jxta-msg roundtrip msg-01-one-string.tcpframe | cmp - msg-01-one-string.tcpframe\n");
}

/* ---------------------------------------------------------------- output */

static void indent(int n)
{
    printf("%*s", n, "");
}

/* Print text line by line, each indented; control characters escaped. */
static void print_text(int ind, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        indent(ind);
        while (i < n && p[i] != '\n') {
            uint8_t c = p[i++];
            if (c == '\r')
                continue;
            if (c < 0x20 && c != '\t')
                printf("\\x%02x", c);
            else
                putchar(c);
        }
        putchar('\n');
        if (i < n)
            i++; /* the newline */
    }
}

static void print_hex(int ind, const uint8_t *p, size_t n)
{
    size_t shown = n < HEX_MAX ? n : HEX_MAX;
    for (size_t off = 0; off < shown; off += 16) {
        indent(ind);
        printf("%04zx ", off);
        for (size_t k = 0; k < 16; k++) {
            if (off + k < shown)
                printf(" %02x", p[off + k]);
            else
                printf("   ");
        }
        printf("  |");
        for (size_t k = 0; k < 16 && off + k < shown; k++)
            putchar(p[off + k] >= 0x20 && p[off + k] < 0x7f ? p[off + k] : '.');
        printf("|\n");
    }
    if (shown < n) {
        indent(ind);
        printf("... (%zu more bytes)\n", n - shown);
    }
}

static int type_has(const char *type, const char *sub)
{
    size_t n = strcspn(type, ";");
    for (size_t i = 0; i + strlen(sub) <= n; i++)
        if (strncasecmp(type + i, sub, strlen(sub)) == 0)
            return 1;
    return 0;
}

static const char *child_text(const jxta_xml_node_t *root, const char *name)
{
    const jxta_xml_node_t *c = jxta_xml_child(root, name);
    return c ? jxta_xml_text(c) : "(none)";
}

/* One-line summaries of the router and propagation headers. */
static void summarize(int ind, const jxta_msg_elem_t *e)
{
    const char *ns = jxta_msg_elem_ns(e), *name = jxta_msg_elem_name(e);
    int erm = strcmp(name, "EndpointRouterMsg") == 0;
    int prop = strncmp(name, "RendezVousPropagate", 19) == 0;
    if (strcmp(ns, "jxta") != 0 || (!erm && !prop))
        return;
    size_t len;
    const uint8_t *body = jxta_msg_elem_body(e, &len);
    jxta_xml_node_t *root = NULL;
    int rc = jxta_xml_parse(body, len, &root);
    indent(ind);
    if (rc < 0) {
        printf("%s: unreadable XML (%s)\n", erm ? "router" : "propagate", jxta_strerror(rc));
        return;
    }
    if (erm)
        printf("router: Src=%s Dest=%s Last=%s\n", child_text(root, "Src"),
               child_text(root, "Dest"), child_text(root, "Last"));
    else
        printf("propagate: MessageId=%s DestSName=%s DestSParam=%s TTL=%s\n",
               child_text(root, "MessageId"), child_text(root, "DestSName"),
               child_text(root, "DestSParam"), child_text(root, "TTL"));
    jxta_xml_free(root);
}

static void dump_msg(const jxta_msg_t *m, int ind);

static void dump_body(const jxta_msg_elem_t *e, int ind)
{
    size_t len;
    const uint8_t *body = jxta_msg_elem_body(e, &len);
    const char *type = jxta_msg_elem_type(e);
    if (len == 0)
        return;
    if (jxta_msg_elem_is_message(e)) {
        jxta_msg_t *inner = NULL;
        int rc = jxta_msg_elem_decode_nested(e, NULL, &inner);
        if (rc == 0) {
            dump_msg(inner, ind);
            jxta_msg_free(inner);
            return;
        }
        indent(ind);
        printf("(nested message does not decode: %s; raw bytes follow)\n", jxta_strerror(rc));
        print_hex(ind, body, len);
        return;
    }
    if (type_has(type, "xml")) {
        jxta_buf_t pretty = JXTA_BUF_INIT;
        if (jxta_xml_pretty(body, len, &pretty) == 0) {
            print_text(ind, pretty.data, pretty.len);
            jxta_buf_free(&pretty);
            return;
        }
        jxta_buf_free(&pretty);
    }
    if (jxta_msg_elem_is_text(e))
        print_text(ind, body, len);
    else
        print_hex(ind, body, len);
}

static void dump_elem(const jxta_msg_elem_t *e, const char *label, int ind)
{
    const jxta_msg_elem_t *sig = jxta_msg_elem_signature(e);
    indent(ind);
    printf("%s %s:%s  type=%s  size=%zu  flags=", label, jxta_msg_elem_ns(e),
           jxta_msg_elem_name(e), jxta_msg_elem_type(e), jxta_msg_elem_len(e));
    if (!jxta_msg_elem_has_type(e) && !sig)
        printf("-");
    printf("%s%s%s\n", jxta_msg_elem_has_type(e) ? "HAS_TYPE" : "",
           jxta_msg_elem_has_type(e) && sig ? "|" : "", sig ? "HAS_SIGNATURE" : "");
    summarize(ind + 4, e);
    dump_body(e, ind + 4);
    if (sig)
        dump_elem(sig, "signature", ind + 4);
}

static void dump_msg(const jxta_msg_t *m, int ind)
{
    indent(ind);
    printf("message v%d%s: %zu element%s", jxta_msg_wire_version(m),
           jxta_msg_depth(m) ? " (nested)" : "", jxta_msg_count(m),
           jxta_msg_count(m) == 1 ? "" : "s");
    if (jxta_msg_ns_count(m)) {
        printf(", namespaces");
        for (size_t i = 0; i < jxta_msg_ns_count(m); i++)
            printf(" %zu=%s", i + 2, jxta_msg_ns_at(m, i));
    }
    printf("\n");
    for (size_t i = 0; i < jxta_msg_count(m); i++) {
        char label[32];
        snprintf(label, sizeof label, "[%zu]", i);
        dump_elem(jxta_msg_get(m, i), label, ind + 2);
    }
}

static size_t header_len(const jxta_frame_t *f)
{
    size_t n = 1;
    for (size_t i = 0; i < f->nhdrs; i++)
        n += 3 + strlen(f->hdrs[i].name) + f->hdrs[i].value_len;
    return n;
}

static void dump_header_value(const jxta_frame_hdr_t *h)
{
    if (strcasecmp(h->name, JXTA_FRAME_HDR_CONTENT_LENGTH) == 0 && h->value_len == 8) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | h->value[i];
        printf("%llu\n", (unsigned long long)v);
        return;
    }
    if (jxta_utf8_valid(h->value, h->value_len) && !memchr(h->value, 0, h->value_len) &&
        !memchr(h->value, '\n', h->value_len)) {
        printf("%s\n", (const char *)h->value);
        return;
    }
    for (size_t i = 0; i < h->value_len; i++)
        printf("%02x", h->value[i]);
    printf(" (hex)\n");
}

/* Returns 0, or the error with *off = offset relative to the frame. */
static int dump_frame(const jxta_frame_t *f, int ind, size_t *off)
{
    indent(ind);
    printf("frame: %zu-byte header, body %zu bytes\n", header_len(f), f->body_len);
    for (size_t i = 0; i < f->nhdrs; i++) {
        indent(ind + 2);
        printf("%s: ", f->hdrs[i].name);
        dump_header_value(&f->hdrs[i]);
    }
    jxta_msg_t *m = NULL;
    size_t moff = 0;
    int rc = jxta_msg_decode_ex(f->body, f->body_len, NULL, &m, &moff);
    if (rc < 0) {
        *off = header_len(f) + moff;
        return rc;
    }
    dump_msg(m, ind + 2);
    jxta_msg_free(m);
    return 0;
}

static void dump_welcome(const jxta_welcome_t *w, size_t len)
{
    printf("welcome (%zu bytes): JXTAHELLO version %s\n", len, w->version);
    printf("  dest:    %s\n", w->dest);
    printf("  public:  %s\n", w->pub);
    printf("  peer:    %s\n", w->peer_str);
    printf("  noprop:  %d\n", w->noprop);
    if (w->msg_version >= 0)
        printf("  message version: %d\n", w->msg_version);
    if (w->extra)
        printf("  other tokens: %s\n", w->extra);
}

/* ---------------------------------------------------------------- commands */

static enum kind detect(const uint8_t *p, size_t n)
{
    if (n >= 4 && memcmp(p, "jxmg", 4) == 0)
        return K_MSG;
    if (n >= 9 && memcmp(p, "JXTAHELLO", 9) == 0)
        return K_STREAM;
    return K_FRAME;
}

static int fail(const char *file, int have_off, size_t off, int rc)
{
    if (have_off)
        fprintf(stderr, "%s: %s: offset %zu: %s (%s)\n", prog, file, off, jxta_strerror(rc),
                jxta_errname(rc));
    else
        fprintf(stderr, "%s: %s: %s (%s)\n", prog, file, jxta_strerror(rc), jxta_errname(rc));
    return 1;
}

static int cmd_dump(const char *file, enum kind k, const uint8_t *p, size_t n)
{
    size_t off = 0;
    int rc;
    if (k == K_MSG) {
        jxta_msg_t *m;
        if ((rc = jxta_msg_decode_ex(p, n, NULL, &m, &off)) < 0)
            return fail(file, 1, off, rc);
        printf("%s: binary message, %zu bytes\n", file, n);
        dump_msg(m, 0);
        jxta_msg_free(m);
        return 0;
    }
    if (k == K_FRAME) {
        jxta_frame_t *f;
        if ((rc = jxta_frame_decode(p, n, NULL, &f, NULL)) < 0)
            return fail(file, 0, 0, rc);
        printf("%s: TCP frame, %zu bytes\n", file, n);
        rc = dump_frame(f, 0, &off);
        jxta_frame_free(f);
        fflush(stdout);
        return rc < 0 ? fail(file, 1, off, rc) : 0;
    }
    jxta_stream_t *s;
    if ((rc = jxta_stream_parse(p, n, NULL, &s, &off)) < 0)
        return fail(file, 1, off, rc);
    printf("%s: TCP stream, %zu bytes: welcome line and %zu frame%s\n", file, n, s->nframes,
           s->nframes == 1 ? "" : "s");
    dump_welcome(&s->welcome, s->welcome_len);
    for (size_t i = 0; i < s->nframes && rc == 0; i++) {
        printf("#%zu at offset %zu ", i + 1, s->offsets[i]);
        rc = dump_frame(s->frames[i], 0, &off);
        if (rc < 0)
            off += s->offsets[i];
    }
    jxta_stream_free(s);
    fflush(stdout);
    return rc < 0 ? fail(file, 1, off, rc) : 0;
}

/* Re-encode one frame: headers kept when the body comes back unchanged. */
static int roundtrip_frame(const jxta_frame_t *f, int version, jxta_buf_t *out, size_t *off)
{
    jxta_msg_t *m = NULL;
    size_t moff = 0;
    int rc = jxta_msg_decode_ex(f->body, f->body_len, NULL, &m, &moff);
    if (rc < 0) {
        *off = header_len(f) + moff;
        return rc;
    }
    jxta_buf_t body = JXTA_BUF_INIT;
    rc = jxta_msg_encode(m, version >= 0 ? version : jxta_msg_wire_version(m), &body);
    jxta_msg_free(m);
    if (rc == 0) {
        if (body.len == f->body_len && memcmp(body.data, f->body, body.len) == 0) {
            rc = jxta_frame_encode(f, out);
        } else {
            jxta_frame_t *nf;
            rc = jxta_frame_new(jxta_frame_content_type(f), body.data, body.len, &nf);
            if (rc == 0) {
                rc = jxta_frame_encode(nf, out);
                jxta_frame_free(nf);
            }
        }
    }
    jxta_buf_free(&body);
    *off = 0;
    return rc;
}

static int cmd_roundtrip(const char *file, enum kind k, int version, const uint8_t *p, size_t n)
{
    jxta_buf_t out = JXTA_BUF_INIT;
    size_t off = 0;
    int rc, have_off = 1;
    if (k == K_MSG) {
        jxta_msg_t *m;
        rc = jxta_msg_decode_ex(p, n, NULL, &m, &off);
        if (rc == 0) {
            rc = jxta_msg_encode(m, version >= 0 ? version : jxta_msg_wire_version(m), &out);
            jxta_msg_free(m);
            have_off = 0;
        }
    } else if (k == K_FRAME) {
        jxta_frame_t *f;
        rc = jxta_frame_decode(p, n, NULL, &f, NULL);
        have_off = 0;
        if (rc == 0) {
            rc = roundtrip_frame(f, version, &out, &off);
            have_off = rc < 0 && off > 0;
            jxta_frame_free(f);
        }
    } else {
        jxta_stream_t *s;
        rc = jxta_stream_parse(p, n, NULL, &s, &off);
        if (rc == 0) {
            rc = jxta_welcome_format(&s->welcome, &out);
            for (size_t i = 0; i < s->nframes && rc == 0; i++) {
                rc = roundtrip_frame(s->frames[i], version, &out, &off);
                if (rc < 0)
                    off += s->offsets[i];
            }
            jxta_stream_free(s);
        }
    }
    if (rc == 0 && cli_write_stdout(out.data, out.len) < 0) {
        fprintf(stderr, "%s: error writing stdout\n", prog);
        rc = 1;
    } else if (rc < 0) {
        rc = fail(file, have_off, off, rc);
    }
    jxta_buf_free(&out);
    return rc;
}

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *cmd = NULL, *file = NULL, *level = NULL, *kind_s = NULL, *ver_s = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kind") == 0 || strcmp(argv[i], "--log-level") == 0 ||
            strcmp(argv[i], "--version") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs a value\n", prog, argv[i]);
                return 2;
            }
            const char **dst = argv[i][2] == 'k' ? &kind_s : argv[i][2] == 'l' ? &level : &ver_s;
            *dst = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "%s: unknown option %s (try --help)\n", prog, argv[i]);
            return 2;
        } else if (!cmd) {
            cmd = argv[i];
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "%s: unexpected argument %s (try --help)\n", prog, argv[i]);
            return 2;
        }
    }
    if (!cmd || !file || (strcmp(cmd, "dump") != 0 && strcmp(cmd, "roundtrip") != 0)) {
        usage(stderr);
        return 2;
    }
    enum kind k = K_AUTO;
    if (kind_s) {
        if (strcmp(kind_s, "msg") == 0)
            k = K_MSG;
        else if (strcmp(kind_s, "frame") == 0)
            k = K_FRAME;
        else if (strcmp(kind_s, "stream") == 0)
            k = K_STREAM;
        else {
            fprintf(stderr, "%s: unknown kind '%s' (msg, frame or stream)\n", prog, kind_s);
            return 2;
        }
    }
    int version = -1;
    if (ver_s) {
        if (strcmp(cmd, "roundtrip") != 0 || (strcmp(ver_s, "0") != 0 && strcmp(ver_s, "1") != 0)) {
            fprintf(stderr, "%s: --version takes 0 or 1, with roundtrip only\n", prog);
            return 2;
        }
        version = ver_s[0] - '0';
    }
    if (level) {
        if (cli_set_log_level(prog, level) < 0)
            return 2;
    } else if (!getenv("JXTA_LOG")) {
        jxta_log_set_level(JXTA_LOG_ERROR);
    }
    uint8_t *data;
    size_t len;
    if (cli_read_file(prog, file, MAX_INPUT, &data, &len) < 0)
        return 1;
    if (k == K_AUTO)
        k = detect(data, len);
    int rc = strcmp(cmd, "dump") == 0 ? cmd_dump(file, k, data, len)
                                      : cmd_roundtrip(file, k, version, data, len);
    free(data);
    return rc;
}
