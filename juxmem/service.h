/* juxmem/service.h - being written (placeholder). */
#ifndef JUXMEM_SERVICE_H
#define JUXMEM_SERVICE_H
#endif
