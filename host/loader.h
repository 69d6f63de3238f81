/*
 * loader.h — opening plugin files (libltdl) and checking their ABI.
 *
 * Each load opens a private copy of the .so (runtime dir, unique name), so
 * a rebuild that rewrites the original cannot crash the running host and
 * the dynamic loader's path cache never hands back an old image. The
 * descriptor is checked before any plugin code runs (ELF constructors are
 * banned for plugins; see docs/sdk.md). libltdl is not thread-safe: only the
 * loop thread (or main, before the loop starts) calls these.
 */
#ifndef UPWS_LOADER_H
#define UPWS_LOADER_H

#include <stddef.h>
#include "upws/plugin.h"

typedef struct loader_lib loader_lib;

/* Finds a plugin file: `plugin` containing '/' is a path; otherwise
 * "<dir>/<plugin>.so" for each dir in order. Returns 0 or -1 (err filled). */
int loader_resolve(const char *plugin, char *const *dirs, size_t n_dirs,
                   char *out, size_t outlen, char *err, size_t errlen);

/* Checks a descriptor against this host's ABI. Returns 0 or -1 (err names
 * both versions when they disagree). `size_avail` is what the plugin claims. */
int loader_check_desc(const upws_plugin *d, char *err, size_t errlen);

/* Opens a private copy of `path` and validates it. NULL + err on failure. */
loader_lib *loader_open(const char *path, char *err, size_t errlen);

/* The host's copy of the descriptor: zero beyond the plugin's struct_size,
 * strings duplicated. Valid until loader_close(). */
const upws_plugin *loader_desc(const loader_lib *l);
const char *loader_path(const loader_lib *l);

/* Unloads the image and deletes the private copy. NULL is ignored. */
void loader_close(loader_lib *l);

/* Removes the runtime directory (call once at exit). */
void loader_shutdown(void);

#endif
