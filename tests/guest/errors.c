// SPDX-License-Identifier: MIT
/*
 * Bad jobs through the raw ioctl and io_uring interfaces: every one is
 * refused with the documented errno, and afterwards the device still
 * computes correctly.  Each test starts from a valid encoded job and breaks
 * one thing.
 */
#include "kselftest_harness.h"
#include "guest_common.h"

FIXTURE(errors) {
	struct qaccel_dev *dev;
	struct gemm_case t;
	struct drm_qaccel_gemm job;	/* valid: 13 x 11 x 17, int8 + bias */
	struct io_uring ring;
	int fd;
};

FIXTURE_SETUP(errors)
{
	ASSERT_EQ(0, qaccel_open(NULL, QACCEL_OPEN_IOCTL, &self->dev));
	self->fd = qaccel_fd(self->dev);
	ASSERT_EQ(0, gemm_case_init(self->dev, &self->t, 13, 11, 17,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 1));
	ASSERT_EQ(0, qa_gemm_encode(self->dev, &self->t.g, &self->job));
	ASSERT_EQ(0, raw_ring(&self->ring, 8, true));
}

FIXTURE_TEARDOWN(errors)
{
	io_uring_queue_exit(&self->ring);
	gemm_case_free(&self->t);
	qaccel_close(self->dev);
}

/* Submit by ioctl and by io_uring: both must fail with err. */
#define EXPECT_BOTH(err, job) do {						\
	EXPECT_EQ(err, raw_submit(self->fd, &(job), NULL));			\
	EXPECT_EQ(err, raw_uring_run(&self->ring, self->fd,			\
				     DRM_QACCEL_URING_CMD_GEMM, &(job), NULL));	\
} while (0)

TEST_F(errors, valid_job_runs_both_ways)
{
	EXPECT_EQ(0, raw_run(self->fd, &self->job, NULL));
	EXPECT_EQ(0, raw_uring_run(&self->ring, self->fd,
				   DRM_QACCEL_URING_CMD_GEMM, &self->job, NULL));
	EXPECT_EQ(-1, gemm_case_mismatch(&self->t));
}

TEST_F(errors, unknown_handle_is_enoent)
{
	struct drm_qaccel_gemm j = self->job;

	j.a_handle = 0xdead;
	EXPECT_BOTH(-ENOENT, j);
	j = self->job;
	j.c_handle = 0;
	EXPECT_BOTH(-ENOENT, j);
	j = self->job;
	j.bias_handle = 0xbeef;
	EXPECT_BOTH(-ENOENT, j);
}

TEST_F(errors, per_channel_without_quant_handle_is_enoent)
{
	struct drm_qaccel_gemm j = self->job;

	j.flags |= DRM_QACCEL_GEMM_PER_CHANNEL;
	j.quant_handle = 0;
	EXPECT_BOTH(-ENOENT, j);
}

TEST_F(errors, unused_handles_are_ignored)
{
	struct drm_qaccel_gemm j = self->job;

	j.flags &= ~DRM_QACCEL_GEMM_BIAS;
	j.bias_handle = 0xdead;
	j.quant_handle = 0xbeef;
	EXPECT_EQ(0, raw_run(self->fd, &j, NULL));
}

TEST_F(errors, bo_too_small_for_dimensions_is_einval)
{
	struct qaccel_buf *small;
	struct drm_qaccel_gemm j = self->job;

	ASSERT_EQ(0, qaccel_buf_alloc(self->dev, 4096, &small));
	/* C needs m * ldc = 64 * 100 bytes; the BO has 4096 */
	j.c_handle = qaccel_buf_handle(small);
	j.m = 64;
	j.ldc = 100;
	j.a_handle = qaccel_buf_handle(small);
	j.lda = 17;
	EXPECT_BOTH(-EINVAL, j);
	qaccel_buf_free(small);
}

TEST_F(errors, operand_offset_past_bo_end_is_einval)
{
	struct drm_qaccel_gemm j = self->job;

	j.a_offset = 4096 - 10;	/* A is 13 x 17: runs off the page */
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.c_offset = 0xffffffff;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.bias_offset = 4096 - 4;
	EXPECT_BOTH(-EINVAL, j);
}

TEST_F(errors, dims_zero_or_above_65535_are_einval)
{
	static const uint32_t bad[] = { 0, 65536, 0xffffffff };

	for (int d = 0; d < 3; d++) {
		for (int i = 0; i < 3; i++) {
			struct drm_qaccel_gemm j = self->job;
			uint32_t *dim = d == 0 ? &j.m : d == 1 ? &j.n : &j.k;

			*dim = bad[i];
			EXPECT_BOTH(-EINVAL, j);
		}
	}
}

TEST_F(errors, overflowing_strides_are_einval)
{
	struct drm_qaccel_gemm j = self->job;

	/* (m - 1) * lda wraps 32 bits many times over */
	j.m = 65535;
	j.lda = 0xffffffff;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.n = 65535;
	j.ldb = 0xffffffff;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.m = 65535;
	j.ldc = 0xffffffff;
	EXPECT_BOTH(-EINVAL, j);
	/* offset + extent wraps 32 bits */
	j = self->job;
	j.m = 2;
	j.lda = 0x80000000;
	j.a_offset = 0x80000000;
	EXPECT_BOTH(-EINVAL, j);
}

TEST_F(errors, strides_below_row_size_are_einval)
{
	struct drm_qaccel_gemm j = self->job;

	j.lda = j.k - 1;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.ldb = j.k - 1;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.ldc = j.n - 1;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.flags = (j.flags & ~DRM_QACCEL_GEMM_OUT_MASK) | DRM_QACCEL_GEMM_OUT_INT32;
	j.ldc = j.n * 4 - 1;
	EXPECT_BOTH(-EINVAL, j);
}

TEST_F(errors, nonzero_pad_is_einval)
{
	for (int i = 0; i < 3; i++) {
		struct drm_qaccel_gemm j = self->job;

		j.pad[i] = 1;
		EXPECT_BOTH(-EINVAL, j);
	}
}

TEST_F(errors, unknown_op_is_einval)
{
	struct drm_qaccel_gemm j = self->job;

	j.op = 2;
	EXPECT_BOTH(-EINVAL, j);
	j.op = 0xff;
	EXPECT_BOTH(-EINVAL, j);
}

TEST_F(errors, unknown_flags_are_einval)
{
	struct drm_qaccel_gemm j = self->job;

	j.flags |= 1 << 6;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.flags |= 0x8000;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.flags |= DRM_QACCEL_GEMM_OUT_MASK;	/* output type 3 */
	EXPECT_BOTH(-EINVAL, j);
}

TEST_F(errors, bad_requant_fields_are_einval)
{
	struct drm_qaccel_gemm j = self->job;

	j.clamp_min = 0x10;	/* 16 > 15 */
	j.clamp_max = 0x0f;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.clamp_min = 0x7f;	/* int8: 127 > -128 */
	j.clamp_max = 0x80;
	EXPECT_BOTH(-EINVAL, j);
	j = self->job;
	j.out_shift = 31;
	EXPECT_BOTH(-EINVAL, j);
	j.out_shift = -32;
	EXPECT_BOTH(-EINVAL, j);
}

TEST_F(errors, submit_header_checked)
{
	struct drm_qaccel_job jobs[65];
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs, .job_count = 1, .job_size = sizeof(jobs[0]),
	};

	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 65; i++)
		jobs[i].gemm.op = DRM_QACCEL_OP_NOP;
#define SUBMIT_ERRNO(r) (ioctl(self->fd, DRM_IOCTL_QACCEL_SUBMIT, &(r)) ? errno : 0)
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

TEST_F(errors, batch_with_one_bad_job_queues_none)
{
	struct drm_qaccel_job jobs[3];
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs, .job_count = 3, .job_size = sizeof(jobs[0]),
	};
	struct drm_qaccel_wait w;

	memset(jobs, 0, sizeof(jobs));
	jobs[0].gemm = self->job;
	jobs[1].gemm = self->job;
	jobs[1].gemm.k = 0;
	jobs[2].gemm.op = DRM_QACCEL_OP_NOP;
	memset(self->t.pc, 0x5a, 13 * 11);
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QACCEL_SUBMIT, &req));
	EXPECT_EQ(EINVAL, errno);
	/* a later job completing proves the first one never ran */
	EXPECT_EQ(0, raw_run(self->fd, &jobs[2].gemm, &w));
	EXPECT_EQ(0x5a, ((uint8_t *)self->t.pc)[0]);
}

TEST_F(errors, uring_unknown_cmd_op_is_refused)
{
	int ret = raw_uring_run(&self->ring, self->fd, 0x51410099, &self->job, NULL);

	EXPECT_TRUE(ret == -EINVAL || ret == -ENOTTY || ret == -EOPNOTSUPP)
		TH_LOG("res %d", ret);
}

TEST_F(errors, uring_cmd_without_sqe128_is_einval)
{
	struct io_uring small;

	ASSERT_EQ(0, raw_ring(&small, 4, false));
	EXPECT_EQ(-EINVAL, raw_uring_run(&small, self->fd,
					 DRM_QACCEL_URING_CMD_GEMM, &self->job,
					 NULL));
	io_uring_queue_exit(&small);
}

TEST_F(errors, wait_for_seqno_zero_is_einval)
{
	struct drm_qaccel_wait w = { .seqno = 0, .timeout_ns = 0 };

	/* seqno 0 was never handed out */
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QACCEL_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
}

/* Last: after every refusal above the device still computes correctly. */
TEST_F(errors, gemm_still_correct_after_bad_jobs)
{
	struct drm_qaccel_gemm j = self->job;

	j.m = 0;
	raw_submit(self->fd, &j, NULL);
	j = self->job;
	j.a_handle = 0xdead;
	raw_submit(self->fd, &j, NULL);
	j = self->job;
	j.lda = 0xffffffff;
	j.m = 65535;
	raw_uring_run(&self->ring, self->fd, DRM_QACCEL_URING_CMD_GEMM, &j, NULL);
	memset(self->t.pc, 0x5a, 13 * 11);
	EXPECT_EQ(0, raw_run(self->fd, &self->job, NULL));
	EXPECT_EQ(-1, gemm_case_mismatch(&self->t));
	memset(self->t.pc, 0x5a, 13 * 11);
	EXPECT_EQ(0, raw_uring_run(&self->ring, self->fd,
				   DRM_QACCEL_URING_CMD_GEMM, &self->job, NULL));
	EXPECT_EQ(-1, gemm_case_mismatch(&self->t));
}

TEST_HARNESS_MAIN
