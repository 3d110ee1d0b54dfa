#ifndef TOKENBUDGET_CXXHASH_SHIM_H
#define TOKENBUDGET_CXXHASH_SHIM_H

// Inline XXH3 so that hashing a 4-16 byte piece costs ~3 ns, not a call through the shared library.
#define XXH_INLINE_ALL
#include <xxhash.h>

static inline unsigned long long cxxh3_64(const void *bytes, size_t length) {
    return XXH3_64bits(bytes, length);
}

static inline unsigned long long cxxh3_64_seeded(const void *bytes, size_t length, unsigned long long seed) {
    return XXH3_64bits_withSeed(bytes, length, seed);
}

// A read prefetch hint: the tokenizer asks for the memo sets of the next pieces while it works on
// the current ones.
static inline void tb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
