/* libFuzzer target for the HTTP/2 parser (harness: l7_harness.c). */
#include <string.h>

#include "http2_record.h"
#include "l7_harness.h"

const struct zt_parser_ops *fuzz_parser = &zt_http2_parser;

void fuzz_check_record(const struct zt_l7_record *r)
{
	fuzz_check_http2_record(r, false);
}
