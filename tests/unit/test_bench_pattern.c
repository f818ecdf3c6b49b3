/* test_bench_pattern.c - the raw-TCP floor of bench-juxmem
 * (tools/bench_pattern.[ch]): the pattern runs to the end with one to many
 * copies and sizes from the smallest to a multi-frame one, every sample is
 * a plausible time, every copy ends with the client's last bytes (checked
 * by the module itself), and arguments outside its limits are refused with
 * a reason instead of run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/bench.h"
#include "../../tools/bench_pattern.h"
#include "testutil.h"

static void run_ok(unsigned copies, size_t size, uint64_t count)
{
    double *s = calloc(count, sizeof *s);
    ck_assert_ptr_nonnull(s);
    char err[160] = "";
    int rc = bench_pattern_run(copies, size, count, 10, 20, s, err, sizeof err);
    ck_assert_msg(rc == 0, "copies %u size %zu: %s", copies, size, err);
    for (uint64_t i = 0; i < count; i++)
        ck_assert_msg(isfinite(s[i]) && s[i] > 0 && s[i] < 20e6, "sample %llu: %f",
                      (unsigned long long)i, s[i]);
    free(s);
}

START_TEST(test_pattern_runs)
{
    run_ok(1, BENCH_SMALL, 100);   /* a lone copy answers at once */
    run_ok(2, 4096, 100);          /* a majority of 2 is both */
    run_ok(4, 4096, 200);          /* the bench's shape: 2 of 3 acknowledgements */
    run_ok(5, 300 * 1024, 20);     /* updates larger than a socket buffer */
}
END_TEST

START_TEST(test_pattern_bad_arguments)
{
    double s[4];
    char err[160];
    const struct {
        unsigned copies;
        size_t size;
    } bad[] = {{0, 4096}, {65, 4096}, {3, BENCH_SMALL - 1}, {3, (16u << 20) + 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_int_eq(bench_pattern_run(bad[i].copies, bad[i].size, 4, 0, 5, s, err, sizeof err),
                         -1);
        ck_assert_msg(strstr(err, "raw pattern:") != NULL, "case %zu: '%s'", i, err);
    }
}
END_TEST

static Suite *pattern_suite(void)
{
    Suite *s = suite_create("bench_pattern");
    TCase *tc = tcase_create("pattern");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pattern_runs);
    tcase_add_test(tc, test_pattern_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(pattern_suite());
}
