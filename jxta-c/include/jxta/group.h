/* jxta-c/include/jxta/group.h - being written (placeholder). */
#ifndef JXTA-C_INCLUDE_JXTA_GROUP_H
#define JXTA-C_INCLUDE_JXTA_GROUP_H
#endif
