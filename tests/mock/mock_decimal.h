/* Fixed-point amounts: every price, volume and balance of the simulated
 * account is an int64 scaled by 1e8, so fills add up exactly (a test can
 * check executed + remaining == volume to the last digit). */
#ifndef UPWS_MOCK_DECIMAL_H
#define UPWS_MOCK_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#define DEC_SCALE 100000000LL
#define DEC_TEXT_MAX 32

/* "12.5", "-3", "0.00000001": at most 8 decimals. Returns 0 or -1. */
int dec_parse(const char *s, int64_t *out);
/* Shortest plain text ("12.5", "100000000", "0"); returns its length. */
size_t dec_text(int64_t v, char out[DEC_TEXT_MAX]);
/* a*b and a/b of scaled values, rounded toward zero; -1 on overflow or
 * division by zero is reported through *ok = 0. */
int64_t dec_mul(int64_t a, int64_t b, int *ok);
int64_t dec_div(int64_t a, int64_t b, int *ok);

#endif
