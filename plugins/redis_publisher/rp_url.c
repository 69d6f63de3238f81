/*
 * rp_url.c — redis://[[user][:password]@]host[:port][/db]
 *
 * The password usually arrives through ${ENV} expansion, so it may hold any
 * character, '@' included: the user part ends at the LAST '@'. %XX escapes
 * in user and password are decoded, so a URL written by hand can carry them
 * too. Nothing here ever copies the password into a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp.h"

#define MAX_HOST 255
#define MAX_DB 1000000L

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A new string of s[0..n) with %XX decoded; a '%' not followed by two hex
 * digits is kept as written (a literal percent sign in a password). */
static char *pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int escape = s[i] == '%' && i + 2 < n;
        int hi = escape ? hexval(s[i + 1]) : -1;
        int lo = escape ? hexval(s[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static int fail(char *err, size_t n, const char *msg)
{
    snprintf(err, n, "%s", msg);
    return -1;
}

/* user[:password] → u->user (NULL when empty) and u->password. */
static int parse_userinfo(const char *s, size_t n, rp_url *u, char *err, size_t en)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    if (ulen) {
        u->user = pct_decode(s, ulen);
        if (!u->user)
            return fail(err, en, "out of memory");
    }
    if (!colon) {
        /* "redis://secret@host": the only part is the password, as redis-cli reads it. */
        u->password = u->user;
        u->user = NULL;
        return u->password && *u->password ? 0 : fail(err, en, "empty password before '@'");
    }
    u->password = pct_decode(colon + 1, n - ulen - 1);
    if (!u->password)
        return fail(err, en, "out of memory");
    if (!*u->password) {
        /* "redis://:@host" — ${REDIS_PASSWORD} expanded to nothing. */
        return fail(err, en, "the password after ':' is empty (is the environment variable set?)");
    }
    return 0;
}

static int parse_port(const char *s, size_t n, int *port, char *err, size_t en)
{
    if (n == 0 || n > 5)
        return fail(err, en, "the port must be a number in 1..65535");
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(err, en, "the port must be a number in 1..65535");
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return fail(err, en, "the port must be a number in 1..65535");
    *port = (int)v;
    return 0;
}

/* host[:port] or [v6]:port */
static int parse_hostport(const char *s, size_t n, rp_url *u, char *err, size_t en)
{
    const char *h = s, *rest;
    size_t hl;
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return fail(err, en, "missing ']' after an IPv6 address");
        h = s + 1;
        hl = (size_t)(close - h);
        rest = close + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        hl = colon ? (size_t)(colon - s) : n;
        rest = s + hl;
    }
    size_t rl = n - (size_t)(rest - s);
    if (hl == 0 || hl > MAX_HOST)
        return fail(err, en, "missing host (redis://host:port/db)");
    u->port = 6379;
    if (rl) {
        if (rest[0] != ':')
            return fail(err, en, "unexpected text after the host");
        if (parse_port(rest + 1, rl - 1, &u->port, err, en) != 0)
            return -1;
    }
    u->host = strndup(h, hl);
    return u->host ? 0 : fail(err, en, "out of memory");
}

static int parse_db(const char *s, rp_url *u, char *err, size_t en)
{
    u->db = 0;
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > MAX_DB || s[0] < '0' || s[0] > '9')
        return fail(err, en, "the database after '/' must be a number, e.g. /0");
    u->db = v;
    return 0;
}

static int make_display(rp_url *u, char *err, size_t en)
{
    int v6 = strchr(u->host, ':') != NULL;
    size_t n = strlen(u->host) + (u->user ? strlen(u->user) : 0) + 64;
    u->display = malloc(n);
    if (!u->display)
        return fail(err, en, "out of memory");
    snprintf(u->display, n, "redis://%s%s%s%s%s%s:%d/%ld", u->user ? u->user : "",
             u->password ? ":***" : "", u->user || u->password ? "@" : "", v6 ? "[" : "",
             u->host, v6 ? "]" : "", u->port, u->db);
    return 0;
}

int rp_url_parse(const char *text, rp_url *u, char *err, size_t en)
{
    memset(u, 0, sizeof *u);
    static const char scheme[] = "redis://";
    if (strncmp(text, "rediss://", 9) == 0)
        return fail(err, en, "rediss:// (TLS) is not supported by this build; use redis://");
    if (strncmp(text, scheme, sizeof scheme - 1) != 0)
        return fail(err, en, "must start with redis:// (redis://[:password@]host:port/db)");
    const char *s = text + sizeof scheme - 1;
    const char *at = strrchr(s, '@');
    if (at && parse_userinfo(s, (size_t)(at - s), u, err, en) != 0)
        return -1;
    const char *hp = at ? at + 1 : s;
    const char *slash = strchr(hp, '/');
    size_t hpl = slash ? (size_t)(slash - hp) : strlen(hp);
    if (parse_hostport(hp, hpl, u, err, en) != 0)
        return -1;
    if (slash && parse_db(slash + 1, u, err, en) != 0)
        return -1;
    return make_display(u, err, en);
}

void rp_url_free(rp_url *u)
{
    free(u->host);
    free(u->user);
    if (u->password) {
        /* do not leave the secret lying in freed heap memory */
        volatile char *v = u->password;
        while (*v)
            *v++ = 0;
    }
    free(u->password);
    free(u->display);
    memset(u, 0, sizeof *u);
}
