/* status.c — see status.h. A plain HTTP/1.0 GET over a socket: the tool
 * must work when the host is sick, so it shares nothing with the loop. */
#include "status.h"
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, 0);
        if (fd < 0)
            continue;
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* GET or POST path; returns the HTTP status and the body (malloc'd) or -1. */
static int http_call(const char *method, const char *host, const char *port, const char *path,
                     const char *token, char **body)
{
    int fd = connect_to(host, port);
    if (fd < 0)
        return -1;
    char req[1024];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: %s\r\n%s%s%sContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n", method, path,
                     host, token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap + 1);
    ssize_t r;
    while (buf && (r = read(fd, buf + len, cap - len)) > 0) {
        len += (size_t)r;
        if (len == cap) {
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
    }
    close(fd);
    if (!buf)
        return -1;
    buf[len] = 0;
    int status = 0;
    char *sep = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/%*s %d", &status) != 1 || !sep) {
        free(buf);
        return -1;
    }
    *body = strdup(sep + 4);
    free(buf);
    return status;
}

static void print_duration(double s)
{
    if (s < 0)
        printf("never");
    else if (s < 120)
        printf("%.1f s", s);
    else if (s < 7200)
        printf("%.0f min", s / 60);
    else
        printf("%.1f h", s / 3600);
}

static void print_health(json_t *h)
{
    size_t i;
    json_t *c, *p;
    printf("upws: %s, up ", json_string_value(json_object_get(h, "status")));
    print_duration(json_real_value(json_object_get(h, "uptime_s")));
    printf("\nconnections:\n");
    json_array_foreach(json_object_get(h, "connections"), i, c) {
        printf("  %-8s %-10s for ", json_string_value(json_object_get(c, "name")),
               json_string_value(json_object_get(c, "state")));
        print_duration(json_real_value(json_object_get(c, "since_s")));
        printf(", last message ");
        print_duration(json_real_value(json_object_get(c, "last_message_age_s")));
        printf(" ago, %lld reconnects", (long long)json_integer_value(json_object_get(c, "reconnects")));
        const char *why = json_string_value(json_object_get(c, "reason"));
        printf("%s%s\n", why ? " — " : "", why ? why : "");
    }
    printf("plugins:\n");
    json_array_foreach(json_object_get(h, "plugins"), i, p) {
        const char *err = json_string_value(json_object_get(p, "last_error"));
        printf("  %-16s %-9s queue %lld, delivered %lld, dropped %lld%s%s\n",
               json_string_value(json_object_get(p, "name")), json_string_value(json_object_get(p, "state")),
               (long long)json_integer_value(json_object_get(p, "queue_depth")),
               (long long)json_integer_value(json_object_get(p, "delivered")),
               (long long)json_integer_value(json_object_get(p, "dropped")), err ? ", last error: " : "",
               err ? err : "");
    }
}

static int split_url(const char *url, char *host, size_t hl, char *port, size_t pl)
{
    const char *p = strstr(url, "://") ? strstr(url, "://") + 3 : url;
    const char *colon = strrchr(p, ':');
    if (!colon)
        return -1;
    snprintf(host, hl, "%.*s", (int)(colon - p), p);
    snprintf(port, pl, "%.*s", (int)strcspn(colon + 1, "/"), colon + 1);
    return 0;
}

/* Where the admin endpoint is: --url, else admin.listen/admin.token of the config. */
static int find_admin(const char *config_path, const char *url, char *host, size_t hl, char *port, size_t pl,
                      char **token)
{
    config cfg;
    char err[1024];
    memset(&cfg, 0, sizeof cfg);
    *token = NULL;
    if (!url && config_load(config_path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    const char *target = url ? url : cfg.admin_listen;
    int rc = 0;
    if (!target || strcmp(target, "off") == 0 || split_url(target, host, hl, port, pl) != 0) {
        fprintf(stderr, "upws: no admin endpoint (admin.listen is '%s')\n", target ? target : "");
        rc = -1;
    }
    if (cfg.admin_token)
        *token = strdup(cfg.admin_token);
    config_free(&cfg);
    return rc;
}

int status_post(const char *config_path, const char *url, const char *path)
{
    char host[256], port[16], *token, *body = NULL;
    if (find_admin(config_path, url, host, sizeof host, port, sizeof port, &token) != 0)
        return 2;
    int status = http_call("POST", host, port, path, token, &body);
    free(token);
    if (status < 0) {
        fprintf(stderr, "upws: cannot reach http://%s:%s%s\n", host, port, path);
        return 2;
    }
    printf("%s", body ? body : "");
    free(body);
    return status == 202 || status == 200 ? 0 : 1;
}

int status_main(const char *config_path, const char *url)
{
    char host[256], port[16], *token;
    if (find_admin(config_path, url, host, sizeof host, port, sizeof port, &token) != 0)
        return 2;
    char *body = NULL;
    int status = http_call("GET", host, port, "/health", token, &body);
    free(token);
    if (status < 0) {
        fprintf(stderr, "upws status: cannot reach http://%s:%s/health: %s\n", host, port,
                errno ? strerror(errno) : "no HTTP answer");
        return 2;
    }
    json_t *h = json_loads(body, 0, NULL);
    if (!h) {
        fprintf(stderr, "upws status: HTTP %d, not a health document: %.200s\n", status, body);
        free(body);
        return 2;
    }
    print_health(h);
    json_decref(h);
    free(body);
    return status == 200 ? 0 : 1;
}
