/* args.c - the option parser every subcommand shares (see cli.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void cli_usage(void *fp, const char *cmd, const char *usage, const struct cli_opt *opts,
               size_t n_opts)
{
    FILE *f = fp;
    fprintf(f, "usage: paperboy %s %s\n", cmd, usage);
    if (n_opts)
        fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < n_opts; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].value_name ? " " : "",
                 opts[i].value_name ? opts[i].value_name : "");
        fprintf(f, "  %-24s %s\n", left, opts[i].help);
    }
    fprintf(f, "  %-24s %s\n", "-h, --help", "show this help");
}

static void accepted(const char *cmd, const struct cli_opt *opts, size_t n_opts)
{
    fprintf(stderr, "paperboy %s: accepted options:", cmd);
    for (size_t i = 0; i < n_opts; i++)
        fprintf(stderr, " --%s", opts[i].name);
    fprintf(stderr, " --help\n");
}

int cli_args_parse(const char *cmd, const char *usage, const struct cli_opt *opts, size_t n_opts,
                   int argc, char **argv, struct cli_args *out)
{
    struct cli_args a;
    memset(&a, 0, sizeof a);
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (a.n_pos >= sizeof a.pos / sizeof a.pos[0]) {
                fprintf(stderr, "paperboy %s: too many arguments (at most %zu)\n", cmd,
                        sizeof a.pos / sizeof a.pos[0]);
                return 2;
            }
            a.pos[a.n_pos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            cli_usage(stdout, cmd, usage, opts, n_opts);
            return 1;
        }
        if (arg[1] != '-') {
            fprintf(stderr, "paperboy %s: unknown option '%s'\n", cmd, arg);
            accepted(cmd, opts, n_opts);
            return 2;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        size_t k = 0;
        while (k < n_opts && !(strlen(opts[k].name) == nlen && strncmp(opts[k].name, name, nlen) == 0))
            k++;
        if (k == n_opts) {
            fprintf(stderr, "paperboy %s: unknown option '%s'\n", cmd, arg);
            accepted(cmd, opts, n_opts);
            return 2;
        }
        if (!opts[k].value_name) {
            if (eq) {
                fprintf(stderr, "paperboy %s: option --%s takes no value\n", cmd, opts[k].name);
                return 2;
            }
            a.values[k] = "1";
        } else if (eq) {
            a.values[k] = eq + 1;
        } else if (i + 1 < argc) {
            a.values[k] = argv[++i];
        } else {
            fprintf(stderr, "paperboy %s: option --%s needs a value (%s)\n", cmd, opts[k].name,
                    opts[k].value_name);
            return 2;
        }
    }
    *out = a;
    return 0;
}

const char *cli_get(const struct cli_args *a, const struct cli_opt *opts, size_t n_opts,
                    const char *name, const char *def)
{
    for (size_t k = 0; k < n_opts; k++) {
        if (strcmp(opts[k].name, name) != 0)
            continue;
        if (a->values[k])
            return a->values[k];
        break;
    }
    char env[80] = "PAPERBOY_";
    size_t o = strlen(env);
    for (const char *p = name; *p && o + 1 < sizeof env; p++)
        env[o++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    env[o] = '\0';
    const char *v = getenv(env);
    if (v && *v)
        return v;
    return def;
}

int cli_get_long(const struct cli_args *a, const struct cli_opt *opts, size_t n_opts,
                 const char *name, long def, long min, long max, long *out)
{
    const char *v = cli_get(a, opts, n_opts, name, NULL);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max) {
        fprintf(stderr, "paperboy: --%s must be a whole number from %ld to %ld, not '%s'\n", name,
                min, max, v);
        return 2;
    }
    *out = n;
    return 0;
}
