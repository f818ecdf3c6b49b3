/* placeholder */
#ifndef JXTA_ADV_H
#define JXTA_ADV_H
#endif
