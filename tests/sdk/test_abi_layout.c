/* ABI guarantees, checked at the byte level:
 *  - the current header keeps every 1.0 field at the same offset and size,
 *    every 1.0 constant at the same value, the entry symbol and the major;
 *    structs only grow (a plugin built against 1.0 keeps working);
 *  - the test-only 1.1 header is a valid minor of 1.0 by the same rules, so
 *    the tests that use it test what a real 1.1 could be;
 *  - UPWS_API_HAS tells a 1.0-sized host table from a 1.1 one. */
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

/* `later` must keep every fact of `base`; sizeof may only grow. */
static void compare(const char *what, const abi_layout *base, const abi_layout *later)
{
    EXPECT(base->n_items == later->n_items, "%s: fact lists differ in length", what);
    EXPECT(strcmp(base->entry_symbol, later->entry_symbol) == 0, "%s: entry symbol %s, 1.0 had %s", what,
           later->entry_symbol, base->entry_symbol);
    EXPECT(later->abi_major == base->abi_major,
           "%s: ABI major %d, 1.0 had %d (a new major needs a new frozen header)", what, later->abi_major,
           base->abi_major);
    EXPECT(later->abi_minor >= base->abi_minor, "%s: ABI minor went down", what);
    for (size_t i = 0; i < base->n_items && i < later->n_items; i++) {
        const abi_item *b = &base->items[i], *l = &later->items[i];
        int ok = b->kind == ABI_SIZEOF ? l->value >= b->value : l->value == b->value;
        EXPECT(ok, "%s: %s %s is %lld, ABI 1.0 has %lld", what, b->name, kind_name(b->kind), l->value,
               b->value);
    }
}

static long long fact(const abi_layout *l, const char *name, abi_kind kind)
{
    for (size_t i = 0; i < l->n_items; i++)
        if (l->items[i].kind == kind && strcmp(l->items[i].name, name) == 0)
            return l->items[i].value;
    return -1;
}

static void test_api_has(void)
{
    unsigned size_1_0 = (unsigned)fact(abi_layout_1_0(), "upws_host_api", ABI_SIZEOF);
    unsigned size_1_1 = (unsigned)fact(abi_layout_1_1(), "upws_host_api", ABI_SIZEOF);
    EXPECT(size_1_1 > size_1_0, "the 1.1 table is longer than the 1.0 one (%u, %u)", size_1_1, size_1_0);
    EXPECT(!abi_1_1_has_new_fn(size_1_0), "UPWS_API_HAS: a 1.0 table lacks the 1.1 function");
    EXPECT(abi_1_1_has_new_fn(size_1_1), "UPWS_API_HAS: a 1.1 table has the 1.1 function");
    EXPECT(abi_1_1_has_strerror(size_1_0), "UPWS_API_HAS: a 1.0 table has every 1.0 function");
    EXPECT(!abi_1_1_has_strerror(8), "UPWS_API_HAS: a truncated table lacks strerror");
}

int main(void)
{
    const abi_layout *frozen = abi_layout_1_0(), *cur = abi_layout_current(), *next = abi_layout_1_1();
    EXPECT(frozen->abi_major == 1 && frozen->abi_minor == 0, "the frozen header is 1.0");
    EXPECT(next->abi_minor == 2, "the test-only header is 1.2");
    compare("current header", frozen, cur);
    compare("test-only 1.1 header", frozen, next);
    test_api_has();
    printf("%zu facts of ABI 1.0 checked; current header is ABI %d.%d\n", frozen->n_items, cur->abi_major,
           cur->abi_minor);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
