/* Verification of the Upbit private-endpoint JWT (PROTOCOL §3). */
#ifndef UPWS_MOCK_JWT_H
#define UPWS_MOCK_JWT_H

#include <stdbool.h>

/* authorization is the whole header value ("Bearer <token>"). True only for
 * an HS512 token signed with secret whose payload has access_key == key
 * and a non-empty nonce. */
bool jwt_verify(const char *authorization, const char *key, const char *secret);

#endif
