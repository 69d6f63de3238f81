/* Nonces already presented in a valid token: Upbit refuses a second use
 * (nonce_used on REST, INVALID_AUTH on the socket), so the mock remembers
 * every one for the life of the process. */
#ifndef UPWS_MOCK_NONCE_H
#define UPWS_MOCK_NONCE_H

#include <stdbool.h>

/* Records nonce; false if it was seen before (or memory ran out). */
bool nonce_remember(const char *nonce);
void nonce_free(void);

#endif
