/* The 1.0 facts, evaluated against the frozen 1.0 header. */
#include "upws_plugin_1_0.h"
#include "abi_layout.h"
ABI_LAYOUT_DEFINE(abi_layout_1_0, ABI_ITEMS_UPTO_1_0)
