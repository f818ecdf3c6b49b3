/* placeholder */
#ifndef JXTA_CM_H
#define JXTA_CM_H
#endif
