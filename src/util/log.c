/* log.c - leveled logging to stderr (see log.h). */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

void log_msg(const struct log *lg, enum log_level level, const char *fmt, ...)
{
    enum log_level min = lg ? lg->level : LOG_INFO;
    if (level < min)
        return;
    static const char *const names[] = {"debug", "info", "warn", "error", ""};
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf so concurrent threads do not interleave within a line. */
    fprintf(stderr, "paperboy: %s: %s\n", names[level], line);
}
