// SPDX-License-Identifier: MIT
/*
 * No buffer reference or pin outlives its users.  Rounds of: a job that
 * completes (ioctl and io_uring), a job rejected at every validation step
 * (including after references on earlier operands were taken), a batch
 * whose last job is bad, an unknown out-syncobj, buffers shared through
 * dma-buf with a second file, and a file closed with ioctl and io_uring
 * jobs still in flight.  Afterwards the driver's live buffer count and
 * pinned pages (sysfs bos, pinned_pages) and Shmem in /proc/meminfo are
 * back to where they started.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "drv_common.h"

#define ROUNDS 12

/* Jobs of closed files finish on their own: give them a few seconds. */
static int settle(long long bos, long long pinned)
{
	for (int i = 0; i < 200; i++) {
		if (drv_stat("bos") == bos && drv_stat("pinned_pages") == pinned)
			return 0;
		usleep(50 * 1000);
	}
	return -1;
}

static int prime_move(int from, int to, uint32_t handle, uint32_t *out)
{
	struct drm_prime_handle e = { .handle = handle, .flags = DRM_CLOEXEC };
	struct drm_prime_handle i = { 0 };
	int ret;

	if (ioctl(from, DRM_IOCTL_PRIME_HANDLE_TO_FD, &e))
		return -errno;
	i.fd = e.fd;
	ret = ioctl(to, DRM_IOCTL_PRIME_FD_TO_HANDLE, &i) ? -errno : 0;
	close(e.fd);
	*out = i.handle;
	return ret;
}

struct bad_job {
	const char *what;
	int err;
	void (*spoil)(struct drm_qaccel_gemm *g);
};

static void bad_op(struct drm_qaccel_gemm *g) { g->op = 77; }
static void bad_flags(struct drm_qaccel_gemm *g) { g->flags = 0xffff; }
static void bad_pad(struct drm_qaccel_gemm *g) { g->pad[0] = 1; }
static void bad_dim(struct drm_qaccel_gemm *g) { g->m = 0; }
static void bad_lda(struct drm_qaccel_gemm *g) { g->lda = g->k - 1; }
static void bad_ldc(struct drm_qaccel_gemm *g) { g->ldc = g->n - 1; }
static void bad_shift(struct drm_qaccel_gemm *g) { g->out_shift = 100; }
static void bad_clamp(struct drm_qaccel_gemm *g) { g->clamp_min = 100; g->clamp_max = 10; }
static void bad_a(struct drm_qaccel_gemm *g) { g->a_handle = 0xdead; }
static void bad_b(struct drm_qaccel_gemm *g) { g->b_handle = 0xdead; }
static void bad_c(struct drm_qaccel_gemm *g) { g->c_handle = 0xdead; }
static void bad_bias(struct drm_qaccel_gemm *g) { g->bias_handle = 0xdead; }
static void oob_b(struct drm_qaccel_gemm *g) { g->b_offset = 1u << 20; }
static void oob_c(struct drm_qaccel_gemm *g) { g->c_offset = 4096; }
static void oob_bias(struct drm_qaccel_gemm *g) { g->bias_offset = 4093; }

static const struct bad_job bad_jobs[] = {
	{ "op", EINVAL, bad_op }, { "flags", EINVAL, bad_flags },
	{ "pad", EINVAL, bad_pad }, { "dim", EINVAL, bad_dim },
	{ "lda", EINVAL, bad_lda }, { "ldc", EINVAL, bad_ldc },
	{ "shift", EINVAL, bad_shift }, { "clamp", EINVAL, bad_clamp },
	{ "a handle", ENOENT, bad_a }, { "b handle", ENOENT, bad_b },
	{ "c handle", ENOENT, bad_c }, { "bias handle", ENOENT, bad_bias },
	{ "b bounds", EINVAL, oob_b }, { "c bounds", EINVAL, oob_c },
	{ "bias bounds", EINVAL, oob_bias },
};

static void one_round(struct __test_metadata *_metadata, unsigned int round)
{
	struct drm_qaccel_gemm good, g2;
	struct drm_qaccel_job batch[3];
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)batch, .job_count = 3, .job_size = sizeof(batch[0]),
	};
	struct io_uring ring;
	struct uj_case t;
	int fd, fd2;

	fd = uj_open();
	ASSERT_LE(0, fd);
	fd2 = uj_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, raw_ring(&ring, 16, true));
	ASSERT_EQ(0, uj_case_init(fd, &t, 12, 16, 24,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 40 + round));
	uj_case_job(&t, &good);

	/* Completes: ioctl, then io_uring. */
	EXPECT_EQ(0, raw_run(fd, &good, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	EXPECT_EQ(0, raw_uring_run(&ring, fd, DRM_QACCEL_URING_CMD_GEMM, &good, NULL));

	/* Rejected at each step, both ways. */
	for (size_t i = 0; i < sizeof(bad_jobs) / sizeof(bad_jobs[0]); i++) {
		struct drm_qaccel_gemm bad = good;

		bad_jobs[i].spoil(&bad);
		EXPECT_EQ(-bad_jobs[i].err, raw_submit(fd, &bad, NULL))
			TH_LOG("ioctl, bad %s", bad_jobs[i].what);
		EXPECT_EQ(-bad_jobs[i].err,
			  raw_uring_run(&ring, fd, DRM_QACCEL_URING_CMD_GEMM, &bad, NULL))
			TH_LOG("uring, bad %s", bad_jobs[i].what);
	}

	/* Two good jobs were created (buffers referenced) before the bad one. */
	memset(batch, 0, sizeof(batch));
	batch[0].gemm = good;
	batch[1].gemm = good;
	batch[2].gemm = good;
	batch[2].gemm.c_handle = 0xbeef;
	EXPECT_EQ(-1, ioctl(fd, DRM_IOCTL_QACCEL_SUBMIT, &req));
	EXPECT_EQ(ENOENT, errno);
	batch[2].gemm = good;
	batch[2].out_syncobj = 0xbeef;
	EXPECT_EQ(-1, ioctl(fd, DRM_IOCTL_QACCEL_SUBMIT, &req));
	EXPECT_EQ(ENOENT, errno);

	/* Shared with a second file through dma-buf, used there. */
	g2 = good;
	ASSERT_EQ(0, prime_move(fd, fd2, good.a_handle, &g2.a_handle));
	ASSERT_EQ(0, prime_move(fd, fd2, good.b_handle, &g2.b_handle));
	ASSERT_EQ(0, prime_move(fd, fd2, good.c_handle, &g2.c_handle));
	ASSERT_EQ(0, prime_move(fd, fd2, good.bias_handle, &g2.bias_handle));
	EXPECT_EQ(0, raw_run(fd2, &g2, NULL));

	/* Jobs in flight on both files and both paths when they close. */
	for (int i = 0; i < 6; i++) {
		EXPECT_EQ(0, raw_submit(fd, &good, NULL));
		EXPECT_EQ(0, raw_submit(fd2, &g2, NULL));
	}
	for (int i = 0; i < 4; i++)
		ASSERT_NE(NULL, raw_prep_cmd(&ring, fd, DRM_QACCEL_URING_CMD_GEMM, &good, i));
	EXPECT_EQ(4, io_uring_submit(&ring));
	uj_case_free(&t);
	close(fd2);
	close(fd);
	io_uring_queue_exit(&ring);
}

TEST(every_path_returns_bos_pins_and_shmem_to_baseline)
{
	long long bos = drv_stat("bos"), pinned = drv_stat("pinned_pages");
	long long shmem = drv_meminfo_kb("Shmem");

	ASSERT_LE(0, bos) TH_LOG("driver without the bos statistic");
	ASSERT_LE(0, pinned);
	for (unsigned int r = 0; r < ROUNDS; r++)
		one_round(_metadata, r);
	EXPECT_EQ(0, settle(bos, pinned));
	EXPECT_EQ(bos, drv_stat("bos"));
	EXPECT_EQ(pinned, drv_stat("pinned_pages"));
	/* Page cache of other files moves a little; leaked buffers would not. */
	EXPECT_GT(shmem + 1024, drv_meminfo_kb("Shmem"))
		TH_LOG("Shmem %lld kB, was %lld kB", drv_meminfo_kb("Shmem"), shmem);
	TH_LOG("bos %lld, pinned pages %lld, Shmem %lld kB (%lld kB before)",
	       drv_stat("bos"), drv_stat("pinned_pages"), drv_meminfo_kb("Shmem"), shmem);
}

/* The pin limit: a buffer bigger than half of RAM is refused, not pinned. */
TEST(pinning_more_than_half_of_ram_is_enomem_not_oom)
{
	long long ram_kb = drv_meminfo_kb("MemTotal"), pinned = drv_stat("pinned_pages");
	struct drm_qaccel_bo_create c = { .size = (uint64_t)ram_kb * 1024 / 2 + (1 << 20) };
	struct drm_gem_close cl = { 0 };
	struct drm_qaccel_gemm job;
	struct uj_case t;
	int fd;

	ASSERT_LT(0, ram_kb);
	if (c.size > (1ull << 30))
		SKIP(return, "guest RAM above 2 GiB: the biggest buffer fits");
	fd = uj_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, uj_case_init(fd, &t, 8, 8, 8, QACCEL_GEMM_OUT_INT32, 5));
	uj_case_job(&t, &job);
	ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_QACCEL_BO_CREATE, &c));
	job.c_handle = c.handle;
	EXPECT_EQ(-ENOMEM, raw_submit(fd, &job, NULL));
	/* A and B (a page each) were pinned before C was refused. */
	EXPECT_GE(pinned + 2, drv_stat("pinned_pages"));
	cl.handle = c.handle;
	EXPECT_EQ(0, ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl));
	uj_case_free(&t);
	close(fd);
	EXPECT_EQ(pinned, drv_stat("pinned_pages"));
}

TEST_HARNESS_MAIN
