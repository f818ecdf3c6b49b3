/* tools/juxmemd.c - being written (placeholder so the build graph is in place). */
#include <stdio.h>

int main(void)
{
    fputs("juxmemd: not written yet\n", stderr);
    return 2;
}
