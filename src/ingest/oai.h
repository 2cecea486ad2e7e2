/*
 * oai.h - one OAI-PMH response page, as the harvester needs it.
 *
 * oai_read() (reader.h) reads a saved response as a file; the harvester
 * needs more than the records: the resumption token to ask for the next
 * page and the protocol error, if any. oai_read_page() returns both.
 * Records in the "arXiv" and "arXivRaw" metadata formats are both read;
 * deleted records (header status="deleted") are counted, not emitted.
 */
#ifndef PAPERBOY_INGEST_OAI_H
#define PAPERBOY_INGEST_OAI_H

#include <stddef.h>

#include "ingest/reader.h"

struct oai_page {
    char *token;          /* resumptionToken text; NULL or "" when the list is complete */
    long cursor;          /* the token's cursor attribute, -1 when absent */
    long complete_size;   /* completeListSize attribute, -1 when absent */
    char *error_code;     /* OAI-PMH <error code="...">, e.g. "noRecordsMatch"; NULL if none */
    char *error_message;  /* the error element's text, or NULL */
    char *response_date;  /* <responseDate> text, or NULL */
    long records;         /* records emitted to the sink */
    long deleted;         /* records skipped because deleted */
};

void oai_page_init(struct oai_page *pg);
void oai_page_cleanup(struct oai_page *pg);

/* Reads one OAI-PMH response from in, sending records to sink, and fills
 * *pg. Returns 0 when the document was read to its end (even if it carried
 * an OAI-PMH error: see pg->error_code), ERR_PARSE when it is not
 * well-formed XML or not an OAI-PMH response, ERR_TRUNCATED when it ended
 * early; in those cases the records before the damage were still sent. */
int oai_read_page(struct ingest_input *in, const struct ingest_sink *sink, struct oai_page *pg /* OUT */);

#endif
