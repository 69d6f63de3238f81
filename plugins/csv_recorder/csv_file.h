/*
 * csv_file.h — one (type, code) output stream: the day file it currently
 * writes, and a memory buffer of whole lines not yet written.
 *
 * Whole lines only: lines are built in `buf` and written with write(2) to an
 * O_APPEND descriptor, never through stdio. A write cut short by an error
 * leaves a line in progress in the file; it is finished by the next write to
 * the same descriptor, or cut off again (ftruncate) when the file is given
 * up. A file found with a partial last line on open (kill -9 mid-write) is
 * truncated back to its last '\n'.
 */
#ifndef CSV_FILE_H
#define CSV_FILE_H

#include <stdint.h>
#include <upws/plugin.h>
#include "csv_util.h"

/* Flush as soon as a buffer holds this much. */
#define CSV_FLUSH_AT ((size_t)64 * 1024)
/* While writes fail, keep at most this much; further lines are dropped. */
#define CSV_MAX_BUFFERED ((size_t)4 * 1024 * 1024)

typedef struct csv_env {
    upws_ctx *ctx;
    const upws_host_api *api;
} csv_env;

typedef struct csv_file {
    char *path;             /* "<dir>/<type>_<code>_YYYY-MM-DD.csv" (owned) */
    size_t date_off;        /* where YYYY-MM-DD sits in path */
    const char *header;     /* borrowed from the column table */
    size_t header_len;
    int64_t day;            /* UTC day of the file; INT64_MIN before the first event */
    int fd;                 /* -1 while not open */
    uint64_t fsize;         /* bytes in the file (we are its only writer) */
    size_t tail;            /* bytes of a line in progress at the end of the file */
    int header_queued;      /* this open put the header at the front of buf */
    csv_buf buf;            /* lines not yet written; its head may continue `tail` */
    int failing;            /* an open/write failed: only the timer retries */
    int64_t last_report_ns; /* rate limit of error reports (0 = none yet) */
    uint64_t rows, drops, drops_reported;
} csv_file;

/* Set up a stream; nothing is opened yet. 0 or -1 (ENOMEM). */
int csv_file_init(csv_file *f, const char *dir, const char *type_name, const char *code,
                  const char *header, size_t header_len);

/* Finish the current day file and switch to `day` (opens it, header first
 * when new). Lines of the old day that cannot be written are dropped. */
void csv_file_set_day(csv_file *f, const csv_env *env, int64_t day);

/* Write buffered lines (opening the file if needed). 0 when all is out. */
int csv_file_flush(csv_file *f, const csv_env *env);

/* Count `n` lines that could not be buffered, reporting at most once a minute. */
void csv_file_dropped(csv_file *f, const csv_env *env, uint64_t n);

/* Flush, then close. Idempotent. Whatever cannot be written is dropped
 * (counted and logged) and a cut-off line is truncated away. */
void csv_file_close(csv_file *f, const csv_env *env);

/* csv_file_close() and release the memory. Idempotent. */
void csv_file_free(csv_file *f, const csv_env *env);

#endif
