/* Verification of the Upbit private-endpoint JWT (PROTOCOL §3), against the
 * one key pair the mock was started with (--access-key / --secret-key). */
#ifndef UPWS_MOCK_JWT_H
#define UPWS_MOCK_JWT_H

enum jwt_result {
    JWT_OK,
    JWT_MISSING,          /* no Authorization header, or an empty token */
    JWT_MALFORMED,        /* not "Bearer a.b.c", or a part is not base64url JSON */
    JWT_BAD_ALG,          /* header alg is not HS512 */
    JWT_UNKNOWN_KEY,      /* access_key is not the configured one */
    JWT_BAD_SIGNATURE,
    JWT_NONCE_REUSED,
    JWT_BAD_QUERY_HASH,   /* REST: query_hash absent or not SHA-512 of the query */
};

/* The log / test spelling: "ok", "missing", "malformed", "bad_alg",
 * "unknown_key", "bad_signature", "nonce_reused", "bad_query_hash". */
const char *jwt_result_name(enum jwt_result r);

/* authorization is the whole header value ("Bearer <token>") or NULL.
 * query is the un-percent-encoded query string of a REST call (NULL or ""
 * when there is none: then query_hash is not required). A token whose
 * signature verifies uses up its nonce, whatever the later checks say. */
enum jwt_result jwt_check(const char *authorization, const char *query);

#endif
