/* Built against the test-only 1.1 header but declaring minor 0: it wants to
 * run on 1.0 hosts too, so it tests UPWS_API_HAS before using the 1.1
 * function (a 1.0 host's table ends before it). */
#include "upws_plugin_1_1_future.h"
#define PROBE_NAME "abi11_compat"
#define PROBE_MINOR 0
#define PROBE_KNOWS_1_1
#include "abi_probe_body.h"
