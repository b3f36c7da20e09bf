// SPDX-License-Identifier: MIT
/*
 * Buffers: DRM_IOCTL_QACCEL_BO_INFO, and dma-bufs from another exporter.
 *
 * The guest kernel (Debian 6.1) has no udmabuf (CONFIG_UDMABUF is not set)
 * but builds vgem as a module: a vgem dumb buffer exported as a dma-buf is
 * imported into qaccel, which then builds its device page table from the
 * attachment's sg table, and used as a GEMM's A and C.
 *
 * Implicit sync: a job waits for other drivers' fences on its buffers (a
 * vgem write fence on A holds it back until vgem signals it), and its own
 * fence is in its buffers' reservation objects, where a dma-buf user sees
 * it (DMA_BUF_IOCTL_EXPORT_SYNC_FILE).
 */
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include "kselftest_harness.h"
#include "drv_common.h"
#include "vgem.h"

static int bo_info(int fd, uint32_t handle, struct drm_qaccel_bo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return ioctl(fd, DRM_IOCTL_QACCEL_BO_INFO, info) ? -errno : 0;
}

TEST(bo_info_reports_size_flags_and_mmap_offset)
{
	struct drm_qaccel_bo_mmap_offset mo = { 0 };
	struct drm_qaccel_bo_info info;
	struct drm_qaccel_gemm job;
	struct uj_case t;
	int fd;

	fd = uj_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, uj_case_init(fd, &t, 9, 7, 5000, QACCEL_GEMM_OUT_INT32, 3));

	/* A is 9 x 5000 bytes: page rounded, not used by a job yet. */
	ASSERT_EQ(0, bo_info(fd, t.a.handle, &info));
	EXPECT_EQ(((9 * 5000 + 4095) / 4096) * 4096, info.size);
	EXPECT_EQ(0, info.flags);
	mo.handle = t.a.handle;
	ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_QACCEL_BO_MMAP_OFFSET, &mo));
	EXPECT_EQ(mo.offset, info.mmap_offset);
	EXPECT_NE(0, info.mmap_offset);

	/* After a job the buffer is mapped for the device. */
	uj_case_job(&t, &job);
	ASSERT_EQ(0, raw_run(fd, &job, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	ASSERT_EQ(0, bo_info(fd, t.a.handle, &info));
	EXPECT_EQ(DRM_QACCEL_BO_INFO_DEVICE_MAPPED, info.flags);
	/* Bias was not used (no BIAS flag): not mapped. */
	ASSERT_EQ(0, bo_info(fd, t.bias.handle, &info));
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(4096, info.size);

	EXPECT_EQ(-ENOENT, bo_info(fd, 0, &info));
	EXPECT_EQ(-ENOENT, bo_info(fd, 0x7fffffff, &info));
	uj_case_free(&t);
	close(fd);
}

TEST(bo_info_of_handle_from_other_file_is_enoent)
{
	struct drm_qaccel_bo_info info;
	uint32_t buf = 0;
	int d1, d2;

	d1 = uj_open();
	ASSERT_LE(0, d1);
	d2 = uj_open();
	ASSERT_LE(0, d2);
	ASSERT_EQ(0, uj_bo_create(d1, 4096, &buf));
	/* d2 has no buffer at all, so d1's handle names nothing in it. */
	EXPECT_EQ(-ENOENT, bo_info(d2, buf, &info));
	EXPECT_EQ(0, uj_bo_close(d1, buf));
	close(d2);
	close(d1);
}

TEST(vgem_dmabuf_imported_and_used_as_gemm_operands)
{
	const uint32_t m = 40, n = 24, k = 70;
	struct drm_qaccel_bo_info info;
	uint32_t ia = 0, ic = 0;
	struct drm_qaccel_gemm job;
	size_t alen, clen;
	struct uj_case t;
	void *va, *vc;
	int fd, vfd, fa, fc;

	vfd = vgem_open();
	if (vfd < 0)
		SKIP(return, "no vgem module for this kernel");
	fd = uj_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, uj_case_init(fd, &t, m, n, k,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 31));
	/* 3 pages and 2 pages: the device walks more than one page of each. */
	ASSERT_EQ(0, vgem_buf(vfd, 3 * 4096, &va, &alen, &fa, NULL));
	ASSERT_EQ(0, vgem_buf(vfd, 2 * 4096, &vc, &clen, &fc, NULL));
	ASSERT_EQ(0, uj_bo_import(fd, fa, &ia));
	ASSERT_EQ(0, uj_bo_import(fd, fc, &ic));

	ASSERT_EQ(0, bo_info(fd, ia, &info));
	EXPECT_EQ(DRM_QACCEL_BO_INFO_IMPORTED, info.flags);
	EXPECT_EQ(alen, info.size);

	/* A at the end of the vgem buffer (spans a page boundary), C at 4000. */
	t.p.lda = k;
	memcpy((char *)va + alen - m * k, t.pa, m * k);
	memset(vc, 0x5a, clen);
	uj_case_job(&t, &job);
	job.a_handle = ia;
	job.a_offset = alen - m * k;
	job.c_handle = ic;
	job.c_offset = 4000;
	ASSERT_EQ(0, raw_run(fd, &job, NULL));

	/* The result is in vgem's pages: compare it there. */
	memcpy(t.pc, (char *)vc + 4000, (size_t)m * t.p.ldc);
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	EXPECT_EQ(0x5a, ((unsigned char *)vc)[3999]);
	EXPECT_EQ(0x5a, ((unsigned char *)vc)[4000 + m * t.p.ldc]);

	ASSERT_EQ(0, bo_info(fd, ic, &info));
	EXPECT_EQ(DRM_QACCEL_BO_INFO_IMPORTED | DRM_QACCEL_BO_INFO_DEVICE_MAPPED, info.flags);

	EXPECT_EQ(0, uj_bo_close(fd, ia));
	EXPECT_EQ(0, uj_bo_close(fd, ic));
	close(fa);
	close(fc);
	munmap(va, alen);
	munmap(vc, clen);
	uj_case_free(&t);
	close(fd);
	close(vfd);
	/* Leave the node list as it was; busy only if something leaked. */
	EXPECT_EQ(0, system("rmmod vgem"));
}

/* A GEMM whose A is a vgem buffer carrying an unsignalled vgem write fence. */
FIXTURE(vgem_fenced) {
	int vfd, fa;
	uint32_t vhandle, fence;
	void *va;
	size_t alen;
	int fd;
	uint32_t ia;
	struct uj_case t;
	struct drm_qaccel_gemm job;
};

FIXTURE_SETUP(vgem_fenced)
{
	self->vfd = vgem_open();
	if (self->vfd < 0)
		SKIP(return, "no vgem module for this kernel");
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, uj_case_init(self->fd, &self->t, 16, 20, 50, QACCEL_GEMM_OUT_INT8, 41));
	ASSERT_EQ(0, vgem_buf(self->vfd, 16 * 50, &self->va, &self->alen, &self->fa,
			      &self->vhandle));
	memcpy(self->va, self->t.pa, 16 * 50);
	ASSERT_EQ(0, uj_bo_import(self->fd, self->fa, &self->ia));
	uj_case_job(&self->t, &self->job);
	self->job.a_handle = self->ia;
	ASSERT_EQ(0, vgem_attach_write_fence(self->vfd, self->vhandle, &self->fence));
}

FIXTURE_TEARDOWN(vgem_fenced)
{
	if (self->vfd < 0)
		return;
	uj_bo_close(self->fd, self->ia);
	uj_case_free(&self->t);
	close(self->fd);
	munmap(self->va, self->alen);
	close(self->fa);
	close(self->vfd);
	EXPECT_EQ(0, system("rmmod vgem"));
}

struct delayed_signal {
	int vfd;
	uint32_t fence;
	int ret;
};

static void *signal_later(void *arg)
{
	struct delayed_signal *d = arg;

	usleep(400 * 1000);
	d->ret = vgem_signal(d->vfd, d->fence);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST_F(vgem_fenced, ioctl_job_waits_for_foreign_write_fence)
{
	struct delayed_signal d = { .vfd = self->vfd, .fence = self->fence };
	pthread_t th;
	double t0;

	/* The harness runs the body after a skip in the setup. */
	if (self->vfd < 0)
		SKIP(return, "no vgem module for this kernel");

	/* vgem's own timeout would signal it after 10 s: ours comes at 0.4 s. */
	ASSERT_EQ(0, pthread_create(&th, NULL, signal_later, &d));
	t0 = now_s();
	EXPECT_EQ(0, raw_run(self->fd, &self->job, NULL));
	EXPECT_LE(0.3, now_s() - t0);
	pthread_join(th, NULL);
	EXPECT_EQ(0, d.ret);
	EXPECT_EQ(-1, uj_case_mismatch(&self->t));
}

TEST_F(vgem_fenced, uring_job_waits_for_foreign_write_fence)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct io_uring ring;

	/* The harness runs the body after a skip in the setup. */
	if (self->vfd < 0)
		SKIP(return, "no vgem module for this kernel");

	ASSERT_EQ(0, raw_ring(&ring, 4, true));
	ASSERT_NE(NULL, raw_prep_cmd(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM,
				     &self->job, 7));
	ASSERT_EQ(1, io_uring_submit(&ring));
	/* Held back by the fence: no completion yet. */
	usleep(300 * 1000);
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));
	ASSERT_EQ(0, vgem_signal(self->vfd, self->fence));
	ASSERT_EQ(0, io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
	EXPECT_EQ(0, cqe->res);
	EXPECT_EQ(7, cqe->user_data);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(-1, uj_case_mismatch(&self->t));
}

/* The fences a dma-buf user would wait for before @flags access, as a sync_file. */
static int export_sync_file(int dmabuf, uint32_t flags)
{
	struct dma_buf_export_sync_file x = { .flags = flags, .fd = -1 };

	return ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &x) ? -errno : x.fd;
}

static bool sync_file_ready(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

static int sync_file_status(int fd)
{
	struct sync_file_info info = { 0 };

	return ioctl(fd, SYNC_IOC_FILE_INFO, &info) ? -errno : info.status;
}

TEST(job_fence_in_dmabuf_reservation_write_on_c_read_on_a)
{
	char knob[512], saved[32];
	struct drm_qaccel_wait w;
	struct drm_qaccel_gemm job;
	struct uj_case t;
	int fd, fa, fc, sc, sa_r, sa_w;
	uint64_t seqno = 0;

	if (drv_fault_knob(knob, sizeof(knob)))
		SKIP(return, "qaccel-sim runs without --fault-injection");
	fd = uj_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, uj_case_init(fd, &t, 12, 10, 30, QACCEL_GEMM_OUT_INT32, 43));
	uj_case_job(&t, &job);
	fa = uj_bo_export(fd, t.a.handle);
	ASSERT_LE(0, fa);
	fc = uj_bo_export(fd, t.c.handle);
	ASSERT_LE(0, fc);

	/* A hung job keeps its fence pending for a whole (short) job timeout. */
	ASSERT_EQ(0, drv_timeout_set(saved, sizeof(saved), 1500));
	ASSERT_EQ(0, drv_write_str(knob, "0"));
	ASSERT_EQ(0, raw_submit(fd, &job, &seqno));

	sc = export_sync_file(fc, DMA_BUF_SYNC_READ);	/* C's writers */
	sa_r = export_sync_file(fa, DMA_BUF_SYNC_READ);	/* A's writers: none */
	sa_w = export_sync_file(fa, DMA_BUF_SYNC_WRITE);	/* A's readers too */
	ASSERT_LE(0, sc);
	ASSERT_LE(0, sa_r);
	ASSERT_LE(0, sa_w);
	EXPECT_FALSE(sync_file_ready(sc, 0));
	EXPECT_TRUE(sync_file_ready(sa_r, 0));
	EXPECT_FALSE(sync_file_ready(sa_w, 0));

	/* The timeout fails the job; its fence signals with that error. */
	EXPECT_TRUE(sync_file_ready(sc, 20000));
	EXPECT_TRUE(sync_file_ready(sa_w, 0));
	EXPECT_EQ(-ETIMEDOUT, sync_file_status(sc));
	ASSERT_EQ(0, raw_wait(fd, seqno, &w));
	EXPECT_EQ(-ETIMEDOUT, w.status);
	drv_timeout_restore(saved);
	close(sc);
	close(sa_r);
	close(sa_w);

	/* A good job: its fence signals without error, C is right. */
	ASSERT_EQ(0, raw_run(fd, &job, NULL));
	sc = export_sync_file(fc, DMA_BUF_SYNC_READ);
	ASSERT_LE(0, sc);
	EXPECT_TRUE(sync_file_ready(sc, 0));
	EXPECT_EQ(1, sync_file_status(sc));
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	close(sc);
	close(fa);
	close(fc);
	uj_case_free(&t);
	close(fd);
}

TEST_HARNESS_MAIN
