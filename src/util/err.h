/*
 * err.h - the one error enum of paperboy.
 *
 * Every function that can fail returns int: 0 (ERR_OK) on success, or one of
 * the negative codes below. Raw errno values and bare -1 never cross a module
 * boundary: translate them here. err_str() gives a short English text.
 * Out of memory is not an error code: xmalloc() aborts (see mem.h).
 */
#ifndef PAPERBOY_UTIL_ERR_H
#define PAPERBOY_UTIL_ERR_H

enum err {
    ERR_OK = 0,
    ERR_IO = -1,          /* read/write/open failed */
    ERR_PARSE = -2,       /* malformed input */
    ERR_TOO_LARGE = -3,   /* a cap was hit */
    ERR_NOT_FOUND = -4,   /* no such thing */
    ERR_INVALID = -5,     /* bad argument or value */
    ERR_DB = -6,          /* the database refused */
    ERR_NET = -7,         /* network or protocol failure */
    ERR_UNSUPPORTED = -8, /* unknown format or feature */
    ERR_CORRUPT = -9,     /* checksum or structure mismatch */
    ERR_BUSY = -10,       /* locked, try again */
    ERR_EXISTS = -11,     /* already there */
    ERR_TIMEOUT = -12,    /* took too long */
    ERR_TRUNCATED = -13,  /* input ended early */
    ERR_INTERRUPTED = -14 /* stopped by a signal */
};

/* Returns a static English description of code (never NULL). */
const char *err_str(int code);

#endif
