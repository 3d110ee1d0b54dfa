#ifndef TOKENBUDGET_CPCRE2_SHIM_H
#define TOKENBUDGET_CPCRE2_SHIM_H

// Swift sees only the `pcre2_*_8` names; the width must be fixed before the header is read.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

// Sentinels defined as casts, which Swift does not import.
static inline PCRE2_SIZE cpcre2_unset(void) { return PCRE2_UNSET; }
static inline PCRE2_SIZE cpcre2_zero_terminated(void) { return PCRE2_ZERO_TERMINATED; }

#endif
