/* auth.c — see auth.h. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/* base64url of {"alg":"HS512","typ":"JWT"}: the header never changes. */
static const char jwt_header_b64[] = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9";

int auth_base64url(const unsigned char *in, size_t n, char *out, size_t outlen)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    if (!out || outlen < need + 1 || need > 0x7fffffff)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        size_t chars = n - i >= 3 ? 4 : n - i + 1;
        for (size_t k = 0; k < chars; k++)
            out[o++] = abc[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = 0;
    return (int)o;
}

static void hex_lower(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

int auth_uuid4(char out[AUTH_UUID_LEN + 1])
{
    unsigned char b[16];
    out[0] = 0;
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* variant 10xx (RFC 4122) */
    char hex[33];
    hex_lower(b, sizeof b, hex);
    snprintf(out, AUTH_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
    return 0;
}

int auth_hmac_sha512(const void *key, size_t keylen, const void *msg, size_t msglen,
                     unsigned char out[AUTH_HMAC_LEN])
{
    static const unsigned char empty[1] = {0};
    unsigned int len = 0;
    if (keylen > 0x7fffffff)
        return -1;
    /* OpenSSL wants a non-NULL key even when it is empty. */
    if (!HMAC(EVP_sha512(), keylen ? key : empty, (int)keylen,
              msglen ? msg : (const void *)empty, msglen, out, &len))
        return -1;
    return len == AUTH_HMAC_LEN ? 0 : -1;
}

int auth_query_hash(const char *query, char out[AUTH_HASH_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    out[0] = 0;
    if (!query || EVP_Digest(query, strlen(query), md, &len, EVP_sha512(), NULL) != 1 ||
        len != 64)
        return -1;
    hex_lower(md, len, out);
    return 0;
}

/* The payload as compact JSON; jansson does the escaping of the key. */
static char *jwt_payload(const char *access_key, const char *query)
{
    char nonce[AUTH_UUID_LEN + 1];
    if (auth_uuid4(nonce))
        return NULL;
    json_t *p = json_pack("{s:s,s:s}", "access_key", access_key, "nonce", nonce);
    if (p && query && *query) {
        char hash[AUTH_HASH_HEX_LEN + 1];
        if (auth_query_hash(query, hash) ||
            json_object_set_new(p, "query_hash", json_string(hash)) ||
            json_object_set_new(p, "query_hash_alg", json_string("SHA512"))) {
            json_decref(p);
            return NULL;
        }
    }
    char *text = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(p);
    return text;
}

/* Appends ".signature" to the signing input already in out[0..len). */
static int jwt_sign(const char *secret_key, char *out, size_t len, size_t outlen)
{
    unsigned char mac[AUTH_HMAC_LEN];
    int rc = -1;
    if (len + 1 < outlen &&
        auth_hmac_sha512(secret_key, strlen(secret_key), out, len, mac) == 0) {
        out[len] = '.';
        rc = auth_base64url(mac, sizeof mac, out + len + 1, outlen - len - 1) < 0 ? -1 : 0;
    }
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}

int auth_jwt(const char *access_key, const char *secret_key, const char *query, char *out,
             size_t outlen)
{
    if (!out || outlen == 0)
        return -1;
    out[0] = 0;
    if (!access_key || !secret_key || outlen < sizeof jwt_header_b64 + 1)
        return -1;
    char *payload = jwt_payload(access_key, query);
    if (!payload)
        return -1;
    size_t hlen = sizeof jwt_header_b64 - 1;
    memcpy(out, jwt_header_b64, hlen);
    out[hlen] = '.';
    int plen = auth_base64url((const unsigned char *)payload, strlen(payload), out + hlen + 1,
                              outlen - hlen - 1);
    OPENSSL_cleanse(payload, strlen(payload));
    free(payload);
    int rc = plen < 0 ? -1 : jwt_sign(secret_key, out, hlen + 1 + (size_t)plen, outlen);
    if (rc)
        OPENSSL_cleanse(out, outlen);   /* never leave half a token behind */
    return rc;
}
