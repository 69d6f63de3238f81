/* The 1.0 facts, evaluated against the header plugins build with today. */
#include <upws/plugin.h>
#include "abi_layout.h"
ABI_LAYOUT_DEFINE(abi_layout_current)
