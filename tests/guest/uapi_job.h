/* SPDX-License-Identifier: MIT */
/*
 * The guest tests' own client of the kernel interface, written from the
 * kernel-doc of include/uapi/drm/qaccel_drm.h and nothing else: the render
 * node found by driver name, buffers made with DRM_IOCTL_QACCEL_BO_CREATE /
 * _BO_MMAP_OFFSET / DRM_IOCTL_GEM_CLOSE, jobs built as struct
 * drm_qaccel_gemm / drm_qaccel_job and as the 80 command bytes of an
 * IORING_OP_URING_CMD SQE128.  No libqaccel code is involved, so a misreading
 * of the uapi that the library and the driver share still fails a test.
 * Expected results come from qaccel_ref_gemm(), the project's one CPU
 * reference.
 */
#ifndef QACCEL_UAPI_JOB_H
#define QACCEL_UAPI_JOB_H

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <liburing.h>
#include <xf86drm.h>

#include "uapi/drm/qaccel_drm.h"
#include "guest_util.h"

/*
 * Device: the first render or compute-accelerator node whose driver is
 * "qaccel" (the driver registers as an accel node where the kernel has
 * the subsystem, 6.2 on; DRM_IOCTL_VERSION answers on both kinds).
 */

/* An open fd of the qaccel node, or -errno (-ENODEV: none). */
static inline int uj_open(void)
{
	glob_t g = { 0 };
	int fd = -ENODEV;
	int dri = glob("/dev/dri/renderD*", 0, NULL, &g);
	int accel = glob("/dev/accel/accel*", GLOB_APPEND, NULL, &g);

	if (dri && accel) {
		globfree(&g);
		return -ENODEV;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int f = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);
		drmVersionPtr v;
		bool ours;

		if (f < 0)
			continue;
		v = drmGetVersion(f);
		ours = v && !strcmp(v->name, "qaccel");
		drmFreeVersion(v);
		if (ours) {
			fd = f;
			break;
		}
		close(f);
	}
	globfree(&g);
	return fd;
}

/* DRM_IOCTL_QACCEL_GET_PARAM: 0 or -errno. */
static inline int uj_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_qaccel_get_param gp = { .param = param };

	if (ioctl(fd, DRM_IOCTL_QACCEL_GET_PARAM, &gp))
		return -errno;
	*value = gp.value;
	return 0;
}

/* Buffers. */

/* DRM_IOCTL_QACCEL_BO_CREATE: 0 or -errno. */
static inline int uj_bo_create(int fd, uint64_t size, uint32_t *handle)
{
	struct drm_qaccel_bo_create c = { .size = size };

	if (ioctl(fd, DRM_IOCTL_QACCEL_BO_CREATE, &c))
		return -errno;
	*handle = c.handle;
	return 0;
}

/* mmap() of @size bytes of a BO through its fake offset: 0 or -errno. */
static inline int uj_bo_mmap(int fd, uint32_t handle, size_t size, void **ptr)
{
	struct drm_qaccel_bo_mmap_offset mo = { .handle = handle };
	void *p;

	if (ioctl(fd, DRM_IOCTL_QACCEL_BO_MMAP_OFFSET, &mo))
		return -errno;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, mo.offset);
	if (p == MAP_FAILED)
		return -errno;
	*ptr = p;
	return 0;
}

/* DRM_IOCTL_GEM_CLOSE: 0 or -errno. */
static inline int uj_bo_close(int fd, uint32_t handle)
{
	struct drm_gem_close cl = { .handle = handle };

	return ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl) ? -errno : 0;
}

/* A BO with its mapping. */
struct uj_bo {
	uint32_t handle;
	size_t size;		/* as asked for (at least 1) */
	void *map;
};

static inline int uj_bo_new(int fd, size_t size, struct uj_bo *bo)
{
	int ret;

	bo->size = size ? size : 1;
	bo->map = NULL;
	ret = uj_bo_create(fd, bo->size, &bo->handle);
	if (ret)
		return ret;
	ret = uj_bo_mmap(fd, bo->handle, bo->size, &bo->map);
	if (ret) {
		uj_bo_close(fd, bo->handle);
		bo->handle = 0;
	}
	return ret;
}

/* Unmap and close; a zeroed struct uj_bo is left alone. */
static inline void uj_bo_free(int fd, struct uj_bo *bo)
{
	if (bo->map)
		munmap(bo->map, bo->size);
	if (bo->handle)
		uj_bo_close(fd, bo->handle);
	memset(bo, 0, sizeof(*bo));
}

/* PRIME: the BO as a dma-buf fd, or -errno. */
static inline int uj_bo_export(int fd, uint32_t handle)
{
	int dmabuf = -1;
	int ret = drmPrimeHandleToFD(fd, handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf);

	return ret ? -errno : dmabuf;
}

/* PRIME: a handle of this file for a dma-buf fd: 0 or -errno. */
static inline int uj_bo_import(int fd, int dmabuf, uint32_t *handle)
{
	return drmPrimeFDToHandle(fd, dmabuf, handle) ? -errno : 0;
}

/*
 * One GEMM with its own buffers: the parameters as the reference takes them
 * (p), operand byte offsets within the buffers, random operands.
 */
struct uj_case {
	int fd;
	struct qaccel_gemm_params p;
	struct uj_bo a, b, c, bias, quant;
	uint32_t a_offset, b_offset, c_offset, bias_offset, quant_offset;
	void *pa, *pb, *pc;		/* the mappings of a, b, c */
	int32_t *pbias;
	struct qaccel_quant *pquant;
};

/*
 * The binary32 bits of a Q31 pair's real value, multiplier * 2^(shift - 31):
 * the scale an FP32 job uses in place of that pair.
 */
static inline int32_t uj_fp32_of_q31(int32_t multiplier, int32_t shift)
{
	double r = (double)multiplier / 2147483648.0;
	int32_t bits;
	float f;

	for (; shift > 0; shift--)
		r *= 2;
	for (; shift < 0; shift++)
		r /= 2;
	f = (float)r;
	memcpy(&bits, &f, sizeof(bits));
	return bits;
}

/*
 * m x n x k with @flags, operands from @seed (gc_params(), gc_fill()).  With
 * DRM_QACCEL_GEMM_RQ_FP32 in @flags the per-tensor pair and every
 * per-channel record become {uj_fp32_of_q31(), 0}.
 */
static inline int uj_case_init(int fd, struct uj_case *t, uint32_t m,
			       uint32_t n, uint32_t k, uint32_t flags,
			       uint64_t seed)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->p = gc_params(m, n, k, flags);
	if ((ret = uj_bo_new(fd, (size_t)m * k, &t->a)) ||
	    (ret = uj_bo_new(fd, (size_t)n * k, &t->b)) ||
	    (ret = uj_bo_new(fd, (size_t)m * t->p.ldc, &t->c)) ||
	    (ret = uj_bo_new(fd, (size_t)n * 4, &t->bias)) ||
	    (ret = uj_bo_new(fd, (size_t)n * 8, &t->quant)))
		return ret;
	t->pa = t->a.map;
	t->pb = t->b.map;
	t->pc = t->c.map;
	t->pbias = t->bias.map;
	t->pquant = t->quant.map;
	gc_fill(&t->p, seed, t->pa, t->pb, t->pc, t->pbias, t->pquant);
	if ((flags & DRM_QACCEL_GEMM_RQ_MASK) == DRM_QACCEL_GEMM_RQ_FP32) {
		t->p.out_multiplier = uj_fp32_of_q31(t->p.out_multiplier, t->p.out_shift);
		t->p.out_shift = 0;
		for (uint32_t j = 0; j < n; j++) {
			t->pquant[j].multiplier = uj_fp32_of_q31(t->pquant[j].multiplier,
								 t->pquant[j].shift);
			t->pquant[j].shift = 0;
		}
	}
	return 0;
}

/*
 * The job of @t as the uapi describes struct drm_qaccel_gemm: zero points
 * and clamps are elements of their operand's type, stored as its u8 bit
 * pattern; the bias and per-channel handles are named only when the flags
 * use them; pad stays zero.
 */
static inline void uj_case_job(const struct uj_case *t, struct drm_qaccel_gemm *g)
{
	const struct qaccel_gemm_params *p = &t->p;

	memset(g, 0, sizeof(*g));
	g->op = DRM_QACCEL_OP_GEMM;
	g->flags = (uint16_t)p->flags;
	g->m = p->m;
	g->n = p->n;
	g->k = p->k;
	g->lda = p->lda;
	g->ldb = p->ldb;
	g->ldc = p->ldc;
	g->a_handle = t->a.handle;
	g->b_handle = t->b.handle;
	g->c_handle = t->c.handle;
	g->a_offset = t->a_offset;
	g->b_offset = t->b_offset;
	g->c_offset = t->c_offset;
	g->bias_offset = t->bias_offset;
	g->quant_offset = t->quant_offset;
	if (p->flags & DRM_QACCEL_GEMM_BIAS)
		g->bias_handle = t->bias.handle;
	if (p->flags & DRM_QACCEL_GEMM_PER_CHANNEL)
		g->quant_handle = t->quant.handle;
	g->out_multiplier = p->out_multiplier;
	g->out_shift = (int8_t)p->out_shift;
	g->a_zero_point = (uint8_t)p->a_zero_point;
	g->b_zero_point = (uint8_t)p->b_zero_point;
	g->c_zero_point = (uint8_t)p->c_zero_point;
	g->clamp_min = (uint8_t)p->clamp_min;
	g->clamp_max = (uint8_t)p->clamp_max;
}

/*
 * The reference for @t and its comparison read the operands at offset 0 of
 * their buffers except A, B and C (a_offset, b_offset, c_offset): a test
 * that moves bias or per-channel records computes its own reference.
 *
 * -1 when the C buffer equals what the reference computes into a copy
 * filled with 0x5a (so bytes outside C's elements must be untouched), else
 * the byte index of the first difference; -2 when the reference refuses
 * the parameters or memory runs out.
 */
static inline long uj_case_mismatch(const struct uj_case *t)
{
	const struct qaccel_gemm_params *p = &t->p;
	size_t bytes = t->c_offset + (size_t)p->m * p->ldc;

	if (bytes > t->c.size)
		bytes = t->c.size;
	return gc_ref_mismatch(p, (uint8_t *)t->pa + t->a_offset,
			       (uint8_t *)t->pb + t->b_offset, t->pbias, t->pquant,
			       t->pc, bytes, t->c_offset, t->c.size);
}

static inline void uj_case_free(struct uj_case *t)
{
	uj_bo_free(t->fd, &t->a);
	uj_bo_free(t->fd, &t->b);
	uj_bo_free(t->fd, &t->c);
	uj_bo_free(t->fd, &t->bias);
	uj_bo_free(t->fd, &t->quant);
}

/* Submission by ioctl. */

/* DRM_IOCTL_QACCEL_SUBMIT of @count jobs: 0 or -errno. */
static inline int raw_submit_jobs(int fd, struct drm_qaccel_job *jobs,
				  uint32_t count)
{
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs, .job_count = count,
		.job_size = sizeof(*jobs),
	};

	return ioctl(fd, DRM_IOCTL_QACCEL_SUBMIT, &req) ? -errno : 0;
}

/* DRM_IOCTL_QACCEL_SUBMIT of one job; 0 or -errno. */
static inline int raw_submit(int fd, const struct drm_qaccel_gemm *gemm,
			     uint64_t *seqno)
{
	struct drm_qaccel_job job = { .gemm = *gemm };
	int ret = raw_submit_jobs(fd, &job, 1);

	if (!ret && seqno)
		*seqno = job.seqno;
	return ret;
}

/*
 * DRM_IOCTL_QACCEL_WAIT until the job completes; the ioctl's result, the
 * job's in w.  No time bound of its own: how long a job takes behind others
 * on a loaded simulator is no behaviour of the driver, a hung job is failed
 * by the driver's job timeout (status -ETIMEDOUT), and a wait that never
 * returns is ended by the harness's per-test timeout.
 */
static inline int raw_wait(int fd, uint64_t seqno, struct drm_qaccel_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->seqno = seqno;
	w->timeout_ns = -1;
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

/* Submission by io_uring. */

/* A ring the uapi asks for (SQE128 | CQE32), or a plain one. */
static inline int raw_ring(struct io_uring *ring, unsigned int entries,
			   bool big)
{
	unsigned int flags = big ? IORING_SETUP_SQE128 | IORING_SETUP_CQE32 : 0;

	return io_uring_queue_init(entries, ring, flags);
}

/*
 * An IORING_OP_URING_CMD SQE on @fd carrying @gemm in its command bytes:
 * they start at sqe->cmd and run for 80 bytes in an SQE128 ring (16 in the
 * SQE, 64 in the slot after it); a plain ring has room for 16 only.
 */
static inline struct io_uring_sqe *
raw_prep_cmd(struct io_uring *ring, int fd, uint32_t cmd_op,
	     const struct drm_qaccel_gemm *gemm, uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	size_t room = ring->flags & IORING_SETUP_SQE128 ? 80 : 16;

	if (!sqe)
		return NULL;
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	_Static_assert(sizeof(*gemm) == 80, "a job is the SQE128 command bytes");
	/* sqe->cmd is a flexible array: copy through the address. */
	memcpy((void *)((uintptr_t)sqe + offsetof(struct io_uring_sqe, cmd)),
	       gemm, room);
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
 * Run one job on the path @ring names: DRM_IOCTL_QACCEL_SUBMIT + _WAIT when
 * it is NULL, else a URING_CMD on @ring (an SQE128 | CQE32 ring).  Returns
 * the job's status or the submission's -errno; @w (may be NULL) gets what
 * the path reports: every field by ioctl, only cycles by io_uring.
 */
static inline int raw_run_on(int fd, struct io_uring *ring,
			     const struct drm_qaccel_gemm *job,
			     struct drm_qaccel_wait *w)
{
	struct drm_qaccel_wait local;
	uint64_t cycles = 0;
	int ret;

	if (!w)
		w = &local;
	memset(w, 0, sizeof(*w));
	if (!ring)
		return raw_run(fd, job, w);
	ret = raw_uring_run(ring, fd, DRM_QACCEL_URING_CMD_GEMM, job, &cycles);
	w->cycles = cycles;
	return ret;
}

#endif /* QACCEL_UAPI_JOB_H */
