// SPDX-License-Identifier: MIT
/*
 * Syncobjs on DRM_IOCTL_QACCEL_SUBMIT: a job's out_syncobj is signalled
 * when it completes (DRM_IOCTL_SYNCOBJ_WAIT sees it), a job waits for its
 * in_syncobjs, and bad handles are refused before anything is queued.
 */
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi_job.h"

FIXTURE(syncobj) {
	int fd;
};

FIXTURE_SETUP(syncobj)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(syncobj)
{
	close(self->fd);
}

static int64_t deadline_ns(int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)(ts.tv_sec + seconds) * 1000000000ll + ts.tv_nsec;
}

static int submit_one(int fd, struct drm_qaccel_job *job)
{
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)job, .job_count = 1, .job_size = sizeof(*job),
	};

	return ioctl(fd, DRM_IOCTL_QACCEL_SUBMIT, &req) ? -errno : 0;
}

TEST_F(syncobj, out_syncobj_signalled_at_completion)
{
	struct drm_qaccel_job job = { 0 };
	struct drm_qaccel_wait w;
	struct uj_case t;
	uint32_t h;

	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &h));
	ASSERT_EQ(0, uj_case_init(self->fd, &t, 40, 24, 32, QACCEL_GEMM_OUT_INT8, 1));
	uj_case_job(&t, &job.gemm);
	job.out_syncobj = h;
	ASSERT_EQ(0, submit_one(self->fd, &job));
	ASSERT_EQ(0, drmSyncobjWait(self->fd, &h, 1, deadline_ns(30), 0, NULL));
	/* Signalled means done: the result is there before WAIT. */
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	ASSERT_EQ(0, raw_wait(self->fd, job.seqno, &w));
	EXPECT_EQ(0, w.status);
	uj_case_free(&t);
	drmSyncobjDestroy(self->fd, h);
}

TEST_F(syncobj, job_waits_for_in_syncobj_of_another_job)
{
	struct drm_qaccel_job a = { 0 }, b = { 0 };
	struct drm_qaccel_wait w;
	struct uj_case ta, tb;
	uint32_t sa, sb;

	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &sa));
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &sb));
	ASSERT_EQ(0, uj_case_init(self->fd, &ta, 48, 32, 64, QACCEL_GEMM_OUT_INT8, 2));
	ASSERT_EQ(0, uj_case_init(self->fd, &tb, 48, 16, 32, QACCEL_GEMM_OUT_INT32, 3));
	uj_case_job(&ta, &a.gemm);
	uj_case_job(&tb, &b.gemm);
	/* B reads A's output as its A operand (48 x 32 int8, k = 32). */
	b.gemm.a_handle = ta.c.handle;
	a.out_syncobj = sa;
	b.in_syncobjs = (uintptr_t)&sa;
	b.in_syncobj_count = 1;
	b.out_syncobj = sb;
	ASSERT_EQ(0, submit_one(self->fd, &a));
	ASSERT_EQ(0, submit_one(self->fd, &b));
	ASSERT_EQ(0, drmSyncobjWait(self->fd, &sb, 1, deadline_ns(30), 0, NULL));
	ASSERT_EQ(0, raw_wait(self->fd, a.seqno, &w));
	EXPECT_EQ(0, w.status);
	ASSERT_EQ(0, raw_wait(self->fd, b.seqno, &w));
	EXPECT_EQ(0, w.status);
	EXPECT_EQ(-1, uj_case_mismatch(&ta));
	/* B's reference from A's real output. */
	tb.pa = ta.pc;
	EXPECT_EQ(-1, uj_case_mismatch(&tb));
	uj_case_free(&ta);
	uj_case_free(&tb);
	drmSyncobjDestroy(self->fd, sa);
	drmSyncobjDestroy(self->fd, sb);
}

TEST_F(syncobj, bad_syncobj_handles_rejected)
{
	struct drm_qaccel_job job = { 0 };
	struct uj_case t;
	uint32_t bogus = 0x7777, empty;

	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &empty));
	ASSERT_EQ(0, uj_case_init(self->fd, &t, 8, 8, 8, QACCEL_GEMM_OUT_INT32, 4));
	uj_case_job(&t, &job.gemm);

	job.out_syncobj = bogus;
	EXPECT_EQ(-ENOENT, submit_one(self->fd, &job));
	job.out_syncobj = 0;
	job.in_syncobjs = (uintptr_t)&bogus;
	job.in_syncobj_count = 1;
	EXPECT_EQ(-ENOENT, submit_one(self->fd, &job));
	/* A syncobj that never got a fence cannot be waited for. */
	job.in_syncobjs = (uintptr_t)&empty;
	EXPECT_EQ(-EINVAL, submit_one(self->fd, &job));
	job.in_syncobj_count = 17;
	EXPECT_EQ(-EINVAL, submit_one(self->fd, &job));
	job.in_syncobj_count = 0;
	EXPECT_EQ(-EINVAL, submit_one(self->fd, &job));
	uj_case_free(&t);
	drmSyncobjDestroy(self->fd, empty);
}

TEST_HARNESS_MAIN
