/*
 * embed_batch.c - one batch: encode, append with text hashes, commit (see
 * embed_batch.h).
 */
#include "embed/embed_batch.h"

int embed_batch_commit(struct encoder *enc, struct vecstore *vs, const char *const *texts,
                       const size_t *lens, const int64_t *rowids, size_t n, float *out)
{
    if (n == 0)
        return 0;
    int rc = encoder_embed(enc, texts, lens, n, out);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = vecstore_add(vs, rowids[i], vecstore_text_hash(texts[i], lens[i]),
                          out + i * ENCODER_DIM);
    if (rc == 0)
        rc = vecstore_sync(vs);
    return rc;
}
