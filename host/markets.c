/* markets.c — see markets.h. A sorted array and binary search: ~900 codes,
 * refreshed every few minutes, looked up only when a plugin subscribes. */
#include "markets.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static char **markets;
static size_t n_markets;
static int loaded;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void markets_clear(void)
{
    for (size_t i = 0; i < n_markets; i++)
        free(markets[i]);
    free(markets);
    markets = NULL;
    n_markets = 0;
    loaded = 0;
}

int markets_load(const char *json, size_t len)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    if (!json_is_array(root) || json_array_size(root) == 0) {
        json_decref(root);
        return -1;
    }
    size_t n = json_array_size(root), k = 0;
    char **list = xcalloc(n, sizeof *list);
    for (size_t i = 0; i < n; i++) {
        const char *m = json_string_value(json_object_get(json_array_get(root, i), "market"));
        if (m)
            list[k++] = xstrdup(m);
    }
    json_decref(root);
    if (k == 0) {
        free(list);
        return -1;
    }
    qsort(list, k, sizeof *list, cmp_str);
    markets_clear();
    markets = list;
    n_markets = k;
    loaded = 1;
    return (int)k;
}

int markets_known(const char *code)
{
    if (!loaded)
        return -1;
    return bsearch(&code, markets, n_markets, sizeof *markets, cmp_str) != NULL;
}

size_t markets_count(void) { return n_markets; }
