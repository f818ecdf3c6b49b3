/* jxta/log.h - the one logging facility of libjxta.
 *
 * Lines carry a level, a module tag ("msg", "adv", "id", ...) and a
 * printf-style text.  The default sink writes readable lines to stderr;
 * applications and tests install their own sink (tests use it to assert that
 * bad input produced a log line).  Logging never fails and never allocates
 * more than one bounded stack buffer per line. */
#ifndef JXTA_LOG_H
#define JXTA_LOG_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    JXTA_LOG_ERROR = 0,
    JXTA_LOG_WARN = 1,
    JXTA_LOG_INFO = 2,
    JXTA_LOG_DEBUG = 3,
    JXTA_LOG_TRACE = 4
} jxta_log_level_t;

typedef void (*jxta_log_sink_fn)(void *ud, jxta_log_level_t level, const char *module,
                                 const char *line);

/* Lines above `level` are dropped.  Default: JXTA_LOG_WARN, or the value of
 * the environment variable JXTA_LOG (error|warn|info|debug|trace). */
void jxta_log_set_level(jxta_log_level_t level);
jxta_log_level_t jxta_log_get_level(void);
/* Parse "error".."trace" (or "0".."4"); returns 0 or JXTA_EINVAL. */
int jxta_log_level_parse(const char *text, jxta_log_level_t *out);
/* NULL restores the stderr sink. */
void jxta_log_set_sink(jxta_log_sink_fn fn, void *ud);

void jxta_log(jxta_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void jxta_vlog(jxta_log_level_t level, const char *module, const char *fmt, va_list ap);

#ifdef __cplusplus
}
#endif
#endif
