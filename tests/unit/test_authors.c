/* test_authors.c - authors_split() and tex_to_utf8(). */
#include <stdlib.h>
#include <string.h>

#include "ingest/authors.h"
#include "ingest/authors_int.h"
#include "ok.h"
#include "store/paper.h"
#include "util/buf.h"

static void check_tex(const char *in, const char *want)
{
    char *got = tex_to_utf8(in, strlen(in));
    char name[200];
    snprintf(name, sizeof name, "tex: %s", in);
    ok_eq_str(got, want, name);
    free(got);
}

static void test_tex(void)
{
    check_tex("Bal\\'azs", "Balázs");
    check_tex("Bal\\'{a}zs", "Balázs");
    check_tex("Bal{\\'a}zs", "Balázs");
    check_tex("Bal{\\' a}zs", "Balázs");
    check_tex("\\`e\\^o\\\"u\\~n", "èôüñ");
    check_tex("G{\\\"o}del", "Gödel");
    check_tex("G\\\"{o}del", "Gödel");
    check_tex("Schr\\\"odinger", "Schrödinger");
    check_tex("Fran\\c{c}ois", "François");
    check_tex("Fran\\c cois", "François");
    check_tex("\\v{S}koda \\v{c}", "Škoda č");
    check_tex("Erd\\H{o}s", "Erdős");
    check_tex("Stra\\ss e", "Straße");
    check_tex("Stra{\\ss}e", "Straße");
    check_tex("M\\o ller", "Møller");
    check_tex("{\\O}stergaard", "Østergaard");
    check_tex("\\AA ngstr\\\"om", "Ångström");
    check_tex("{\\aa}", "å");
    check_tex("\\l{}ukasz \\L{}", "łukasz Ł");
    check_tex("Mart\\'{\\i}nez", "Martínez");
    check_tex("Mart\\'\\i nez", "Martínez");
    check_tex("Ba\\u{g}c{\\i}", "Bağcı");
    check_tex("C.~Yuan", "C. Yuan");
    check_tex("\\={a} \\.{z} \\k{e} \\r{u}", "ā ż ę ů");
    check_tex("\\^x", "x\xcc\x82"); /* no precomposed form: combining mark */
    check_tex("A \\& B 50\\%", "A & B 50%");
    check_tex("\\emph{Title}", "\\emph{Title}");
    check_tex("\\textbf{\\\"o}", "\\textbf{ö}");
    check_tex("{{Grouped}} text", "Grouped text");
    check_tex("$\\alpha^{2}$ and {x}", "$\\alpha^{2}$ and x");
    check_tex("stray } brace", "stray } brace");
    check_tex("unclosed {brace", "unclosed brace");
    check_tex("trailing \\", "trailing \\");
    check_tex("\\' 1 alone", "\\' 1 alone");
    check_tex("\\' a", "á"); /* an accent's argument may follow a space */
    check_tex("\\'", "\\'");
    check_tex("plain ASCII", "plain ASCII");
    check_tex("", "");
    check_tex("déjà vu", "déjà vu");
    check_tex("\\'\\'a", "\\'á");
    check_tex("Jean-Fran\\c{c}ois Ch\\`{e}ne", "Jean-François Chène");

    /* Deep braces beyond the remembered depth do not crash. */
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < 200; i++)
        buf_append(&b, "{", 1);
    buf_append(&b, "x", 1);
    for (int i = 0; i < 200; i++)
        buf_append(&b, "}", 1);
    char *deep = tex_to_utf8(b.p, b.len);
    ok(strchr(deep, 'x') != NULL, "deep braces keep the text");
    free(deep);
    buf_cleanup(&b);
}

/* Splits s and returns the names joined by "|" (caller frees). */
static char *names_of(struct paper *p)
{
    struct buf b;
    buf_init(&b, 0);
    buf_append(&b, "", 0);
    for (size_t i = 0; i < p->n_authors; i++) {
        if (i)
            buf_append(&b, "|", 1);
        buf_append_str(&b, p->authors[i].name);
    }
    return buf_steal(&b);
}

static void check_split(const char *in, size_t want_n, const char *want)
{
    struct paper p;
    paper_init(&p);
    size_t n = authors_split(&p, in, strlen(in));
    char *got = names_of(&p);
    char name[300];
    snprintf(name, sizeof name, "split: %s", in);
    for (char *c = name; *c; c++)
        if (*c == '\n')
            *c = ' ';
    ok_eq_str(got, want, name);
    ok_eq_int(n, want_n, "  count");
    free(got);
    paper_cleanup(&p);
}

static void test_split(void)
{
    check_split("C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan", 4,
                "C. Balázs|E. L. Berger|P. M. Nadolsky|C.-P. Yuan");
    check_split("Salman Habib and Robert D. Ryne", 2, "Salman Habib|Robert D. Ryne");
    check_split("A. One, B. Two and C. Three", 3, "A. One|B. Two|C. Three");
    check_split("A. One, B. Two, and C. Three", 3, "A. One|B. Two|C. Three");
    check_split("A. One; B. Two & C. Three", 3, "A. One|B. Two|C. Three");
    check_split("A. One (MIT), B. Two (1), C. Three ((1) CERN)", 3, "A. One|B. Two|C. Three");
    check_split("A. One (Univ. X, Dept. Y), B. Two", 2, "A. One|B. Two");
    check_split("A. One, B. Two, et al", 2, "A. One|B. Two");
    check_split("A. One, B. Two et al.", 2, "A. One|B. Two");
    check_split("A. One and others", 1, "A. One");
    check_split("John Smith, Jr., Jane Doe", 2, "John Smith Jr.|Jane Doe");
    check_split("", 0, "");
    check_split("  ,  , and ", 0, "");
    check_split("Alexander Andrews and Sandra Anderson", 2, "Alexander Andrews|Sandra Anderson");
    check_split("A. One\n  and B. Two", 2, "A. One|B. Two");
    check_split("C.~Yuan and D.\\ Two", 2, "C. Yuan|D. Two");
    check_split("{\\O}. Grøn, M. M{\\o}ller", 2, "Ø. Grøn|M. Møller");
    check_split("Smith, J. and Doe, A. B.", 2, "J. Smith|A. B. Doe");
    check_split("Einstein, Podolsky and Rosen", 3, "Einstein|Podolsky|Rosen");
    check_split("A. One (MIT", 1, "A. One");
    check_split("A. One) B. Two", 1, "A. One) B. Two");
    check_split("The ATLAS Collaboration", 1, "The ATLAS Collaboration");
    check_split("CLEO Collaboration: M. Artuso, T. K. Pedlar", 3,
                "CLEO Collaboration|M. Artuso|T. K. Pedlar");
    check_split("A. Mishchenko (1 and 2) and N. Nagaosa (1 and 3) ((1) CREST, Japan, (2) RRC)", 2,
                "A. Mishchenko|N. Nagaosa");
    check_split("\\", 1, "\\");
    check_split("a, \\", 2, "a|\\");
    check_split("A $x, y$ Name, B", 2, "A $x, y$ Name|B");

    /* Parts and affiliations. */
    struct paper p;
    paper_init(&p);
    const char *s = "Ludwig van Beethoven (Bonn), Juan de la Cruz (1), Martin Luther King Jr., "
                    "Madonna, C.-P. Yuan";
    authors_split(&p, s, strlen(s));
    ok_eq_int(p.n_authors, 5, "parts: count");
    if (p.n_authors == 5) {
        ok_eq_str(p.authors[0].last, "van Beethoven", "particle joins last name");
        ok_eq_str(p.authors[0].first, "Ludwig", "first name");
        ok_eq_str(p.authors[0].affiliation, "Bonn", "affiliation kept");
        ok_eq_str(p.authors[1].last, "de la Cruz", "two particles");
        ok_eq_str(p.authors[1].affiliation, NULL, "reference mark is not an affiliation");
        ok_eq_str(p.authors[2].last, "King", "suffix split off");
        ok_eq_str(p.authors[2].suffix, "Jr.", "suffix");
        ok_eq_str(p.authors[2].first, "Martin Luther", "two first names");
        ok_eq_str(p.authors[3].last, "Madonna", "single name is last");
        ok_eq_str(p.authors[3].first, NULL, "single name has no first");
        ok_eq_str(p.authors[4].last, "Yuan", "hyphenated initials: last");
        ok_eq_str(p.authors[4].first, "C.-P.", "hyphenated initials: first");
    }
    paper_cleanup(&p);

    paper_init(&p);
    s = "Smith, J. R. (MIT) and Doe, A.";
    authors_split(&p, s, strlen(s));
    ok_eq_int(p.n_authors, 2, "last-first: count");
    if (p.n_authors == 2) {
        ok_eq_str(p.authors[0].last, "Smith", "last-first: last");
        ok_eq_str(p.authors[0].first, "J. R.", "last-first: first");
        ok_eq_str(p.authors[0].affiliation, "MIT", "last-first: affiliation");
        ok_eq_str(p.authors[1].name, "A. Doe", "last-first: name");
    }
    paper_cleanup(&p);

    /* authors_split appends to what is there and counts only its own. */
    paper_init(&p);
    paper_add_author(&p, "Pre Existing", "Existing", "Pre", NULL);
    ok_eq_int(authors_split(&p, "A. One, Jr.", 11), 1, "append: count of new");
    ok_eq_str(p.authors[1].name, "A. One Jr.", "append: suffix goes to own author");
    ok_eq_str(p.authors[0].suffix, NULL, "append: earlier author untouched");
    ok_eq_int(authors_split(&p, "Jr.", 3), 1, "a lone suffix with no author of its own is a name");
    paper_cleanup(&p);

    paper_init(&p);
    authors_add_name(&p, "  Zesen   Cheng ", 16, NULL);
    ok_eq_str(p.authors[0].name, "Zesen Cheng", "add_name folds");
    ok_eq_str(p.authors[0].last, "Cheng", "add_name last");
    authors_add_name(&p, "A.N.Aleshaev", 12, NULL);
    ok_eq_str(p.authors[1].last, "Aleshaev", "glued initials: last");
    ok_eq_str(p.authors[1].first, "A.N.", "glued initials: first");
    ok_eq_str(p.authors[1].name, "A.N.Aleshaev", "glued initials: name as written");
    authors_add_name(&p, "N.d'Ambrumenil", 14, NULL);
    ok_eq_str(p.authors[2].last, "d'Ambrumenil", "glued initials: particle-like last");
    authors_add_name(&p, "Ivan J.-P.Dupont", 16, NULL);
    ok_eq_str(p.authors[3].first, "Ivan J.-P.", "glued initials after a first name");
    authors_add_name(&p, "Jean Dupont.", 12, NULL);
    ok_eq_str(p.authors[4].last, "Dupont.", "a trailing dot is not a glued initial");
    authors_add_name(&p, "   ", 3, NULL);
    ok_eq_int(p.n_authors, 5, "add_name skips blank");
    paper_cleanup(&p);

    ok(authors_is_affiliation("CERN"), "affiliation: word");
    ok(!authors_is_affiliation("1, 2"), "affiliation: numbers");
    ok(!authors_is_affiliation("1 and 3"), "affiliation: refs with and");
    ok(!authors_is_affiliation("a"), "affiliation: letter mark");
}

int main(void)
{
    test_tex();
    test_split();
    return ok_done();
}
