/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * qaccel: user-space interface of the qaccel int8 GEMM accelerator driver.
 *
 * The device is a DRM render node (/dev/dri/renderD*, driver name "qaccel").
 * Buffers are GEM objects; jobs are int8 GEMMs that name their operands by
 * GEM handle and byte offset, never by address.  Jobs are submitted with
 * DRM_IOCTL_QACCEL_SUBMIT and waited for with DRM_IOCTL_QACCEL_WAIT, or
 * submitted through io_uring: an IORING_OP_URING_CMD SQE on the render node
 * fd with cmd_op DRM_QACCEL_URING_CMD_GEMM carries a struct drm_qaccel_gemm
 * inline in its 80 command bytes (the ring needs IORING_SETUP_SQE128); its
 * CQE arrives when the job has completed, res = 0 or a negative errno, and
 * with IORING_SETUP_CQE32 big_cqe[0] = the job's device cycles.
 *
 * Implicit sync (dma-buf): every job's fence is added to the reservation
 * object of each buffer it uses, as a write fence for C and a read fence
 * for A, B, bias and per-channel records, so another driver or
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE sees it.  The job does not run before the
 * fences already on its buffers (the writers of what it reads, writers and
 * readers of C) signal, except its own file's: a file's jobs run and
 * complete in submission order.  Submission never blocks for them; a job
 * that waits holds back the later jobs of its file.
 */
#ifndef _UAPI_QACCEL_DRM_H_
#define _UAPI_QACCEL_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_QACCEL_GET_PARAM		0x00
#define DRM_QACCEL_BO_CREATE		0x01
#define DRM_QACCEL_BO_MMAP_OFFSET	0x02
#define DRM_QACCEL_SUBMIT		0x03
#define DRM_QACCEL_WAIT			0x04
#define DRM_QACCEL_BO_INFO		0x05

/**
 * enum drm_qaccel_param - what DRM_IOCTL_QACCEL_GET_PARAM can report
 * @DRM_QACCEL_PARAM_HW_VERSION: device version, major << 16 | minor
 * @DRM_QACCEL_PARAM_CAPS: device capability bits (DRM_QACCEL_CAP_*)
 * @DRM_QACCEL_PARAM_ARRAY_ROWS: rows of the systolic array
 * @DRM_QACCEL_PARAM_ARRAY_COLS: columns of the systolic array
 * @DRM_QACCEL_PARAM_MAX_DIM: largest M, N or K of a job
 * @DRM_QACCEL_PARAM_QUEUE_DEPTH: jobs the hardware ring holds
 * @DRM_QACCEL_PARAM_MAX_BO_SIZE: largest buffer object, in bytes
 * @DRM_QACCEL_PARAM_CNT_CYCLES: device clock cycles since reset
 * @DRM_QACCEL_PARAM_CNT_BUSY: device cycles with a job in progress
 * @DRM_QACCEL_PARAM_CNT_MACS: multiply-accumulates performed
 * @DRM_QACCEL_PARAM_CNT_DMA_RD: bytes the device read
 * @DRM_QACCEL_PARAM_CNT_DMA_WR: bytes the device wrote
 * @DRM_QACCEL_PARAM_CNT_JOBS: jobs the device completed
 */
enum drm_qaccel_param {
	DRM_QACCEL_PARAM_HW_VERSION = 0,
	DRM_QACCEL_PARAM_CAPS = 1,
	DRM_QACCEL_PARAM_ARRAY_ROWS = 2,
	DRM_QACCEL_PARAM_ARRAY_COLS = 3,
	DRM_QACCEL_PARAM_MAX_DIM = 4,
	DRM_QACCEL_PARAM_QUEUE_DEPTH = 5,
	DRM_QACCEL_PARAM_MAX_BO_SIZE = 6,
	DRM_QACCEL_PARAM_CNT_CYCLES = 16,
	DRM_QACCEL_PARAM_CNT_BUSY = 17,
	DRM_QACCEL_PARAM_CNT_MACS = 18,
	DRM_QACCEL_PARAM_CNT_DMA_RD = 19,
	DRM_QACCEL_PARAM_CNT_DMA_WR = 20,
	DRM_QACCEL_PARAM_CNT_JOBS = 21,
};

#define DRM_QACCEL_CAP_GEMM_I32		(1 << 0)
#define DRM_QACCEL_CAP_REQUANT		(1 << 1)
#define DRM_QACCEL_CAP_PER_CHANNEL	(1 << 2)
#define DRM_QACCEL_CAP_BIAS		(1 << 3)
#define DRM_QACCEL_CAP_UINT8_IN		(1 << 4)
#define DRM_QACCEL_CAP_GEMV		(1 << 5)
#define DRM_QACCEL_CAP_RQ_MODES		(1 << 6)
#define DRM_QACCEL_CAP_FUNCTIONAL	(1U << 31)

/**
 * struct drm_qaccel_get_param - query a device parameter or counter
 * @param: in, an enum drm_qaccel_param value
 * @pad: must be zero
 * @value: out
 */
struct drm_qaccel_get_param {
	__u32 param;
	__u32 pad;
	__u64 value;
};

/**
 * struct drm_qaccel_bo_create - create a GEM buffer object
 * @size: in, bytes (rounded up to the page size), 1..MAX_BO_SIZE
 * @flags: in, must be zero
 * @handle: out, the new GEM handle
 */
struct drm_qaccel_bo_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
};

/**
 * struct drm_qaccel_bo_mmap_offset - get the fake offset to mmap a BO
 * @handle: in, GEM handle
 * @pad: must be zero
 * @offset: out, pass to mmap() on the render node fd
 */
struct drm_qaccel_bo_mmap_offset {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

/* Bits of drm_qaccel_bo_info.flags. */
#define DRM_QACCEL_BO_INFO_IMPORTED	(1 << 0)
#define DRM_QACCEL_BO_INFO_DEVICE_MAPPED	(1 << 1)

/**
 * struct drm_qaccel_bo_info - describe a buffer object of this file
 * @handle: in, GEM handle
 * @flags: out, DRM_QACCEL_BO_INFO_IMPORTED when the buffer came from
 *	another device's dma-buf (PRIME import); DRM_QACCEL_BO_INFO_DEVICE_MAPPED
 *	once a job has used it (its pages then stay pinned until it is freed)
 * @size: out, bytes (the page-rounded size)
 * @mmap_offset: out, the fake offset to pass to mmap() on the render node
 *	fd, as DRM_IOCTL_QACCEL_BO_MMAP_OFFSET returns it
 *
 * An unknown handle gives -ENOENT.  A buffer of this device exported and
 * imported again (also by another process) is the same buffer, not an
 * imported one.
 */
struct drm_qaccel_bo_info {
	__u32 handle;
	__u32 flags;
	__u64 size;
	__u64 mmap_offset;
};

#define DRM_QACCEL_OP_NOP	0
#define DRM_QACCEL_OP_GEMM	1

/* GEMM flags: the same bits as the hardware descriptor's. */
#define DRM_QACCEL_GEMM_A_UINT8		(1 << 0)
#define DRM_QACCEL_GEMM_B_UINT8		(1 << 1)
#define DRM_QACCEL_GEMM_OUT_INT32	(0 << 2)
#define DRM_QACCEL_GEMM_OUT_INT8	(1 << 2)
#define DRM_QACCEL_GEMM_OUT_UINT8	(2 << 2)
#define DRM_QACCEL_GEMM_OUT_MASK	(3 << 2)
#define DRM_QACCEL_GEMM_BIAS		(1 << 4)
#define DRM_QACCEL_GEMM_PER_CHANNEL	(1 << 5)
/*
 * Requantization family of an int8/uint8 output, bits 6..7 (the device
 * has them when DRM_QACCEL_CAP_RQ_MODES is set; docs/quantization.md gives
 * each formula).  GEMMLOWP: gemmlowp's SaturatingRoundingDoublingHighMul
 * and RoundingDivideByPOT of a Q31 multiplier and a shift -31..30.  SINGLE:
 * one rounding of the exact 64-bit product, the same multiplier and shift
 * range.  FP32: @out_multiplier holds the IEEE-754 binary32 bits of a
 * positive, normal, finite scale and @out_shift is 0; the product is rounded
 * half to even.  Value 3 (DRM_QACCEL_GEMM_RQ_MASK) is not a family.  On a
 * device without DRM_QACCEL_CAP_RQ_MODES only GEMMLOWP is taken.
 *
 * Errors: an unknown family (or one the device lacks), or a per-tensor FP32 scale that is NaN,
 * infinite, zero, negative or subnormal, or a nonzero shift with FP32, is
 * -EINVAL at submit.  Per-channel records are data the kernel does not read:
 * a record the family cannot use (a shift out of range, a bad FP32 scale or
 * a nonzero FP32 shift) fails the job: its status is -EINVAL, the device's
 * status QACCEL_ERR_BAD_PARAM (5); the next job runs normally.
 */
#define DRM_QACCEL_GEMM_RQ_GEMMLOWP	(0 << 6)
#define DRM_QACCEL_GEMM_RQ_SINGLE	(1 << 6)
#define DRM_QACCEL_GEMM_RQ_FP32		(2 << 6)
#define DRM_QACCEL_GEMM_RQ_MASK		(3 << 6)

/**
 * struct drm_qaccel_gemm - one job; exactly the 80 command bytes of an SQE128
 * @op: DRM_QACCEL_OP_NOP or DRM_QACCEL_OP_GEMM; a NOP ignores every other field
 * @out_shift: per-tensor requantization shift, > 0 shifts left, -31..30;
 *	0 with DRM_QACCEL_GEMM_RQ_FP32
 * @flags: DRM_QACCEL_GEMM_*
 * @m: rows of A and C, 1..MAX_DIM
 * @n: rows of B (output channels) and columns of C, 1..MAX_DIM
 * @k: columns of A and B, 1..MAX_DIM
 * @lda: bytes between rows of A, at least @k
 * @ldb: bytes between rows of B, at least @k
 * @ldc: bytes between rows of C, at least @n times the output element size
 * @a_handle: GEM handle holding A (M x K, int8 or uint8)
 * @b_handle: GEM handle holding B (N x K, one row per output channel)
 * @c_handle: GEM handle receiving C (M x N; int32, int8 or uint8)
 * @bias_handle: GEM handle holding int32 bias[N], with DRM_QACCEL_GEMM_BIAS
 * @quant_handle: GEM handle holding N records {__s32 multiplier, __s32 shift},
 *	with DRM_QACCEL_GEMM_PER_CHANNEL
 * @a_offset: byte offset of A in its BO
 * @b_offset: byte offset of B in its BO
 * @c_offset: byte offset of C in its BO
 * @bias_offset: byte offset of the bias in its BO
 * @quant_offset: byte offset of the per-channel records in their BO
 * @out_multiplier: per-tensor requantization multiplier (Q31), or with
 *	DRM_QACCEL_GEMM_RQ_FP32 the bits of the binary32 scale
 * @a_zero_point: zero point of A, an element of A's type (int8 or uint8 bits)
 * @b_zero_point: zero point of B, an element of B's type
 * @c_zero_point: zero point of C, an element of C's type (int8/uint8 output)
 * @clamp_min: lower clamp, an element of C's type (int8/uint8 output)
 * @clamp_max: upper clamp, an element of C's type, >= @clamp_min
 * @pad: must be zero
 *
 * C[m][n] = requant(sum_k (A[m][k] - a_zp) * (B[n][k] - b_zp) + bias[n]),
 * accumulated modulo 2^32.  For int32 output C is the accumulator plus bias
 * and the requantization fields are ignored.  Handles not used by the flags
 * are ignored.
 */
struct drm_qaccel_gemm {
	__u8 op;
	__s8 out_shift;
	__u16 flags;
	__u32 m;
	__u32 n;
	__u32 k;
	__u32 lda;
	__u32 ldb;
	__u32 ldc;
	__u32 a_handle;
	__u32 b_handle;
	__u32 c_handle;
	__u32 bias_handle;
	__u32 quant_handle;
	__u32 a_offset;
	__u32 b_offset;
	__u32 c_offset;
	__u32 bias_offset;
	__u32 quant_offset;
	__s32 out_multiplier;
	__u8 a_zero_point;
	__u8 b_zero_point;
	__u8 c_zero_point;
	__u8 clamp_min;
	__u8 clamp_max;
	__u8 pad[3];
};

/**
 * struct drm_qaccel_job - one job of a DRM_IOCTL_QACCEL_SUBMIT
 * @gemm: in, the job
 * @in_syncobjs: in, user pointer to @in_syncobj_count __u32 syncobj handles
 *	the job waits for, or 0 when @in_syncobj_count is 0
 * @in_syncobj_count: in, 0..16
 * @out_syncobj: in, syncobj that gets the job's fence, signalled when the
 *	job completes (with the job's error if it failed), or 0
 * @seqno: out, the job's id for DRM_IOCTL_QACCEL_WAIT
 *
 * The in-syncobjs' fences are taken during the call, before any job of the
 * call gets its out-syncobj fence, so a job cannot wait for another job of
 * the same call.  The call does not wait for them: the job is queued and
 * runs once they have signalled (after 8 job timeouts it fails with
 * -ETIME).  An unknown syncobj handle gives -ENOENT, an in-syncobj without
 * a fence -EINVAL.  Requires DRIVER_SYNCOBJ (the driver has it).
 */
struct drm_qaccel_job {
	struct drm_qaccel_gemm gemm;
	__u64 in_syncobjs;
	__u32 in_syncobj_count;
	__u32 out_syncobj;
	__u64 seqno;
};

/**
 * struct drm_qaccel_submit - queue jobs for the device, in order
 * @jobs: user pointer to an array of struct drm_qaccel_job
 * @job_count: number of jobs, 1..64
 * @job_size: sizeof(struct drm_qaccel_job) as the caller was built with
 * @flags: must be zero
 * @pad: must be zero
 *
 * Either every job is queued or none is.  On success each job's seqno is
 * written back.
 */
struct drm_qaccel_submit {
	__u64 jobs;
	__u32 job_count;
	__u32 job_size;
	__u32 flags;
	__u32 pad;
};

/**
 * struct drm_qaccel_wait - wait for a job of this file to complete
 * @seqno: in, as returned by submit
 * @timeout_ns: in, relative timeout; 0 polls, negative waits forever
 * @status: out, 0 or a negative errno: -EIO device error, -EFAULT DMA fault,
 *	-EINVAL a per-channel requantization record the device refused,
 *	-ETIMEDOUT the job hung (the device completed nothing for the module
 *	parameter job_timeout_ms) and the device was reset; the other jobs
 *	it held were run again
 * @hw_status: out, the device's completion status (QACCEL_ERR_*)
 * @cycles: out, device cycles the job took
 * @macs: out, multiply-accumulates the job performed
 *
 * Returns 0 once the job has completed (see @status), -ETIME if the timeout
 * expired first, -EINVAL for a seqno this file never got.
 */
struct drm_qaccel_wait {
	__u64 seqno;
	__s64 timeout_ns;
	__s32 status;
	__u32 hw_status;
	__u64 cycles;
	__u64 macs;
};

#define DRM_IOCTL_QACCEL_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QACCEL_GET_PARAM, struct drm_qaccel_get_param)
#define DRM_IOCTL_QACCEL_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QACCEL_BO_CREATE, struct drm_qaccel_bo_create)
#define DRM_IOCTL_QACCEL_BO_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QACCEL_BO_MMAP_OFFSET, \
		 struct drm_qaccel_bo_mmap_offset)
#define DRM_IOCTL_QACCEL_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QACCEL_SUBMIT, struct drm_qaccel_submit)
#define DRM_IOCTL_QACCEL_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QACCEL_WAIT, struct drm_qaccel_wait)

#define DRM_IOCTL_QACCEL_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QACCEL_BO_INFO, struct drm_qaccel_bo_info)

/* io_uring: cmd_op of an IORING_OP_URING_CMD carrying a struct drm_qaccel_gemm */
#define DRM_QACCEL_URING_CMD_GEMM	0x51410001

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_QACCEL_DRM_H_ */
