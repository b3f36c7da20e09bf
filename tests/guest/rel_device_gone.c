// SPDX-License-Identifier: MIT
/*
 * The device goes away for good: qaccel-sim is told (debugfs fault_inject,
 * QACCEL_SIM_FAULT_DIE) to exit with a job in flight.  The waiter must get
 * -EIO within the job timeout instead of hanging, later jobs fail at once,
 * and the module still unloads.  The simulator process is gone, so the
 * device cannot come back: tests/guest/run.sh runs this program after every
 * other one (its list "last"); the dmesg check after it still applies.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "rel_common.h"

TEST(device_gone_fails_waiters_eio_and_module_unloads)
{
	struct drm_qaccel_gemm job;
	struct drm_qaccel_wait w;
	struct uj_case t;
	uint64_t seqno[2] = { 0, 0 };
	char knob[512];
	int fd;

	fd = uj_open();
	ASSERT_LE(0, fd);
	if (rel_fault_knob(knob, sizeof(knob)))
		SKIP(return, "qaccel-sim runs without --fault-injection");
	ASSERT_EQ(0, drv_write_str(DRV_TIMEOUT_PARAM, "1500"));
	ASSERT_EQ(0, uj_case_init(fd, &t, 40, 40, 64, QACCEL_GEMM_OUT_INT32, 77));
	uj_case_job(&t, &job);

	ASSERT_EQ(0, rel_inject(knob, QACCEL_SIM_FAULT_DIE));
	ASSERT_EQ(0, raw_submit(fd, &job, &seqno[0]));
	w = (struct drm_qaccel_wait){ .seqno = seqno[0], .timeout_ns = 30ll * 1000000000 };
	ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_QACCEL_WAIT, &w));
	EXPECT_EQ(-EIO, w.status);

	/* Later jobs are failed at once, by ioctl and io_uring alike. */
	ASSERT_EQ(0, raw_submit(fd, &job, &seqno[1]));
	w = (struct drm_qaccel_wait){ .seqno = seqno[1], .timeout_ns = 1000000000 };
	ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_QACCEL_WAIT, &w));
	EXPECT_EQ(-EIO, w.status);
	{
		struct io_uring ring;

		ASSERT_EQ(0, raw_ring(&ring, 4, true));
		EXPECT_EQ(-EIO, raw_uring_run(&ring, fd, DRM_QACCEL_URING_CMD_GEMM, &job, NULL));
		io_uring_queue_exit(&ring);
	}
	uj_case_free(&t);
	close(fd);

	EXPECT_EQ(0, system("rmmod qaccel"));
	EXPECT_NE(0, access("/sys/module/qaccel", F_OK));
}

TEST_HARNESS_MAIN
