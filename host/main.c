/* main.c — the `upws` command line: run, check, version, plugin-info. */
#include "config.h"
#include "conn.h"
#include "host.h"
#include "status.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "template.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

static int usage(FILE *out)
{
    fprintf(out,
            "usage: upws run -c FILE          run the host with this config\n"
            "       upws check -c FILE        validate the config and its plugins, connect nothing\n"
            "       upws status [-c FILE] [--url URL]  health of a running host (exit 0 ok, 1 unhealthy, 2 unreachable)\n"
            "       upws reload [-c FILE] [--url URL]  make a running host re-read its config\n"
            "       upws plugin reload NAME [-c FILE] [--url URL]  restart one instance from its plugin file\n"
            "       upws plugin-info FILE.so  show a plugin's descriptor (no plugin code runs)\n"
            "       upws new-plugin NAME [DIR] create a plugin project (CMake, C, YAML) in DIR (default ./NAME)\n"
            "       upws version              print versions\n");
    return out == stdout ? 0 : 2;
}

static const char *config_arg(int argc, char **argv)
{
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
            return argv[i + 1];
    return NULL;
}

static int check_urls(const config *cfg)
{
    const char *urls[] = {cfg->public_url, cfg->private_url};
    const char *keys[] = {"upbit.public_url", "upbit.private_url"};
    for (size_t i = 0; i < 2; i++) {
        char host[256], path[512], err[512];
        int tls, port;
        if (conn_parse_url(urls[i], &tls, host, sizeof host, &port, path, sizeof path, err, sizeof err)) {
            fprintf(stderr, "%s: key '%s': %s\n", cfg->path, keys[i], err);
            return -1;
        }
    }
    return 0;
}

static int check_plugins(const config *cfg)
{
    int bad = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const plugin_conf *pc = &cfg->plugins[i];
        char path[1024], err[1024];
        if (loader_resolve(pc->plugin, cfg->plugin_dirs, cfg->n_plugin_dirs, path, sizeof path, err,
                           sizeof err) != 0) {
            fprintf(stderr, "%s:%d:%d: key 'plugins[%zu].plugin': %s\n", cfg->path, pc->line, pc->col, i, err);
            bad = 1;
            continue;
        }
        loader_lib *lib = loader_open(path, err, sizeof err);
        if (!lib) {
            fprintf(stderr, "%s:%d:%d: plugin instance '%s' (%s): %s\n", cfg->path, pc->line, pc->col,
                    pc->name, path, err);
            bad = 1;
            continue;
        }
        if (instance_check_config(loader_desc(lib), &pc->config, cfg->path, i, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            bad = 1;
        }
        loader_close(lib);
    }
    return bad ? -1 : 0;
}

static int cmd_check(const char *path)
{
    config cfg;
    char err[1024];
    if (config_load(path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (size_t i = 0; i < cfg.n_warnings; i++)
        fprintf(stderr, "warning: %s\n", cfg.warnings[i]);
    int rc = check_urls(&cfg) || check_plugins(&cfg);
    if (!rc)
        printf("%s: OK (%zu plugin instance%s)\n", path, cfg.n_plugins, cfg.n_plugins == 1 ? "" : "s");
    config_free(&cfg);
    loader_shutdown();
    return rc ? 1 : 0;
}

static int cmd_plugin_info(const char *path)
{
    char err[1024];
    loader_lib *lib = loader_open(path, err, sizeof err);
    if (!lib) {
        fprintf(stderr, "%s: %s\n", path, err);
        loader_shutdown();
        return 1;
    }
    const upws_plugin *d = loader_desc(lib);
    printf("file:        %s\nname:        %s\nversion:     %s\nABI:         %u.%u (host %d.%d)\n"
           "description: %s\nconfig keys:",
           path, d->name, d->version, d->abi_major, d->abi_minor, UPWS_ABI_MAJOR, UPWS_ABI_MINOR,
           d->description);
    if (!d->config_keys)
        printf(" (any)");
    for (const char *const *k = d->config_keys; k && *k; k++)
        printf(" %s", *k);
    printf("\n");
    loader_close(lib);
    loader_shutdown();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *verb = argv[1];
    if (strcmp(verb, "version") == 0 || strcmp(verb, "--version") == 0) {
        printf("upws %s (plugin ABI %d.%d, libwebsockets %s)\n", UPWS_VERSION, UPWS_ABI_MAJOR,
               UPWS_ABI_MINOR, lws_get_library_version());
        return 0;
    }
    if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0)
        return usage(stdout);
    if (strcmp(verb, "plugin-info") == 0)
        return argc == 3 ? cmd_plugin_info(argv[2]) : usage(stderr);
    if (strcmp(verb, "new-plugin") == 0)
        return argc == 3 || argc == 4 ? template_new_plugin(argv[2], argc == 4 ? argv[3] : NULL) : usage(stderr);
    const char *cfg = config_arg(argc, argv);
    const char *url = NULL;
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], "--url") == 0)
            url = argv[i + 1];
    const char *cfg_or_default = cfg ? cfg : "/etc/upws/upws.yaml";
    if (strcmp(verb, "status") == 0)
        return status_main(cfg_or_default, url);
    if (strcmp(verb, "reload") == 0)
        return status_post(cfg_or_default, url, "/reload");
    if (strcmp(verb, "plugin") == 0 && argc >= 4 && strcmp(argv[2], "reload") == 0) {
        char path[256];
        snprintf(path, sizeof path, "/plugins/%s/reload", argv[3]);
        return status_post(cfg_or_default, url, path);
    }
    if (!cfg) {
        fprintf(stderr, "upws %s: missing -c FILE\n", verb);
        return usage(stderr);
    }
    if (strcmp(verb, "check") == 0)
        return cmd_check(cfg);
    if (strcmp(verb, "run") == 0)
        return host_run(cfg);
    fprintf(stderr, "upws: unknown command '%s'\n", verb);
    return usage(stderr);
}
