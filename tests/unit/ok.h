/*
 * ok.h - the unit-test harness: a TAP-like line per check and a summary.
 *
 * Each test program includes this once, calls ok()/ok_eq_str()/ok_eq_int()
 * and ends main() with `return ok_done();`. Lines look like
 *   ok 12 - upsert keeps one row
 *   not ok 13 - title folded (tests/unit/test_x.c:88): got "a  b" want "a b"
 * and the last line is "# passed=N failed=M", which scripts/run-tests.sh
 * adds up. A test that needs ../shared data calls ok_skip() when it is absent.
 */
#ifndef PAPERBOY_TESTS_OK_H
#define PAPERBOY_TESTS_OK_H

#include <stdio.h>
#include <string.h>

static int ok_n_pass, ok_n_fail, ok_n_skip, ok_seq;

static int ok_at(int cond, const char *file, int line, const char *name)
{
    ok_seq++;
    if (cond) {
        ok_n_pass++;
        printf("ok %d - %s\n", ok_seq, name);
    } else {
        ok_n_fail++;
        printf("not ok %d - %s (%s:%d)\n", ok_seq, name, file, line);
    }
    fflush(stdout);
    return cond;
}

#define ok(cond, name) ok_at(!!(cond), __FILE__, __LINE__, (name))

#define ok_eq_int(got, want, name)                                                                 \
    do {                                                                                           \
        long long ok_g_ = (long long)(got), ok_w_ = (long long)(want);                             \
        if (!ok_at(ok_g_ == ok_w_, __FILE__, __LINE__, (name)))                                    \
            printf("#   got %lld want %lld\n", ok_g_, ok_w_);                                      \
    } while (0)

#define ok_eq_str(got, want, name)                                                                 \
    do {                                                                                           \
        const char *ok_g_ = (got), *ok_w_ = (want);                                                \
        int ok_c_ = (ok_g_ == NULL && ok_w_ == NULL) ||                                            \
                    (ok_g_ && ok_w_ && strcmp(ok_g_, ok_w_) == 0);                                 \
        if (!ok_at(ok_c_, __FILE__, __LINE__, (name)))                                             \
            printf("#   got \"%s\" want \"%s\"\n", ok_g_ ? ok_g_ : "(null)",                      \
                   ok_w_ ? ok_w_ : "(null)");                                                      \
    } while (0)

static inline void ok_skip(const char *name, const char *why)
{
    ok_n_skip++;
    printf("ok - %s # SKIP %s\n", name, why);
}

static inline int ok_done(void)
{
    printf("# passed=%d failed=%d skipped=%d\n", ok_n_pass, ok_n_fail, ok_n_skip);
    return ok_n_fail ? 1 : 0;
}

#endif
