// SPDX-License-Identifier: MIT
/*
 * Ordering: a job that must wait for another driver's fence on one of its
 * buffers does not run before that fence signals, wherever the fence came
 * from (attached before the submission or while submissions are going
 * on), and it holds back the later jobs of its file, so that their
 * completions (io_uring CQEs, WAITs) still come in submission order.
 *
 * The foreign fence is vgem's (DRM_IOCTL_VGEM_FENCE_ATTACH/SIGNAL): a
 * write fence on a vgem dumb buffer that qaccel imports as a GEMM's C.
 * vgem signals its fences itself after 10 s; every wait here is far
 * shorter.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi_job.h"
#include "vgem.h"

/* Jobs of the order tests: one that waits for the fence, then these. */
#define LATER_JOBS	7
/* How long a job held back by a fence is given to (wrongly) run. */
#define HOLD_US		(300 * 1000)

/*
 * A GEMM whose C is a vgem dumb buffer imported into qaccel: the vgem
 * handle takes the fences, the mapping shows what the device wrote.
 */
FIXTURE(vgem_c) {
	int vfd, dmabuf;
	uint32_t vhandle;
	void *vc;
	size_t clen, cbytes;
	int fd;
	uint32_t ic;
	struct uj_case t;
	struct drm_qaccel_gemm job;
	struct drm_qaccel_gemm nop;
};

FIXTURE_SETUP(vgem_c)
{
	self->vfd = vgem_open();
	if (self->vfd < 0)
		SKIP(return, "no vgem module for this kernel");
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, uj_case_init(self->fd, &self->t, 24, 20, 40, QACCEL_GEMM_OUT_INT8, 77));
	self->cbytes = (size_t)24 * self->t.p.ldc;

	ASSERT_EQ(0, vgem_buf(self->vfd, 4 * 1024, &self->vc, &self->clen, &self->dmabuf,
			      &self->vhandle));
	ASSERT_EQ(0, uj_bo_import(self->fd, self->dmabuf, &self->ic));
	memset(self->vc, 0x5a, self->clen);

	uj_case_job(&self->t, &self->job);
	self->job.c_handle = self->ic;
	memset(&self->nop, 0, sizeof(self->nop));
	self->nop.op = DRM_QACCEL_OP_NOP;
}

FIXTURE_TEARDOWN(vgem_c)
{
	if (self->vfd < 0)
		return;
	uj_bo_close(self->fd, self->ic);
	uj_case_free(&self->t);
	close(self->fd);
	munmap(self->vc, self->clen);
	close(self->dmabuf);
	drmCloseBufferHandle(self->vfd, self->vhandle);
	close(self->vfd);
	EXPECT_EQ(0, system("rmmod vgem"));
}

/* C as vgem's mapping shows it, compared with the reference: -1 if equal. */
static long c_mismatch(struct _test_data_vgem_c *self)
{
	memcpy(self->t.pc, self->vc, self->cbytes);
	return uj_case_mismatch(&self->t);
}

static bool c_untouched(struct _test_data_vgem_c *self)
{
	for (size_t i = 0; i < self->cbytes; i++)
		if (((unsigned char *)self->vc)[i] != 0x5a)
			return false;
	return true;
}

/* WAIT with timeout 0: 0 when the job has finished, -ETIME while it has not. */
static int poll_job(int fd, uint64_t seqno)
{
	struct drm_qaccel_wait w = { .seqno = seqno, .timeout_ns = 0 };

	return ioctl(fd, DRM_IOCTL_QACCEL_WAIT, &w) ? -errno : 0;
}

TEST_F(vgem_c, submit_returns_at_once_and_job_runs_only_after_foreign_fence)
{
	int fd = self->fd;
	struct drm_qaccel_wait w;
	uint32_t fence = 0;
	uint64_t seqno = 0;

	if (self->vfd < 0)
		SKIP(return, "no vgem module for this kernel");
	ASSERT_EQ(0, vgem_attach_write_fence(self->vfd, self->vhandle, &fence));
	ASSERT_EQ(0, raw_submit(fd, &self->job, &seqno));
	usleep(HOLD_US);
	EXPECT_EQ(-ETIME, poll_job(fd, seqno));
	EXPECT_TRUE(c_untouched(self));

	ASSERT_EQ(0, vgem_signal(self->vfd, fence));
	ASSERT_EQ(0, raw_wait(fd, seqno, &w));
	EXPECT_EQ(0, w.status);
	EXPECT_EQ(-1, c_mismatch(self));
}

/*
 * Two GEMMs into the same C that give different results (B differs), run
 * one after the other, again and again, by a second thread, while this
 * one attaches a vgem write fence to C whenever it can (vgem refuses while
 * a qaccel job's fence on C is pending).  What C holds once the fence is
 * attached must stay until the fence is signalled: a job that had not yet
 * added its fence to C when vgem's arrived must wait for vgem's.  A third
 * thread keeps the file busy with SUBMITs of 64 GEMMs on other buffers,
 * so that the second one's SUBMITs often wait for the file between
 * looking at C's fences and adding their own: where a driver that checks
 * first and adds later goes wrong.
 */
struct churn {
	int fd;
	struct drm_qaccel_gemm jobs[2];
	struct drm_qaccel_gemm other;
	atomic_bool stop;
	atomic_uint started;	/* churn_jobs' submissions begun */
	atomic_uint done;	/* churn_jobs' jobs completed */
	int err, other_err;
};

static void *contend_jobs(void *arg)
{
	struct drm_qaccel_job batch[64];
	struct churn *c = arg;
	struct drm_qaccel_wait w;
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)batch, .job_count = 64, .job_size = sizeof(batch[0]),
	};
	unsigned int i;

	while (!atomic_load(&c->stop) && !c->other_err) {
		memset(batch, 0, sizeof(batch));
		for (i = 0; i < 64; i++)
			batch[i].gemm = c->other;
		if (ioctl(c->fd, DRM_IOCTL_QACCEL_SUBMIT, &req)) {
			c->other_err = -errno;
			break;
		}
		for (i = 0; i < 64 && !c->other_err; i++)
			c->other_err = raw_wait(c->fd, batch[i].seqno, &w) ?: w.status;
	}
	return NULL;
}

static void *churn_jobs(void *arg)
{
	struct churn *c = arg;
	struct drm_qaccel_wait w;
	unsigned int i;

	for (i = 0; !atomic_load(&c->stop); i++) {
		uint64_t seqno = 0;

		atomic_fetch_add(&c->started, 1);
		c->err = raw_submit(c->fd, &c->jobs[i & 1], &seqno);
		if (!c->err)
			c->err = raw_wait(c->fd, seqno, &w);
		if (!c->err)
			c->err = w.status;
		if (c->err)
			break;
		atomic_fetch_add(&c->done, 1);
	}
	return NULL;
}

/*
 * vgem's FENCE_ATTACH tests the buffer's fences before it takes the
 * reservation lock to add its own, so a qaccel job submitted while the
 * attach runs can add its fence in between and run although the attach
 * then succeeds.  What must hold is for the jobs after it: churn_jobs'
 * submission number started + 1 begins after the attach returned, so it
 * must wait for the fence, and at most @started jobs complete until the
 * fence is signalled.  (Watching C instead failed on a loaded host: the
 * slipped-in job itself can take longer than any quiet period to finish.)
 * Gives a driver that lets later jobs through 100 ms to show it.
 */
static bool churn_held(struct churn *c, unsigned int started)
{
	for (int i = 0; i < 20; i++) {
		if (atomic_load(&c->done) > started)
			return false;
		usleep(5 * 1000);
	}
	return atomic_load(&c->done) <= started;
}

TEST_F(vgem_c, fence_attached_while_jobs_are_submitted_holds_the_later_ones)
{
	struct churn c = { .fd = self->fd };
	unsigned int rounds, held = 0;
	struct uj_case other;
	struct uj_bo b2;
	pthread_t th, th2;

	if (self->vfd < 0)
		SKIP(return, "no vgem module for this kernel");
	ASSERT_EQ(0, uj_bo_new(self->fd, (size_t)20 * 40, &b2));
	memset(b2.map, 3, (size_t)20 * 40);
	c.jobs[0] = self->job;
	c.jobs[1] = self->job;
	c.jobs[1].b_handle = b2.handle;
	ASSERT_EQ(0, uj_case_init(self->fd, &other, 8, 8, 8, QACCEL_GEMM_OUT_INT32, 5));
	uj_case_job(&other, &c.other);
	ASSERT_EQ(0, pthread_create(&th, NULL, churn_jobs, &c));
	ASSERT_EQ(0, pthread_create(&th2, NULL, contend_jobs, &c));

	for (rounds = 0; rounds < 20000 && held < 50 && !c.err; rounds++) {
		uint32_t fence = 0;

		if (vgem_attach_write_fence(self->vfd, self->vhandle, &fence)) {
			usleep(100);	/* a job's fence is pending on C */
			continue;
		}
		EXPECT_TRUE(churn_held(&c, atomic_load(&c.started)));
		EXPECT_EQ(0, vgem_signal(self->vfd, fence));
		held++;
		usleep(2 * 1000);
	}
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	EXPECT_EQ(0, c.err);
	EXPECT_EQ(0, c.other_err);
	EXPECT_LT(0, held);
	uj_case_free(&other);
	uj_bo_free(self->fd, &b2);
}

TEST_F(vgem_c, uring_cqes_in_submission_order_when_the_first_job_waits)
{
	struct __kernel_timespec ts = { .tv_sec = 5 };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	uint32_t fence = 0;
	unsigned int i;

	if (self->vfd < 0)
		SKIP(return, "no vgem module for this kernel");
	ASSERT_EQ(0, raw_ring(&ring, 16, true));
	ASSERT_EQ(0, vgem_attach_write_fence(self->vfd, self->vhandle, &fence));
	ASSERT_NE(NULL, raw_prep_cmd(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM,
				     &self->job, 0));
	for (i = 1; i <= LATER_JOBS; i++)
		ASSERT_NE(NULL, raw_prep_cmd(&ring, self->fd,
					     DRM_QACCEL_URING_CMD_GEMM, &self->nop, i));
	ASSERT_EQ(1 + LATER_JOBS, io_uring_submit(&ring));

	/* The later jobs wait behind the first: nothing completes yet. */
	usleep(HOLD_US);
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));
	EXPECT_TRUE(c_untouched(self));

	ASSERT_EQ(0, vgem_signal(self->vfd, fence));
	for (i = 0; i <= LATER_JOBS; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
		EXPECT_EQ(i, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	EXPECT_EQ(-1, c_mismatch(self));
}

TEST_F(vgem_c, later_submits_complete_after_the_job_that_waits)
{
	int fd = self->fd;
	uint64_t seqno[1 + LATER_JOBS] = { 0 };
	struct drm_qaccel_wait w;
	uint32_t fence = 0;
	unsigned int i;

	if (self->vfd < 0)
		SKIP(return, "no vgem module for this kernel");
	ASSERT_EQ(0, vgem_attach_write_fence(self->vfd, self->vhandle, &fence));
	ASSERT_EQ(0, raw_submit(fd, &self->job, &seqno[0]));
	for (i = 1; i <= LATER_JOBS; i++)
		ASSERT_EQ(0, raw_submit(fd, &self->nop, &seqno[i]));

	usleep(HOLD_US);
	for (i = 0; i <= LATER_JOBS; i++)
		EXPECT_EQ(-ETIME, poll_job(fd, seqno[i]));

	ASSERT_EQ(0, vgem_signal(self->vfd, fence));
	/* The last job's completion means every earlier one is done too. */
	ASSERT_EQ(0, raw_wait(fd, seqno[LATER_JOBS], &w));
	EXPECT_EQ(0, w.status);
	for (i = 0; i < LATER_JOBS; i++) {
		EXPECT_EQ(0, poll_job(fd, seqno[i]));
	}
	EXPECT_EQ(-1, c_mismatch(self));
}

TEST_HARNESS_MAIN
