/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the guest tests whose subject is libqaccel (lib_*.c): GEMMs
 * set up through the library's public API only (qaccel.h), checked against
 * qaccel_ref_gemm().
 */
#ifndef QACCEL_LIB_COMMON_H
#define QACCEL_LIB_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel.h"
#include "guest_util.h"

/* One GEMM with its own library buffers, random operands. */
struct gemm_case {
	struct qaccel_gemm g;
	struct qaccel_buf *a, *b, *c, *bias, *quant;
	void *pa, *pb, *pc, *pbias, *pquant;
};

static inline int gc_alloc(struct qaccel_dev *dev, size_t size,
			   struct qaccel_buf **buf, void **ptr)
{
	int ret = qaccel_buf_alloc(dev, size ? size : 1, buf);

	return ret ? ret : qaccel_buf_map(*buf, ptr);
}

/* m x n x k with @flags, operands from @seed (gc_params(), gc_fill()). */
static inline int gemm_case_init(struct qaccel_dev *dev, struct gemm_case *t,
				 uint32_t m, uint32_t n, uint32_t k,
				 uint32_t flags, uint64_t seed)
{
	struct qaccel_gemm_params *p = &t->g.params;
	int ret;

	memset(t, 0, sizeof(*t));
	*p = gc_params(m, n, k, flags);
	if ((ret = gc_alloc(dev, (size_t)m * k, &t->a, &t->pa)) ||
	    (ret = gc_alloc(dev, (size_t)n * k, &t->b, &t->pb)) ||
	    (ret = gc_alloc(dev, (size_t)m * p->ldc, &t->c, &t->pc)) ||
	    (ret = gc_alloc(dev, (size_t)n * 4, &t->bias, &t->pbias)) ||
	    (ret = gc_alloc(dev, (size_t)n * 8, &t->quant, &t->pquant)))
		return ret;
	gc_fill(p, seed, t->pa, t->pb, t->pc, t->pbias, t->pquant);
	t->g.a.buf = t->a;
	t->g.b.buf = t->b;
	t->g.c.buf = t->c;
	t->g.bias.buf = t->bias;
	t->g.quant.buf = t->quant;
	return 0;
}

/*
 * -1 when C equals the reference, else the byte index of the first
 * difference; -2 when the reference refuses the parameters.
 */
static inline long gemm_case_mismatch(const struct gemm_case *t)
{
	const struct qaccel_gemm_params *p = &t->g.params;
	size_t bytes = (size_t)p->m * p->ldc;

	return gc_ref_mismatch(p, t->pa, t->pb, t->pbias, t->pquant, t->pc,
			       bytes, 0, bytes);
}

static inline void gemm_case_free(struct gemm_case *t)
{
	qaccel_buf_free(t->a);
	qaccel_buf_free(t->b);
	qaccel_buf_free(t->c);
	qaccel_buf_free(t->bias);
	qaccel_buf_free(t->quant);
}

#endif /* QACCEL_LIB_COMMON_H */
