/* err.c - texts for the error enum in err.h. */
#include "util/err.h"

const char *err_str(int code)
{
    switch (code) {
    case ERR_OK: return "ok";
    case ERR_IO: return "I/O error";
    case ERR_PARSE: return "parse error";
    case ERR_TOO_LARGE: return "too large";
    case ERR_NOT_FOUND: return "not found";
    case ERR_INVALID: return "invalid argument";
    case ERR_DB: return "database error";
    case ERR_NET: return "network error";
    case ERR_UNSUPPORTED: return "unsupported";
    case ERR_CORRUPT: return "corrupt data";
    case ERR_BUSY: return "busy";
    case ERR_EXISTS: return "already exists";
    case ERR_TIMEOUT: return "timed out";
    case ERR_TRUNCATED: return "truncated input";
    case ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown error";
}
