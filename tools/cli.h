/* cli.h - small helpers shared by the command-line tools in tools/. */
#ifndef JXTA_TOOLS_CLI_H
#define JXTA_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Print "prog: message" to stderr and exit(status). */
void cli_fail(int status, const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
/* Read a whole file ("-" = stdin) into a malloc'd buffer (NUL-terminated,
 * not counted).  Refuses files larger than `max`.  Returns 0 or prints a
 * clear error and returns -1. */
int cli_read_file(const char *prog, const char *path, size_t max, uint8_t **data, size_t *len);
/* 1 if argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);
/* Apply a --log-level value or the JXTA_LOG default; returns 0 or -1. */
int cli_set_log_level(const char *prog, const char *text);
/* Write all of [p, p+n) to stdout; returns 0 or -1. */
int cli_write_stdout(const void *p, size_t n);

#endif
