/*
 * embed_batch.h - embed a batch of texts and commit their vectors: the
 * step that `paperboy embed`, serve's queue (search/vectors_upkeep.c) and
 * `paperboy eval` (BEIR corpora) share.
 */
#ifndef PAPERBOY_EMBED_EMBED_BATCH_H
#define PAPERBOY_EMBED_EMBED_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "embed/encoder.h"
#include "embed/vecstore.h"

/* Embeds texts[0..n) (lens[i] bytes each) into out (room for n *
 * ENCODER_DIM floats), appends vector i to vs for rowids[i] with the text
 * hash of texts[i], and commits (vecstore_sync). Returns 0 or the
 * encoder's or the store's error (then nothing of the batch is committed
 * by this call). */
int embed_batch_commit(struct encoder *enc, struct vecstore *vs, const char *const *texts,
                       const size_t *lens, const int64_t *rowids, size_t n, float *out);

#endif
