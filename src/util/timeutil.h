/*
 * timeutil.h - dates as paperboy stores them, and the calendar arithmetic the
 * day/week/month lists need.
 *
 * Stored form: ISO 8601 UTC text, "YYYY-MM-DD" for days and
 * "YYYY-MM-DDTHH:MM:SSZ" for instants, so that text order is time order and
 * SQLite can compare them directly. Parsers accept what arXiv and Hugging
 * Face send: RFC 2822 ("Mon, 2 Apr 2007 19:18:42 GMT"), ISO 8601 with
 * fraction and offset ("2024-10-22T17:59:30.000Z", "2020-09-04T00:00:00-04:00")
 * and bare dates. Weeks are ISO 8601 weeks (Monday first, week 1 holds the
 * year's first Thursday).
 */
#ifndef PAPERBOY_UTIL_TIMEUTIL_H
#define PAPERBOY_UTIL_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the Unix epoch for a proleptic Gregorian UTC date-time. */
int64_t time_from_civil(int y, int mon, int d, int h, int mi, int s);
/* Splits epoch seconds into a UTC calendar date (any of the outs may be NULL). */
void time_to_civil(int64_t t, int *y, int *mon, int *d, int *h, int *mi, int *s);

/* Parses an RFC 2822, ISO 8601 date-time or bare YYYY-MM-DD (len bytes of p,
 * surrounding whitespace allowed). Writes epoch seconds (UTC) to *out on
 * success; ERR_PARSE if the text is not a valid date. */
int time_parse(const char *p, size_t len, int64_t *out /* OUT */);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void time_format_iso(int64_t t, char *out);
/* Formats t as "YYYY-MM-DD" into out (at least 11 bytes). */
void time_format_day(int64_t t, char *out);

/* Parses "YYYY-Www" (ISO week); writes the epoch second of its Monday 00:00
 * UTC. ERR_PARSE on bad text or a week the year does not have. */
int time_parse_week(const char *s, int64_t *monday /* OUT */);
/* Parses "YYYY-MM"; writes the first day of the month at 00:00 UTC. */
int time_parse_month(const char *s, int64_t *first /* OUT */);
/* Parses exactly "YYYY-MM-DD"; writes that day at 00:00 UTC. */
int time_parse_day(const char *s, int64_t *day /* OUT */);
/* Formats the ISO week of t as "YYYY-Www" into out (at least 9 bytes). */
void time_format_week(int64_t t, char *out);

/* Current wall-clock time, epoch seconds; and a monotonic clock in
 * seconds (for rates and timeouts). */
int64_t time_now(void);
double time_mono(void);

#endif
