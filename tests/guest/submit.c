// SPDX-License-Identifier: MIT
/*
 * Jobs built from the uapi (uapi_job.h) and submitted both ways the kernel
 * takes them: DRM_IOCTL_QACCEL_SUBMIT + _WAIT, and an io_uring URING_CMD
 * (SQE128 command, CQE32 cycles).  GEMMs of each element type and mode are
 * checked against qaccel_ref_gemm(); NOPs; then what only the ioctl has
 * (batches, polling waits).  io_uring-only behaviour is in uring.c.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi_job.h"

/* The variant's submission path for raw_run_on(): its ring, NULL for ioctl. */
#define PATH_RING (variant->uring ? &self->ring : NULL)

/* One GEMM per variant: the submission path, then the element types and mode. */
FIXTURE(gemm) {
	struct io_uring ring;
	int fd;
};

FIXTURE_VARIANT(gemm) {
	bool uring;
	uint32_t m, n, k, flags;
	uint64_t seed;
};

#define GEMM_VARIANTS(path, is_uring)						\
FIXTURE_VARIANT_ADD(gemm, path##_int8_requant_bias) {				\
	.uring = is_uring, .m = 37, .n = 29, .k = 53, .seed = 1,		\
	.flags = QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS,			\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_int32_out) {					\
	.uring = is_uring, .m = 19, .n = 23, .k = 41, .seed = 2,		\
	.flags = QACCEL_GEMM_OUT_INT32,						\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_int32_out_bias) {				\
	.uring = is_uring, .m = 16, .n = 16, .k = 16, .seed = 3,		\
	.flags = QACCEL_GEMM_OUT_INT32 | QACCEL_GEMM_BIAS,			\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_uint8_per_channel) {				\
	.uring = is_uring, .m = 21, .n = 17, .k = 70, .seed = 4,		\
	.flags = QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_A_UINT8 |			\
		 QACCEL_GEMM_B_UINT8 | QACCEL_GEMM_PER_CHANNEL |		\
		 QACCEL_GEMM_BIAS,						\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_mixed_signedness) {				\
	.uring = is_uring, .m = 9, .n = 12, .k = 33, .seed = 5,			\
	.flags = QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_A_UINT8,			\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_1x1x1) {					\
	.uring = is_uring, .m = 1, .n = 1, .k = 1, .seed = 6,			\
	.flags = QACCEL_GEMM_OUT_INT8,						\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_int8_single_bias) {				\
	.uring = is_uring, .m = 33, .n = 27, .k = 45, .seed = 7,		\
	.flags = QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS |			\
		 QACCEL_GEMM_RQ_SINGLE,						\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_int8_fp32_bias) {				\
	.uring = is_uring, .m = 35, .n = 31, .k = 47, .seed = 8,		\
	.flags = QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS | QACCEL_GEMM_RQ_FP32,	\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_uint8_per_channel_single) {			\
	.uring = is_uring, .m = 18, .n = 21, .k = 66, .seed = 9,		\
	.flags = QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_A_UINT8 |			\
		 QACCEL_GEMM_PER_CHANNEL | QACCEL_GEMM_BIAS |			\
		 QACCEL_GEMM_RQ_SINGLE,						\
};										\
FIXTURE_VARIANT_ADD(gemm, path##_uint8_per_channel_fp32) {			\
	.uring = is_uring, .m = 22, .n = 19, .k = 71, .seed = 10,		\
	.flags = QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_B_UINT8 |			\
		 QACCEL_GEMM_PER_CHANNEL | QACCEL_GEMM_BIAS |			\
		 QACCEL_GEMM_RQ_FP32,						\
}

GEMM_VARIANTS(ioctl, false);
GEMM_VARIANTS(uring, true);

FIXTURE_SETUP(gemm)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, raw_ring(&self->ring, 8, true));
}

FIXTURE_TEARDOWN(gemm)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

TEST_F(gemm, matches_reference)
{
	struct drm_qaccel_gemm job;
	struct drm_qaccel_wait w;
	struct uj_case t;

	ASSERT_EQ(0, uj_case_init(self->fd, &t, variant->m, variant->n,
				  variant->k, variant->flags, variant->seed));
	uj_case_job(&t, &job);
	ASSERT_EQ(0, raw_run_on(self->fd, PATH_RING, &job, &w));
	EXPECT_GT(w.cycles, 0);
	if (!variant->uring) {
		EXPECT_EQ(0, w.hw_status);
		EXPECT_GE(w.macs, (uint64_t)variant->m * variant->n * variant->k);
	}
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	TH_LOG("%ux%ux%u: %llu cycles", variant->m, variant->n, variant->k,
	       (unsigned long long)w.cycles);
	uj_case_free(&t);
}

/* Jobs other than a dense GEMM, on each submission path. */
FIXTURE(submit) {
	struct io_uring ring;
	int fd;
};

FIXTURE_VARIANT(submit) {
	bool uring;
};

FIXTURE_VARIANT_ADD(submit, ioctl) {
	.uring = false,
};

FIXTURE_VARIANT_ADD(submit, uring) {
	.uring = true,
};

FIXTURE_SETUP(submit)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, raw_ring(&self->ring, 8, true));
}

FIXTURE_TEARDOWN(submit)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

TEST_F(submit, gemm_with_strides_and_offsets_matches_reference)
{
	struct drm_qaccel_gemm job;
	struct drm_qaccel_wait w;
	struct uj_case t;

	/* Same data, but A, B, C read with padded strides at odd offsets. */
	ASSERT_EQ(0, uj_case_init(self->fd, &t, 6, 5, 7,
				  QACCEL_GEMM_OUT_INT8, 7));
	t.p.lda = 7 * 2;	/* A rows are read 14 bytes apart: only 3 fit */
	t.p.m = 3;
	t.p.ldb = 7;
	t.p.ldc = 40;
	t.a_offset = 3;
	t.b_offset = 0;
	t.c_offset = 13;
	uj_bo_free(self->fd, &t.c);
	ASSERT_EQ(0, uj_bo_new(self->fd, 13 + 3 * 40, &t.c));
	t.pc = t.c.map;
	memset(t.pc, 0x5a, t.c.size);
	uj_case_job(&t, &job);
	ASSERT_EQ(0, raw_run_on(self->fd, PATH_RING, &job, &w));
	/* the whole C buffer, gaps and tail included, against the reference */
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	uj_case_free(&t);
}

TEST_F(submit, nop_completes_with_status_zero)
{
	struct drm_qaccel_gemm nop = { .op = DRM_QACCEL_OP_NOP };
	struct drm_qaccel_wait w;

	EXPECT_EQ(0, raw_run_on(self->fd, PATH_RING, &nop, &w));
	EXPECT_EQ(0, w.status);
}

TEST_F(submit, nop_ignores_every_other_field)
{
	struct drm_qaccel_gemm nop;
	struct drm_qaccel_wait w;

	memset(&nop, 0xff, sizeof(nop));
	nop.op = DRM_QACCEL_OP_NOP;
	memset(nop.pad, 0, sizeof(nop.pad));
	EXPECT_EQ(0, raw_run_on(self->fd, PATH_RING, &nop, &w));
}

/* What only DRM_IOCTL_QACCEL_SUBMIT / _WAIT have. */
FIXTURE(ioctl) {
	int fd;
};

FIXTURE_SETUP(ioctl)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ioctl)
{
	close(self->fd);
}

TEST_F(ioctl, batch_of_eight_jobs_in_one_call)
{
	struct drm_qaccel_job jobs[8];
	struct uj_case t[8];

	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, uj_case_init(self->fd, &t[i], 8 + i, 9, 10 + i,
					  i & 1 ? QACCEL_GEMM_OUT_INT32
						: QACCEL_GEMM_OUT_INT8, 10 + i));
		if (i == 3)
			jobs[i].gemm.op = DRM_QACCEL_OP_NOP;
		else
			uj_case_job(&t[i], &jobs[i].gemm);
	}
	ASSERT_EQ(0, raw_submit_jobs(self->fd, jobs, 8));
	for (int i = 1; i < 8; i++)
		EXPECT_GT(jobs[i].seqno, jobs[i - 1].seqno);
	/* Waiting for the last one first: the others are done too. */
	for (int i = 7; i >= 0; i--) {
		struct drm_qaccel_wait w;

		ASSERT_EQ(0, raw_wait(self->fd, jobs[i].seqno, &w));
		EXPECT_EQ(0, w.status);
		if (i != 3) {
			EXPECT_EQ(-1, uj_case_mismatch(&t[i])) {
				TH_LOG("job %d", i);
			}
		}
	}
	for (int i = 0; i < 8; i++)
		uj_case_free(&t[i]);
}

TEST_F(ioctl, wait_with_zero_timeout_polls)
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

TEST_F(ioctl, wait_for_unknown_seqno_is_einval)
{
	struct drm_qaccel_wait w;

	EXPECT_EQ(-EINVAL, raw_wait(self->fd, 0xfffffffffffull, &w));
}

TEST_HARNESS_MAIN
