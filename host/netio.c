/* netio.c — see netio.h. */
#include "netio.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct netio {
    int fd;
    SSL *ssl;         /* NULL for plain ws:// */
    int handshaken;
};

/* One client context for every connection: the trust store is loaded once. */
static SSL_CTX *netio_ctx;

static SSL_CTX *tls_context(char *err, size_t errlen)
{
    if (netio_ctx)
        return netio_ctx;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "TLS: cannot create a context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        SSL_CTX_free(ctx);
        snprintf(err, errlen, "TLS: cannot load the system's trusted certificates");
        return NULL;
    }
    netio_ctx = ctx;
    return ctx;
}

static int is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int tls_attach(netio *n, const char *host, char *err, size_t errlen)
{
    SSL_CTX *ctx = tls_context(err, errlen);
    if (!ctx)
        return -1;
    n->ssl = SSL_new(ctx);
    if (!n->ssl || SSL_set_fd(n->ssl, n->fd) != 1) {
        snprintf(err, errlen, "TLS: cannot set up the connection");
        return -1;
    }
    /* The certificate must name what the URL names: a host name (also sent
     * as SNI) or an IP address. */
    int ok = is_ip_literal(host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(n->ssl), host)
                                 : SSL_set1_host(n->ssl, host) && SSL_set_tlsext_host_name(n->ssl, host);
    if (ok != 1) {
        snprintf(err, errlen, "TLS: cannot set the expected peer name");
        return -1;
    }
    SSL_set_connect_state(n->ssl);
    return 0;
}

static int start_connect(const struct addrinfo *ai, char *err, size_t errlen)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS)
        return fd;
    snprintf(err, errlen, "connect: %s", strerror(errno));
    close(fd);
    return -1;
}

netio *netio_open(const char *host, int port, int tls, unsigned turn, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return NULL;
    }
    size_t count = 0;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        count++;
    const struct addrinfo *first = res;
    for (size_t skip = turn % count; skip; skip--)
        first = first->ai_next;
    int fd = -1;
    for (size_t i = 0; i < count && fd < 0; i++) {
        fd = start_connect(first, err, errlen);
        first = first->ai_next ? first->ai_next : res;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return NULL;
    netio *n = xcalloc(1, sizeof *n);
    n->fd = fd;
    if (tls && tls_attach(n, host, err, errlen) != 0) {
        netio_close_fd(n);
        netio_free(n);
        return NULL;
    }
    return n;
}

int netio_fd(const netio *n) { return n->fd; }

int netio_connected(netio *n, char *err, size_t errlen)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    if (!e)
        return 0;
    snprintf(err, errlen, "%s", strerror(e));
    return -1;
}

/* OpenSSL's reason for the last failure; a failed verification names the
 * certificate problem, which is what an operator needs to see. */
static void tls_error(netio *n, int rc, const char *what, char *err, size_t errlen)
{
    int code = SSL_get_error(n->ssl, rc);
    long verify = SSL_get_verify_result(n->ssl);
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (verify != X509_V_OK) {
        snprintf(err, errlen, "TLS certificate verify failed: %s", X509_verify_cert_error_string(verify));
        return;
    }
    if (e) {
        char buf[160];
        ERR_error_string_n(e, buf, sizeof buf);
        snprintf(err, errlen, "TLS %s failed: %s", what, buf);
        return;
    }
    if (code == SSL_ERROR_ZERO_RETURN || (code == SSL_ERROR_SYSCALL && errno == 0)) {
        snprintf(err, errlen, "connection closed by the peer");
        return;
    }
    snprintf(err, errlen, "TLS %s failed: %s", what, code == SSL_ERROR_SYSCALL ? strerror(errno) : "protocol error");
}

int netio_handshake(netio *n, int *want_write, char *err, size_t errlen)
{
    *want_write = 0;
    if (!n->ssl || n->handshaken)
        return 1;
    ERR_clear_error();
    int rc = SSL_do_handshake(n->ssl);
    if (rc == 1) {
        n->handshaken = 1;
        return 1;
    }
    int code = SSL_get_error(n->ssl, rc);
    if (code == SSL_ERROR_WANT_READ)
        return 0;
    if (code == SSL_ERROR_WANT_WRITE) {
        *want_write = 1;
        return 0;
    }
    tls_error(n, rc, "handshake", err, errlen);
    return -1;
}

static ssize_t plain_read(netio *n, void *buf, size_t len, char *err, size_t errlen)
{
    ssize_t r = recv(n->fd, buf, len, 0);
    if (r > 0)
        return r;
    if (r == 0) {
        snprintf(err, errlen, "connection closed by the peer");
        return -1;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    snprintf(err, errlen, "read: %s", strerror(errno));
    return -1;
}

/* What SSL_read / SSL_write returned: bytes, 0 = try again when the socket
 * is ready, -1 = failed. */
static ssize_t tls_result(netio *n, int rc, const char *what, char *err, size_t errlen)
{
    if (rc > 0)
        return rc;
    int code = SSL_get_error(n->ssl, rc);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
        return 0;
    tls_error(n, rc, what, err, errlen);
    return -1;
}

ssize_t netio_read(netio *n, void *buf, size_t len, char *err, size_t errlen)
{
    if (!n->ssl)
        return plain_read(n, buf, len, err, errlen);
    ERR_clear_error();
    return tls_result(n, SSL_read(n->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len), "read", err, errlen);
}

ssize_t netio_write(netio *n, const void *buf, size_t len, char *err, size_t errlen)
{
    if (!n->ssl) {
        ssize_t w = send(n->fd, buf, len, MSG_NOSIGNAL);
        if (w >= 0)
            return w;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        snprintf(err, errlen, "write: %s", strerror(errno));
        return -1;
    }
    ERR_clear_error();
    return tls_result(n, SSL_write(n->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len), "write", err, errlen);
}

int netio_pending(const netio *n) { return n->ssl && SSL_pending(n->ssl) > 0; }

void netio_close_fd(netio *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}

void netio_free(netio *n)
{
    if (!n)
        return;
    SSL_free(n->ssl);
    free(n);
}
