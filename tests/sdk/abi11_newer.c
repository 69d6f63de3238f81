/* Built against the test-only 1.1 header and declaring it (minor 1): a 1.0
 * host must refuse it, naming both versions. */
#include "upws_plugin_1_1_future.h"
#define PROBE_NAME "abi11_newer"
#define PROBE_MINOR UPWS_ABI_MINOR
#define PROBE_KNOWS_1_1
#include "abi_probe_body.h"
