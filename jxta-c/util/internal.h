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

/* CLOCK_MONOTONIC time `ms` milliseconds from now, for timed waits on
 * condition variables created with that clock. */
#include <time.h>
static inline void jxta__deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* strndup that returns NULL on allocation failure only. */
char *jxta__strndup(const char *s, size_t n);

#endif
