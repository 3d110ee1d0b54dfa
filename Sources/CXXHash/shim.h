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

// XXH3-64 fed in parts (a turn arriving in chunks): the state is 576 bytes aligned to 64, so it
// lives on the heap; the digest of the parts equals `cxxh3_64_seeded` of their concatenation.
static inline void *cxxh3_stream_create(unsigned long long seed) {
    XXH3_state_t *state = XXH3_createState();
    if (state != NULL) XXH3_64bits_reset_withSeed(state, seed);
    return state;
}

static inline void *cxxh3_stream_copy(const void *state) {
    XXH3_state_t *copy = XXH3_createState();
    if (copy != NULL) XXH3_copyState(copy, (const XXH3_state_t *)state);
    return copy;
}

static inline void cxxh3_stream_free(void *state) { XXH3_freeState((XXH3_state_t *)state); }

static inline void cxxh3_stream_update(void *state, const void *bytes, size_t length) {
    XXH3_64bits_update((XXH3_state_t *)state, bytes, length);
}

static inline unsigned long long cxxh3_stream_digest(const void *state) {
    return XXH3_64bits_digest((const XXH3_state_t *)state);
}

// A read prefetch hint: the tokenizer asks for the memo sets of the next pieces while it works on
// the current ones.
static inline void tb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
