/* auth.h — Upbit request signing (PROTOCOL §3): HS512 JWTs through OpenSSL.
 *
 * Every token carries a fresh random nonce, so a token is built right before
 * the call it authorises (one per WebSocket connect attempt, one per REST
 * call) and never reused. Nothing here logs: callers must not log tokens
 * either, since a token proves the key for as long as the nonce is unused. */
#ifndef UPWS_AUTH_H
#define UPWS_AUTH_H

#include <stddef.h>

#define AUTH_UUID_LEN 36          /* textual UUID without the NUL */
#define AUTH_HASH_HEX_LEN 128     /* SHA-512 as lowercase hex, without the NUL */
#define AUTH_HMAC_LEN 64          /* HMAC-SHA512 bytes */
#define AUTH_JWT_MAX 2048         /* room for a token with an access key up to ~1 KiB */

/* Unpadded base64url (RFC 4648 §5) of n bytes into out, NUL-terminated.
 * Returns the text length, or -1 when out (outlen bytes) is too small. */
int auth_base64url(const unsigned char *in, size_t n, char *out, size_t outlen);

/* A random version-4 UUID ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx")
 * from OpenSSL's CSPRNG. Returns 0, or -1 if the CSPRNG failed. */
int auth_uuid4(char out[AUTH_UUID_LEN + 1]);

/* HMAC-SHA512 of msg under key (raw bytes). Returns 0 or -1. */
int auth_hmac_sha512(const void *key, size_t keylen, const void *msg, size_t msglen,
                     unsigned char out[AUTH_HMAC_LEN]);

/* Lowercase hex SHA-512 of query, as the JWT claim query_hash wants it
 * (query is the un-percent-encoded query string, exactly as sent).
 * Returns 0 or -1. */
int auth_query_hash(const char *query, char out[AUTH_HASH_HEX_LEN + 1]);

/* A complete token "header.payload.signature" for Authorization: Bearer.
 * Payload: access_key, a fresh nonce, and — when query is non-NULL and
 * non-empty — query_hash + query_hash_alg "SHA512". The secret is used as
 * raw bytes (it is not base64). Returns 0, or -1 when out is too small or
 * OpenSSL failed (out is then an empty string). */
int auth_jwt(const char *access_key, const char *secret_key, const char *query, char *out,
             size_t outlen);

#endif
