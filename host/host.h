/*
 * host.h — the loop: one lws context, the public connection, the plugin
 * instances, and the glue between registry, planner, conn and router.
 * Everything here runs on the loop thread (the thread that calls host_run).
 */
#ifndef UPWS_HOST_H
#define UPWS_HOST_H

/* Runs until SIGINT/SIGTERM. Returns the process exit code. */
int host_run(const char *config_path);

#endif
