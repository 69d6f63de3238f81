/* Loader: the ABI is checked before any plugin code runs, and every refusal
 * says why (both versions named, the real dlopen reason). */
#include "check.h"
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>

static char *fixture(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/%s.so", getenv("UPWS_BUILD"), name);
    return path;
}

static void expect_refusal(const char *name, const char *must_contain_1, const char *must_contain_2)
{
    char err[1024] = "";
    loader_lib *l = loader_open(fixture(name), err, sizeof err);
    CHECK(l == NULL);
    CHECK(strstr(err, must_contain_1) != NULL);
    if (must_contain_2)
        CHECK(strstr(err, must_contain_2) != NULL);
    fprintf(stderr, "  %s: %s\n", name, err);
    loader_close(l);
}

static void test_good(void)
{
    char err[1024] = "";
    loader_lib *l = loader_open(fixture("fx_good"), err, sizeof err);
    CHECK(l != NULL);
    if (!l) {
        fprintf(stderr, "fx_good: %s\n", err);
        return;
    }
    const upws_plugin *d = loader_desc(l);
    CHECK_STR(d->name, "fx_good");
    CHECK_STR(d->version, "1.2.3");
    CHECK(d->abi_major == UPWS_ABI_MAJOR);
    CHECK(d->config_keys && strcmp(d->config_keys[0], "anything") == 0);
    loader_close(l);
}

static void test_desc_rules(void)
{
    char err[512];
    upws_plugin d = {.struct_size = 8, .abi_major = UPWS_ABI_MAJOR, .abi_minor = 0, .name = "x"};
    CHECK(loader_check_desc(&d, err, sizeof err) == -1);
    CHECK(strstr(err, "too small") != NULL);
    d.struct_size = sizeof d;
    CHECK(loader_check_desc(&d, err, sizeof err) == -1);  /* no callbacks */
    CHECK(strstr(err, "mandatory") != NULL);
}

int main(void)
{
    test_good();
    test_desc_rules();
    char major[64], minor[64];
    snprintf(major, sizeof major, "ABI %d.0", UPWS_ABI_MAJOR + 1);
    snprintf(minor, sizeof minor, "ABI %d.%d", UPWS_ABI_MAJOR, UPWS_ABI_MINOR + 1);
    char host[64];
    snprintf(host, sizeof host, "host provides %d.%d", UPWS_ABI_MAJOR, UPWS_ABI_MINOR);
    expect_refusal("fx_wrong_major", major, host);
    expect_refusal("fx_newer_minor", minor, host);
    expect_refusal("fx_undefined", "undefined symbol: upws_fixture_missing_function", NULL);
    expect_refusal("fx_no_symbol", "upws_plugin_v1", NULL);
    expect_refusal("does_not_exist", "cannot open", NULL);
    loader_shutdown();
    return CHECK_DONE();
}
