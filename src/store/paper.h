/*
 * paper.h - the paper record every module shares.
 *
 * ingest/ parses each source into a struct paper (and, for Hugging Face
 * daily-papers items, a struct daily_entry); store/ upserts it; search, rank
 * and web read it back. All strings are NUL-terminated UTF-8 owned by the
 * struct and freed by paper_cleanup()/daily_entry_cleanup(); NULL means "the
 * source did not say".
 *
 * Identity: id is the arXiv id without version, normalised (see
 * ingest/arxiv_id.h): "2401.12345" or "hep-th/9901001".
 *
 * Versions: a source may list every version with its date (Kaggle, arXivRaw),
 * only the latest version number (Atom ids end in vN), or nothing (OAI arXiv
 * format, Hugging Face). latest_version is 0 when unknown; versions[] holds
 * what is known, ascending by num.
 *
 * Text: title_raw/abstract_raw keep the source's text exactly (arXiv's hard
 * line breaks included); title/abstract are the display forms with line
 * breaks and whitespace runs folded to one space and the ends trimmed.
 *
 * Dates: ISO 8601 UTC text (see util/timeutil.h): "YYYY-MM-DDTHH:MM:SSZ" or,
 * when the source only gives a day, "YYYY-MM-DD".
 */
#ifndef PAPERBOY_STORE_PAPER_H
#define PAPERBOY_STORE_PAPER_H

#include <stddef.h>

struct paper_version {
    int num;     /* 1, 2, ... */
    char *date;  /* submission date of this version, or NULL */
    char *size;  /* as arXiv gives it ("12kb"), or NULL */
};

struct paper_author {
    char *name;     /* the full name as written ("C.-P. Yuan") */
    char *last;     /* keyname/last name where the source gives it, or NULL */
    char *first;    /* forenames, or NULL */
    char *suffix;   /* "Jr", or NULL */
    char *affiliation; /* or NULL */
};

struct paper {
    char *id;            /* normalised arXiv id, no version (required) */
    char *title_raw;     /* title as the source wrote it */
    char *title;         /* display form */
    char *abstract_raw;
    char *abstract;      /* display form */
    char *authors_raw;   /* the author list as one string, as written, or NULL */
    struct paper_author *authors; /* parsed list, n_authors entries */
    size_t n_authors;
    char *primary_category; /* "cs.LG", or NULL */
    char *categories;       /* space-separated, primary first ("cs.LG stat.ML") */
    char *comments;
    char *journal_ref;
    char *doi;
    char *report_no;
    char *license;
    char *submitter;        /* who submitted it to arXiv */
    char *created;          /* first submitted (v1) date */
    char *updated;          /* last updated date (the latest version's) */
    int latest_version;     /* 0 when the source does not say */
    struct paper_version *versions; /* n_versions entries, ascending num */
    size_t n_versions;
};

/* One paper's appearance on a day's list (Hugging Face daily papers). */
struct daily_entry {
    char *paper_id;       /* normalised arXiv id */
    char *day;            /* "YYYY-MM-DD": the list it was on */
    char *published_at;   /* when it was put on the list, ISO 8601 */
    char *submitter;      /* user name of who put it there, or NULL */
    char *submitter_name; /* display name, or NULL */
    char *title;          /* the list's own title for it, or NULL */
    char *thumbnail;      /* URL, or NULL */
    int upvotes;          /* as imported */
    int num_comments;     /* as imported */
    char *source;         /* "hf" for Hugging Face */
};

/* Zeroes a caller-owned paper. */
void paper_init(struct paper *p);
/* Frees everything the paper owns and zeroes it again. */
void paper_cleanup(struct paper *p);
/* Appends an author (copies of the given strings; any may be NULL but name). */
void paper_add_author(struct paper *p, const char *name, const char *last, const char *first,
                      const char *suffix);
/* Adds version num with date/size (copied), keeping versions[] sorted and
 * unique by num (a repeat replaces a NULL date/size only); raises
 * latest_version when num is above it. */
void paper_add_version(struct paper *p, int num, const char *date, const char *size);

void daily_entry_init(struct daily_entry *e);
void daily_entry_cleanup(struct daily_entry *e);

#endif
