// SPDX-License-Identifier: MIT
/*
 * qaccel-soak: load test in the guest.  N processes x M threads, each
 * thread with its own qaccel_dev (the library's thread model), submit mixed
 * GEMMs (random small shapes and strides, int8/uint8 inputs, int32/int8/
 * uint8 outputs, bias, per-channel) on the io_uring and the ioctl path for
 * a set time.  Every result is checked bit-exact against qaccel_ref_gemm(),
 * every completion's tag must name a job its thread has in flight (none
 * lost, none delivered twice or to the wrong submitter), and at the end the
 * driver's live buffers and pinned pages are back to their baseline and its
 * job counters add up.  The last line is a one-line summary.
 *
 *   qaccel-soak [--seconds S] [--procs N] [--threads M] [--seed X] [-v]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qaccel_prng.h"
#include "../tests/guest/lib_common.h"
#include "../tests/guest/drv_common.h"

/* Output lines start with this (the KTAP slice makes them comments). */
#ifndef SOAK_PFX
#define SOAK_PFX ""
#endif

#define SLOTS		12	/* jobs a thread keeps in flight */
#define MAX_DIM		40
#define MAX_GAP		3
#define A_BYTES		(MAX_DIM * (MAX_DIM + MAX_GAP))
#define C_BYTES		(MAX_DIM * (MAX_DIM * 4 + MAX_GAP))

struct counts {
	uint64_t jobs, checked, wrong, lost, bad_tag, failed, errors;
};

struct slot {
	struct qaccel_gemm g;
	struct qaccel_buf *a, *b, *c, *bias, *quant;
	uint8_t *pa, *pb, *pc;
	int32_t *pbias;
	struct qaccel_quant *pquant;
	bool busy;
	uint64_t tag;
};

struct worker {
	unsigned int proc, thread;
	uint64_t seed;
	double deadline;
	struct counts *out;	/* in memory shared with the parent */
	int verbose;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int slot_alloc(struct qaccel_dev *dev, struct slot *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	if ((ret = gc_alloc(dev, A_BYTES, &s->a, (void **)&s->pa)) ||
	    (ret = gc_alloc(dev, A_BYTES, &s->b, (void **)&s->pb)) ||
	    (ret = gc_alloc(dev, C_BYTES, &s->c, (void **)&s->pc)) ||
	    (ret = gc_alloc(dev, MAX_DIM * 4, &s->bias, (void **)&s->pbias)) ||
	    (ret = gc_alloc(dev, MAX_DIM * 8, &s->quant, (void **)&s->pquant)))
		return ret;
	return 0;
}

/* A random valid job in slot s. */
static void slot_fill(struct slot *s, uint64_t *r)
{
	static const uint32_t outs[] = {
		QACCEL_GEMM_OUT_INT32, QACCEL_GEMM_OUT_INT8, QACCEL_GEMM_OUT_UINT8,
	};
	struct qaccel_gemm_params *p = &s->g.params;
	uint32_t out = outs[prng_next(r) % 3];
	uint32_t flags = out | (uint32_t)(prng_next(r) & (QACCEL_GEMM_A_UINT8 |
				QACCEL_GEMM_B_UINT8 | QACCEL_GEMM_BIAS |
				QACCEL_GEMM_PER_CHANNEL));
	bool c_u8 = out == QACCEL_GEMM_OUT_UINT8;
	int32_t lo, hi;

	*p = (struct qaccel_gemm_params){
		.m = 1 + prng_next(r) % MAX_DIM, .n = 1 + prng_next(r) % MAX_DIM,
		.k = 1 + prng_next(r) % MAX_DIM, .flags = flags,
	};
	p->lda = p->k + prng_next(r) % (MAX_GAP + 1);
	p->ldb = p->k + prng_next(r) % (MAX_GAP + 1);
	p->ldc = p->n * gc_out_size(flags) + prng_next(r) % (MAX_GAP + 1);
	p->a_zero_point = flags & QACCEL_GEMM_A_UINT8 ? (int32_t)(prng_next(r) % 256)
						       : (int32_t)(prng_next(r) % 256) - 128;
	p->b_zero_point = flags & QACCEL_GEMM_B_UINT8 ? (int32_t)(prng_next(r) % 256)
						       : (int32_t)(prng_next(r) % 256) - 128;
	lo = c_u8 ? 0 : -128;
	hi = c_u8 ? 255 : 127;
	p->c_zero_point = lo + (int32_t)(prng_next(r) % 256);
	p->clamp_min = lo + (int32_t)(prng_next(r) % 64);
	p->clamp_max = hi - (int32_t)(prng_next(r) % 64);
	p->out_multiplier = (int32_t)(0x40000000 + prng_next(r) % 0x3fffffff);
	p->out_shift = -(int32_t)(5 + prng_next(r) % 8);

	for (size_t i = 0; i < A_BYTES; i++) {
		s->pa[i] = (uint8_t)(prng_next(r) >> 56);
		s->pb[i] = (uint8_t)(prng_next(r) >> 48);
	}
	for (uint32_t j = 0; j < MAX_DIM; j++) {
		s->pbias[j] = (int32_t)(prng_next(r) % 60001) - 30000;
		s->pquant[j].multiplier = (int32_t)(0x40000000 + prng_next(r) % 0x3fffffff);
		s->pquant[j].shift = -(int32_t)(5 + prng_next(r) % 8);
	}
	memset(s->pc, 0x5a, C_BYTES);
	s->g.a = (struct qaccel_operand){ s->a, 0 };
	s->g.b = (struct qaccel_operand){ s->b, 0 };
	s->g.c = (struct qaccel_operand){ s->c, 0 };
	s->g.bias = (struct qaccel_operand){ s->bias, 0 };
	s->g.quant = (struct qaccel_operand){ s->quant, 0 };
}

/* Byte-exact over the whole C buffer (gaps included). */
static bool slot_ok(const struct slot *s)
{
	static __thread uint8_t want[C_BYTES];

	memset(want, 0x5a, C_BYTES);
	if (qaccel_ref_gemm(&s->g.params, s->pa, s->pb, s->pbias, s->pquant, want))
		return false;
	return !memcmp(want, s->pc, C_BYTES);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct counts *c = w->out;
	struct slot slots[SLOTS];
	struct qaccel_completion comp[SLOTS];
	struct qaccel_dev *dev;
	uint64_t r = w->seed, serial = 0;
	unsigned int inflight = 0;
	int ret;

	/* Half the threads start on the ioctl path; all switch now and then. */
	ret = qaccel_open(NULL, (w->proc + w->thread) & 1 ? QACCEL_OPEN_IOCTL : 0, &dev);
	if (ret) {
		fprintf(stderr, "soak %u.%u: open: %s\n", w->proc, w->thread,
			qaccel_strerror(ret));
		c->errors++;
		return NULL;
	}
	for (int i = 0; i < SLOTS; i++) {
		if (slot_alloc(dev, &slots[i])) {
			c->errors++;
			qaccel_close(dev);
			return NULL;
		}
	}

	while (now_s() < w->deadline || inflight) {
		bool more = now_s() < w->deadline;

		if (more && !inflight && prng_next(&r) % 64 == 0)
			qaccel_set_path(dev, qaccel_get_path(dev) == QACCEL_PATH_URING ?
					QACCEL_PATH_IOCTL : QACCEL_PATH_URING);
		/* Refill a random number of free slots. */
		for (int i = 0; more && i < SLOTS; i++) {
			struct slot *s = &slots[i];

			if (s->busy || prng_next(&r) % 4 == 0)
				continue;
			slot_fill(s, &r);
			s->tag = (uint64_t)w->proc << 56 | (uint64_t)w->thread << 48 |
				 (uint64_t)i << 40 | (++serial & 0xffffffffffull);
			ret = qaccel_submit(dev, &s->g, s->tag);
			if (ret) {
				fprintf(stderr, "soak %u.%u: submit: %s\n", w->proc,
					w->thread, qaccel_strerror(ret));
				c->errors++;
				continue;
			}
			s->busy = true;
			inflight++;
			c->jobs++;
		}
		if (!inflight)
			continue;
		ret = qaccel_wait(dev, comp, SLOTS, 1 + prng_next(&r) % inflight, 30000);
		if (ret <= 0) {
			fprintf(stderr, "soak %u.%u: wait: %d, %u in flight: lost\n",
				w->proc, w->thread, ret, inflight);
			c->lost += inflight;
			break;
		}
		for (int i = 0; i < ret; i++) {
			uint64_t t = comp[i].tag;
			unsigned int idx = (t >> 40) & 0xff;
			struct slot *s = &slots[idx < SLOTS ? idx : 0];

			if (t >> 48 != ((uint64_t)w->proc << 8 | w->thread) ||
			    idx >= SLOTS || !s->busy || s->tag != t) {
				fprintf(stderr, "soak %u.%u: completion with foreign tag %#llx\n",
					w->proc, w->thread, (unsigned long long)t);
				c->bad_tag++;
				continue;
			}
			s->busy = false;
			inflight--;
			if (comp[i].status) {
				fprintf(stderr, "soak %u.%u: job %#llx failed: %s\n",
					w->proc, w->thread, (unsigned long long)t,
					qaccel_strerror(comp[i].status));
				c->failed++;
				continue;
			}
			c->checked++;
			if (!slot_ok(s)) {
				const struct qaccel_gemm_params *p = &s->g.params;

				fprintf(stderr, "soak %u.%u: WRONG %ux%ux%u flags %#x lda %u ldb %u ldc %u\n",
					w->proc, w->thread, p->m, p->n, p->k, p->flags,
					p->lda, p->ldb, p->ldc);
				c->wrong++;
			}
		}
	}
	qaccel_close(dev);
	return NULL;
}

static int settle(long long bos, long long pinned)
{
	for (int i = 0; i < 100; i++) {
		if (drv_stat("bos") == bos && drv_stat("pinned_pages") == pinned)
			return 0;
		usleep(50 * 1000);
	}
	return -1;
}

/* Kernel log records at warning level or worse that say something broke. */
static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static unsigned int kmsg_bad(int fd)
{
	char rec[8192];
	unsigned int bad = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		if (strstr(rec, "WARNING:") || strstr(rec, "BUG:") ||
		    strstr(rec, "Oops") || (strstr(rec, "qaccel") && atoi(rec) <= 3))
			bad++;
	}
	return bad;
}

struct soak_result {
	struct counts tot;
	unsigned int kernel_bad;
	double seconds;
	bool ok;
};

/* One progress line: jobs and checks so far, driver buffers, kernel memory. */
static void soak_progress(const struct counts *shared, unsigned int n, double t)
{
	uint64_t jobs = 0, checked = 0;

	for (unsigned int i = 0; i < n; i++) {
		jobs += __atomic_load_n(&shared[i].jobs, __ATOMIC_RELAXED);
		checked += __atomic_load_n(&shared[i].checked, __ATOMIC_RELAXED);
	}
	printf(SOAK_PFX "soak: %.0f s: %llu jobs, %llu checked; bos %lld pinned_pages %lld; slab_unreclaimable_kb %lld memfree_kb %lld\n",
	       t, (unsigned long long)jobs, (unsigned long long)checked, drv_stat("bos"),
	       drv_stat("pinned_pages"), drv_meminfo_kb("SUnreclaim"), drv_meminfo_kb("MemFree"));
	fflush(stdout);
}

static int soak_run(unsigned int procs, unsigned int threads, unsigned int seconds,
		    uint64_t seed, int verbose, struct soak_result *res)
{
	long long bos0, pin0, sub0, comp0, fail0, bos1, pin1, sub1, comp1, fail1;
	struct counts *shared, tot = { 0 };
	int bad = 0, kfd;
	double t0, dt;

	shared = mmap(NULL, sizeof(*shared) * procs * threads, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	memset(shared, 0, sizeof(*shared) * procs * threads);
	bos0 = drv_stat("bos");
	pin0 = drv_stat("pinned_pages");
	sub0 = drv_stat("submitted");
	comp0 = drv_stat("completed");
	fail0 = drv_stat("failed");
	if (bos0 < 0 || pin0 < 0 || sub0 < 0) {
		fprintf(stderr, "soak: no qaccel sysfs statistics\n");
		munmap(shared, sizeof(*shared) * procs * threads);
		return -1;
	}
	kfd = kmsg_open_at_end();
	printf(SOAK_PFX "soak: %u processes x %u threads, %u s, seed %llu; baseline bos %lld pinned_pages %lld slab_unreclaimable_kb %lld memfree_kb %lld\n",
	       procs, threads, seconds, (unsigned long long)seed, bos0, pin0,
	       drv_meminfo_kb("SUnreclaim"), drv_meminfo_kb("MemFree"));
	fflush(stdout);
	fflush(stderr);

	t0 = now_s();
	for (unsigned int p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid < 0)
			return -1;
		if (pid)
			continue;
		pthread_t tid[64];
		struct worker w[64];

		for (unsigned int t = 0; t < threads; t++) {
			w[t] = (struct worker){
				.proc = p, .thread = t, .deadline = t0 + seconds,
				.seed = seed * 0x9e3779b97f4a7c15ull + p * 64 + t + 1,
				.out = &shared[p * threads + t], .verbose = verbose,
			};
			if (pthread_create(&tid[t], NULL, worker_main, &w[t]))
				_exit(1);
		}
		for (unsigned int t = 0; t < threads; t++)
			pthread_join(tid[t], NULL);
		_exit(0);
	}
	/*
	 * Reap the workers; on runs of two minutes or more, a line a minute
	 * with the jobs so far and the memory the kernel holds, so that a long
	 * run shows whether anything grows (the end state alone hides a leak
	 * that a later free masks).
	 */
	for (unsigned int reaped = 0, tick = 1; reaped < procs;) {
		int status = 0;
		pid_t r = waitpid(-1, &status, seconds >= 120 ? WNOHANG : 0);

		if (r > 0) {
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				fprintf(stderr, "soak: a process died (status %#x)\n", status);
				bad = 1;
			}
			reaped++;
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "soak: wait: %s\n", strerror(errno));
			bad = 1;
			break;
		}
		sleep(1);
		if (now_s() - t0 < 60.0 * tick)
			continue;
		tick++;
		soak_progress(shared, procs * threads, now_s() - t0);
	}
	dt = now_s() - t0;
	for (unsigned int i = 0; i < procs * threads; i++) {
		struct counts *c = &shared[i];

		if (verbose)
			printf(SOAK_PFX "soak: %u.%u jobs %llu checked %llu\n", i / threads,
			       i % threads, (unsigned long long)c->jobs,
			       (unsigned long long)c->checked);
		tot.jobs += c->jobs;
		tot.checked += c->checked;
		tot.wrong += c->wrong;
		tot.lost += c->lost;
		tot.bad_tag += c->bad_tag;
		tot.failed += c->failed;
		tot.errors += c->errors;
	}
	munmap(shared, sizeof(*shared) * procs * threads);
	/* Every job accounted for: checked, failed, or lost. */
	tot.lost += tot.jobs - tot.checked - tot.failed - tot.lost;

	if (settle(bos0, pin0))
		bad = 1;
	bos1 = drv_stat("bos");
	pin1 = drv_stat("pinned_pages");
	sub1 = drv_stat("submitted") - sub0;
	comp1 = drv_stat("completed") - comp0;
	fail1 = drv_stat("failed") - fail0;
	res->kernel_bad = kmsg_bad(kfd);
	if (kfd >= 0)
		close(kfd);
	printf(SOAK_PFX "soak: driver submitted %lld completed %lld failed %lld; bos %lld (baseline %lld) pinned_pages %lld (baseline %lld); slab_unreclaimable_kb %lld memfree_kb %lld; %u kernel warnings\n",
	       sub1, comp1, fail1, bos1, bos0, pin1, pin0, drv_meminfo_kb("SUnreclaim"),
	       drv_meminfo_kb("MemFree"), res->kernel_bad);
	if (sub1 != comp1 + fail1 || fail1 != 0 || sub1 < (long long)tot.jobs ||
	    res->kernel_bad)
		bad = 1;
	if (tot.wrong || tot.lost || tot.bad_tag || tot.failed || tot.errors ||
	    tot.checked != tot.jobs || !tot.jobs)
		bad = 1;
	printf(SOAK_PFX "soak: %llu jobs, %llu checked, %llu wrong, %llu lost, %llu foreign tags, %llu failed, %llu errors, %.1f s, %.0f jobs/s: %s\n",
	       (unsigned long long)tot.jobs, (unsigned long long)tot.checked,
	       (unsigned long long)tot.wrong, (unsigned long long)tot.lost,
	       (unsigned long long)tot.bad_tag, (unsigned long long)tot.failed,
	       (unsigned long long)tot.errors, dt, tot.jobs / dt, bad ? "FAIL" : "ok");
	fflush(stdout);
	res->tot = tot;
	res->seconds = dt;
	res->ok = !bad;
	return 0;
}

#ifndef SOAK_NO_MAIN
int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "procs", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'x' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 }
	};
	unsigned int procs = 3, threads = 2, seconds = 180;
	uint64_t seed = 1;
	struct soak_result res;
	int verbose = 0, opt;

	while ((opt = getopt_long(argc, argv, "s:p:t:x:v", opts, NULL)) != -1) {
		switch (opt) {
		case 's': seconds = strtoul(optarg, NULL, 0); break;
		case 'p': procs = strtoul(optarg, NULL, 0); break;
		case 't': threads = strtoul(optarg, NULL, 0); break;
		case 'x': seed = strtoull(optarg, NULL, 0); break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: %s [--seconds S] [--procs N] [--threads M] [--seed X] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (!procs || !threads || procs > 64 || threads > 64) {
		fprintf(stderr, "soak: 1..64 processes and threads\n");
		return 2;
	}
	if (soak_run(procs, threads, seconds, seed, verbose, &res))
		return 1;
	return res.ok ? 0 : 1;
}
#endif
