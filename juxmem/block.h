/* juxmem/block.h - being written (placeholder). */
#ifndef JUXMEM_BLOCK_H
#define JUXMEM_BLOCK_H
#endif
