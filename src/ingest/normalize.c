/* normalize.c - arXiv ids, display text and dates (see normalize.h). */
#include "ingest/normalize.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

static int starts_with_ci(const char *p, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(p, prefix, n) == 0;
}

/* Strips one known prefix (case-insensitive) from (*p, *len). */
static void strip_prefixes(const char **p, size_t *len)
{
    static const char *const prefixes[] = {
        "https://", "http://", "www.", "export.", "arxiv.org/abs/", "arxiv.org/pdf/",
        "oai:arxiv.org:", "arxiv:",
    };
    int again = 1;
    while (again) {
        again = 0;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
            if (starts_with_ci(*p, *len, prefixes[i])) {
                size_t n = strlen(prefixes[i]);
                *p += n;
                *len -= n;
                again = 1;
            }
        }
    }
}

static int all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return 0;
    return n > 0;
}

int arxiv_id_parse(const char *p, size_t len, char **id, int *version)
{
    while (len && isspace((unsigned char)*p))
        p++, len--;
    while (len && isspace((unsigned char)p[len - 1]))
        len--;
    strip_prefixes(&p, &len);
    /* URL tails: ".pdf", a trailing slash, a query or fragment. */
    for (size_t i = 0; i < len; i++)
        if (p[i] == '?' || p[i] == '#') {
            len = i;
            break;
        }
    while (len && p[len - 1] == '/')
        len--;
    if (len > 4 && strncasecmp(p + len - 4, ".pdf", 4) == 0)
        len -= 4;
    if (len == 0 || len > 64)
        return ERR_PARSE;

    /* Trailing version vN. */
    int ver = 0;
    size_t core = len;
    {
        size_t i = len;
        while (i > 0 && isdigit((unsigned char)p[i - 1]))
            i--;
        if (i < len && i > 0 && (p[i - 1] == 'v' || p[i - 1] == 'V') && len - i <= 4) {
            ver = 0;
            for (size_t k = i; k < len; k++)
                ver = ver * 10 + (p[k] - '0');
            core = i - 1;
            if (ver == 0)
                return ERR_PARSE;
        }
    }

    const char *slash = memchr(p, '/', core);
    char *out;
    if (!slash) {
        /* New style: YYMM.NNNN or YYMM.NNNNN. */
        if (core < 9 || core > 10 || p[4] != '.' || !all_digits(p, 4) ||
            !all_digits(p + 5, core - 5))
            return ERR_PARSE;
        int mm = (p[2] - '0') * 10 + (p[3] - '0');
        if (mm < 1 || mm > 12)
            return ERR_PARSE;
        out = xstrndup(p, core);
    } else {
        /* Old style: archive[.SUBJ]/YYMMNNN. */
        size_t alen = (size_t)(slash - p);
        size_t nlen = core - alen - 1;
        if (alen == 0 || nlen != 7 || !all_digits(slash + 1, 7))
            return ERR_PARSE;
        size_t keep = alen;
        for (size_t i = 0; i < alen; i++) {
            char c = p[i];
            if (c == '.') {
                keep = i;
                /* The subject class: letters only ("GT", "ph"). */
                for (size_t k = i + 1; k < alen; k++)
                    if (!isalpha((unsigned char)p[k]))
                        return ERR_PARSE;
                if (i + 1 == alen)
                    return ERR_PARSE;
                break;
            }
            if (!(islower((unsigned char)c) || c == '-'))
                return ERR_PARSE;
        }
        if (keep == 0)
            return ERR_PARSE;
        out = xmalloc(keep + 1 + 7 + 1);
        memcpy(out, p, keep);
        out[keep] = '/';
        memcpy(out + keep + 1, slash + 1, 7);
        out[keep + 8] = '\0';
    }
    *id = out;
    if (version)
        *version = ver;
    return 0;
}

char *date_normalize(const char *p, size_t len)
{
    int64_t t;
    if (time_parse(p, len, &t) != 0)
        return NULL;
    while (len && isspace((unsigned char)*p))
        p++, len--;
    while (len && isspace((unsigned char)p[len - 1]))
        len--;
    char out[24];
    /* A bare "YYYY-MM-DD" keeps day precision: inventing midnight would
     * make it look more exact than the source. */
    if (len == 10 && p[4] == '-' && p[7] == '-')
        time_format_day(t, out);
    else
        time_format_iso(t, out);
    return xstrdup(out);
}
