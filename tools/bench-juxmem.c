/* tools/bench-juxmem.c - being written (placeholder so the build graph is in place). */
#include <stdio.h>

int main(void)
{
    fputs("bench-juxmem: not written yet\n", stderr);
    return 2;
}
