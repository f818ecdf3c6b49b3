/* placeholder */
#ifndef JXTA_PROPAGATE_H
#define JXTA_PROPAGATE_H
#endif
