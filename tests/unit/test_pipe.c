/* test_pipe.c - placeholder until the module lands (replaced in the same session). */
#include <jxta.h>

#include "testutil.h"

START_TEST(placeholder)
{
    ck_assert_int_eq(jxta_strerror(0) != NULL, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pipe");
    TCase *tc = tcase_create("placeholder");
    tcase_add_test(tc, placeholder);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
