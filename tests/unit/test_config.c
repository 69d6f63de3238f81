/* test_config.c — config_load(): schema, defaults, ${ENV}, paths, errors, cnode. */
#include "config.h"
#include "check.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[PATH_MAX];   /* realpath of the mkdtemp directory */
static char created[32][PATH_MAX];
static int n_created;            /* files and dirs to remove, in creation order */

/* snprintf that treats truncation as a test bug rather than a silent cut. */
static void sfmt(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= n) {
        fprintf(stderr, "test buffer too small for %s\n", fmt);
        abort();
    }
}

static void remember(const char *path)
{
    if (n_created < 32)
        sfmt(created[n_created++], PATH_MAX, "%s", path);
}

static const char *tmp_path(const char *name)
{
    static char buf[2 * PATH_MAX];
    sfmt(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static void make_dir(const char *name)
{
    const char *p = tmp_path(name);
    if (mkdir(p, 0700) == 0)
        remember(p);
}

static const char *write_file(const char *name, const char *text)
{
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (!f)
        return p;
    fputs(text, f);
    fclose(f);
    int seen = 0;
    for (int i = 0; i < n_created; i++)
        seen |= strcmp(created[i], p) == 0;
    if (!seen)
        remember(p);
    return p;
}

static void cleanup(void)
{
    for (int i = n_created - 1; i >= 0; i--)
        if (unlink(created[i]) < 0)
            rmdir(created[i]);
    rmdir(tmpdir);
}

/* Loads `text` from t.yaml; returns config_load's result. */
static int load_text(const char *text, config *c, char *err, size_t errlen)
{
    const char *p = write_file("t.yaml", text);
    err[0] = '\0';
    return config_load(p, c, err, errlen);
}

/* The exact error line: "<tmp>/t.yaml:LINE:COL: REST". */
static void expect_err_at(int src_line, const char *text, int line, int col, const char *rest)
{
    config c;
    char err[512], want[1024];
    int rc = load_text(text, &c, err, sizeof err);
    sfmt(want, sizeof want, "%s:%d:%d: %s", tmp_path("t.yaml"), line, col, rest);
    check_count++;
    if (rc != -1 || strcmp(err, want) != 0) {
        check_failures++;
        fprintf(stderr, "%s:%d: rc=%d\n  got:  %s\n  want: %s\n", __FILE__, src_line, rc, err, want);
    }
    config_free(&c);
}
#define EXPECT_ERR(text, line, col, rest) expect_err_at(__LINE__, text, line, col, rest)

static void join(char *out, const char *a, const char *b)
{
    sfmt(out, PATH_MAX, "%s%s", a, b);
}

/* ---- valid files ----------------------------------------------------------- */

static const char full_yaml[] =
    "upbit:\n"
    "  public_url: ws://127.0.0.1:9001/websocket/v1\n"
    "  private_url: ws://127.0.0.1:9001/websocket/v1/private\n"
    "  rest_url: http://127.0.0.1:9001\n"
    "  access_key: AK\n"
    "  secret_key: SK\n"
    "admin:\n"
    "  {listen: 0.0.0.0:8080, token: t0ken}\n"
    "log:\n"
    "  level: debug\n"
    "  summary_interval: 0\n"
    "plugin_dirs: [/opt/upws/plugins, /usr/lib//upws/]\n"
    "plugins:\n"
    "  - name: rec-majors\n"                       /* line 14 */
    "    plugin: csv_recorder\n"
    "    config:\n"
    "      dir: ./data\n"                          /* line 17 */
    "      types: [ticker, trade]\n"
    "      codes: [KRW-BTC, KRW-ETH]\n"
    "      depth: 5\n"                             /* line 20 */
    "      ratio: 0.5\n"
    "      on: true\n"
    "      quoted: \"5\"\n"
    "      nothing: ~\n"
    "      code: 005930\n"
    "      nested: {b: 2, a: [x, {k: v}]}\n"
    "  - name: second\n"                           /* line 27 */
    "    plugin: ./local/../local/x.so\n";

static void test_full(void)
{
    config c;
    char err[512], want[PATH_MAX];
    CHECK(load_text(full_yaml, &c, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK_STR(c.path, tmp_path("t.yaml"));
    CHECK_STR(c.public_url, "ws://127.0.0.1:9001/websocket/v1");
    CHECK_STR(c.private_url, "ws://127.0.0.1:9001/websocket/v1/private");
    CHECK_STR(c.rest_url, "http://127.0.0.1:9001");
    CHECK_STR(c.access_key, "AK");
    CHECK_STR(c.secret_key, "SK");
    CHECK_STR(c.admin_listen, "0.0.0.0:8080");
    CHECK_STR(c.log_level, "debug");
    CHECK(c.summary_interval == 0);
    CHECK(c.n_plugin_dirs == 2);
    if (c.n_plugin_dirs == 2) {
        CHECK_STR(c.plugin_dirs[0], "/opt/upws/plugins");
        CHECK_STR(c.plugin_dirs[1], "/usr/lib/upws");
    }
    CHECK(c.n_plugins == 2);
    if (c.n_plugins != 2) {
        config_free(&c);
        return;
    }
    plugin_conf *p = &c.plugins[0];
    CHECK_STR(p->name, "rec-majors");
    CHECK_STR(p->plugin, "csv_recorder");
    CHECK(p->line == 14 && p->col == 5);
    CHECK(p->config.kind == CNODE_MAP);
    CHECK(p->config.line == 17 && p->config.col == 7);
    const cnode *dir = cnode_get(&p->config, "dir");
    CHECK(dir && dir->kind == CNODE_SCALAR && !dir->quoted);
    CHECK_STR(dir ? dir->scalar : NULL, "./data");   /* plugin-relative paths stay as written */
    const cnode *depth = cnode_get(&p->config, "depth");
    CHECK(depth && depth->line == 20 && depth->col == 7);  /* an entry points at its key */
    const cnode *quoted = cnode_get(&p->config, "quoted");
    CHECK(quoted && quoted->quoted);
    const cnode *types = cnode_get(&p->config, "types");
    CHECK(types && types->kind == CNODE_LIST && types->n_items == 2);
    CHECK_STR(types && types->n_items == 2 ? types->items[1].scalar : NULL, "trade");
    CHECK(cnode_get(&p->config, "absent") == NULL);
    CHECK(cnode_get(types, "ticker") == NULL);   /* not a map */
    char *json = cnode_to_json(&p->config);
    CHECK_STR(json, "{\"code\":\"005930\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"],\"depth\":5,"
                    "\"dir\":\"./data\",\"nested\":{\"a\":[\"x\",{\"k\":\"v\"}],\"b\":2},"
                    "\"nothing\":null,\"on\":true,\"quoted\":\"5\",\"ratio\":0.5,"
                    "\"types\":[\"ticker\",\"trade\"]}");
    free(json);

    p = &c.plugins[1];
    CHECK_STR(p->name, "second");
    join(want, tmpdir, "/local/x.so");
    CHECK_STR(p->plugin, want);
    CHECK(p->config.kind == CNODE_MAP && p->config.n_items == 0);
    CHECK(p->line == 27 && p->col == 5);
    json = cnode_to_json(&p->config);
    CHECK_STR(json, "{}");
    free(json);
    config_free(&c);
    config_free(&c);   /* freeing twice is harmless: config_free zeroes */
}

static void check_defaults(const config *c)
{
    CHECK_STR(c->public_url, "wss://api.upbit.com/websocket/v1");
    CHECK_STR(c->private_url, "wss://api.upbit.com/websocket/v1/private");
    CHECK_STR(c->rest_url, "https://api.upbit.com");
    CHECK(c->access_key == NULL && c->secret_key == NULL);
    CHECK_STR(c->admin_listen, "127.0.0.1:9380");
    CHECK_STR(c->log_level, "info");
    CHECK(c->summary_interval == 60);
    CHECK(c->n_plugin_dirs == 0 && c->n_plugins == 0);
}

static void test_defaults(void)
{
    static const char *const texts[] = {
        "",
        "# only a comment\n",
        "~\n",
        "upbit:\nadmin: ~\nlog: {}\nplugin_dirs:\nplugins: []\n",
        "upbit: {public_url: ~, access_key: '', secret_key: \"\"}\nlog: {level: null, summary_interval: ~}\n",
        "---\n...\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        config c;
        char err[512];
        int rc = load_text(texts[i], &c, err, sizeof err);
        CHECK(rc == 0);
        if (rc != 0)
            fprintf(stderr, "  text %zu: %s\n", i, err);
        else
            check_defaults(&c);
        config_free(&c);
    }
    config c;
    char err[512];
    CHECK(load_text("log:\n  level: warn\n", &c, err, sizeof err) == 0);
    CHECK_STR(c.log_level, "warn");
    CHECK_STR(c.rest_url, "https://api.upbit.com");
    CHECK(c.summary_interval == 60);
    config_free(&c);
}

static void test_env(void)
{
    setenv("UPWS_T_HOST", "example.org", 1);
    setenv("UPWS_T_EMPTY", "", 1);
    setenv("UPWS_T_NUM", "7", 1);
    unsetenv("UPWS_T_UNSET");
    config c;
    char err[512];
    int rc = load_text(
        "upbit:\n"
        "  public_url: wss://${UPWS_T_HOST}/ws\n"
        "  rest_url: https://${UPWS_T_UNSET:-fallback.org}\n"
        "  private_url: \"wss://${UPWS_T_EMPTY:-e.org}/p$$x${UPWS_T_UNSET}\"\n"
        "  access_key: ${UPWS_T_UNSET}\n"
        "  secret_key: ${UPWS_T_EMPTY}\n"
        "log:\n"
        "  summary_interval: ${UPWS_T_NUM}\n"
        "plugins:\n"
        "  - name: r-${UPWS_T_NUM}\n"
        "    plugin: p\n"
        "    config:\n"
        "      a: ${UPWS_T_HOST}\n"
        "      b: cost $$5 and $HOME $\n"
        "      c: \"${UPWS_T_UNSET}\"\n"
        "      d: ${UPWS_T_NUM}\n"
        "      e: [\"${UPWS_T_UNSET:-x:-y}\"]\n",
        &c, err, sizeof err);
    CHECK(rc == 0);
    CHECK_STR(err, "");
    if (rc == 0) {
        CHECK_STR(c.public_url, "wss://example.org/ws");
        CHECK_STR(c.rest_url, "https://fallback.org");
        CHECK_STR(c.private_url, "wss://e.org/p$x");
        CHECK(c.access_key == NULL && c.secret_key == NULL);   /* empty = absent */
        CHECK(c.summary_interval == 7);
        CHECK_STR(c.plugins[0].name, "r-7");
        char *json = cnode_to_json(&c.plugins[0].config);
        /* d is unquoted after expansion, so it is typed as a number. */
        CHECK_STR(json, "{\"a\":\"example.org\",\"b\":\"cost $5 and $HOME $\",\"c\":\"\",\"d\":7,"
                        "\"e\":[\"x:-y\"]}");
        free(json);
    }
    config_free(&c);
    EXPECT_ERR("log:\n  level: ${LVL\n", 2, 10,
               "key 'log.level': malformed ${...} reference: missing '}'");
    EXPECT_ERR("log:\n  level: \"x${1A}\"\n", 2, 12,
               "key 'log.level': malformed ${...} reference: expected a variable name after '${'");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n    config: {k: [ok, \"a${B-c}\"]}\n", 4, 24,
               "key 'plugins[0].config.k[1]': malformed ${...} reference: bad character in variable name");
    EXPECT_ERR("log:\n  level: ${}\n", 2, 10,
               "key 'log.level': malformed ${...} reference: expected a variable name after '${'");
    unsetenv("UPWS_T_HOST");
    unsetenv("UPWS_T_EMPTY");
    unsetenv("UPWS_T_NUM");
}

/* plugin_dirs and plugin paths are resolved against the config file's
 * directory, whatever the cwd; bare stems stay as written. */
static void test_paths(void)
{
    static const char text[] =
        "plugin_dirs: [../plugins, ., ./a/../b, /x/./y/../z, 'sp ace/']\n"
        "plugins:\n"
        "  - {name: a, plugin: ../so/p.so}\n"
        "  - {name: b, plugin: stem}\n"
        "  - {name: c, plugin: /abs//q.so}\n";
    make_dir("sub");
    const char *path = write_file("sub/c.yaml", text);
    char abs_path[PATH_MAX], want[PATH_MAX], cwd[PATH_MAX];
    sfmt(abs_path, sizeof abs_path, "%s", path);
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    const char *as_given[] = { abs_path, "sub/c.yaml", "./sub/../sub/c.yaml" };
    for (size_t i = 0; i < 3; i++) {
        CHECK(chdir(i ? tmpdir : "/") == 0);
        config c;
        char err[512];
        int rc = config_load(as_given[i], &c, err, sizeof err);
        CHECK(rc == 0);
        if (rc == 0 && c.n_plugin_dirs == 5 && c.n_plugins == 3) {
            CHECK_STR(c.path, as_given[i]);
            join(want, tmpdir, "/plugins");
            CHECK_STR(c.plugin_dirs[0], want);
            join(want, tmpdir, "/sub");
            CHECK_STR(c.plugin_dirs[1], want);
            join(want, tmpdir, "/sub/b");
            CHECK_STR(c.plugin_dirs[2], want);
            CHECK_STR(c.plugin_dirs[3], "/x/z");
            join(want, tmpdir, "/sub/sp ace");
            CHECK_STR(c.plugin_dirs[4], want);
            join(want, tmpdir, "/so/p.so");
            CHECK_STR(c.plugins[0].plugin, want);
            CHECK_STR(c.plugins[1].plugin, "stem");
            CHECK_STR(c.plugins[2].plugin, "/abs/q.so");
        } else {
            CHECK(0);
            fprintf(stderr, "  %s: %s\n", as_given[i], rc ? err : "wrong counts");
        }
        config_free(&c);
    }
    CHECK(chdir(cwd) == 0);
}

static void test_sample(void)
{
    const char *tests = getenv("UPWS_TESTS");
    CHECK(tests != NULL);
    if (!tests)
        return;
    char path[PATH_MAX], want[PATH_MAX], root[PATH_MAX];
    sfmt(path, sizeof path, "%s/../config/upws.yaml", tests);
    CHECK(realpath(tests, root) != NULL);
    *strrchr(root, '/') = '\0';
    unsetenv("UPBIT_ACCESS_KEY");
    unsetenv("UPBIT_SECRET_KEY");
    config c;
    char err[512];
    int rc = config_load(path, &c, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_STR(c.public_url, "wss://api.upbit.com/websocket/v1");
    CHECK(c.access_key == NULL && c.secret_key == NULL);
    CHECK(c.n_plugin_dirs == 1);
    join(want, root, "/build/plugins");
    CHECK_STR(c.n_plugin_dirs ? c.plugin_dirs[0] : NULL, want);
    CHECK(c.n_plugins >= 1);   /* the shipped file grows examples; the first stays */
    if (c.n_plugins >= 1) {
        CHECK_STR(c.plugins[0].name, "rec-majors");
        CHECK_STR(c.plugins[0].plugin, "csv_recorder");
        CHECK(cnode_get(&c.plugins[0].config, "dir") != NULL);
        CHECK(cnode_get(&c.plugins[0].config, "types") != NULL);
        CHECK(cnode_get(&c.plugins[0].config, "codes") != NULL);
    }
    config_free(&c);

    setenv("UPBIT_ACCESS_KEY", "ak-test", 1);
    setenv("UPBIT_SECRET_KEY", "sk-test", 1);
    CHECK(config_load(path, &c, err, sizeof err) == 0);
    CHECK_STR(c.access_key, "ak-test");
    CHECK_STR(c.secret_key, "sk-test");
    CHECK(c.n_warnings == 0);   /* the shipped file references the keys */
    config_free(&c);
    unsetenv("UPBIT_ACCESS_KEY");
    unsetenv("UPBIT_SECRET_KEY");
}

/* ---- plugins[i].delivery --------------------------------------------------- */

static void test_delivery(void)
{
    config c;
    char err[512];
    setenv("UPWS_T_POLICY", "latest", 1);
    int rc = load_text("plugins:\n"
                       "  - {name: a, plugin: p}\n"
                       "  - {name: b, plugin: p, delivery: lossless}\n"
                       "  - {name: c, plugin: p, delivery: latest}\n"
                       "  - {name: d, plugin: p, delivery: ~}\n"
                       "  - {name: e, plugin: p, delivery: '${UPWS_T_POLICY}'}\n",
                       &c, err, sizeof err);
    CHECK(rc == 0);
    CHECK_STR(err, "");
    if (rc == 0 && c.n_plugins == 5) {
        CHECK(c.plugins[0].delivery == UPWS_DELIVERY_DEFAULT);   /* absent: per-type defaults */
        CHECK(c.plugins[1].delivery == UPWS_DELIVERY_LOSSLESS);
        CHECK(c.plugins[2].delivery == UPWS_DELIVERY_LATEST);
        CHECK(c.plugins[3].delivery == UPWS_DELIVERY_DEFAULT);   /* null = not set */
        CHECK(c.plugins[4].delivery == UPWS_DELIVERY_LATEST);
    }
    config_free(&c);
    unsetenv("UPWS_T_POLICY");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n    delivery: fast\n", 4, 15,
               "key 'plugins[0].delivery': expected lossless or latest, got 'fast'");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n    delivery: Latest\n", 4, 15,
               "key 'plugins[0].delivery': expected lossless or latest, got 'Latest'");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n  - name: b\n    plugin: p\n    delivery: [latest]\n",
               6, 15, "key 'plugins[1].delivery': expected a string, got a list");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n    delivery: ''\n", 4, 15,
               "key 'plugins[0].delivery': expected lossless or latest, got ''");
}

/* ---- literal API keys in a readable file ------------------------------------ */

/* Loads `text` from keys.yaml with file mode `mode`; returns the number of
 * warnings and copies the first one into first. */
static size_t key_warnings(const char *text, mode_t mode, char *first, size_t n)
{
    const char *p = write_file("keys.yaml", text);
    CHECK(chmod(p, mode) == 0);
    config c;
    char err[512];
    first[0] = '\0';
    int rc = config_load(p, &c, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return 0;
    }
    size_t count = c.n_warnings;
    if (count)
        sfmt(first, n, "%s", c.warnings[0]);
    for (size_t i = 0; i < c.n_warnings; i++)   /* the values never appear */
        CHECK(!strstr(c.warnings[i], "AKVALUE") && !strstr(c.warnings[i], "SKVALUE"));
    config_free(&c);
    return count;
}

static void test_literal_key_warning(void)
{
    static const char literal[] = "upbit:\n  access_key: AKVALUE\n  secret_key: \"SKVALUE\"\n";
    static const char refs[] = "upbit:\n  access_key: ${UPWS_T_AK}\n  secret_key: ${UPWS_T_SK}\n";
    char w[1024], want[PATH_MAX + 64];
    setenv("UPWS_T_AK", "AKVALUE", 1);
    setenv("UPWS_T_SK", "SKVALUE", 1);
    unsetenv("UPWS_T_UNSET");

    CHECK(key_warnings(literal, 0644, w, sizeof w) == 1);
    sfmt(want, sizeof want, "%s: upbit.access_key and upbit.secret_key are written in the file",
         tmp_path("keys.yaml"));
    CHECK(strncmp(w, want, strlen(want)) == 0);
    CHECK(strstr(w, "mode 0644") && strstr(w, "every user") && strstr(w, "chmod 600") && strstr(w, "${ENV}"));
    CHECK(key_warnings(literal, 0640, w, sizeof w) == 1);   /* group-readable is enough */
    CHECK(strstr(w, "mode 0640") && strstr(w, "its group"));
    CHECK(key_warnings(literal, 0604, w, sizeof w) == 1);
    CHECK(key_warnings(literal, 0600, w, sizeof w) == 0);
    CHECK(key_warnings(literal, 0400, w, sizeof w) == 0);
    CHECK(key_warnings(refs, 0644, w, sizeof w) == 0);      /* the file holds no secret */
    CHECK(key_warnings("upbit: {access_key: '', secret_key: ''}\n", 0644, w, sizeof w) == 0);
    CHECK(key_warnings("log: {level: warn}\n", 0644, w, sizeof w) == 0);
    /* Text of the file counts wherever it sits: a default, a prefix. */
    CHECK(key_warnings("upbit:\n  access_key: ${UPWS_T_AK}\n  secret_key: ${UPWS_T_UNSET:-SKVALUE}\n",
                       0644, w, sizeof w) == 1);
    CHECK(strstr(w, ": upbit.secret_key is written") != NULL);
    CHECK(key_warnings("upbit:\n  access_key: AK${UPWS_T_AK}\n  secret_key: ${UPWS_T_SK}\n",
                       0644, w, sizeof w) == 1);
    CHECK(strstr(w, ": upbit.access_key is written") != NULL);
    unsetenv("UPWS_T_AK");
    unsetenv("UPWS_T_SK");
}

/* ---- errors ------------------------------------------------------------------ */

static void test_schema_errors(void)
{
    EXPECT_ERR("admin:\n  listen: 0.0.0.0:9380\n", 2, 11,
               "key 'admin.listen': a non-loopback address needs admin.token (requests must then carry it)");
    EXPECT_ERR("log:\n  format: xml\n", 2, 11, "key 'log.format': expected text or json, got 'xml'");

    EXPECT_ERR("upbit:\n  pubic_url: x\n", 2, 3, "key 'upbit.pubic_url': unknown key");
    EXPECT_ERR("log: {}\nfoo: 1\n", 2, 1, "key 'foo': unknown key");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n    plugn: q\n", 4, 5,
               "key 'plugins[0].plugn': unknown key");
    EXPECT_ERR("log:\n  level: debug\n  summary_interval: abc\n", 3, 21,
               "key 'log.summary_interval': expected an integer ≥ 0, got 'abc'");
    EXPECT_ERR("log: {summary_interval: -5}\n", 1, 25,
               "key 'log.summary_interval': expected an integer ≥ 0, got '-5'");
    EXPECT_ERR("log: {level: verbose}\n", 1, 14,
               "key 'log.level': expected one of error|warn|info|debug, got 'verbose'");
    EXPECT_ERR("upbit: {public_url: http://x}\n", 1, 21,
               "key 'upbit.public_url': expected a ws:// or wss:// URL, got 'http://x'");
    EXPECT_ERR("upbit: {rest_url: wss://x}\n", 1, 19,
               "key 'upbit.rest_url': expected an http:// or https:// URL, got 'wss://x'");
    EXPECT_ERR("admin: {listen: localhost}\n", 1, 17,
               "key 'admin.listen': expected HOST:PORT, got 'localhost'");
    EXPECT_ERR("admin: {listen: 'h:70000'}\n", 1, 17,
               "key 'admin.listen': expected HOST:PORT, got 'h:70000'");
    EXPECT_ERR("plugin_dirs: [a, '']\n", 1, 18, "key 'plugin_dirs[1]': must not be empty");
    EXPECT_ERR("- a\n", 1, 1, "expected a map at the top level, got a list");
    EXPECT_ERR("log: {}\n---\nadmin: {}\n", 3, 1, "only one YAML document is allowed");
}

static void test_plugin_errors(void)
{
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n  - plugin: q\n", 4, 5,
               "key 'plugins[1].name': missing (required)");
    EXPECT_ERR("plugins:\n  - name: a\n", 2, 5, "key 'plugins[0].plugin': missing (required)");
    EXPECT_ERR("plugins:\n  - name: ~\n    plugin: p\n", 2, 11,
               "key 'plugins[0].name': missing (required)");
    EXPECT_ERR("plugins:\n"
               "  - name: rec\n"
               "    plugin: p\n"
               "  - name: other\n"
               "    plugin: p\n"
               "  - name: rec\n"
               "    plugin: q\n",
               6, 11, "key 'plugins[2].name': duplicate instance name 'rec' (first at line 2)");
    EXPECT_ERR("plugins:\n  - name: a b\n    plugin: p\n", 2, 11,
               "key 'plugins[0].name': expected [A-Za-z0-9_.-]+, got 'a b'");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: ''\n", 3, 13,
               "key 'plugins[0].plugin': must not be empty");
    EXPECT_ERR("plugins:\n  - just-a-string\n", 2, 5,
               "key 'plugins[0]': expected a map, got a scalar");
}

static void test_type_errors(void)
{
    EXPECT_ERR("plugins: {a: 1}\n", 1, 10, "key 'plugins': expected a list, got a map");
    EXPECT_ERR("plugin_dirs: ./x\n", 1, 14, "key 'plugin_dirs': expected a list, got a scalar");
    EXPECT_ERR("plugin_dirs: [[a]]\n", 1, 15, "key 'plugin_dirs[0]': expected a string, got a list");
    EXPECT_ERR("upbit:\n  public_url: [a, b]\n", 2, 15,
               "key 'upbit.public_url': expected a string, got a list");
    EXPECT_ERR("log:\n  level: {x: 1}\n", 2, 10, "key 'log.level': expected a string, got a map");
    EXPECT_ERR("log: [1]\n", 1, 6, "key 'log': expected a map, got a list");
    EXPECT_ERR("admin: 5\n", 1, 8, "key 'admin': expected a map, got a scalar");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n    config: [1]\n", 4, 13,
               "key 'plugins[0].config': expected a map, got a list");
    EXPECT_ERR("plugins:\n  - name: [a]\n    plugin: p\n", 2, 11,
               "key 'plugins[0].name': expected a string, got a list");
}

static void test_duplicate_keys(void)
{
    EXPECT_ERR("admin:\n  listen: 1.2.3.4:1\n  listen: 1.2.3.4:2\n", 3, 3,
               "key 'admin.listen': duplicate key (first at line 2)");
    EXPECT_ERR("log: {}\nlog: {}\n", 2, 1, "key 'log': duplicate key (first at line 1)");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n    config:\n      k: 1\n      k: 2\n", 6, 7,
               "key 'plugins[0].config.k': duplicate key (first at line 5)");
    EXPECT_ERR("plugins:\n  - name: a\n    plugin: p\n    config: {[x]: 1}\n", 4, 14,
               "key 'plugins[0].config': map keys must be scalars, got a list");
}

static void test_keys_and_secrets(void)
{
    EXPECT_ERR("upbit:\n  access_key: abc\n", 2, 3,
               "key 'upbit.secret_key': access_key and secret_key must both be set or both be empty");
    setenv("S", "supersecret", 1);
    static const char *const texts[] = {
        "upbit:\n  access_key: \"\"\n  secret_key: ${S}\n",
        "upbit:\n  secret_key: ${S}\n",
        "upbit:\n  access_key: ${S}\n  secret_key: supersecret${oops\n",
        "upbit:\n  access_key: ${S}\n  secret_key: [supersecret]\n",
        "upbit:\n  access_key: ${S}\n  secret_key: \"supersecret\\0\"\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        config c;
        char err[512];
        CHECK(load_text(texts[i], &c, err, sizeof err) == -1);
        CHECK(strstr(err, "_key") != NULL);
        CHECK(strstr(err, "supersecret") == NULL);
        if (strstr(err, "supersecret"))
            fprintf(stderr, "  leaked: %s\n", err);
        config_free(&c);
    }
    EXPECT_ERR("upbit:\n  access_key: \"\"\n  secret_key: ${S}\n", 2, 15,
               "key 'upbit.access_key': access_key and secret_key must both be set or both be empty");
    unsetenv("S");
}

static void test_syntax_errors(void)
{
    EXPECT_ERR("a: [1, 2\nb: 3\n", 2, 2,
               "did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)");
    EXPECT_ERR("upbit:\n  public_url: x\n bad: 1\n", 3, 2,
               "did not find expected key (while parsing a block mapping at line 1, column 1)");
    EXPECT_ERR("log: {}\nadmin: b: c\n", 2, 9, "mapping values are not allowed in this context");
    EXPECT_ERR("log: *zz\n", 1, 6, "found undefined alias");
    EXPECT_ERR("log:\n  level: \"in\x01fo\"\n", 2, 13, "control characters are not allowed");
}

static void test_files(void)
{
    config c;
    char err[512], want[PATH_MAX + 64];
    const char *missing = tmp_path("nope.yaml");
    CHECK(config_load(missing, &c, err, sizeof err) == -1);
    sfmt(want, sizeof want, "%s: cannot open: No such file or directory", missing);
    CHECK_STR(err, want);
    config_free(&c);
    CHECK(config_load(tmpdir, &c, err, sizeof err) == -1);
    sfmt(want, sizeof want, "%s: cannot read: Is a directory", tmpdir);
    CHECK_STR(err, want);
    config_free(&c);

    config z;
    memset(&z, 0, sizeof z);
    config_free(&z);   /* a zeroed config is valid input */
    config_free(NULL);
    CHECK(cnode_get(NULL, "x") == NULL);
    CHECK(cnode_to_json(NULL) == NULL);
}

/* Aliases are followed, but a cycle or an exponential expansion must end in
 * an error rather than a crash or an out-of-memory. */
static void test_aliases(void)
{
    config c;
    char err[512];
    int rc = load_text("codes: &c [KRW-BTC]\n", &c, err, sizeof err);   /* unknown top key */
    CHECK(rc == -1);
    config_free(&c);
    rc = load_text("plugins:\n"
                   "  - {name: a, plugin: p, config: &c {codes: [KRW-BTC, KRW-ETH]}}\n"
                   "  - {name: b, plugin: p, config: *c}\n", &c, err, sizeof err);
    CHECK(rc == 0);
    if (rc == 0) {
        char *a = cnode_to_json(&c.plugins[0].config), *b = cnode_to_json(&c.plugins[1].config);
        CHECK_STR(a, b);
        free(a);
        free(b);
    }
    config_free(&c);
    rc = load_text("plugins:\n  - name: a\n    plugin: p\n    config: &c {x: *c}\n", &c, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "alias cycle") != NULL);
    config_free(&c);

    char bomb[2048];
    int n = snprintf(bomb, sizeof bomb, "plugins:\n  - name: a\n    plugin: p\n    config:\n"
                     "      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 7; i++)
        n += snprintf(bomb + n, sizeof bomb - (size_t)n,
                      "      l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n",
                      i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    rc = load_text(bomb, &c, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "alias expansion") != NULL);
    config_free(&c);
}

static void test_json_types(void)
{
    config c;
    char err[512];
    int rc = load_text("plugins:\n  - name: a\n    plugin: p\n    config:\n"
                       "      i: -12\n      f: 1e3\n      g: .5\n      h: 1.\n      big: 123456789012345678901\n"
                       "      t: True\n      n: NULL\n      e:\n      s: 'true'\n      v: 1.2.3\n"
                       "      lit: |\n        5\n",
                       &c, err, sizeof err);
    CHECK(rc == 0);
    if (rc == 0) {
        char *json = cnode_to_json(&c.plugins[0].config);
        CHECK_STR(json, "{\"big\":\"123456789012345678901\",\"e\":null,\"f\":1000.0,\"g\":0.5,"
                        "\"h\":1.0,\"i\":-12,\"lit\":\"5\\n\",\"n\":null,\"s\":\"true\",\"t\":true,"
                        "\"v\":\"1.2.3\"}");
        free(json);
        json = cnode_to_json(cnode_get(&c.plugins[0].config, "i"));
        CHECK_STR(json, "-12");
        free(json);
    }
    config_free(&c);
}

int main(void)
{
    char tmpl[] = "/tmp/upws-test-config-XXXXXX";
    if (!mkdtemp(tmpl) || !realpath(tmpl, tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_full();
    test_defaults();
    test_env();
    test_paths();
    test_sample();
    test_schema_errors();
    test_plugin_errors();
    test_type_errors();
    test_duplicate_keys();
    test_keys_and_secrets();
    test_syntax_errors();
    test_files();
    test_aliases();
    test_json_types();
    test_delivery();
    test_literal_key_warning();
    cleanup();
    return CHECK_DONE();
}
