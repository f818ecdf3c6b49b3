/* placeholder */
#ifndef JXTA_RESOLVER_H
#define JXTA_RESOLVER_H
#endif
