/* placeholder */
#ifndef JXTA_MSG_H
#define JXTA_MSG_H
#endif
