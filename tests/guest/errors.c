// SPDX-License-Identifier: MIT
/*
 * Bad jobs through the raw ioctl and io_uring interfaces: every one is
 * refused with the documented errno, and afterwards the device still
 * computes correctly.  Each test starts from a valid job built from the
 * uapi (uapi_job.h) and breaks one thing.  A job's fields are checked the
 * same on both paths, so those tests run once per path (variants ioctl,
 * uring); what only one path has is in ioctl_errors and uring_errors.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi_job.h"

/* The device, a valid 13 x 11 x 17 int8 + bias job and an SQE128 ring. */
struct env {
	int fd;
	struct uj_case t;
	struct drm_qaccel_gemm job;
	struct io_uring ring;
};

static int env_open(struct env *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = uj_open();
	if (e->fd < 0)
		return e->fd;
	ret = uj_case_init(e->fd, &e->t, 13, 11, 17,
			   QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 1);
	if (ret)
		return ret;
	uj_case_job(&e->t, &e->job);
	return raw_ring(&e->ring, 8, true);
}

static void env_close(struct env *e)
{
	io_uring_queue_exit(&e->ring);
	uj_case_free(&e->t);
	close(e->fd);
}

/* Submit @job on one path: 0 or the refusal's -errno (io_uring: the CQE's res). */
static int submit_on(struct env *e, bool uring, const struct drm_qaccel_gemm *job)
{
	if (uring)
		return raw_uring_run(&e->ring, e->fd, DRM_QACCEL_URING_CMD_GEMM,
				     job, NULL);
	return raw_submit(e->fd, job, NULL);
}

/* Submit and wait on one path: the job's status or the refusal. */
static int run_on(struct env *e, bool uring, const struct drm_qaccel_gemm *job)
{
	return raw_run_on(e->fd, uring ? &e->ring : NULL, job, NULL);
}

FIXTURE(errors) {
	struct env e;
};

FIXTURE_VARIANT(errors) {
	bool uring;
};

FIXTURE_VARIANT_ADD(errors, ioctl) {
	.uring = false,
};

FIXTURE_VARIANT_ADD(errors, uring) {
	.uring = true,
};

FIXTURE_SETUP(errors)
{
	ASSERT_EQ(0, env_open(&self->e));
}

FIXTURE_TEARDOWN(errors)
{
	env_close(&self->e);
}

#define EXPECT_REFUSED(err, job) \
	EXPECT_EQ(err, submit_on(&self->e, variant->uring, &(job)))

TEST_F(errors, valid_job_runs)
{
	EXPECT_EQ(0, run_on(&self->e, variant->uring, &self->e.job));
	EXPECT_EQ(-1, uj_case_mismatch(&self->e.t));
}

TEST_F(errors, unknown_handle_is_enoent)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.a_handle = 0xdead;
	EXPECT_REFUSED(-ENOENT, j);
	j = self->e.job;
	j.c_handle = 0;
	EXPECT_REFUSED(-ENOENT, j);
	j = self->e.job;
	j.bias_handle = 0xbeef;
	EXPECT_REFUSED(-ENOENT, j);
}

TEST_F(errors, per_channel_without_quant_handle_is_enoent)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.flags |= DRM_QACCEL_GEMM_PER_CHANNEL;
	j.quant_handle = 0;
	EXPECT_REFUSED(-ENOENT, j);
}

TEST_F(errors, unused_handles_are_ignored)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.flags &= ~DRM_QACCEL_GEMM_BIAS;
	j.bias_handle = 0xdead;
	j.quant_handle = 0xbeef;
	EXPECT_EQ(0, run_on(&self->e, variant->uring, &j));
}

TEST_F(errors, bo_too_small_for_dimensions_is_einval)
{
	struct drm_qaccel_gemm j = self->e.job;
	uint32_t small = 0;

	ASSERT_EQ(0, uj_bo_create(self->e.fd, 4096, &small));
	/* C needs m * ldc = 64 * 100 bytes; the BO has 4096 */
	j.c_handle = small;
	j.m = 64;
	j.ldc = 100;
	j.a_handle = small;
	j.lda = 17;
	EXPECT_REFUSED(-EINVAL, j);
	EXPECT_EQ(0, uj_bo_close(self->e.fd, small));
}

TEST_F(errors, operand_offset_past_bo_end_is_einval)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.a_offset = 4096 - 10;	/* A is 13 x 17: runs off the page */
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.c_offset = 0xffffffff;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.bias_offset = 4096 - 4;
	EXPECT_REFUSED(-EINVAL, j);
}

TEST_F(errors, dims_zero_or_above_65535_are_einval)
{
	static const uint32_t bad[] = { 0, 65536, 0xffffffff };

	for (int d = 0; d < 3; d++) {
		for (int i = 0; i < 3; i++) {
			struct drm_qaccel_gemm j = self->e.job;
			uint32_t *dim = d == 0 ? &j.m : d == 1 ? &j.n : &j.k;

			*dim = bad[i];
			EXPECT_REFUSED(-EINVAL, j);
		}
	}
}

TEST_F(errors, overflowing_strides_are_einval)
{
	struct drm_qaccel_gemm j = self->e.job;

	/* (m - 1) * lda wraps 32 bits many times over */
	j.m = 65535;
	j.lda = 0xffffffff;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.n = 65535;
	j.ldb = 0xffffffff;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.m = 65535;
	j.ldc = 0xffffffff;
	EXPECT_REFUSED(-EINVAL, j);
	/* offset + extent wraps 32 bits */
	j = self->e.job;
	j.m = 2;
	j.lda = 0x80000000;
	j.a_offset = 0x80000000;
	EXPECT_REFUSED(-EINVAL, j);
}

TEST_F(errors, strides_below_row_size_are_einval)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.lda = j.k - 1;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.ldb = j.k - 1;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.ldc = j.n - 1;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.flags = (j.flags & ~DRM_QACCEL_GEMM_OUT_MASK) | DRM_QACCEL_GEMM_OUT_INT32;
	j.ldc = j.n * 4 - 1;
	EXPECT_REFUSED(-EINVAL, j);
}

TEST_F(errors, nonzero_pad_is_einval)
{
	for (int i = 0; i < 3; i++) {
		struct drm_qaccel_gemm j = self->e.job;

		j.pad[i] = 1;
		EXPECT_REFUSED(-EINVAL, j);
	}
}

TEST_F(errors, unknown_op_is_einval)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.op = 2;
	EXPECT_REFUSED(-EINVAL, j);
	j.op = 0xff;
	EXPECT_REFUSED(-EINVAL, j);
}

TEST_F(errors, unknown_flags_are_einval)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.flags |= 1 << 8;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.flags |= 0x8000;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.flags |= DRM_QACCEL_GEMM_OUT_MASK;	/* output type 3 */
	EXPECT_REFUSED(-EINVAL, j);
}

TEST_F(errors, bad_requant_fields_are_einval)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.clamp_min = 0x10;	/* 16 > 15 */
	j.clamp_max = 0x0f;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.clamp_min = 0x7f;	/* int8: 127 > -128 */
	j.clamp_max = 0x80;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.out_shift = 31;
	EXPECT_REFUSED(-EINVAL, j);
	j.out_shift = -32;
	EXPECT_REFUSED(-EINVAL, j);
}

TEST_F(errors, requant_family_3_is_einval)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.flags |= DRM_QACCEL_GEMM_RQ_MASK;
	EXPECT_REFUSED(-EINVAL, j);
	/* Also with an int32 output, which has no requantization at all. */
	j.flags = (j.flags & ~DRM_QACCEL_GEMM_OUT_MASK) | DRM_QACCEL_GEMM_OUT_INT32;
	j.ldc = j.n * 4;
	EXPECT_REFUSED(-EINVAL, j);
}

/* Each scale an FP32 job cannot use, and a good one with a shift. */
TEST_F(errors, bad_per_tensor_fp32_scales_are_einval)
{
	static const struct {
		const char *what;
		uint32_t bits;
		int8_t shift;
	} bad[] = {
		{ "NaN", 0x7fc00000, 0 }, { "signalling NaN", 0x7f800001, 0 },
		{ "+inf", 0x7f800000, 0 }, { "-inf", 0xff800000, 0 },
		{ "+0", 0, 0 }, { "-0", 0x80000000, 0 }, { "-1.0", 0xbf800000, 0 },
		{ "smallest subnormal", 1, 0 }, { "largest subnormal", 0x007fffff, 0 },
		{ "2^-10 with shift 1", 0x3a800000, 1 }, { "2^-10 with shift -1", 0x3a800000, -1 },
	};
	struct drm_qaccel_gemm j = self->e.job;

	j.flags |= DRM_QACCEL_GEMM_RQ_FP32;
	j.out_multiplier = 0x3a800000;	/* 2^-10 */
	j.out_shift = 0;
	EXPECT_EQ(0, run_on(&self->e, variant->uring, &j));
	j.out_multiplier = 0x00800000;	/* the smallest normal */
	EXPECT_EQ(0, run_on(&self->e, variant->uring, &j));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j.out_multiplier = (int32_t)bad[i].bits;
		j.out_shift = bad[i].shift;
		EXPECT_REFUSED(-EINVAL, j) TH_LOG("FP32 scale %s", bad[i].what);
	}
}

/*
 * Per-channel records are the device's to check: a NaN scale in one is
 * accepted at submit, fails that job with -EINVAL (BAD_PARAM on the
 * device), and the next job runs correctly.
 */
TEST_F(errors, bad_per_channel_fp32_record_fails_the_job_then_next_runs)
{
	struct drm_qaccel_gemm j = self->e.job;
	struct drm_qaccel_wait w = { 0 };
	uint64_t seqno = 0;

	for (uint32_t c = 0; c < j.n; c++)
		self->e.t.pquant[c] = (struct qaccel_quant){ 0x3a800000, 0 };
	self->e.t.pquant[7].multiplier = 0x7fc00000;	/* NaN */
	j.flags |= DRM_QACCEL_GEMM_PER_CHANNEL | DRM_QACCEL_GEMM_RQ_FP32;
	j.quant_handle = self->e.t.quant.handle;
	j.out_multiplier = 0;	/* per-tensor fields are ignored per channel */
	j.out_shift = 0;
	if (variant->uring) {
		EXPECT_EQ(-EINVAL, run_on(&self->e, true, &j));
	} else {
		ASSERT_EQ(0, raw_submit(self->e.fd, &j, &seqno));
		ASSERT_EQ(0, raw_wait(self->e.fd, seqno, &w));
		EXPECT_EQ(-EINVAL, w.status);
		EXPECT_EQ(5, w.hw_status);	/* QACCEL_ERR_BAD_PARAM */
	}
	memset(self->e.t.pc, 0x5a, 13 * 11);
	EXPECT_EQ(0, run_on(&self->e, variant->uring, &self->e.job));
	EXPECT_EQ(-1, uj_case_mismatch(&self->e.t));
}

TEST_F(errors, gemm_still_correct_after_bad_jobs)
{
	struct drm_qaccel_gemm j = self->e.job;

	j.m = 0;
	EXPECT_REFUSED(-EINVAL, j);
	j = self->e.job;
	j.a_handle = 0xdead;
	EXPECT_REFUSED(-ENOENT, j);
	j = self->e.job;
	j.lda = 0xffffffff;
	j.m = 65535;
	EXPECT_REFUSED(-EINVAL, j);
	/* both paths still run a valid job correctly */
	memset(self->e.t.pc, 0x5a, 13 * 11);
	EXPECT_EQ(0, raw_run(self->e.fd, &self->e.job, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&self->e.t));
	memset(self->e.t.pc, 0x5a, 13 * 11);
	EXPECT_EQ(0, raw_uring_run(&self->e.ring, self->e.fd,
				   DRM_QACCEL_URING_CMD_GEMM, &self->e.job, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&self->e.t));
}

/* What only DRM_IOCTL_QACCEL_SUBMIT / _WAIT check. */
FIXTURE(ioctl_errors) {
	struct env e;
};

FIXTURE_SETUP(ioctl_errors)
{
	ASSERT_EQ(0, env_open(&self->e));
}

FIXTURE_TEARDOWN(ioctl_errors)
{
	env_close(&self->e);
}

TEST_F(ioctl_errors, submit_header_checked)
{
	struct drm_qaccel_job jobs[65];
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs, .job_count = 1, .job_size = sizeof(jobs[0]),
	};

	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 65; i++)
		jobs[i].gemm.op = DRM_QACCEL_OP_NOP;
#define SUBMIT_ERRNO(r) (ioctl(self->e.fd, DRM_IOCTL_QACCEL_SUBMIT, &(r)) ? errno : 0)
	{
		struct drm_qaccel_submit r = req;

		r.job_count = 0;
		EXPECT_EQ(EINVAL, SUBMIT_ERRNO(r));
		r.job_count = 65;	/* more than the uapi's 64 */
		EXPECT_EQ(E2BIG, SUBMIT_ERRNO(r));
		r = req;
		r.job_size = 8;
		EXPECT_EQ(EINVAL, SUBMIT_ERRNO(r));
		r = req;
		r.flags = 1;
		EXPECT_EQ(EINVAL, SUBMIT_ERRNO(r));
		r = req;
		r.pad = 1;
		EXPECT_EQ(EINVAL, SUBMIT_ERRNO(r));
		r = req;
		r.jobs = 8;
		EXPECT_EQ(EFAULT, SUBMIT_ERRNO(r));
	}
	/* syncobj fields: a count without an array, an array without a count */
	jobs[0].in_syncobj_count = 1;
	EXPECT_EQ(EINVAL, SUBMIT_ERRNO(req));
	jobs[0].in_syncobj_count = 0;
	jobs[0].in_syncobjs = 1;
	EXPECT_EQ(EINVAL, SUBMIT_ERRNO(req));
	jobs[0].in_syncobjs = 0;
	/* an out-syncobj handle this file does not have, as DRM's syncobj ioctls say */
	jobs[0].out_syncobj = 1;
	EXPECT_EQ(ENOENT, SUBMIT_ERRNO(req));
	jobs[0].out_syncobj = 0;
	/* 64 is the limit, and fine */
	req.job_count = 64;
	EXPECT_EQ(0, SUBMIT_ERRNO(req));
#undef SUBMIT_ERRNO
}

TEST_F(ioctl_errors, batch_with_one_bad_job_queues_none)
{
	struct drm_qaccel_job jobs[3];
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs, .job_count = 3, .job_size = sizeof(jobs[0]),
	};
	struct drm_qaccel_wait w;

	memset(jobs, 0, sizeof(jobs));
	jobs[0].gemm = self->e.job;
	jobs[1].gemm = self->e.job;
	jobs[1].gemm.k = 0;
	jobs[2].gemm.op = DRM_QACCEL_OP_NOP;
	memset(self->e.t.pc, 0x5a, 13 * 11);
	EXPECT_EQ(-1, ioctl(self->e.fd, DRM_IOCTL_QACCEL_SUBMIT, &req));
	EXPECT_EQ(EINVAL, errno);
	/* a later job completing proves the first one never ran */
	EXPECT_EQ(0, raw_run(self->e.fd, &jobs[2].gemm, &w));
	EXPECT_EQ(0x5a, ((uint8_t *)self->e.t.pc)[0]);
}

TEST_F(ioctl_errors, wait_for_seqno_zero_is_einval)
{
	struct drm_qaccel_wait w = { .seqno = 0, .timeout_ns = 0 };

	/* seqno 0 was never handed out */
	EXPECT_EQ(-1, ioctl(self->e.fd, DRM_IOCTL_QACCEL_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
}

/* Last: after every refusal above the device still computes correctly. */
/* What only the io_uring command checks. */
FIXTURE(uring_errors) {
	struct env e;
};

FIXTURE_SETUP(uring_errors)
{
	ASSERT_EQ(0, env_open(&self->e));
}

FIXTURE_TEARDOWN(uring_errors)
{
	env_close(&self->e);
}

TEST_F(uring_errors, uring_unknown_cmd_op_is_refused)
{
	int ret = raw_uring_run(&self->e.ring, self->e.fd, 0x51410099, &self->e.job, NULL);

	EXPECT_TRUE(ret == -EINVAL || ret == -ENOTTY || ret == -EOPNOTSUPP)
		TH_LOG("res %d", ret);
}

TEST_F(uring_errors, uring_cmd_without_sqe128_is_einval)
{
	struct io_uring small;

	ASSERT_EQ(0, raw_ring(&small, 4, false));
	EXPECT_EQ(-EINVAL, raw_uring_run(&small, self->e.fd,
					 DRM_QACCEL_URING_CMD_GEMM, &self->e.job,
					 NULL));
	io_uring_queue_exit(&small);
}

TEST_HARNESS_MAIN
