/* Built against the test-only next-minor header (1.3) but declaring minor 1:
 * it wants to run on 1.1 and 1.2 hosts too, so it tests UPWS_API_HAS before
 * using anything newer than 1.1 (rest_private_get from 1.2, the test-only
 * function from 1.3). This is how docs/sdk.md tells a plugin to stay
 * loadable on older hosts. */
#include "upws_plugin_future.h"
#define PROBE_NAME "future_compat"
#define PROBE_MINOR 1
#define PROBE_HAS_1_1
#define PROBE_HAS_1_2
#define PROBE_KNOWS_FUTURE
#include "abi_probe_body.h"
