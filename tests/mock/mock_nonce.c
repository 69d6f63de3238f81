/* Open-addressing string set (FNV-1a, linear probing, kept under half full). */
#include "mock_nonce.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char **slots;
static size_t nslots, used;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static char **find(char **tab, size_t n, const char *s)
{
    size_t i = (size_t)(fnv1a(s) & (n - 1));
    while (tab[i] && strcmp(tab[i], s) != 0)
        i = (i + 1) & (n - 1);
    return &tab[i];
}

static bool grow(void)
{
    size_t n = nslots ? nslots * 2 : 1024;
    char **tab = calloc(n, sizeof(*tab));
    if (!tab)
        return false;
    for (size_t i = 0; i < nslots; i++)
        if (slots[i])
            *find(tab, n, slots[i]) = slots[i];
    free(slots);
    slots = tab;
    nslots = n;
    return true;
}

bool nonce_remember(const char *nonce)
{
    if ((used + 1) * 2 > nslots && !grow())
        return false;
    char **slot = find(slots, nslots, nonce);
    if (*slot)
        return false;
    *slot = strdup(nonce);
    if (!*slot)
        return false;
    used++;
    return true;
}

void nonce_free(void)
{
    for (size_t i = 0; i < nslots; i++)
        free(slots[i]);
    free(slots);
    slots = NULL;
    nslots = used = 0;
}
