/* placeholder */
#ifndef JXTA_DISCOVERY_H
#define JXTA_DISCOVERY_H
#endif
