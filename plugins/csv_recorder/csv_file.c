/*
 * csv_file.c — see csv_file.h.
 */
#include "csv_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* At most one error report per file per minute: a full disk must not flood the log. */
#define REPORT_EVERY_NS ((int64_t)60 * 1000000000)

int csv_file_init(csv_file *f, const char *dir, const char *type_name, const char *code,
                  const char *header, size_t header_len)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->day = INT64_MIN;
    f->header = header;
    f->header_len = header_len;
    size_t dl = strlen(dir), tl = strlen(type_name), cl = strlen(code);
    int slash = dl == 0 || dir[dl - 1] != '/';
    size_t n = dl + (size_t)slash + tl + 1 + cl + 1 + sizeof "YYYY-MM-DD.csv";
    f->path = malloc(n);
    if (!f->path)
        return -1;
    int len = snprintf(f->path, n, "%s%s%s_%s_YYYY-MM-DD.csv", dir, slash ? "/" : "",
                       type_name, code);
    f->date_off = (size_t)len - (sizeof "YYYY-MM-DD.csv" - 1);
    return 0;
}

/* ---- reporting ----------------------------------------------------------- */

static void report(csv_file *f, const csv_env *env, const char *what, int err)
{
    int64_t now = csv_mono_ns();
    if (f->last_report_ns && now - f->last_report_ns < REPORT_EVERY_NS)
        return;
    f->last_report_ns = now;
    char eb[128];
    const char *why = err ? csv_strerror(err, eb, sizeof eb) : "";
    env->api->log(env->ctx, UPWS_LOG_ERROR,
                  "%s: %s%s%s (%zu bytes waiting, %llu lines dropped so far)", f->path, what,
                  err ? ": " : "", why, f->buf.len, (unsigned long long)f->drops);
    f->drops_reported = f->drops;
}

static void fail(csv_file *f, const csv_env *env, const char *what, int err)
{
    f->failing = 1;
    report(f, env, what, err);
}

void csv_file_dropped(csv_file *f, const csv_env *env, uint64_t n)
{
    f->drops += n;
    report(f, env, "cannot keep more lines in memory, dropping", 0);
}

/* ---- opening ------------------------------------------------------------- */

/* Offset just past the last '\n' of the first `size` bytes (0 when none). */
static int find_line_end(int fd, uint64_t size, uint64_t *end)
{
    char blk[4096];
    uint64_t pos = size;
    while (pos > 0) {
        size_t n = pos < sizeof blk ? (size_t)pos : sizeof blk;
        ssize_t r = pread(fd, blk, n, (off_t)(pos - n));
        if (r < 0 && errno == EINTR)
            continue;
        if (r != (ssize_t)n) {
            if (r >= 0)
                errno = EIO; /* shrank under us */
            return -1;
        }
        for (size_t i = n; i > 0; i--) {
            if (blk[i - 1] == '\n') {
                *end = pos - n + i;
                return 0;
            }
        }
        pos -= n;
    }
    *end = 0;
    return 0;
}

/* A previous run may have died mid-write: cut the file back to whole lines
 * so the next row does not get glued onto a fragment. */
static int repair_partial_line(csv_file *f, const csv_env *env, int fd, uint64_t *size)
{
    uint64_t end;
    if (find_line_end(fd, *size, &end) != 0) {
        fail(f, env, "cannot read the end of the existing file", errno);
        return -1;
    }
    if (end == *size)
        return 0;
    if (ftruncate(fd, (off_t)end) != 0) {
        fail(f, env, "cannot truncate a partial last line", errno);
        return -1;
    }
    env->api->log(env->ctx, UPWS_LOG_WARN,
                  "%s: removed a partial last line (%llu bytes) before appending", f->path,
                  (unsigned long long)(*size - end));
    *size = end;
    return 0;
}

/* Appending to a file whose columns differ (e.g. depth changed) is allowed
 * but worth a warning: losing the rows would be worse. */
static void check_header(csv_file *f, const csv_env *env, int fd, uint64_t size)
{
    char *got = malloc(f->header_len);
    if (!got)
        return;
    ssize_t r = size >= f->header_len ? pread(fd, got, f->header_len, 0) : -1;
    if (r != (ssize_t)f->header_len || memcmp(got, f->header, f->header_len) != 0)
        env->api->log(env->ctx, UPWS_LOG_WARN,
                      "%s: existing file has other columns than this configuration; "
                      "appending anyway", f->path);
    free(got);
}

/* A new (empty) file starts with the header: put it before the buffered lines. */
static int queue_header(csv_file *f)
{
    if (csv_buf_reserve(&f->buf, f->header_len) != 0)
        return -1;
    memmove(f->buf.p + f->header_len, f->buf.p, f->buf.len);
    memcpy(f->buf.p, f->header, f->header_len);
    f->buf.len += f->header_len;
    f->header_queued = 1;
    return 0;
}

static int open_file(csv_file *f, const csv_env *env)
{
    int fd = open(f->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fail(f, env, "cannot open", errno);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fail(f, env, "cannot stat", errno);
        close(fd);
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size > 0 && repair_partial_line(f, env, fd, &size) != 0) {
        close(fd);
        return -1;
    }
    if (size == 0 && queue_header(f) != 0) {
        fail(f, env, "cannot queue the header", ENOMEM);
        close(fd);
        return -1;
    }
    if (size > 0)
        check_header(f, env, fd, size);
    f->fd = fd;
    f->fsize = size;
    f->tail = 0;
    return 0;
}

/* ---- writing ------------------------------------------------------------- */

/* write(2) until all is out; 0 or the errno that stopped it. */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
    *done = 0;
    while (*done < n) {
        ssize_t w = write(fd, p + *done, n - *done);
        if (w > 0) {
            *done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        return w < 0 ? errno : EIO; /* 0 bytes for a regular file: give up, retry later */
    }
    return 0;
}

/* Track what the file now ends with, so a cut-off line can be removed later. */
static void note_written(csv_file *f, size_t done)
{
    if (done == 0)
        return;
    f->fsize += done;
    const char *p = f->buf.p;
    size_t i = done;
    while (i > 0 && p[i - 1] != '\n')
        i--;
    f->tail = i > 0 ? done - i : f->tail + done;
    if (f->fsize > f->tail)
        f->header_queued = 0; /* at least the header line is complete in the file */
}

int csv_file_flush(csv_file *f, const csv_env *env)
{
    if (f->buf.len == 0)
        return 0;
    if (f->fd < 0 && open_file(f, env) != 0)
        return -1;
    size_t done;
    int err = write_all(f->fd, f->buf.p, f->buf.len, &done);
    note_written(f, done);
    csv_buf_consume(&f->buf, done);
    if (err) {
        fail(f, env, "write failed", err);
        return -1;
    }
    f->failing = 0;
    return 0;
}

/* ---- closing ------------------------------------------------------------- */

static void drop_unwritten(csv_file *f)
{
    uint64_t lines = 0;
    for (size_t i = 0; i < f->buf.len; i++)
        lines += f->buf.p[i] == '\n';
    if (f->header_queued && f->fsize == f->tail && lines > 0)
        lines--; /* the first line still buffered is the header, not a row */
    f->drops += lines;
    f->buf.len = 0;
    f->header_queued = 0;
}

/* Remove a line that a failed write left half-written. */
static void cut_tail(csv_file *f, const csv_env *env)
{
    if (f->tail == 0)
        return;
    char eb[128];
    if (ftruncate(f->fd, (off_t)(f->fsize - f->tail)) != 0) {
        env->api->log(env->ctx, UPWS_LOG_ERROR,
                      "%s: cannot remove a partly written line (%s); it is cut off on the "
                      "next open", f->path, csv_strerror(errno, eb, sizeof eb));
        return;
    }
    env->api->log(env->ctx, UPWS_LOG_WARN, "%s: removed a partly written line (%zu bytes)",
                  f->path, f->tail);
    f->fsize -= f->tail;
    f->tail = 0;
}

void csv_file_close(csv_file *f, const csv_env *env)
{
    if (f->buf.len)
        csv_file_flush(f, env);
    if (f->buf.len)
        drop_unwritten(f);
    if (f->fd >= 0) {
        cut_tail(f, env);
        close(f->fd);
        f->fd = -1;
    }
    f->header_queued = 0;
    if (f->drops > f->drops_reported) {
        env->api->log(env->ctx, UPWS_LOG_ERROR, "%s: %llu lines were dropped", f->path,
                      (unsigned long long)f->drops);
        f->drops_reported = f->drops;
    }
}

void csv_file_set_day(csv_file *f, const csv_env *env, int64_t day)
{
    csv_file_close(f, env);
    f->day = day;
    char ds[11];
    csv_day_str(day, ds);
    memcpy(f->path + f->date_off, ds, 10);
    /* Open now so the file exists from its first event; a failure was
     * reported and the timer's flush retries. */
    open_file(f, env);
}

void csv_file_free(csv_file *f, const csv_env *env)
{
    if (!f->path)
        return;
    csv_file_close(f, env);
    csv_buf_free(&f->buf);
    free(f->path);
    f->path = NULL;
}
