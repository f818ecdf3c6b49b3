/* juxmem/proto.h - being written (placeholder). */
#ifndef JUXMEM_PROTO_H
#define JUXMEM_PROTO_H
#endif
