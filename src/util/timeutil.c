/*
 * timeutil.c - date parsing and calendar arithmetic (see timeutil.h).
 *
 * Civil-from-days and days-from-civil follow Howard Hinnant's public-domain
 * algorithms ("chrono-Compatible Low-Level Date Algorithms"), which are exact
 * for the proleptic Gregorian calendar and need no timezone database.
 */
#include "util/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/err.h"

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (mm <= 2));
    *m = mm;
    *d = dd;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int64_t time_from_civil(int y, int mon, int d, int h, int mi, int s)
{
    return days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
}

void time_to_civil(int64_t t, int *y, int *mon, int *d, int *h, int *mi, int *s)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rem = t - days * 86400;
    int yy, mm, dd;
    civil_from_days(days, &yy, &mm, &dd);
    if (y)
        *y = yy;
    if (mon)
        *mon = mm;
    if (d)
        *d = dd;
    if (h)
        *h = (int)(rem / 3600);
    if (mi)
        *mi = (int)(rem % 3600 / 60);
    if (s)
        *s = (int)(rem % 60);
}

/* A tiny cursor over (p, len) so parsing never reads past the end. */
struct cur {
    const char *p;
    const char *end;
};

static int cur_num(struct cur *c, int min_digits, int max_digits, int *out)
{
    int n = 0, v = 0;
    while (c->p < c->end && n < max_digits && isdigit((unsigned char)*c->p)) {
        v = v * 10 + (*c->p - '0');
        c->p++;
        n++;
    }
    if (n < min_digits)
        return ERR_PARSE;
    *out = v;
    return 0;
}

static int cur_lit(struct cur *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 0;
    }
    return ERR_PARSE;
}

static void cur_ws(struct cur *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

static int valid_civil(int y, int m, int d, int h, int mi, int s)
{
    return y >= 1000 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m) &&
           h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* "+HH:MM", "-HHMM", "Z", "GMT", "UT", "UTC" or nothing; writes seconds east. */
static int parse_zone(struct cur *c, int *off)
{
    cur_ws(c);
    *off = 0;
    if (c->p >= c->end)
        return 0;
    if (*c->p == 'Z' || *c->p == 'z') {
        c->p++;
        return 0;
    }
    size_t left = (size_t)(c->end - c->p);
    if (left >= 3 && strncasecmp(c->p, "UTC", 3) == 0) {
        c->p += 3;
        return 0;
    }
    if (left >= 3 && strncasecmp(c->p, "GMT", 3) == 0) {
        c->p += 3;
        return 0;
    }
    if (left >= 2 && strncasecmp(c->p, "UT", 2) == 0) {
        c->p += 2;
        return 0;
    }
    if (*c->p == '+' || *c->p == '-') {
        int sign = *c->p == '-' ? -1 : 1;
        c->p++;
        int hh, mm = 0;
        if (cur_num(c, 2, 2, &hh))
            return ERR_PARSE;
        if (c->p < c->end && *c->p == ':')
            c->p++;
        if (c->p < c->end && isdigit((unsigned char)*c->p) && cur_num(c, 2, 2, &mm))
            return ERR_PARSE;
        if (hh > 23 || mm > 59)
            return ERR_PARSE;
        *off = sign * (hh * 3600 + mm * 60);
        return 0;
    }
    return ERR_PARSE;
}

static int parse_iso(struct cur *c, int64_t *out)
{
    int y, m, d, h = 0, mi = 0, s = 0, off = 0;
    if (cur_num(c, 4, 4, &y) || cur_lit(c, '-') || cur_num(c, 2, 2, &m) || cur_lit(c, '-') ||
        cur_num(c, 2, 2, &d))
        return ERR_PARSE;
    if (c->p < c->end && (*c->p == 'T' || *c->p == 't' || *c->p == ' ')) {
        c->p++;
        if (cur_num(c, 2, 2, &h) || cur_lit(c, ':') || cur_num(c, 2, 2, &mi))
            return ERR_PARSE;
        if (c->p < c->end && *c->p == ':') {
            c->p++;
            if (cur_num(c, 2, 2, &s))
                return ERR_PARSE;
            if (c->p < c->end && (*c->p == '.' || *c->p == ',')) {
                c->p++;
                int frac;
                if (cur_num(c, 1, 9, &frac))
                    return ERR_PARSE;
                while (c->p < c->end && isdigit((unsigned char)*c->p))
                    c->p++;
            }
        }
        if (parse_zone(c, &off))
            return ERR_PARSE;
    }
    if (!valid_civil(y, m, d, h, mi, s))
        return ERR_PARSE;
    *out = time_from_civil(y, m, d, h, mi, s) - off;
    return 0;
}

static int month_from_name(const char *p, size_t left)
{
    static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    if (left < 3)
        return 0;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(p, names[i], 3) == 0)
            return i + 1;
    return 0;
}

/* RFC 2822: [Day,] D Mon YYYY HH:MM[:SS] zone */
static int parse_rfc2822(struct cur *c, int64_t *out)
{
    int y, m, d, h = 0, mi = 0, s = 0, off = 0;
    const char *comma = memchr(c->p, ',', (size_t)(c->end - c->p));
    if (comma)
        c->p = comma + 1;
    cur_ws(c);
    if (cur_num(c, 1, 2, &d))
        return ERR_PARSE;
    cur_ws(c);
    m = month_from_name(c->p, (size_t)(c->end - c->p));
    if (!m)
        return ERR_PARSE;
    while (c->p < c->end && isalpha((unsigned char)*c->p))
        c->p++;
    cur_ws(c);
    if (cur_num(c, 4, 4, &y))
        return ERR_PARSE;
    cur_ws(c);
    if (c->p < c->end) {
        if (cur_num(c, 2, 2, &h) || cur_lit(c, ':') || cur_num(c, 2, 2, &mi))
            return ERR_PARSE;
        if (c->p < c->end && *c->p == ':' && (c->p++, cur_num(c, 2, 2, &s)))
            return ERR_PARSE;
        if (parse_zone(c, &off))
            return ERR_PARSE;
    }
    if (!valid_civil(y, m, d, h, mi, s))
        return ERR_PARSE;
    *out = time_from_civil(y, m, d, h, mi, s) - off;
    return 0;
}

int time_parse(const char *p, size_t len, int64_t *out)
{
    struct cur c = {p, p + len};
    cur_ws(&c);
    while (c.end > c.p && isspace((unsigned char)c.end[-1]))
        c.end--;
    if (c.p >= c.end)
        return ERR_PARSE;
    int64_t t;
    int rc;
    if (c.end - c.p >= 10 && isdigit((unsigned char)c.p[0]) && c.p[4] == '-')
        rc = parse_iso(&c, &t);
    else
        rc = parse_rfc2822(&c, &t);
    cur_ws(&c);
    if (rc == 0 && c.p != c.end)
        rc = ERR_PARSE;
    if (rc == 0)
        *out = t;
    return rc;
}

/* Copies at most size-1 bytes of src and a NUL: years outside 0..9999 would
 * not fit the documented sizes, and are cut rather than overflowing. */
static void copy_fixed(char *out, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(out, src, n);
    out[n] = '\0';
}

void time_format_iso(int64_t t, char *out)
{
    int y, mo, d, h, mi, s;
    time_to_civil(t, &y, &mo, &d, &h, &mi, &s);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
    copy_fixed(out, tmp, 21);
}

void time_format_day(int64_t t, char *out)
{
    int y, mo, d;
    time_to_civil(t, &y, &mo, &d, NULL, NULL, NULL);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, mo, d);
    copy_fixed(out, tmp, 11);
}

/* Day of week, 0 = Monday, for a day number since the epoch (a Thursday). */
static int weekday(int64_t days)
{
    int64_t w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* Monday of ISO week 1 of year y, as a day number. */
static int64_t iso_week1_monday(int y)
{
    int64_t jan4 = days_from_civil(y, 1, 4);
    return jan4 - weekday(jan4);
}

int time_parse_week(const char *s, int64_t *monday)
{
    int y, w;
    struct cur c = {s, s + strlen(s)};
    if (cur_num(&c, 4, 4, &y) || cur_lit(&c, '-') ||
        (cur_lit(&c, 'W') && cur_lit(&c, 'w')) || cur_num(&c, 2, 2, &w) || c.p != c.end)
        return ERR_PARSE;
    if (y < 1000 || w < 1)
        return ERR_PARSE;
    int64_t start = iso_week1_monday(y);
    int64_t next = iso_week1_monday(y + 1);
    int weeks = (int)((next - start) / 7);
    if (w > weeks)
        return ERR_PARSE;
    *monday = (start + (int64_t)(w - 1) * 7) * 86400;
    return 0;
}

int time_parse_month(const char *s, int64_t *first)
{
    int y, m;
    struct cur c = {s, s + strlen(s)};
    if (cur_num(&c, 4, 4, &y) || cur_lit(&c, '-') || cur_num(&c, 2, 2, &m) || c.p != c.end)
        return ERR_PARSE;
    if (y < 1000 || m < 1 || m > 12)
        return ERR_PARSE;
    *first = time_from_civil(y, m, 1, 0, 0, 0);
    return 0;
}

int time_parse_day(const char *s, int64_t *day)
{
    int y, m, d;
    struct cur c = {s, s + strlen(s)};
    if (cur_num(&c, 4, 4, &y) || cur_lit(&c, '-') || cur_num(&c, 2, 2, &m) || cur_lit(&c, '-') ||
        cur_num(&c, 2, 2, &d) || c.p != c.end)
        return ERR_PARSE;
    if (!valid_civil(y, m, d, 0, 0, 0))
        return ERR_PARSE;
    *day = time_from_civil(y, m, d, 0, 0, 0);
    return 0;
}

void time_format_week(int64_t t, char *out)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int y;
    time_to_civil(t, &y, NULL, NULL, NULL, NULL, NULL);
    /* The ISO year is the year of this week's Thursday. */
    int64_t thursday = days - weekday(days) + 3;
    int ty, tm, td;
    civil_from_days(thursday, &ty, &tm, &td);
    int w = (int)((thursday - iso_week1_monday(ty)) / 7) + 1;
    (void)y;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-W%02d", ty, w);
    copy_fixed(out, tmp, 9);
}

int64_t time_now(void)
{
    return (int64_t)time(NULL);
}

double time_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
