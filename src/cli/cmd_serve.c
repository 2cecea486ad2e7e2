/*
 * cmd_serve.c - `paperboy serve`: run the web app (see web/web.h) and the
 * background embedding queue (see search/vectors_queue.h).
 *
 *   paperboy serve [--db FILE] [--listen HOST:PORT] [--threads N]
 *                  [--max-conns N] [--max-per-ip N] [--timeout S]
 *                  [--cache-ttl S] [--base-url URL] [--embed-interval S]
 *                  [--embed-batch N] [--quiet] [--list-routes]
 *
 * Options only: every setting also reads PAPERBOY_<NAME> from the
 * environment and has a safe default (127.0.0.1:8080, one pool thread per
 * CPU, 1024 connections, 64 per client address, 15 s idle timeout, 2 s page
 * cache, new papers embedded within 5 s). Serves until SIGINT or SIGTERM;
 * then the queue commits the batch in hand and stops.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "search/vectors_queue.h"
#include "util/err.h"
#include "util/log.h"
#include "web/web.h"

#define QUEUE_NICE 10 /* the embedding thread's nice value, above the server's */

static const struct cli_opt opts[] = {
    {"db", "FILE", "the store (default data/paperboy.db; created if missing)"},
    {"listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8080)"},
    {"threads", "N", "request threads (default: number of CPUs)"},
    {"max-conns", "N", "open connections at most (default 1024)"},
    {"max-per-ip", "N", "connections per client address (default 64; 0 = no limit)"},
    {"timeout", "SECONDS", "close idle connections after this (default 15)"},
    {"cache-ttl", "SECONDS", "keep rendered pages this long (default 2; 0 = off)"},
    {"base-url", "URL", "the site's public URL, for feed links (default http://LISTEN)"},
    {"embed-interval", "SECONDS",
     "look for papers to embed this often (default 5; 0 = no embedding queue)"},
    {"embed-batch", "N", "papers per embedding batch and commit (default 8)"},
    {"quiet", NULL, "no access log lines on stderr"},
    {"list-routes", NULL, "print the route table and exit"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

int cmd_serve(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("serve", "[options]", opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos) {
        fprintf(stderr, "paperboy serve: unexpected argument '%s'\n", a.pos[0]);
        return 2;
    }
    if (cli_get(&a, opts, N_OPTS, "list-routes", NULL)) {
        web_routes_print(stdout);
        return 0;
    }
    struct web_config cfg;
    web_config_defaults(&cfg);
    cfg.db_path = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    cfg.listen = cli_get(&a, opts, N_OPTS, "listen", cfg.listen);
    cfg.base_url = cli_get(&a, opts, N_OPTS, "base-url", NULL);
    cfg.quiet = cli_get(&a, opts, N_OPTS, "quiet", NULL) != NULL;
    long threads, conns, per_ip, timeout, ttl, interval, batch;
    if (cli_get_long(&a, opts, N_OPTS, "threads", 0, 0, 256, &threads) ||
        cli_get_long(&a, opts, N_OPTS, "max-conns", 1024, 1, 100000, &conns) ||
        cli_get_long(&a, opts, N_OPTS, "max-per-ip", 64, 0, 100000, &per_ip) ||
        cli_get_long(&a, opts, N_OPTS, "timeout", 15, 1, 3600, &timeout) ||
        cli_get_long(&a, opts, N_OPTS, "cache-ttl", 2, 0, 3600, &ttl) ||
        cli_get_long(&a, opts, N_OPTS, "embed-interval", 5, 0, 86400, &interval) ||
        cli_get_long(&a, opts, N_OPTS, "embed-batch", 8, 1, 256, &batch))
        return 2;
    cfg.threads = (unsigned)threads;
    cfg.max_conns = (unsigned)conns;
    cfg.max_per_ip = (unsigned)per_ip;
    cfg.timeout_s = (unsigned)timeout;
    cfg.cache_ttl_s = (unsigned)ttl;
    struct vectors_queue *vq = NULL;
    if (interval > 0) {
        struct vectors_queue_opts qo = {cfg.db_path,      NULL,          NULL,
                                        (double)interval, (size_t)batch, QUEUE_NICE};
        rc = vectors_queue_start(&qo, &vq);
        if (rc)
            log_error(NULL, "serve: cannot start the embedding queue: %s", err_str(rc));
    } else {
        log_info(NULL, "embed queue: off (--embed-interval 0); `paperboy embed` embeds papers");
    }
    cfg.vectors_queue = vq;
    rc = web_serve(&cfg);
    vectors_queue_stop(vq);
    return rc == 0 ? 0 : 1;
}
