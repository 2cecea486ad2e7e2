/*
 * vectors_queue.c - serve's embedding thread (see vectors_queue.h).
 *
 * State of the thread (all its own, nothing shared but the atomics):
 *   up     the encoder and a read-only store connection
 *          (vectors_upkeep.h), NULL until the model is found;
 *   mark   the change counter the last plan read (-1: no plan yet, the
 *          next one walks every paper);
 *   work   the rows still to embed, as a vectors_plan whose rows are
 *          [latest plan's rows, newest first] ++ [what was left of the
 *          work before it, minus rows the latest plan holds], and pr,
 *          how far the thread got in it.
 * A run is stopped between batches when the counter passes mark (new or
 * changed papers: they are planned and put in front) or when the server
 * stops. So that a store written without pause still gets its backlog
 * done, the counter is looked at only after the run committed one batch.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "search/vectors_queue.h"
#include "search/vectors_upkeep.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define QUEUE_BATCH 8
#define PROGRESS_LOG_S 30.0 /* a progress line this often during a long round */

struct vectors_queue {
    struct vectors_queue_opts o;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled by stop */
    atomic_int stop;
    atomic_int on;
    atomic_llong vectors, pending;
    atomic_ullong embedded, commits, busy, errors;
};

static int stopping(void *ctx)
{
    struct vectors_queue *q = ctx;
    return atomic_load(&q->stop);
}

/* Sleeps up to s seconds or until stop. */
static void nap(struct vectors_queue *q, double s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double end = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + s;
    ts.tv_sec = (time_t)end;
    ts.tv_nsec = (long)((end - (double)ts.tv_sec) * 1e9);
    pthread_mutex_lock(&q->mu);
    while (!atomic_load(&q->stop)) {
        int rc = pthread_cond_timedwait(&q->cv, &q->mu, &ts);
        if (rc == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&q->mu);
}

/* Raises this thread's nice value by n (Linux: nice is per thread). */
static void lower_priority(int n)
{
#ifdef __linux__
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, tid);
    if (errno == 0 && n > 0)
        (void)setpriority(PRIO_PROCESS, tid, cur + n > 19 ? 19 : cur + n);
#else
    (void)n;
#endif
}

/* work = pl's rows, then the rows of work not done yet and not in pl.
 * pl is consumed (cleaned up). */
static void work_merge(struct vectors_plan *work, struct vectors_progress *pr,
                       struct vectors_plan *pl)
{
    size_t left = work->n > pr->next ? work->n - pr->next : 0;
    int64_t *rows = xmalloc((pl->n + left + 1) * sizeof *rows);
    if (pl->n)
        memcpy(rows, pl->rows, pl->n * sizeof *rows);
    size_t n = pl->n;
    for (size_t i = pr->next; i < work->n; i++)
        if (!vectors_plan_has(pl, work->rows[i]))
            rows[n++] = work->rows[i];
    free(work->rows);
    work->rows = rows;
    work->n = n;
    work->seq = pl->seq;
    work->vectors = pl->vectors;
    pr->next = 0;
    vectors_plan_cleanup(pl);
}

struct step_ctx {
    struct vectors_queue *q;
    struct vectors_upkeep *up;
    int64_t mark;
    size_t start_next, start_embedded;
    double t0, last_log;
};

static int step_fn(void *ctx, const struct vectors_progress *p, size_t total)
{
    struct step_ctx *c = ctx;
    struct vectors_queue *q = c->q;
    unsigned long long before = atomic_load(&q->embedded);
    atomic_store(&q->embedded, (unsigned long long)p->embedded);
    if ((unsigned long long)p->embedded != before)
        atomic_fetch_add(&q->commits, 1);
    atomic_store(&q->vectors, (long long)p->vectors);
    atomic_store(&q->pending, (long long)(total - p->next));
    if (atomic_load(&q->stop))
        return 1;
    double now = time_mono();
    if (now - c->last_log >= PROGRESS_LOG_S) {
        c->last_log = now;
        size_t done = p->embedded - c->start_embedded;
        log_info(NULL, "embed queue: embedded %zu so far (%.1f papers/s), %zu waiting", done,
                 now > c->t0 ? (double)done / (now - c->t0) : 0.0, total - p->next);
    }
    /* Preempt for new papers once this run has committed a batch. */
    int64_t seq;
    return p->next > c->start_next && vectors_upkeep_seq(c->up, &seq) == 0 && seq > c->mark;
}

struct queue_state {
    struct vectors_upkeep *up;
    int64_t mark;
    struct vectors_plan work;
    struct vectors_progress pr;
    int said_busy, said_err;
};

/* One round: plan when the counter moved, then embed. Returns 1 when work
 * is left that should go on at once (preempted), else 0. */
static int queue_round(struct vectors_queue *q, struct queue_state *s)
{
    char why[1200];
    int64_t seq;
    int rc = vectors_upkeep_seq(s->up, &seq);
    if (rc == 0 && seq < s->mark)
        s->mark = -1; /* another store under the same path: check everything */
    if (rc == 0 && (s->mark < 0 || seq > s->mark)) {
        struct vectors_plan pl;
        rc = vectors_upkeep_plan(s->up, s->mark, stopping, q, &pl, why, sizeof why);
        if (rc == 0) {
            if (s->mark < 0 && pl.n)
                log_info(NULL, "embed queue: %zu of %zu papers need a vector (%zu stored)", pl.n,
                         pl.checked, pl.vectors);
            work_merge(&s->work, &s->pr, &pl);
            s->mark = s->work.seq;
            if (s->pr.next >= s->work.n)
                atomic_store(&q->vectors, (long long)s->work.vectors);
            atomic_store(&q->pending, (long long)(s->work.n - s->pr.next));
        }
    } else if (rc == ERR_NOT_FOUND || rc == ERR_UNSUPPORTED) {
        return 0; /* serve is creating or migrating the store: next round */
    } else if (rc) {
        snprintf(why, sizeof why, "reading the store: %s", err_str(rc));
    }
    if (rc == 0 && s->pr.next < s->work.n) {
        struct step_ctx c = {q, s->up, s->mark, s->pr.next, s->pr.embedded, time_mono(), 0};
        c.last_log = c.t0;
        rc = vectors_upkeep_run(s->up, &s->work, &s->pr, step_fn, &c, why, sizeof why);
        size_t done = s->pr.embedded - c.start_embedded;
        if (rc == 0 && done)
            log_info(NULL, "embed queue: embedded %zu in %.1f s, %zu waiting, %zu vectors", done,
                     time_mono() - c.t0, s->work.n - s->pr.next, s->pr.vectors);
        if (rc == ERR_BUSY) {
            atomic_fetch_add(&q->busy, 1);
            if (!s->said_busy)
                log_info(NULL, "embed queue: %s; waiting (a `paperboy embed` run?)", why);
            s->said_busy = 1;
            return 0;
        }
        if (rc == 0)
            s->said_busy = 0;
    }
    if (rc == ERR_INTERRUPTED)
        return 0;
    if (rc) {
        atomic_fetch_add(&q->errors, 1);
        if (!s->said_err)
            log_error(NULL, "embed queue: %s (will retry)", why);
        s->said_err = 1;
        return 0;
    }
    s->said_err = 0;
    if (s->pr.next < s->work.n)
        return !atomic_load(&q->stop);
    vectors_plan_cleanup(&s->work);
    s->pr.next = 0;
    return 0;
}

static void *queue_main(void *arg)
{
    struct vectors_queue *q = arg;
    lower_priority(q->o.nice);
    struct queue_state s;
    memset(&s, 0, sizeof s);
    s.mark = -1;
    int said_off = 0;
    /* One encoder thread, OpenBLAS single-threaded: a background job. */
    struct vectors_upkeep_opts uo = {q->o.models_dir, q->o.vectors_dir, 1, 1, q->o.batch};
    while (!atomic_load(&q->stop)) {
        if (!s.up) {
            char why[1200];
            int rc = vectors_upkeep_open(q->o.db_path, &uo, &s.up, why, sizeof why);
            if (rc) {
                if (!said_off)
                    log_info(NULL, "embed queue: semantic features are off: %s%s", why,
                             strstr(why, "make model") ? ""
                                                       : " (install the model with `make model`)");
                said_off = 1;
                nap(q, q->o.interval_s);
                continue;
            }
            if (said_off)
                log_info(NULL, "embed queue: model found, embedding starts");
            atomic_store(&q->on, 1);
        }
        if (!queue_round(q, &s))
            nap(q, q->o.interval_s);
    }
    vectors_plan_cleanup(&s.work);
    vectors_upkeep_close(s.up);
    return NULL;
}

int vectors_queue_start(const struct vectors_queue_opts *opts, struct vectors_queue **out)
{
    if (!opts->db_path || !(opts->interval_s > 0) || opts->nice < 0 || opts->nice > 19)
        return ERR_INVALID;
    struct vectors_queue *q = xcalloc(1, sizeof *q);
    q->o = *opts;
    if (!q->o.batch)
        q->o.batch = QUEUE_BATCH;
    atomic_init(&q->stop, 0);
    atomic_init(&q->on, 0);
    atomic_init(&q->vectors, -1);
    atomic_init(&q->pending, 0);
    atomic_init(&q->embedded, 0);
    atomic_init(&q->commits, 0);
    atomic_init(&q->busy, 0);
    atomic_init(&q->errors, 0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&q->mu, NULL);
    /* The thread inherits this mask: SIGINT/SIGTERM stay for the thread
     * that waits for them (web_serve's sigwait). */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&q->thread, NULL, queue_main, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        free(q);
        return ERR_IO;
    }
    *out = q;
    return 0;
}

void vectors_queue_stop(struct vectors_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    atomic_store(&q->stop, 1);
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

void vectors_queue_stats(const struct vectors_queue *q, struct vectors_queue_stats *out)
{
    struct vectors_queue *m = (struct vectors_queue *)q; /* atomics: loads only */
    out->on = atomic_load(&m->on);
    out->vectors = atomic_load(&m->vectors);
    out->pending = atomic_load(&m->pending);
    out->embedded = atomic_load(&m->embedded);
    out->commits = atomic_load(&m->commits);
    out->busy = atomic_load(&m->busy);
    out->errors = atomic_load(&m->errors);
}
