// SPDX-License-Identifier: MIT
/*
 * Every allocation a call into the driver makes may fail, one at a time:
 * systematic fault injection through /proc/thread-self/fail-nth (the n-th
 * slab or page allocation of this thread fails; failslab and
 * fail_page_alloc are set to consider sleeping and highmem allocations of
 * any order, as the driver's are).  For n = 1, 2, ... the call is made again
 * with its n-th allocation failing, until it gets through without reaching
 * n.  Each time it must answer 0 or -ENOMEM, a job it accepted must
 * complete with the reference's result, and in the end the driver's live
 * buffers and pinned pages (sysfs bos, pinned_pages) are back where they
 * started.  Calls: opening the node, BO_CREATE, PRIME import of a buffer
 * of this device and of vgem's (a foreign exporter: qaccel makes a buffer
 * object for it), SUBMIT and the io_uring command with buffers a job uses
 * for the first time (their pages are pinned and their device page tables
 * built then).
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION (the debug kernel of make
 * check-debug); elsewhere the tests skip.
 */
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "drv_common.h"
#include "vgem.h"

/* More allocation points than any of these calls has. */
#define MAX_POINTS	1000
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"

/* The attributes set for the test and their previous values. */
static const char *const attrs[][2] = {
	{ FAILSLAB "ignore-gfp-wait", "N" },
	{ FAIL_PAGE "ignore-gfp-wait", "N" },
	{ FAIL_PAGE "ignore-gfp-highmem", "N" },
	{ FAIL_PAGE "min-order", "0" },
};
#define NR_ATTRS (sizeof(attrs) / sizeof(attrs[0]))

FIXTURE(fail_nth) {
	int nth;			/* /proc/thread-self/fail-nth */
	char saved[NR_ATTRS][32];
	long long bos, pinned;
	unsigned int injected;		/* calls whose n-th allocation failed */
	bool ready;			/* the kernel injects faults */
};

/* The harness runs a test's body even when its setup skipped. */
#define NEED_FAULT_INJECTION() do { \
	if (!self->ready) \
		SKIP(return, "no fault injection in this kernel (CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC)"); \
} while (0)

FIXTURE_SETUP(fail_nth)
{
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	self->saved[0][0] = 0;
	self->ready = false;
	if (self->nth < 0 || access(FAILSLAB, F_OK) || access(FAIL_PAGE, F_OK))
		return;
	for (size_t i = 0; i < NR_ATTRS; i++) {
		ASSERT_EQ(0, drv_read_str(attrs[i][0], self->saved[i], sizeof(self->saved[i])));
		ASSERT_EQ(0, drv_write_str(attrs[i][0], attrs[i][1]));
	}
	self->bos = drv_stat("bos");
	self->pinned = drv_stat("pinned_pages");
	ASSERT_LE(0, self->bos);
	self->injected = 0;
	self->ready = true;
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (self->nth >= 0)
		close(self->nth);
	for (size_t i = 0; self->saved[0][0] && i < NR_ATTRS; i++)
		drv_write_str(attrs[i][0], self->saved[i]);
}

/* The n-th fault point of this thread from now on fails. */
static void arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth, buf, len, 0) != len)
		abort();
}

/* Disarm; whether the n-th point was reached (and failed). */
static bool disarm(int nth)
{
	char buf[16] = { 0 };
	bool hit = pread(nth, buf, sizeof(buf) - 1, 0) > 0 && strtoul(buf, NULL, 10) == 0;

	if (pwrite(nth, "0", 1, 0) != 1)
		abort();
	return hit;
}

/* Jobs of closed files and freed buffers go in their own time. */
static bool back_to_baseline(long long bos, long long pinned)
{
	for (int i = 0; i < 200; i++) {
		if (drv_stat("bos") == bos && drv_stat("pinned_pages") == pinned)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static void expect_baseline(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fail_nth) *self)
{
	EXPECT_TRUE(back_to_baseline(self->bos, self->pinned))
		TH_LOG("bos %lld (was %lld), pinned_pages %lld (was %lld)", drv_stat("bos"),
		       self->bos, drv_stat("pinned_pages"), self->pinned);
	EXPECT_LT(0, self->injected) TH_LOG("no allocation was ever failed");
	TH_LOG("%u calls with a failed allocation", self->injected);
}

TEST_F_TIMEOUT(fail_nth, open_fails_cleanly_at_every_allocation, 300)
{
	NEED_FAULT_INJECTION();
	char link[64], path[256] = { 0 };
	int fd = uj_open();
	unsigned int n;

	ASSERT_LE(0, fd);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ASSERT_LT(0, readlink(link, path, sizeof(path) - 1));
	close(fd);
	for (n = 1; n < MAX_POINTS; n++) {
		bool hit;

		arm(self->nth, n);
		fd = open(path, O_RDWR | O_CLOEXEC);
		hit = disarm(self->nth);
		self->injected += hit;
		EXPECT_TRUE(fd >= 0 || errno == ENOMEM) TH_LOG("point %u: errno %d", n, errno);
		if (fd >= 0)
			close(fd);
		if (!hit)
			break;
	}
	ASSERT_GT(MAX_POINTS, n);
	expect_baseline(_metadata, self);
}

TEST_F_TIMEOUT(fail_nth, bo_create_fails_cleanly_at_every_allocation, 300)
{
	NEED_FAULT_INJECTION();
	int fd = uj_open();
	unsigned int n;

	ASSERT_LE(0, fd);
	for (n = 1; n < MAX_POINTS; n++) {
		uint32_t handle = 0;
		int ret;
		bool hit;

		arm(self->nth, n);
		ret = uj_bo_create(fd, 64 * 1024, &handle);
		hit = disarm(self->nth);
		self->injected += hit;
		EXPECT_TRUE(ret == 0 || ret == -ENOMEM) TH_LOG("point %u: %d", n, ret);
		if (!ret)
			EXPECT_EQ(0, uj_bo_close(fd, handle));
		if (!hit)
			break;
	}
	close(fd);
	ASSERT_GT(MAX_POINTS, n);
	expect_baseline(_metadata, self);
}

/*
 * Import @dmabuf into @fd with its n-th allocation failing, n = 1, 2, ...
 * until the import no longer reaches n; 0 or ENOMEM each time, an imported
 * handle closed again.  Returns the first n the import did not reach.
 */
static unsigned int import_at_every_point(struct __test_metadata *_metadata,
					  FIXTURE_DATA(fail_nth) *self, int fd, int dmabuf)
{
	unsigned int n;

	for (n = 1; n < MAX_POINTS; n++) {
		uint32_t handle = 0;
		int ret;
		bool hit;

		arm(self->nth, n);
		ret = uj_bo_import(fd, dmabuf, &handle);
		hit = disarm(self->nth);
		self->injected += hit;
		EXPECT_TRUE(ret == 0 || ret == -ENOMEM) TH_LOG("point %u: %d", n, ret);
		if (!ret)
			EXPECT_EQ(0, uj_bo_close(fd, handle));
		if (!hit)
			break;
	}
	return n;
}

TEST_F_TIMEOUT(fail_nth, prime_import_of_own_buffer_fails_cleanly_at_every_allocation, 300)
{
	NEED_FAULT_INJECTION();
	int fd = uj_open(), fd2 = uj_open();
	struct uj_bo bo;
	int dmabuf;
	unsigned int n;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, uj_bo_new(fd, 3 * 4096, &bo));
	dmabuf = uj_bo_export(fd, bo.handle);
	ASSERT_LE(0, dmabuf);
	n = import_at_every_point(_metadata, self, fd2, dmabuf);
	close(dmabuf);
	uj_bo_free(fd, &bo);
	close(fd2);
	close(fd);
	ASSERT_GT(MAX_POINTS, n);
	expect_baseline(_metadata, self);
}

TEST_F_TIMEOUT(fail_nth, prime_import_of_foreign_buffer_fails_cleanly_at_every_allocation, 300)
{
	int fd, vfd, dmabuf;
	unsigned int n;
	size_t len;
	void *map;

	NEED_FAULT_INJECTION();
	vfd = vgem_open();
	if (vfd < 0)
		SKIP(return, "no vgem module for this kernel");
	fd = uj_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vgem_buf(vfd, 3 * 4096, &map, &len, &dmabuf, NULL));
	n = import_at_every_point(_metadata, self, fd, dmabuf);
	close(dmabuf);
	munmap(map, len);
	close(fd);
	close(vfd);
	ASSERT_GT(MAX_POINTS, n);
	expect_baseline(_metadata, self);
	/* Leave the node list as it was. */
	EXPECT_EQ(0, system("rmmod vgem"));
}

/*
 * One job on fresh buffers (created, mapped and filled without failures),
 * submitted with the n-th allocation failing: by ioctl, or through @ring.
 * Returns whether the n-th point was reached.
 */
static bool job_at_point(struct __test_metadata *_metadata, FIXTURE_DATA(fail_nth) *self,
			 int fd, struct io_uring *ring, unsigned int n)
{
	struct drm_qaccel_gemm job;
	struct drm_qaccel_wait w;
	struct uj_case t;
	uint64_t seqno = 0;
	bool hit;
	int ret;

	ret = uj_case_init(fd, &t, 6, 10, 12, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, n);
	EXPECT_EQ(0, ret) TH_LOG("cannot build the job's buffers");
	if (ret) {
		uj_case_free(&t);
		return false;
	}
	uj_case_job(&t, &job);
	if (!ring) {
		arm(self->nth, n);
		ret = raw_submit(fd, &job, &seqno);
		hit = disarm(self->nth);
		if (!ret)
			ret = raw_wait(fd, seqno, &w) ?: w.status;
	} else {
		struct io_uring_cqe *cqe;

		/* The ring is empty after each job: an SQE is always there. */
		raw_prep_cmd(ring, fd, DRM_QACCEL_URING_CMD_GEMM, &job, n);
		arm(self->nth, n);
		ret = io_uring_submit(ring);
		hit = disarm(self->nth);
		/* io_uring itself could not take the SQE: it is still there. */
		if (ret != 1) {
			EXPECT_TRUE(ret == -ENOMEM || ret == -EAGAIN)
				TH_LOG("point %u: io_uring_submit %d", n, ret);
			EXPECT_EQ(1, io_uring_submit(ring));
		}
		ret = io_uring_wait_cqe(ring, &cqe);
		if (!ret) {
			ret = cqe->res;
			io_uring_cqe_seen(ring, cqe);
		}
	}
	self->injected += hit;
	EXPECT_TRUE(ret == 0 || ret == -ENOMEM)
		TH_LOG("point %u (%s): %d", n, ring ? "io_uring" : "ioctl", ret);
	if (!ret)
		EXPECT_EQ(-1, uj_case_mismatch(&t)) TH_LOG("point %u: wrong result", n);
	uj_case_free(&t);
	return hit;
}

TEST_F_TIMEOUT(fail_nth, submit_fails_cleanly_at_every_allocation, 600)
{
	NEED_FAULT_INJECTION();
	int fd = uj_open();
	unsigned int n;

	ASSERT_LE(0, fd);
	for (n = 1; n < MAX_POINTS; n++)
		if (!job_at_point(_metadata, self, fd, NULL, n))
			break;
	close(fd);
	ASSERT_GT(MAX_POINTS, n);
	expect_baseline(_metadata, self);
}

TEST_F_TIMEOUT(fail_nth, uring_cmd_fails_cleanly_at_every_allocation, 600)
{
	NEED_FAULT_INJECTION();
	struct io_uring ring;
	int fd = uj_open();
	unsigned int n;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, raw_ring(&ring, 8, true));
	for (n = 1; n < MAX_POINTS; n++)
		if (!job_at_point(_metadata, self, fd, &ring, n))
			break;
	io_uring_queue_exit(&ring);
	close(fd);
	ASSERT_GT(MAX_POINTS, n);
	expect_baseline(_metadata, self);
}

TEST_HARNESS_MAIN
