/* cli.c - helpers shared by the command-line tools: uniform error messages,
 * whole-file reading with a size cap, and log-level handling. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

void cli_fail(int status, const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

int cli_read_file(const char *prog, const char *path, size_t max, uint8_t **data, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", prog);
        if (f != stdin)
            fclose(f);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                fprintf(stderr, "%s: %s: larger than the %zu-byte limit\n", prog, path, max);
                goto fail;
            }
            cap = cap * 2 > max ? max : cap * 2;
            uint8_t *p = realloc(buf, cap + 1);
            if (!p) {
                fprintf(stderr, "%s: out of memory reading %s\n", prog, path);
                goto fail;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "%s: error reading %s: %s\n", prog, path, strerror(errno));
                goto fail;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
fail:
    free(buf);
    if (f != stdin)
        fclose(f);
    return -1;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int cli_set_log_level(const char *prog, const char *text)
{
    jxta_log_level_t l;
    if (jxta_log_level_parse(text, &l) != 0) {
        fprintf(stderr, "%s: bad log level '%s' (use error, warn, info, debug or trace)\n", prog,
                text);
        return -1;
    }
    jxta_log_set_level(l);
    return 0;
}

int cli_write_stdout(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, stdout) != n)
        return -1;
    return fflush(stdout) == 0 ? 0 : -1;
}
