/* ABI guarantees, checked at the byte level:
 *  - the frozen 1.1 header and the current header keep every 1.0 field at
 *    the same offset and size, every 1.0 constant at the same value, the
 *    entry symbol and the major; structs only grow (a plugin built against
 *    1.0 keeps working);
 *  - the current header keeps every 1.1 fact the same way (a plugin built
 *    against 1.1 keeps working);
 *  - the test-only next-minor header is exactly one minor ahead of the
 *    current one and keeps every 1.0, 1.1 and 1.2 fact, so the tests that
 *    use it test what a real next minor could be;
 *  - UPWS_API_HAS tells an older host's table from a newer one: a plugin
 *    built against 1.2 sees rest_private_get absent on a 1.0 or 1.1 host's
 *    table; one built against the next minor sees its new function absent on
 *    a 1.2 host's table;
 *  - a 1.1 host's events end before the 1.2 myorder/myasset pointers, so a
 *    plugin that may run there must check ev->struct_size before reading them. */
#include "abi_layout.h"

#include <stdio.h>
#include <string.h>

static int failures;

#define EXPECT(cond, ...) \
    do { \
        if (!(cond)) { \
            failures++; \
            fprintf(stderr, "FAIL: " __VA_ARGS__); \
            fputc('\n', stderr); \
        } \
    } while (0)

static const char *kind_name(abi_kind k)
{
    static const char *const names[] = {"offset", "size", "value", "sizeof"};
    return names[k];
}

static const abi_item *find(const abi_layout *l, const char *name, abi_kind kind)
{
    for (size_t i = 0; i < l->n_items; i++)
        if (l->items[i].kind == kind && strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

static long long fact(const abi_layout *l, const char *name, abi_kind kind)
{
    const abi_item *it = find(l, name, kind);
    return it ? it->value : -1;
}

/* `later` must keep every fact of `base` (`base_name` is "ABI 1.0", …);
 * a sizeof may only grow. */
static void compare(const char *what, const abi_layout *later, const char *base_name, const abi_layout *base)
{
    EXPECT(strcmp(base->entry_symbol, later->entry_symbol) == 0, "%s: entry symbol %s, %s had %s", what,
           later->entry_symbol, base_name, base->entry_symbol);
    EXPECT(later->abi_major == base->abi_major,
           "%s: ABI major %d, %s had %d (a new major needs a new frozen header)", what, later->abi_major,
           base_name, base->abi_major);
    EXPECT(later->abi_minor >= base->abi_minor, "%s: ABI minor %d is below %s", what, later->abi_minor,
           base_name);
    for (size_t i = 0; i < base->n_items; i++) {
        const abi_item *b = &base->items[i], *l = find(later, b->name, b->kind);
        if (!l) {
            EXPECT(0, "%s: has no %s %s (test bug: its layout TU lacks a fact list)", what, b->name,
                   kind_name(b->kind));
            continue;
        }
        int ok = b->kind == ABI_SIZEOF ? l->value >= b->value : l->value == b->value;
        EXPECT(ok, "%s: %s %s is %lld, %s has %lld", what, b->name, kind_name(b->kind), l->value, base_name,
               b->value);
    }
}

static void test_api_has(const abi_layout *v10, const abi_layout *v11, const abi_layout *cur,
                         const abi_layout *fut)
{
    unsigned size_1_0 = (unsigned)fact(v10, "upws_host_api", ABI_SIZEOF);
    unsigned size_1_1 = (unsigned)fact(v11, "upws_host_api", ABI_SIZEOF);
    unsigned size_cur = (unsigned)fact(cur, "upws_host_api", ABI_SIZEOF);
    unsigned size_fut = (unsigned)fact(fut, "upws_host_api", ABI_SIZEOF);
    EXPECT(size_1_1 == size_1_0, "1.1 added no host function (tables of %u and %u bytes)", size_1_1, size_1_0);
    EXPECT(size_cur > size_1_1, "the 1.2 table is longer than the 1.1 one (%u, %u)", size_cur, size_1_1);
    EXPECT(size_fut > size_cur, "the next-minor table is longer than the current one (%u, %u)", size_fut,
           size_cur);

    EXPECT(abi_current_has_strerror(size_1_0), "UPWS_API_HAS: a 1.0 table has every 1.0 function");
    EXPECT(!abi_current_has_strerror(8), "UPWS_API_HAS: a truncated table lacks strerror");
    EXPECT(!abi_current_has_rest_private_get(size_1_0), "UPWS_API_HAS: a 1.0 table lacks rest_private_get");
    EXPECT(!abi_current_has_rest_private_get(size_1_1), "UPWS_API_HAS: a 1.1 table lacks rest_private_get");
    EXPECT(abi_current_has_rest_private_get(size_cur), "UPWS_API_HAS: a 1.2 table has rest_private_get");
    EXPECT(!abi_future_has_new_fn(size_cur), "UPWS_API_HAS: a 1.2 table lacks the next minor's function");
    EXPECT(abi_future_has_new_fn(size_fut), "UPWS_API_HAS: a next-minor table has its function");
}

static void test_event_sizes(const abi_layout *v11, const abi_layout *cur)
{
    long long ev_1_1 = fact(v11, "upws_event", ABI_SIZEOF);
    EXPECT(abi_current_event_myorder_offset() >= ev_1_1,
           "a 1.1 host's event (%lld bytes) ends before myorder (offset %lld)", ev_1_1,
           abi_current_event_myorder_offset());
    EXPECT(abi_current_event_1_2_size() <= fact(cur, "upws_event", ABI_SIZEOF),
           "the current event covers myorder and myasset");
}

int main(void)
{
    const abi_layout *v10 = abi_layout_1_0(), *v11 = abi_layout_1_1();
    const abi_layout *cur = abi_layout_current(), *fut = abi_layout_future();
    EXPECT(v10->abi_major == 1 && v10->abi_minor == 0, "the frozen 1.0 header is 1.0 (%d.%d)", v10->abi_major,
           v10->abi_minor);
    EXPECT(v11->abi_major == 1 && v11->abi_minor == 1, "the frozen 1.1 header is 1.1 (%d.%d)", v11->abi_major,
           v11->abi_minor);
    EXPECT(cur->abi_minor == 2,
           "the current header is 1.%d, these tests know 1.2: a new minor needs its facts (abi_layout.h), "
           "a frozen copy of 1.2 and a regenerated upws_plugin_future.h",
           cur->abi_minor);
    EXPECT(fut->abi_major == cur->abi_major && fut->abi_minor == cur->abi_minor + 1,
           "the test-only header (%d.%d) is one minor ahead of the current one (%d.%d)", fut->abi_major,
           fut->abi_minor, cur->abi_major, cur->abi_minor);

    compare("frozen 1.1 header", v11, "ABI 1.0", v10);
    compare("current header", cur, "ABI 1.0", v10);
    compare("current header", cur, "ABI 1.1", v11);
    compare("test-only next-minor header", fut, "ABI 1.0", v10);
    compare("test-only next-minor header", fut, "ABI 1.1", v11);
    compare("test-only next-minor header", fut, "the current header", cur);
    test_api_has(v10, v11, cur, fut);
    test_event_sizes(v11, cur);

    printf("%zu facts of ABI 1.0, %zu of 1.0-1.1, %zu of 1.0-1.2 checked; current header is ABI %d.%d, "
           "test-only header %d.%d\n",
           v10->n_items, v11->n_items, cur->n_items, cur->abi_major, cur->abi_minor, fut->abi_major,
           fut->abi_minor);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
