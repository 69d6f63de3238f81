/*
 * netio.h — one non-blocking TCP stream to the exchange, optionally inside
 * TLS (OpenSSL), for conn.c's own WebSocket client.
 *
 * TLS verifies the peer: the system's trust store (OpenSSL's default paths,
 * so SSL_CERT_FILE / SSL_CERT_DIR are honoured), the host name (or IP
 * address) from the URL, and SNI. There is no switch to turn that off.
 *
 * Ownership: netio owns its SSL object. The socket descriptor is handed to
 * the event loop once open (libwebsockets closes it with its wsi), so
 * netio_free never closes it; netio_close_fd is for a socket the loop
 * never took. Thread: loop only.
 */
#ifndef UPWS_NETIO_H
#define UPWS_NETIO_H

#include <stddef.h>
#include <sys/types.h>

typedef struct netio netio;

/* Resolves host (blocking, as libwebsockets 4.1 does), opens a socket and
 * starts a non-blocking connect to the first address that takes one,
 * beginning with address number `turn` (modulo their count): a caller that
 * passes its attempt count tries every address in turn, so one address
 * that never answers (an IPv6 route to nowhere) cannot keep it out.
 * NULL + err when nothing could even be started. */
netio *netio_open(const char *host, int port, int tls, unsigned turn, char *err, size_t errlen);
int netio_fd(const netio *n);

/* After the loop reports the socket writable for the first time: 0 when
 * the TCP connect succeeded, -1 + err (e.g. "Connection refused"). */
int netio_connected(netio *n, char *err, size_t errlen);

/* Drives the TLS handshake (no-op without TLS): 1 done, 0 in progress
 * (*want_write: wait for writability too), -1 + err (a verification
 * failure names OpenSSL's reason). */
int netio_handshake(netio *n, int *want_write, char *err, size_t errlen);

/* > 0 bytes read; 0 nothing available now; -1 closed by the peer or
 * failed, with the reason in err. */
ssize_t netio_read(netio *n, void *buf, size_t len, char *err, size_t errlen);

/* Bytes written (possibly fewer than len, possibly 0 when the socket is
 * full: wait for writability); -1 + err. */
ssize_t netio_write(netio *n, const void *buf, size_t len, char *err, size_t errlen);

/* 1 when TLS holds decrypted bytes not yet read (the socket will not poll
 * readable for them). */
int netio_pending(const netio *n);

void netio_close_fd(netio *n);
void netio_free(netio *n);

#endif
