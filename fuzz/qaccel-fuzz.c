// SPDX-License-Identifier: MIT
/*
 * qaccel-fuzz: drive every entry point of the qaccel driver with random and
 * boundary arguments, from inside the guest.
 *
 *   qaccel-fuzz [--calls N] [--seed S] [--fail-alloc] [-v]
 *                                           (FUZZ_CALLS / FUZZ_SEED env)
 *
 * Entry points: the driver's ioctls (GET_PARAM, BO_CREATE, BO_MMAP_OFFSET,
 * SUBMIT, WAIT), DRM's GEM_CLOSE, PRIME handle<->fd and SYNCOBJ ioctls,
 * mmap of the render node, the URING_CMD (any cmd_op, rings with and
 * without SQE128) and raw ioctl numbers with every direction and struct
 * sizes from 0 to 16 KiB.  Operands come from two open files of the same
 * process (a handle of the other file must be -ENOENT), closed and stale
 * handles, unaligned, overlapping and out-of-range offsets and strides.
 *
 * Each call's errno must be in the documented set for that call
 * (docs/reliability.md); a job that passes validation must complete with
 * status 0 (validation is the only thing between user input and the
 * device).  Oopses and warnings are counted from /dev/kmsg records written
 * during the run.  The run ends with a GEMM checked against qaccel_ref_gemm
 * and the line
 *   fuzz: N calls, N rejected, N oops, N warnings, device ok|device broken
 * Exit status 0 only when nothing undocumented happened and the device is ok.
 *
 * --fail-alloc: the fuzzer sets /proc/self/make-it-fail while it makes its
 * calls, so that the kernel's fault injection (failslab, fail_page_alloc
 * with task-filter, configured by the caller: tests/guest/run-debug.sh)
 * fails allocations made on its behalf.  -ENOMEM is then a documented
 * answer of every call, and an accepted job must still succeed.  Opening
 * a file and the final device check run without it.
 *
 * Compiled with FUZZ_NO_MAIN, this file is the body of the guest test
 * tests/guest/fuzz_slice.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "qaccel_hw.h"
#include "qaccel_prng.h"
#include "qaccel.h"
#include "../tests/guest/drv_common.h"

#define FZ_FILES	2
#define FZ_POOL		12	/* live buffers per file */
#define FZ_SEQ		256	/* unwaited ioctl jobs tracked per file */
#define FZ_RING		64
#define FZ_REOPEN_CALLS	50000	/* file 0 is reopened this often */

/* One bit per errno value a call may document (all are below 128). */
#define E(x)		((unsigned __int128)1 << (x))

enum fz_call {
	FZ_GET_PARAM, FZ_BO_CREATE, FZ_MMAP_OFFSET, FZ_MMAP, FZ_SUBMIT, FZ_WAIT,
	FZ_GEM_CLOSE, FZ_PRIME_EXPORT, FZ_PRIME_IMPORT, FZ_SYNCOBJ, FZ_URING,
	FZ_URING_REAP, FZ_RAW, FZ_REOPEN, FZ_NCALLS,
};

static const char *const fz_names[FZ_NCALLS] = {
	"GET_PARAM", "BO_CREATE", "BO_MMAP_OFFSET", "mmap", "SUBMIT", "WAIT",
	"GEM_CLOSE", "PRIME_HANDLE_TO_FD", "PRIME_FD_TO_HANDLE", "SYNCOBJ",
	"URING_CMD", "URING_CMD completion", "raw ioctl", "reopen",
};

/*
 * The documented errnos of each call (docs/reliability.md).  EINTR is never
 * expected: the fuzzer takes no signals.
 */
static const unsigned __int128 fz_allowed[FZ_NCALLS] = {
	[FZ_GET_PARAM] = E(EINVAL),
	[FZ_BO_CREATE] = E(EINVAL) | E(E2BIG) | E(ENOMEM),
	[FZ_MMAP_OFFSET] = E(EINVAL) | E(ENOENT),
	[FZ_MMAP] = E(EINVAL) | E(ENOMEM) | E(EACCES) | E(EPERM),
	[FZ_SUBMIT] = E(EINVAL) | E(E2BIG) | E(ENOENT) | E(EFAULT) | E(EBUSY) |
		      E(ENOMEM) | E(ETIME),
	[FZ_WAIT] = E(EINVAL) | E(ETIME),
	[FZ_GEM_CLOSE] = E(EINVAL),
	[FZ_PRIME_EXPORT] = E(EINVAL) | E(ENOENT),
	[FZ_PRIME_IMPORT] = E(EINVAL) | E(EBADF) | E(ENOENT),
	[FZ_SYNCOBJ] = E(EINVAL) | E(ENOENT),
	[FZ_URING] = E(EINVAL) | E(ENOENT) | E(ENOTTY) | E(EBUSY) | E(ENOMEM) |
		     E(EAGAIN),
	[FZ_URING_REAP] = 0,	/* a queued job must succeed */
	[FZ_RAW] = E(EINVAL) | E(E2BIG) | E(ENOENT) | E(EFAULT) | E(ENOTTY) |
		   E(EBUSY) | E(ENOMEM) | E(ETIME) | E(EOPNOTSUPP) | E(EPERM) |
		   E(EACCES) | E(EBADF) | E(ENOSPC),
	[FZ_REOPEN] = 0,
};

struct fz_bo {
	uint32_t handle;
	uint64_t size;
};

struct fz_file {
	int fd;
	struct io_uring ring;		/* SQE128 | CQE32 */
	struct io_uring small;		/* plain 64-byte SQEs */
	unsigned int ring_inflight, small_inflight;
	struct fz_bo bo[FZ_POOL];
	unsigned int nbo;
	uint64_t seq[FZ_SEQ];
	unsigned int nseq;
	uint32_t syncobj[8];
	unsigned int nsyncobj;
	uint32_t stale[16];		/* closed handles, for reuse attempts */
	unsigned int nstale;
};

struct fz_stats {
	uint64_t calls, rejected, undocumented, job_errors, enomem;
	uint64_t per_call[FZ_NCALLS], per_call_rej[FZ_NCALLS];
	unsigned int oops, warnings;
};

struct fz {
	uint64_t rng;
	struct fz_file f[FZ_FILES];
	struct fz_stats st;
	uint32_t max_dim;
	int kmsg;
	bool verbose;
	uint8_t *raw;			/* 16 KiB + a guard page */
	uint8_t *unmapped;		/* an address that faults */
	unsigned int skip;		/* FUZZ_SKIP: bit per fz_call not to make */
	int make_it_fail;		/* --fail-alloc: /proc/self/make-it-fail, or -1 */
	bool failing;			/* make-it-fail is 1 */
};

static uint64_t fz_rand(struct fz *z)
{
	return prng_next(&z->rng);
}

static uint32_t fz_below(struct fz *z, uint32_t n)
{
	return n ? (uint32_t)(fz_rand(z) % n) : 0;
}

static bool fz_chance(struct fz *z, unsigned int percent)
{
	return fz_below(z, 100) < percent;
}

/* A u32 from a mix of small, boundary and random values around @typ. */
static uint32_t fz_u32(struct fz *z, uint32_t typ)
{
	static const uint32_t edge[] = {
		0, 1, 2, 3, 63, 64, 65, 4095, 4096, 4097, 65535, 65536,
		0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	switch (fz_below(z, 8)) {
	case 0: return edge[fz_below(z, sizeof(edge) / sizeof(edge[0]))];
	case 1: return (uint32_t)fz_rand(z);
	case 2: return typ + fz_below(z, 64);
	case 3: return typ ? typ - 1 - fz_below(z, typ < 8 ? typ : 8) : 0;
	default: return typ;
	}
}

/* Record one call's outcome; @err is 0 or a positive errno. */
static void fz_note(struct fz *z, enum fz_call c, int err)
{
	z->st.calls++;
	z->st.per_call[c]++;
	if (!err)
		return;
	z->st.rejected++;
	z->st.per_call_rej[c]++;
	if (err > 0 && err < 128 && (fz_allowed[c] & E(err)))
		return;
	if (err == ENOMEM && z->make_it_fail >= 0) {
		z->st.enomem++;		/* an injected allocation failure */
		return;
	}
	z->st.undocumented++;
	if (z->st.undocumented <= 20)
		fprintf(stderr, "fuzz: %s returned undocumented %d (%s)\n",
			fz_names[c], -err, strerror(err < 0 ? -err : err));
}

/*
 * --fail-alloc: allocations of this task may fail (@on) or not.  The write
 * itself allocates nothing, so it cannot be failed.
 */
static void fz_fail_alloc(struct fz *z, bool on)
{
	if (z->make_it_fail < 0)
		return;
	if (pwrite(z->make_it_fail, on ? "1" : "0", 1, 0) != 1)
		fprintf(stderr, "fuzz: cannot write make-it-fail: %s\n", strerror(errno));
	z->failing = on;
}

static int fz_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

/* ------------------------------------------------------------------ */
/* Handles and buffers                                                 */
/* ------------------------------------------------------------------ */

static uint32_t fz_handle(struct fz *z, int fi)
{
	struct fz_file *f = &z->f[fi], *o = &z->f[!fi];
	unsigned int r = fz_below(z, 100);

	if (r < 75 && f->nbo)
		return f->bo[fz_below(z, f->nbo)].handle;
	if (r < 85 && o->nbo)
		return o->bo[fz_below(z, o->nbo)].handle;	/* other file */
	if (r < 92 && f->nstale)
		return f->stale[fz_below(z, f->nstale)];
	return fz_u32(z, 1);
}

static uint64_t fz_bo_size(struct fz *z, int fi, uint32_t handle)
{
	for (unsigned int i = 0; i < z->f[fi].nbo; i++)
		if (z->f[fi].bo[i].handle == handle)
			return z->f[fi].bo[i].size;
	return 4096;
}

static void fz_forget(struct fz *z, int fi, uint32_t handle)
{
	struct fz_file *f = &z->f[fi];

	for (unsigned int i = 0; i < f->nbo; i++) {
		if (f->bo[i].handle != handle)
			continue;
		f->bo[i] = f->bo[--f->nbo];
		f->stale[f->nstale++ % 16] = handle;
		if (f->nstale > 16)
			f->nstale = 16;
		return;
	}
}

static int fz_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return fz_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/* Buffers jobs may really use stay small, so that accepted jobs are cheap. */
static void fz_bo_create(struct fz *z, int fi)
{
	static const uint64_t sizes[] = {
		0, 1, 4095, 4096, 4097, 8192, 16384, 1ull << 30, (1ull << 30) + 1,
		1ull << 31, 1ull << 32, ~0ull, ~0ull - 4095,
	};
	struct fz_file *f = &z->f[fi];
	struct drm_qaccel_bo_create c = { 0 };
	bool keep = f->nbo < FZ_POOL && fz_chance(z, 80);
	int err;

	if (keep)
		c.size = 1 + fz_below(z, 16384);
	else
		c.size = fz_chance(z, 70) ? sizes[fz_below(z, sizeof(sizes) / sizeof(sizes[0]))]
					  : fz_rand(z) >> fz_below(z, 64);
	c.flags = fz_chance(z, 90) ? 0 : fz_u32(z, 0);
	err = fz_ioctl(f->fd, DRM_IOCTL_QACCEL_BO_CREATE, &c);
	fz_note(z, FZ_BO_CREATE, err);
	if (err)
		return;
	if (keep && c.size <= 16384) {
		f->bo[f->nbo].handle = c.handle;
		f->bo[f->nbo++].size = (c.size + 4095) & ~4095ull;
	} else {
		fz_note(z, FZ_GEM_CLOSE, fz_gem_close(f->fd, c.handle));
	}
}

static void fz_close_one(struct fz *z, int fi)
{
	struct fz_file *f = &z->f[fi];
	uint32_t h = fz_chance(z, 70) && f->nbo ? f->bo[fz_below(z, f->nbo)].handle
					       : fz_handle(z, fi);
	struct drm_gem_close c = { .handle = h, .pad = fz_chance(z, 90) ? 0 : fz_u32(z, 0) };
	int err = fz_ioctl(f->fd, DRM_IOCTL_GEM_CLOSE, &c);

	fz_note(z, FZ_GEM_CLOSE, err);
	if (!err)
		fz_forget(z, fi, h);
}

static void fz_get_param(struct fz *z, int fi)
{
	struct drm_qaccel_get_param p = {
		.param = fz_chance(z, 60) ? fz_below(z, 24) : fz_u32(z, 6),
		.pad = fz_chance(z, 90) ? 0 : fz_u32(z, 0),
		.value = fz_rand(z),
	};

	fz_note(z, FZ_GET_PARAM, fz_ioctl(z->f[fi].fd, DRM_IOCTL_QACCEL_GET_PARAM, &p));
}

static void fz_mmap(struct fz *z, int fi)
{
	struct fz_file *f = &z->f[fi];
	struct drm_qaccel_bo_mmap_offset m = {
		.handle = fz_handle(z, fi),
		.pad = fz_chance(z, 90) ? 0 : fz_u32(z, 0),
	};
	uint64_t size = fz_bo_size(z, fi, m.handle), len, off;
	int err = fz_ioctl(f->fd, DRM_IOCTL_QACCEL_BO_MMAP_OFFSET, &m);
	int prot = PROT_READ | (fz_chance(z, 80) ? PROT_WRITE : 0);
	void *p;

	fz_note(z, FZ_MMAP_OFFSET, err);
	if (err || fz_chance(z, 30))
		return;
	len = fz_chance(z, 60) ? size : (uint64_t)fz_u32(z, (uint32_t)size) + 1;
	off = m.offset;
	if (fz_chance(z, 20))
		off += (uint64_t)fz_below(z, 4) * 4096;
	if (fz_chance(z, 5))
		off = fz_rand(z) & ~4095ull;
	p = mmap(NULL, len, prot, fz_chance(z, 90) ? MAP_SHARED : MAP_PRIVATE, f->fd, off);
	fz_note(z, FZ_MMAP, p == MAP_FAILED ? errno : 0);
	if (p == MAP_FAILED)
		return;
	/* Touch only what the buffer really holds; a longer mapping would SIGBUS. */
	if (off == m.offset && len <= size && (prot & PROT_WRITE))
		((volatile uint8_t *)p)[fz_below(z, (uint32_t)len)] = (uint8_t)fz_rand(z);
	munmap(p, len);
}

/* ------------------------------------------------------------------ */
/* Jobs                                                                */
/* ------------------------------------------------------------------ */

/* An operand offset: in range, near the end, unaligned or absurd. */
static uint32_t fz_offset(struct fz *z, uint64_t size)
{
	switch (fz_below(z, 6)) {
	case 0: return 0;
	case 1: return fz_below(z, (uint32_t)size);
	case 2: return (uint32_t)size - 1 - fz_below(z, 64);
	case 3: return fz_below(z, 256) | 1;
	default: return fz_u32(z, 0);
	}
}

static void fz_gemm(struct fz *z, int fi, struct drm_qaccel_gemm *g)
{
	uint32_t md = z->max_dim;
	uint32_t out;

	memset(g, 0, sizeof(*g));
	g->op = fz_chance(z, 92) ? DRM_QACCEL_OP_GEMM :
		fz_chance(z, 50) ? DRM_QACCEL_OP_NOP : (uint8_t)fz_rand(z);
	/* Bits 6..7 are the requantization family; 3 is not one. */
	g->flags = fz_chance(z, 85) ? fz_below(z, 256) : (uint16_t)fz_rand(z);
	out = g->flags & DRM_QACCEL_GEMM_OUT_MASK;
	g->m = fz_chance(z, 85) ? 1 + fz_below(z, 24) : fz_u32(z, md);
	g->n = fz_chance(z, 85) ? 1 + fz_below(z, 24) : fz_u32(z, md);
	g->k = fz_chance(z, 85) ? 1 + fz_below(z, 48) : fz_u32(z, md);
	g->lda = fz_chance(z, 70) ? g->k : fz_u32(z, g->k);
	g->ldb = fz_chance(z, 70) ? g->k : fz_u32(z, g->k);
	g->ldc = g->n * (out == DRM_QACCEL_GEMM_OUT_INT32 ? 4 : 1);
	if (fz_chance(z, 30))
		g->ldc = fz_u32(z, g->ldc);
	/* Same handle for several operands: overlapping buffers. */
	g->a_handle = fz_handle(z, fi);
	g->b_handle = fz_chance(z, 20) ? g->a_handle : fz_handle(z, fi);
	g->c_handle = fz_chance(z, 20) ? g->a_handle : fz_handle(z, fi);
	g->bias_handle = fz_chance(z, 30) ? g->c_handle : fz_handle(z, fi);
	g->quant_handle = fz_handle(z, fi);
	g->a_offset = fz_chance(z, 50) ? 0 : fz_offset(z, fz_bo_size(z, fi, g->a_handle));
	g->b_offset = fz_chance(z, 50) ? 0 : fz_offset(z, fz_bo_size(z, fi, g->b_handle));
	g->c_offset = fz_chance(z, 50) ? 0 : fz_offset(z, fz_bo_size(z, fi, g->c_handle));
	g->bias_offset = fz_offset(z, fz_bo_size(z, fi, g->bias_handle));
	g->quant_offset = fz_offset(z, fz_bo_size(z, fi, g->quant_handle));
	g->out_multiplier = (int32_t)fz_rand(z);
	g->out_shift = fz_chance(z, 80) ? (int8_t)(fz_below(z, 62) - 31) : (int8_t)fz_rand(z);
	/* FP32: mostly a positive normal scale and shift 0, the job's rule. */
	if ((g->flags & DRM_QACCEL_GEMM_RQ_MASK) == DRM_QACCEL_GEMM_RQ_FP32 &&
	    fz_chance(z, 80)) {
		g->out_multiplier = (int32_t)(0x00800000u + fz_below(z, 0x7f000000u));
		g->out_shift = 0;
	}
	g->a_zero_point = (uint8_t)fz_rand(z);
	g->b_zero_point = (uint8_t)fz_rand(z);
	g->c_zero_point = (uint8_t)fz_rand(z);
	g->clamp_min = fz_chance(z, 70) ? (out == DRM_QACCEL_GEMM_OUT_UINT8 ? 0 : 0x80)
					: (uint8_t)fz_rand(z);
	g->clamp_max = fz_chance(z, 70) ? (out == DRM_QACCEL_GEMM_OUT_UINT8 ? 0xff : 0x7f)
					: (uint8_t)fz_rand(z);
	if (fz_chance(z, 3))
		g->pad[fz_below(z, 3)] = (uint8_t)(1 + fz_below(z, 255));
}

/* Wait for one job; a job that was queued must have succeeded. */
static void fz_wait_one(struct fz *z, int fi, unsigned int idx, int64_t timeout_ns)
{
	struct fz_file *f = &z->f[fi];
	struct drm_qaccel_wait w = { .seqno = f->seq[idx], .timeout_ns = timeout_ns };
	int err = fz_ioctl(f->fd, DRM_IOCTL_QACCEL_WAIT, &w);

	fz_note(z, FZ_WAIT, err);
	/*
	 * Only a timeout leaves the job to wait for.  Any other error means
	 * the record is gone (a raw WAIT with a guessed seqno may have taken
	 * it): keeping the seqno made the drain before a close loop forever.
	 */
	if (err == ETIME || err == EINTR)
		return;
	if (err) {
		f->seq[idx] = f->seq[--f->nseq];
		return;
	}
	/* Per-channel records are data: the device checks them. */
	if (w.status && !(w.status == -EINVAL && w.hw_status == QACCEL_ERR_BAD_PARAM)) {
		z->st.job_errors++;
		if (z->st.job_errors <= 10)
			fprintf(stderr, "fuzz: accepted job %" PRIu64 " failed: %d (hw %u)\n",
				(uint64_t)w.seqno, w.status, w.hw_status);
	}
	f->seq[idx] = f->seq[--f->nseq];
}

static void fz_submit(struct fz *z, int fi)
{
	struct fz_file *f = &z->f[fi];
	struct drm_qaccel_job jobs[8];
	struct drm_qaccel_submit s = { 0 };
	uint32_t in[4];
	unsigned int n = 1 + fz_below(z, fz_chance(z, 80) ? 2 : 8);
	int err;

	memset(jobs, 0, sizeof(jobs));
	for (unsigned int i = 0; i < n; i++) {
		fz_gemm(z, fi, &jobs[i].gemm);
		if (fz_chance(z, 10) && f->nsyncobj) {
			for (unsigned int j = 0; j < 4; j++)
				in[j] = fz_chance(z, 90) ? f->syncobj[fz_below(z, f->nsyncobj)]
							 : fz_u32(z, 1);
			jobs[i].in_syncobjs = (uintptr_t)in;
			jobs[i].in_syncobj_count = 1 + fz_below(z, 4);
			if (fz_chance(z, 10))
				jobs[i].in_syncobj_count = fz_u32(z, 16);
			if (fz_chance(z, 5))
				jobs[i].in_syncobjs = (uintptr_t)z->unmapped;
		}
		if (fz_chance(z, 10))
			jobs[i].out_syncobj = f->nsyncobj && fz_chance(z, 80)
				? f->syncobj[fz_below(z, f->nsyncobj)] : fz_u32(z, 1);
	}
	s.jobs = (uintptr_t)jobs;
	s.job_count = n;
	s.job_size = sizeof(jobs[0]);
	switch (fz_below(z, 20)) {
	case 0: s.job_count = fz_u32(z, 64); break;
	case 1: s.job_size = fz_u32(z, sizeof(jobs[0])); break;
	case 2: s.flags = fz_u32(z, 1); break;
	case 3: s.pad = fz_u32(z, 1); break;
	case 4: s.jobs = fz_chance(z, 50) ? 0 : (uintptr_t)z->unmapped; break;
	case 5: s.jobs = (uintptr_t)(z->raw + 16384 - sizeof(jobs[0]) / 2); break;
	default: break;
	}
	if (s.job_count > n && s.jobs == (uintptr_t)jobs && s.job_count <= 64)
		s.job_count = n;	/* never read past the array on the stack */
	err = fz_ioctl(f->fd, DRM_IOCTL_QACCEL_SUBMIT, &s);
	fz_note(z, FZ_SUBMIT, err);
	if (err || s.jobs != (uintptr_t)jobs)
		return;
	for (unsigned int i = 0; i < s.job_count; i++) {
		if (f->nseq == FZ_SEQ)
			fz_wait_one(z, fi, 0, -1);
		f->seq[f->nseq++] = jobs[i].seqno;
	}
}

static void fz_wait(struct fz *z, int fi)
{
	struct fz_file *f = &z->f[fi];
	struct drm_qaccel_wait w = { 0 };

	if (f->nseq && fz_chance(z, 70)) {
		fz_wait_one(z, fi, fz_below(z, f->nseq),
			    fz_chance(z, 50) ? 0 : 1000 * 1000 * (int64_t)fz_below(z, 5));
		return;
	}
	w.seqno = fz_chance(z, 50) ? fz_rand(z) : fz_u32(z, 1);
	w.timeout_ns = fz_chance(z, 50) ? 0 : 1000;
	fz_note(z, FZ_WAIT, fz_ioctl(f->fd, DRM_IOCTL_QACCEL_WAIT, &w));
}

/* ------------------------------------------------------------------ */
/* io_uring                                                            */
/* ------------------------------------------------------------------ */

static void fz_reap(struct fz *z, struct io_uring *ring, unsigned int *inflight, bool block)
{
	struct io_uring_cqe *cqe;

	while (*inflight) {
		/*
		 * Blocking, submit first: an SQE the kernel did not take
		 * (io_uring itself could not allocate) is still in the ring.
		 */
		int ret = block ? io_uring_submit_and_wait(ring, 1) : 0;

		ret = ret < 0 ? ret : io_uring_peek_cqe(ring, &cqe);

		if (ret)
			return;
		/* user_data 1: the command was queued, so it must succeed */
		fz_note(z, FZ_URING, -cqe->res);
		io_uring_cqe_seen(ring, cqe);
		(*inflight)--;
	}
}

static void fz_uring(struct fz *z, int fi)
{
	struct fz_file *f = &z->f[fi];
	bool big = fz_chance(z, 90);
	struct io_uring *ring = big ? &f->ring : &f->small;
	unsigned int *inflight = big ? &f->ring_inflight : &f->small_inflight;
	unsigned int n = 1 + fz_below(z, 8);

	for (unsigned int i = 0; i < n && *inflight < FZ_RING - 8; i++) {
		struct drm_qaccel_gemm g;
		uint32_t op = fz_chance(z, 90) ? DRM_QACCEL_URING_CMD_GEMM :
			      fz_chance(z, 50) ? fz_u32(z, DRM_QACCEL_URING_CMD_GEMM)
					       : (uint32_t)fz_rand(z);
		struct io_uring_sqe *sqe;

		fz_gemm(z, fi, &g);
		sqe = raw_prep_cmd(ring, f->fd, op, &g, 0);
		if (!sqe)
			break;
		if (fz_chance(z, 3))
			sqe->len = fz_u32(z, 0);	/* fields the command ignores */
		(*inflight)++;
	}
	/* Submit, then take every completion that is already there. */
	io_uring_submit(ring);
	fz_reap(z, ring, inflight, false);
}

/*
 * Queued commands complete asynchronously: their CQE res must be 0.
 * io_uring gives no way to tell "rejected at issue" from "completed" in
 * the CQE, so the fuzzer remembers nothing per SQE and treats every
 * non-zero res of a command as a rejection whose errno must be documented;
 * -EFAULT, -EIO and -ETIMEDOUT (the device's errors) are not in that set.
 */

/* ------------------------------------------------------------------ */
/* PRIME and syncobjs                                                  */
/* ------------------------------------------------------------------ */

static void fz_prime(struct fz *z, int fi)
{
	struct fz_file *f = &z->f[fi], *o = &z->f[!fi];
	struct drm_prime_handle e = {
		.handle = fz_handle(z, fi),
		.flags = fz_chance(z, 85) ? DRM_CLOEXEC | (fz_chance(z, 50) ? DRM_RDWR : 0)
					  : fz_u32(z, DRM_CLOEXEC),
	};
	struct drm_prime_handle i = { 0 };
	int err = fz_ioctl(f->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &e);
	bool exported = !err;

	fz_note(z, FZ_PRIME_EXPORT, err);
	i.fd = err ? (fz_chance(z, 50) ? -1 : (int)fz_u32(z, 3)) : e.fd;
	if (fz_chance(z, 5))
		i.fd = f->fd;	/* not a dma-buf */
	i.flags = fz_chance(z, 90) ? 0 : fz_u32(z, 0);
	err = fz_ioctl(o->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &i);
	fz_note(z, FZ_PRIME_IMPORT, err);
	if (!err) {
		bool known = false;

		for (unsigned int j = 0; j < o->nbo; j++)
			known |= o->bo[j].handle == i.handle;
		/* The other file now shares the buffer: it may use it. */
		if (!known && o->nbo < FZ_POOL && fz_bo_size(z, fi, e.handle) <= 16384) {
			o->bo[o->nbo].handle = i.handle;
			o->bo[o->nbo++].size = fz_bo_size(z, fi, e.handle);
		} else if (!known) {
			fz_note(z, FZ_GEM_CLOSE, fz_gem_close(o->fd, i.handle));
		}
	}
	if (exported)
		close(e.fd);
}

static void fz_syncobj(struct fz *z, int fi)
{
	struct fz_file *f = &z->f[fi];

	if (f->nsyncobj < 8 && fz_chance(z, 50)) {
		struct drm_syncobj_create c = {
			.flags = fz_chance(z, 80) ? (fz_chance(z, 50) ? DRM_SYNCOBJ_CREATE_SIGNALED : 0)
						  : fz_u32(z, 0),
		};
		int err = fz_ioctl(f->fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

		fz_note(z, FZ_SYNCOBJ, err);
		if (!err)
			f->syncobj[f->nsyncobj++] = c.handle;
	} else {
		struct drm_syncobj_destroy d = {
			.handle = f->nsyncobj && fz_chance(z, 70) ? f->syncobj[fz_below(z, f->nsyncobj)]
								  : fz_u32(z, 1),
			.pad = fz_chance(z, 90) ? 0 : fz_u32(z, 0),
		};
		int err = fz_ioctl(f->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);

		fz_note(z, FZ_SYNCOBJ, err);
		for (unsigned int j = 0; !err && j < f->nsyncobj; j++) {
			if (f->syncobj[j] == d.handle) {
				f->syncobj[j] = f->syncobj[--f->nsyncobj];
				break;
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Raw ioctl numbers: every direction, short and oversized structs      */
/* ------------------------------------------------------------------ */

static void fz_raw(struct fz *z, int fi)
{
	/* The driver's commands plus the DRM core ones the driver relies on. */
	static const unsigned int nrs[] = {
		DRM_COMMAND_BASE + 0, DRM_COMMAND_BASE + 1, DRM_COMMAND_BASE + 2,
		DRM_COMMAND_BASE + 3, DRM_COMMAND_BASE + 4, DRM_COMMAND_BASE + 5,
		DRM_COMMAND_BASE + 0x1f, DRM_COMMAND_BASE + 0x5f,
		0x09 /* GEM_CLOSE */, 0x2d /* PRIME_HANDLE_TO_FD */,
		0x2e /* PRIME_FD_TO_HANDLE */, 0xbf /* SYNCOBJ_CREATE */,
		0xc0 /* SYNCOBJ_DESTROY */,
	};
	static const unsigned int dirs[] = { _IOC_NONE, _IOC_READ, _IOC_WRITE,
					     _IOC_READ | _IOC_WRITE };
	struct fz_file *f = &z->f[fi];
	unsigned int nr = nrs[fz_below(z, sizeof(nrs) / sizeof(nrs[0]))];
	unsigned int size, dir = dirs[fz_below(z, 4)];
	unsigned long req;
	void *arg = z->raw;
	int err;

	switch (fz_below(z, 4)) {
	case 0: size = fz_below(z, 24); break;
	case 1: size = 16 + fz_below(z, 16) * 8; break;
	case 2: size = fz_below(z, 16384); break;
	default: size = 16383; break;
	}
	req = _IOC(dir, DRM_IOCTL_BASE, nr, size);
	/* Mostly zeros with a few random bytes: zeros reach deeper checks. */
	memset(z->raw, 0, 16384);
	for (unsigned int i = fz_below(z, 16); i; i--)
		z->raw[fz_below(z, 64)] = (uint8_t)fz_rand(z);
	if (nr == DRM_COMMAND_BASE + DRM_QACCEL_WAIT)
		memset(z->raw + 8, 0, 8);	/* timeout 0: never block */
	/*
	 * A created buffer whose handle is not copied back stays in the file:
	 * keep such buffers a page (or invalid), or a job naming one by a
	 * guessed handle would pin up to 1 GiB and run the guest out of memory.
	 */
	if (nr == DRM_COMMAND_BASE + DRM_QACCEL_BO_CREATE && (z->raw[2] | z->raw[3] |
	    z->raw[4] | z->raw[5] | z->raw[6] | z->raw[7])) {
		/*
		 * The kernel reads only `size` bytes: with size 7 a set byte 7
		 * was not seen and a 512 MiB buffer was made (then pinned by a
		 * job with a guessed handle: OOM).  All-ones bytes 2..7 are
		 * invalid however many of them the kernel reads, except for
		 * sizes below 4, where they are cleared.
		 */
		memset(z->raw + 2, size < 4 ? 0 : 0xff, 6);
	}
	if (fz_chance(z, 3))
		arg = fz_chance(z, 50) ? NULL : z->unmapped;
	/* Arguments ending at the guard page: a copy of the full size faults. */
	if (fz_chance(z, 3) && size)
		arg = z->raw + 16384 - (size < 16384 ? size : 16384) / 2;
	err = fz_ioctl(f->fd, req, arg);
	fz_note(z, FZ_RAW, err);
	if (err || arg != z->raw || !(dir & _IOC_READ))
		return;
	/* Clean up what a successful create made. */
	if (nr == DRM_COMMAND_BASE + DRM_QACCEL_BO_CREATE && size >= 16)
		fz_gem_close(f->fd, *(uint32_t *)(z->raw + 12));
	if (nr == 0xbf && size >= 4) {
		struct drm_syncobj_destroy d = { .handle = *(uint32_t *)z->raw };

		ioctl(f->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
	}
	if (nr == 0x2d && size >= 12) {
		int fd = *(int32_t *)(z->raw + 8);

		if (fd > 2 && fd != z->f[0].fd && fd != z->f[1].fd && fd != z->kmsg &&
		    fd != z->make_it_fail)
			close(fd);
	}
	/* A raw SUBMIT's jobs pointer is never ours: it queued nothing. */
}

/* Open descriptors of this process (leaked dma-buf fds hold buffers). */
static unsigned int fz_nr_fds(void)
{
	unsigned int n = 0;

	for (int fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/*
 * Leak accounting (-v): the driver's live buffers and pinned pages, and the
 * kernel's unreclaimable slab (where a leaked kmalloc object stays; MemFree
 * alone also moves with caches the kernel may drop).
 */
static void fz_leak_line(struct fz *z, const char *when)
{
	fprintf(stderr, "fuzz: %s %" PRIu64 " calls: bos %lld pinned_pages %lld fds %u "
		"pool %u+%u shmem_kb %lld slab_unreclaimable_kb %lld memfree_kb %lld\n",
		when, z->st.calls, drv_stat("bos"), drv_stat("pinned_pages"), fz_nr_fds(),
		z->f[0].nbo, z->f[1].nbo, drv_meminfo_kb("Shmem"),
		drv_meminfo_kb("SUnreclaim"), drv_meminfo_kb("MemFree"));
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

/* A file and its rings, never with injected failures: the run needs them. */
static int fz_open_file(struct fz *z, int fi, const char *path)
{
	struct fz_file *f = &z->f[fi];
	bool failing = z->failing;
	int ret = 0;

	fz_fail_alloc(z, false);
	memset(f, 0, sizeof(*f));
	f->fd = open(path, O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		ret = -errno;
	else if (raw_ring(&f->ring, FZ_RING, true) || raw_ring(&f->small, FZ_RING, false))
		ret = -ENOMEM;
	fz_fail_alloc(z, failing);
	return ret;
}

/*
 * Close descriptors the fuzzer does not know of: raw ioctls (an export whose
 * fd was not copied back, e.g. a write-only PRIME_HANDLE_TO_FD) leave
 * dma-buf fds behind, each holding its buffer.
 */
static void fz_close_strays(struct fz *z)
{
	for (int fd = 3; fd < 4096; fd++) {
		bool ours = fd == z->kmsg || fd == z->make_it_fail;

		for (int i = 0; i < FZ_FILES; i++)
			ours |= fd == z->f[i].fd || fd == z->f[i].ring.ring_fd ||
				fd == z->f[i].small.ring_fd;
		if (!ours && fcntl(fd, F_GETFD) >= 0)
			close(fd);
	}
}

/* Close a file with whatever it has in flight: the kernel must cope. */
static void fz_close_file(struct fz *z, int fi, bool drain)
{
	struct fz_file *f = &z->f[fi];

	if (drain) {
		while (f->nseq)
			fz_wait_one(z, fi, 0, -1);
		fz_reap(z, &f->ring, &f->ring_inflight, true);
		fz_reap(z, &f->small, &f->small_inflight, true);
	}
	io_uring_queue_exit(&f->ring);
	io_uring_queue_exit(&f->small);
	close(f->fd);
	f->fd = -1;
}

/* ------------------------------------------------------------------ */
/* Kernel log                                                          */
/* ------------------------------------------------------------------ */

static int fz_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Count oopses and warnings logged since fz_kmsg_open(). */
static void fz_kmsg_scan(struct fz *z)
{
	char rec[8192];
	ssize_t n;

	if (z->kmsg < 0)
		return;
	for (;;) {
		n = read(z->kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: keep reading */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, "Oops") || strstr(rec, "BUG:") ||
		    strstr(rec, "general protection") || strstr(rec, "Kernel panic"))
			z->st.oops++;
		if (strstr(rec, "WARNING:") || strstr(rec, "kmemleak"))
			z->st.warnings++;
		if (z->verbose && (strstr(rec, "qaccel") || strstr(rec, "WARN")))
			fprintf(stderr, "kmsg: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
	}
}

/* ------------------------------------------------------------------ */
/* The run                                                             */
/* ------------------------------------------------------------------ */

/* GEMMs built from the uapi, checked against the reference: the device works. */
static bool fz_device_ok(void)
{
	static const uint32_t flags[] = {
		QACCEL_GEMM_OUT_INT32,
		QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS,
		QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_PER_CHANNEL | QACCEL_GEMM_A_UINT8,
	};
	bool ok = true;
	int fd = uj_open();

	if (fd < 0)
		return false;
	for (unsigned int i = 0; i < 3 && ok; i++) {
		struct drm_qaccel_gemm job;
		struct uj_case t;

		ok = !uj_case_init(fd, &t, 29 + i, 19, 37, flags[i], 4242 + i);
		if (ok) {
			uj_case_job(&t, &job);
			ok = raw_run(fd, &job, NULL) == 0 && uj_case_mismatch(&t) == -1;
		}
		uj_case_free(&t);
	}
	close(fd);
	return ok;
}

struct fz_result {
	uint64_t calls, rejected, undocumented, job_errors, enomem;
	unsigned int oops, warnings;
	bool device_ok;
	double seconds;
};

static int fz_run(uint64_t ncalls, uint64_t seed, bool verbose, bool fail_alloc,
		  struct fz_result *res)
{
	struct fz *z = calloc(1, sizeof(*z));
	char path[64];
	struct timespec t0, t1;
	uint64_t next_report = 10000, next_reopen = FZ_REOPEN_CALLS;
	int ret;

	if (!z)
		return -ENOMEM;
	z->rng = seed * 0x9e3779b97f4a7c15ull + 0x1234567;
	z->verbose = verbose;
	z->make_it_fail = -1;
	if (fail_alloc) {
		z->make_it_fail = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
		if (z->make_it_fail < 0) {
			ret = -errno;
			free(z);
			return ret;
		}
	}
	z->kmsg = fz_kmsg_open();
	if (getenv("FUZZ_SKIP"))
		z->skip = (unsigned int)strtoul(getenv("FUZZ_SKIP"), NULL, 0);
	z->raw = mmap(NULL, 16384 + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z->raw == MAP_FAILED) {
		free(z);
		return -ENOMEM;
	}
	/*
	 * A PROT_NONE guard page after 16 KiB: the EFAULT address, and where
	 * a copy past the end stops (unmapped, later mappings could land there).
	 */
	mprotect(z->raw + 16384, 4096, PROT_NONE);
	z->unmapped = z->raw + 16384;
	/* Faulted in now: the fuzzer's own page faults are not under test. */
	memset(z->raw, 0, 16384);

	ret = qaccel_device_path(0, path, sizeof(path));
	if (!ret)
		ret = fz_open_file(z, 0, path);
	if (!ret)
		ret = fz_open_file(z, 1, path);
	if (ret) {
		free(z);
		return ret;
	}
	{
		struct drm_qaccel_get_param p = { .param = DRM_QACCEL_PARAM_MAX_DIM };

		z->max_dim = ioctl(z->f[0].fd, DRM_IOCTL_QACCEL_GET_PARAM, &p) ? 65535
									       : (uint32_t)p.value;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (verbose)
		fz_leak_line(z, "before");
	fz_fail_alloc(z, true);
	while (z->st.calls < ncalls) {
		int fi = fz_chance(z, 75) ? 0 : 1;
		unsigned int r = fz_below(z, 100);
		static const unsigned char kind[100] = {
			[0 ... 5] = FZ_GET_PARAM, [6 ... 15] = FZ_BO_CREATE,
			[16 ... 21] = FZ_MMAP, [22 ... 43] = FZ_SUBMIT, [44 ... 53] = FZ_WAIT,
			[54 ... 58] = FZ_GEM_CLOSE, [59 ... 63] = FZ_PRIME_EXPORT,
			[64 ... 67] = FZ_SYNCOBJ, [68 ... 81] = FZ_URING, [82 ... 98] = FZ_RAW,
			[99] = FZ_REOPEN,
		};

		if (z->skip & (1u << kind[r])) {
			z->st.calls++;	/* keeps the loop finite when all is skipped */
			continue;
		}

		if (r < 6)
			fz_get_param(z, fi);
		else if (r < 16)
			fz_bo_create(z, fi);
		else if (r < 22)
			fz_mmap(z, fi);
		else if (r < 44)
			fz_submit(z, fi);
		else if (r < 54)
			fz_wait(z, fi);
		else if (r < 59)
			fz_close_one(z, fi);
		else if (r < 64)
			fz_prime(z, fi);
		else if (r < 68)
			fz_syncobj(z, fi);
		else if (r < 82)
			fz_uring(z, fi);
		else if (r < 99)
			fz_raw(z, fi);
		else if (fz_chance(z, 2)) {
			/* Drop the second file with its jobs in flight, open it again. */
			fz_close_file(z, 1, false);
			fz_note(z, FZ_REOPEN, -fz_open_file(z, 1, path));
		}
		if ((z->st.calls & 1023) == 0)
			fz_kmsg_scan(z);
		/*
		 * Bound what the run keeps alive: buffers created by raw
		 * ioctls whose handle never came back live as long as their
		 * file, so file 0 is closed (drained) and opened again too.
		 */
		if (z->st.calls >= next_reopen) {
			fz_close_file(z, 0, true);
			fz_close_strays(z);
			fz_note(z, FZ_REOPEN, -fz_open_file(z, 0, path));
			next_reopen += FZ_REOPEN_CALLS;
		}
		if (verbose && z->st.calls >= next_report) {
			fz_fail_alloc(z, false);
			fz_leak_line(z, "after");
			fz_fail_alloc(z, true);
			next_report += 10000;
		}
	}
	fz_fail_alloc(z, false);
	for (int i = 0; i < FZ_FILES; i++)
		fz_close_file(z, i, true);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (verbose)
		fz_leak_line(z, "files closed,");
	res->device_ok = fz_device_ok();
	fz_kmsg_scan(z);
	res->calls = z->st.calls;
	res->rejected = z->st.rejected;
	res->undocumented = z->st.undocumented;
	res->job_errors = z->st.job_errors;
	res->enomem = z->st.enomem;
	res->oops = z->st.oops;
	res->warnings = z->st.warnings;
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (verbose)
		for (int c = 0; c < FZ_NCALLS; c++)
			fprintf(stderr, "fuzz: %-22s %10" PRIu64 " calls %10" PRIu64 " rejected\n",
				fz_names[c], z->st.per_call[c], z->st.per_call_rej[c]);
	if (z->kmsg >= 0)
		close(z->kmsg);
	if (z->make_it_fail >= 0)
		close(z->make_it_fail);
	munmap(z->raw, 16384 + 4096);
	free(z);
	return 0;
}

/* The summary line; an undocumented errno or failed accepted job breaks it too. */
static bool fz_print(const struct fz_result *r)
{
	bool ok = r->device_ok && !r->oops && !r->warnings && !r->undocumented && !r->job_errors;

	printf("# fuzz: %.1f s, %.0f calls/s, %" PRIu64 " undocumented errnos, "
	       "%" PRIu64 " accepted jobs failed, %" PRIu64 " ENOMEM under --fail-alloc\n",
	       r->seconds, r->seconds > 0 ? r->calls / r->seconds : 0.0,
	       r->undocumented, r->job_errors, r->enomem);
	printf("fuzz: %" PRIu64 " calls, %" PRIu64 " rejected, %u oops, %u warnings, device %s\n",
	       r->calls, r->rejected, r->oops, r->warnings, ok ? "ok" : "broken");
	fflush(stdout);
	return ok;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
	uint64_t calls = 1000000, seed = 1;
	const char *env = getenv("FUZZ_CALLS");
	struct fz_result r = { 0 };
	bool verbose = false, fail_alloc = false;
	int ret;

	if (env && *env)
		calls = strtoull(env, NULL, 0);
	env = getenv("FUZZ_SEED");
	if (env && *env)
		seed = strtoull(env, NULL, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--calls") && i + 1 < argc) {
			calls = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[i], "--fail-alloc")) {
			fail_alloc = true;
		} else {
			fprintf(stderr, "usage: %s [--calls N] [--seed S] [--fail-alloc] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	ret = fz_run(calls, seed, verbose, fail_alloc, &r);
	if (ret) {
		fprintf(stderr, "fuzz: cannot start: %s\n", strerror(-ret));
		printf("fuzz: 0 calls, 0 rejected, 0 oops, 0 warnings, device broken\n");
		return 1;
	}
	return fz_print(&r) ? 0 : 1;
}
#endif
