/* juxmem/net.c - being written (placeholder so the build graph is in place). */
typedef int juxmem__placeholder_net;
