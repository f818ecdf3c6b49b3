/* internal.h - helpers shared by libjxta's own sources; not installed. */
#ifndef JXTA_INTERNAL_H
#define JXTA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jxta/error.h>
#include <jxta/log.h>

#define JXTA_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Log a rejection of bad input and return the error code, so parsers can
 * write `return jxta__reject(JXTA_ETRUNC, "msg", "element %u: ...", i);`. */
int jxta__reject(int err, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* strndup that returns NULL on allocation failure only. */
char *jxta__strndup(const char *s, size_t n);

#endif
