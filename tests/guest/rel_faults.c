// SPDX-License-Identifier: MIT
/*
 * Device faults injected in qaccel-sim (debugfs fault_inject): a lost
 * interrupt, a DMA error on a job's reads, a corrupted completion record.
 * Each is detected (at the latest by the job timeout check, shortened to
 * 1.5 s here), exactly the affected job fails with its documented error,
 * the other jobs are bit-exact, and the device keeps working.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "rel_common.h"

#define NJOBS 3

FIXTURE(faults) {
	int fd;
	char knob[512];
	char saved_timeout[32];
};

FIXTURE_SETUP(faults)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
	self->saved_timeout[0] = 0;
	if (rel_fault_knob(self->knob, sizeof(self->knob)))
		SKIP(return, "qaccel-sim runs without --fault-injection");
	/* Short, so that the hang tests are quick; restored in teardown. */
	ASSERT_EQ(0, drv_timeout_set(self->saved_timeout, sizeof(self->saved_timeout), 1500));
}

FIXTURE_TEARDOWN(faults)
{
	drv_timeout_restore(self->saved_timeout);
	close(self->fd);
}

/*
 * Arm @fault, submit NJOBS GEMMs in one call, wait for each: job @victim
 * must end with @want (0: correct result), every other job correct.
 */
static void run_batch(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
		      unsigned int fault, int victim, int want)
{
	struct drm_qaccel_job jobs[NJOBS];
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs, .job_count = NJOBS, .job_size = sizeof(jobs[0]),
	};
	struct uj_case t[NJOBS];

	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < NJOBS; i++) {
		ASSERT_EQ(0, uj_case_init(self->fd, &t[i], 20 + i, 24, 36,
					    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 300 + i));
		uj_case_job(&t[i], &jobs[i].gemm);
	}
	ASSERT_EQ(0, rel_inject(self->knob, fault));
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_QACCEL_SUBMIT, &req));
	for (int i = 0; i < NJOBS; i++) {
		struct drm_qaccel_wait w = { .seqno = jobs[i].seqno,
					     .timeout_ns = 30ll * 1000 * 1000 * 1000 };

		ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_QACCEL_WAIT, &w));
		if (i == victim) {
			EXPECT_EQ(want, w.status);
			if (!want)
				EXPECT_EQ(-1, uj_case_mismatch(&t[i]));
		} else {
			EXPECT_EQ(0, w.status);
			EXPECT_EQ(-1, uj_case_mismatch(&t[i]));
		}
	}
	for (int i = 0; i < NJOBS; i++)
		uj_case_free(&t[i]);
}

/* Two more GEMMs, one by ioctl and one by io_uring: the device works. */
static void run_after(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self)
{
	struct drm_qaccel_gemm job;
	struct io_uring ring;
	struct uj_case t;

	ASSERT_EQ(0, uj_case_init(self->fd, &t, 33, 17, 29, QACCEL_GEMM_OUT_INT32, 9));
	uj_case_job(&t, &job);
	EXPECT_EQ(0, raw_run(self->fd, &job, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	memset(t.pc, 0x5a, (size_t)t.p.m * t.p.ldc);
	ASSERT_EQ(0, raw_ring(&ring, 4, true));
	EXPECT_EQ(0, raw_uring_run(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM, &job, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	io_uring_queue_exit(&ring);
	uj_case_free(&t);
}

/*
 * One fault per variant: job 0 of a batch of NJOBS is hit, the variant says
 * how it must end and which driver statistic moves by how much.
 */
FIXTURE_VARIANT(faults) {
	unsigned int fault;
	int status;		/* of the hit job; 0: correct result */
	const char *stat;
	long long delta;
};

/* The first completion's MSI-X never comes; the timeout check finds it, nothing fails. */
FIXTURE_VARIANT_ADD(faults, lost_interrupt) {
	.fault = QACCEL_SIM_FAULT_LOST_IRQ, .status = 0,
	.stat = "timeouts", .delta = 0,
};

FIXTURE_VARIANT_ADD(faults, dma_error) {
	.fault = QACCEL_SIM_FAULT_DMA_ERROR, .status = -EFAULT,
	.stat = "failed", .delta = 1,
};

FIXTURE_VARIANT_ADD(faults, corrupt_completion_record) {
	.fault = QACCEL_SIM_FAULT_BAD_CQE, .status = -EIO,
	.stat = "resets", .delta = 1,
};

TEST_F(faults, hit_job_ends_as_documented_others_correct_device_works)
{
	long long before = drv_stat(variant->stat);

	run_batch(_metadata, self, variant->fault, 0, variant->status);
	run_after(_metadata, self);
	EXPECT_EQ(before + variant->delta, drv_stat(variant->stat)) {
		TH_LOG("statistic %s", variant->stat);
	}
}

TEST_HARNESS_MAIN
