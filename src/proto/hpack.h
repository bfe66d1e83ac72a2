/*
 * src/proto/hpack.h — HPACK decoding for one direction of one HTTP/2 connection (RFC 7541).
 *
 * The decoder may know only the newest part of the dynamic table: after a gap, or when the
 * connection is seen from its middle. Fields that need an entry it never saw are skipped
 * (ZT_HPACK_PARTIAL), never replaced by a wrong one.
 */
#ifndef ZT_HPACK_H
#define ZT_HPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest field string handed to the callback after Huffman decoding (raw ones: any). */
#define ZT_HPACK_STRING_MAX (64 * 1024)
/* Dynamic table bytes (RFC sizes, 32 bytes overhead each) kept per decoder at most. */
#define ZT_HPACK_TABLE_MEM_MAX (64 * 1024)

struct zt_hpack;
/* The decoder's dynamic table starts at 4096 bytes (SETTINGS_HEADER_TABLE_SIZE default). */
struct zt_hpack *zt_hpack_new(void);
/*
 * A decoder for a connection seen from its middle: the table holds entries it never saw,
 * its maximum size is assumed to be 4096 until a size update says otherwise, and size
 * updates are not bounded until zt_hpack_set_max_size() is called.
 */
struct zt_hpack *zt_hpack_new_unknown(void);
void zt_hpack_free(struct zt_hpack *h);
/* The receiving peer's SETTINGS_HEADER_TABLE_SIZE: the upper bound a size update may set. */
void zt_hpack_set_max_size(struct zt_hpack *h, uint32_t settings_size);
/* Called once per decoded field; name/value are not NUL-terminated and valid during the call only. */
typedef void (*zt_hpack_field_fn)(void *ctx, const char *name, size_t name_len,
                                  const char *value, size_t value_len);
enum zt_hpack_result {
	ZT_HPACK_OK = 0,
	ZT_HPACK_PARTIAL = 1,	/* some fields referenced dynamic entries we never saw: skipped */
	ZT_HPACK_ERROR = -1,	/* malformed block: the table is unknown from now on */
};
/*
 * Decode one complete header block (HEADERS + CONTINUATION payloads joined). PARTIAL also
 * covers a Huffman string that decodes to more than ZT_HPACK_STRING_MAX bytes: its field
 * is skipped (the table still accounts for it). On ERROR the fields before the bad one
 * have been passed to fn.
 */
enum zt_hpack_result zt_hpack_decode(struct zt_hpack *h, const uint8_t *block, size_t len,
                                     zt_hpack_field_fn fn, void *ctx);
/* The stream lost bytes (or we start in the middle): the dynamic table content is unknown. */
void zt_hpack_forget(struct zt_hpack *h);
/* For tests and stats: entries and size of the known part of the dynamic table. */
size_t zt_hpack_table_entries(const struct zt_hpack *h);

/* ---- additions: table inspection, for tests and stats ---- */

/* RFC 7541 size (32 + name + value per entry) of the entries counted above. */
size_t zt_hpack_table_size(const struct zt_hpack *h);
/* The dynamic table's current maximum size (last size update, or the assumed one). */
uint32_t zt_hpack_max_size(const struct zt_hpack *h);
/* False while the table may hold older entries the decoder does not know. */
bool zt_hpack_table_complete(const struct zt_hpack *h);
/*
 * Entry i of the known part, 0 = newest (HPACK index 62). Returns 0 and sets the strings,
 * 1 for an entry whose name came from an entry we never saw (strings unset), -1 past the end.
 */
int zt_hpack_table_entry(const struct zt_hpack *h, size_t i, const char **name,
			 size_t *name_len, const char **value, size_t *value_len);

/* ---- Huffman code (hpack_huffman.c) ---- */

/* One row of RFC 7541 Appendix B: code in the low `len` bits. */
struct zt_hpack_huff_code {
	uint32_t code;
	uint8_t len;
};

/* Symbols 0..255 and EOS (256). */
extern const struct zt_hpack_huff_code zt_hpack_huff_codes[257];

/*
 * Decode a Huffman string. Writes at most `cap` bytes to dst but returns the full decoded
 * length (so a caller can account for what it could not keep), or -1 when the string is
 * invalid: EOS inside it, padding over 7 bits, or padding that is not EOS's leading ones.
 */
ssize_t zt_hpack_huff_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);

#endif
