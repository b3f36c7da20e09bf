/* SPDX-License-Identifier: MIT */
/*
 * Reading typed values from a libFuzzer input: bytes past the end read as
 * zero, so every input is a valid (if short) sequence of values.  And the
 * targets' CHECK(): a failed property aborts, which libFuzzer reports as a
 * crash with the input that caused it.
 */
#ifndef QACCEL_LIB_FUZZ_INPUT_H
#define QACCEL_LIB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();					\
		}							\
	} while (0)

struct fz_in {
	const uint8_t *d;
	size_t n;
};

static inline uint64_t fz_bytes(struct fz_in *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++) {
		uint64_t b = 0;

		if (in->n) {
			b = *in->d++;
			in->n--;
		}
		v |= b << (8 * i);
	}
	return v;
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	return (uint32_t)fz_bytes(in, 4);
}

static inline uint8_t fz_u8(struct fz_in *in)
{
	return (uint8_t)fz_bytes(in, 1);
}

static inline double fz_f64(struct fz_in *in)
{
	uint64_t v = fz_bytes(in, 8);
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

static inline float fz_f32(struct fz_in *in)
{
	uint32_t v = fz_u32(in);
	float f;

	memcpy(&f, &v, sizeof(f));
	return f;
}

/* A small value most of the time, any 32-bit value sometimes. */
static inline uint32_t fz_dim(struct fz_in *in, uint32_t small)
{
	uint8_t sel = fz_u8(in);

	if (sel < 224)
		return sel % (small + 1);
	return fz_u32(in);
}

#endif /* QACCEL_LIB_FUZZ_INPUT_H */
