/* placeholder */
#ifndef JXTA_FRAME_H
#define JXTA_FRAME_H
#endif
