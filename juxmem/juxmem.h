#ifndef JUXMEM_H
#define JUXMEM_H
#endif
