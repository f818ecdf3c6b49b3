/* jxta-c/include/jxta/pipe.h - being written (placeholder). */
#ifndef JXTA-C_INCLUDE_JXTA_PIPE_H
#define JXTA-C_INCLUDE_JXTA_PIPE_H
#endif
