// SPDX-License-Identifier: MIT
/*
 * libqaccel's API as an application uses it, on the device: opening (first,
 * by index, by path), 1,000 jobs batched through io_uring with every result
 * checked and the io_uring_enters counted, the same through the ioctl path,
 * wait with a timeout, an epoll event loop on qaccel_poll_fd(), and
 * qaccel_get_caps() reporting what the kernel's GET_PARAM does.
 */
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib_common.h"
#include "uapi/drm/qaccel_drm.h"

#define NJOBS	1000
#define CHUNK	250	/* jobs submitted before each wait (<= QACCEL_MAX_INFLIGHT) */
#define A_ROWS	16
#define LDA	32

/*
 * Many small GEMMs over three shared buffers: job i reads A and B at
 * offsets that depend on i and writes its own 64-byte slot of C, so every
 * result can be checked and a misrouted completion would show.
 */
struct batch {
	struct qaccel_buf *a, *b, *c;
	int8_t *pa, *pb, *pc;
};

static int batch_init(struct qaccel_dev *dev, struct batch *bt)
{
	uint64_t s = 42;
	int ret;

	if ((ret = gc_alloc(dev, A_ROWS * LDA * 2, &bt->a, (void **)&bt->pa)) ||
	    (ret = gc_alloc(dev, A_ROWS * LDA * 2, &bt->b, (void **)&bt->pb)) ||
	    (ret = gc_alloc(dev, NJOBS * 64, &bt->c, (void **)&bt->pc)))
		return ret;
	for (int i = 0; i < A_ROWS * LDA * 2; i++) {
		bt->pa[i] = (int8_t)(gc_rand(&s) >> 56);
		bt->pb[i] = (int8_t)(gc_rand(&s) >> 56);
	}
	memset(bt->pc, 0x5a, NJOBS * 64);
	return 0;
}

static void batch_job(const struct batch *bt, unsigned int i,
		      struct qaccel_gemm *g)
{
	memset(g, 0, sizeof(*g));
	g->params = (struct qaccel_gemm_params){
		.m = 1 + i % 7, .n = 1 + i % 8, .k = 1 + i % 29,
		.lda = LDA, .ldb = LDA, .ldc = 8,
		.flags = QACCEL_GEMM_OUT_INT8,
		.a_zero_point = (int32_t)(i % 5) - 2, .b_zero_point = 1,
		.c_zero_point = -3, .clamp_min = -128, .clamp_max = 127,
		.out_multiplier = 1518500250, .out_shift = -6,
	};
	g->a = (struct qaccel_operand){ bt->a, (i * 13) % (A_ROWS * LDA) };
	g->b = (struct qaccel_operand){ bt->b, (i * 7) % (A_ROWS * LDA) };
	g->c = (struct qaccel_operand){ bt->c, i * 64 };
}

/* Number of jobs whose C slot differs from the reference. */
static unsigned int batch_mismatches(const struct batch *bt, unsigned int n)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct qaccel_gemm g;
		int8_t want[64];

		batch_job(bt, i, &g);
		memset(want, 0x5a, sizeof(want));
		qaccel_ref_gemm(&g.params, bt->pa + g.a.offset,
				bt->pb + g.b.offset, NULL, NULL, want);
		if (memcmp(want, bt->pc + i * 64, 64))
			bad++;
	}
	return bad;
}

static void batch_free(struct batch *bt)
{
	qaccel_buf_free(bt->a);
	qaccel_buf_free(bt->b);
	qaccel_buf_free(bt->c);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Submit NJOBS in chunks and reap them all; check the tags (each exactly
 * once, status 0).  Returns the number of tag errors.
 */
static unsigned int run_batch(struct __test_metadata *_metadata,
			      struct qaccel_dev *dev, const struct batch *bt)
{
	static bool seen[NJOBS];
	unsigned int errors = 0;

	memset(seen, 0, sizeof(seen));
	for (unsigned int base = 0; base < NJOBS; base += CHUNK) {
		unsigned int got = 0;

		for (unsigned int i = base; i < base + CHUNK; i++) {
			struct qaccel_gemm g;

			batch_job(bt, i, &g);
			EXPECT_EQ(0, qaccel_submit(dev, &g, 0x1000000ull + i));
		}
		while (got < CHUNK) {
			struct qaccel_completion cq[64];
			int r = qaccel_wait(dev, cq, 64, 64 < CHUNK - got ? 64 : CHUNK - got, 60000);

			EXPECT_GT(r, 0);
			if (r <= 0)
				return errors + 1;
			for (int j = 0; j < r; j++) {
				uint64_t t = cq[j].tag - 0x1000000ull;

				if (t >= NJOBS || seen[t] || cq[j].status) {
					errors++;
					continue;
				}
				seen[t] = true;
			}
			got += (unsigned int)r;
		}
	}
	return errors;
}

FIXTURE(lib) {
	struct qaccel_dev *dev;
};

FIXTURE_SETUP(lib)
{
	ASSERT_EQ(0, qaccel_open(NULL, 0, &self->dev));
}

FIXTURE_TEARDOWN(lib)
{
	qaccel_close(self->dev);
}

TEST(open_first_by_index_and_by_path_agree)
{
	struct qaccel_dev *first, *byidx, *bypath;
	struct qaccel_caps c1, c2;
	char path[64];
	int n = qaccel_device_count();

	ASSERT_GE(n, 1);
	ASSERT_EQ(0, qaccel_device_path(0, path, sizeof(path)));
	ASSERT_EQ(0, qaccel_open(NULL, 0, &first));
	ASSERT_EQ(0, qaccel_open_index(0, QACCEL_OPEN_IOCTL, &byidx));
	ASSERT_EQ(0, qaccel_open(path, 0, &bypath));
	EXPECT_STREQ(path, qaccel_dev_path(first));
	EXPECT_STREQ(path, qaccel_dev_path(byidx));
	EXPECT_STREQ(path, qaccel_dev_path(bypath));
	EXPECT_EQ(QACCEL_PATH_IOCTL, qaccel_get_path(byidx));
	ASSERT_EQ(0, qaccel_get_caps(first, &c1));
	ASSERT_EQ(0, qaccel_get_caps(bypath, &c2));
	EXPECT_EQ(0, memcmp(&c1, &c2, sizeof(c1)));
	TH_LOG("%d device(s); first %s, %ux%u", n, path, c1.rows, c1.cols);
	qaccel_close(first);
	qaccel_close(byidx);
	qaccel_close(bypath);
}

TEST(open_index_past_the_last_device_is_enodev)
{
	struct qaccel_dev *dev = (void *)1;
	char path[64];

	EXPECT_EQ(-ENODEV, qaccel_open_index((unsigned int)qaccel_device_count(),
					     0, &dev));
	EXPECT_EQ(NULL, dev);
	EXPECT_EQ(-ENODEV, qaccel_device_path(1000, path, sizeof(path)));
	EXPECT_EQ(-ENOSPC, qaccel_device_path(0, path, 4));
}

TEST(open_non_qaccel_node_is_enodev)
{
	struct qaccel_dev *dev = (void *)1;

	EXPECT_EQ(-ENODEV, qaccel_open("/dev/null", 0, &dev));
	EXPECT_EQ(NULL, dev);
}

TEST_F_TIMEOUT(lib, thousand_jobs_batched_all_correct_with_few_enters, 600)
{
	struct qaccel_stats before, mid, after;
	struct batch bt;
	struct qaccel_gemm g;

	ASSERT_EQ(0, batch_init(self->dev, &bt));
	/* Queueing costs no system call at all. */
	ASSERT_EQ(0, qaccel_get_stats(self->dev, &before));
	for (unsigned int i = 0; i < 10; i++) {
		batch_job(&bt, i, &g);
		ASSERT_EQ(0, qaccel_submit(self->dev, &g, i));
	}
	ASSERT_EQ(0, qaccel_get_stats(self->dev, &mid));
	EXPECT_EQ(before.enters, mid.enters);
	EXPECT_EQ(10, mid.submitted - before.submitted);
	/* ... and the flush hands all of them over in one io_uring_enter. */
	EXPECT_EQ(10, qaccel_flush(self->dev));
	ASSERT_EQ(0, qaccel_get_stats(self->dev, &mid));
	EXPECT_EQ(before.enters + 1, mid.enters);
	{
		struct qaccel_completion cq[10];

		EXPECT_EQ(10, qaccel_wait(self->dev, cq, 10, 10, 60000));
	}

	ASSERT_EQ(0, qaccel_get_stats(self->dev, &before));
	EXPECT_EQ(0, run_batch(_metadata, self->dev, &bt));
	ASSERT_EQ(0, qaccel_get_stats(self->dev, &after));
	EXPECT_EQ(0, batch_mismatches(&bt, NJOBS));
	EXPECT_EQ(NJOBS, after.submitted - before.submitted);
	EXPECT_EQ(NJOBS, after.completed - before.completed);
	EXPECT_EQ(0, after.ioctls - before.ioctls);
	/*
	 * Four chunks of 250: each chunk's first wait hands over the whole
	 * chunk; the rest is reaping.  Far fewer enters than jobs.
	 */
	EXPECT_LE(after.enters - before.enters, NJOBS / 10);
	TH_LOG("%d jobs: %llu io_uring_enter, %llu of %d completions reaped without a syscall",
	       NJOBS, (unsigned long long)(after.enters - before.enters),
	       (unsigned long long)(after.reaped_without_syscall -
				    before.reaped_without_syscall), NJOBS);
	batch_free(&bt);
}

TEST_F_TIMEOUT(lib, thousand_jobs_through_the_ioctl_path_all_correct, 600)
{
	struct qaccel_stats before, after;
	struct batch bt;

	ASSERT_EQ(0, qaccel_set_path(self->dev, QACCEL_PATH_IOCTL));
	EXPECT_EQ(-EOPNOTSUPP, qaccel_poll_fd(self->dev));
	ASSERT_EQ(0, batch_init(self->dev, &bt));
	ASSERT_EQ(0, qaccel_get_stats(self->dev, &before));
	EXPECT_EQ(0, run_batch(_metadata, self->dev, &bt));
	ASSERT_EQ(0, qaccel_get_stats(self->dev, &after));
	EXPECT_EQ(0, batch_mismatches(&bt, NJOBS));
	EXPECT_EQ(0, after.enters - before.enters);
	/* Submissions go 64 to an ioctl; each completion is one WAIT. */
	EXPECT_LE(after.ioctls - before.ioctls, NJOBS + NJOBS / 64 + 8);
	TH_LOG("%d jobs: %llu ioctls", NJOBS,
	       (unsigned long long)(after.ioctls - before.ioctls));
	ASSERT_EQ(0, qaccel_set_path(self->dev, QACCEL_PATH_URING));
	batch_free(&bt);
}

TEST_F(lib, wait_with_nothing_outstanding_returns_zero_at_once)
{
	struct qaccel_completion c;

	EXPECT_EQ(0, qaccel_wait(self->dev, &c, 1, 1, 0));
	EXPECT_EQ(0, qaccel_wait(self->dev, &c, 1, 1, 1000));
	EXPECT_EQ(0, qaccel_wait(self->dev, &c, 1, 0, -1));
}

/*
 * A large GEMM takes far longer in simulation than the timeout: the
 * short wait returns 0 (or, if the device was faster, 1) and never more;
 * then an unbounded wait gets it, with a correct result.
 */
TEST_F_TIMEOUT(lib, wait_timeout_returns_and_job_completes_later, 600)
{
	struct qaccel_completion c;
	struct gemm_case t;
	int64_t t0;
	int r;

	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 96, 96, 96,
				    QACCEL_GEMM_OUT_INT8, 7));
	ASSERT_EQ(0, qaccel_submit(self->dev, &t.g, 77));
	t0 = mono_ms();
	r = qaccel_wait(self->dev, &c, 1, 1, 5);
	ASSERT_GE(r, 0);
	if (r == 0) {
		EXPECT_GE(mono_ms() - t0, 5);
		EXPECT_EQ(1, qaccel_inflight(self->dev));
		r = qaccel_wait(self->dev, &c, 1, 1, -1);
	} else {
		TH_LOG("the job beat a 5 ms timeout");
	}
	ASSERT_EQ(1, r);
	EXPECT_EQ(77, c.tag);
	EXPECT_EQ(0, c.status);
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	gemm_case_free(&t);
}

/*
 * An event loop: the poll fd sits in an epoll set; the loop flushes,
 * sleeps in epoll_wait, and reaps with a zero-timeout wait, which takes
 * the completions from the ring without a system call.
 */
TEST_F_TIMEOUT(lib, epoll_event_loop_reaps_every_job, 300)
{
	enum { N = 48 };
	struct gemm_case t[4];
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct qaccel_stats st0, st1;
	bool seen[N] = { false };
	unsigned int done = 0, wakeups = 0, eintr = 0;
	int ep, pfd;

	pfd = qaccel_poll_fd(self->dev);
	ASSERT_GE(pfd, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(ep, 0);
	ev.data.u64 = 0xabc;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev));
	/* Nothing outstanding: not readable. */
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, gemm_case_init(self->dev, &t[i], 9 + i, 11, 23,
					    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS,
					    300 + i));
	ASSERT_EQ(0, qaccel_get_stats(self->dev, &st0));
	for (int i = 0; i < N; i++) {
		int r = i % 12 ? qaccel_submit_nop(self->dev, i)
			       : qaccel_submit(self->dev, &t[i / 12].g, i);

		ASSERT_EQ(0, r);
	}
	ASSERT_EQ(N, qaccel_flush(self->dev));
	while (done < N) {
		struct qaccel_completion cq[16];
		int n = epoll_wait(ep, &out, 1, 30000);
		int r;

		/*
		 * io_uring completes URING_CMDs in the submitter's task work,
		 * which interrupts a sleeping epoll_wait: EINTR is part of the
		 * loop, and running that task work is what posts the CQEs.
		 */
		if (n < 0 && errno == EINTR) {
			eintr++;
			continue;
		}
		ASSERT_EQ(1, n);
		EXPECT_EQ(0xabc, out.data.u64);
		wakeups++;
		r = qaccel_wait(self->dev, cq, 16, 0, 0);
		ASSERT_GE(r, 0);
		for (int j = 0; j < r; j++) {
			ASSERT_LT(cq[j].tag, N);
			EXPECT_FALSE(seen[cq[j].tag]);
			seen[cq[j].tag] = true;
			EXPECT_EQ(0, cq[j].status);
		}
		done += (unsigned int)r;
	}
	ASSERT_EQ(0, qaccel_get_stats(self->dev, &st1));
	/* Every completion came off the ring without a system call. */
	EXPECT_EQ(N, st1.reaped_without_syscall - st0.reaped_without_syscall);
	EXPECT_EQ(1, st1.enters - st0.enters);
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	TH_LOG("%d jobs in %u epoll wakeups (%u EINTR)", N, wakeups, eintr);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(-1, gemm_case_mismatch(&t[i]));
		gemm_case_free(&t[i]);
	}
	close(ep);
}

TEST_F(lib, gemm_run_is_synchronous_and_refuses_with_jobs_outstanding)
{
	struct qaccel_completion c;
	struct gemm_case t;

	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 5, 6, 7,
				    QACCEL_GEMM_OUT_INT32, 9));
	ASSERT_EQ(0, qaccel_gemm_run(self->dev, &t.g, &c));
	EXPECT_EQ(0, c.status);
	EXPECT_GT(c.cycles, 0);
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	ASSERT_EQ(0, qaccel_submit_nop(self->dev, 1));
	EXPECT_EQ(-EBUSY, qaccel_gemm_run(self->dev, &t.g, NULL));
	EXPECT_EQ(1, qaccel_wait(self->dev, &c, 1, 1, -1));
	EXPECT_EQ(0, qaccel_gemm_run(self->dev, &t.g, NULL));
	gemm_case_free(&t);
}

/* The kernel's answer to DRM_IOCTL_QACCEL_GET_PARAM, for comparison. */
static int get_param(int fd, uint32_t param, uint32_t pad, uint64_t *value)
{
	struct drm_qaccel_get_param req = { .param = param, .pad = pad };

	*value = 0;
	if (ioctl(fd, DRM_IOCTL_QACCEL_GET_PARAM, &req))
		return -errno;
	*value = req.value;
	return 0;
}

TEST_F(lib, caps_match_get_param)
{
	struct qaccel_caps caps;
	uint64_t v;

	ASSERT_EQ(0, qaccel_get_caps(self->dev, &caps));
	ASSERT_EQ(0, get_param(qaccel_fd(self->dev), DRM_QACCEL_PARAM_ARRAY_ROWS, 0, &v));
	EXPECT_EQ(v, caps.rows);
	ASSERT_EQ(0, get_param(qaccel_fd(self->dev), DRM_QACCEL_PARAM_ARRAY_COLS, 0, &v));
	EXPECT_EQ(v, caps.cols);
	ASSERT_EQ(0, get_param(qaccel_fd(self->dev), DRM_QACCEL_PARAM_MAX_DIM, 0, &v));
	EXPECT_EQ(v, caps.max_dim);
	ASSERT_EQ(0, get_param(qaccel_fd(self->dev), DRM_QACCEL_PARAM_MAX_BO_SIZE, 0, &v));
	EXPECT_EQ(v, caps.max_bo_size);
	EXPECT_STREQ("qaccel", caps.driver);
}

TEST_HARNESS_MAIN
