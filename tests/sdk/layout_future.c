/* The released facts, evaluated against the test-only next-minor header,
 * plus what its UPWS_API_HAS answers for a table of a given size. */
#include "upws_plugin_future.h"
#include "abi_layout.h"
ABI_LAYOUT_DEFINE(abi_layout_future, ABI_ITEMS_UPTO_1_2)

int abi_future_has_new_fn(unsigned struct_size)
{
    upws_host_api api = {.struct_size = struct_size};
    return UPWS_API_HAS(&api, test_only_future_fn);
}
