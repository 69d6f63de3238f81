/*
 * reload.h — following files on disk for hot reload (inotify).
 *
 * The host watches each loaded plugin file and the config file (with
 * `reload: watch`). Watches are on the directories, so a file replaced by
 * rename is seen as well as one rewritten in place. A change is reported
 * once the file has been quiet for a short while and, for a plugin, once it
 * is a complete ELF image — never while a build is still writing it.
 * Thread: loop only. Non-blocking: reload_poll() is called from a timer.
 */
#ifndef UPWS_RELOAD_H
#define UPWS_RELOAD_H

int reload_init(void);      /* 0, or -1 (inotify unavailable; logged) */
void reload_shutdown(void);
/* Replacing the followed set: reload_begin_set(), reload_watch() for each
 * file of the new set, reload_end_set(). A file in both sets keeps its
 * watch and any change noticed but not yet reported (rebuilding the set
 * from scratch lost a config edit that landed just before a plugin
 * started). */
void reload_begin_set(void);
void reload_end_set(void);
/* Follow `path` (absolute or relative to the cwd). elf = 1 for a plugin file. */
void reload_watch(const char *path, int elf);
/* Forget every followed file. */
void reload_clear(void);
/* Calls fn(path) for each followed file that changed and is now ready. */
void reload_poll(void (*fn)(const char *path, void *arg), void *arg);

#endif
