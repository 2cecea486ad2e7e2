/*
 * cli.h - the subcommands and the option parser they share.
 *
 * `paperboy CMD [options] [args]`, git-style. main.c only dispatches; each
 * subcommand lives in cmd_<name>.c, parses its options with cli_args_parse()
 * and calls the modules. Every subcommand returns a process exit status:
 * 0 success, 1 failure (some records or queries failed), 2 usage error.
 *
 * Settings resolve as: command-line flag, then PAPERBOY_<NAME> environment
 * variable (e.g. --db -> PAPERBOY_DB), then the built-in default.
 */
#ifndef PAPERBOY_CLI_CLI_H
#define PAPERBOY_CLI_CLI_H

#include <stddef.h>

/* One accepted option. value_name NULL means a flag (no value). */
struct cli_opt {
    const char *name;       /* long name without dashes: "db" */
    const char *value_name; /* "FILE", or NULL for a flag */
    const char *help;       /* one line */
};

/* Parsed options: values[i] belongs to opts[i]: the value given, "1" for a
 * flag that was given, else NULL. Positional arguments in order. */
struct cli_args {
    const char *values[32];
    const char *pos[256];
    size_t n_pos;
};

/* Parses argv[1..argc) of subcommand cmd against opts (n_opts <= 32):
 * "--name VALUE", "--name=VALUE", "--flag", "--" ends options, "-" alone is
 * positional. "-h"/"--help" prints usage and returns 1 (caller exits 0).
 * An unknown option or a missing value prints what is accepted and returns
 * 2. Returns 0 when parsing succeeded. */
int cli_args_parse(const char *cmd, const char *usage, const struct cli_opt *opts, size_t n_opts,
                   int argc, char **argv, struct cli_args *out /* OUT */);
/* Prints "usage: paperboy CMD USAGE" and the option list to f (stdout/stderr). */
void cli_usage(void *f, const char *cmd, const char *usage, const struct cli_opt *opts,
               size_t n_opts);
/* The value of option name: the flag's value, else PAPERBOY_<NAME> from the
 * environment (dashes become underscores, upper-cased), else def. */
const char *cli_get(const struct cli_args *a, const struct cli_opt *opts, size_t n_opts,
                    const char *name, const char *def);
/* Parses an integer option value; prints an error naming the option and
 * returns 2 when it is not an integer within [min, max]. */
int cli_get_long(const struct cli_args *a, const struct cli_opt *opts, size_t n_opts,
                 const char *name, long def, long min, long max, long *out /* OUT */);

/* The default database path: $PAPERBOY_DB, else ./data/paperboy.db. */
#define CLI_DEFAULT_DB "data/paperboy.db"

struct store;
/* Brings the lexical index beside db ("index" in its directory) up to date
 * with st after a command stored papers: syncs it, builds it when missing,
 * rebuilds it when corrupt or stale, merges small segments. progress: a
 * FILE for a rebuild's progress line, or NULL. Prints why on failure (the
 * stored papers stay) and returns the code; 0 when current. */
int cli_index_upkeep(struct store *st, const char *db, FILE *progress, int quiet);

/* Subcommands, one per cmd_<name>.c. */
int cmd_ingest(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_harvest(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_reindex(int argc, char **argv);

#endif
