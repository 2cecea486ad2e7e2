/*
 * test_harvest.c - the harvester's pure parts (request URLs, state keys,
 * Retry-After, backoff) and the fetch layer against a tiny forked HTTP
 * server on 127.0.0.1 (redirects, Retry-After of the final response, the
 * body cap, a dropped connection, a refused connection).
 *
 * The protocol loop itself (pages, retries, resume) is tested end to end
 * by tests/integ/test_harvest.py against tests/integ/oai_server.py.
 */
#include "ingest/fetch.c"
#include "ingest/harvest.c"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ok.h"

/* ------------------------------------------------------------------------ */
/* A canned HTTP server                                                     */
/* ------------------------------------------------------------------------ */

static void reply(int c, const char *req)
{
    char out[2048];
    const char *body = "hello";
    if (strstr(req, "GET /redir "))
        snprintf(out, sizeof out,
                 "HTTP/1.1 302 Found\r\nLocation: /busy\r\nRetry-After: 99\r\n"
                 "Content-Length: 0\r\n\r\n");
    else if (strstr(req, "GET /busy "))
        snprintf(out, sizeof out,
                 "HTTP/1.1 503 Busy\r\nretry-after:  7 \r\n"
                 "Content-Length: 4\r\nConnection: close\r\n\r\nbusy");
    else if (strstr(req, "GET /drop "))
        snprintf(out, sizeof out,
                 "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
                 "Connection: close\r\n\r\npartial");
    else if (strstr(req, "GET /big "))
        snprintf(out, sizeof out,
                 "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                 "0123456789abcdefghijklmnopqrstuvwxyz");
    else if (strstr(req, "GET /ua ")) {
        const char *ua = strstr(req, "User-Agent: ");
        size_t n = ua ? strcspn(ua + 12, "\r\n") : 0;
        snprintf(out, sizeof out,
                 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%.*s",
                 n, (int)n, ua ? ua + 12 : "");
    } else
        snprintf(out, sizeof out,
                 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s",
                 strlen(body), body);
    ssize_t w = write(c, out, strlen(out));
    (void)w;
}

/* Forks a server on an ephemeral port; returns its pid and port. */
static pid_t server_start(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0)
        return -1;
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(30); /* never outlive the test */
        for (;;) {
            int c = accept(fd, NULL, NULL);
            if (c < 0)
                continue;
            char req[4096];
            size_t n = 0;
            while (n < sizeof req - 1) {
                ssize_t r = read(c, req + n, sizeof req - 1 - n);
                if (r <= 0)
                    break;
                n += (size_t)r;
                req[n] = '\0';
                if (strstr(req, "\r\n\r\n"))
                    break;
            }
            req[n] = '\0';
            reply(c, req);
            close(c);
        }
    }
    close(fd);
    return pid;
}

static void test_fetch(void)
{
    int port = 0;
    pid_t pid = server_start(&port);
    if (pid < 0) {
        ok_skip("fetch against a local server", "cannot listen on 127.0.0.1");
        return;
    }
    char url[128];
    struct fetch *f = NULL;
    struct fetch_resp r;
    fetch_resp_init(&r);
    ok_eq_int(fetch_new(NULL, &f), 0, "fetch_new");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/plain", port);
    ok_eq_int(fetch_get(f, url, &r), 0, "plain GET");
    ok_eq_int(r.status, 200, "plain GET status");
    ok_eq_str(buf_cstr(&r.body), "hello", "plain GET body");
    ok(r.retry_after == NULL, "no Retry-After");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/ua", port);
    ok_eq_int(fetch_get(f, url, &r), 0, "GET /ua");
    ok_eq_str(buf_cstr(&r.body), FETCH_USER_AGENT, "User-Agent sent");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/redir", port);
    ok_eq_int(fetch_get(f, url, &r), 0, "redirect followed");
    ok_eq_int(r.status, 503, "final status after the redirect");
    ok_eq_str(r.retry_after, "7", "Retry-After of the final response only, trimmed");
    ok_eq_str(buf_cstr(&r.body), "busy", "503 body");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/drop", port);
    ok_eq_int(fetch_get(f, url, &r), ERR_NET, "dropped connection is ERR_NET");
    ok(r.error[0] != '\0', "dropped connection has a message");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/plain", port);
    ok_eq_int(fetch_get(f, url, &r), 0, "handle reusable after a failure");
    ok(r.error[0] == '\0', "error cleared");

    struct fetch *small = NULL;
    struct fetch_opts so = {.max_body = 10};
    ok_eq_int(fetch_new(&so, &small), 0, "fetch_new with a 10-byte cap");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/big", port);
    ok_eq_int(fetch_get(small, url, &r), ERR_TOO_LARGE, "body over the cap");
    ok(r.body.len <= 10, "body kept within the cap");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/plain", port);
    ok_eq_int(fetch_get(small, url, &r), 0, "small body under the cap");
    fetch_free(small);

    ok_eq_int(fetch_get(f, "ftp://127.0.0.1/x", &r), ERR_INVALID, "ftp refused");
    ok_eq_int(fetch_get(f, "http://[::1", &r), ERR_INVALID, "malformed URL");

    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    /* The port is closed now: nothing listens. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/plain", port);
    ok_eq_int(fetch_get(f, url, &r), ERR_NET, "connection refused is ERR_NET");

    fetch_free(f);
    fetch_resp_cleanup(&r);
    fetch_free(NULL);
}

/* ------------------------------------------------------------------------ */
/* Pure helpers                                                             */
/* ------------------------------------------------------------------------ */

static void test_escape(void)
{
    struct buf b;
    buf_init(&b, 0);
    ok_eq_int(fetch_url_escape(&b, "a+b/c&d=e f|~._-Z9"), 0, "escape");
    ok_eq_str(buf_cstr(&b), "a%2Bb%2Fc%26d%3De%20f%7C~._-Z9", "reserved bytes encoded");
    buf_reset(&b);
    fetch_url_escape(&b, "\xc3\xa9\x01%");
    ok_eq_str(buf_cstr(&b), "%C3%A9%01%25", "UTF-8, control and % encoded");
    buf_cleanup(&b);

    buf_init(&b, 5);
    ok_eq_int(fetch_url_escape(&b, "a b c"), ERR_TOO_LARGE, "escape respects the cap");
    buf_cleanup(&b);
}

static void test_url(void)
{
    struct buf b;
    buf_init(&b, 0);
    harvest_url(&b, "https://oaipmh.arxiv.org/oai", "arXivRaw", "cs", "2024-01-01", "2024-02-01",
                NULL);
    ok_eq_str(buf_cstr(&b),
              "https://oaipmh.arxiv.org/oai?verb=ListRecords&metadataPrefix=arXivRaw&set=cs"
              "&from=2024-01-01&until=2024-02-01",
              "first request: all parameters");
    buf_reset(&b);
    harvest_url(&b, "http://h/oai", "arXivRaw", NULL, "", NULL, "");
    ok_eq_str(buf_cstr(&b), "http://h/oai?verb=ListRecords&metadataPrefix=arXivRaw",
              "unset and empty parameters left out; empty token is no token");
    buf_reset(&b);
    harvest_url(&b, "http://h/oai", "arXivRaw", "physics:hep-th", "2024-01-01", NULL,
                "6960524|1001");
    ok_eq_str(buf_cstr(&b), "http://h/oai?verb=ListRecords&resumptionToken=6960524%7C1001",
              "token request carries only verb and the encoded token");
    buf_reset(&b);
    harvest_url(&b, "http://h/oai?key=1", "arXivRaw", "physics:hep-th", NULL, NULL, NULL);
    ok_eq_str(buf_cstr(&b),
              "http://h/oai?key=1&verb=ListRecords&metadataPrefix=arXivRaw"
              "&set=physics%3Ahep-th",
              "base with a query; set encoded");
    buf_cleanup(&b);

    buf_init(&b, 20);
    ok_eq_int(harvest_url(&b, "http://h/oai", "arXivRaw", NULL, NULL, NULL, NULL), ERR_TOO_LARGE,
              "URL cap");
    buf_cleanup(&b);

    buf_init(&b, 0);
    harvest_state_key(&b, "http://h/oai", NULL, "arXivRaw", "token");
    ok_eq_str(buf_cstr(&b), "harvest|http://h/oai||arXivRaw|token", "state key without a set");
    buf_reset(&b);
    harvest_state_key(&b, "http://h/oai", "cs", "arXivRaw", "done");
    ok_eq_str(buf_cstr(&b), "harvest|http://h/oai|cs|arXivRaw|done", "state key with a set");
    buf_reset(&b);
    run_params(&b, "2024-01-01", NULL);
    ok_eq_str(buf_cstr(&b), "from=2024-01-01\nuntil=\n", "run parameters");
    buf_cleanup(&b);

    char *st = run_started("from=\nuntil=\nstarted=2024-05-03T12:00:00Z\n");
    ok_eq_str(st, "2024-05-03T12:00:00Z", "started read back");
    free(st);
    ok(run_started("from=\nuntil=\n") == NULL, "no started");

    char day[11];
    response_day("2024-05-03T23:59:59Z", day);
    ok_eq_str(day, "2024-05-03", "responseDate day");
    response_day("garbage", day);
    ok_eq_int(strlen(day), 10, "unreadable responseDate falls back to today");

    struct harvest_opts o;
    harvest_opts_init(&o);
    ok_eq_str(o.url, "https://oaipmh.arxiv.org/oai", "default URL");
    ok_eq_str(o.prefix, "arXivRaw", "default prefix");
    ok(o.delay == 3.0 && o.max_retries == 5 && o.max_wait == 600.0, "default politeness");
}

static void test_retry_after(void)
{
    long s = -1;
    ok_eq_int(fetch_retry_after("120", 0, &s), 0, "delay-seconds");
    ok_eq_int(s, 120, "120 s");
    ok_eq_int(fetch_retry_after(" 5 ", 0, &s), 0, "whitespace trimmed");
    ok_eq_int(s, 5, "5 s");
    ok_eq_int(fetch_retry_after("0", 0, &s), 0, "zero");
    ok_eq_int(s, 0, "0 s");
    ok_eq_int(fetch_retry_after("99999999999999999999999", 0, &s), 0, "huge number");
    ok_eq_int(s, 1000000000L, "huge number capped");

    int64_t t = time_from_civil(2015, 10, 21, 7, 28, 0);
    ok_eq_int(fetch_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", t - 30, &s), 0, "HTTP-date");
    ok_eq_int(s, 30, "HTTP-date 30 s ahead");
    ok_eq_int(fetch_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", t + 30, &s), 0, "past date");
    ok_eq_int(s, 0, "a past date means now");

    s = 42;
    ok_eq_int(fetch_retry_after("soon", 0, &s), ERR_PARSE, "words refused");
    ok_eq_int(fetch_retry_after("", 0, &s), ERR_PARSE, "empty refused");
    ok_eq_int(fetch_retry_after("-5", 0, &s), ERR_PARSE, "negative refused");
    ok_eq_int(fetch_retry_after("1.5", 0, &s), ERR_PARSE, "fraction refused");
    ok_eq_int(fetch_retry_after(NULL, 0, &s), ERR_PARSE, "NULL refused");
    ok_eq_int(s, 42, "out-param untouched on error");
}

static void test_backoff(void)
{
    ok(fetch_backoff(1, 2, 60) == 2, "first retry waits base");
    ok(fetch_backoff(2, 2, 60) == 4, "then doubles");
    ok(fetch_backoff(5, 2, 60) == 32, "2 * 2^4");
    ok(fetch_backoff(6, 2, 60) == 60, "capped");
    ok(fetch_backoff(100000, 2, 60) == 60, "huge attempt stays capped");
    ok(fetch_backoff(0, 2, 60) == 2, "attempt < 1 is 1");
    ok(fetch_backoff(3, 0, 60) == 0, "base 0 gives 0");
    ok(fetch_backoff(1, 0.01, 300) == 0.01, "tiny base for tests");
}

int main(void)
{
    test_escape();
    test_url();
    test_retry_after();
    test_backoff();
    test_fetch();
    return ok_done();
}
