// SPDX-License-Identifier: MIT
/*
 * libqaccel from several threads, both ways qaccel.h allows: one qaccel_dev
 * per thread (no locking at all), and one shared qaccel_dev serialized by
 * the application's mutex.  Every result is checked against the reference.
 * Threads count their own failures (the harness's assertions belong to the
 * main thread).
 */
#include <pthread.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib_common.h"

#define THREADS	4
#define ROUNDS	40	/* jobs per thread */
#define DEPTH	8	/* jobs in flight per thread */

struct worker {
	struct qaccel_dev *dev;		/* shared device (NULL: open its own) */
	pthread_mutex_t *lock;		/* held around calls on a shared dev */
	unsigned int id;
	unsigned int errors, done;
	char what[96];			/* the first failure, for the log */
};

static void fail(struct worker *w, const char *what, int code)
{
	if (!w->errors++)
		snprintf(w->what, sizeof(w->what), "%s: %d", what, code);
}

static void lock(struct worker *w)
{
	if (w->lock)
		pthread_mutex_lock(w->lock);
}

static void unlock(struct worker *w)
{
	if (w->lock)
		pthread_mutex_unlock(w->lock);
}

/*
 * DEPTH GEMMs of the thread's own shape (so a result landing in another
 * thread's buffer would show), resubmitted ROUNDS / DEPTH times; tags say
 * thread and slot.
 */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct qaccel_dev *dev = w->dev;
	struct gemm_case t[DEPTH];
	bool own = !dev;
	int ret;

	if (own) {
		ret = qaccel_open(NULL, 0, &dev);
		if (ret) {
			fail(w, "open", ret);
			return NULL;
		}
	}
	lock(w);
	for (unsigned int i = 0; i < DEPTH; i++) {
		ret = gemm_case_init(dev, &t[i], 5 + w->id, 6 + i, 17 + w->id * 3,
				     i % 2 ? QACCEL_GEMM_OUT_INT32
					   : QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS,
				     1000 * w->id + i);
		if (ret)
			fail(w, "init", ret);
	}
	unlock(w);
	if (w->errors)
		goto out;

	for (unsigned int r = 0; r < ROUNDS / DEPTH; r++) {
		unsigned int got = 0;

		lock(w);
		for (unsigned int i = 0; i < DEPTH; i++) {
			memset(t[i].pc, 0x5a, (size_t)t[i].g.params.m * t[i].g.params.ldc);
			ret = qaccel_submit(dev, &t[i].g, ((uint64_t)w->id << 32) | i);
			if (ret)
				fail(w, "submit", ret);
		}
		ret = qaccel_flush(dev);
		unlock(w);
		if (ret < 0)
			fail(w, "flush", ret);
		while (got < DEPTH && !w->errors) {
			struct qaccel_completion cq[DEPTH];

			/*
			 * A shared dev is polled (timeout 0) so that the lock is
			 * never held while sleeping; an own dev simply waits.
			 */
			lock(w);
			ret = qaccel_wait(dev, cq, DEPTH - got, 0, w->lock ? 0 : 60000);
			unlock(w);
			if (ret < 0) {
				fail(w, "wait", ret);
				break;
			}
			for (int j = 0; j < ret; j++) {
				/* On a shared dev a completion may be another thread's. */
				if (cq[j].status)
					fail(w, "status", cq[j].status);
			}
			got += (unsigned int)ret;
			if (!ret)
				usleep(200);
		}
		w->done += DEPTH;
		if (w->lock)
			continue;
		for (unsigned int i = 0; i < DEPTH; i++)
			if (gemm_case_mismatch(&t[i]) != -1)
				fail(w, "mismatch", (int)i);
	}
	/*
	 * On a shared dev the completions this thread reaped may have been
	 * others': its own jobs are surely done once nothing at all is
	 * outstanding.  Jobs run in submission order, so C holds the last
	 * (correct) result.
	 */
	while (w->lock && !w->errors) {
		unsigned int n;

		lock(w);
		n = qaccel_inflight(dev);
		unlock(w);
		if (!n)
			break;
		usleep(1000);
	}
	if (w->lock) {
		for (unsigned int i = 0; i < DEPTH && !w->errors; i++)
			if (gemm_case_mismatch(&t[i]) != -1)
				fail(w, "mismatch", (int)i);
	}
out:
	lock(w);
	for (unsigned int i = 0; i < DEPTH; i++)
		gemm_case_free(&t[i]);
	unlock(w);
	if (own)
		qaccel_close(dev);
	return NULL;
}

FIXTURE(threads) {
	int unused;
};

FIXTURE_SETUP(threads)
{
}

FIXTURE_TEARDOWN(threads)
{
}

TEST_F_TIMEOUT(threads, one_dev_per_thread_all_results_correct, 600)
{
	struct worker w[THREADS];
	pthread_t th[THREADS];

	for (unsigned int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .id = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker_main, &w[i]));
	}
	for (unsigned int i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		EXPECT_EQ(0, w[i].errors) {
			TH_LOG("thread %u: %s", i, w[i].what);
		}
		EXPECT_EQ(ROUNDS, w[i].done);
	}
}

/*
 * One shared qaccel_dev behind a mutex: completions are reaped by
 * whichever thread polls, so each thread checks its results once nothing
 * is outstanding, and the totals say every job was reaped exactly once.
 */
TEST_F_TIMEOUT(threads, shared_dev_behind_a_mutex_all_jobs_complete, 600)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct qaccel_stats st;
	struct qaccel_dev *dev;
	struct worker w[THREADS];
	pthread_t th[THREADS];
	unsigned int errors = 0;

	ASSERT_EQ(0, qaccel_open(NULL, 0, &dev));
	for (unsigned int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .id = i, .dev = dev, .lock = &mu };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker_main, &w[i]));
	}
	for (unsigned int i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		errors += w[i].errors;
		EXPECT_EQ(0, w[i].errors) {
			TH_LOG("thread %u: %s", i, w[i].what);
		}
	}
	/* Any thread may reap any job, so a thread can finish on others' work:
	 * what must hold is that every job was reaped exactly once. */
	ASSERT_EQ(0, qaccel_get_stats(dev, &st));
	EXPECT_EQ(THREADS * ROUNDS, st.submitted);
	EXPECT_EQ(st.submitted, st.completed);
	EXPECT_EQ(0, qaccel_inflight(dev));
	qaccel_close(dev);
}

TEST_HARNESS_MAIN
