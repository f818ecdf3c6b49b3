/* jxta-c/pipe/wire.c - being written (placeholder so the build graph is in place). */
typedef int jxta__placeholder_wire;
