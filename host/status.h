/*
 * status.h — `upws status`: a readable summary from a running host's admin
 * endpoint (GET /health), for people and scripts. Exit code 0 healthy,
 * 1 unhealthy, 2 unreachable or not understood.
 */
#ifndef UPWS_STATUS_H
#define UPWS_STATUS_H

/* url: "http://HOST:PORT" or NULL to take admin.listen/admin.token from the config. */
int status_main(const char *config_path, const char *url);

/* `upws reload` / `upws plugin reload NAME`: POST to the admin endpoint.
 * Exit code 0 accepted, 1 refused, 2 unreachable. */
int status_post(const char *config_path, const char *url, const char *path);

#endif
