// SPDX-License-Identifier: MIT
/*
 * Job timeout and recovery: qaccel-sim is asked (through the driver's
 * debugfs knob) to hang after a given number of completions; the driver
 * must notice by its job timeout, fail the hung job with -ETIMEDOUT, reset
 * the device, and still run every other job correctly.  One body, run per
 * submission path and per position of the hung job (variants).
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "drv_common.h"

#define NJOBS 4

FIXTURE(recovery) {
	int fd;
	char knob[512];
	char saved_timeout[32];
};

FIXTURE_SETUP(recovery)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
	self->saved_timeout[0] = 0;
	if (drv_fault_knob(self->knob, sizeof(self->knob)))
		SKIP(return, "qaccel-sim runs without --fault-injection");
	/* Short, so that the hang tests are quick; restored in teardown. */
	ASSERT_EQ(0, drv_timeout_set(self->saved_timeout, sizeof(self->saved_timeout), 1500));
}

FIXTURE_TEARDOWN(recovery)
{
	drv_timeout_restore(self->saved_timeout);
	close(self->fd);
}

FIXTURE_VARIANT(recovery) {
	bool uring;
	unsigned int hang_after;	/* completions before the device hangs */
};

FIXTURE_VARIANT_ADD(recovery, ioctl_first_job) {
	.uring = false, .hang_after = 0,
};

FIXTURE_VARIANT_ADD(recovery, ioctl_second_job) {
	.uring = false, .hang_after = 1,
};

FIXTURE_VARIANT_ADD(recovery, uring_first_job) {
	.uring = true, .hang_after = 0,
};

FIXTURE_VARIANT_ADD(recovery, uring_second_job) {
	.uring = true, .hang_after = 1,
};

/*
 * NJOBS GEMMs handed to the driver at once (one SUBMIT, or NJOBS SQEs in
 * one io_uring_enter) with the device set to hang after hang_after
 * completions: that job must fail with -ETIMEDOUT, every other one match
 * the reference, the driver count one timeout and one reset; then a GEMM
 * after the reset is correct.
 */
TEST_F(recovery, hung_job_fails_etimedout_others_complete_device_recovers)
{
	long long timeouts = drv_stat("timeouts"), resets = drv_stat("resets");
	struct drm_qaccel_job jobs[NJOBS];
	int status[NJOBS];
	struct uj_case t[NJOBS];
	struct io_uring ring;
	char val[16];

	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < NJOBS; i++) {
		ASSERT_EQ(0, uj_case_init(self->fd, &t[i], 24 + i, 20, 40,
					  QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 100 + i));
		uj_case_job(&t[i], &jobs[i].gemm);
		status[i] = 1;
	}
	snprintf(val, sizeof(val), "%u", variant->hang_after);
	if (variant->uring) {
		ASSERT_EQ(0, raw_ring(&ring, 2 * NJOBS, true));
		for (int i = 0; i < NJOBS; i++)
			ASSERT_NE(NULL, raw_prep_cmd(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM,
						     &jobs[i].gemm, i));
		ASSERT_EQ(0, drv_write_str(self->knob, val));
		ASSERT_EQ(NJOBS, io_uring_submit(&ring));
		for (int i = 0; i < NJOBS; i++) {
			struct io_uring_cqe *cqe;

			ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
			ASSERT_LT(cqe->user_data, NJOBS);
			status[cqe->user_data] = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
		io_uring_queue_exit(&ring);
	} else {
		ASSERT_EQ(0, drv_write_str(self->knob, val));
		ASSERT_EQ(0, raw_submit_jobs(self->fd, jobs, NJOBS));
		for (int i = 0; i < NJOBS; i++) {
			struct drm_qaccel_wait w;

			ASSERT_EQ(0, raw_wait(self->fd, jobs[i].seqno, &w));
			status[i] = w.status;
		}
	}
	for (int i = 0; i < NJOBS; i++) {
		if ((unsigned int)i == variant->hang_after) {
			EXPECT_EQ(-ETIMEDOUT, status[i]);
		} else {
			EXPECT_EQ(0, status[i]) TH_LOG("job %d", i);
			EXPECT_EQ(-1, uj_case_mismatch(&t[i])) TH_LOG("job %d", i);
		}
		uj_case_free(&t[i]);
	}
	EXPECT_EQ(timeouts + 1, drv_stat("timeouts"));
	EXPECT_EQ(resets + 1, drv_stat("resets"));

	/* A GEMM after the reset: the device works again. */
	{
		struct drm_qaccel_gemm job;
		struct uj_case u;

		ASSERT_EQ(0, uj_case_init(self->fd, &u, 33, 17, 29, QACCEL_GEMM_OUT_INT32, 7));
		uj_case_job(&u, &job);
		EXPECT_EQ(0, raw_run(self->fd, &job, NULL));
		EXPECT_EQ(-1, uj_case_mismatch(&u));
		uj_case_free(&u);
	}
}

TEST_HARNESS_MAIN
