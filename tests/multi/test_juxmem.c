/* test_juxmem.c - placeholder until the multi-process JuxMem tests land. */
#include <jxta.h>

#include "../unit/testutil.h"

START_TEST(placeholder)
{
    ck_assert_int_eq(jxta_strerror(0) != NULL, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("juxmem (multi-process)");
    TCase *tc = tcase_create("placeholder");
    tcase_add_test(tc, placeholder);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
