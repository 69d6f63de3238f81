/* HS512 JWT check. The secret is used as raw bytes, as Upbit documents.
 * Checks run in the order a server has to: parse, key lookup (to find the
 * secret), signature, and only then the nonce and the query hash, so an
 * unsigned token can never burn a nonce. */
#include "mock_jwt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mock.h"
#include "mock_nonce.h"

const char *jwt_result_name(enum jwt_result r)
{
    static const char *const names[] = {"ok", "missing", "malformed", "bad_alg",
        "unknown_key", "bad_signature", "nonce_reused", "bad_query_hash"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

static int b64url_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '-')
        return 62;
    if (ch == '_')
        return 63;
    return -1;
}

/* Decodes unpadded base64url; returns malloc'd bytes (NUL-terminated). */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
    unsigned char *out = malloc(n * 3 / 4 + 2);
    if (!out)
        return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    out[o] = 0;
    *out_len = o;
    return out;
}

static json_t *decode_json(const char *s, size_t n)
{
    size_t len;
    unsigned char *raw = b64url_decode(s, n, &len);
    if (!raw)
        return NULL;
    json_t *j = json_loadb((const char *)raw, len, 0, NULL);
    free(raw);
    return json_is_object(j) ? j : (json_decref(j), NULL);
}

static bool signature_ok(const char *token, size_t signed_len, const char *sig,
                         const char *secret)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha512(), secret, (int)strlen(secret), (const unsigned char *)token,
              signed_len, mac, &mac_len))
        return false;
    size_t got_len;
    unsigned char *got = b64url_decode(sig, strlen(sig), &got_len);
    bool ok = got && got_len == mac_len && CRYPTO_memcmp(got, mac, mac_len) == 0;
    free(got);
    return ok;
}

static bool query_hash_ok(json_t *payload, const char *query)
{
    const char *hash = json_string_value(json_object_get(payload, "query_hash"));
    json_t *alg = json_object_get(payload, "query_hash_alg");
    if (!hash || (alg && (!json_is_string(alg) ||
                          strcmp(json_string_value(alg), "SHA512") != 0)))
        return false;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(query, strlen(query), md, &len, EVP_sha512(), NULL) != 1 ||
        strlen(hash) != 2 * (size_t)len)
        return false;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++)
        if (hash[2 * i] != hex[md[i] >> 4] || hash[2 * i + 1] != hex[md[i] & 15])
            return false;
    return true;
}

/* The token's three parts, located in place. */
struct parts {
    const char *tok, *dot1, *dot2;
};

static enum jwt_result split(const char *authorization, struct parts *p)
{
    if (!authorization || !*authorization)
        return JWT_MISSING;
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return JWT_MALFORMED;
    p->tok = authorization + 7;
    while (*p->tok == ' ')
        p->tok++;
    if (!*p->tok)
        return JWT_MISSING;
    p->dot1 = strchr(p->tok, '.');
    p->dot2 = p->dot1 ? strchr(p->dot1 + 1, '.') : NULL;
    if (!p->dot2 || strchr(p->dot2 + 1, '.'))
        return JWT_MALFORMED;
    return JWT_OK;
}

static enum jwt_result check_header(const struct parts *p)
{
    json_t *h = decode_json(p->tok, (size_t)(p->dot1 - p->tok));
    if (!h)
        return JWT_MALFORMED;
    const char *alg = json_string_value(json_object_get(h, "alg"));
    enum jwt_result r = alg && strcmp(alg, "HS512") == 0 ? JWT_OK : JWT_BAD_ALG;
    json_decref(h);
    return r;
}

static enum jwt_result check_payload(const struct parts *p, json_t *payload, const char *query)
{
    const char *ak = json_string_value(json_object_get(payload, "access_key"));
    const char *nonce = json_string_value(json_object_get(payload, "nonce"));
    if (!ak || !nonce || !*nonce)
        return JWT_MALFORMED;
    const struct mock_config *cfg = &g_mock.cfg;
    if (!cfg->access_key || strcmp(ak, cfg->access_key) != 0)
        return JWT_UNKNOWN_KEY;
    if (!signature_ok(p->tok, (size_t)(p->dot2 - p->tok), p->dot2 + 1, cfg->secret_key))
        return JWT_BAD_SIGNATURE;
    if (!nonce_remember(nonce))
        return JWT_NONCE_REUSED;
    if (query && *query && !query_hash_ok(payload, query))
        return JWT_BAD_QUERY_HASH;
    return JWT_OK;
}

enum jwt_result jwt_check(const char *authorization, const char *query)
{
    struct parts p;
    enum jwt_result r = split(authorization, &p);
    if (r == JWT_OK)
        r = check_header(&p);
    if (r != JWT_OK)
        return r;
    json_t *payload = decode_json(p.dot1 + 1, (size_t)(p.dot2 - p.dot1 - 1));
    r = payload ? check_payload(&p, payload, query) : JWT_MALFORMED;
    json_decref(payload);
    return r;
}
