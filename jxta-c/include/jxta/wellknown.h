/* placeholder */
#ifndef JXTA_WELLKNOWN_H
#define JXTA_WELLKNOWN_H
#endif
