/* loader.c — see loader.h. */
#include "loader.h"
#include "log.h"
#include "util.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct loader_lib {
    lt_dlhandle handle;
    char *copy_path;
    char *orig_path;
    upws_plugin desc;  /* host copy */
};

static int loader_ready;
static char loader_dir[256];
static unsigned loader_seq;

static int loader_init(char *err, size_t errlen)
{
    if (loader_ready)
        return 0;
    if (lt_dlinit() != 0) {
        snprintf(err, errlen, "libltdl init failed: %s", lt_dlerror());
        return -1;
    }
    const char *base = getenv("XDG_RUNTIME_DIR");
    if (!base || access(base, W_OK) != 0)
        base = getenv("TMPDIR");
    if (!base || access(base, W_OK) != 0)
        base = "/tmp";
    snprintf(loader_dir, sizeof loader_dir, "%s/upws-plugins-XXXXXX", base);
    if (!mkdtemp(loader_dir)) {
        snprintf(err, errlen, "cannot create runtime dir %s: %s", loader_dir, strerror(errno));
        lt_dlexit();
        return -1;
    }
    loader_ready = 1;
    return 0;
}

int loader_resolve(const char *plugin, char *const *dirs, size_t n_dirs,
                   char *out, size_t outlen, char *err, size_t errlen)
{
    if (strchr(plugin, '/')) {
        if (access(plugin, R_OK) == 0) {
            snprintf(out, outlen, "%s", plugin);
            return 0;
        }
        snprintf(err, errlen, "plugin file %s: %s", plugin, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n_dirs; i++) {
        snprintf(out, outlen, "%s/%s.so", dirs[i], plugin);
        if (access(out, R_OK) == 0)
            return 0;
    }
    snprintf(err, errlen, "plugin '%s' not found (looked for %s.so in %zu plugin_dirs)", plugin,
             plugin, n_dirs);
    return -1;
}

/* Copies src to dst through a temp file and rename, so the copy is whole. */
static int copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errlen, "cannot open %s: %s", src, strerror(errno));
        return -1;
    }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    if (out < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            rc = -1;
            break;
        }
    }
    if (n < 0)
        rc = -1;
    close(in);
    if (close(out) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, dst) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot copy %s: %s", src, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

int loader_check_desc(const upws_plugin *d, char *err, size_t errlen)
{
    size_t need = offsetof(upws_plugin, stop) + sizeof d->stop;
    if (d->abi_major != UPWS_ABI_MAJOR) {
        snprintf(err, errlen, "ABI mismatch: plugin built for ABI %u.%u, host provides %d.%d "
                 "(major versions must match)", d->abi_major, d->abi_minor, UPWS_ABI_MAJOR, UPWS_ABI_MINOR);
        return -1;
    }
    if (d->abi_minor > UPWS_ABI_MINOR) {
        snprintf(err, errlen, "ABI mismatch: plugin built for ABI %u.%u, host provides %d.%d "
                 "(plugin needs a newer host)", d->abi_major, d->abi_minor, UPWS_ABI_MAJOR, UPWS_ABI_MINOR);
        return -1;
    }
    if (d->struct_size < need) {
        snprintf(err, errlen, "descriptor too small (%u bytes, ABI %u.%u needs at least %zu)",
                 d->struct_size, d->abi_major, d->abi_minor, need);
        return -1;
    }
    if (!d->init || !d->on_event || !d->stop) {
        snprintf(err, errlen, "descriptor lacks a mandatory callback (init, on_event, stop)");
        return -1;
    }
    if (!d->name || !d->name[0] || strspn(d->name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(d->name)) {
        snprintf(err, errlen, "descriptor name must match [a-z0-9_]+");
        return -1;
    }
    return 0;
}

/* libltdl reports most failures as "file not found"; dlopen names the real
 * cause (an undefined symbol, a wrong ELF class), so ask it directly. */
static void real_dlopen_reason(const char *path, char *err, size_t errlen)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h) {
        dlclose(h);
        snprintf(err, errlen, "cannot load %s: %s", path, lt_dlerror() ? lt_dlerror() : "unknown error");
        return;
    }
    const char *why = dlerror();
    snprintf(err, errlen, "cannot load: %s", why ? why : "unknown error");
}

static lt_dlhandle open_local(const char *path)
{
    lt_dladvise adv;
    if (lt_dladvise_init(&adv) != 0)
        return NULL;
    lt_dladvise_local(&adv);
    lt_dlhandle h = lt_dlopenadvise(path, adv);
    lt_dladvise_destroy(&adv);
    return h;
}

static void copy_desc(loader_lib *l, const upws_plugin *d)
{
    size_t n = d->struct_size < sizeof l->desc ? d->struct_size : sizeof l->desc;
    memset(&l->desc, 0, sizeof l->desc);
    memcpy(&l->desc, d, n);
    /* The image may go away before our copy does: keep our own strings. */
    l->desc.name = xstrdup(d->name);
    l->desc.version = xstrdup(d->version ? d->version : "?");
    l->desc.description = xstrdup(d->description ? d->description : "");
}

loader_lib *loader_open(const char *path, char *err, size_t errlen)
{
    if (loader_init(err, errlen) != 0)
        return NULL;
    loader_lib *l = xcalloc(1, sizeof *l);
    l->orig_path = xstrdup(path);
    char copy[512];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(copy, sizeof copy, "%s/%u-%s", loader_dir, ++loader_seq, base);
    l->copy_path = xstrdup(copy);
    if (copy_file(path, copy, err, errlen) != 0)
        goto fail;
    l->handle = open_local(copy);
    if (!l->handle) {
        real_dlopen_reason(copy, err, errlen);
        goto fail;
    }
    const upws_plugin *d = lt_dlsym(l->handle, UPWS_ENTRY_SYMBOL);
    if (!d) {
        snprintf(err, errlen, "no '%s' symbol: not a upws plugin, or built for another major ABI",
                 UPWS_ENTRY_SYMBOL);
        goto fail;
    }
    if (loader_check_desc(d, err, errlen) != 0)
        goto fail;
    copy_desc(l, d);
    return l;
fail:
    loader_close(l);
    return NULL;
}

const upws_plugin *loader_desc(const loader_lib *l) { return &l->desc; }
const char *loader_path(const loader_lib *l) { return l->orig_path; }

void loader_close(loader_lib *l)
{
    if (!l)
        return;
    if (l->handle && !getenv("UPWS_NO_DLCLOSE")) {
        lt_dlclose(l->handle);
        /* dlclose promises nothing (RTLD_NODELETE, a thread-local destructor,
         * another reference): say so when the image is still mapped. */
        void *still = dlopen(l->copy_path, RTLD_NOW | RTLD_NOLOAD);
        if (still) {
            log_warn("plugin image %s is still loaded after unloading it (it cannot be freed: "
                     "see docs/sdk.md, 'staying unloadable')", l->orig_path);
            dlclose(still);
        }
    }
    if (l->copy_path)
        unlink(l->copy_path);
    free((char *)l->desc.name);
    free((char *)l->desc.version);
    free((char *)l->desc.description);
    free(l->copy_path);
    free(l->orig_path);
    free(l);
}

void loader_shutdown(void)
{
    if (!loader_ready)
        return;
    rmdir(loader_dir);
    lt_dlexit();
    loader_ready = 0;
}
