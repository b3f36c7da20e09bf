// SPDX-License-Identifier: MIT
/*
 * Isolation: one process cannot reach another's buffers through the
 * device, and a job cannot reach memory outside its own operands.
 * - handles are per open file: another file, and a forked child with its
 *   own fd, get -ENOENT for the parent's handle numbers (ioctl, io_uring,
 *   mmap offset, dma-buf export), and the parent's buffers stay untouched;
 * - an operand that would end one byte past its buffer (offset or stride)
 *   is -EINVAL, for every operand;
 * - a job with maximal legal offsets and strides (every operand ends at the
 *   last byte of its buffer, odd gaps between C's rows) writes exactly its
 *   C elements: C's gaps, its inputs and neighbouring buffers holding a
 *   secret pattern are unchanged byte for byte;
 * - a dma-buf fd the process was not given cannot be imported (-EBADF for
 *   a number that is not open here, -EINVAL for an fd that is no dma-buf);
 * - an importer's buffer stays valid after the exporter closed its handle.
 * Jobs and buffers are built from the uapi (uapi_job.h); the tests that run
 * a job whose result is checked do so once per submission path (fixture
 * iso_path, variants ioctl and uring).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi_job.h"

#define SECRET(i)	((uint8_t)(0xc3 ^ ((i) * 7)))
#define GAP		0xa5

static uint64_t seed = 0x1234567;

static void fill_rand(void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)(gc_rand(&seed) >> 56);
}

static void fill_secret(void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = SECRET(i);
}

static long secret_broken(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != SECRET(i))
			return (long)i;
	return -1;
}

/* A raw int32 GEMM m x n x k with packed operands from offset 0. */
static struct drm_qaccel_gemm raw_gemm(uint32_t m, uint32_t n, uint32_t k,
				       uint32_t a, uint32_t b, uint32_t c)
{
	return (struct drm_qaccel_gemm){
		.op = DRM_QACCEL_OP_GEMM, .m = m, .n = n, .k = k,
		.lda = k, .ldb = k, .ldc = n * 4,
		.a_handle = a, .b_handle = b, .c_handle = c,
	};
}

FIXTURE(iso) {
	int fd;
};

FIXTURE_SETUP(iso)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(iso)
{
	close(self->fd);
}

FIXTURE(iso_path) {
	struct io_uring ring;
	int fd;
};

FIXTURE_VARIANT(iso_path) {
	bool uring;
};

FIXTURE_VARIANT_ADD(iso_path, ioctl) {
	.uring = false,
};

FIXTURE_VARIANT_ADD(iso_path, uring) {
	.uring = true,
};

FIXTURE_SETUP(iso_path)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, raw_ring(&self->ring, 4, true));
}

FIXTURE_TEARDOWN(iso_path)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/* The variant's submission path for raw_run_on(): its ring, NULL for ioctl. */
#define PATH_RING (variant->uring ? &self->ring : NULL)

/* Every way of naming a handle, from fd; 0 if each one said -ENOENT. */
static int handles_refused(int fd, uint32_t a, uint32_t b, uint32_t c)
{
	struct drm_qaccel_gemm g = raw_gemm(4, 4, 16, a, b, c);
	struct drm_qaccel_bo_mmap_offset mo = { .handle = a };
	struct drm_qaccel_bo_info bi = { .handle = c };
	struct drm_prime_handle ph = { .handle = b, .flags = DRM_CLOEXEC };
	struct io_uring ring;
	int ret;

	if (raw_run(fd, &g, NULL) != -ENOENT)
		return 1;
	if (ioctl(fd, DRM_IOCTL_QACCEL_BO_MMAP_OFFSET, &mo) == 0 || errno != ENOENT)
		return 2;
	if (ioctl(fd, DRM_IOCTL_QACCEL_BO_INFO, &bi) == 0 || errno != ENOENT)
		return 3;
	if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph) == 0 || errno != ENOENT)
		return 4;
	if (raw_ring(&ring, 4, true))
		return 5;
	ret = raw_uring_run(&ring, fd, DRM_QACCEL_URING_CMD_GEMM, &g, NULL);
	io_uring_queue_exit(&ring);
	return ret == -ENOENT ? 0 : 6;
}

TEST_F(iso, other_files_and_processes_get_enoent_for_our_handles)
{
	struct drm_qaccel_gemm job;
	struct uj_case t;
	uint32_t ha, hb, hc;
	size_t csize;
	int other;
	uint8_t *csave;
	pid_t pid;
	int status;

	ASSERT_EQ(0, uj_case_init(self->fd, &t, 4, 4, 16,
				    QACCEL_GEMM_OUT_INT32, 1));
	ha = t.a.handle;
	hb = t.b.handle;
	hc = t.c.handle;
	csize = t.c.size;
	csave = malloc(csize);
	ASSERT_NE(NULL, csave);
	memcpy(csave, t.pc, csize);

	/* A second file of this process: a separate handle space. */
	other = uj_open();
	ASSERT_LE(0, other);
	EXPECT_EQ(0, handles_refused(other, ha, hb, hc));
	close(other);

	/*
	 * A child with its own fd (it also inherits ours, which is the same
	 * open file and so legitimately shares its handles: not tested).
	 */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = uj_open();
		int r;

		if (fd < 0)
			_exit(100);
		r = handles_refused(fd, ha, hb, hc);
		/* Every small handle number too: the child owns none. */
		for (uint32_t h = 1; !r && h < 64; h++)
			r = handles_refused(fd, h, h, h) ? 10 : 0;
		close(fd);
		_exit(r);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, memcmp(csave, t.pc, csize));

	/* Our own handles still work, and C was only written by us. */
	uj_case_job(&t, &job);
	ASSERT_EQ(0, raw_run(self->fd, &job, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	free(csave);
	uj_case_free(&t);
}

TEST_F(iso, operand_one_byte_past_its_buffer_is_einval)
{
	struct uj_bo buf[5];
	uint32_t h[5];
	const uint32_t sz = 4096;

	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, uj_bo_new(self->fd, sz, &buf[i]));
		h[i] = buf[i].handle;
	}
	/* m = n = 4, k = 16: a row of A/B 16 bytes, of C 16 (int32). */
	struct drm_qaccel_gemm ok = raw_gemm(4, 4, 16, h[0], h[1], h[2]);
	struct drm_qaccel_gemm g;

	ok.flags = DRM_QACCEL_GEMM_BIAS;
	ok.bias_handle = h[3];
	/* The largest legal offsets and strides: each operand ends at sz. */
	ok.lda = ok.ldb = ok.ldc = (sz - 16 - 1) / 3;
	ok.a_offset = sz - 3 * ok.lda - 16;
	ok.b_offset = ok.a_offset;
	ok.c_offset = ok.a_offset;
	ok.bias_offset = sz - 16;
	EXPECT_EQ(0, raw_run(self->fd, &ok, NULL));

	g = ok; g.a_offset++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.b_offset++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.c_offset++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.bias_offset++;	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.lda++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.ldb++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.ldc++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.a_offset = UINT32_MAX; EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.ldc = UINT32_MAX;	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.lda = UINT32_MAX; g.a_offset = UINT32_MAX;
	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));

	/* Per-channel records: int8 output, n records of 8 bytes at the end. */
	g = ok;
	g.flags = DRM_QACCEL_GEMM_OUT_INT8 | DRM_QACCEL_GEMM_PER_CHANNEL;
	g.ldc = ok.lda;
	g.clamp_min = 0x80;
	g.clamp_max = 0x7f;
	g.quant_handle = h[4];
	g.quant_offset = sz - 4 * 8 + 1;
	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g.quant_offset = UINT32_MAX;
	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));

	/* The same bounds through io_uring. */
	struct io_uring ring;

	ASSERT_EQ(0, raw_ring(&ring, 4, true));
	g = ok; g.c_offset++;
	EXPECT_EQ(-EINVAL, raw_uring_run(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM, &g, NULL));
	g = ok; g.ldb++;
	EXPECT_EQ(-EINVAL, raw_uring_run(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM, &g, NULL));
	io_uring_queue_exit(&ring);

	for (int i = 0; i < 5; i++)
		uj_bo_free(self->fd, &buf[i]);
}

struct edge_shape {
	uint32_t m, n, k, flags;
	uint32_t gap_a, gap_b, gap_c;	/* bytes between rows beyond the row */
	uint32_t pages;			/* of each operand buffer */
};

/*
 * Operands placed at the very end of their buffers with odd row gaps, each
 * buffer between secret-filled neighbours (allocated before and after it).
 */
static int edge_job(struct __test_metadata *_metadata, int fd,
		    struct io_uring *ring, const struct edge_shape *s)
{
	enum { SA, SB, SC, SD, A, B, C, BIAS, QUANT, NBUF };
	static const int order[NBUF] = { SA, A, SB, B, SC, C, SD, BIAS, QUANT };
	struct uj_bo buf[NBUF];
	uint8_t *p[NBUF], *want, *in_a, *in_b;
	struct uj_case g = { .fd = fd };
	struct qaccel_gemm_params *q = &g.p;
	struct drm_qaccel_gemm job;
	uint32_t esz = gc_out_size(s->flags);
	size_t size = (size_t)s->pages * 4096, sec = 2 * 4096;
	uint64_t end;
	int ret;

	for (int i = 0; i < NBUF; i++) {
		int b = order[i];
		size_t bs = b < A ? sec : b >= BIAS ? 4096 : size;

		ASSERT_EQ(0, uj_bo_new(fd, bs, &buf[b]));
		p[b] = buf[b].map;
		if (b < A)
			fill_secret(p[b], bs);
		else
			fill_rand(p[b], bs);
	}
	*q = (struct qaccel_gemm_params){
		.m = s->m, .n = s->n, .k = s->k,
		.lda = s->k + s->gap_a, .ldb = s->k + s->gap_b,
		.ldc = s->n * esz + s->gap_c, .flags = s->flags,
		.a_zero_point = s->flags & QACCEL_GEMM_A_UINT8 ? 130 : -5,
		.b_zero_point = s->flags & QACCEL_GEMM_B_UINT8 ? 125 : 3,
		.c_zero_point = (s->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8 ? 128 : 1,
		.clamp_min = (s->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8 ? 0 : -128,
		.clamp_max = (s->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8 ? 255 : 127,
		.out_multiplier = 1518500250, .out_shift = -10,
	};
	g.a = buf[A];
	g.b = buf[B];
	g.c = buf[C];
	g.bias = buf[BIAS];
	g.quant = buf[QUANT];
	end = (uint64_t)(q->m - 1) * q->lda + q->k;
	g.a_offset = (uint32_t)(size - end);
	end = (uint64_t)(q->n - 1) * q->ldb + q->k;
	g.b_offset = (uint32_t)(size - end);
	end = (uint64_t)(q->m - 1) * q->ldc + (uint64_t)q->n * esz;
	g.c_offset = (uint32_t)(size - end);
	g.bias_offset = 4096 - q->n * 4;
	g.quant_offset = 4096 - q->n * 8;
	for (uint32_t j = 0; j < q->n; j++) {
		struct qaccel_quant *r = (struct qaccel_quant *)(p[QUANT] + g.quant_offset) + j;

		r->multiplier = 0x40000000 + (int32_t)(gc_rand(&seed) % 0x3fffffff);
		r->shift = -(int32_t)(8 + gc_rand(&seed) % 4);
		((int32_t *)(p[BIAS] + g.bias_offset))[j] =
			(int32_t)(gc_rand(&seed) % 4001) - 2000;
	}
	memset(p[C], GAP, size);
	want = malloc(size);
	in_a = malloc(size);
	in_b = malloc(size);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, in_a);
	ASSERT_NE(NULL, in_b);
	memcpy(want, p[C], size);
	memcpy(in_a, p[A], size);
	memcpy(in_b, p[B], size);
	ASSERT_EQ(0, qaccel_ref_gemm(q, p[A] + g.a_offset, p[B] + g.b_offset,
				     (int32_t *)(p[BIAS] + g.bias_offset),
				     (struct qaccel_quant *)(p[QUANT] + g.quant_offset),
				     want + g.c_offset));

	uj_case_job(&g, &job);
	ret = raw_run_on(fd, ring, &job, NULL);
	EXPECT_EQ(0, ret);
	for (size_t i = 0; i < size; i++) {
		if (p[C][i] != want[i]) {
			TH_LOG("%ux%ux%u flags %#x: C byte %zu (offset %u) is %#x, want %#x",
			       s->m, s->n, s->k, s->flags, i, g.c_offset, p[C][i], want[i]);
			ret = -1;
			break;
		}
	}
	EXPECT_EQ(0, memcmp(in_a, p[A], size));
	EXPECT_EQ(0, memcmp(in_b, p[B], size));
	for (int b = SA; b <= SD; b++) {
		long bad = secret_broken(p[b], sec);

		if (bad >= 0)
			TH_LOG("secret buffer %d changed at byte %ld", b, bad);
		EXPECT_EQ(-1, bad);
	}
	free(want);
	free(in_a);
	free(in_b);
	for (int b = 0; b < NBUF; b++)
		uj_bo_free(fd, &buf[b]);
	return ret;
}

TEST_F(iso_path, maximal_offsets_and_strides_touch_only_c_elements)
{
	static const struct edge_shape shapes[] = {
		{ 5, 7, 13, QACCEL_GEMM_OUT_INT32, 1, 3, 3, 1 },
		{ 5, 7, 13, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 0, 0, 1, 1 },
		{ 33, 19, 129, QACCEL_GEMM_OUT_INT32 | QACCEL_GEMM_BIAS, 3, 1, 5, 3 },
		{ 33, 19, 129, QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_A_UINT8 |
		  QACCEL_GEMM_B_UINT8 | QACCEL_GEMM_PER_CHANNEL, 7, 0, 3, 3 },
		{ 17, 64, 70, QACCEL_GEMM_OUT_INT32, 0, 0, 1, 2 },
		{ 1, 1, 1, QACCEL_GEMM_OUT_INT32, 0, 0, 0, 1 },
		{ 64, 3, 4, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_PER_CHANNEL, 59, 1, 9, 1 },
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		EXPECT_EQ(0, edge_job(_metadata, self->fd, PATH_RING, &shapes[i]));
}

TEST_F(iso, dmabuf_fds_not_given_cannot_be_imported)
{
	struct drm_prime_handle imp = { 0 };
	int ready[2], go[2], pfd[2];
	const int slot = 900;
	pid_t pid;
	char c;
	int status;

	/* A pipe and the render node itself are no dma-bufs. */
	ASSERT_EQ(0, pipe(pfd));
	imp.fd = pfd[0];
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	EXPECT_EQ(EINVAL, errno);
	imp.fd = self->fd;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	EXPECT_EQ(EINVAL, errno);
	imp.fd = -1;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	EXPECT_EQ(EBADF, errno);
	close(pfd[0]);
	close(pfd[1]);

	/*
	 * A child exports a buffer holding a secret as dma-buf fd `slot` and
	 * keeps it open; the same number in the parent is no open fd, so the
	 * parent cannot import it.
	 */
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct uj_bo b;
		int dev = uj_open();
		int fd;

		close(ready[0]);
		close(go[1]);
		if (dev < 0 || uj_bo_new(dev, 4096, &b))
			_exit(1);
		fill_secret(b.map, 4096);
		fd = uj_bo_export(dev, b.handle);
		if (fd < 0 || dup2(fd, slot) != slot)
			_exit(2);
		close(fd);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		close(slot);
		uj_bo_free(dev, &b);
		close(dev);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(-1, fcntl(slot, F_GETFD));
	imp.fd = slot;
	imp.handle = 0;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, imp.handle);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ready[0]);
	close(go[1]);
}

TEST_F(iso_path, import_outlives_the_exporters_handle)
{
	struct drm_qaccel_gemm job;
	struct uj_bo exp_a;
	struct uj_case t;
	uint32_t imp_a = 0;
	void *pi;
	int imp_fd, fd;

	imp_fd = uj_open();
	ASSERT_LE(0, imp_fd);
	ASSERT_EQ(0, uj_case_init(imp_fd, &t, 9, 6, 40,
				  QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 3));
	/* A lives in the exporter's file and comes to the importer by dma-buf. */
	ASSERT_EQ(0, uj_bo_new(self->fd, 9 * 40, &exp_a));
	memcpy(exp_a.map, t.pa, 9 * 40);
	fd = uj_bo_export(self->fd, exp_a.handle);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, uj_bo_import(imp_fd, fd, &imp_a));
	close(fd);
	/* The exporter lets go of everything: handle, mapping, file. */
	uj_bo_free(self->fd, &exp_a);
	close(self->fd);
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);

	ASSERT_EQ(0, uj_bo_mmap(imp_fd, imp_a, 9 * 40, &pi));
	EXPECT_EQ(0, memcmp(pi, t.pa, 9 * 40));
	uj_case_job(&t, &job);
	job.a_handle = imp_a;
	ASSERT_EQ(0, raw_run_on(imp_fd, PATH_RING, &job, NULL));
	EXPECT_EQ(-1, uj_case_mismatch(&t));
	munmap(pi, 9 * 40);
	EXPECT_EQ(0, uj_bo_close(imp_fd, imp_a));
	uj_case_free(&t);
	close(imp_fd);
}

TEST_HARNESS_MAIN
