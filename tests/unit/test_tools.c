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

static Suite *tools_suite(void)
{
    Suite *s = suite_create("tools");
    TCase *tc = tcase_create("jxta-id");
    tcase_add_test(tc, test_id_new_seeded);
    tcase_add_test(tc, test_id_show_and_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(tools_suite());
}
