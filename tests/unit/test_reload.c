/* test_reload.c — the followed set of reload.c survives being rebuilt: a
 * change noticed before the rebuild is still reported after it, a file left
 * out is no longer reported, and dropping one file keeps watching another
 * in the same directory (they share one inotify watch). */
#include "check.h"
#include "reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEEN 8

static char seen[MAX_SEEN][512];
static int n_seen;

static void on_change(const char *path, void *arg)
{
    (void)arg;
    if (n_seen < MAX_SEEN)
        snprintf(seen[n_seen++], sizeof seen[0], "%s", path);
}

static void touch(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls for up to 1 s (changes are reported after 150 ms of quiet). */
static int reported(const char *path)
{
    for (int i = 0; i < 50; i++) {
        reload_poll(on_change, NULL);
        for (int j = 0; j < n_seen; j++)
            if (strcmp(seen[j], path) == 0)
                return 1;
        sleep_ms(20);
    }
    return 0;
}

static void rebuild(const char *const *paths, int n)
{
    reload_begin_set();
    for (int i = 0; i < n; i++)
        reload_watch(paths[i], 0);
    reload_end_set();
}

int main(void)
{
    char dir[] = "/tmp/upws-test-reload-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/a.yaml", dir);
    snprintf(b, sizeof b, "%s/b.yaml", dir);
    touch(a, "1");
    touch(b, "1");
    CHECK(reload_init() == 0);
    const char *both[] = {a, b}, *only_b[] = {b};
    rebuild(both, 2);

    /* A change lands, then the set is rebuilt before it was reported. */
    touch(a, "2");
    sleep_ms(20);
    rebuild(both, 2);
    CHECK(reported(a));

    /* A file left out of the set is not reported; its neighbour still is. */
    n_seen = 0;
    rebuild(only_b, 1);
    touch(a, "3");
    touch(b, "3");
    CHECK(reported(b));
    int a_seen = 0;
    for (int j = 0; j < n_seen; j++)
        a_seen |= strcmp(seen[j], a) == 0;
    CHECK(!a_seen);

    /* Following it again works. */
    n_seen = 0;
    rebuild(both, 2);
    touch(a, "4");
    CHECK(reported(a));

    reload_shutdown();
    unlink(a);
    unlink(b);
    rmdir(dir);
    return CHECK_DONE();
}
