/*
 * fuzz_safetensors.c - libFuzzer target for the safetensors header scanner
 * and bounds checks (embed/safetensors.c).
 *
 * Each input is a whole file image. On success every tensor is walked: its
 * name read to the NUL, its data bytes summed (so an out-of-bounds offset
 * shows up under ASan), and safetensors_get_f32 asked for it with its own
 * shape (exercising the F16/BF16 conversion). Seeds:
 * tests/fuzz/corpus/safetensors/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embed/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct safetensors *st = NULL;
    char err[256];
    if (safetensors_parse(data, size, &st, err, sizeof err) != 0) {
        if (!memchr(err, '\0', sizeof err))
            abort();
        return 0;
    }
    unsigned sum = 0;
    for (size_t i = 0; i < safetensors_count(st); i++) {
        const struct safetensors_tensor *t = safetensors_at(st, i);
        sum += (unsigned)strlen(t->name);
        const unsigned char *b = t->data;
        for (size_t j = 0; j < t->nbytes; j++)
            sum += b[j];
        if (safetensors_find(st, t->name) == NULL)
            abort();
        const float *f;
        if (safetensors_get_f32(st, t->name, t->shape, t->ndim, &f, err, sizeof err) == 0 &&
            t->nbytes >= 2)
            sum += (unsigned)(f[0] == f[0]);
    }
    safetensors_close(st);
    return (int)(sum & 0);
}
