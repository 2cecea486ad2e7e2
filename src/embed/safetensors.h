/*
 * safetensors.h - a strict reader of the safetensors weight format.
 *
 * File layout (https://github.com/huggingface/safetensors, "Format"):
 *
 *   u64 little-endian N | N bytes of UTF-8 JSON header | data bytes
 *
 * The header is one JSON object: each key is a tensor name whose value is
 * {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}
 * with offsets relative to the start of the data bytes; the optional key
 * "__metadata__" maps strings to strings. We map the whole file read-only
 * (mmap) and hand out pointers into it, so loading the 90 MB encoder costs
 * no copy when the tensors are F32 and 4-byte aligned (they are in the
 * shipped file); F16 and BF16 tensors, or misaligned ones, are converted to
 * an F32 copy owned by the struct safetensors.
 *
 * Every input is checked: the header length against the file size and a
 * 100 MB cap, the JSON by a small strict scanner (safetensors.c explains
 * why not cJSON), each tensor's offsets against the data size and its byte
 * count against dtype x shape.
 */
#ifndef PAPERBOY_EMBED_SAFETENSORS_H
#define PAPERBOY_EMBED_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define SAFETENSORS_MAX_DIMS 8
#define SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)
#define SAFETENSORS_MAX_TENSORS 4096

enum safetensors_dtype {
    SAFETENSORS_F32 = 1,
    SAFETENSORS_F16,
    SAFETENSORS_BF16,
    SAFETENSORS_F64,
    SAFETENSORS_I64,
    SAFETENSORS_I32,
    SAFETENSORS_I16,
    SAFETENSORS_I8,
    SAFETENSORS_U8,
    SAFETENSORS_BOOL
};

/* One tensor as the header describes it. Pointers are owned by the struct
 * safetensors they came from and live until safetensors_close(). */
struct safetensors_tensor {
    const char *name; /* NUL-terminated */
    enum safetensors_dtype dtype;
    size_t ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    const void *data; /* points into the mapping */
    size_t nbytes;
};

struct safetensors;

/* Maps the file at path and parses its header. On failure writes a
 * one-line reason to err (errlen bytes, may be 0) and returns ERR_IO (cannot
 * open or map), ERR_TRUNCATED (file shorter than its header or data say),
 * ERR_TOO_LARGE (header over the cap) or ERR_PARSE (bad header). The caller
 * frees the result with safetensors_close(). */
int safetensors_open(const char *path, struct safetensors **out /* OUT */, char *err,
                     size_t errlen);

/* Parses an in-memory image (borrowed: it must outlive the result; used by
 * tests and the fuzzer). Same checks and errors as safetensors_open(). */
int safetensors_parse(const void *p, size_t len, struct safetensors **out /* OUT */, char *err,
                      size_t errlen);

/* Unmaps the file and frees every conversion; NULL does nothing. */
void safetensors_close(struct safetensors *st);

/* Number of tensors and the i-th one (header order). */
size_t safetensors_count(const struct safetensors *st);
const struct safetensors_tensor *safetensors_at(const struct safetensors *st, size_t i);
/* The tensor called name, or NULL. */
const struct safetensors_tensor *safetensors_find(const struct safetensors *st, const char *name);

/* Looks up tensor name and checks that its shape is exactly shape[0..ndim)
 * and its dtype a float type (F32, F16, BF16). Writes a pointer to F32
 * values (into the mapping, or a converted copy owned by st) to *data.
 * ERR_NOT_FOUND when the tensor is missing, ERR_CORRUPT when its shape or
 * dtype differs; err then says which tensor and what was expected vs found. */
int safetensors_get_f32(struct safetensors *st, const char *name, const int64_t *shape, size_t ndim,
                        const float **data /* OUT */, char *err, size_t errlen);

/* The dtype's name as the format spells it ("F32"). */
const char *safetensors_dtype_name(enum safetensors_dtype d);

#endif
