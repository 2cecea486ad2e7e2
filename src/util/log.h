/*
 * log.h - leveled logging to stderr.
 *
 * Lines look like "paperboy: warn: message". The level threshold lives in a
 * struct log the caller owns (no hidden globals, STYLE rule 16); NULL means
 * "info and above".
 */
#ifndef PAPERBOY_UTIL_LOG_H
#define PAPERBOY_UTIL_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3, LOG_QUIET = 4 };

struct log {
    enum log_level level;
};

/* Writes one formatted line at level if lg lets it through. */
void log_msg(const struct log *lg, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(lg, ...) log_msg((lg), LOG_DEBUG, __VA_ARGS__)
#define log_info(lg, ...) log_msg((lg), LOG_INFO, __VA_ARGS__)
#define log_warn(lg, ...) log_msg((lg), LOG_WARN, __VA_ARGS__)
#define log_error(lg, ...) log_msg((lg), LOG_ERROR, __VA_ARGS__)

#endif
