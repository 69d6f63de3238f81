/* The loader's side of the ABI, with real plugin files. Built twice (see
 * CMakeLists.txt):
 *   test_abi_current_host  today's host: the real header and the real loader;
 *   test_abi_future_host   a next-minor host: the host's own loader.c compiled
 *                          against the test-only next-minor header
 *                          (UPWS_TEST_FUTURE_HOST).
 * Both must accept plugins built against the frozen 1.0 and 1.1 headers,
 * with the descriptor fields those lack read as zero and the ones they have
 * read as set; accept a plugin built against the next minor that declares
 * 1.1; refuse a newer minor and another major, naming both versions. The
 * next-minor host must also accept the plugin that declares the next minor
 * and read its new callback. */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef UPWS_TEST_FUTURE_HOST
_Static_assert(UPWS_ABI_MINOR == 3, "built against the test-only next-minor (1.3) header");
#define HOST_KIND "a next-minor host"
#else
_Static_assert(UPWS_ABI_MINOR >= 2, "built against the current (1.2 or later) header");
#define HOST_KIND "today's host"
#endif

static int failures;

#define EXPECT(cond, ...) \
    do { \
        if (!(cond)) { \
            failures++; \
            fprintf(stderr, "FAIL: " HOST_KIND ": " __VA_ARGS__); \
            fputc('\n', stderr); \
        } \
    } while (0)

/* Where each released minor's descriptor ends. */
#define DESC_SIZE_1_0 (offsetof(upws_plugin, stop) + sizeof(void (*)(void *)))
#define DESC_SIZE_1_1 (offsetof(upws_plugin, restore_state) + sizeof(void (*)(void)))

static const char *path_of(const char *env, const char *name)
{
    static char path[1024];
    const char *dir = getenv(env);
    snprintf(path, sizeof path, "%s/%s.so", dir ? dir : ".", name);
    return path;
}

static loader_lib *open_fixture(const char *name)
{
    char err[1024] = "";
    loader_lib *l = loader_open(path_of("UPWS_SDK_FIXTURES", name), err, sizeof err);
    EXPECT(l != NULL, "loads %s: %s", name, err);
    return l;
}

static void test_1_0_plugin(void)
{
    loader_lib *l = open_fixture("abi10_probe");
    if (!l)
        return;
    const upws_plugin *d = loader_desc(l);
    EXPECT(d->struct_size == DESC_SIZE_1_0, "abi10_probe's descriptor is 1.0-sized (%u, expected %zu)",
           d->struct_size, (size_t)DESC_SIZE_1_0);
    EXPECT(d->abi_major == 1 && d->abi_minor == 0, "abi10_probe declares 1.0");
    EXPECT(d->init && d->on_event && d->stop, "abi10_probe: its 1.0 callbacks are there");
    EXPECT(d->save_state == NULL && d->restore_state == NULL,
           "abi10_probe: the 1.1 callbacks it does not have read as zero");
#ifdef UPWS_TEST_FUTURE_HOST
    EXPECT(d->on_test_only_future == NULL, "abi10_probe: the next-minor callback reads as zero");
#endif
    loader_close(l);
}

static void test_1_1_plugin(void)
{
    loader_lib *l = open_fixture("abi11_probe");
    if (!l)
        return;
    const upws_plugin *d = loader_desc(l);
    EXPECT(d->struct_size == DESC_SIZE_1_1, "abi11_probe's descriptor is 1.1-sized (%u, expected %zu)",
           d->struct_size, (size_t)DESC_SIZE_1_1);
    EXPECT(d->abi_major == 1 && d->abi_minor == 1, "abi11_probe declares 1.1");
    EXPECT(d->init && d->on_event && d->stop, "abi11_probe: its 1.0 callbacks are there");
    EXPECT(d->save_state != NULL && d->restore_state != NULL, "abi11_probe: its 1.1 callbacks are read");
#ifdef UPWS_TEST_FUTURE_HOST
    EXPECT(d->on_test_only_future == NULL, "abi11_probe: the next-minor callback reads as zero");
#endif
    loader_close(l);
}

/* Built against the next minor: its descriptor is larger than today's host's. */
static void test_future_plugins(void)
{
    loader_lib *l = open_fixture("future_compat");
    if (l) {
        const upws_plugin *d = loader_desc(l);
        EXPECT(d->abi_minor == 1, "future_compat declares 1.1");
        EXPECT(d->struct_size > DESC_SIZE_1_1, "future_compat's descriptor is larger than 1.1's");
        EXPECT(d->save_state != NULL, "future_compat: its 1.1 callbacks are read");
#ifdef UPWS_TEST_FUTURE_HOST
        EXPECT(d->on_test_only_future != NULL, "future_compat: the next-minor callback is read");
#endif
        loader_close(l);
    }

    char err[1024] = "";
    l = loader_open(path_of("UPWS_SDK_FIXTURES", "future_newer"), err, sizeof err);
#ifdef UPWS_TEST_FUTURE_HOST
    EXPECT(l != NULL, "loads future_newer (it declares this host's minor): %s", err);
    if (l) {
        EXPECT(loader_desc(l)->struct_size == sizeof(upws_plugin), "future_newer has a next-minor descriptor");
        EXPECT(loader_desc(l)->on_test_only_future != NULL, "future_newer: the next-minor callback is read");
    }
#else
    char want[128];
    snprintf(want, sizeof want, "plugin built for ABI %d.%d, host provides %d.%d", UPWS_ABI_MAJOR,
             UPWS_ABI_MINOR + 1, UPWS_ABI_MAJOR, UPWS_ABI_MINOR);
    EXPECT(l == NULL && strstr(err, want), "refuses future_newer with \"%s\": %s", want, err);
#endif
    loader_close(l);

    /* A plugin of today's tree (whatever minor it is) loads on this host. */
    err[0] = '\0';
    l = loader_open(path_of("UPWS_PLUGINS", "csv_recorder"), err, sizeof err);
    EXPECT(l != NULL, "loads csv_recorder: %s", err);
    loader_close(l);
}

static void expect_refused(unsigned major, unsigned minor)
{
    upws_plugin d = {.struct_size = sizeof d, .abi_major = (uint16_t)major, .abi_minor = (uint16_t)minor,
                     .name = "x"};
    char err[512] = "", plugin_ver[64], host_ver[64];
    snprintf(plugin_ver, sizeof plugin_ver, "plugin built for ABI %u.%u", major, minor);
    snprintf(host_ver, sizeof host_ver, "host provides %d.%d", UPWS_ABI_MAJOR, UPWS_ABI_MINOR);
    EXPECT(loader_check_desc(&d, err, sizeof err) != 0, "ABI %u.%u refused", major, minor);
    EXPECT(strstr(err, plugin_ver) && strstr(err, host_ver), "the refusal names both (%s; %s): %s", plugin_ver,
           host_ver, err);
}

int main(void)
{
    test_1_0_plugin();
    test_1_1_plugin();
    test_future_plugins();
    expect_refused(UPWS_ABI_MAJOR, UPWS_ABI_MINOR + 1);
    expect_refused(UPWS_ABI_MAJOR + 1, 0);
    loader_shutdown();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("%s (ABI %d.%d) accepts 1.0, 1.1 and %s plugins and refuses %d.%d and %d.0\n", HOST_KIND,
               UPWS_ABI_MAJOR, UPWS_ABI_MINOR,
#ifdef UPWS_TEST_FUTURE_HOST
               "next-minor",
#else
               "next-minor-built (declaring 1.1)",
#endif
               UPWS_ABI_MAJOR, UPWS_ABI_MINOR + 1, UPWS_ABI_MAJOR + 1);
    return failures ? 1 : 0;
}
