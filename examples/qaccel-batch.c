// SPDX-License-Identifier: MIT
/*
 * qaccel-batch: the pattern to copy for real work.  Many independent int8
 * GEMMs (here: one small dense layer applied to a batch of inputs, one job
 * per input so that results stream back as they finish) are queued without
 * a system call, handed to the kernel in one io_uring_enter, and reaped in
 * an epoll loop, the way a server would fold the device into its event
 * loop.  Every result is checked against the CPU reference.
 *
 *   cc qaccel-batch.c $(pkg-config --cflags --libs qaccel) -o qaccel-batch
 *   qaccel-batch [JOBS]          (default 200, at most QACCEL_MAX_INFLIGHT)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <qaccel.h>

enum { ROWS = 8, IN = 64, OUT = 32 };	/* each job: 8 x 64 input, 32 outputs */

static int die(const char *what, int err)
{
	fprintf(stderr, "qaccel-batch: %s: %s\n", what, qaccel_strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	int jobs = argc > 1 ? atoi(argv[1]) : 200;
	struct qaccel_dev *dev;
	struct qaccel_buf *x, *w, *y;
	int8_t *px, *pw, *py;
	struct qaccel_stats st;
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, ret, done = 0, bad = 0;

	if (jobs < 1 || jobs > (int)QACCEL_MAX_INFLIGHT) {
		fprintf(stderr, "usage: qaccel-batch [1..%u]\n", QACCEL_MAX_INFLIGHT);
		return 2;
	}
	ret = qaccel_open(NULL, 0, &dev);
	if (ret)
		return die("open", ret);

	/* Inputs X (jobs x ROWS x IN), weights W (OUT x IN), outputs Y. */
	if ((ret = qaccel_buf_alloc(dev, (size_t)jobs * ROWS * IN, &x)) ||
	    (ret = qaccel_buf_alloc(dev, OUT * IN, &w)) ||
	    (ret = qaccel_buf_alloc(dev, (size_t)jobs * ROWS * OUT, &y)) ||
	    (ret = qaccel_buf_map(x, (void **)&px)) ||
	    (ret = qaccel_buf_map(w, (void **)&pw)) ||
	    (ret = qaccel_buf_map(y, (void **)&py))) {
		qaccel_close(dev);
		return die("buffers", ret);
	}
	for (int i = 0; i < jobs * ROWS * IN; i++)
		px[i] = (int8_t)(i * 31 + 7);
	for (int i = 0; i < OUT * IN; i++)
		pw[i] = (int8_t)(i * 17 + 3);

	/* Queue every job: checked here, no system call yet. */
	for (int j = 0; j < jobs; j++) {
		struct qaccel_gemm g = {
			.params = {
				.m = ROWS, .n = OUT, .k = IN,
				.lda = IN, .ldb = IN, .ldc = OUT,
				.flags = QACCEL_GEMM_OUT_INT8,
				.clamp_min = -128, .clamp_max = 127,
				.out_multiplier = 1 << 30, .out_shift = -7,
			},
			.a = { x, (uint32_t)(j * ROWS * IN) },
			.b = { w, 0 },
			.c = { y, (uint32_t)(j * ROWS * OUT) },
		};

		ret = qaccel_submit(dev, &g, (uint64_t)j);	/* tag = input index */
		if (ret) {
			qaccel_close(dev);
			return die("submit", ret);
		}
	}

	/* The event loop: the device's poll fd next to whatever else you watch. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, qaccel_poll_fd(dev), &ev)) {
		perror("epoll");
		qaccel_close(dev);
		return 1;
	}
	ret = qaccel_flush(dev);			/* one io_uring_enter for all */
	while (ret >= 0 && done < jobs) {
		struct qaccel_completion cq[32];

		/* io_uring's task work may interrupt the sleep: that is a wake-up too. */
		if (epoll_wait(ep, &ev, 1, 10000) < 0 && errno != EINTR)
			break;
		ret = qaccel_wait(dev, cq, 32, 0, 0);	/* reaps from the ring, no syscall */
		for (int i = 0; i < ret; i++) {
			int j = (int)cq[i].tag;
			struct qaccel_gemm_params p = {
				.m = ROWS, .n = OUT, .k = IN,
				.lda = IN, .ldb = IN, .ldc = OUT,
				.flags = QACCEL_GEMM_OUT_INT8,
				.clamp_min = -128, .clamp_max = 127,
				.out_multiplier = 1 << 30, .out_shift = -7,
			};
			int8_t want[ROWS * OUT];

			qaccel_ref_gemm(&p, px + j * ROWS * IN, pw, NULL, NULL, want);
			if (cq[i].status || memcmp(want, py + j * ROWS * OUT, sizeof(want)))
				bad++;
		}
		done += ret > 0 ? ret : 0;
	}
	close(ep);
	if (ret < 0) {
		qaccel_close(dev);
		return die("wait", ret);
	}
	qaccel_get_stats(dev, &st);
	printf("%d jobs, %d wrong; %llu io_uring_enter, %llu of %llu completions reaped without a system call\n",
	       done, bad, (unsigned long long)st.enters,
	       (unsigned long long)st.reaped_without_syscall,
	       (unsigned long long)st.completed);
	qaccel_close(dev);	/* frees x, w, y */
	return bad || done < jobs;
}
