/* log.c - leveled logging with a pluggable sink (see jxta/log.h).
 *
 * The level and sink are process-wide and read without locks: they are set
 * once at start-up (or by a test) and only read afterwards. */
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include <jxta/log.h>

#include "internal.h"

static int level_inited;
static jxta_log_level_t cur_level = JXTA_LOG_WARN;
static jxta_log_sink_fn sink_fn;
static void *sink_ud;

static const char *level_names[] = {"error", "warn", "info", "debug", "trace"};

int jxta_log_level_parse(const char *text, jxta_log_level_t *out)
{
    if (!text)
        return JXTA_EINVAL;
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(text, level_names[i]) == 0 || (text[0] == '0' + i && text[1] == '\0')) {
            *out = (jxta_log_level_t)i;
            return 0;
        }
    }
    if (strcasecmp(text, "warning") == 0) {
        *out = JXTA_LOG_WARN;
        return 0;
    }
    return JXTA_EINVAL;
}

static void init_level(void)
{
    if (level_inited)
        return;
    level_inited = 1;
    jxta_log_level_t l;
    if (jxta_log_level_parse(getenv("JXTA_LOG"), &l) == 0)
        cur_level = l;
}

void jxta_log_set_level(jxta_log_level_t level)
{
    level_inited = 1;
    cur_level = level;
}

jxta_log_level_t jxta_log_get_level(void)
{
    init_level();
    return cur_level;
}

void jxta_log_set_sink(jxta_log_sink_fn fn, void *ud)
{
    sink_fn = fn;
    sink_ud = ud;
}

static void stderr_sink(jxta_log_level_t level, const char *module, const char *line)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ld %-5s [%s] %s\n", when, ts.tv_nsec / 1000000L, level_names[level],
            module ? module : "-", line);
}

void jxta_vlog(jxta_log_level_t level, const char *module, const char *fmt, va_list ap)
{
    init_level();
    if (level > cur_level || (int)level < 0)
        return;
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    if (sink_fn)
        sink_fn(sink_ud, level, module, line);
    else
        stderr_sink(level, module, line);
}

void jxta_log(jxta_log_level_t level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jxta_vlog(level, module, fmt, ap);
    va_end(ap);
}

int jxta__reject(int err, const char *module, const char *fmt, ...)
{
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    jxta_log(JXTA_LOG_WARN, module, "rejected: %s (%s)", line, jxta_strerror(err));
    return err;
}

char *jxta__strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
