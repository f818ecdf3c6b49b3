/* jxta-c/group/group_adv.c - being written (placeholder so the build graph is in place). */
typedef int jxta__placeholder_group_adv;
