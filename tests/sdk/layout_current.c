/* Every released fact (1.0, 1.1, 1.2), evaluated against the header plugins
 * build with today, plus what its UPWS_API_HAS answers for a host table of a
 * given size and where its 1.2 event fields lie. */
#include <upws/plugin.h>
#include "abi_layout.h"
ABI_LAYOUT_DEFINE(abi_layout_current, ABI_ITEMS_UPTO_1_2)

int abi_current_has_strerror(unsigned struct_size)
{
    upws_host_api api = {.struct_size = struct_size};
    return UPWS_API_HAS(&api, strerror);
}

int abi_current_has_rest_private_get(unsigned struct_size)
{
    upws_host_api api = {.struct_size = struct_size};
    return UPWS_API_HAS(&api, rest_private_get);
}

long long abi_current_event_myorder_offset(void)
{
    return (long long)offsetof(upws_event, myorder);
}

long long abi_current_event_1_2_size(void)
{
    return (long long)(offsetof(upws_event, myasset) + sizeof(const upws_myasset *));
}
