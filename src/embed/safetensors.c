/*
 * safetensors.c - strict safetensors reader (see safetensors.h).
 *
 * Why a purpose-built scanner and not cJSON: the project keeps JSON parsing
 * behind ingest/ (STYLE rule 15), and this header is not general JSON from
 * the outside world but a fixed, tiny grammar inside a binary format: an
 * object of objects whose members are a string, an array of non-negative
 * integers and an array of two integers. A scanner that accepts exactly that
 * (plus a string-to-string "__metadata__" object) is ~200 lines, rejects
 * anything else up front, never builds a DOM, and is easy to fuzz
 * (tests/fuzz/fuzz_safetensors.c). Strings are kept raw: a tensor name with
 * escapes simply does not match the names the encoder asks for.
 */
#include "embed/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/mem.h"

struct safetensors {
    const unsigned char *base; /* the whole file image */
    size_t size;
    int mapped;                /* base came from mmap (unmap at close) */
    const unsigned char *data; /* base + 8 + header length */
    size_t data_len;
    struct safetensors_tensor *t;
    size_t n;
    char *names;  /* all names, NUL-separated */
    float **conv; /* F32 copies made by safetensors_get_f32 */
    size_t n_conv;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const struct {
    const char *name;
    enum safetensors_dtype d;
    size_t size;
} dtypes[] = {
    {"F32", SAFETENSORS_F32, 4},   {"F16", SAFETENSORS_F16, 2}, {"BF16", SAFETENSORS_BF16, 2},
    {"F64", SAFETENSORS_F64, 8},   {"I64", SAFETENSORS_I64, 8}, {"I32", SAFETENSORS_I32, 4},
    {"I16", SAFETENSORS_I16, 2},   {"I8", SAFETENSORS_I8, 1},   {"U8", SAFETENSORS_U8, 1},
    {"BOOL", SAFETENSORS_BOOL, 1},
};

const char *safetensors_dtype_name(enum safetensors_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].d == d)
            return dtypes[i].name;
    return "?";
}

static size_t dtype_size(enum safetensors_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].d == d)
            return dtypes[i].size;
    return 0;
}

/* ---------------------------------------------------------------------
 * The header scanner
 * ------------------------------------------------------------------- */

struct scan {
    const char *p, *end;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int expect(struct scan *s, char c)
{
    skip_ws(s);
    if (s->p >= s->end || *s->p != c)
        return ERR_PARSE;
    s->p++;
    return 0;
}

static int peek(struct scan *s, char c)
{
    skip_ws(s);
    return s->p < s->end && *s->p == c;
}

/* A JSON string; *str and *len get its raw bytes between the quotes. Escapes
 * are validated for shape but not decoded; control bytes are refused. */
static int scan_string(struct scan *s, const char **str, size_t *len)
{
    if (expect(s, '"'))
        return ERR_PARSE;
    const char *start = s->p;
    while (s->p < s->end && *s->p != '"') {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20)
            return ERR_PARSE;
        if (c == '\\') {
            s->p++;
            if (s->p >= s->end)
                return ERR_PARSE;
            if (*s->p == 'u') {
                for (int i = 0; i < 4; i++) {
                    s->p++;
                    if (s->p >= s->end ||
                        !((*s->p >= '0' && *s->p <= '9') || (*s->p >= 'a' && *s->p <= 'f') ||
                          (*s->p >= 'A' && *s->p <= 'F')))
                        return ERR_PARSE;
                }
            } else if (!strchr("\"\\/bfnrt", *s->p)) {
                return ERR_PARSE;
            }
        }
        s->p++;
    }
    if (s->p >= s->end)
        return ERR_PARSE;
    *str = start;
    *len = (size_t)(s->p - start);
    s->p++;
    return 0;
}

/* A non-negative integer below 2^53 (no sign, fraction or exponent). */
static int scan_uint(struct scan *s, uint64_t *v)
{
    skip_ws(s);
    if (s->p >= s->end || *s->p < '0' || *s->p > '9')
        return ERR_PARSE;
    if (*s->p == '0' && s->p + 1 < s->end && s->p[1] >= '0' && s->p[1] <= '9')
        return ERR_PARSE; /* leading zero */
    uint64_t x = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        x = x * 10 + (uint64_t)(*s->p - '0');
        if (x >= (1ull << 53))
            return ERR_TOO_LARGE;
        s->p++;
    }
    *v = x;
    return 0;
}

/* "[u, u, ...]" into v (at most cap values). */
static int scan_uint_array(struct scan *s, uint64_t *v, size_t cap, size_t *n)
{
    int rc = expect(s, '[');
    size_t k = 0;
    if (rc == 0 && peek(s, ']')) {
        s->p++;
        *n = 0;
        return 0;
    }
    while (rc == 0) {
        if (k == cap)
            return ERR_TOO_LARGE;
        rc = scan_uint(s, &v[k++]);
        if (rc == 0 && peek(s, ',')) {
            s->p++;
            continue;
        }
        if (rc == 0)
            rc = expect(s, ']');
        break;
    }
    if (rc == 0)
        *n = k;
    return rc;
}

static int raw_eq(const char *p, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(p, lit, len) == 0;
}

/* The "__metadata__" value: an object of string to string. */
static int scan_metadata(struct scan *s)
{
    const char *k, *v;
    size_t kl, vl;
    int rc = expect(s, '{');
    if (rc == 0 && peek(s, '}')) {
        s->p++;
        return 0;
    }
    while (rc == 0) {
        rc = scan_string(s, &k, &kl);
        if (rc == 0)
            rc = expect(s, ':');
        if (rc == 0)
            rc = scan_string(s, &v, &vl);
        if (rc == 0 && peek(s, ',')) {
            s->p++;
            continue;
        }
        if (rc == 0)
            rc = expect(s, '}');
        break;
    }
    return rc;
}

/* One tensor's description object. The three members may come in any
 * order; each must appear exactly once and nothing else may. */
static int scan_tensor(struct scan *s, struct safetensors_tensor *t, uint64_t off[2], char *err,
                       size_t errlen, const char *name)
{
    int have_dtype = 0, have_shape = 0, have_off = 0;
    int rc = expect(s, '{');
    while (rc == 0) {
        const char *k;
        size_t kl;
        rc = scan_string(s, &k, &kl);
        if (rc == 0)
            rc = expect(s, ':');
        if (rc)
            break;
        if (raw_eq(k, kl, "dtype") && !have_dtype) {
            const char *v;
            size_t vl;
            rc = scan_string(s, &v, &vl);
            if (rc)
                break;
            t->dtype = 0;
            for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
                if (raw_eq(v, vl, dtypes[i].name))
                    t->dtype = dtypes[i].d;
            if (!t->dtype) {
                seterr(err, errlen, "tensor %s: unsupported dtype \"%.*s\"", name,
                       (int)(vl > 16 ? 16 : vl), v);
                return ERR_UNSUPPORTED;
            }
            have_dtype = 1;
        } else if (raw_eq(k, kl, "shape") && !have_shape) {
            uint64_t dims[SAFETENSORS_MAX_DIMS];
            size_t nd;
            rc = scan_uint_array(s, dims, SAFETENSORS_MAX_DIMS, &nd);
            if (rc)
                break;
            t->ndim = nd;
            for (size_t i = 0; i < nd; i++)
                t->shape[i] = (int64_t)dims[i];
            have_shape = 1;
        } else if (raw_eq(k, kl, "data_offsets") && !have_off) {
            size_t nd;
            rc = scan_uint_array(s, off, 2, &nd);
            if (rc == 0 && nd != 2)
                rc = ERR_PARSE;
            if (rc)
                break;
            have_off = 1;
        } else {
            seterr(err, errlen, "tensor %s: unexpected or repeated member \"%.*s\"", name,
                   (int)(kl > 32 ? 32 : kl), k);
            return ERR_PARSE;
        }
        if (peek(s, ',')) {
            s->p++;
            continue;
        }
        rc = expect(s, '}');
        break;
    }
    if (rc == 0 && !(have_dtype && have_shape && have_off)) {
        seterr(err, errlen, "tensor %s: dtype, shape or data_offsets missing", name);
        return ERR_PARSE;
    }
    if (rc)
        seterr(err, errlen, "tensor %s: malformed description", name);
    return rc;
}

static void st_free(struct safetensors *st)
{
    if (!st)
        return;
    if (st->mapped && st->base)
        munmap((void *)st->base, st->size);
    for (size_t i = 0; i < st->n_conv; i++)
        free(st->conv[i]);
    free(st->conv);
    free(st->t);
    free(st->names);
    free(st);
}

static int parse_image(struct safetensors *st, char *err, size_t errlen)
{
    if (st->size < 8) {
        seterr(err, errlen, "file is %zu bytes, shorter than the 8-byte header length", st->size);
        return ERR_TRUNCATED;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | st->base[i];
    if (hlen > SAFETENSORS_MAX_HEADER) {
        seterr(err, errlen, "header length %llu is over the %u-byte cap", (unsigned long long)hlen,
               SAFETENSORS_MAX_HEADER);
        return ERR_TOO_LARGE;
    }
    if (hlen > st->size - 8) {
        seterr(err, errlen, "header says %llu bytes but the file has %zu after the length",
               (unsigned long long)hlen, st->size - 8);
        return ERR_TRUNCATED;
    }
    st->data = st->base + 8 + hlen;
    st->data_len = st->size - 8 - (size_t)hlen;

    struct scan s = {(const char *)st->base + 8, (const char *)st->base + 8 + hlen};
    /* Names are copied NUL-terminated into one block: at most hlen bytes. */
    st->names = xmalloc((size_t)hlen + 1);
    size_t names_used = 0, cap = 0;
    int rc = expect(&s, '{');
    if (rc == 0 && peek(&s, '}')) {
        s.p++;
        goto tail;
    }
    while (rc == 0) {
        const char *k;
        size_t kl;
        rc = scan_string(&s, &k, &kl);
        if (rc == 0)
            rc = expect(&s, ':');
        if (rc)
            break;
        if (raw_eq(k, kl, "__metadata__")) {
            rc = scan_metadata(&s);
            if (rc) {
                seterr(err, errlen, "malformed __metadata__");
                return rc;
            }
        } else {
            if (st->n == SAFETENSORS_MAX_TENSORS) {
                seterr(err, errlen, "more than %d tensors", SAFETENSORS_MAX_TENSORS);
                return ERR_TOO_LARGE;
            }
            if (st->n == cap) {
                cap = cap ? cap * 2 : 64;
                st->t = xrealloc(st->t, cap * sizeof *st->t);
            }
            char *name = st->names + names_used;
            memcpy(name, k, kl);
            name[kl] = '\0';
            names_used += kl + 1;
            struct safetensors_tensor *t = &st->t[st->n];
            memset(t, 0, sizeof *t);
            t->name = name;
            uint64_t off[2];
            rc = scan_tensor(&s, t, off, err, errlen, name);
            if (rc)
                return rc;
            /* bytes = prod(shape) * size, checked for overflow */
            uint64_t count = 1;
            for (size_t i = 0; i < t->ndim; i++) {
                uint64_t d = (uint64_t)t->shape[i];
                if (d && count > UINT64_MAX / 8 / d) {
                    seterr(err, errlen, "tensor %s: shape too large", name);
                    return ERR_TOO_LARGE;
                }
                count *= d;
            }
            uint64_t bytes = count * dtype_size(t->dtype);
            if (off[0] > off[1] || off[1] > st->data_len) {
                seterr(err, errlen,
                       "tensor %s: data_offsets [%llu, %llu] outside the %zu data bytes "
                       "(truncated file?)",
                       name, (unsigned long long)off[0], (unsigned long long)off[1], st->data_len);
                return ERR_TRUNCATED;
            }
            if (off[1] - off[0] != bytes) {
                seterr(err, errlen, "tensor %s: %llu data bytes but dtype %s x shape needs %llu",
                       name, (unsigned long long)(off[1] - off[0]),
                       safetensors_dtype_name(t->dtype), (unsigned long long)bytes);
                return ERR_CORRUPT;
            }
            t->data = st->data + off[0];
            t->nbytes = (size_t)bytes;
            for (size_t i = 0; i < st->n; i++)
                if (strcmp(st->t[i].name, name) == 0) {
                    seterr(err, errlen, "tensor %s appears twice", name);
                    return ERR_PARSE;
                }
            st->n++;
        }
        if (peek(&s, ',')) {
            s.p++;
            continue;
        }
        rc = expect(&s, '}');
        break;
    }
tail:
    if (rc == 0) {
        /* Only whitespace (the format pads with spaces) may follow. */
        skip_ws(&s);
        if (s.p != s.end)
            rc = ERR_PARSE;
    }
    if (rc)
        seterr(err, errlen, "malformed JSON header near byte %zu",
               (size_t)(s.p - (const char *)st->base));
    return rc;
}

int safetensors_parse(const void *p, size_t len, struct safetensors **out, char *err, size_t errlen)
{
    struct safetensors *st = xcalloc(1, sizeof *st);
    st->base = p;
    st->size = len;
    int rc = parse_image(st, err, errlen);
    if (rc) {
        st_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

int safetensors_open(const char *path, struct safetensors **out, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        seterr(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        seterr(err, errlen, "%s is not a regular file", path);
        close(fd);
        return ERR_IO;
    }
    struct safetensors *st = xcalloc(1, sizeof *st);
    st->size = (size_t)sb.st_size;
    if (st->size) {
        void *m = mmap(NULL, st->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            seterr(err, errlen, "cannot map %s: %s", path, strerror(errno));
            close(fd);
            free(st);
            return ERR_IO;
        }
        st->base = m;
        st->mapped = 1;
    }
    close(fd);
    int rc = parse_image(st, err, errlen);
    if (rc) {
        st_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

void safetensors_close(struct safetensors *st)
{
    st_free(st);
}

size_t safetensors_count(const struct safetensors *st)
{
    return st->n;
}

const struct safetensors_tensor *safetensors_at(const struct safetensors *st, size_t i)
{
    return i < st->n ? &st->t[i] : NULL;
}

const struct safetensors_tensor *safetensors_find(const struct safetensors *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->t[i].name, name) == 0)
            return &st->t[i];
    return NULL;
}

static void shape_str(char *b, size_t blen, const int64_t *shape, size_t ndim)
{
    size_t o = 0;
    o += (size_t)snprintf(b + o, blen - o, "[");
    for (size_t i = 0; i < ndim && o < blen; i++)
        o += (size_t)snprintf(b + o, blen - o, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (o < blen)
        snprintf(b + o, blen - o, "]");
}

/* IEEE half to float, subnormals and specials included. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int safetensors_get_f32(struct safetensors *st, const char *name, const int64_t *shape, size_t ndim,
                        const float **data, char *err, size_t errlen)
{
    const struct safetensors_tensor *t = safetensors_find(st, name);
    if (!t) {
        seterr(err, errlen, "tensor %s is missing", name);
        return ERR_NOT_FOUND;
    }
    int same = t->ndim == ndim;
    for (size_t i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        char want[96], got[96];
        shape_str(want, sizeof want, shape, ndim);
        shape_str(got, sizeof got, t->shape, t->ndim);
        seterr(err, errlen, "tensor %s: expected shape %s, found %s", name, want, got);
        return ERR_CORRUPT;
    }
    if (t->dtype != SAFETENSORS_F32 && t->dtype != SAFETENSORS_F16 &&
        t->dtype != SAFETENSORS_BF16) {
        seterr(err, errlen, "tensor %s: expected dtype F32 (or F16/BF16), found %s", name,
               safetensors_dtype_name(t->dtype));
        return ERR_CORRUPT;
    }
    if (t->dtype == SAFETENSORS_F32 && ((uintptr_t)t->data & 3) == 0) {
        *data = t->data;
        return 0;
    }
    size_t n = t->nbytes / dtype_size(t->dtype);
    float *f = xmalloc(n * sizeof *f);
    const unsigned char *b = t->data;
    for (size_t i = 0; i < n; i++) {
        if (t->dtype == SAFETENSORS_F32) {
            memcpy(&f[i], b + 4 * i, 4);
        } else {
            uint16_t h = (uint16_t)(b[2 * i] | (b[2 * i + 1] << 8));
            if (t->dtype == SAFETENSORS_F16) {
                f[i] = half_to_float(h);
            } else {
                uint32_t bits = (uint32_t)h << 16;
                memcpy(&f[i], &bits, 4);
            }
        }
    }
    st->conv = xrealloc(st->conv, (st->n_conv + 1) * sizeof *st->conv);
    st->conv[st->n_conv++] = f;
    *data = f;
    return 0;
}
