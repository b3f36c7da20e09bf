// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: job validation.
 *
 * Every check a job passes before the device sees it, in one place for
 * the ioctl and io_uring alike: the values of struct drm_qaccel_gemm, then
 * its buffers (this file's own, and the operands inside them, with
 * overflow-checked arithmetic).  Only what passes reaches a descriptor.
 */

#include <linux/overflow.h>
#include <linux/string.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_drv.h"
#include "qaccel_gem.h"
#include "qaccel_hw.h"
#include "qaccel_job.h"
#include "qaccel_validate.h"

/* The uapi flags are the descriptor's flags. */
static_assert(DRM_QACCEL_GEMM_A_UINT8 == QACCEL_F_A_UINT8);
static_assert(DRM_QACCEL_GEMM_B_UINT8 == QACCEL_F_B_UINT8);
static_assert(DRM_QACCEL_GEMM_OUT_MASK == QACCEL_F_OUT_MASK);
static_assert(DRM_QACCEL_GEMM_OUT_INT8 == QACCEL_F_OUT_INT8);
static_assert(DRM_QACCEL_GEMM_OUT_UINT8 == QACCEL_F_OUT_UINT8);
static_assert(DRM_QACCEL_GEMM_BIAS == QACCEL_F_BIAS);
static_assert(DRM_QACCEL_GEMM_PER_CHANNEL == QACCEL_F_PER_CHANNEL);
static_assert(DRM_QACCEL_GEMM_RQ_MASK == QACCEL_F_RQ_MASK);
static_assert(DRM_QACCEL_GEMM_RQ_SINGLE == QACCEL_F_RQ_SINGLE);
static_assert(DRM_QACCEL_GEMM_RQ_FP32 == QACCEL_F_RQ_FP32);
static_assert(sizeof(struct drm_qaccel_gemm) == 80);

/* An 8-bit zero point or clamp, as an element of its type. */
static s16 qaccel_elem(u8 bits, bool is_unsigned)
{
	return is_unsigned ? bits : (s8)bits;
}

/*
 * A per-tensor requantization the family @rq can use: for FP32 the bits of
 * a positive, normal, finite binary32 (no NaN, infinity, zero, negative or
 * subnormal) and shift 0; for the Q31 families a shift in range.  The
 * kernel never computes with the scale, it only looks at its bits.
 */
static bool qaccel_requant_ok(u32 rq, s32 multiplier, s8 shift)
{
	if (rq == DRM_QACCEL_GEMM_RQ_FP32)
		return multiplier >= 0x00800000 && multiplier < 0x7f800000 && !shift;
	return shift >= QACCEL_SHIFT_MIN && shift <= QACCEL_SHIFT_MAX;
}

static bool qaccel_dim_ok(struct qaccel_device *qdev, u32 dim)
{
	return dim >= 1 && dim <= qdev->hw.max_dim;
}

/*
 * Take a reference on the buffer behind @handle, check that @rows rows of
 * @row_bytes bytes, @stride apart from @offset, lie inside it, and point
 * @buf at it.
 */
static int qaccel_job_add_operand(struct qaccel_job *job, struct drm_file *file,
				  u32 handle, u32 offset, u32 rows, u32 stride,
				  u64 row_bytes, struct qaccel_hw_buf *buf)
{
	struct drm_gem_object *obj;
	dma_addr_t table;
	u64 end;
	int ret;

	obj = drm_gem_object_lookup(file, handle);
	if (!obj)
		return -ENOENT;
	job->bos[job->nr_bos++] = obj;

	if (check_mul_overflow((u64)rows - 1, (u64)stride, &end) ||
	    check_add_overflow(end, (u64)offset, &end) ||
	    check_add_overflow(end, row_bytes, &end) ||
	    end > obj->size)
		return -EINVAL;

	ret = qaccel_gem_map(to_qaccel_bo(obj), &table);
	if (ret)
		return ret;

	buf->table = table;
	buf->offset = offset;
	buf->size = obj->size;
	return 0;
}

/*
 * Every check a job passes before the device sees it, for the ioctl and
 * io_uring alike.  Values first (-EINVAL), then handles (-ENOENT) and
 * bounds.  Only addresses of this file's own buffers reach @job->desc.
 */
/**
 * qaccel_job_validate() - check a job and build its descriptor
 * @qdev: the device
 * @file: the file the job came through; its handles name the buffers
 * @args: the job as user space gave it (a copy the caller owns)
 * @job: receives the descriptor and a reference on every buffer it names
 *
 * Values first (-EINVAL), then handles (-ENOENT) and bounds (-EINVAL).
 * Only addresses of this file's own buffers reach @job->desc.  On error
 * the buffers already taken stay in @job for its release.
 *
 * Return: 0 or a negative errno.
 */
int qaccel_job_validate(struct qaccel_device *qdev, struct drm_file *file,
			const struct drm_qaccel_gemm *args, struct qaccel_job *job)
{
	struct qaccel_hw_desc *d = &job->desc;
	u32 out = args->flags & DRM_QACCEL_GEMM_OUT_MASK;
	bool requant = out != DRM_QACCEL_GEMM_OUT_INT32;
	bool per_channel = requant && (args->flags & DRM_QACCEL_GEMM_PER_CHANNEL);
	u64 c_row_bytes;
	int ret;

	/* A NOP ignores every other field (uapi). */
	if (args->op == DRM_QACCEL_OP_NOP) {
		d->opcode = QACCEL_OP_NOP;
		return 0;
	}
	if (args->op != DRM_QACCEL_OP_GEMM)
		return -EINVAL;
	if ((args->flags & ~QACCEL_F_ALL) || out == QACCEL_F_OUT_MASK ||
	    (args->flags & DRM_QACCEL_GEMM_RQ_MASK) == DRM_QACCEL_GEMM_RQ_MASK)
		return -EINVAL;
	/* A device without the families knows only GEMMLOWP. */
	if ((args->flags & DRM_QACCEL_GEMM_RQ_MASK) &&
	    !(qdev->hw.caps & QACCEL_CAP_RQ_MODES))
		return -EINVAL;
	if (memchr_inv(args->pad, 0, sizeof(args->pad)))
		return -EINVAL;
	if (!qaccel_dim_ok(qdev, args->m) || !qaccel_dim_ok(qdev, args->n) ||
	    !qaccel_dim_ok(qdev, args->k))
		return -EINVAL;
	if (args->lda < args->k || args->ldb < args->k)
		return -EINVAL;
	c_row_bytes = (u64)args->n * (requant ? 1 : 4);
	if (args->ldc < c_row_bytes)
		return -EINVAL;

	d->opcode = QACCEL_OP_GEMM;
	/* Per-channel parameters mean nothing without requantization. */
	d->flags = per_channel ? args->flags : args->flags & ~DRM_QACCEL_GEMM_PER_CHANNEL;
	d->m = args->m;
	d->n = args->n;
	d->k = args->k;
	d->lda = args->lda;
	d->ldb = args->ldb;
	d->ldc = args->ldc;
	d->a_zero_point = qaccel_elem(args->a_zero_point, args->flags & DRM_QACCEL_GEMM_A_UINT8);
	d->b_zero_point = qaccel_elem(args->b_zero_point, args->flags & DRM_QACCEL_GEMM_B_UINT8);

	if (requant) {
		bool c_unsigned = out == DRM_QACCEL_GEMM_OUT_UINT8;

		/* Per-channel records are data: the device checks them. */
		if (!per_channel &&
		    !qaccel_requant_ok(args->flags & DRM_QACCEL_GEMM_RQ_MASK,
				       args->out_multiplier, args->out_shift))
			return -EINVAL;
		d->c_zero_point = qaccel_elem(args->c_zero_point, c_unsigned);
		d->clamp_min = qaccel_elem(args->clamp_min, c_unsigned);
		d->clamp_max = qaccel_elem(args->clamp_max, c_unsigned);
		if (d->clamp_min > d->clamp_max)
			return -EINVAL;
		if (!per_channel) {
			d->out_multiplier = args->out_multiplier;
			d->out_shift = args->out_shift;
		}
	}

	ret = qaccel_job_add_operand(job, file, args->a_handle, args->a_offset,
				     args->m, args->lda, args->k, &d->a);
	if (ret)
		return ret;
	ret = qaccel_job_add_operand(job, file, args->b_handle, args->b_offset,
				     args->n, args->ldb, args->k, &d->b);
	if (ret)
		return ret;
	ret = qaccel_job_add_operand(job, file, args->c_handle, args->c_offset,
				     args->m, args->ldc, c_row_bytes, &d->c);
	if (ret)
		return ret;
	if (args->flags & DRM_QACCEL_GEMM_BIAS) {
		ret = qaccel_job_add_operand(job, file, args->bias_handle, args->bias_offset,
					     1, 0, (u64)args->n * sizeof(s32), &d->bias);
		if (ret)
			return ret;
	}
	if (per_channel) {
		ret = qaccel_job_add_operand(job, file, args->quant_handle, args->quant_offset,
					     1, 0, (u64)args->n * sizeof(struct qaccel_hw_quant),
					     &d->quant);
		if (ret)
			return ret;
	}
	return 0;
}
