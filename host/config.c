/*
 * config.c — YAML file → validated `config` (see config.h, DESIGN.md §8).
 *
 * The file is read whole and loaded with libyaml's document API, then walked
 * against small tables of known keys. Every scalar passes through ${ENV}
 * expansion before it is typed. Errors name FILE:LINE:COL and the dotted key
 * path; values of secret keys are never echoed.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <yaml.h>

#define CONFIG_MAX_FILE  (4u << 20)   /* a config larger than this is a mistake */
#define CONFIG_MAX_DEPTH 64           /* bounds recursion through alias cycles */
#define CONFIG_MAX_NODES 100000       /* bounds "billion laughs" alias expansion */

#define DEFAULT_PUBLIC_URL  "wss://api.upbit.com/websocket/v1"
#define DEFAULT_PRIVATE_URL "wss://api.upbit.com/websocket/v1/private"
#define DEFAULT_REST_URL    "https://api.upbit.com"
#define DEFAULT_LISTEN      "127.0.0.1:9380"
#define DEFAULT_LOG_LEVEL   "info"
#define DEFAULT_SUMMARY     60

typedef struct config_ctx {
    const char *file;          /* path as given, for messages */
    const char *text;          /* whole file, to turn byte offsets into marks */
    size_t text_len;
    yaml_document_t doc;       /* the loaded tree, valid during the walk */
    char *basedir;             /* absolute directory of the file */
    char *err;
    size_t errlen;
    char path[512];            /* dotted key path of the node being read */
    size_t path_len;
    long nodes_left;
    size_t from_file;          /* bytes of the last expanded scalar written in the file itself */
    unsigned literal_keys;     /* CONFIG_LIT_* of API keys given as literal text */
} config_ctx;

/* API keys written into the file rather than referenced from the environment. */
enum { CONFIG_LIT_ACCESS = 1, CONFIG_LIT_SECRET = 2 };

typedef struct config_field config_field;
typedef int (*config_parse_fn)(config_ctx *, yaml_node_t *, const config_field *, void *base);

/* One known key: how to read its value and where to store it in `base`. */
struct config_field {
    const char *key;
    config_parse_fn parse;
    size_t off;                          /* offset of the destination in base */
    const config_field *sub;             /* fields of a nested section */
    int (*after)(config_ctx *, yaml_node_t *, void *base); /* cross-key checks */
    int required;
};

/* ---- small helpers ------------------------------------------------------- */

/* As everywhere in the host, running out of memory is fatal. */
static void *config_alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("upws: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *config_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = config_alloc(n, 1);
    memcpy(p, s, n);
    return p;
}

static const char *config_text(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static const char *config_kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a map";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return "a scalar";
    }
}

/* YAML's null spellings; only a plain (unquoted) scalar can be null. */
static int config_is_null(const yaml_node_t *n)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(config_text(n), nulls[i]) == 0)
            return 1;
    return 0;
}

static void config_path_push(config_ctx *ctx, const char *fmt, ...)
{
    size_t room = sizeof ctx->path - ctx->path_len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(ctx->path + ctx->path_len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        ctx->path_len += (size_t)n < room ? (size_t)n : room - 1;
}

static void config_path_key(config_ctx *ctx, const char *key)
{
    config_path_push(ctx, ctx->path_len ? ".%s" : "%s", key);
}

static void config_path_pop(config_ctx *ctx, size_t len)
{
    ctx->path_len = len;
    ctx->path[len] = '\0';
}

/* "FILE:LINE:COL: key 'PATH': message"; the key part is left out at the root. */
static int config_err_at(config_ctx *ctx, size_t line, size_t col, const char *fmt, ...)
{
    int n = ctx->path_len
        ? snprintf(ctx->err, ctx->errlen, "%s:%zu:%zu: key '%s': ", ctx->file, line, col, ctx->path)
        : snprintf(ctx->err, ctx->errlen, "%s:%zu:%zu: ", ctx->file, line, col);
    if (n < 0 || (size_t)n >= ctx->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

#define config_err(ctx, node, ...) \
    config_err_at((ctx), (node)->start_mark.line + 1, (node)->start_mark.column + 1, __VA_ARGS__)

static int config_expect(config_ctx *ctx, yaml_node_t *n, yaml_node_type_t type, const char *what)
{
    if (n->type == type)
        return 0;
    return config_err(ctx, n, "expected %s, got %s", what, config_kind_name(n));
}

/* Value node of `key` in a mapping, NULL when absent. */
static yaml_node_t *config_map_find(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(config_text(k), key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

/* ---- ${ENV} expansion ------------------------------------------------------ */

typedef struct config_buf {
    char *p;
    size_t len, cap;
} config_buf;

static void config_buf_add(config_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = config_alloc(cap, 1);
        if (b->len)
            memcpy(p, b->p, b->len);
        free(b->p);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Column of byte `off` of a scalar: exact for single-line plain or quoted
 * scalars (escapes aside); for block scalars the scalar's own start. */
static size_t config_scalar_col(const yaml_node_t *n, size_t off)
{
    yaml_scalar_style_t st = n->data.scalar.style;
    size_t col = n->start_mark.column + 1;
    if (memchr(config_text(n), '\n', n->data.scalar.length))
        return col;
    if (st == YAML_PLAIN_SCALAR_STYLE)
        return col + off;
    if (st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
        return col + 1 + off;
    return col;
}

static int config_env_err(config_ctx *ctx, const yaml_node_t *n, size_t off, const char *why)
{
    /* The reference text is not shown: it may sit inside a secret. */
    return config_err_at(ctx, n->start_mark.line + 1, config_scalar_col(n, off),
                         "malformed ${...} reference: %s", why);
}

static int config_name_char(char c, int first)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
        return 1;
    return !first && c >= '0' && c <= '9';
}

/* Expands one reference starting at s[i] == '$' s[i+1] == '{'; returns the
 * index just past it, or 0 after writing an error. */
static size_t config_expand_ref(config_ctx *ctx, const yaml_node_t *n, size_t i, config_buf *b)
{
    const char *s = config_text(n);
    size_t name = i + 2, end = name;
    while (config_name_char(s[end], end == name))
        end++;
    if (end == name)
        return config_env_err(ctx, n, i, "expected a variable name after '${'"), 0;
    size_t dflt = end, close = end;
    if (s[end] == ':' && s[end + 1] == '-') {
        dflt = end + 2;
        close = dflt + strcspn(s + dflt, "}");
    }
    if (s[close] != '}')
        return config_env_err(ctx, n, i, s[close] ? "bad character in variable name"
                                                  : "missing '}'"), 0;
    char var[256];
    if (end - name >= sizeof var)
        return config_env_err(ctx, n, i, "variable name too long"), 0;
    memcpy(var, s + name, end - name);
    var[end - name] = '\0';
    const char *val = getenv(var);
    if (val && *val)
        config_buf_add(b, val, strlen(val));
    else if (dflt != end) {
        config_buf_add(b, s + dflt, close - dflt);
        ctx->from_file += close - dflt;   /* a default is text of the file */
    }
    return close + 1;
}

/* The scalar's text with ${NAME}, ${NAME:-default} and $$ expanded;
 * malloc'd into *out. A lone '$' is kept as written. Counts in
 * ctx->from_file the bytes that came from the file rather than the
 * environment (the literal-API-key warning needs to know). */
static int config_expand(config_ctx *ctx, const yaml_node_t *n, char **out)
{
    const char *s = config_text(n);
    size_t len = n->data.scalar.length;
    if (strlen(s) != len)   /* "\0" in a double-quoted scalar: C strings cannot hold it */
        return config_err(ctx, n, "must not contain a NUL character");
    config_buf b = { 0 };
    config_buf_add(&b, "", 0);
    ctx->from_file = 0;
    for (size_t i = 0; i < len;) {
        size_t run = strcspn(s + i, "$");
        config_buf_add(&b, s + i, run);
        ctx->from_file += run;
        i += run;
        if (i >= len)
            break;
        if (s[i + 1] == '{') {
            i = config_expand_ref(ctx, n, i, &b);
            if (!i) {
                free(b.p);
                return -1;
            }
            continue;
        }
        config_buf_add(&b, "$", 1);   /* "$$" or a lone '$' */
        ctx->from_file++;
        i += s[i + 1] == '$' ? 2 : 1;
    }
    *out = b.p;
    return 0;
}

/* ---- typed values ------------------------------------------------------------ */

/* Expanded scalar text; "expected a string" for lists and maps. */
static int config_scalar(config_ctx *ctx, yaml_node_t *n, char **out)
{
    if (config_expect(ctx, n, YAML_SCALAR_NODE, "a string") < 0)
        return -1;
    return config_expand(ctx, n, out);
}

static char **config_slot(const config_field *f, void *base)
{
    return (char **)((char *)base + f->off);
}

static void config_set(const config_field *f, void *base, char *val)
{
    char **slot = config_slot(f, base);
    free(*slot);
    *slot = val;
}

static int config_nonempty(config_ctx *ctx, yaml_node_t *n, char **out)
{
    *out = NULL;
    if (config_is_null(n))
        return config_err(ctx, n, "must not be empty");
    if (config_scalar(ctx, n, out) < 0)
        return -1;
    if (**out)
        return 0;
    free(*out);
    *out = NULL;
    return config_err(ctx, n, "must not be empty");
}

static int config_has_prefix(const char *s, const char *const *prefixes)
{
    for (; *prefixes; prefixes++)
        if (strncmp(s, *prefixes, strlen(*prefixes)) == 0 && s[strlen(*prefixes)])
            return 1;
    return 0;
}

static int config_url(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base,
                      const char *const *schemes, const char *what)
{
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    if (!config_has_prefix(v, schemes)) {
        config_err(ctx, n, "expected %s URL, got '%.80s'", what, v);
        free(v);
        return -1;
    }
    config_set(f, base, v);
    return 0;
}

static int config_parse_ws_url(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    static const char *const schemes[] = { "ws://", "wss://", NULL };
    return config_url(ctx, n, f, base, schemes, "a ws:// or wss://");
}

static int config_parse_http_url(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    static const char *const schemes[] = { "http://", "https://", NULL };
    return config_url(ctx, n, f, base, schemes, "an http:// or https://");
}

/* API keys: empty means absent, and the value is never put in a message. */
static int config_parse_secret(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    if (!*v) {
        free(v);
        v = NULL;
    }
    config_set(f, base, v);
    return 0;
}

/* An Upbit API key: a secret, and noted when its text is written in the
 * file itself (see config_warn_literal_keys). */
static int config_parse_api_key(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    if (config_parse_secret(ctx, n, f, base) < 0)
        return -1;
    if (*config_slot(f, base) && ctx->from_file)
        ctx->literal_keys |= strcmp(f->key, "access_key") == 0 ? CONFIG_LIT_ACCESS : CONFIG_LIT_SECRET;
    return 0;
}

/* HOST:PORT with a port in 0..65535 (0 = pick any, handy in tests). */
static int config_listen_ok(const char *v)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || !colon[1] || strlen(colon + 1) > 5)
        return 0;
    if (strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return 0;
    return atol(colon + 1) <= 65535;
}

static int config_parse_listen(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    if (strcmp(v, "off") != 0 && !config_listen_ok(v)) {
        config_err(ctx, n, "expected HOST:PORT, got '%.80s'", v);
        free(v);
        return -1;
    }
    config_set(f, base, v);
    return 0;
}

static int config_parse_reload(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    int ok = strcmp(v, "off") == 0 || strcmp(v, "watch") == 0;
    if (!ok)
        config_err(ctx, n, "expected off or watch, got '%.80s'", v);
    else
        *(int *)((char *)base + f->off) = strcmp(v, "watch") == 0;
    free(v);
    return ok ? 0 : -1;
}

static int config_parse_format(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
        config_err(ctx, n, "expected text or json, got '%.80s'", v);
        free(v);
        return -1;
    }
    config_set(f, base, v);
    return 0;
}

/* An admin server reachable from other machines must ask for a token. */
static int config_is_loopback_listen(const char *v)
{
    return strcmp(v, "off") == 0 || strncmp(v, "127.", 4) == 0 || strncmp(v, "localhost:", 10) == 0 ||
           strncmp(v, "[::1]:", 6) == 0;
}

static int config_check_admin(config_ctx *ctx, yaml_node_t *admin, void *base)
{
    config *c = base;
    if (!c->admin_listen || config_is_loopback_listen(c->admin_listen) || c->admin_token)
        return 0;
    yaml_node_t *at = config_map_find(&ctx->doc, admin, "listen");
    config_path_key(ctx, "listen");
    return config_err(ctx, at ? at : admin, "a non-loopback address needs admin.token (requests must then carry it)");
}

static int config_parse_level(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    static const char *const levels[] = { "error", "warn", "info", "debug" };
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcmp(v, levels[i]) == 0) {
            config_set(f, base, v);
            return 0;
        }
    }
    config_err(ctx, n, "expected one of error|warn|info|debug, got '%.80s'", v);
    free(v);
    return -1;
}

static int config_parse_uint(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    int ok = *v && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 9;
    if (!ok) {
        config_err(ctx, n, "expected an integer ≥ 0, got '%.80s'", v);
        free(v);
        return -1;
    }
    *(int *)((char *)base + f->off) = atoi(v);
    free(v);
    return 0;
}

/* ---- paths -------------------------------------------------------------------- */

/* Lexically drops "", "." and "name/.." components of an absolute path. */
static void config_normalize(char *p)
{
    char *out = p, *in = p;
    while (*in) {
        while (*in == '/')
            in++;
        size_t n = strcspn(in, "/");
        if (n == 0 || (n == 1 && in[0] == '.')) {
            in += n;
            continue;
        }
        if (n == 2 && in[0] == '.' && in[1] == '.') {
            while (out > p && *--out != '/')
                ;
            in += n;
            continue;
        }
        *out++ = '/';
        memmove(out, in, n);
        out += n;
        in += n;
    }
    if (out == p)
        *out++ = '/';
    *out = '\0';
}

/* Absolute, normalized form of `rel` taken relative to the config's directory. */
static char *config_resolve(const config_ctx *ctx, const char *rel)
{
    if (rel[0] == '/') {
        char *p = config_strdup(rel);
        config_normalize(p);
        return p;
    }
    size_t n = strlen(ctx->basedir) + strlen(rel) + 2;
    char *p = config_alloc(n, 1);
    snprintf(p, n, "%s/%s", ctx->basedir, rel);
    config_normalize(p);
    return p;
}

/* Directory of the config file as an absolute path, so relative entries
 * mean the same whatever the daemon's cwd. */
static char *config_basedir(const char *file)
{
    char *copy = config_strdup(file);
    char *slash = strrchr(copy, '/');
    if (slash == copy)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(copy, ".");
    char *real = realpath(copy, NULL);
    free(copy);
    return real ? real : config_strdup("/");
}

static int config_parse_plugin_dirs(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    config *c = base;
    (void)f;
    if (config_expect(ctx, n, YAML_SEQUENCE_NODE, "a list") < 0)
        return -1;
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    c->plugin_dirs = config_alloc(count, sizeof *c->plugin_dirs);
    size_t len = ctx->path_len;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yaml_document_get_node(&ctx->doc, n->data.sequence.items.start[i]);
        char *v;
        config_path_push(ctx, "[%zu]", i);
        if (config_nonempty(ctx, item, &v) < 0)
            return -1;
        config_path_pop(ctx, len);
        c->plugin_dirs[i] = config_resolve(ctx, v);
        c->n_plugin_dirs = i + 1;
        free(v);
    }
    return 0;
}

/* ---- the schema walk ------------------------------------------------------------ */

static const config_field *config_field_find(const config_field *fields, const char *key)
{
    for (; fields->key; fields++)
        if (strcmp(fields->key, key) == 0)
            return fields;
    return NULL;
}

/* Keys must be scalars and appear once; checks pair i against the earlier ones. */
static int config_check_key(config_ctx *ctx, yaml_node_t *map, size_t i, yaml_node_t **key)
{
    yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    yaml_node_t *k = yaml_document_get_node(&ctx->doc, pairs[i].key);
    *key = k;
    if (k->type != YAML_SCALAR_NODE)
        return config_err(ctx, k, "map keys must be scalars, got %s", config_kind_name(k));
    for (size_t j = 0; j < i; j++) {
        yaml_node_t *prev = yaml_document_get_node(&ctx->doc, pairs[j].key);
        if (prev->type == YAML_SCALAR_NODE && strcmp(config_text(prev), config_text(k)) == 0) {
            config_path_key(ctx, config_text(k));
            return config_err(ctx, k, "duplicate key (first at line %zu)", prev->start_mark.line + 1);
        }
    }
    return 0;
}

static int config_walk_pair(config_ctx *ctx, yaml_node_t *k, yaml_node_t *v,
                            const config_field *fields, void *base)
{
    const config_field *f = config_field_find(fields, config_text(k));
    config_path_key(ctx, config_text(k));
    if (!f)
        return config_err(ctx, k, "unknown key");
    if (config_is_null(v))
        return f->required ? config_err(ctx, v, "missing (required)") : 0;
    return f->parse(ctx, v, f, base);
}

static int config_walk_required(config_ctx *ctx, yaml_node_t *map, const config_field *fields)
{
    for (; fields->key; fields++) {
        if (!fields->required || config_map_find(&ctx->doc, map, fields->key))
            continue;
        config_path_key(ctx, fields->key);
        return config_err(ctx, map, "missing (required)");
    }
    return 0;
}

/* Reads every pair of `map` through `fields` into `base`. */
static int config_walk(config_ctx *ctx, yaml_node_t *map, const config_field *fields, void *base)
{
    if (config_expect(ctx, map, YAML_MAPPING_NODE, "a map") < 0)
        return -1;
    size_t len = ctx->path_len;
    size_t count = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *k;
        if (config_check_key(ctx, map, i, &k) < 0)
            return -1;
        yaml_node_t *v = yaml_document_get_node(&ctx->doc, map->data.mapping.pairs.start[i].value);
        if (config_walk_pair(ctx, k, v, fields, base) < 0)
            return -1;
        config_path_pop(ctx, len);
    }
    return config_walk_required(ctx, map, fields);
}

static int config_parse_section(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    if (config_walk(ctx, n, f->sub, base) < 0)
        return -1;
    return f->after ? f->after(ctx, n, base) : 0;
}

/* Both API keys or neither: the empty/absent one is named, its value never. */
/* Keepalive bounds: Upbit drops sockets idle for ~60 s (observed) to 120 s
 * (documented), so pings must come at least every 30 s, and a socket must
 * be given at least one ping interval to answer before it is called dead. */
static int config_check_timing(config_ctx *ctx, yaml_node_t *upbit, config *c)
{
    const char *key = NULL, *why = NULL;
    if (c->ping_interval < 1 || c->ping_interval > 30) {
        key = "ping_interval";
        why = "must be between 1 and 30 seconds";
    } else if (c->stall_timeout <= c->ping_interval || c->stall_timeout > 600) {
        key = "stall_timeout";
        why = "must be greater than ping_interval and at most 600 seconds";
    } else if (c->reconnect_max_ms < 100 || c->reconnect_max_ms > 300000) {
        key = "reconnect_max_ms";
        why = "must be between 100 and 300000";
    }
    if (!key)
        return 0;
    yaml_node_t *at = config_map_find(&ctx->doc, upbit, key);
    config_path_key(ctx, key);
    return config_err(ctx, at ? at : upbit, "%s", why);
}

static int config_check_keys(config_ctx *ctx, yaml_node_t *upbit, void *base)
{
    config *c = base;
    if (config_check_timing(ctx, upbit, c) < 0)
        return -1;
    if (!c->access_key == !c->secret_key)
        return 0;
    const char *missing = c->access_key ? "secret_key" : "access_key";
    yaml_node_t *at = config_map_find(&ctx->doc, upbit, missing);
    config_path_key(ctx, missing);
    return config_err(ctx, at ? at : upbit, "access_key and secret_key must both be set or both be empty");
}

/* ---- cnode trees (plugin config sections) ---------------------------------------- */

static int config_cnode(config_ctx *ctx, yaml_node_t *n, cnode *out, int depth);

static void config_cnode_free(cnode *n)
{
    for (size_t i = 0; i < n->n_items; i++)
        config_cnode_free(&n->items[i]);
    free(n->items);
    free(n->key);
    free(n->scalar);
    memset(n, 0, sizeof *n);
}

static int config_cnode_list(config_ctx *ctx, yaml_node_t *n, cnode *out, int depth)
{
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    size_t len = ctx->path_len;
    out->kind = CNODE_LIST;
    out->items = config_alloc(count, sizeof *out->items);
    out->n_items = count;
    for (size_t i = 0; i < count; i++) {
        config_path_push(ctx, "[%zu]", i);
        yaml_node_t *item = yaml_document_get_node(&ctx->doc, n->data.sequence.items.start[i]);
        if (config_cnode(ctx, item, &out->items[i], depth + 1) < 0)
            return -1;
        config_path_pop(ctx, len);
    }
    return 0;
}

static int config_cnode_map(config_ctx *ctx, yaml_node_t *n, cnode *out, int depth)
{
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    size_t len = ctx->path_len;
    out->kind = CNODE_MAP;
    out->items = config_alloc(count, sizeof *out->items);
    out->n_items = count;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *k;
        if (config_check_key(ctx, n, i, &k) < 0)
            return -1;
        config_path_key(ctx, config_text(k));
        yaml_node_t *v = yaml_document_get_node(&ctx->doc, n->data.mapping.pairs.start[i].value);
        if (config_cnode(ctx, v, &out->items[i], depth + 1) < 0)
            return -1;
        out->items[i].key = config_strdup(config_text(k));
        /* Errors about an entry (e.g. an unknown key) point at its key. */
        out->items[i].line = (int)k->start_mark.line + 1;
        out->items[i].col = (int)k->start_mark.column + 1;
        config_path_pop(ctx, len);
    }
    return 0;
}

static int config_cnode(config_ctx *ctx, yaml_node_t *n, cnode *out, int depth)
{
    out->line = (int)n->start_mark.line + 1;
    out->col = (int)n->start_mark.column + 1;
    if (depth > CONFIG_MAX_DEPTH)
        return config_err(ctx, n, "nested deeper than %d levels (alias cycle?)", CONFIG_MAX_DEPTH);
    if (--ctx->nodes_left < 0)
        return config_err(ctx, n, "more than %d nodes (alias expansion?)", CONFIG_MAX_NODES);
    if (n->type == YAML_SEQUENCE_NODE)
        return config_cnode_list(ctx, n, out, depth);
    if (n->type == YAML_MAPPING_NODE)
        return config_cnode_map(ctx, n, out, depth);
    out->kind = CNODE_SCALAR;
    out->quoted = n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return config_expand(ctx, n, &out->scalar);
}

static int config_parse_cnode_map(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    cnode *dst = (cnode *)((char *)base + f->off);
    if (config_expect(ctx, n, YAML_MAPPING_NODE, "a map") < 0)
        return -1;
    config_cnode_free(dst);
    return config_cnode(ctx, n, dst, 0);
}

/* ---- plugins ------------------------------------------------------------------------ */

static int config_name_ok(const char *s)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
    return *s && strspn(s, ok) == strlen(s);
}

static int config_parse_name(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    if (!config_name_ok(v)) {
        config_err(ctx, n, "expected [A-Za-z0-9_.-]+, got '%.80s'", v);
        free(v);
        return -1;
    }
    config_set(f, base, v);
    return 0;
}

/* A bare stem stays as written (looked up in plugin_dirs later); anything
 * with a '/' is a path and is made absolute against the config's directory. */
static int config_parse_plugin(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    char *v;
    if (config_nonempty(ctx, n, &v) < 0)
        return -1;
    if (strchr(v, '/')) {
        char *abs = config_resolve(ctx, v);
        free(v);
        v = abs;
    }
    config_set(f, base, v);
    return 0;
}

/* plugins[i].delivery: replaces the per-type default policy of every
 * subscription of the instance that did not choose one itself. */
static int config_parse_delivery(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    char *v;
    if (config_scalar(ctx, n, &v) < 0)
        return -1;
    upws_delivery d = strcmp(v, "lossless") == 0 ? UPWS_DELIVERY_LOSSLESS
                    : strcmp(v, "latest") == 0   ? UPWS_DELIVERY_LATEST
                                                 : UPWS_DELIVERY_DEFAULT;
    if (d == UPWS_DELIVERY_DEFAULT)
        config_err(ctx, n, "expected lossless or latest, got '%.80s'", v);
    else
        *(upws_delivery *)((char *)base + f->off) = d;
    free(v);
    return d == UPWS_DELIVERY_DEFAULT ? -1 : 0;
}

static const config_field config_plugin_fields[] = {
    { .key = "name", .parse = config_parse_name, .off = offsetof(plugin_conf, name), .required = 1 },
    { .key = "plugin", .parse = config_parse_plugin, .off = offsetof(plugin_conf, plugin), .required = 1 },
    { .key = "config", .parse = config_parse_cnode_map, .off = offsetof(plugin_conf, config) },
    { .key = "log_level", .parse = config_parse_level, .off = offsetof(plugin_conf, log_level) },
    { .key = "delivery", .parse = config_parse_delivery, .off = offsetof(plugin_conf, delivery) },
    { 0 },
};

static int config_check_unique(config_ctx *ctx, yaml_node_t *item, const config *c, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (strcmp(c->plugins[j].name, c->plugins[i].name) != 0)
            continue;
        config_path_key(ctx, "name");
        return config_err(ctx, config_map_find(&ctx->doc, item, "name"),
                          "duplicate instance name '%s' (first at line %d)",
                          c->plugins[i].name, c->plugins[j].line);
    }
    return 0;
}

static int config_parse_plugins(config_ctx *ctx, yaml_node_t *n, const config_field *f, void *base)
{
    config *c = base;
    (void)f;
    if (config_expect(ctx, n, YAML_SEQUENCE_NODE, "a list") < 0)
        return -1;
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    size_t len = ctx->path_len;
    c->plugins = config_alloc(count, sizeof *c->plugins);
    c->n_plugins = count;
    for (size_t i = 0; i < count; i++)
        c->plugins[i].config.kind = CNODE_MAP;   /* absent config = empty map */
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yaml_document_get_node(&ctx->doc, n->data.sequence.items.start[i]);
        plugin_conf *p = &c->plugins[i];
        p->line = p->config.line = (int)item->start_mark.line + 1;
        p->col = p->config.col = (int)item->start_mark.column + 1;
        config_path_push(ctx, "[%zu]", i);
        if (config_walk(ctx, item, config_plugin_fields, p) < 0)
            return -1;
        if (config_check_unique(ctx, item, c, i) < 0)
            return -1;
        config_path_pop(ctx, len);
    }
    return 0;
}

/* ---- top level ------------------------------------------------------------------------ */

static const config_field config_upbit_fields[] = {
    { .key = "public_url", .parse = config_parse_ws_url, .off = offsetof(config, public_url) },
    { .key = "private_url", .parse = config_parse_ws_url, .off = offsetof(config, private_url) },
    { .key = "rest_url", .parse = config_parse_http_url, .off = offsetof(config, rest_url) },
    { .key = "access_key", .parse = config_parse_api_key, .off = offsetof(config, access_key) },
    { .key = "secret_key", .parse = config_parse_api_key, .off = offsetof(config, secret_key) },
    { .key = "ping_interval", .parse = config_parse_uint, .off = offsetof(config, ping_interval) },
    { .key = "stall_timeout", .parse = config_parse_uint, .off = offsetof(config, stall_timeout) },
    { .key = "reconnect_max_ms", .parse = config_parse_uint, .off = offsetof(config, reconnect_max_ms) },
    { 0 },
};

static const config_field config_admin_fields[] = {
    { .key = "listen", .parse = config_parse_listen, .off = offsetof(config, admin_listen) },
    { .key = "token", .parse = config_parse_secret, .off = offsetof(config, admin_token) },
    { 0 },
};

static const config_field config_log_fields[] = {
    { .key = "level", .parse = config_parse_level, .off = offsetof(config, log_level) },
    { .key = "summary_interval", .parse = config_parse_uint, .off = offsetof(config, summary_interval) },
    { .key = "format", .parse = config_parse_format, .off = offsetof(config, log_format) },
    { 0 },
};

static const config_field config_top_fields[] = {
    { .key = "upbit", .parse = config_parse_section, .sub = config_upbit_fields, .after = config_check_keys },
    { .key = "admin", .parse = config_parse_section, .sub = config_admin_fields, .after = config_check_admin },
    { .key = "log", .parse = config_parse_section, .sub = config_log_fields },
    { .key = "reload", .parse = config_parse_reload, .off = offsetof(config, reload_watch) },
    { .key = "plugin_dirs", .parse = config_parse_plugin_dirs },
    { .key = "plugins", .parse = config_parse_plugins },
    { 0 },
};

static void config_default(char **slot, const char *value)
{
    if (!*slot)
        *slot = config_strdup(value);
}

static void config_defaults(config *c)
{
    config_default(&c->public_url, DEFAULT_PUBLIC_URL);
    config_default(&c->private_url, DEFAULT_PRIVATE_URL);
    config_default(&c->rest_url, DEFAULT_REST_URL);
    config_default(&c->admin_listen, DEFAULT_LISTEN);
    config_default(&c->log_level, DEFAULT_LOG_LEVEL);
    config_default(&c->log_format, "text");
}

/* ---- reading and parsing the file --------------------------------------------------- */

/* The whole file, and in *mode the permission bits of what was read. */
static char *config_read(const char *path, size_t *len, unsigned *mode, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    *mode = fstat(fileno(f), &st) == 0 ? (unsigned)st.st_mode & 07777u : 0;
    config_buf b = { 0 };
    char chunk[8192];
    size_t n;
    config_buf_add(&b, "", 0);
    while (b.len <= CONFIG_MAX_FILE && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        config_buf_add(&b, chunk, n);
    int e = ferror(f) ? errno : b.len > CONFIG_MAX_FILE ? EFBIG : 0;
    fclose(f);
    if (e) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* Reader errors carry a byte offset instead of a mark; count lines ourselves. */
static void config_offset_mark(const config_ctx *ctx, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < ctx->text_len; i++) {
        if (ctx->text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int config_syntax_err(config_ctx *ctx, const yaml_parser_t *p)
{
    size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "cannot parse";
    if (p->error == YAML_READER_ERROR)
        config_offset_mark(ctx, p->problem_offset, &line, &col);
    if (!p->context)
        return config_err_at(ctx, line, col, "%s", problem);
    return config_err_at(ctx, line, col, "%s (%s at line %zu, column %zu)", problem,
                         p->context, p->context_mark.line + 1, p->context_mark.column + 1);
}

/* A second document in the stream is almost certainly a mistake. */
static int config_check_single(config_ctx *ctx, yaml_parser_t *p)
{
    yaml_document_t next;
    if (!yaml_parser_load(p, &next))
        return config_syntax_err(ctx, p);
    yaml_node_t *root = yaml_document_get_root_node(&next);
    int rc = 0;
    if (root)
        rc = config_err(ctx, root, "only one YAML document is allowed");
    yaml_document_delete(&next);
    return rc;
}

static int config_apply(config_ctx *ctx, config *out)
{
    yaml_node_t *root = yaml_document_get_root_node(&ctx->doc);
    if (!root || config_is_null(root))
        return 0;   /* empty file: all defaults */
    if (root->type != YAML_MAPPING_NODE)
        return config_err(ctx, root, "expected a map at the top level, got %s", config_kind_name(root));
    return config_walk(ctx, root, config_top_fields, out);
}

static int config_parse(config_ctx *ctx, config *out)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return config_err_at(ctx, 1, 1, "cannot initialize the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)ctx->text, ctx->text_len);
    int rc = -1;
    if (!yaml_parser_load(&parser, &ctx->doc)) {
        rc = config_syntax_err(ctx, &parser);
    } else {
        rc = config_apply(ctx, out);
        if (rc == 0)
            rc = config_check_single(ctx, &parser);
        yaml_document_delete(&ctx->doc);
    }
    yaml_parser_delete(&parser);
    return rc;
}

static void config_warn(config *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **w = config_alloc(c->n_warnings + 1, sizeof *w);
    if (c->n_warnings)
        memcpy(w, c->warnings, c->n_warnings * sizeof *w);
    free(c->warnings);
    c->warnings = w;
    c->warnings[c->n_warnings++] = config_strdup(line);
}

/* API keys written into a file that group or others may read are one
 * `cat` away from anyone on the machine. Names the keys, never the values. */
static void config_warn_literal_keys(config *c, unsigned literal, unsigned mode)
{
    if (!literal || !(mode & (S_IRGRP | S_IROTH)))
        return;
    const char *which = literal == (CONFIG_LIT_ACCESS | CONFIG_LIT_SECRET)
                            ? "upbit.access_key and upbit.secret_key are"
                        : literal == CONFIG_LIT_ACCESS ? "upbit.access_key is" : "upbit.secret_key is";
    config_warn(c, "%s: %s written in the file as literal text, and its mode %04o lets %s read it; "
                   "run 'chmod 600 %s', or give the keys as ${ENV} references "
                   "(access_key: ${UPBIT_ACCESS_KEY}, secret_key: ${UPBIT_SECRET_KEY})",
                c->path, which, mode, (mode & S_IROTH) ? "every user of this machine" : "its group",
                c->path);
}

int config_load(const char *path, config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    config_ctx ctx = { .file = path, .err = err, .errlen = errlen, .nodes_left = CONFIG_MAX_NODES };
    unsigned mode = 0;
    ctx.text = config_read(path, &ctx.text_len, &mode, err, errlen);
    if (!ctx.text)
        return -1;
    ctx.basedir = config_basedir(path);
    out->path = config_strdup(path);
    out->summary_interval = DEFAULT_SUMMARY;
    out->ping_interval = 20;
    out->stall_timeout = 45;
    out->reconnect_max_ms = 500;
    int rc = config_parse(&ctx, out);
    free((char *)ctx.text);
    free(ctx.basedir);
    if (rc < 0) {
        config_free(out);   /* nothing is partially applied */
        return -1;
    }
    config_defaults(out);
    config_warn_literal_keys(out, ctx.literal_keys, mode);
    return 0;
}

void config_free(config *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->public_url);
    free(c->private_url);
    free(c->rest_url);
    free(c->access_key);
    free(c->secret_key);
    free(c->admin_listen);
    free(c->admin_token);
    free(c->log_level);
    free(c->log_format);
    for (size_t i = 0; i < c->n_plugin_dirs; i++)
        free(c->plugin_dirs[i]);
    free(c->plugin_dirs);
    for (size_t i = 0; i < c->n_plugins; i++) {
        free(c->plugins[i].name);
        free(c->plugins[i].plugin);
        free(c->plugins[i].log_level);
        config_cnode_free(&c->plugins[i].config);
    }
    free(c->plugins);
    for (size_t i = 0; i < c->n_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    memset(c, 0, sizeof *c);
}

/* ---- cnode queries ------------------------------------------------------------------ */

const cnode *cnode_get(const cnode *map, const char *key)
{
    if (!map || map->kind != CNODE_MAP || !key)
        return NULL;
    for (size_t i = 0; i < map->n_items; i++)
        if (map->items[i].key && strcmp(map->items[i].key, key) == 0)
            return &map->items[i];
    return NULL;
}

static int cnode_is_int(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    size_t n = strspn(s, "0123456789");
    /* Leading zeros stay text ("005930"), so the JSON form is lossless. */
    return n > 0 && !s[n] && (n == 1 || s[0] != '0') && n < 19;
}

static int cnode_is_float(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    size_t whole = strspn(s, "0123456789");
    if (whole > 1 && s[0] == '0')
        return 0;
    s += whole;
    size_t frac = 0;
    int marked = *s == '.' || *s == 'e' || *s == 'E';   /* else it is an int or text */
    if (*s == '.')
        frac = strspn(++s, "0123456789");
    if (whole + frac == 0 || !marked)
        return 0;
    s += frac;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        size_t exp = strspn(s, "0123456789");
        if (!exp)
            return 0;
        s += exp;
    }
    return !*s;
}

/* YAML 1.2 core schema, as far as JSON can say it; everything else is text. */
static json_t *cnode_scalar_json(const cnode *n)
{
    const char *s = n->scalar ? n->scalar : "";
    if (n->quoted)
        return json_string(s);
    if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
        return json_null();
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return json_true();
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return json_false();
    if (cnode_is_int(s))
        return json_integer(strtoll(s, NULL, 10));
    if (cnode_is_float(s))
        return json_real(strtod(s, NULL));
    return json_string(s);
}

static json_t *cnode_json(const cnode *n)
{
    if (n->kind == CNODE_SCALAR)
        return cnode_scalar_json(n);
    json_t *j = n->kind == CNODE_MAP ? json_object() : json_array();
    for (size_t i = 0; j && i < n->n_items; i++) {
        json_t *child = cnode_json(&n->items[i]);
        int rc = !child ? -1
               : n->kind == CNODE_MAP ? json_object_set_new(j, n->items[i].key ? n->items[i].key : "", child)
               : json_array_append_new(j, child);
        if (rc < 0) {
            json_decref(j);
            return NULL;
        }
    }
    return j;
}

/* NULL only when a value is not valid UTF-8 (possible through ${ENV}). */
char *cnode_to_json(const cnode *n)
{
    if (!n)
        return NULL;
    json_t *j = cnode_json(n);
    if (!j)
        return NULL;
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    return s;
}
