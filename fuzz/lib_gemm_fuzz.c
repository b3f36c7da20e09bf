// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the library's job checking and encoding, without a
 * device.  A fuzzed struct qaccel_gemm (any shape, strides, flags, zero
 * points, clamps, buffers of any size, offsets, missing or foreign
 * buffers) goes through qa_gemm_encode(), the one conversion to the uapi
 * job (called on a fake qaccel_dev as tests/lib/test_lib_args.c does).
 * Invariants:
 * - it accepts exactly when qaccel_gemm_params_check() accepts and every
 *   used operand lies inside a buffer of this device (checked here
 *   independently with 128-bit arithmetic);
 * - an accepted job carries every field unchanged, the zero points and
 *   clamps as their 8-bit patterns, and nothing for unused operands;
 * - qaccel_ref_gemm() agrees with qaccel_gemm_params_check() and, on small
 *   valid shapes with operands in exactly sized heap blocks (ASan sees one
 *   byte too far), writes only C's elements, never the gaps between rows.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "qaccel_internal.h"
#include "lib_fuzz_input.h"

static struct qaccel_dev dev, other;

typedef unsigned __int128 u128;

static int32_t fz_value(struct fz_in *in)
{
	uint8_t sel = fz_u8(in);

	if (sel < 128)
		return (int8_t)fz_u8(in);
	if (sel < 224)
		return fz_u8(in);
	return (int32_t)fz_u32(in);
}

static bool fits(const struct qaccel_operand *op, uint64_t rows,
		 uint64_t stride, uint64_t row_bytes)
{
	u128 end = (u128)(rows - 1) * stride + row_bytes + op->offset;

	return op->buf && op->buf->dev == &dev && end <= op->buf->size;
}

/* An operand: an extent-sized buffer give or take a little, or anything. */
static void fz_operand(struct fz_in *in, struct qaccel_operand *op,
		       struct qaccel_buf *buf, uint64_t extent)
{
	uint8_t mode = fz_u8(in);
	uint32_t off = fz_u8(in) < 200 ? fz_u8(in) % 8 : fz_u32(in);

	buf->dev = mode == 1 ? &other : &dev;
	buf->handle = fz_u32(in);
	switch (mode % 4) {
	case 0:
		buf->size = extent + off;
		break;
	case 1:
	case 2:
		buf->size = extent + off - (fz_u8(in) % 2);
		break;
	default:
		buf->size = fz_bytes(in, 8);
	}
	op->buf = mode == 255 ? NULL : buf;
	op->offset = off;
}

static void check_ref(const struct qaccel_gemm_params *p, struct fz_in *in)
{
	uint32_t esz = (p->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_INT32 ? 4 : 1;
	size_t na = (size_t)(p->m - 1) * p->lda + p->k;
	size_t nb = (size_t)(p->n - 1) * p->ldb + p->k;
	size_t nc = (size_t)(p->m - 1) * p->ldc + (size_t)p->n * esz;
	uint8_t *a = malloc(na), *b = malloc(nb), *c = malloc(nc);
	int32_t *bias = malloc((size_t)p->n * 4);
	struct qaccel_quant *q = malloc((size_t)p->n * sizeof(*q));

	CHECK(a && b && c && bias && q);
	for (size_t i = 0; i < na; i++)
		a[i] = fz_u8(in);
	for (size_t i = 0; i < nb; i++)
		b[i] = fz_u8(in);
	for (uint32_t j = 0; j < p->n; j++) {
		bias[j] = (int32_t)fz_u32(in);
		q[j].multiplier = (int32_t)fz_u32(in);
		/* The documented range of a record's shift. */
		q[j].shift = (int32_t)(fz_u8(in) % 62) - 31;
		/* FP32 records: a positive, normal, finite binary32 and shift 0. */
		if ((p->flags & QACCEL_GEMM_RQ_MASK) == QACCEL_GEMM_RQ_FP32) {
			q[j].multiplier = 0x00800000 +
					  (int32_t)((uint32_t)q[j].multiplier % 0x7f000000u);
			q[j].shift = 0;
		}
	}
	memset(c, 0x77, nc);
	CHECK(qaccel_ref_gemm(p, a, b, bias, q, c) == 0);
	for (uint32_t i = 0; i + 1 < p->m; i++)
		for (size_t x = (size_t)p->n * esz; x < p->ldc; x++)
			CHECK(c[(size_t)i * p->ldc + x] == 0x77);
	free(a);
	free(b);
	free(c);
	free(bias);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct qaccel_buf ba, bb, bc, bbias, bquant;
	struct qaccel_gemm g = { 0 };
	struct qaccel_gemm_params *p = &g.params;
	struct drm_qaccel_gemm out;
	bool requant, per_channel, bias, ok;
	int ret, chk;
	uint8_t one[8] = { 0 };

	dev.fd = -1;
	dev.caps.max_bo_size = 1ull << 30;
	other = dev;

	p->m = fz_dim(&in, 20);
	p->n = fz_dim(&in, 20);
	p->k = fz_dim(&in, 20);
	p->flags = fz_u8(&in) < 240 ? fz_u8(&in) & QACCEL_GEMM_FLAGS_ALL : fz_u32(&in);
	requant = (p->flags & QACCEL_GEMM_OUT_MASK) != QACCEL_GEMM_OUT_INT32;
	per_channel = requant && (p->flags & QACCEL_GEMM_PER_CHANNEL);
	bias = p->flags & QACCEL_GEMM_BIAS;
	p->lda = fz_u8(&in) < 224 ? p->k + fz_u8(&in) % 5 : fz_u32(&in);
	p->ldb = fz_u8(&in) < 224 ? p->k + fz_u8(&in) % 5 : fz_u32(&in);
	p->ldc = fz_u8(&in) < 224 ? p->n * (requant ? 1 : 4) + fz_u8(&in) % 5 - 1
				  : fz_u32(&in);
	p->a_zero_point = fz_value(&in);
	p->b_zero_point = fz_value(&in);
	p->c_zero_point = fz_value(&in);
	p->clamp_min = fz_value(&in);
	p->clamp_max = fz_value(&in);
	p->out_multiplier = (int32_t)fz_u32(&in);
	p->out_shift = fz_u8(&in) < 200 ? (int8_t)fz_u8(&in) % 40 : (int32_t)fz_u32(&in);

	fz_operand(&in, &g.a, &ba, (uint64_t)(p->m ? p->m - 1 : 0) * p->lda + p->k);
	fz_operand(&in, &g.b, &bb, (uint64_t)(p->n ? p->n - 1 : 0) * p->ldb + p->k);
	fz_operand(&in, &g.c, &bc, (uint64_t)(p->m ? p->m - 1 : 0) * p->ldc +
		   (uint64_t)p->n * (requant ? 1 : 4));
	fz_operand(&in, &g.bias, &bbias, (uint64_t)p->n * 4);
	fz_operand(&in, &g.quant, &bquant, (uint64_t)p->n * 8);

	chk = qaccel_gemm_params_check(p);
	CHECK(chk == 0 || chk == -EINVAL);
	ret = qa_gemm_encode(&dev, &g, &out);
	ok = !chk && fits(&g.a, p->m, p->lda, p->k) &&
	     fits(&g.b, p->n, p->ldb, p->k) &&
	     fits(&g.c, p->m, p->ldc, (uint64_t)p->n * (requant ? 1 : 4)) &&
	     (!bias || fits(&g.bias, 1, 0, (uint64_t)p->n * 4)) &&
	     (!per_channel || fits(&g.quant, 1, 0, (uint64_t)p->n * 8));
	CHECK(ret == (ok ? 0 : -EINVAL));
	if (ok) {
		CHECK(out.op == DRM_QACCEL_OP_GEMM);
		CHECK(out.m == p->m && out.n == p->n && out.k == p->k);
		CHECK(out.lda == p->lda && out.ldb == p->ldb && out.ldc == p->ldc);
		CHECK(out.flags == (per_channel ? p->flags
				    : p->flags & ~QACCEL_GEMM_PER_CHANNEL));
		CHECK(out.a_handle == ba.handle && out.a_offset == g.a.offset);
		CHECK(out.b_handle == bb.handle && out.b_offset == g.b.offset);
		CHECK(out.c_handle == bc.handle && out.c_offset == g.c.offset);
		CHECK(bias ? out.bias_handle == bbias.handle &&
			     out.bias_offset == g.bias.offset
			   : !out.bias_handle && !out.bias_offset);
		CHECK(per_channel ? out.quant_handle == bquant.handle &&
				    out.quant_offset == g.quant.offset
				  : !out.quant_handle && !out.quant_offset);
		CHECK(out.a_zero_point == (uint8_t)p->a_zero_point);
		CHECK(out.b_zero_point == (uint8_t)p->b_zero_point);
		if (requant) {
			CHECK(out.c_zero_point == (uint8_t)p->c_zero_point);
			CHECK(out.clamp_min == (uint8_t)p->clamp_min);
			CHECK(out.clamp_max == (uint8_t)p->clamp_max);
			CHECK(out.out_multiplier == (per_channel ? 0 : p->out_multiplier));
			CHECK(out.out_shift == (per_channel ? 0 : (int8_t)p->out_shift));
		} else {
			CHECK(!out.c_zero_point && !out.clamp_min && !out.clamp_max &&
			      !out.out_multiplier && !out.out_shift);
		}
		CHECK(!out.pad[0] && !out.pad[1] && !out.pad[2]);
	}
	/* The same device with a NULL anywhere is refused. */
	CHECK(qa_gemm_encode(NULL, &g, &out) == -EINVAL);
	CHECK(qa_gemm_encode(&dev, NULL, &out) == -EINVAL);

	if (chk) {
		/* Invalid parameters: refused before any operand is touched. */
		CHECK(qaccel_ref_gemm(p, one, one, (int32_t *)one,
				      (struct qaccel_quant *)one, one) == -EINVAL);
	} else if (p->m <= 24 && p->n <= 24 && p->k <= 24 && p->lda <= 64 &&
		   p->ldb <= 64 && p->ldc <= 160) {
		check_ref(p, &in);
	}
	return 0;
}
