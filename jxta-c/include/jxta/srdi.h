/* placeholder */
#ifndef JXTA_SRDI_H
#define JXTA_SRDI_H
#endif
