// SPDX-License-Identifier: MIT
/*
 * Jobs through DRM_IOCTL_QACCEL_SUBMIT / _WAIT: GEMMs of each kind checked
 * against qaccel_ref_gemm(), NOPs, batches; and libqaccel's ioctl path.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "guest_common.h"

FIXTURE(submit) {
	struct qaccel_dev *dev;
	int fd;
};

FIXTURE_SETUP(submit)
{
	ASSERT_EQ(0, qaccel_open(NULL, QACCEL_OPEN_IOCTL, &self->dev));
	self->fd = qaccel_fd(self->dev);
}

FIXTURE_TEARDOWN(submit)
{
	qaccel_close(self->dev);
}

/* Run one case by raw ioctl; assert success and a bit-exact result. */
#define RUN_CASE(m, n, k, flags, seed) do {					\
	struct drm_qaccel_gemm job;						\
	struct drm_qaccel_wait w;						\
	struct gemm_case t;							\
										\
	ASSERT_EQ(0, gemm_case_init(self->dev, &t, m, n, k, flags, seed));	\
	ASSERT_EQ(0, qa_gemm_encode(self->dev, &t.g, &job));			\
	ASSERT_EQ(0, raw_run(self->fd, &job, &w));				\
	EXPECT_EQ(0, w.hw_status);						\
	EXPECT_GT(w.cycles, 0);							\
	EXPECT_GE(w.macs, (uint64_t)(m) * (n) * (k));				\
	EXPECT_EQ(-1, gemm_case_mismatch(&t));					\
	TH_LOG("%ux%ux%u: %llu cycles", m, n, k, (unsigned long long)w.cycles); \
	gemm_case_free(&t);							\
} while (0)

TEST_F(submit, gemm_int8_requant_bias_matches_reference)
{
	RUN_CASE(37, 29, 53, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 1);
}

TEST_F(submit, gemm_int32_output_matches_reference)
{
	RUN_CASE(19, 23, 41, QACCEL_GEMM_OUT_INT32, 2);
}

TEST_F(submit, gemm_int32_output_with_bias_matches_reference)
{
	RUN_CASE(16, 16, 16, QACCEL_GEMM_OUT_INT32 | QACCEL_GEMM_BIAS, 3);
}

TEST_F(submit, gemm_uint8_per_channel_matches_reference)
{
	RUN_CASE(21, 17, 70, QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_A_UINT8 |
		 QACCEL_GEMM_B_UINT8 | QACCEL_GEMM_PER_CHANNEL |
		 QACCEL_GEMM_BIAS, 4);
}

TEST_F(submit, gemm_mixed_signedness_matches_reference)
{
	RUN_CASE(9, 12, 33, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_A_UINT8, 5);
}

TEST_F(submit, gemm_1x1x1_matches_reference)
{
	RUN_CASE(1, 1, 1, QACCEL_GEMM_OUT_INT8, 6);
}

TEST_F(submit, gemm_with_strides_and_offsets_matches_reference)
{
	struct drm_qaccel_gemm job;
	struct gemm_case t;
	struct qaccel_gemm_params *p = &t.g.params;

	/* Same data, but A, B, C read with padded strides at odd offsets. */
	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 6, 5, 7,
				    QACCEL_GEMM_OUT_INT8, 7));
	p->lda = 7 * 2;		/* A rows are read 14 bytes apart: only 3 fit */
	p->m = 3;
	p->ldb = 7;
	t.g.b.offset = 0;
	p->ldc = 40;
	t.g.c.offset = 13;
	t.g.a.offset = 3;
	memset(t.pc, 0x5a, 13 + 3 * 40);
	ASSERT_EQ(0, qa_gemm_encode(self->dev, &t.g, &job));
	ASSERT_EQ(0, raw_run(self->fd, &job, NULL));
	/* compare against the reference on the same views */
	{
		uint8_t want[13 + 3 * 40];
		const uint8_t *c = t.pc;

		memset(want, 0x5a, sizeof(want));
		ASSERT_EQ(0, qaccel_ref_gemm(p, (uint8_t *)t.pa + 3, t.pb, NULL,
					     NULL, want + 13));
		for (size_t i = 0; i < sizeof(want); i++) {
			ASSERT_EQ(want[i], c[i]) {
				TH_LOG("byte %zu", i);
			}
		}
	}
	gemm_case_free(&t);
}

TEST_F(submit, nop_completes_with_status_zero)
{
	struct drm_qaccel_gemm nop = { .op = DRM_QACCEL_OP_NOP };
	struct drm_qaccel_wait w;

	EXPECT_EQ(0, raw_run(self->fd, &nop, &w));
	EXPECT_EQ(0, w.status);
}

TEST_F(submit, nop_ignores_every_other_field)
{
	struct drm_qaccel_gemm nop;

	memset(&nop, 0xff, sizeof(nop));
	nop.op = DRM_QACCEL_OP_NOP;
	memset(nop.pad, 0, sizeof(nop.pad));
	EXPECT_EQ(0, raw_run(self->fd, &nop, NULL));
}

TEST_F(submit, batch_of_eight_jobs_in_one_ioctl)
{
	struct drm_qaccel_job jobs[8];
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs, .job_count = 8, .job_size = sizeof(jobs[0]),
	};
	struct gemm_case t[8];

	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, gemm_case_init(self->dev, &t[i], 8 + i, 9, 10 + i,
					    i & 1 ? QACCEL_GEMM_OUT_INT32
						  : QACCEL_GEMM_OUT_INT8, 10 + i));
		if (i == 3)
			jobs[i].gemm.op = DRM_QACCEL_OP_NOP;
		else
			ASSERT_EQ(0, qa_gemm_encode(self->dev, &t[i].g, &jobs[i].gemm));
	}
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_QACCEL_SUBMIT, &req));
	for (int i = 1; i < 8; i++)
		EXPECT_GT(jobs[i].seqno, jobs[i - 1].seqno);
	/* Waiting for the last one first: the others are done too. */
	for (int i = 7; i >= 0; i--) {
		struct drm_qaccel_wait w;

		ASSERT_EQ(0, raw_wait(self->fd, jobs[i].seqno, &w));
		EXPECT_EQ(0, w.status);
		if (i != 3) {
			EXPECT_EQ(-1, gemm_case_mismatch(&t[i])) {
				TH_LOG("job %d", i);
			}
		}
	}
	for (int i = 0; i < 8; i++)
		gemm_case_free(&t[i]);
}

TEST_F(submit, wait_with_zero_timeout_polls)
{
	struct drm_qaccel_gemm nop = { .op = DRM_QACCEL_OP_NOP };
	struct drm_qaccel_wait w;
	uint64_t seqno = 0;
	int ret, polls = 0;

	ASSERT_EQ(0, raw_submit(self->fd, &nop, &seqno));
	/* Each poll returns at once: -ETIME until the job is done, then 0. */
	do {
		memset(&w, 0, sizeof(w));
		w.seqno = seqno;
		ret = ioctl(self->fd, DRM_IOCTL_QACCEL_WAIT, &w) ? -errno : 0;
		if (ret == -ETIME)
			usleep(1000);
	} while (ret == -ETIME && ++polls < 10000);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, w.status);
}

TEST_F(submit, wait_for_unknown_seqno_is_einval)
{
	struct drm_qaccel_wait w;

	EXPECT_EQ(-EINVAL, raw_wait(self->fd, 0xfffffffffffull, &w));
}

TEST_F(submit, library_ioctl_path_runs_gemm)
{
	struct qaccel_completion done;
	struct gemm_case t;

	ASSERT_EQ(QACCEL_PATH_IOCTL, qaccel_get_path(self->dev));
	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 33, 31, 35,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 20));
	ASSERT_EQ(0, qaccel_gemm_run(self->dev, &t.g, &done));
	EXPECT_EQ(0, done.status);
	EXPECT_GT(done.cycles, 0);
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	gemm_case_free(&t);
}

TEST_F(submit, library_ioctl_path_batches_and_reports_bad_job_in_place)
{
	struct qaccel_completion done[5];
	struct gemm_case t[4];
	int got = 0;

	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, gemm_case_init(self->dev, &t[i], 5, 6, 7,
					    QACCEL_GEMM_OUT_INT8, 30 + i));
	ASSERT_EQ(0, qaccel_submit(self->dev, &t[0].g, 100));
	ASSERT_EQ(0, qaccel_submit(self->dev, &t[1].g, 101));
	/* freed behind the library's back: the kernel refuses this one */
	{
		struct drm_gem_close cl = { .handle = qaccel_buf_handle(t[2].b) };

		ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &cl));
	}
	ASSERT_EQ(0, qaccel_submit(self->dev, &t[2].g, 102));
	ASSERT_EQ(0, qaccel_submit_nop(self->dev, 103));
	ASSERT_EQ(0, qaccel_submit(self->dev, &t[3].g, 104));
	EXPECT_EQ(5, qaccel_inflight(self->dev));
	while (got < 5) {
		int n = qaccel_wait(self->dev, done + got, 5 - got, 1, 10000);

		ASSERT_GT(n, 0);
		got += n;
	}
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(100 + i, done[i].tag);
	EXPECT_EQ(0, done[0].status);
	EXPECT_EQ(0, done[1].status);
	EXPECT_EQ(-ENOENT, done[2].status);
	EXPECT_EQ(0, done[3].status);
	EXPECT_EQ(0, done[4].status);
	EXPECT_EQ(-1, gemm_case_mismatch(&t[0]));
	EXPECT_EQ(-1, gemm_case_mismatch(&t[1]));
	EXPECT_EQ(-1, gemm_case_mismatch(&t[3]));
	for (int i = 0; i < 4; i++)
		gemm_case_free(&t[i]);
}

TEST_HARNESS_MAIN
