/* Built against the frozen 1.1 header and declaring 1.1: what every plugin
 * compiled for 1.1 looks like to later hosts (a 1.1-sized descriptor with
 * the 1.1 save_state/restore_state callbacks set, 1.0/1.1-sized tables). */
#include "upws_plugin_1_1.h"
#define PROBE_NAME "abi11_probe"
#define PROBE_MINOR 1
#define PROBE_HAS_1_1
#include "abi_probe_body.h"
