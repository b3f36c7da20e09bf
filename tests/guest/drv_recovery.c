// SPDX-License-Identifier: MIT
/*
 * Job timeout and recovery: qaccel-sim is asked (through the driver's
 * debugfs knob) to hang after a given number of completions; the driver
 * must notice by its job timeout, fail the hung job with -ETIMEDOUT, reset
 * the device, and still run every other job correctly.
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

/*
 * Submit NJOBS GEMMs in one call with the device set to hang after
 * @hang_after completions; job @hang_after must time out, all others match
 * the reference.
 */
static void run_hang(struct __test_metadata *_metadata, FIXTURE_DATA(recovery) *self,
		     unsigned int hang_after)
{
	struct drm_qaccel_job jobs[NJOBS];
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs, .job_count = NJOBS, .job_size = sizeof(jobs[0]),
	};
	long long timeouts = drv_stat("timeouts"), resets = drv_stat("resets");
	struct uj_case t[NJOBS];
	char val[16];

	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < NJOBS; i++) {
		ASSERT_EQ(0, uj_case_init(self->fd, &t[i], 24 + i, 20, 40,
					    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 100 + i));
		uj_case_job(&t[i], &jobs[i].gemm);
	}
	snprintf(val, sizeof(val), "%u", hang_after);
	ASSERT_EQ(0, drv_write_str(self->knob, val));
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_QACCEL_SUBMIT, &req));

	for (int i = 0; i < NJOBS; i++) {
		struct drm_qaccel_wait w = { .seqno = jobs[i].seqno,
					     .timeout_ns = 60ll * 1000 * 1000 * 1000 };

		ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_QACCEL_WAIT, &w));
		if ((unsigned int)i == hang_after) {
			EXPECT_EQ(-ETIMEDOUT, w.status);
		} else {
			EXPECT_EQ(0, w.status);
			EXPECT_EQ(-1, uj_case_mismatch(&t[i]));
		}
		uj_case_free(&t[i]);
	}
	EXPECT_EQ(timeouts + 1, drv_stat("timeouts"));
	EXPECT_EQ(resets + 1, drv_stat("resets"));
}

/* A GEMM after the reset: the device works again. */
static void run_one(struct __test_metadata *_metadata, FIXTURE_DATA(recovery) *self)
{
	struct drm_qaccel_gemm job;
	struct uj_case t;

	ASSERT_EQ(0, uj_case_init(self->fd, &t, 33, 17, 29, QACCEL_GEMM_OUT_INT32, 7));
	uj_case_job(&t, &job);
	EXPECT_EQ(0, raw_run(self->fd, &job, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	uj_case_free(&t);
}

TEST_F(recovery, hung_job_fails_etimedout_others_complete_device_recovers)
{
	run_hang(_metadata, self, 1);
	run_one(_metadata, self);
}

TEST_F(recovery, hang_of_first_job_in_ring_recovers)
{
	run_hang(_metadata, self, 0);
	run_one(_metadata, self);
}

TEST_F(recovery, hung_uring_job_completes_with_etimedout)
{
	struct drm_qaccel_gemm job[2];
	struct io_uring ring;
	struct uj_case t[2];
	int res[2] = { 1, 1 };

	ASSERT_EQ(0, raw_ring(&ring, 8, true));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, uj_case_init(self->fd, &t[i], 16, 16, 16,
					    QACCEL_GEMM_OUT_INT8, 200 + i));
		uj_case_job(&t[i], &job[i]);
		ASSERT_NE(NULL, raw_prep_cmd(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM,
					     &job[i], i));
	}
	ASSERT_EQ(0, drv_write_str(self->knob, "0"));
	ASSERT_EQ(2, io_uring_submit_and_wait(&ring, 2));
	for (int i = 0; i < 2; i++) {
		struct io_uring_cqe *cqe;

		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		ASSERT_LT(cqe->user_data, 2);
		res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	EXPECT_EQ(-ETIMEDOUT, res[0]);
	EXPECT_EQ(0, res[1]);
	EXPECT_EQ(-1, uj_case_mismatch(&t[1]));
	for (int i = 0; i < 2; i++)
		uj_case_free(&t[i]);
	io_uring_queue_exit(&ring);
	run_one(_metadata, self);
}

TEST_HARNESS_MAIN
