/* juxmem/client.c - being written (placeholder so the build graph is in place). */
typedef int juxmem__placeholder_client;
