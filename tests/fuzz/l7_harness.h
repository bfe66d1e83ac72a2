/*
 * Shared libFuzzer harness for the protocol parsers (l7_harness.c). Input: 8 control bytes,
 * stream A, optionally the marker "\0ZT\0" and stream B; fed interleaved with gaps, then
 * ordered (split and whole), which must parse alike. A target defines the two symbols below.
 */
#ifndef ZT_FUZZ_L7_HARNESS_H
#define ZT_FUZZ_L7_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "zt_l7.h"

/*
 * The parser under test, and the check called for every record (__builtin_trap() when an
 * invariant of the protocol breaks). Weak, like the harness's LLVMFuzzerTestOneInput: a
 * target that is not a parser (e.g. the HPACK decoder) defines its own entry point instead.
 */
extern const struct zt_parser_ops *fuzz_parser __attribute__((weak));
void fuzz_check_record(const struct zt_l7_record *r) __attribute__((weak));

#endif
