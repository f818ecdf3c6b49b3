/* history.h - placeholder, being written. */
#ifndef JUXMEM_HISTORY_H
#define JUXMEM_HISTORY_H
#endif
