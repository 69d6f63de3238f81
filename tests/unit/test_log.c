/* Logging: a storm of identical lines becomes one line plus "… repeated N
 * times"; JSON lines escape what they carry. stderr is captured in a file. */
#include "check.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char *slurp(FILE *f)
{
    fflush(stderr);
    long n = ftell(f);
    char *buf = calloc(1, (size_t)n + 1);
    rewind(f);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        buf[0] = 0;
    return buf;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

int main(void)
{
    FILE *cap = tmpfile();
    int saved = dup(2);
    dup2(fileno(cap), 2);
    log_set_repeat_window(200000000LL); /* 200 ms */
    for (int i = 0; i < 1000; i++)
        log_msg(UPWS_LOG_WARN, "storm", "the same fault");
    log_msg(UPWS_LOG_WARN, "other", "another source is not held back");
    struct timespec ts = {0, 250000000};
    nanosleep(&ts, NULL);
    log_flush_repeats();
    log_set_json(1);
    log_msg(UPWS_LOG_INFO, "q\"t", "line with \"quotes\" and \\ and\nnewline");
    log_set_json(0);
    char *out = slurp(cap);
    dup2(saved, 2);
    fputs(out, stderr);
    CHECK(count(out, "the same fault") == 2);  /* the first line, then the repeat notice */
    CHECK(strstr(out, "repeated 999 times: the same fault") != NULL);
    CHECK(strstr(out, "another source is not held back") != NULL);
    CHECK(strstr(out, "{\"ts\":\"") != NULL);
    CHECK(strstr(out, "\"src\":\"q\\\"t\"") != NULL);
    CHECK(strstr(out, "with \\\"quotes\\\" and \\\\ and\\u000anewline\"}") != NULL);
    free(out);
    return CHECK_DONE();
}
