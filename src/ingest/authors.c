/*
 * authors.c - splitting arXiv author strings, and decoding the TeX in them
 * (see authors.h).
 *
 * TeX decoding (tex_to_utf8): one left-to-right pass with a small brace
 * stack. Accent commands (\' \` \^ \" \~ \= \. and the letter forms \c \v
 * \H \u \k \r) take one base letter, bare ("\'a"), spaced ("\c c") or in
 * braces ("\'{a}", "{\'a}"), and \i / \j as dotless bases ("\'\i"). The
 * pair maps to a precomposed code point from the table below, or else the
 * base letter plus the Unicode combining mark (still correct text; the
 * analyzer in text/ composes it). Letter commands (\ss \o \aa \ae \oe \l
 * \i ...) map to their letters and eat the spaces after them, as TeX does.
 * Grouping braces vanish; a brace that opens the argument of a command we
 * do not know is kept, with its partner, so "\emph{x}" stays as written.
 * Math ($...$) is copied untouched; "~" is a space.
 *
 * Splitting (authors_split): the string is cut at top level (outside
 * parentheses, braces and $...$) at commas and at "and", ";", "&" and ":"
 * (as in "CLEO Collaboration: M. Artuso, T. Pedlar").
 * Parenthesised text is an affiliation: the first group's text is kept
 * unless it only holds reference marks like "(1)" or "(a,b)". A segment
 * that is only "Jr."/"III" is the previous author's suffix; "et al." and
 * "others" are dropped. When every "and"-group holds exactly one comma and
 * the part after it looks like first names ("Smith, J. and Doe, A. B."),
 * the string is "Last, First"-shaped and each group is one author.
 */
#include "ingest/authors.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest/authors_int.h"
#include "ingest/normalize.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/text_fold.h"

/* ------------------------------------------------------------------ */
/* TeX to UTF-8                                                        */
/* ------------------------------------------------------------------ */

struct accent_map {
    char acc;  /* the accent command: ' ` ^ " ~ = . c v H u k r */
    char base; /* the letter it applies to */
    unsigned short cp;
};

/* clang-format off */
static const struct accent_map accent_table[] = {
    /* acute */
    {'\'', 'a', 0xE1}, {'\'', 'e', 0xE9}, {'\'', 'i', 0xED}, {'\'', 'o', 0xF3},
    {'\'', 'u', 0xFA}, {'\'', 'y', 0xFD}, {'\'', 'A', 0xC1}, {'\'', 'E', 0xC9},
    {'\'', 'I', 0xCD}, {'\'', 'O', 0xD3}, {'\'', 'U', 0xDA}, {'\'', 'Y', 0xDD},
    {'\'', 'c', 0x107}, {'\'', 'C', 0x106}, {'\'', 'n', 0x144}, {'\'', 'N', 0x143},
    {'\'', 's', 0x15B}, {'\'', 'S', 0x15A}, {'\'', 'z', 0x17A}, {'\'', 'Z', 0x179},
    {'\'', 'l', 0x13A}, {'\'', 'L', 0x139}, {'\'', 'r', 0x155}, {'\'', 'R', 0x154},
    {'\'', 'g', 0x1F5}, {'\'', 'G', 0x1F4},
    /* grave */
    {'`', 'a', 0xE0}, {'`', 'e', 0xE8}, {'`', 'i', 0xEC}, {'`', 'o', 0xF2}, {'`', 'u', 0xF9},
    {'`', 'A', 0xC0}, {'`', 'E', 0xC8}, {'`', 'I', 0xCC}, {'`', 'O', 0xD2}, {'`', 'U', 0xD9},
    {'`', 'n', 0x1F9}, {'`', 'N', 0x1F8},
    /* circumflex */
    {'^', 'a', 0xE2}, {'^', 'e', 0xEA}, {'^', 'i', 0xEE}, {'^', 'o', 0xF4}, {'^', 'u', 0xFB},
    {'^', 'A', 0xC2}, {'^', 'E', 0xCA}, {'^', 'I', 0xCE}, {'^', 'O', 0xD4}, {'^', 'U', 0xDB},
    {'^', 'c', 0x109}, {'^', 'C', 0x108}, {'^', 'g', 0x11D}, {'^', 'G', 0x11C},
    {'^', 'h', 0x125}, {'^', 'H', 0x124}, {'^', 'j', 0x135}, {'^', 'J', 0x134},
    {'^', 's', 0x15D}, {'^', 'S', 0x15C}, {'^', 'w', 0x175}, {'^', 'W', 0x174},
    {'^', 'y', 0x177}, {'^', 'Y', 0x176},
    /* diaeresis */
    {'"', 'a', 0xE4}, {'"', 'e', 0xEB}, {'"', 'i', 0xEF}, {'"', 'o', 0xF6}, {'"', 'u', 0xFC},
    {'"', 'y', 0xFF}, {'"', 'A', 0xC4}, {'"', 'E', 0xCB}, {'"', 'I', 0xCF}, {'"', 'O', 0xD6},
    {'"', 'U', 0xDC}, {'"', 'Y', 0x178},
    /* tilde */
    {'~', 'a', 0xE3}, {'~', 'n', 0xF1}, {'~', 'o', 0xF5}, {'~', 'A', 0xC3}, {'~', 'N', 0xD1},
    {'~', 'O', 0xD5}, {'~', 'i', 0x129}, {'~', 'I', 0x128}, {'~', 'u', 0x169}, {'~', 'U', 0x168},
    /* cedilla */
    {'c', 'c', 0xE7}, {'c', 'C', 0xC7}, {'c', 's', 0x15F}, {'c', 'S', 0x15E}, {'c', 't', 0x163},
    {'c', 'T', 0x162}, {'c', 'g', 0x123}, {'c', 'G', 0x122}, {'c', 'k', 0x137}, {'c', 'K', 0x136},
    {'c', 'l', 0x13C}, {'c', 'L', 0x13B}, {'c', 'n', 0x146}, {'c', 'N', 0x145}, {'c', 'r', 0x157},
    {'c', 'R', 0x156}, {'c', 'e', 0x229}, {'c', 'E', 0x228},
    /* caron */
    {'v', 'c', 0x10D}, {'v', 'C', 0x10C}, {'v', 's', 0x161}, {'v', 'S', 0x160}, {'v', 'z', 0x17E},
    {'v', 'Z', 0x17D}, {'v', 'r', 0x159}, {'v', 'R', 0x158}, {'v', 'e', 0x11B}, {'v', 'E', 0x11A},
    {'v', 'n', 0x148}, {'v', 'N', 0x147}, {'v', 'd', 0x10F}, {'v', 'D', 0x10E}, {'v', 't', 0x165},
    {'v', 'T', 0x164}, {'v', 'l', 0x13E}, {'v', 'L', 0x13D}, {'v', 'a', 0x1CE}, {'v', 'A', 0x1CD},
    {'v', 'i', 0x1D0}, {'v', 'I', 0x1CF}, {'v', 'o', 0x1D2}, {'v', 'O', 0x1D1}, {'v', 'u', 0x1D4},
    {'v', 'U', 0x1D3}, {'v', 'g', 0x1E7}, {'v', 'G', 0x1E6}, {'v', 'k', 0x1E9}, {'v', 'K', 0x1E8},
    /* double acute */
    {'H', 'o', 0x151}, {'H', 'O', 0x150}, {'H', 'u', 0x171}, {'H', 'U', 0x170},
    /* breve */
    {'u', 'a', 0x103}, {'u', 'A', 0x102}, {'u', 'g', 0x11F}, {'u', 'G', 0x11E}, {'u', 'u', 0x16D},
    {'u', 'U', 0x16C}, {'u', 'e', 0x115}, {'u', 'E', 0x114}, {'u', 'i', 0x12D}, {'u', 'I', 0x12C},
    {'u', 'o', 0x14F}, {'u', 'O', 0x14E},
    /* macron */
    {'=', 'a', 0x101}, {'=', 'A', 0x100}, {'=', 'e', 0x113}, {'=', 'E', 0x112}, {'=', 'i', 0x12B},
    {'=', 'I', 0x12A}, {'=', 'o', 0x14D}, {'=', 'O', 0x14C}, {'=', 'u', 0x16B}, {'=', 'U', 0x16A},
    /* dot above */
    {'.', 'z', 0x17C}, {'.', 'Z', 0x17B}, {'.', 'e', 0x117}, {'.', 'E', 0x116}, {'.', 'c', 0x10B},
    {'.', 'C', 0x10A}, {'.', 'g', 0x121}, {'.', 'G', 0x120}, {'.', 'I', 0x130},
    /* ogonek */
    {'k', 'a', 0x105}, {'k', 'A', 0x104}, {'k', 'e', 0x119}, {'k', 'E', 0x118}, {'k', 'i', 0x12F},
    {'k', 'I', 0x12E}, {'k', 'u', 0x173}, {'k', 'U', 0x172},
    /* ring */
    {'r', 'a', 0xE5}, {'r', 'A', 0xC5}, {'r', 'u', 0x16F}, {'r', 'U', 0x16E},
};
/* clang-format on */

/* The combining mark of each accent, for pairs the table lacks. */
static const struct {
    char acc;
    unsigned short cp;
} combining_table[] = {
    {'\'', 0x301}, {'`', 0x300}, {'^', 0x302}, {'"', 0x308}, {'~', 0x303},
    {'=', 0x304},  {'.', 0x307}, {'c', 0x327}, {'v', 0x30C}, {'H', 0x30B},
    {'u', 0x306},  {'k', 0x328}, {'r', 0x30A},
};

/* Letter commands: \ss -> ß and friends. */
static const struct {
    const char *name;
    unsigned short cp;
} letter_table[] = {
    {"ss", 0xDF},  {"o", 0xF8},   {"O", 0xD8},   {"aa", 0xE5}, {"AA", 0xC5}, {"ae", 0xE6},
    {"AE", 0xC6},  {"oe", 0x153}, {"OE", 0x152}, {"l", 0x142}, {"L", 0x141}, {"i", 0x131},
    {"j", 0x237},  {"dh", 0xF0},  {"DH", 0xD0},  {"th", 0xFE}, {"TH", 0xDE}, {"dj", 0x111},
    {"DJ", 0x110}, {"ng", 0x14B}, {"NG", 0x14A},
};

/* Brace nesting we remember exactly; deeper braces are kept as written. */
#define TEX_MAX_DEPTH 64

struct tex {
    const char *p;
    size_t len;
    struct buf out;
    unsigned char keep[TEX_MAX_DEPTH]; /* per open brace: emit it and its partner? */
    size_t depth;
};

static void put_cp(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    /* The buffer has no cap (max 0), so this cannot fail. */
    buf_append(b, u, n);
}

static void put_ch(struct buf *b, char c)
{
    buf_append(b, &c, 1);
}

static void brace_open(struct tex *t, int keep)
{
    if (t->depth < TEX_MAX_DEPTH)
        t->keep[t->depth] = (unsigned char)keep;
    else
        keep = 1;
    t->depth++;
    if (keep)
        put_ch(&t->out, '{');
}

static void brace_close(struct tex *t)
{
    if (t->depth == 0) {
        put_ch(&t->out, '}'); /* a stray brace: keep it as written */
        return;
    }
    t->depth--;
    if (t->depth >= TEX_MAX_DEPTH || t->keep[t->depth])
        put_ch(&t->out, '}');
}

static void put_accented(struct buf *b, char acc, char base)
{
    for (size_t i = 0; i < sizeof accent_table / sizeof accent_table[0]; i++)
        if (accent_table[i].acc == acc && accent_table[i].base == base) {
            put_cp(b, accent_table[i].cp);
            return;
        }
    put_ch(b, base);
    for (size_t i = 0; i < sizeof combining_table / sizeof combining_table[0]; i++)
        if (combining_table[i].acc == acc) {
            put_cp(b, combining_table[i].cp);
            return;
        }
}

/* Applies accent acc to the argument starting at j. Returns the index after
 * the argument, or 0 when there is no letter to accent (the caller then
 * keeps the command as written). */
static size_t tex_accent(struct tex *t, size_t j, char acc)
{
    const char *p = t->p;
    size_t len = t->len, k = j;
    while (k < len && p[k] == ' ')
        k++;
    int brace = 0;
    if (k < len && p[k] == '{') {
        brace = 1;
        k++;
        while (k < len && p[k] == ' ')
            k++;
    }
    char base = 0;
    if (k < len && isalpha((unsigned char)p[k])) {
        base = p[k++];
    } else if (k + 1 < len && p[k] == '\\' && (p[k + 1] == 'i' || p[k + 1] == 'j') &&
               !(k + 2 < len && isalpha((unsigned char)p[k + 2]))) {
        base = p[k + 1]; /* dotless i/j take the accent as plain i/j */
        k += 2;
        while (!brace && k < len && p[k] == ' ')
            k++; /* spaces after the control word \i are TeX's to eat */
    }
    if (!base)
        return 0;
    if (brace) {
        size_t m = k;
        while (m < len && p[m] == ' ')
            m++;
        if (m < len && p[m] == '}')
            k = m + 1;
        else
            brace_open(t, 0); /* "\'{ab}": the rest of the group follows */
    }
    put_accented(&t->out, acc, base);
    return k;
}

/* Handles the command at i (p[i] == '\\'). Returns the next index; sets
 * *unknown when the command was kept as written. */
static size_t tex_command(struct tex *t, size_t i, int *unknown)
{
    const char *p = t->p;
    size_t len = t->len, j = i + 1;
    if (j >= len) {
        put_ch(&t->out, '\\');
        return len;
    }
    char n = p[j];
    if (n != '\0' && strchr("'`^\"~=.", n)) {
        size_t k = tex_accent(t, j + 1, n);
        if (k)
            return k;
        buf_append(&t->out, p + i, 2);
        return j + 1;
    }
    if (isalpha((unsigned char)n)) {
        size_t k = j;
        while (k < len && isalpha((unsigned char)p[k]))
            k++;
        size_t nl = k - j;
        if (nl == 1 && strchr("cvHukr", n)) {
            size_t e = tex_accent(t, k, n);
            if (e)
                return e;
        }
        for (size_t m = 0; m < sizeof letter_table / sizeof letter_table[0]; m++)
            if (strlen(letter_table[m].name) == nl &&
                memcmp(letter_table[m].name, p + j, nl) == 0) {
                put_cp(&t->out, letter_table[m].cp);
                while (k < len && p[k] == ' ')
                    k++;
                return k;
            }
        buf_append(&t->out, p + i, k - i);
        *unknown = 1;
        return k;
    }
    switch (n) {
    case '&':
    case '%':
    case '_':
    case '#':
    case '$':
    case '{':
    case '}':
        put_ch(&t->out, n);
        return j + 1;
    case ' ':
    case ',':
    case ';':
    case ':':
    case '\\':
        put_ch(&t->out, ' ');
        return j + 1;
    case '-':
    case '!':
    case '/':
        return j + 1; /* hyphenation hint, negative space, ligature break */
    default:
        put_ch(&t->out, '\\');
        return j;
    }
}

/* Bytes the main loop of tex_to_utf8() must look at. */
static const unsigned char tex_special[256] = {
    ['$'] = 1, ['~'] = 1, ['{'] = 1, ['}'] = 1, ['\\'] = 1, ['\0'] = 1,
};

char *tex_to_utf8(const char *p, size_t len)
{
    struct tex t;
    t.p = p;
    t.len = len;
    t.depth = 0;
    buf_init(&t.out, 0);
    buf_append(&t.out, "", 0);
    size_t i = 0;
    int after_unknown = 0;
    while (i < len) {
        char c = p[i];
        int unknown = 0;
        if (c == '$') {
            const char *close = i + 1 < len ? memchr(p + i + 1, '$', len - i - 1) : NULL;
            size_t end = close ? (size_t)(close - p) + 1 : len;
            buf_append(&t.out, p + i, end - i);
            i = end;
        } else if (c == '~') {
            put_ch(&t.out, ' ');
            i++;
        } else if (c == '{') {
            brace_open(&t, after_unknown);
            i++;
        } else if (c == '}') {
            brace_close(&t);
            i++;
        } else if (c == '\\') {
            i = tex_command(&t, i, &unknown);
        } else {
            /* Copy a run of ordinary bytes at once. */
            size_t k = i + 1;
            while (k < len && !tex_special[(unsigned char)p[k]])
                k++;
            buf_append(&t.out, p + i, k - i);
            i = k;
        }
        after_unknown = unknown;
    }
    return buf_steal(&t.out);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static int is_suffix_word(const char *w, size_t n)
{
    static const char *const sfx[] = {"Jr", "Jr.", "Sr", "Sr.", "Jnr", "Jnr.", "II", "III", "IV"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
        if (strlen(sfx[i]) == n && memcmp(sfx[i], w, n) == 0)
            return 1;
    return 0;
}

static int is_particle(const char *w, size_t n)
{
    static const char *const part[] = {"van", "von", "der", "den", "de",  "del", "della", "di",
                                       "da",  "du",  "le",  "la",  "dos", "das", "do",    "ten",
                                       "ter", "zu",  "af",  "av",  "bin", "ibn", "dei",   "degli"};
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++)
        if (strlen(part[i]) == n && memcmp(part[i], w, n) == 0)
            return 1;
    return 0;
}

/* Does the name say it is a collaboration or consortium rather than a
 * person? (A hand-rolled search: this runs for every author.) */
static int is_group_name(const char *s)
{
    for (; *s; s++)
        if ((*s == 'c' || *s == 'C') && (strncasecmp(s + 1, "ollaboration", 12) == 0 ||
                                         strncasecmp(s + 1, "onsortium", 9) == 0))
            return 1;
    return 0;
}

/* Start of the word that ends at end (exclusive) in s, words split by ' '. */
static size_t word_start(const char *s, size_t end)
{
    while (end > 0 && s[end - 1] != ' ')
        end--;
    return end;
}

/* authors_add_name() for a name already folded; takes ownership of f. */
static void add_folded(struct paper *paper, char *f, const char *affiliation)
{
    size_t n = strlen(f);
    if (n == 0) {
        free(f);
        return;
    }
    char *last = NULL, *first = NULL, *suffix = NULL;
    if (is_group_name(f)) {
        last = xstrdup(f); /* a group, not a person: no first name */
    } else {
        size_t end = n;
        size_t ls = word_start(f, end);
        if (ls > 0 && is_suffix_word(f + ls, end - ls)) {
            suffix = xstrndup(f + ls, end - ls);
            end = ls - 1;
            ls = word_start(f, end);
        }
        /* Initials glued to the last name ("A.N.Aleshaev", "N.d'Ambrumenil"):
         * the last name starts after the word's last dot. */
        size_t dot = end;
        while (dot > ls && f[dot - 1] != '.')
            dot--;
        if (dot > ls && end - dot >= 2 && isalpha((unsigned char)f[dot])) {
            last = xstrndup(f + dot, end - dot);
            first = xstrndup(f, dot);
        } else {
            /* Lower-case particles belong to the last name ("van der
             * Waals"), but the first word stays a first name. */
            while (ls > 0) {
                size_t ps = word_start(f, ls - 1);
                if (ps == 0 || !is_particle(f + ps, ls - 1 - ps))
                    break;
                ls = ps;
            }
            last = xstrndup(f + ls, end - ls);
            if (ls > 0)
                first = xstrndup(f, ls - 1);
        }
    }
    /* The parts are handed over rather than copied again. */
    paper_add_author(paper, f, NULL, NULL, NULL);
    struct paper_author *a = &paper->authors[paper->n_authors - 1];
    a->last = last;
    a->first = first;
    a->suffix = suffix;
    if (affiliation && *affiliation)
        a->affiliation = xstrdup(affiliation);
    free(f);
}

void authors_add_name(struct paper *paper, const char *name, size_t len, const char *affiliation)
{
    add_folded(paper, text_fold(name, len), affiliation);
}

/* ------------------------------------------------------------------ */
/* Splitting                                                           */
/* ------------------------------------------------------------------ */

enum sep { SEP_END, SEP_COMMA, SEP_AND };

struct span {
    size_t start, end; /* bytes of the segment */
    enum sep after;    /* what ended it */
};

/* Is "and" at k a separator word? */
static int is_and_word(const char *p, size_t len, size_t k)
{
    if (k + 3 > len || memcmp(p + k, "and", 3) != 0)
        return 0;
    if (k > 0 && !isspace((unsigned char)p[k - 1]) && p[k - 1] != ',')
        return 0;
    return k + 3 == len || isspace((unsigned char)p[k + 3]);
}

/* Cuts (p, len) into top-level segments. Returns the count; *out is
 * malloc'ed. */
static size_t split_spans(const char *p, size_t len, struct span **out)
{
    size_t cap = 8, n = 0;
    struct span *sp = xmalloc(cap * sizeof *sp);
    size_t start = 0;
    int paren = 0, brace = 0, math = 0;
    for (size_t k = 0; k <= len; k++) {
        enum sep s = SEP_END;
        size_t skip = 0;
        if (k == len) {
            s = SEP_END;
        } else {
            char c = p[k];
            if (c == '\\') {
                if (k + 1 < len)
                    k++; /* an escaped character never separates */
                continue;
            }
            if (c == '$')
                math = !math;
            if (math)
                continue;
            if (c == '(')
                paren++;
            else if (c == ')' && paren > 0)
                paren--;
            else if (c == '{')
                brace++;
            else if (c == '}' && brace > 0)
                brace--;
            if (paren || brace || c == '(' || c == ')' || c == '{' || c == '}')
                continue;
            if (c == ',')
                s = SEP_COMMA, skip = 1;
            else if (c == ';' || c == '&' || c == ':')
                s = SEP_AND, skip = 1;
            else if (c == 'a' && is_and_word(p, len, k))
                s = SEP_AND, skip = 3;
            else
                continue;
        }
        if (n == cap) {
            cap *= 2;
            sp = xrealloc(sp, cap * sizeof *sp);
        }
        sp[n].start = start;
        sp[n].end = k < len ? k : len;
        sp[n].after = s;
        n++;
        if (k < len) {
            k += skip - 1;
            start = k + 1;
        }
    }
    *out = sp;
    return n;
}

int authors_is_affiliation(const char *s)
{
    /* A word is two letters in a row; "and" alone joins reference marks
     * ("1 and 2"). */
    for (const char *w = s; *w;) {
        while (*w && !isalpha((unsigned char)*w))
            w++;
        const char *e = w;
        while (*e && isalpha((unsigned char)*e))
            e++;
        size_t n = (size_t)(e - w);
        if (n >= 2 && !(n == 3 && strncasecmp(w, "and", 3) == 0))
            return 1;
        w = e;
    }
    return 0;
}

/* Trims trailing "et al." / separators from the folded name in place. */
static void trim_name(char *s)
{
    size_t n = strlen(s);
    for (;;) {
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == ',' || s[n - 1] == ':' || s[n - 1] == ';'))
            n--;
        static const char *const tails[] = {"et al.", "et al", "et. al.", "et.al.", "et alii"};
        int cut = 0;
        if (n < 5 || (s[n - 1] != '.' && s[n - 1] != 'l' && s[n - 1] != 'i'))
            break;
        for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
            size_t tl = strlen(tails[i]);
            if (n >= tl && strncasecmp(s + n - tl, tails[i], tl) == 0 &&
                (n == tl || s[n - tl - 1] == ' ')) {
                n -= tl;
                cut = 1;
                break;
            }
        }
        if (!cut)
            break;
    }
    size_t b = 0;
    while (b < n && s[b] == ' ')
        b++;
    memmove(s, s + b, n - b);
    s[n - b] = '\0';
}

/* Bytes that make a segment need more than folding. */
static const unsigned char seg_special[256] = {
    ['('] = 1, ['\\'] = 1, ['{'] = 1, ['}'] = 1, ['~'] = 1, ['$'] = 1, ['\0'] = 1,
};

/* Separates a segment into its display name (TeX decoded, folded,
 * parentheses removed) and the text of its first parenthesised group. Both
 * are malloc'ed; *affil is NULL when there is none worth keeping. */
static void segment_clean(const char *p, size_t len, char **name /* OUT */, char **affil /* OUT */)
{
    size_t plain = 0;
    while (plain < len && !seg_special[(unsigned char)p[plain]])
        plain++;
    if (plain == len) {
        /* Nothing to decode or take apart: the common case. */
        char *folded = text_fold(p, len);
        trim_name(folded);
        *name = folded;
        *affil = NULL;
        return;
    }
    struct buf nb, ab;
    buf_init(&nb, 0);
    buf_init(&ab, 0);
    buf_append(&nb, "", 0);
    int depth = 0, groups = 0;
    for (size_t k = 0; k < len; k++) {
        char c = p[k];
        if (c == '\\' && k + 1 < len && depth == 0) {
            buf_append(&nb, p + k, 2); /* "\(" is not a parenthesis */
            k++;
            continue;
        }
        if (c == '(') {
            depth++;
            if (depth == 1) {
                groups++;
                buf_append(&nb, " ", 1);
                continue;
            }
        } else if (c == ')' && depth > 0) {
            depth--;
            if (depth == 0)
                continue;
        }
        if (depth == 0)
            buf_append(&nb, &c, 1);
        else if (groups == 1)
            buf_append(&ab, &c, 1);
    }
    char *dec = tex_to_utf8(nb.p, nb.len);
    char *folded = text_fold(dec, strlen(dec));
    trim_name(folded);
    free(dec);
    *name = folded;
    *affil = NULL;
    if (ab.len > 0) {
        char *adec = tex_to_utf8(ab.p, ab.len);
        char *afold = text_fold(adec, strlen(adec));
        free(adec);
        if (authors_is_affiliation(afold))
            *affil = afold;
        else
            free(afold);
    }
    buf_cleanup(&nb);
    buf_cleanup(&ab);
}

static int is_dropped_name(const char *s)
{
    return strcasecmp(s, "others") == 0 || strcasecmp(s, "et al") == 0 ||
           strcasecmp(s, "et al.") == 0 || strcasecmp(s, "al.") == 0 || strcasecmp(s, "al") == 0;
}

/* Do the words of the folded s look like first names written after a
 * comma: initials only ("J.", "J.-P.", "A. B."), or, when single is set,
 * one word? */
static int looks_like_forenames(const char *s, int single)
{
    size_t words = 0, initials = 0;
    const char *w = s;
    while (*w) {
        const char *e = strchr(w, ' ');
        size_t n = e ? (size_t)(e - w) : strlen(w);
        words++;
        /* An initial: letters/hyphens/dots ending in '.', at most 5 bytes,
         * or a lone capital. */
        int init =
            (n <= 5 && n >= 2 && w[n - 1] == '.') || (n == 1 && isupper((unsigned char)w[0]));
        for (size_t i = 0; init && i < n; i++)
            if (!(isalpha((unsigned char)w[i]) || w[i] == '.' || w[i] == '-'))
                init = 0;
        initials += init;
        w += n;
        while (*w == ' ')
            w++;
    }
    if (words == 0)
        return 0;
    return initials == words || (single && words == 1);
}

static size_t count_words(const char *s)
{
    size_t n = 0;
    for (const char *w = s; *w; w++)
        if (*w != ' ' && (w == s || w[-1] == ' '))
            n++;
    return n;
}

/* Is the whole list "Last, First and Last, First"-shaped? */
static int last_first_shape(const char *p, const struct span *sp, size_t n)
{
    size_t groups = 0;
    for (size_t i = 0; i < n;) {
        /* A group: spans up to one that ends in AND or END. */
        size_t j = i;
        while (j < n && sp[j].after == SEP_COMMA)
            j++;
        if (j >= n || j - i != 1)
            return 0; /* not exactly one comma in this group */
        groups++;
        i = j + 1;
    }
    int ok = groups > 0;
    for (size_t i = 0; ok && i + 1 < n; i += 2) {
        char *last, *first, *la, *fa;
        segment_clean(p + sp[i].start, sp[i].end - sp[i].start, &last, &la);
        segment_clean(p + sp[i + 1].start, sp[i + 1].end - sp[i + 1].start, &first, &fa);
        ok = last[0] && !strpbrk(last, ".$") && count_words(last) <= 3 &&
             looks_like_forenames(first, groups > 1);
        free(last);
        free(first);
        free(la);
        free(fa);
    }
    return ok;
}

size_t authors_split(struct paper *paper, const char *p, size_t len)
{
    size_t before = paper->n_authors;
    struct span *sp = NULL;
    size_t n = split_spans(p, len, &sp);
    if (last_first_shape(p, sp, n)) {
        for (size_t i = 0; i + 1 < n; i += 2) {
            char *last, *first, *la, *fa;
            segment_clean(p + sp[i].start, sp[i].end - sp[i].start, &last, &la);
            segment_clean(p + sp[i + 1].start, sp[i + 1].end - sp[i + 1].start, &first, &fa);
            size_t nl = strlen(first) + 1 + strlen(last) + 1;
            char *name = xmalloc(nl);
            memcpy(name, first, strlen(first));
            name[strlen(first)] = ' ';
            memcpy(name + strlen(first) + 1, last, strlen(last) + 1);
            paper_add_author(paper, name, last, first, NULL);
            const char *aff = fa ? fa : la;
            if (aff)
                paper->authors[paper->n_authors - 1].affiliation = xstrdup(aff);
            free(name);
            free(last);
            free(first);
            free(la);
            free(fa);
        }
        free(sp);
        return paper->n_authors - before;
    }
    for (size_t i = 0; i < n; i++) {
        char *name, *aff;
        segment_clean(p + sp[i].start, sp[i].end - sp[i].start, &name, &aff);
        size_t nl = strlen(name);
        if (nl == 0 || is_dropped_name(name)) {
            /* nothing to add */
        } else if (is_suffix_word(name, nl) && paper->n_authors > before) {
            struct paper_author *a = &paper->authors[paper->n_authors - 1];
            if (!a->suffix) {
                a->suffix = xstrdup(name);
                size_t al = strlen(a->name);
                a->name = xrealloc(a->name, al + 1 + nl + 1);
                a->name[al] = ' ';
                memcpy(a->name + al + 1, name, nl + 1);
            }
            if (aff && !a->affiliation) {
                a->affiliation = aff;
                aff = NULL;
            }
        } else {
            add_folded(paper, name, aff);
            name = NULL;
        }
        free(name);
        free(aff);
    }
    free(sp);
    return paper->n_authors - before;
}
