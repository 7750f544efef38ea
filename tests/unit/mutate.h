/*
 * mutate.h: deterministic mutations of a valid message, for the normal test
 * run (the libFuzzer targets do the random search separately).
 *
 * mut_run() calls fn once per mutant: every single-bit flip; every byte set
 * to 0x00, 0xff, 0x7f and 0x80; every truncation (lengths 0 .. len-1);
 * extensions by 1..16 and by 4096 bytes (zero-filled and 0xff-filled); and
 * 4096 multi-byte mutants from a fixed-seed xorshift generator.  Each mutant
 * lives in its own exactly-sized heap buffer, so under ASan a read past the
 * end is caught.  fn returns 0 when the decoder behaved (accepted cleanly or
 * refused with a specific error); mut_run returns the number of mutants on
 * which fn returned non-zero, and stores the total count in *ncases.
 */
#ifndef MUTATE_H
#define MUTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*mut_fn)(const uint8_t *, size_t, void *);

static inline int
mut_one(const uint8_t *src, size_t srclen, size_t len, uint8_t fill,
    mut_fn fn, void *arg, size_t at, uint8_t xor, int set, uint8_t val)
{
	uint8_t	*b;
	int	 r;

	b = malloc(len ? len : 1);
	if (b == NULL)
		abort();
	memcpy(b, src, srclen < len ? srclen : len);
	if (len > srclen)
		memset(b + srclen, fill, len - srclen);
	if (at < len) {
		if (set)
			b[at] = val;
		else
			b[at] ^= xor;
	}
	r = fn(b, len, arg);
	free(b);
	return r != 0;
}

static inline size_t
mut_run(const uint8_t *seed, size_t len, mut_fn fn, void *arg, size_t *ncases)
{
	static const uint8_t vals[] = { 0x00, 0xff, 0x7f, 0x80 };
	static const size_t exts[] = { 1, 2, 3, 4, 7, 8, 12, 16, 4096 };
	size_t		 bad = 0, n = 0, i, j;
	uint64_t	 x = 0x9e3779b97f4a7c15ull;

	for (i = 0; i < len; i++)
		for (j = 0; j < 8; j++, n++)
			bad += (size_t)mut_one(seed, len, len, 0, fn, arg, i,
			    (uint8_t)(1u << j), 0, 0);
	for (i = 0; i < len; i++)
		for (j = 0; j < sizeof(vals); j++, n++)
			bad += (size_t)mut_one(seed, len, len, 0, fn, arg, i,
			    0, 1, vals[j]);
	for (i = 0; i < len; i++, n++)
		bad += (size_t)mut_one(seed, len, i, 0, fn, arg, (size_t)-1,
		    0, 0, 0);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		bad += (size_t)mut_one(seed, len, len + exts[i], 0x00, fn, arg,
		    (size_t)-1, 0, 0, 0);
		bad += (size_t)mut_one(seed, len, len + exts[i], 0xff, fn, arg,
		    (size_t)-1, 0, 0, 0);
		n += 2;
	}
	for (i = 0; i < 4096 && len > 0; i++, n++) {
		uint8_t	*b;
		size_t	 k, nb;

		b = malloc(len);
		if (b == NULL)
			abort();
		memcpy(b, seed, len);
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		nb = 1 + (size_t)(x % 4);
		for (k = 0; k < nb; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			b[x % len] = (uint8_t)(x >> 32);
		}
		bad += (size_t)(fn(b, len, arg) != 0);
		free(b);
	}
	if (ncases != NULL)
		*ncases = n;
	return bad;
}

#endif /* MUTATE_H */
