/* The 1.0 and 1.1 facts, evaluated against the frozen 1.1 header. */
#include "upws_plugin_1_1.h"
#include "abi_layout.h"
ABI_LAYOUT_DEFINE(abi_layout_1_1, ABI_ITEMS_UPTO_1_1)
