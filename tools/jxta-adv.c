/* jxta-adv - inspect and normalise JXTA advertisements from the shell.
 *
 *   jxta-adv show [--type NAME] FILE
 *   jxta-adv roundtrip [--type NAME] FILE
 *
 * `show` is for people: the type, discovery directory, ID and index fields
 * as JXSE would index them, the advertisements embedded in it, then the
 * document indented.  `roundtrip` is for scripts and interop checks: the
 * document parsed, validated and written back exactly as a C peer would
 * send it (compact, JXSE layout).  Bad input ends with one line on stderr
 * naming the file and the reason, and exit status 1; at the default log
 * level (warn) the library's line before it says exactly what was wrong
 * (which field, which line of the XML). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "cli.h"

static const char *prog = "jxta-adv";

#define MAX_FILE ((size_t)16 << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jxta-adv show [--type NAME] [--log-level LEVEL] FILE\n"
            "       jxta-adv roundtrip [--type NAME] [--log-level LEVEL] FILE\n"
            "\n"
            "Parse a JXTA advertisement (XML, as JXSE 2.5 writes it) and check it against\n"
            "its type's schema (required fields, canonical IDs of the right kind).\n"
            "\n"
            "show        print type, discovery directory, ID, index fields and embedded\n"
            "            advertisements, then the document indented\n"
            "roundtrip   write the advertisement back to stdout in the compact form JXSE\n"
            "            writes and reads\n"
            "FILE        a file, or - for stdin\n"
            "--type NAME require this advertisement type (e.g. jxta:PA, jxta:RA,\n"
            "            jxta:TCPTransportAdvertisement); exit 1 otherwise\n"
            "--log-level error|warn|info|debug|trace (default: warn, or $JXTA_LOG)\n"
            "-h, --help  this text\n"
            "\n"
            "Exit status: 0 ok, 1 bad input, 2 usage error.\n"
            "\n"
            "examples:\n"
            "  jxta-adv show PeerAdvertisement.xml\n"
            "  jxta-adv roundtrip --type jxta:PipeAdvertisement pipe.xml > out.xml\n");
}

static const char *dir_name(jxta_adv_dir_t d)
{
    switch (d) {
    case JXTA_ADV_DIR_PEERS: return "Peers (0)";
    case JXTA_ADV_DIR_GROUPS: return "Groups (1)";
    case JXTA_ADV_DIR_ADV: return "Adv (2)";
    default: return "none (not published)";
    }
}

/* Lists every element below the root whose name and type attribute select
 * a registered type, with its path and index fields. */
static void show_embedded(const jxta_xml_node_t *root)
{
    const jxta_xml_node_t *n = jxta_xml_first(root);
    const char *path[JXTA_XML_HARD_MAX_DEPTH + 1];
    size_t depth = 1;
    int any = 0;
    path[0] = jxta_xml_name(root);
    while (n) {
        path[depth] = jxta_xml_name(n);
        const jxta_adv_type_t *t = jxta_adv_lookup(jxta_xml_name(n), jxta_xml_attr(n, "type"));
        if (t) {
            if (!any)
                printf("embedded:\n");
            any = 1;
            printf("  %s at ", jxta_adv_type_name_of(t));
            for (size_t i = 0; i <= depth; i++)
                printf("/%s", path[i]);
            jxta_adv_t *e = NULL;
            int rc = jxta_adv_from_xml(n, t, &e);
            if (rc < 0) {
                printf(" (invalid: %s)\n", jxta_strerror(rc));
            } else {
                jxta_adv_index_entry_t idx[8];
                size_t k = jxta_adv_index(e, idx, 8);
                for (size_t i = 0; i < k && i < 8; i++)
                    printf("%s %s=%s", i ? "," : "", idx[i].name, idx[i].value);
                const char *eas[16];
                size_t ne = 0;
                if (strcmp(jxta_adv_type_name_of(t), "jxta:RA") == 0)
                    ne = jxta_ra_endpoints(e, eas, 16);
                for (size_t i = 0; i < ne && i < 16; i++)
                    printf("%s EA=%s", i || k ? "," : "", eas[i]);
                printf("\n");
                jxta_adv_free(e);
            }
        }
        /* pre-order walk, bounded by the parser's depth limit */
        if (jxta_xml_first(n) && depth < JXTA_XML_HARD_MAX_DEPTH) {
            n = jxta_xml_first(n);
            depth++;
            continue;
        }
        while (n && !jxta_xml_next(n)) {
            n = jxta_xml_parent(n);
            depth--;
            if (n == root)
                n = NULL;
        }
        if (n)
            n = jxta_xml_next(n);
    }
}

static int cmd_show(const jxta_adv_t *adv)
{
    jxta_id_t id;
    jxta_id_text_t t;
    printf("type:      %s%s\n", jxta_adv_type_name(adv),
           jxta_adv_type(adv) ? "" : " (unregistered type, kept as is)");
    const char *ta = jxta_xml_attr(jxta_adv_root(adv), "type");
    if (ta && strcmp(ta, jxta_adv_type_name(adv)) != 0)
        printf("subtype:   %s\n", ta);
    printf("directory: %s\n", dir_name(jxta_adv_dir(adv)));
    if (jxta_adv_id(adv, &id) == 0)
        printf("id:        %s (%s)\n", jxta_id_str(&id, &t), jxta_id_kind_name(jxta_id_kind(&id)));
    jxta_adv_index_entry_t idx[16];
    size_t n = jxta_adv_index(adv, idx, 16);
    if (n)
        printf("index:\n");
    for (size_t i = 0; i < n && i < 16; i++)
        printf("  %s = %s\n", idx[i].name, idx[i].value);
    show_embedded(jxta_adv_root(adv));
    printf("document:\n");
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_adv_write(adv, JXTA_XML_INDENT, &b);
    if (rc == 0 && cli_write_stdout(b.data, b.len) < 0)
        rc = JXTA_EIO;
    jxta_buf_free(&b);
    return rc;
}

static int cmd_roundtrip(const jxta_adv_t *adv)
{
    jxta_buf_t b = JXTA_BUF_INIT;
    int rc = jxta_adv_write(adv, 0, &b);
    if (rc == 0 && cli_write_stdout(b.data, b.len) < 0)
        rc = JXTA_EIO;
    jxta_buf_free(&b);
    return rc;
}

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *cmd = NULL, *file = NULL, *type_name = NULL, *level = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--type") == 0 || strcmp(argv[i], "--log-level") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs a value\n", prog, argv[i]);
                return 2;
            }
            if (argv[i][2] == 't')
                type_name = argv[++i];
            else
                level = argv[++i];
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
    if (!cmd || !file || (strcmp(cmd, "show") != 0 && strcmp(cmd, "roundtrip") != 0)) {
        usage(stderr);
        return 2;
    }
    if (level && cli_set_log_level(prog, level) < 0)
        return 2;
    const jxta_adv_type_t *want = NULL;
    if (type_name && !(want = jxta_adv_lookup_name(type_name))) {
        fprintf(stderr, "%s: unknown advertisement type '%s'\n", prog, type_name);
        return 2;
    }

    uint8_t *data;
    size_t len;
    if (cli_read_file(prog, file, MAX_FILE, &data, &len) < 0)
        return 1;
    jxta_adv_t *adv = NULL;
    int rc = jxta_adv_parse_as(data, len, want, &adv);
    free(data);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: not a valid%s%s advertisement: %s (%s)\n", prog, file,
                want ? " " : "", want ? type_name : "", jxta_strerror(rc), jxta_errname(rc));
        return 1;
    }
    rc = strcmp(cmd, "show") == 0 ? cmd_show(adv) : cmd_roundtrip(adv);
    jxta_adv_free(adv);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: cannot write output: %s\n", prog, file, jxta_strerror(rc));
        return 1;
    }
    return 0;
}
