/* jxta-c/include/jxta/membership.h - being written (placeholder). */
#ifndef JXTA-C_INCLUDE_JXTA_MEMBERSHIP_H
#define JXTA-C_INCLUDE_JXTA_MEMBERSHIP_H
#endif
