/* test_tools.c - the command-line tools run as a user runs them: exit
 * codes, stdout bytes and error messages.  Each tool runs as a child
 * process with its output captured in temporary files; Check's per-test
 * timeout bounds every run. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jxta.h>

#include "testutil.h"

#ifndef TOOLS_DIR
#define TOOLS_DIR "tools"
#endif

typedef struct {
    int status; /* exit code, or 128+signal */
    uint8_t *out;
    size_t out_len;
    char *err;
} run_t;

static uint8_t *slurp_fd(int fd, size_t *len)
{
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap + 1);
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        if (n == cap)
            b = realloc(b, (cap *= 2) + 1);
        ssize_t r = read(fd, b + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    b[n] = '\0';
    *len = n;
    return b;
}

/* Run TOOLS_DIR/<tool> with args (NULL-terminated). */
static run_t run_tool(const char *tool, const char *const *args)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TOOLS_DIR, tool);
    char tmpo[] = "/tmp/jxta-test-out-XXXXXX", tmpe[] = "/tmp/jxta-test-err-XXXXXX";
    int fo = mkstemp(tmpo), fe = mkstemp(tmpe);
    ck_assert(fo >= 0 && fe >= 0);
    unlink(tmpo);
    unlink(tmpe);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = path;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    int st;
    ck_assert(waitpid(pid, &st, 0) == pid);
    run_t r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp_fd(fo, &r.out_len);
    size_t el;
    r.err = (char *)slurp_fd(fe, &el);
    close(fo);
    close(fe);
    return r;
}

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

#define RUN(tool, ...) run_tool(tool, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(test_id_new_seeded)
{
    run_t r = RUN("jxta-id", "new", "pipe", "--seed", "jxinterop-echo-pipe");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq((char *)r.out, "urn:jxta:uuid-59616261646162614E5047205032503371B1525A86824F"
                                    "3BAF3789DEC3FA3E2C04\n");
    run_free(&r);
    r = RUN("jxta-id", "new", "group", "--group", "urn:jxta:jxta-NetGroup", "--seed",
            "jxinterop-child-group");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq((char *)r.out,
                     "urn:jxta:uuid-B0BD32B14AB7409CBEAC98F73F96E02559616261646162614E5047205032503302\n");
    run_free(&r);
    r = RUN("jxta-id", "new", "peer");
    ck_assert_int_eq(r.status, 0);
    jxta_id_t id;
    r.out[r.out_len - 1] = '\0';
    ck_assert_int_eq(jxta_id_from_string(&id, (char *)r.out), 0);
    ck_assert_int_eq(jxta_id_kind(&id), JXTA_ID_PEER);
    run_free(&r);
}
END_TEST

START_TEST(test_id_show_and_errors)
{
    run_t r = RUN("jxta-id", "show", "urn:jxta:uuid-59616261646162614E5047205032503302");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr((char *)r.out, "id:           urn:jxta:jxta-NetGroup"));
    ck_assert_ptr_nonnull(strstr((char *)r.out, "kind:         group"));
    run_free(&r);
    r = RUN("jxta-id", "show", "urn:jxta:uuid-ab02");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "not canonical"));
    ck_assert_ptr_nonnull(strstr(r.err, "urn:jxta:uuid-AB02"));
    run_free(&r);
    r = RUN("jxta-id", "show", "--lenient", "urn:jxta:uuid-ab02");
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
    r = RUN("jxta-id", "show", "urn:jxta:uuid-AB07");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "not a valid JXTA ID"));
    run_free(&r);
    r = RUN("jxta-id", "new", "widget");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown ID kind"));
    run_free(&r);
    r = RUN("jxta-id", "--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr((char *)r.out, "usage: jxta-id"));
    run_free(&r);
}
END_TEST

/* ================================================================ helpers */

/* Write `data` to a new file under /tmp; returns its malloc'd path. */
static char *temp_file(const void *data, size_t len)
{
    char *path = strdup("/tmp/jxta-test-in-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    ck_assert_msg(write(fd, data, len) == (ssize_t)len, "cannot write %s", path);
    close(fd);
    return path;
}

/* Run `tool cmd FILE` on a temporary file holding `data`; the file is
 * deleted before returning (so a failed assertion leaves nothing behind).
 * *path_out receives the name the tool was given. */
static run_t run_on_bytes(const char *tool, const char *cmd, const void *data, size_t len,
                          char **path_out)
{
    char *path = temp_file(data, len);
    run_t r = RUN(tool, cmd, path);
    unlink(path);
    *path_out = path;
    return r;
}

/* Number of '\n'-terminated lines in s. */
static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Start of the last line of s (s itself if it has one line). */
static const char *last_line(const char *s)
{
    size_t n = strlen(s);
    if (n && s[n - 1] == '\n')
        n--;
    while (n && s[n - 1] != '\n')
        n--;
    return s + n;
}

static size_t indent_of(const char *line)
{
    size_t n = 0;
    while (line[n] == ' ')
        n++;
    return n;
}

/* First line (at or after `from`) containing both a and b (b may be NULL);
 * returns the start of that line or NULL. */
static const char *line_with(const char *from, const char *a, const char *b)
{
    const char *line = from;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *pa = memmem(line, len, a, strlen(a));
        if (pa && (!b || memmem(line, len, b, strlen(b))))
            return line;
        if (!end)
            break;
        line = end + 1;
    }
    return NULL;
}

/* First line whose text, leading spaces removed, is exactly `text`. */
static const char *find_line(const char *from, const char *text)
{
    size_t tl = strlen(text);
    const char *line = from;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        size_t ind = indent_of(line);
        if (ind <= len && len - ind == tl && memcmp(line + ind, text, tl) == 0)
            return line;
        if (!end)
            break;
        line = end + 1;
    }
    return NULL;
}

static const char *next_line(const char *line)
{
    const char *end = strchr(line, '\n');
    return end ? end + 1 : line + strlen(line);
}

/* Bad input: exit 1 and exactly one stderr line "<tool>: ...<path>...: <reason>",
 * the reason containing `reason` when given. */
static void assert_one_error_line(const run_t *r, const char *tool, const char *path,
                                  const char *reason)
{
    ck_assert_msg(r->status == 1, "%s on %s: exit %d, want 1 (stderr: %s)", tool, path, r->status,
                  r->err);
    ck_assert_msg(count_lines(r->err) == 1 && r->err[strlen(r->err) - 1] == '\n',
                  "%s on %s: want one stderr line, got: %s", tool, path, r->err);
    ck_assert_msg(strncmp(r->err, tool, strlen(tool)) == 0 && r->err[strlen(tool)] == ':',
                  "%s: stderr does not start with the program name: %s", path, r->err);
    const char *p = strstr(r->err, path);
    ck_assert_msg(p != NULL, "%s: stderr does not name the file: %s", path, r->err);
    /* a reason follows the file name */
    const char *after = p + strlen(path);
    ck_assert_msg(strlen(after) > 4, "%s: no reason after the file name: %s", path, r->err);
    if (reason)
        ck_assert_msg(strstr(after, reason) || strstr(r->err, reason),
                      "%s: stderr lacks \"%s\": %s", path, reason, r->err);
}

/* Roundtrip (byte-identical, exit 0, quiet stderr) and dump (exit 0, output
 * names the file) for every file in vectors dir `rel` ending with `suffix`.
 * Returns how many files there were. */
static size_t msg_vectors_roundtrip(const char *rel, const char *suffix)
{
    char *dir = tu_vector_path(rel);
    char **names;
    size_t n = tu_list(dir, suffix, &names);
    for (size_t i = 0; i < n; i++) {
        char *path = NULL;
        ck_assert(asprintf(&path, "%s/%s", dir, names[i]) > 0);
        size_t len;
        uint8_t *want = tu_read(path, &len);

        run_t r = RUN("jxta-msg", "roundtrip", path);
        ck_assert_msg(r.status == 0, "roundtrip %s: exit %d: %s", path, r.status, r.err);
        ck_assert_msg(r.err[0] == '\0', "roundtrip %s: stderr: %s", path, r.err);
        ck_assert_msg(r.out_len == len && memcmp(r.out, want, len) == 0,
                      "roundtrip %s: %zu bytes out, %zu in, or different bytes", path, r.out_len,
                      len);
        run_free(&r);

        r = RUN("jxta-msg", "dump", path);
        ck_assert_msg(r.status == 0, "dump %s: exit %d: %s", path, r.status, r.err);
        ck_assert_msg(r.err[0] == '\0', "dump %s: stderr: %s", path, r.err);
        ck_assert_msg(strncmp((char *)r.out, path, strlen(path)) == 0 && r.out[strlen(path)] == ':',
                      "dump %s: first line does not name the file", path);
        ck_assert_msg(strstr((char *)r.out, "message v"), "dump %s: no message shown", path);
        run_free(&r);
        free(want);
        free(path);
    }
    tu_free_list(names);
    free(dir);
    return n;
}

/* ================================================================ jxta-msg */

START_TEST(test_msg_roundtrip_dump_vectors)
{
    ck_assert_uint_ge(msg_vectors_roundtrip("dump", ".jxmg"), 9);
    ck_assert_uint_ge(msg_vectors_roundtrip("dump", ".tcpframe"), 9);
}
END_TEST

START_TEST(test_msg_roundtrip_captures)
{
    static const char *const caps[] = {"edge-listening", "minimal-edge"};
    for (size_t c = 0; c < 2; c++) {
        char rel[128];
        snprintf(rel, sizeof rel, "%s/decoded/frames", caps[c]);
        ck_assert_uint_ge(msg_vectors_roundtrip(rel, ".jxmg"), 10);
        snprintf(rel, sizeof rel, "%s/decoded/streams", caps[c]);
        ck_assert_uint_ge(msg_vectors_roundtrip(rel, ".bin"), 2);
    }
}
END_TEST

START_TEST(test_msg_dump_message)
{
    /* one text element: its name and its body */
    char *path = tu_vector_path("dump/msg-01-one-string.jxmg");
    run_t r = RUN("jxta-msg", "dump", path);
    ck_assert_int_eq(r.status, 0);
    const char *out = (char *)r.out;
    ck_assert_msg(line_with(out, "binary message", "57 bytes"), "%s", out);
    ck_assert_msg(line_with(out, "message v0", "1 element"), "%s", out);
    const char *el = line_with(out, ":hello ", "type=text/plain;charset=UTF-8");
    ck_assert_msg(el && line_with(el, "size=5", "HAS_TYPE") == el, "%s", out);
    const char *body = find_line(el, "world");
    ck_assert_msg(body == next_line(el) && indent_of(body) > indent_of(el), "%s", out);
    run_free(&r);
    free(path);

    /* a nested message is decoded, its element shown inside the outer one */
    static const char *const nested[] = {"dump/msg-04-nested.jxmg", "dump/msg-04-nested.tcpframe"};
    for (size_t i = 0; i < 2; i++) {
        path = tu_vector_path(nested[i]);
        r = RUN("jxta-msg", "dump", path);
        ck_assert_int_eq(r.status, 0);
        out = (char *)r.out;
        const char *inner = line_with(out, "jxinterop:inner", "type=application/x-jxta-msg");
        ck_assert_msg(inner != NULL, "%s", out);
        const char *nm = line_with(inner, "message v0 (nested)", "1 element");
        ck_assert_msg(nm == next_line(inner) && indent_of(nm) > indent_of(inner), "%s", out);
        const char *hello = line_with(nm, ":hello ", "type=text/plain");
        ck_assert_msg(hello == next_line(nm) && indent_of(hello) > indent_of(nm), "%s", out);
        ck_assert_msg(find_line(hello, "world") == next_line(hello), "%s", out);
        const char *outer = line_with(hello, "jxinterop:outer", "size=1");
        ck_assert_msg(outer && indent_of(outer) == indent_of(inner), "%s", out);
        ck_assert_msg(find_line(outer, "x") == next_line(outer), "%s", out);
        if (i == 1) {
            /* the frame's headers come first; content-length = the message */
            size_t mlen;
            char *mpath = tu_vector_path(nested[0]);
            free(tu_read(mpath, &mlen));
            free(mpath);
            char cl[64];
            snprintf(cl, sizeof cl, "content-length: %zu", mlen);
            ck_assert_msg(line_with(out, "TCP frame", NULL), "%s", out);
            ck_assert_msg(find_line(out, "content-type: application/x-jxta-msg") &&
                              find_line(out, cl) && find_line(out, cl) < inner,
                          "%s", out);
        }
        run_free(&r);
        free(path);
    }
}
END_TEST

/* Welcome fields as the raw line carries them: JXTAHELLO dest pub peer noprop version. */
static void check_welcome(const char *out, const uint8_t *raw, size_t len, const char *path)
{
    const uint8_t *eol = memmem(raw, len, "\r\n", 2);
    ck_assert_msg(eol != NULL, "%s: no welcome line", path);
    char line[512];
    size_t ll = (size_t)(eol - raw);
    ck_assert_uint_lt(ll, sizeof line);
    memcpy(line, raw, ll);
    line[ll] = '\0';
    char *tok[8];
    size_t nt = 0;
    for (char *save, *t = strtok_r(line, " ", &save); t && nt < 8; t = strtok_r(NULL, " ", &save))
        tok[nt++] = t;
    ck_assert_msg(nt == 6 && strcmp(tok[0], "JXTAHELLO") == 0, "%s: unexpected welcome", path);
    const char *w = line_with(out, "welcome", "JXTAHELLO");
    ck_assert_msg(w && strstr(w, tok[5]), "%s: no welcome/version line:\n%.500s", path, out);
    static const char *const label[] = {NULL, "dest:", "public:", "peer:", "noprop:"};
    for (size_t i = 1; i <= 4; i++) {
        const char *l = line_with(w, label[i], tok[i]);
        ck_assert_msg(l != NULL, "%s: welcome field %s %s not shown:\n%.600s", path, label[i],
                      tok[i], out);
    }
}

/* Every jxta:ERM in the raw stream gets "router: Src=<Src> Dest=<Dest>" in
 * order; returns how many. */
static size_t check_router_summaries(const char *out, const uint8_t *raw, size_t len,
                                     const char *path)
{
    size_t n = 0;
    const uint8_t *p = raw, *end = raw + len;
    const char *pos = out;
    while ((p = memmem(p, (size_t)(end - p), "<jxta:ERM", 9)) != NULL) {
        const uint8_t *s = memmem(p, (size_t)(end - p), "<Src>", 5);
        const uint8_t *se = s ? memmem(s, (size_t)(end - s), "</Src>", 6) : NULL;
        const uint8_t *d = se ? memmem(se, (size_t)(end - se), "<Dest>", 6) : NULL;
        const uint8_t *de = d ? memmem(d, (size_t)(end - d), "</Dest>", 7) : NULL;
        ck_assert_msg(de != NULL, "%s: ERM without Src/Dest", path);
        char want[1024];
        int wl = snprintf(want, sizeof want, "router: Src=%.*s Dest=%.*s ", (int)(se - s - 5),
                          (const char *)s + 5, (int)(de - d - 6), (const char *)d + 6);
        ck_assert(wl > 0 && (size_t)wl < sizeof want);
        const char *hit = strstr(pos, want);
        ck_assert_msg(hit != NULL, "%s: summary #%zu missing: %s", path, n + 1, want);
        pos = hit + 1;
        n++;
        p = de;
    }
    /* no other router summaries than those */
    size_t shown = 0;
    for (const char *h = out; (h = strstr(h, "router: ")) != NULL; h++)
        shown++;
    ck_assert_msg(shown == n, "%s: %zu router summaries for %zu ERM headers", path, shown, n);
    return n;
}

START_TEST(test_msg_dump_streams)
{
    static const char *const dirs[] = {"edge-listening/decoded/streams",
                                       "minimal-edge/decoded/streams"};
    size_t streams = 0, erms = 0;
    for (size_t d = 0; d < 2; d++) {
        char *dir = tu_vector_path(dirs[d]);
        char **names;
        size_t n = tu_list(dir, ".bin", &names);
        for (size_t i = 0; i < n; i++) {
            char *path = NULL;
            ck_assert(asprintf(&path, "%s/%s", dir, names[i]) > 0);
            size_t len;
            uint8_t *raw = tu_read(path, &len);
            run_t r = RUN("jxta-msg", "dump", path);
            ck_assert_msg(r.status == 0, "dump %s: %s", path, r.err);
            const char *out = (char *)r.out;
            ck_assert_msg(line_with(out, "TCP stream", "welcome"), "%s", path);
            check_welcome(out, raw, len, path);
            erms += check_router_summaries(out, raw, len, path);
            run_free(&r);
            free(raw);
            free(path);
            streams++;
        }
        tu_free_list(names);
        free(dir);
    }
    ck_assert_uint_ge(streams, 6);
    ck_assert_uint_ge(erms, 30);

    /* a known router header, exactly as a user reads it */
    char *path = tu_vector_path(
        "minimal-edge/decoded/streams/conn00-127.0.0.1_34892-to-127.0.0.1_9741.s2c.bin");
    run_t r = RUN("jxta-msg", "dump", path);
    ck_assert_int_eq(r.status, 0);
    const char *out = (char *)r.out;
    ck_assert_msg(find_line(out,
                            "peer:    urn:jxta:uuid-"
                            "59616261646162614E50472050325033FD22FF0D29884878838A986D8171351603"),
                  "%.400s", out);
    const char *erm = line_with(out, "jxta:EndpointRouterMsg", "type=text/xml");
    ck_assert_ptr_nonnull(erm);
    const char *sum = next_line(erm);
    static const char want[] =
        "router: Src=jxta://uuid-59616261646162614E50472050325033FD22FF0D29884878838A986D8171351603"
        " Dest=jxta://uuid-59616261646162614E50472050325033D3BDCBB6F82C4152BF6D94F9CABB7D7B03"
        "/urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605/jxta-NetGroup Last=";
    ck_assert_msg(strncmp(sum + indent_of(sum), want, strlen(want)) == 0, "%.300s", sum);
    run_free(&r);
    free(path);

    /* rendezvous propagation header summary */
    path = tu_vector_path(
        "edge-listening/decoded/streams/conn01-127.0.0.1_51349-to-127.0.0.1_9741.c2s.bin");
    r = RUN("jxta-msg", "dump", path);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(line_with((char *)r.out, "propagate: MessageId=", "TTL="));
    run_free(&r);
    free(path);
}
END_TEST

START_TEST(test_msg_dump_xml_pretty)
{
    /* The edge's Connect carries its PA compact on the wire; the dump shows
     * it one element per line, children indented under their parent. */
    char *path = tu_vector_path(
        "minimal-edge/decoded/streams/conn00-127.0.0.1_34892-to-127.0.0.1_9741.c2s.bin");
    size_t len;
    uint8_t *raw = tu_read(path, &len);
    static const char pid[] = "<PID>urn:jxta:uuid-"
                              "59616261646162614E50472050325033D3BDCBB6F82C4152BF6D94F9CABB7D7B03"
                              "</PID>";
    static const char root[] = "<jxta:PA xmlns:jxta=\"http://jxta.org\">";
    char compact[256];
    snprintf(compact, sizeof compact, "%s%s", root, pid);
    ck_assert_ptr_nonnull(memmem(raw, len, compact, strlen(compact)));

    run_t r = RUN("jxta-msg", "dump", path);
    ck_assert_int_eq(r.status, 0);
    const char *out = (char *)r.out;
    const char *connect = line_with(out, "jxta:Connect", "type=text/xml");
    ck_assert_ptr_nonnull(connect);
    const char *rl = find_line(connect, root);
    ck_assert_msg(rl != NULL, "%.2000s", connect);
    const char *pl = next_line(rl);
    ck_assert_msg(find_line(pl, pid) == pl, "%.2000s", connect);
    ck_assert_uint_eq(indent_of(pl), indent_of(rl) + 2);
    ck_assert_uint_gt(indent_of(rl), indent_of(connect));
    const char *gl = next_line(pl);
    ck_assert_msg(find_line(gl, "<GID>urn:jxta:jxta-NetGroup</GID>") == gl, "%.2000s", connect);
    ck_assert_uint_eq(indent_of(gl), indent_of(pl));
    const char *close_root = find_line(gl, "</jxta:PA>");
    ck_assert_msg(close_root && indent_of(close_root) == indent_of(rl), "%.2000s", connect);
    run_free(&r);
    free(raw);
    free(path);
}
END_TEST

/* roundtrip and dump on `data` (in a temporary file) both fail cleanly. */
static void msg_rejects(const void *data, size_t len, const char *reason, const char *what)
{
    static const char *const cmds[] = {"roundtrip", "dump"};
    for (size_t c = 0; c < 2; c++) {
        char *path;
        run_t r = run_on_bytes("jxta-msg", cmds[c], data, len, &path);
        assert_one_error_line(&r, "jxta-msg", path, reason);
        if (c == 0)
            ck_assert_msg(r.out_len == 0, "%s: roundtrip wrote %zu bytes to stdout", what,
                          r.out_len);
        run_free(&r);
        free(path);
    }
}

START_TEST(test_msg_bad_input)
{
    /* truncated copies of a message, a frame and a captured stream */
    static const char *const vecs[] = {
        "dump/msg-04-nested.jxmg", "dump/msg-04-nested.tcpframe",
        "minimal-edge/decoded/streams/conn00-127.0.0.1_34892-to-127.0.0.1_9741.s2c.bin"};
    for (size_t v = 0; v < 3; v++) {
        char *vp = tu_vector_path(vecs[v]);
        size_t len;
        uint8_t *data = tu_read(vp, &len);
        size_t cuts[] = {len - 1, len / 2, 30};
        for (size_t c = 0; c < 3; c++) {
            char what[300];
            snprintf(what, sizeof what, "%s cut to %zu bytes", vecs[v], cuts[c]);
            msg_rejects(data, cuts[c], "truncated", what);
        }
        /* a byte too many: after a message or frame it is trailing data; in a
         * stream it starts a next frame that never completes */
        uint8_t *more = malloc(len + 1);
        memcpy(more, data, len);
        more[len] = 'x';
        msg_rejects(more, len + 1, v < 2 ? "trailing" : "truncated", vecs[v]);
        free(more);
        free(data);
        free(vp);
    }

    /* empty file */
    msg_rejects("", 0, NULL, "empty file");

    /* garbage: binary noise, text, a message magic or welcome with junk after */
    uint8_t noise[2048];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (uint8_t)(x >> 16);
    }
    msg_rejects(noise, sizeof noise, NULL, "noise");
    static const char text[] = "this is not a JXTA message, only some text\n";
    msg_rejects(text, strlen(text), NULL, "text");
    static const char magic[] = "jxmg\xff\xff\xff\xff garbage after the magic";
    msg_rejects(magic, sizeof magic - 1, NULL, "jxmg garbage");
    static const char hello[] = "JXTAHELLO garbage\r\n\x01\x02\x03";
    msg_rejects(hello, sizeof hello - 1, NULL, "welcome garbage");

    /* missing file */
    char missing[64];
    snprintf(missing, sizeof missing, "/tmp/jxta-test-no-such-file-%ld", (long)getpid());
    unlink(missing);
    static const char *const cmds[] = {"roundtrip", "dump"};
    for (size_t c = 0; c < 2; c++) {
        run_t r = RUN("jxta-msg", cmds[c], missing);
        assert_one_error_line(&r, "jxta-msg", missing, "No such file");
        ck_assert_uint_eq(r.out_len, 0);
        run_free(&r);
    }
}
END_TEST

START_TEST(test_msg_usage)
{
    static const char *const help[] = {"--help", "-h"};
    for (size_t i = 0; i < 2; i++) {
        run_t r = RUN("jxta-msg", help[i]);
        ck_assert_int_eq(r.status, 0);
        ck_assert_msg(strncmp((char *)r.out, "usage: jxta-msg dump", 20) == 0, "%s", r.out);
        ck_assert_ptr_nonnull(strstr((char *)r.out, "jxta-msg roundtrip"));
        ck_assert_str_eq(r.err, "");
        run_free(&r);
    }
    run_t r = RUN("jxta-msg", "dump", "--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr((char *)r.out, "usage: jxta-msg"));
    run_free(&r);

    /* usage errors: exit 2 */
    r = RUN("jxta-msg", "dump");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "usage: jxta-msg"));
    ck_assert_uint_eq(r.out_len, 0);
    run_free(&r);
    char *path = tu_vector_path("dump/msg-01-one-string.jxmg");
    r = RUN("jxta-msg", "explode", path);
    ck_assert_int_eq(r.status, 2);
    run_free(&r);
    r = RUN("jxta-msg", "dump", "--kind", "banana", path);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "banana"));
    run_free(&r);
    r = RUN("jxta-msg", "dump", "--bogus", path);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--bogus"));
    run_free(&r);

    /* --kind overrides detection */
    r = RUN("jxta-msg", "roundtrip", "--kind", "msg", path);
    ck_assert_int_eq(r.status, 0);
    ck_assert_uint_eq(r.out_len, 57);
    run_free(&r);
    r = RUN("jxta-msg", "roundtrip", "--kind", "frame", path);
    assert_one_error_line(&r, "jxta-msg", path, NULL);
    ck_assert_uint_eq(r.out_len, 0);
    run_free(&r);
    free(path);
}
END_TEST

/* ================================================================ jxta-adv */

static const char *const adv_dirs[] = {"dump", "dump/cache", "edge-listening/peers",
                                       "minimal-edge/peers"};

/* A JXSE compact document: no line indented with a tab (JXSE's pretty
 * form, used for PlatformConfig and custom advertisements, indents with tabs). */
static int is_compact(const uint8_t *p, size_t len)
{
    return !memmem(p, len, "\n\t", 2);
}

START_TEST(test_adv_roundtrip_vectors)
{
    size_t files = 0, identical = 0;
    for (size_t d = 0; d < sizeof adv_dirs / sizeof adv_dirs[0]; d++) {
        char *dir = tu_vector_path(adv_dirs[d]);
        char **names;
        size_t n = tu_list(dir, ".xml", &names);
        for (size_t i = 0; i < n; i++) {
            char *path = NULL;
            ck_assert(asprintf(&path, "%s/%s", dir, names[i]) > 0);
            size_t len;
            uint8_t *text = tu_read(path, &len);
            jxta_adv_t *want = NULL, *got = NULL;
            ck_assert_msg(jxta_adv_parse(text, len, &want) == 0, "%s does not parse", path);

            run_t r = RUN("jxta-adv", "roundtrip", path);
            ck_assert_msg(r.status == 0, "roundtrip %s: exit %d: %s", path, r.status, r.err);
            ck_assert_msg(r.err[0] == '\0', "roundtrip %s: stderr: %s", path, r.err);
            int rc = jxta_adv_parse(r.out, r.out_len, &got);
            ck_assert_msg(rc == 0, "roundtrip %s: output does not parse (%s):\n%s", path,
                          jxta_strerror(rc), r.out);
            ck_assert_msg(jxta_adv_equal(want, got), "roundtrip %s: output differs:\n%s", path,
                          r.out);
            ck_assert_msg(is_compact(r.out, r.out_len), "roundtrip %s: output not compact", path);
            if (is_compact(text, len)) {
                ck_assert_msg(r.out_len == len && memcmp(r.out, text, len) == 0,
                              "roundtrip %s: compact JXSE document not byte-identical:\n%s", path,
                              r.out);
                identical++;
            }
            jxta_adv_free(got);
            jxta_adv_free(want);
            run_free(&r);
            free(text);
            free(path);
            files++;
        }
        tu_free_list(names);
        free(dir);
    }
    ck_assert_uint_ge(files, 30);
    ck_assert_uint_ge(identical, 25);

    /* roundtrip output is a fixed point */
    char *path = tu_vector_path("dump/PlatformConfig.xml");
    run_t r1 = RUN("jxta-adv", "roundtrip", path);
    ck_assert_int_eq(r1.status, 0);
    char *tmp;
    run_t r2 = run_on_bytes("jxta-adv", "roundtrip", r1.out, r1.out_len, &tmp);
    ck_assert_int_eq(r2.status, 0);
    ck_assert_msg(r2.out_len == r1.out_len && memcmp(r2.out, r1.out, r1.out_len) == 0,
                  "second roundtrip differs");
    run_free(&r1);
    run_free(&r2);
    free(tmp);
    free(path);
}
END_TEST

START_TEST(test_adv_show)
{
    /* the PA: type, directory, ID and index fields */
    char *path = tu_vector_path("dump/PeerAdvertisement.xml");
    run_t r = RUN("jxta-adv", "show", path);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    const char *out = (char *)r.out;
    static const char pid[] =
        "urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303";
    ck_assert_msg(find_line(out, "type:      jxta:PA") == out, "%s", out);
    ck_assert_ptr_nonnull(line_with(out, "directory:", "Peers"));
    ck_assert_ptr_nonnull(line_with(out, "id:", pid));
    const char *idx = find_line(out, "index:");
    ck_assert_ptr_nonnull(idx);
    ck_assert_ptr_nonnull(find_line(idx, "Name = JxInteropDump"));
    char pidl[128];
    snprintf(pidl, sizeof pidl, "PID = %s", pid);
    ck_assert_ptr_nonnull(find_line(idx, pidl));
    ck_assert_ptr_nonnull(line_with(out, "jxta:RA at /jxta:PA/Svc/Parm/jxta:RA", "EA=tcp://"));
    const char *doc = find_line(out, "document:");
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_nonnull(find_line(doc, "<Name>JxInteropDump</Name>"));
    ck_assert_uint_gt(indent_of(line_with(doc, "<Name>", NULL)), 0);
    run_free(&r);

    /* --type naming the right type is accepted */
    r = RUN("jxta-adv", "show", "--type", "jxta:PA", path);
    ck_assert_int_eq(r.status, 0);
    run_free(&r);
    free(path);

    /* every vector: the type and each index field as the library sees them */
    size_t files = 0;
    for (size_t d = 0; d < sizeof adv_dirs / sizeof adv_dirs[0]; d++) {
        char *dir = tu_vector_path(adv_dirs[d]);
        char **names;
        size_t n = tu_list(dir, ".xml", &names);
        for (size_t i = 0; i < n; i++) {
            ck_assert(asprintf(&path, "%s/%s", dir, names[i]) > 0);
            size_t len;
            uint8_t *text = tu_read(path, &len);
            jxta_adv_t *adv = NULL;
            ck_assert_int_eq(jxta_adv_parse(text, len, &adv), 0);
            r = RUN("jxta-adv", "show", path);
            ck_assert_msg(r.status == 0, "show %s: %s", path, r.err);
            out = (char *)r.out;
            const char *tl = line_with(out, "type:", jxta_adv_type_name(adv));
            ck_assert_msg(tl == out, "show %s: type %s not on the first line:\n%s", path,
                          jxta_adv_type_name(adv), out);
            jxta_adv_index_entry_t e[16];
            size_t k = jxta_adv_index(adv, e, 16);
            for (size_t j = 0; j < k && j < 16; j++) {
                char want[512];
                snprintf(want, sizeof want, "%s = %s", e[j].name, e[j].value);
                ck_assert_msg(find_line(out, want), "show %s: index \"%s\" missing", path, want);
            }
            jxta_id_t id;
            if (jxta_adv_id(adv, &id) == 0) {
                jxta_id_text_t t;
                ck_assert_msg(line_with(out, "id:", jxta_id_str(&id, &t)), "show %s: no id", path);
            }
            ck_assert_ptr_nonnull(find_line(out, "document:"));
            run_free(&r);
            jxta_adv_free(adv);
            free(text);
            free(path);
            files++;
        }
        tu_free_list(names);
        free(dir);
    }
    ck_assert_uint_ge(files, 30);
}
END_TEST

/* Bad advertisement: exit 1, nothing on stdout, and the last stderr line
 * "jxta-adv: FILE: ... reason". */
static void adv_rejects(const run_t *r, const char *path, const char *reason)
{
    ck_assert_msg(r->status == 1, "%s: exit %d, want 1 (stderr: %s)", path, r->status, r->err);
    ck_assert_msg(r->out_len == 0, "%s: %zu bytes on stdout", path, r->out_len);
    const char *last = last_line(r->err);
    ck_assert_msg(strncmp(last, "jxta-adv: ", 10) == 0 && strstr(last, path) &&
                      strstr(last, reason),
                  "%s: want a line naming the file and \"%s\", got: %s", path, reason, r->err);
}

START_TEST(test_adv_errors)
{
    static const char *const cmds[] = {"show", "roundtrip"};
    char *pa = tu_vector_path("dump/PeerAdvertisement.xml");
    size_t len;
    uint8_t *text = tu_read(pa, &len);

    /* asking for another type */
    for (size_t c = 0; c < 2; c++) {
        run_t r = RUN("jxta-adv", cmds[c], "--type", "jxta:PGA", pa);
        adv_rejects(&r, pa, "jxta:PGA");
        ck_assert_msg(strstr(last_line(r.err), "advertisement type"), "%s", r.err);
        run_free(&r);
    }

    /* malformed XML: the PA without its closing tag; mismatched tags */
    const char *close = strstr((char *)text, "</jxta:PA>");
    ck_assert_ptr_nonnull(close);
    static const char mismatched[] = "<?xml version=\"1.0\"?>\n<jxta:PA "
                                     "xmlns:jxta=\"http://jxta.org\"><PID></GID></jxta:PA>";
    for (size_t c = 0; c < 2; c++) {
        char *path;
        run_t r = run_on_bytes("jxta-adv", cmds[c], text, (size_t)(close - (char *)text), &path);
        adv_rejects(&r, path, "malformed");
        run_free(&r);
        free(path);
        r = run_on_bytes("jxta-adv", cmds[c], mismatched, strlen(mismatched), &path);
        adv_rejects(&r, path, "malformed");
        run_free(&r);
        free(path);
        static const char notxml[] = "this is not XML\n";
        r = run_on_bytes("jxta-adv", cmds[c], notxml, strlen(notxml), &path);
        adv_rejects(&r, path, "XML");
        run_free(&r);
        free(path);
        r = run_on_bytes("jxta-adv", cmds[c], "", 0, &path);
        adv_rejects(&r, path, "XML");
        run_free(&r);
        free(path);
    }

    /* a required field missing: the PA without its PID */
    char *p0 = strstr((char *)text, "<PID>"), *p1 = strstr((char *)text, "</PID>");
    ck_assert(p0 && p1 && p1 > p0);
    p1 += strlen("</PID>");
    size_t nolen = len - (size_t)(p1 - p0);
    char *nopid = malloc(nolen + 1);
    memcpy(nopid, text, (size_t)(p0 - (char *)text));
    memcpy(nopid + (p0 - (char *)text), p1, len - (size_t)(p1 - (char *)text));
    nopid[nolen] = '\0';
    for (size_t c = 0; c < 2; c++) {
        char *path;
        run_t r = run_on_bytes("jxta-adv", cmds[c], nopid, nolen, &path);
        adv_rejects(&r, path, "required field missing");
        /* the user learns which field */
        ck_assert_msg(strstr(r.err, "PID"), "missing field not named: %s", r.err);
        run_free(&r);
        free(path);
    }
    /* quiet log level: the one error line alone */
    char *tmp = temp_file(nopid, nolen);
    run_t r = RUN("jxta-adv", "roundtrip", "--log-level", "error", tmp);
    unlink(tmp);
    assert_one_error_line(&r, "jxta-adv", tmp, "required field missing");
    ck_assert_uint_eq(r.out_len, 0);
    run_free(&r);
    free(tmp);
    free(nopid);

    /* missing file */
    char missing[64];
    snprintf(missing, sizeof missing, "/tmp/jxta-test-no-such-adv-%ld", (long)getpid());
    unlink(missing);
    for (size_t c = 0; c < 2; c++) {
        r = RUN("jxta-adv", cmds[c], missing);
        assert_one_error_line(&r, "jxta-adv", missing, "No such file");
        ck_assert_uint_eq(r.out_len, 0);
        run_free(&r);
    }

    /* usage errors: exit 2 */
    r = RUN("jxta-adv", "show", "--type", "jxta:Nonsense", pa);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "jxta:Nonsense"));
    run_free(&r);
    r = RUN("jxta-adv", "show");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "usage: jxta-adv"));
    run_free(&r);
    free(text);
    free(pa);
}
END_TEST

START_TEST(test_adv_help)
{
    static const char *const help[] = {"--help", "-h"};
    for (size_t i = 0; i < 2; i++) {
        run_t r = RUN("jxta-adv", help[i]);
        ck_assert_int_eq(r.status, 0);
        ck_assert_msg(strncmp((char *)r.out, "usage: jxta-adv show", 20) == 0, "%s", r.out);
        ck_assert_ptr_nonnull(strstr((char *)r.out, "jxta-adv roundtrip"));
        ck_assert_str_eq(r.err, "");
        run_free(&r);
    }
}
END_TEST

static Suite *tools_suite(void)
{
    Suite *s = suite_create("tools");
    TCase *tc = tcase_create("jxta-id");
    tcase_add_test(tc, test_id_new_seeded);
    tcase_add_test(tc, test_id_show_and_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("jxta-msg");
    tcase_add_test(tc, test_msg_roundtrip_dump_vectors);
    tcase_add_test(tc, test_msg_roundtrip_captures);
    tcase_add_test(tc, test_msg_dump_message);
    tcase_add_test(tc, test_msg_dump_streams);
    tcase_add_test(tc, test_msg_dump_xml_pretty);
    tcase_add_test(tc, test_msg_bad_input);
    tcase_add_test(tc, test_msg_usage);
    suite_add_tcase(s, tc);

    tc = tcase_create("jxta-adv");
    tcase_add_test(tc, test_adv_roundtrip_vectors);
    tcase_add_test(tc, test_adv_show);
    tcase_add_test(tc, test_adv_errors);
    tcase_add_test(tc, test_adv_help);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* the tools' output must not depend on the caller's log setting */
    unsetenv("JXTA_LOG");
    return tu_run(tools_suite());
}
