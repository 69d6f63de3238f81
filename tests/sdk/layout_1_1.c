/* The 1.0 facts, evaluated against the test-only 1.1 header, plus what its
 * UPWS_API_HAS answers for a table of a given size. */
#include "upws_plugin_1_1_future.h"
#include "abi_layout.h"
ABI_LAYOUT_DEFINE(abi_layout_1_1)

int abi_1_1_has_new_fn(unsigned struct_size)
{
    upws_host_api api = {.struct_size = struct_size};
    return UPWS_API_HAS(&api, test_only_1_1_fn);
}

int abi_1_1_has_strerror(unsigned struct_size)
{
    upws_host_api api = {.struct_size = struct_size};
    return UPWS_API_HAS(&api, strerror);
}
