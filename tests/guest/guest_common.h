/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the guest test programs.  Tests about the kernel
 * interface open the device and allocate buffers through libqaccel, encode
 * the job with the library's one encoder (qa_gemm_encode) and then issue
 * raw ioctls / SQEs, often after breaking a field on purpose.  Expected
 * results always come from qaccel_ref_gemm().
 */
#ifndef QACCEL_GUEST_COMMON_H
#define QACCEL_GUEST_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <liburing.h>
#include <xf86drm.h>

#include "qaccel_internal.h"
#include "qaccel_prng.h"

/* One GEMM with its own buffers, random operands and a reference result. */
struct gemm_case {
	struct qaccel_gemm g;
	struct qaccel_buf *a, *b, *c, *bias, *quant;
	void *pa, *pb, *pc, *pbias, *pquant;
};

/* The guest tests' name for prng_next() (include/qaccel_prng.h). */
static inline uint64_t gc_rand(uint64_t *s)
{
	return prng_next(s);
}

static inline int gc_alloc(struct qaccel_dev *dev, size_t size,
			   struct qaccel_buf **buf, void **ptr)
{
	int ret = qaccel_buf_alloc(dev, size ? size : 1, buf);

	return ret ? ret : qaccel_buf_map(*buf, ptr);
}

static inline uint32_t gc_out_size(uint32_t flags)
{
	return (flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_INT32 ? 4 : 1;
}

/*
 * Set up m x n x k with the given flags: random operands, bias and
 * per-channel records when the flags ask for them, zero points and a
 * requantization that keep outputs spread over the int8/uint8 range.
 * C is filled with 0x5a so that unwritten elements show.
 */
static inline int gemm_case_init(struct qaccel_dev *dev, struct gemm_case *t,
				 uint32_t m, uint32_t n, uint32_t k,
				 uint32_t flags, uint64_t seed)
{
	struct qaccel_gemm_params *p = &t->g.params;
	uint32_t out = flags & QACCEL_GEMM_OUT_MASK;
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	int ret;

	memset(t, 0, sizeof(*t));
	*p = (struct qaccel_gemm_params){
		.m = m, .n = n, .k = k,
		.lda = k, .ldb = k, .ldc = n * gc_out_size(flags),
		.flags = flags,
		.a_zero_point = flags & QACCEL_GEMM_A_UINT8 ? 128 : -3,
		.b_zero_point = flags & QACCEL_GEMM_B_UINT8 ? 120 : 5,
		.c_zero_point = out == QACCEL_GEMM_OUT_UINT8 ? 128 : -7,
		.clamp_min = out == QACCEL_GEMM_OUT_UINT8 ? 0 : -128,
		.clamp_max = out == QACCEL_GEMM_OUT_UINT8 ? 255 : 127,
		.out_multiplier = 1518500250,
		.out_shift = -9,
	};
	if ((ret = gc_alloc(dev, (size_t)m * k, &t->a, &t->pa)) ||
	    (ret = gc_alloc(dev, (size_t)n * k, &t->b, &t->pb)) ||
	    (ret = gc_alloc(dev, (size_t)m * p->ldc, &t->c, &t->pc)) ||
	    (ret = gc_alloc(dev, (size_t)n * 4, &t->bias, &t->pbias)) ||
	    (ret = gc_alloc(dev, (size_t)n * 8, &t->quant, &t->pquant)))
		return ret;
	for (size_t i = 0; i < (size_t)m * k; i++)
		((uint8_t *)t->pa)[i] = (uint8_t)(gc_rand(&s) >> 56);
	for (size_t i = 0; i < (size_t)n * k; i++)
		((uint8_t *)t->pb)[i] = (uint8_t)(gc_rand(&s) >> 56);
	for (uint32_t j = 0; j < n; j++) {
		struct qaccel_quant *q = (struct qaccel_quant *)t->pquant + j;

		((int32_t *)t->pbias)[j] = (int32_t)(gc_rand(&s) % 40001) - 20000;
		q->multiplier = (int32_t)(0x40000000 + gc_rand(&s) % 0x3fffffff);
		q->shift = -(int32_t)(7 + gc_rand(&s) % 4);
	}
	memset(t->pc, 0x5a, (size_t)m * p->ldc);
	t->g.a.buf = t->a;
	t->g.b.buf = t->b;
	t->g.c.buf = t->c;
	t->g.bias.buf = t->bias;
	t->g.quant.buf = t->quant;
	return 0;
}

/* -1 when C equals the reference, else the byte index of the first difference. */
static inline long gemm_case_mismatch(const struct gemm_case *t)
{
	const struct qaccel_gemm_params *p = &t->g.params;
	size_t bytes = (size_t)p->m * p->ldc;
	uint8_t *want = malloc(bytes);
	long bad = -1;

	if (!want)
		return 0;
	memset(want, 0x5a, bytes);
	if (qaccel_ref_gemm(p, t->pa, t->pb, t->pbias, t->pquant, want)) {
		free(want);
		return 0;
	}
	for (size_t i = 0; i < bytes; i++) {
		if (((uint8_t *)t->pc)[i] != want[i]) {
			bad = (long)i;
			break;
		}
	}
	free(want);
	return bad;
}

static inline void gemm_case_free(struct gemm_case *t)
{
	qaccel_buf_free(t->a);
	qaccel_buf_free(t->b);
	qaccel_buf_free(t->c);
	qaccel_buf_free(t->bias);
	qaccel_buf_free(t->quant);
}

/* Raw DRM_IOCTL_QACCEL_SUBMIT of one job; 0 or -errno. */
static inline int raw_submit(int fd, const struct drm_qaccel_gemm *gemm,
			     uint64_t *seqno)
{
	struct drm_qaccel_job job = { .gemm = *gemm };
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)&job, .job_count = 1, .job_size = sizeof(job),
	};

	if (ioctl(fd, DRM_IOCTL_QACCEL_SUBMIT, &req))
		return -errno;
	if (seqno)
		*seqno = job.seqno;
	return 0;
}

/* Raw DRM_IOCTL_QACCEL_WAIT (10 s); the ioctl's result, the job's in w. */
static inline int raw_wait(int fd, uint64_t seqno, struct drm_qaccel_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->seqno = seqno;
	w->timeout_ns = 10ll * 1000 * 1000 * 1000;
	return ioctl(fd, DRM_IOCTL_QACCEL_WAIT, w) ? -errno : 0;
}

/* Submit one job and wait for it: the job's status, or the ioctl's error. */
static inline int raw_run(int fd, const struct drm_qaccel_gemm *gemm,
			  struct drm_qaccel_wait *w)
{
	struct drm_qaccel_wait local;
	uint64_t seqno = 0;
	int ret = raw_submit(fd, gemm, &seqno);

	if (ret)
		return ret;
	if (!w)
		w = &local;
	ret = raw_wait(fd, seqno, w);
	return ret ? ret : w->status;
}

/* An io_uring as libqaccel sets it up (SQE128 | CQE32), or a plain one. */
static inline int raw_ring(struct io_uring *ring, unsigned int entries,
			   bool big)
{
	unsigned int flags = big ? IORING_SETUP_SQE128 | IORING_SETUP_CQE32 : 0;

	return io_uring_queue_init(entries, ring, flags);
}

static inline struct io_uring_sqe *
raw_prep_cmd(struct io_uring *ring, int fd, uint32_t cmd_op,
	     const struct drm_qaccel_gemm *gemm, uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return NULL;
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	memcpy(qa_sqe_cmd(sqe), gemm,
	       ring->flags & IORING_SETUP_SQE128 ? sizeof(*gemm) : 16);
	sqe->user_data = user_data;
	return sqe;
}

/* Submit one URING_CMD and wait for its CQE: its res (and cycles). */
static inline int raw_uring_run(struct io_uring *ring, int fd, uint32_t cmd_op,
				const struct drm_qaccel_gemm *gemm,
				uint64_t *cycles)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (!raw_prep_cmd(ring, fd, cmd_op, gemm, 0x1234))
		return -EBUSY;
	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_peek_cqe(ring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	if (cycles)
		*cycles = (ring->flags & IORING_SETUP_CQE32) ? cqe->big_cqe[0] : 0;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/*
 * The build directory the running program came from (the guest sees the
 * host tree at the same path): .../build/tests/guest/NAME -> .../build.
 */
static inline int gc_build_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	if (n <= 0)
		return -1;
	out[n] = 0;
	for (int i = 0; i < 3; i++) {
		char *slash = strrchr(out, '/');

		if (!slash)
			return -1;
		*slash = 0;
	}
	return 0;
}

#endif /* QACCEL_GUEST_COMMON_H */
