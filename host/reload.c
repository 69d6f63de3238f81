/* reload.c — see reload.h. */
#include "reload.h"
#include "log.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* A build writes a .so in several steps; wait for this much quiet. */
#define QUIET_NS 150000000LL

typedef struct followed {
    char *path;        /* as given */
    char *dir, *base;
    int wd;
    int elf;
    int64_t changed_ns;  /* monotonic time of the last event; 0 = no pending change */
    int stale;           /* not in the set being built (reload_begin_set) */
} followed;

static int rl_fd = -1;
static followed *rl_files;
static size_t rl_n;

int reload_init(void)
{
    if (rl_fd >= 0)
        return 0;
    rl_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (rl_fd < 0) {
        log_error("reload: inotify unavailable (%s); files are not watched", strerror(errno));
        return -1;
    }
    return 0;
}

void reload_clear(void)
{
    for (size_t i = 0; i < rl_n; i++) {
        if (rl_fd >= 0 && rl_files[i].wd >= 0)
            inotify_rm_watch(rl_fd, rl_files[i].wd);
        free(rl_files[i].path);
        free(rl_files[i].dir);
        free(rl_files[i].base);
    }
    free(rl_files);
    rl_files = NULL;
    rl_n = 0;
}

void reload_shutdown(void)
{
    reload_clear();
    if (rl_fd >= 0)
        close(rl_fd);
    rl_fd = -1;
}

static void drain(void);

void reload_begin_set(void)
{
    drain();  /* events already queued are noted against the current set */
    for (size_t i = 0; i < rl_n; i++)
        rl_files[i].stale = 1;
}

/* Drops what the new set left out. A directory watch is shared by every
 * file in that directory (one inotify watch per inode), so it goes only
 * with the last of them. */
void reload_end_set(void)
{
    size_t kept = 0;
    for (size_t i = 0; i < rl_n; i++) {
        followed *f = &rl_files[i];
        if (!f->stale) {
            rl_files[kept++] = *f;
            continue;
        }
        int shared = 0;
        for (size_t j = 0; j < rl_n; j++)
            shared |= !rl_files[j].stale && rl_files[j].wd == f->wd;
        if (rl_fd >= 0 && f->wd >= 0 && !shared)
            inotify_rm_watch(rl_fd, f->wd);
        free(f->path);
        free(f->dir);
        free(f->base);
    }
    rl_n = kept;
}

void reload_watch(const char *path, int elf)
{
    if (rl_fd < 0)
        return;
    for (size_t i = 0; i < rl_n; i++) {
        if (strcmp(rl_files[i].path, path) == 0) {
            rl_files[i].stale = 0;  /* still followed: a change not yet reported stays pending */
            return;
        }
    }
    rl_files = xrealloc(rl_files, (rl_n + 1) * sizeof *rl_files);
    followed *f = &rl_files[rl_n++];
    memset(f, 0, sizeof *f);
    f->path = xstrdup(path);
    const char *slash = strrchr(path, '/');
    f->dir = slash ? xstrdup(path) : xstrdup(".");
    if (slash)
        f->dir[slash - path ? slash - path : 1] = 0;
    f->base = xstrdup(slash ? slash + 1 : path);
    f->elf = elf;
    /* Watch the directory: a rename over the file replaces its inode. */
    f->wd = inotify_add_watch(rl_fd, f->dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_ATTRIB);
    if (f->wd < 0)
        log_warn("reload: cannot watch %s: %s", f->dir, strerror(errno));
}

static void note_event(const struct inotify_event *ev)
{
    for (size_t i = 0; i < rl_n; i++)
        if (rl_files[i].wd == ev->wd && ev->len && strcmp(rl_files[i].base, ev->name) == 0)
            rl_files[i].changed_ns = util_mono_ns();
}

static void drain(void)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(rl_fd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            note_event(ev);
            p += sizeof *ev + ev->len;
        }
    }
}

/* A complete ELF: the header is there and the section table it names lies
 * inside the file (a linker writes that table last). */
static int elf_complete(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf64_Ehdr h;
    struct stat st;
    int ok = read(fd, &h, sizeof h) == (ssize_t)sizeof h && fstat(fd, &st) == 0 &&
             memcmp(h.e_ident, ELFMAG, SELFMAG) == 0 && h.e_ident[EI_CLASS] == ELFCLASS64 &&
             (uint64_t)h.e_shoff + (uint64_t)h.e_shnum * h.e_shentsize <= (uint64_t)st.st_size;
    close(fd);
    return ok;
}

void reload_poll(void (*fn)(const char *path, void *arg), void *arg)
{
    if (rl_fd < 0)
        return;
    drain();
    int64_t now = util_mono_ns();
    for (size_t i = 0; i < rl_n; i++) {
        followed *f = &rl_files[i];
        if (!f->changed_ns || now - f->changed_ns < QUIET_NS)
            continue;
        if (f->elf && !elf_complete(f->path)) {
            f->changed_ns = now;  /* still being written (or broken): look again later */
            continue;
        }
        f->changed_ns = 0;
        char *path = xstrdup(f->path);  /* fn may reset the followed set */
        fn(path, arg);
        free(path);
        if (i >= rl_n)
            break;
    }
}
