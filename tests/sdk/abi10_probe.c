/* Built against the frozen 1.0 header: what every plugin compiled for 1.0
 * looks like to later hosts (its descriptor and its tables are 1.0-sized). */
#include "upws_plugin_1_0.h"
#define PROBE_NAME "abi10_probe"
#define PROBE_MINOR 0
#include "abi_probe_body.h"
