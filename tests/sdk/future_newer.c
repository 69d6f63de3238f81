/* Built against the test-only next-minor header and declaring it (minor 3):
 * today's host (1.2) must refuse it, naming both versions; a next-minor host
 * (test_abi_future_host) must load it and read its new callback. */
#include "upws_plugin_future.h"
#define PROBE_NAME "future_newer"
#define PROBE_MINOR UPWS_ABI_MINOR
#define PROBE_HAS_1_1
#define PROBE_HAS_1_2
#define PROBE_KNOWS_FUTURE
#include "abi_probe_body.h"
