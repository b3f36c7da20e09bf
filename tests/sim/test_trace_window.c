// SPDX-License-Identifier: MIT
/*
 * Waveform trace windows (qsim_config.trace_start/trace_cycles/trace_job):
 * a windowed FST holds exactly the window's time stamps, and a job window
 * is far smaller than the whole run's trace; and every signal of the
 * GTKWave save file hw/gtkwave/qaccel.gtkw exists in the model's trace.
 * Runs NOP jobs on the 4x4 RTL built with tracing
 * (build/sim/4x4-trace/libqsim.a), reads the FST back with GTKWave's
 * fst2vcd, and loads the save file in GTKWave itself (under xvfb-run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "qsim_host.h"

#define JOBS		3
#define MAX_CYCLES	1000000u

/* First and last time stamp of an FST file, and how many there are. */
struct span {
	long long first, last, stamps;
	long long bytes;
};

static int fst_span(const char *path, struct span *s)
{
	char cmd[512], line[4096];
	struct stat st;
	FILE *p;

	if (stat(path, &st))
		return -1;
	s->bytes = st.st_size;
	s->first = -1;
	s->last = -1;
	s->stamps = 0;
	snprintf(cmd, sizeof(cmd), "fst2vcd '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (line[0] != '#')
			continue;
		long long t = atoll(line + 1);

		if (s->first < 0)
			s->first = t;
		s->last = t;
		s->stamps++;
	}
	return pclose(p) == 0 && s->stamps > 0 ? 0 : -1;
}

/*
 * Run JOBS NOPs one after another: job i is pushed at cycle start_at[i]
 * and its record has been seen by cycle done_at[i].
 */
static int run_nops(const struct qsim_host_config *cfg, uint64_t *start_at, uint64_t *done_at)
{
	struct qsim_host h;
	struct qsim_stats st;
	int ret = qsim_host_open(&h, cfg);

	if (ret)
		return ret;
	qsim_host_rings_start(&h);
	for (int i = 0; i < JOBS && !ret; i++) {
		struct qaccel_hw_desc d = { .opcode = QACCEL_OP_NOP };
		struct qaccel_hw_cqe cqe;

		d.tag = qsim_host_next_tag(&h);
		qsim_get_stats(h.q, &st);
		start_at[i] = st.cycles;
		ret = qsim_host_run_desc(&h, &d, &cqe, MAX_CYCLES);
		qsim_get_stats(h.q, &st);
		done_at[i] = st.cycles;
	}
	if (!ret)
		ret = qsim_host_run_until_idle(&h, MAX_CYCLES);
	qsim_host_close(&h);
	return ret;
}

FIXTURE(trace) {
	char dir[64];
	char path[128];
	struct qsim_host_config cfg;
	uint64_t start_at[JOBS], done_at[JOBS];
};

FIXTURE_SETUP(trace)
{
	strcpy(self->dir, "/tmp/qaccel-trace.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/t.fst", self->dir);
	memset(&self->cfg, 0, sizeof(self->cfg));
	self->cfg.trace_path = self->path;
}

FIXTURE_TEARDOWN(trace)
{
	unlink(self->path);
	rmdir(self->dir);
}

TEST_F(trace, cycle_window_holds_exactly_its_cycles)
{
	struct span s;

	self->cfg.trace_start = 500;
	self->cfg.trace_cycles = 300;
	ASSERT_EQ(0, run_nops(&self->cfg, self->start_at, self->done_at));
	ASSERT_EQ(0, fst_span(self->path, &s)) TH_LOG("fst2vcd could not read %s", self->path);
	/* Two time stamps per cycle (clock low, clock high). */
	EXPECT_EQ(2 * 500, s.first);
	EXPECT_EQ(2 * (500 + 300) - 1, s.last);
	EXPECT_EQ(2 * 300, s.stamps);
}

TEST_F(trace, job_window_holds_only_that_job_and_is_small)
{
	struct span whole, job;
	uint64_t tail = 100;

	ASSERT_EQ(0, run_nops(&self->cfg, self->start_at, self->done_at));
	ASSERT_EQ(0, fst_span(self->path, &whole));
	unlink(self->path);

	self->cfg.trace_job = 2;
	self->cfg.trace_cycles = tail;
	ASSERT_EQ(0, run_nops(&self->cfg, self->start_at, self->done_at));
	ASSERT_EQ(0, fst_span(self->path, &job));
	TH_LOG("whole run: %lld bytes, %lld time stamps; job 2: %lld bytes, %lld time stamps",
	       whole.bytes, whole.stamps, job.bytes, job.stamps);
	/*
	 * It opens when job 1's record is accepted (after job 1 was pushed,
	 * by the time the host saw the record) and closes the tail after job
	 * 2's record is accepted: job 2, from its push to its record, is in.
	 */
	EXPECT_GT(job.first, 2 * (long long)self->start_at[0]);
	EXPECT_LE(job.first, 2 * (long long)self->done_at[0]);
	EXPECT_GE(job.last, 2 * (long long)self->start_at[1]);
	EXPECT_LE(job.last, 2 * (long long)(self->done_at[1] + tail + 1));
	EXPECT_LT(job.stamps, whole.stamps / 2);
	EXPECT_LT(job.bytes, whole.bytes);
}

/* Signal lines of a save file: everything that is not a directive. */
static int gtkw_signals(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += line[0] != '[' && line[0] != '@' && line[0] != '-' &&
		     line[0] != '*' && line[0] != '\n';
	fclose(f);
	return n;
}

TEST_F(trace, gtkwave_save_file_signals_all_exist_in_the_trace)
{
	char cmd[1024], line[512], tcl[160];
	int want, shown = -1;
	FILE *p;

	want = gtkw_signals(QACCEL_GTKW);
	ASSERT_LT(10, want) TH_LOG("cannot read %s", QACCEL_GTKW);
	self->cfg.trace_job = 1;
	ASSERT_EQ(0, run_nops(&self->cfg, self->start_at, self->done_at));
	snprintf(tcl, sizeof(tcl), "%s/list.tcl", self->dir);
	p = fopen(tcl, "w");
	ASSERT_NE(NULL, p);
	fputs("puts \"SHOWN [llength [gtkwave::getDisplayedSignals]]\"\n"
	      "gtkwave::/File/Quit\n", p);
	fclose(p);
	snprintf(cmd, sizeof(cmd), "timeout 120 xvfb-run -a gtkwave -S '%s' '%s' '%s' 2>&1",
		 tcl, self->path, QACCEL_GTKW);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p))
		sscanf(line, "SHOWN %d", &shown);
	pclose(p);
	unlink(tcl);
	/* GTKWave drops a signal the trace does not have. */
	EXPECT_EQ(want, shown) TH_LOG("%s names %d signals, GTKWave found %d",
				      QACCEL_GTKW, want, shown);
}

TEST_HARNESS_MAIN
