/* HS512 JWT check. The secret is used as raw bytes, as Upbit documents. */
#include "mock_jwt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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
    return j;
}

static bool header_ok(const char *s, size_t n)
{
    json_t *h = decode_json(s, n);
    const char *alg = json_string_value(json_object_get(h, "alg"));
    bool ok = alg && strcmp(alg, "HS512") == 0;
    json_decref(h);
    return ok;
}

static bool payload_ok(const char *s, size_t n, const char *key)
{
    json_t *p = decode_json(s, n);
    const char *ak = json_string_value(json_object_get(p, "access_key"));
    const char *nonce = json_string_value(json_object_get(p, "nonce"));
    bool ok = ak && nonce && *nonce && strcmp(ak, key) == 0;
    json_decref(p);
    return ok;
}

static bool signature_ok(const char *token, size_t signed_len, const char *sig,
                         size_t sig_len, const char *secret)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha512(), secret, (int)strlen(secret), (const unsigned char *)token,
              signed_len, mac, &mac_len))
        return false;
    size_t got_len;
    unsigned char *got = b64url_decode(sig, sig_len, &got_len);
    bool ok = got && got_len == mac_len && CRYPTO_memcmp(got, mac, mac_len) == 0;
    free(got);
    return ok;
}

bool jwt_verify(const char *authorization, const char *key, const char *secret)
{
    if (!authorization || !key || !secret)
        return false;
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    const char *dot1 = strchr(tok, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || strchr(dot2 + 1, '.'))
        return false;
    return header_ok(tok, (size_t)(dot1 - tok)) &&
           payload_ok(dot1 + 1, (size_t)(dot2 - dot1 - 1), key) &&
           signature_ok(tok, (size_t)(dot2 - tok), dot2 + 1, strlen(dot2 + 1), secret);
}
