/*
 * metrics.c - request counters and the Prometheus text exposition.
 *
 * Counters are C11 atomics updated by every pool thread without locks
 * (relaxed order: they are statistics). Requests are counted by route name
 * and status code; latency goes to a cumulative histogram with the bucket
 * bounds below (seconds), rendered as Prometheus expects
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): _bucket
 * lines with le labels, cumulative, then _sum and _count. The embedding
 * queue's numbers (search/vectors_queue.h) follow when serve runs it.
 */
#include <stdio.h>

#include "search/vectors_queue.h"
#include "web/web_int.h"

/* Status codes with their own counter; everything else counts as "other". */
static const int status_codes[WEB_N_STATUS] = {200, 301, 302, 304, 400, 404, 405,
                                               414, 431, 500, 503, 413, 0};

/* Upper bounds of the latency buckets, in microseconds. */
static const uint64_t bucket_us[WEB_N_BUCKETS] = {100,   250,   500,   1000,   2500,   5000,
                                                  10000, 25000, 50000, 100000, 500000, 1000000};

static size_t status_slot(int status)
{
    for (size_t i = 0; i + 1 < WEB_N_STATUS; i++)
        if (status_codes[i] == status)
            return i;
    return WEB_N_STATUS - 1;
}

void web_metrics_count(struct web_metrics *m, size_t route, int status, uint64_t us, size_t bytes)
{
    if (route > WEB_MAX_ROUTES)
        route = WEB_MAX_ROUTES;
    atomic_fetch_add_explicit(&m->requests[route][status_slot(status)], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < WEB_N_BUCKETS && us > bucket_us[b])
        b++;
    atomic_fetch_add_explicit(&m->latency[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_us, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->bytes, bytes, memory_order_relaxed);
}

void web_metrics_render(const struct web_metrics *m, struct buf *o, int *rc, long papers,
                        long long db_bytes, long long index_bytes, double uptime_s)
{
    buf_puts(o, rc,
             "# HELP paperboy_http_requests_total HTTP requests by route and status.\n"
             "# TYPE paperboy_http_requests_total counter\n");
    for (size_t r = 0; r <= web_n_routes; r++) {
        const char *name = r < web_n_routes ? web_routes[r].name : "unmatched";
        for (size_t s = 0; s < WEB_N_STATUS; s++) {
            unsigned long v = atomic_load_explicit(&m->requests[r][s], memory_order_relaxed);
            if (!v)
                continue;
            if (status_codes[s])
                buf_putf(o, rc, "paperboy_http_requests_total{route=\"%s\",status=\"%d\"} %lu\n",
                         name, status_codes[s], v);
            else
                buf_putf(o, rc, "paperboy_http_requests_total{route=\"%s\",status=\"other\"} %lu\n",
                         name, v);
        }
    }
    buf_puts(o, rc,
             "# HELP paperboy_http_request_duration_seconds Time from request line to "
             "response queued.\n"
             "# TYPE paperboy_http_request_duration_seconds histogram\n");
    unsigned long cum = 0;
    for (size_t b = 0; b <= WEB_N_BUCKETS; b++) {
        cum += atomic_load_explicit(&m->latency[b], memory_order_relaxed);
        if (b < WEB_N_BUCKETS)
            buf_putf(o, rc, "paperboy_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
                     (double)bucket_us[b] / 1e6, cum);
        else
            buf_putf(o, rc, "paperboy_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
                     cum);
    }
    buf_putf(o, rc, "paperboy_http_request_duration_seconds_sum %.6f\n",
             (double)atomic_load_explicit(&m->latency_sum_us, memory_order_relaxed) / 1e6);
    buf_putf(o, rc, "paperboy_http_request_duration_seconds_count %lu\n",
             atomic_load_explicit(&m->latency_count, memory_order_relaxed));
    buf_putf(o, rc,
             "# HELP paperboy_http_response_bytes_total Response body bytes sent.\n"
             "# TYPE paperboy_http_response_bytes_total counter\n"
             "paperboy_http_response_bytes_total %lu\n",
             atomic_load_explicit(&m->bytes, memory_order_relaxed));
    buf_putf(o, rc,
             "# HELP paperboy_papers Papers in the store.\n"
             "# TYPE paperboy_papers gauge\n"
             "paperboy_papers %ld\n",
             papers);
    buf_putf(o, rc,
             "# HELP paperboy_store_bytes Size of the store database file.\n"
             "# TYPE paperboy_store_bytes gauge\n"
             "paperboy_store_bytes %lld\n",
             db_bytes);
    buf_putf(o, rc,
             "# HELP paperboy_index_bytes Size of the lexical index files (-1: not built).\n"
             "# TYPE paperboy_index_bytes gauge\n"
             "paperboy_index_bytes %lld\n",
             index_bytes);
    buf_putf(o, rc,
             "# HELP paperboy_uptime_seconds Seconds since the server started.\n"
             "# TYPE paperboy_uptime_seconds gauge\n"
             "paperboy_uptime_seconds %.0f\n",
             uptime_s);
}

void web_metrics_render_vectors(const struct web *w, struct buf *o, int *rc)
{
    if (!w->cfg.vectors_queue)
        return;
    struct vectors_queue_stats st;
    vectors_queue_stats(w->cfg.vectors_queue, &st);
    buf_putf(o, rc,
             "# HELP paperboy_embed_queue_on 1 when the embedding queue runs (model loaded).\n"
             "# TYPE paperboy_embed_queue_on gauge\n"
             "paperboy_embed_queue_on %d\n"
             "# HELP paperboy_vectors_total Paper vectors stored (-1: not known yet).\n"
             "# TYPE paperboy_vectors_total gauge\n"
             "paperboy_vectors_total %lld\n"
             "# HELP paperboy_embed_pending Papers waiting for a vector.\n"
             "# TYPE paperboy_embed_pending gauge\n"
             "paperboy_embed_pending %lld\n"
             "# HELP paperboy_embedded_total Papers embedded by the queue since start.\n"
             "# TYPE paperboy_embedded_total counter\n"
             "paperboy_embedded_total %llu\n"
             "# HELP paperboy_embed_busy_total Queue rounds skipped: another process wrote "
             "the vectors.\n"
             "# TYPE paperboy_embed_busy_total counter\n"
             "paperboy_embed_busy_total %llu\n"
             "# HELP paperboy_embed_errors_total Queue rounds that failed.\n"
             "# TYPE paperboy_embed_errors_total counter\n"
             "paperboy_embed_errors_total %llu\n",
             st.on, st.vectors, st.pending, st.embedded, st.busy, st.errors);
}
