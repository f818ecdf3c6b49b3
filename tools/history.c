/* history.c - placeholder, being written. */
#include "history.h"
typedef int juxmem_history_placeholder;
