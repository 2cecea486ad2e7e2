/*
 * main.c - `paperboy CMD ...`: dispatch to a subcommand, nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define PAPERBOY_VERSION "0.1.0"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("paperboy %s\n", PAPERBOY_VERSION);
    return 0;
}

static const struct command commands[] = {
    {"serve", cmd_serve, "serve the web app, JSON API and feeds"},
    {"ingest", cmd_ingest, "read paper files (Kaggle JSONL, arXiv OAI-PMH/Atom, HF daily papers)"},
    {"harvest", cmd_harvest, "harvest arXiv metadata over OAI-PMH into the store"},
    {"search", cmd_search, "search papers: paperboy search [--json] QUERY..."},
    {"show", cmd_show, "print one paper"},
    {"list", cmd_list, "list the papers of a day, week or month"},
    {"stats", cmd_stats, "papers by category and by month"},
    {"reindex", cmd_reindex, "rebuild (or --sync) the search index from the database"},
    {"embed", cmd_embed, "compute paper vectors for semantic search (needs `make model`)"},
    {"similar", cmd_similar, "papers nearest to a paper by meaning"},
    {"eval", cmd_eval, "retrieval quality on a BEIR dataset (nDCG@10, recall@100, MRR@10)"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: paperboy COMMAND [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'paperboy COMMAND --help' shows a command's options.\n"
               "Settings: flags, then PAPERBOY_* environment variables (PAPERBOY_DB=...).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "paperboy: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
