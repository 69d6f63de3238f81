/* Plays a 1.1 host: this test and the host's own loader.c are compiled
 * against the test-only 1.1 header (see CMakeLists.txt), and it loads real
 * plugin files. A plugin built against 1.0 (smaller descriptor, older minor)
 * must be accepted with the 1.1 fields it lacks read as zero; 1.1 plugins
 * are accepted; 1.2 and 2.x are refused naming both versions. */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(UPWS_ABI_MINOR == 2, "built against the test-only 1.2 header");

static int failures;

#define EXPECT(cond, ...) \
    do { \
        if (!(cond)) { \
            failures++; \
            fprintf(stderr, "FAIL: " __VA_ARGS__); \
            fputc('\n', stderr); \
        } \
    } while (0)

static const char *path_of(const char *env, const char *name)
{
    static char path[1024];
    const char *dir = getenv(env);
    snprintf(path, sizeof path, "%s/%s.so", dir ? dir : ".", name);
    return path;
}

static void test_old_minor_plugin(void)
{
    char err[1024] = "";
    loader_lib *l = loader_open(path_of("UPWS_SDK_FIXTURES", "abi10_probe"), err, sizeof err);
    EXPECT(l != NULL, "a 1.1 host loads a plugin built against 1.0: %s", err);
    if (!l)
        return;
    const upws_plugin *d = loader_desc(l);
    size_t size_1_0 = offsetof(upws_plugin, save_state);  /* where 1.1 began */
    EXPECT(d->struct_size == size_1_0, "its descriptor is 1.0-sized (%u, expected %zu)", d->struct_size,
           size_1_0);
    EXPECT(d->struct_size < sizeof(upws_plugin), "smaller than this host's");
    EXPECT(d->abi_minor == 0, "it declares minor 0");
    EXPECT(d->on_test_only_1_1 == NULL, "the 1.1 field it does not have reads as zero");
    EXPECT(d->init && d->on_event && d->stop, "its 1.0 callbacks are there");
    loader_close(l);
}

static void test_current_minor_plugins(void)
{
    const char *names[] = {"abi11_newer", "abi11_compat"};
    for (size_t i = 0; i < 2; i++) {
        char err[1024] = "";
        loader_lib *l = loader_open(path_of("UPWS_SDK_FIXTURES", names[i]), err, sizeof err);
        EXPECT(l != NULL, "a 1.1 host loads %s: %s", names[i], err);
        if (!l)
            continue;
        EXPECT(loader_desc(l)->struct_size == sizeof(upws_plugin), "%s has a 1.1 descriptor", names[i]);
        EXPECT(loader_desc(l)->on_test_only_1_1 != NULL, "%s: the 1.1 callback is read", names[i]);
        loader_close(l);
    }
    /* A plugin of today's tree (whatever minor it is) loads on a later host. */
    char err[1024] = "";
    loader_lib *l = loader_open(path_of("UPWS_PLUGINS", "csv_recorder"), err, sizeof err);
    EXPECT(l != NULL, "a 1.1 host loads csv_recorder: %s", err);
    loader_close(l);
}

static void expect_refused(unsigned major, unsigned minor, const char *plugin_ver)
{
    upws_plugin d = {.struct_size = sizeof d, .abi_major = (uint16_t)major, .abi_minor = (uint16_t)minor,
                     .name = "x"};
    char err[512] = "";
    EXPECT(loader_check_desc(&d, err, sizeof err) != 0, "ABI %s refused", plugin_ver);
    EXPECT(strstr(err, plugin_ver) && strstr(err, "host provides 1.2"), "the refusal names both: %s", err);
}

int main(void)
{
    test_old_minor_plugin();
    test_current_minor_plugins();
    expect_refused(1, 3, "ABI 1.3");
    expect_refused(2, 0, "ABI 2.0");
    loader_shutdown();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("a 1.2 host accepts 1.0, 1.1 and 1.2 plugins and refuses 1.3 and 2.0\n");
    return failures ? 1 : 0;
}
