/*
 * dispatch.c - ingest_read(): run the reader a format needs (see reader.h).
 *
 * Kept apart from detect.c because it references every reader (oai.c and
 * atom.c included); code that only detects formats does not link them.
 */
#include "ingest/reader.h"
#include "util/err.h"

int ingest_read(enum ingest_format f, struct ingest_input *in, const struct ingest_sink *sink)
{
    switch (f) {
    case INGEST_FORMAT_KAGGLE:
        return kaggle_read(in, sink);
    case INGEST_FORMAT_HF:
        return hf_read(in, sink);
    case INGEST_FORMAT_OAI:
        return oai_read(in, sink);
    case INGEST_FORMAT_ATOM:
        return atom_read(in, sink);
    case INGEST_FORMAT_UNKNOWN:
    default:
        return ERR_UNSUPPORTED;
    }
}
