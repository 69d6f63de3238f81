/* auth: base64url (RFC 4648), HMAC-SHA512 (RFC 4231), SHA-512 query hashes
 * and whole JWTs, checked against published vectors and against the
 * `openssl` command line as an independent implementation. */
#include "auth.h"
#include "check.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static void hex_of(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", in[i]);
    out[2 * n] = 0;
}

static const char *b64u(const char *s, char *out, size_t cap)
{
    return auth_base64url((const unsigned char *)s, strlen(s), out, cap) < 0 ? NULL : out;
}

static void test_base64url(void)
{
    static const char *const vec[][2] = {
        {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},       {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++)
        CHECK_STR(b64u(vec[i][0], out, sizeof out), vec[i][1]);
    /* Standard base64 "+/8=" and "//79": the url-safe alphabet, no padding. */
    static const unsigned char hi[] = {0xfb, 0xff};
    CHECK(auth_base64url(hi, 2, out, sizeof out) == 3);
    CHECK_STR(out, "-_8");
    static const unsigned char ff[] = {0xff, 0xfe, 0xfd};
    CHECK(auth_base64url(ff, 3, out, sizeof out) == 4);
    CHECK_STR(out, "__79");
    /* "Zm9vYmFy" needs 9 bytes with the NUL. */
    CHECK(auth_base64url((const unsigned char *)"foobar", 6, out, 8) == -1);
    CHECK(auth_base64url((const unsigned char *)"foobar", 6, out, 9) == 8);
}

static void hmac_case(const unsigned char *key, size_t klen, const char *msg, const char *want)
{
    unsigned char mac[AUTH_HMAC_LEN];
    char hex[2 * AUTH_HMAC_LEN + 1];
    CHECK(auth_hmac_sha512(key, klen, msg, strlen(msg), mac) == 0);
    hex_of(mac, sizeof mac, hex);
    CHECK_STR(hex, want);
}

/* RFC 4231 test cases 1, 2, 6 and 7 (HMAC-SHA-512 rows). */
static void test_hmac_rfc4231(void)
{
    unsigned char k1[20], k6[131];
    memset(k1, 0x0b, sizeof k1);
    memset(k6, 0xaa, sizeof k6);
    hmac_case(k1, sizeof k1, "Hi There",
              "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
              "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
    hmac_case((const unsigned char *)"Jefe", 4, "what do ya want for nothing?",
              "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
              "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    hmac_case(k6, sizeof k6, "Test Using Larger Than Block-Size Key - Hash Key First",
              "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
              "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
    hmac_case(k6, sizeof k6,
              "This is a test using a larger than block-size key and a larger than block-size "
              "data. The key needs to be hashed before being used by the HMAC algorithm.",
              "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
              "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58");
}

/* Runs cmd through the shell and returns the first 128-hex-digit run of its
 * output (openssl dgst prints "SHA2-512(stdin)= <hex>" or "(stdin)= <hex>"). */
static int openssl_hex(const char *cmd, char out[129])
{
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = 0;
    int st = pclose(p);
    for (size_t i = 0, run = 0; i < n; i++) {
        run = isxdigit((unsigned char)buf[i]) ? run + 1 : 0;
        if (run == 128 && (i + 1 == n || !isxdigit((unsigned char)buf[i + 1]))) {
            memcpy(out, buf + i + 1 - 128, 128);
            out[128] = 0;
            return st == 0 ? 0 : -1;
        }
    }
    fprintf(stderr, "no digest from: %s\n  got: %s\n", cmd, buf);
    return -1;
}

static void test_query_hash(void)
{
    char h[AUTH_HASH_HEX_LEN + 1], ref[129];
    CHECK(auth_query_hash("abc", h) == 0);
    CHECK_STR(h, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    CHECK(auth_query_hash("", h) == 0);
    CHECK_STR(h, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                 "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    static const char *const queries[] = {
        "market=KRW-BTC&states[]=wait",
        "market=KRW-BTC&states[]=wait&states[]=watch&page=1&limit=100",
        "uuid=9ca023a5-851b-4fec-9f0a-48cd83c2eaae",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "printf %%s '%s' | openssl dgst -sha512", queries[i]);
        CHECK(openssl_hex(cmd, ref) == 0);
        CHECK(auth_query_hash(queries[i], h) == 0);
        CHECK_STR(h, ref);
    }
}

static int b64url_val(char c)
{
    const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = c ? strchr(abc, c) : NULL;
    return p ? (int)(p - abc) : -1;
}

/* Test-side decoder, independent of the code under test. */
static size_t b64url_decode(const char *s, size_t n, unsigned char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_val(s[i]);
        if (v < 0)
            return (size_t)-1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

static json_t *decode_part(const char *s, size_t n)
{
    unsigned char buf[AUTH_JWT_MAX];
    size_t len = n < sizeof buf ? b64url_decode(s, n, buf) : (size_t)-1;
    return len == (size_t)-1 ? NULL : json_loadb((const char *)buf, len, 0, NULL);
}

struct jwt_parts {
    json_t *header, *payload;
    size_t signed_len;       /* bytes of "header.payload" */
    char sig_hex[129];
};

static int split_jwt(const char *tok, struct jwt_parts *p)
{
    memset(p, 0, sizeof *p);
    const char *d1 = strchr(tok, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2 || strchr(d2 + 1, '.'))
        return -1;
    p->header = decode_part(tok, (size_t)(d1 - tok));
    p->payload = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
    p->signed_len = (size_t)(d2 - tok);
    unsigned char sig[128];
    size_t slen = strlen(d2 + 1) < 100 ? b64url_decode(d2 + 1, strlen(d2 + 1), sig) : 0;
    if (slen != 64)
        return -1;
    hex_of(sig, slen, p->sig_hex);
    return p->header && p->payload ? 0 : -1;
}

static void free_parts(struct jwt_parts *p)
{
    json_decref(p->header);
    json_decref(p->payload);
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void check_uuid4(const char *u)
{
    CHECK(u && strlen(u) == 36);
    if (!u || strlen(u) != 36)
        return;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            CHECK(u[i] == '-');
        else
            CHECK(strchr("0123456789abcdef", u[i]) && u[i]);
    }
    CHECK(u[14] == '4');
    CHECK(strchr("89ab", u[19]) != NULL);
}

/* The signature recomputed by `openssl dgst -hmac` over "header.payload". */
static void check_signature(const char *tok, const struct jwt_parts *p, const char *secret)
{
    char cmd[AUTH_JWT_MAX + 256], ref[129];
    snprintf(cmd, sizeof cmd, "printf %%s '%.*s' | openssl dgst -sha512 -hmac '%s'",
             (int)p->signed_len, tok, secret);
    CHECK(openssl_hex(cmd, ref) == 0);
    CHECK_STR(p->sig_hex, ref);
}

#define SECRET "s3cr3t-Key_with/odd+chars=and spaces"

static void test_jwt_plain(void)
{
    const char *ak = "ak-\"quoted\"\\back\xea\xb0\x80";   /* must survive JSON escaping */
    char tok[AUTH_JWT_MAX];
    struct jwt_parts p;
    CHECK(auth_jwt(ak, SECRET, NULL, tok, sizeof tok) == 0);
    CHECK(split_jwt(tok, &p) == 0);
    CHECK_STR(jstr(p.header, "alg"), "HS512");
    CHECK_STR(jstr(p.header, "typ"), "JWT");
    CHECK(json_object_size(p.header) == 2);
    CHECK_STR(jstr(p.payload, "access_key"), ak);
    check_uuid4(jstr(p.payload, "nonce"));
    CHECK(json_object_size(p.payload) == 2);   /* no query_hash without a query */
    check_signature(tok, &p, SECRET);
    free_parts(&p);
    CHECK(auth_jwt(ak, SECRET, "", tok, sizeof tok) == 0);
    CHECK(split_jwt(tok, &p) == 0);
    CHECK(json_object_get(p.payload, "query_hash") == NULL);
    free_parts(&p);
}

static void test_jwt_query(void)
{
    const char *q = "market=KRW-BTC&states[]=wait";
    char tok[AUTH_JWT_MAX], ref[129];
    struct jwt_parts p;
    CHECK(auth_jwt("my-access-key", SECRET, q, tok, sizeof tok) == 0);
    CHECK(split_jwt(tok, &p) == 0);
    CHECK_STR(jstr(p.payload, "access_key"), "my-access-key");
    CHECK(openssl_hex("printf %s 'market=KRW-BTC&states[]=wait' | openssl dgst -sha512",
                      ref) == 0);
    CHECK_STR(jstr(p.payload, "query_hash"), ref);
    CHECK_STR(jstr(p.payload, "query_hash_alg"), "SHA512");
    check_uuid4(jstr(p.payload, "nonce"));
    check_signature(tok, &p, SECRET);
    free_parts(&p);
}

static void test_jwt_nonces_and_limits(void)
{
    char a[AUTH_JWT_MAX], b[AUTH_JWT_MAX];
    struct jwt_parts pa, pb;
    CHECK(auth_jwt("k", "s", NULL, a, sizeof a) == 0);
    CHECK(auth_jwt("k", "s", NULL, b, sizeof b) == 0);
    CHECK(split_jwt(a, &pa) == 0 && split_jwt(b, &pb) == 0);
    CHECK(strcmp(jstr(pa.payload, "nonce"), jstr(pb.payload, "nonce")) != 0);
    CHECK(strcmp(a, b) != 0);
    free_parts(&pa);
    free_parts(&pb);
    /* Too small: fails cleanly and leaves no partial token. */
    char small[100];
    memset(small, 'x', sizeof small);
    CHECK(auth_jwt("k", "s", NULL, small, sizeof small) == -1);
    CHECK(small[0] == 0);
    CHECK(auth_jwt(NULL, "s", NULL, a, sizeof a) == -1);
    CHECK(auth_jwt("k", NULL, NULL, a, sizeof a) == -1);
}

static void test_uuid4(void)
{
    char u[64][AUTH_UUID_LEN + 1];
    for (int i = 0; i < 64; i++) {
        CHECK(auth_uuid4(u[i]) == 0);
        check_uuid4(u[i]);
        for (int k = 0; k < i; k++)
            CHECK(strcmp(u[i], u[k]) != 0);
    }
}

int main(void)
{
    test_base64url();
    test_hmac_rfc4231();
    test_query_hash();
    test_uuid4();
    test_jwt_plain();
    test_jwt_query();
    test_jwt_nonces_and_limits();
    return CHECK_DONE();
}
