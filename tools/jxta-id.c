/* jxta-id - make and inspect JXTA IDs from the shell.
 *
 *   jxta-id new peer|group|pipe|codat|class|spec [--group ID] [--seed TEXT]
 *   jxta-id show [--lenient] ID
 *
 * Seeds follow the JXSE convention used by the interop harness: the UUID is
 * derived from SHA-1 of the seed text, so `jxta-id new pipe --seed X` prints
 * the same pipe ID a Java peer gets from IDFactory.newPipeID(NG, sha1(X)). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "cli.h"

static const char *prog = "jxta-id";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jxta-id new KIND [--group ID] [--seed TEXT]\n"
            "       jxta-id show [--lenient] ID\n"
            "\n"
            "Make and inspect JXTA IDs (canonical urn:jxta: form, as JXSE 2.5 prints them).\n"
            "\n"
            "new KIND      print a new ID; KIND is one of\n"
            "                peer, pipe, codat   member of --group (default: the Net group)\n"
            "                group               child of --group (default: no parent)\n"
            "                class               module class ID\n"
            "                spec                module spec ID of --group CLASS-ID\n"
            "                                    (default: a new class)\n"
            "  --group ID  the group (or parent group, or module class) to embed\n"
            "  --seed TEXT derive the ID from SHA-1(TEXT) instead of at random; the same\n"
            "              seed always gives the same ID, as in JXSE (peer, pipe, codat, group)\n"
            "show ID       print the ID's kind, canonical form, unique value and fields;\n"
            "              exit 1 if it is malformed or not canonical\n"
            "  --lenient   accept the spellings JXSE tolerates (any case, zero padding)\n"
            "              and show the canonical form\n"
            "-h, --help    this text\n"
            "\n"
            "examples:\n"
            "  jxta-id new pipe --seed jxinterop-echo-pipe\n"
            "  jxta-id show urn:jxta:jxta-NetGroup\n");
}

static void parse_or_die(const char *text, jxta_id_t *id, unsigned flags)
{
    int rc = jxta_id_parse(id, text, strlen(text), flags);
    if (rc == JXTA_ENONCANON) {
        jxta_id_t c;
        jxta_id_text_t t;
        jxta_id_parse(&c, text, strlen(text), JXTA_ID_PARSE_LENIENT);
        cli_fail(1, prog, "'%s' is not canonical; the canonical form is %s (or use --lenient)",
                 text, jxta_id_str(&c, &t));
    }
    if (rc < 0)
        cli_fail(1, prog, "'%s' is not a valid JXTA ID: %s", text, jxta_strerror(rc));
}

static void hexline(const char *label, const uint8_t *p, size_t n)
{
    printf("  %-10s ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02X", p[i]);
    printf("\n");
}

static int cmd_show(const char *text, unsigned flags)
{
    jxta_id_t id, rel;
    jxta_id_text_t t;
    parse_or_die(text, &id, flags);
    jxta_id_kind_t k = jxta_id_kind(&id);
    const char *wk = jxta_wk_describe(&id);
    printf("id:           %s\n", jxta_id_str(&id, &t));
    printf("kind:         %s (type byte 0x%02X)\n", jxta_id_kind_name(k), (unsigned)k);
    printf("unique value: %s\n", jxta_id_unique_value(&id, &t));
    if (wk)
        printf("well-known:   %s\n", wk);
    if (jxta_id_group_of(&id, &rel) == 0)
        printf("group:        %s\n", jxta_id_str(&rel, &t));
    if (k == JXTA_ID_GROUP) {
        if (jxta_id_parent_of(&id, &rel) == 0)
            printf("parent:       %s\n", jxta_id_str(&rel, &t));
        else
            printf("parent:       (none)\n");
    }
    if (jxta_id_class_of(&id, &rel) == 0) {
        const char *cn = jxta_wk_describe(&rel);
        printf("class:        %s%s%s\n", jxta_id_str(&rel, &t), cn ? " " : "", cn ? cn : "");
    }
    if (k != JXTA_ID_NULL) {
        printf("fields:\n");
        hexline("b[0..15]", jxta_id_uuid(&id, 0), 16);
        hexline("b[16..31]", jxta_id_uuid(&id, 1), 16);
        if (k == JXTA_ID_CODAT)
            hexline("sha1", id.b + 32, 20);
    }
    return 0;
}

static int cmd_new(const char *kind, const char *group_text, const char *seed)
{
    jxta_id_t id, group = jxta_id_net_group;
    jxta_id_text_t t;
    int have_group = group_text != NULL;
    if (have_group)
        parse_or_die(group_text, &group, 0);
    uint8_t sh[20];
    if (seed)
        jxta_seed_from_text(sh, seed);
    int rc;
    if (strcmp(kind, "peer") == 0 || strcmp(kind, "pipe") == 0 || strcmp(kind, "codat") == 0) {
        if (jxta_id_kind(&group) != JXTA_ID_GROUP)
            cli_fail(2, prog, "--group must be a group ID");
        if (kind[1] == 'e')
            rc = seed ? jxta_id_peer_from_seed(&id, &group, sh, 20) : jxta_id_new_peer(&id, &group);
        else if (kind[1] == 'i')
            rc = seed ? jxta_id_pipe_from_seed(&id, &group, sh, 20) : jxta_id_new_pipe(&id, &group);
        else
            rc = seed ? jxta_id_codat_from_seed(&id, &group, sh, 20)
                      : jxta_id_new_codat(&id, &group);
    } else if (strcmp(kind, "group") == 0) {
        if (have_group && jxta_id_kind(&group) != JXTA_ID_GROUP)
            cli_fail(2, prog, "--group must be a group ID");
        const jxta_id_t *parent = have_group ? &group : NULL;
        rc = seed ? jxta_id_group_from_seed(&id, parent, sh, 20) : jxta_id_new_group(&id, parent);
    } else if (strcmp(kind, "class") == 0) {
        if (seed || have_group)
            cli_fail(2, prog, "'new class' takes no --group or --seed");
        rc = jxta_id_new_module_class(&id);
    } else if (strcmp(kind, "spec") == 0) {
        if (seed)
            cli_fail(2, prog, "'new spec' takes no --seed");
        jxta_id_t cls;
        if (have_group)
            cls = group;
        else
            jxta_id_new_module_class(&cls);
        if (jxta_id_kind(&cls) != JXTA_ID_MODULE_CLASS)
            cli_fail(2, prog, "--group must be a module class ID for 'new spec'");
        rc = jxta_id_new_module_spec(&id, &cls);
    } else {
        cli_fail(2, prog, "unknown ID kind '%s' (see --help)", kind);
    }
    if (rc < 0)
        cli_fail(1, prog, "cannot make the ID: %s", jxta_strerror(rc));
    printf("%s\n", jxta_id_str(&id, &t));
    return 0;
}

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    const char *group = NULL, *seed = NULL, *arg = NULL;
    unsigned flags = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--group") == 0 && i + 1 < argc)
            group = argv[++i];
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = argv[++i];
        else if (strcmp(argv[i], "--lenient") == 0)
            flags |= JXTA_ID_PARSE_LENIENT;
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            cli_fail(2, prog, "unknown or incomplete option '%s' (see --help)", argv[i]);
        else if (!arg)
            arg = argv[i];
        else
            cli_fail(2, prog, "unexpected argument '%s' (see --help)", argv[i]);
    }
    if (strcmp(cmd, "new") == 0) {
        if (!arg)
            cli_fail(2, prog, "'new' needs a kind: peer, group, pipe, codat, class or spec");
        return cmd_new(arg, group, seed);
    }
    if (strcmp(cmd, "show") == 0) {
        if (!arg)
            cli_fail(2, prog, "'show' needs an ID");
        if (group || seed)
            cli_fail(2, prog, "'show' takes no --group or --seed");
        return cmd_show(arg, flags);
    }
    cli_fail(2, prog, "unknown command '%s' (use new or show; see --help)", cmd);
}
