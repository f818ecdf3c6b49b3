/* advertisements/adv_juxmem_data.c - being written (placeholder so the build graph is in place). */
typedef int juxmem__placeholder_adv_juxmem_data;
