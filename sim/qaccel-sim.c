// SPDX-License-Identifier: MIT
/*
 * qaccel-sim: the qaccel device as a host process.
 *
 * QEMU's ivshmem-doorbell device connects to it.  The guest reads registers
 * from a mirror in BAR2 and writes them through a mailbox in BAR2 plus a
 * doorbell (include/qaccel_hw.h, "ivshmem transport"); the device model
 * (sim/qsim.h) does DMA straight into the guest's RAM file and its interrupt
 * becomes an MSI-X eventfd.  The loop below blocks in epoll while the model
 * is idle and otherwise runs it in slices, looking for doorbells in between.
 * The model is the Verilated RTL, or with --functional the C model of the
 * same device (sim/qsim_func.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qaccel_hw.h"
#include "qsim.h"
#include "server_ivshmem.h"

/*
 * A busy slice runs the model for at most SLICE_CYCLES and at most
 * SLICE_SECONDS of wall time, in steps of SLICE_STEP cycles, then looks for
 * doorbells and applies the mailbox.  The cycle bound keeps the epoll check
 * cheap on fast models; the time bound keeps the guest's register writes
 * waiting milliseconds, not seconds, on slow ones (50,000 cycles are
 * about 2 s at 32x32, and longer on a loaded host, where the driver gives a
 * write a bounded time before it declares the device gone).  Splitting a
 * run into steps does not change what the model does.
 */
#define SLICE_CYCLES	50000u
#define SLICE_STEP	2000u
#define SLICE_SECONDS	0.005
/*
 * While a hang is armed the model runs in steps this short, so that the
 * device stops right after the completion record that used up the count.
 */
#define FAULT_STEP_CYCLES	16u

struct options {
	const char *socket_path;
	const char *mem_path;
	uint64_t mem_size;	/* 0: use the existing file's size */
	unsigned int latency, bytes_per_cycle;
	const char *trace_path;
	uint64_t trace_start, trace_cycles;
	unsigned int trace_job;
	const char *pidfile;
	int ready_fd;
	bool stats, verbose;
	bool functional;	/* the C model instead of the RTL */
	bool fault_injection;	/* take QACCEL_SIM_REG_* writes from the guest */
	uint32_t hang_after;	/* --fault hang-after=N, or QACCEL_SIM_HANG_OFF */
};

struct device {
	struct qsim *q;
	volatile uint32_t *regs;	/* register mirror in BAR2 */
	struct qaccel_mbox *mbox;	/* write mailbox in BAR2 */
	uint32_t tail;			/* mailbox entries applied so far */
	bool irq;			/* irq_o as last seen */
	struct ivshmem_server srv;
	/* Fault injection: completions left before a hang, or QACCEL_SIM_HANG_*. */
	bool fault_injection;
	uint32_t hang_left;
	uint32_t fault;			/* armed QACCEL_SIM_FAULT_* (one-shot) */
	bool die;			/* QACCEL_SIM_FAULT_DIE: leave the loop */
	uint8_t *mem;			/* guest RAM, for BAD_CQE */
	uint64_t mem_size;
	bool functional;
	/* For --stats. */
	uint64_t wakeups, mbox_writes, mbox_ignored, irqs_sent;
	/*
	 * The device's share of a round trip, in host time: from applying an
	 * SQ_TAIL write that finds the device idle to the interrupt it raises
	 * (or to idle again, when none is due): since when, sum, worst, count.
	 */
	double submit_at, submit_sum, submit_max;
	uint64_t submits;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* A timed submission was served (see struct device). */
static void served(struct device *d)
{
	double dt;

	if (!d->submit_at)
		return;
	dt = now_s() - d->submit_at;
	d->submit_sum += dt;
	d->submit_max = dt > d->submit_max ? dt : d->submit_max;
	d->submits++;
	d->submit_at = 0;
}

/* Registers the device changes on its own, refreshed after every run. */
static const uint32_t live_regs[] = {
	QACCEL_REG_STATUS, QACCEL_REG_SQ_HEAD, QACCEL_REG_CQ_TAIL,
	QACCEL_REG_INT_STATUS, QACCEL_REG_ERR_CODE, QACCEL_REG_ERR_ADDR_LO,
	QACCEL_REG_ERR_ADDR_HI,
};

static void mirror(struct device *d, uint32_t offset)
{
	d->regs[offset / 4] = qsim_reg_read(d->q, offset);
}

static bool hung(const struct device *d)
{
	return d->hang_left == QACCEL_SIM_HANG_NOW;
}

/* The fault-injection registers exist only in the mirror, never in the RTL. */
static void mirror_fault(struct device *d)
{
	d->regs[QACCEL_SIM_REG_FAULT_ID / 4] = d->fault_injection ? QACCEL_SIM_FAULT_MAGIC : 0;
	d->regs[QACCEL_SIM_REG_HANG_AFTER / 4] = d->hang_left;
	d->regs[QACCEL_SIM_REG_FAULT / 4] = d->fault;
}

static uint64_t reg64(struct device *d, uint32_t lo)
{
	return qsim_reg_read(d->q, lo) | (uint64_t)qsim_reg_read(d->q, lo + 4) << 32;
}

/* A one-shot fault from the guest (QACCEL_SIM_FAULT_*). */
static void arm_fault(struct device *d, uint32_t code)
{
	static const char *const what[] = {
		"none", "lost interrupt", "DMA error", "bad completion record", "device gone",
	};

	if (code > QACCEL_SIM_FAULT_DIE)
		return;
	fprintf(stderr, "qaccel-sim: fault armed: %s\n", what[code]);
	d->fault = code;
	if (code == QACCEL_SIM_FAULT_DMA_ERROR) {
		/* Descriptor fetches pass; the next job's own reads fail. */
		uint64_t sq = reg64(d, QACCEL_REG_SQ_BASE_LO);

		qsim_inject_read_error(d->q, sq,
				       sq + (uint64_t)qsim_reg_read(d->q, QACCEL_REG_SQ_SIZE) *
				       sizeof(struct qaccel_hw_desc));
	}
	if (code == QACCEL_SIM_FAULT_DIE)
		d->die = true;
	mirror_fault(d);
}

/* BAD_CQE: flip bits of the tag of the record just written at CQ_TAIL - 1. */
static void corrupt_last_cqe(struct device *d)
{
	uint64_t base = reg64(d, QACCEL_REG_CQ_BASE_LO);
	uint32_t size = qsim_reg_read(d->q, QACCEL_REG_CQ_SIZE);
	uint32_t slot = (qsim_reg_read(d->q, QACCEL_REG_CQ_TAIL) + size - 1) % size;
	uint64_t at = base + (uint64_t)slot * sizeof(struct qaccel_hw_cqe);

	if (d->mem && at + sizeof(struct qaccel_hw_cqe) <= d->mem_size) {
		struct qaccel_hw_cqe *cqe = (struct qaccel_hw_cqe *)(d->mem + at);

		cqe->tag ^= 0x00a50000u;
		fprintf(stderr, "qaccel-sim: fault injected: completion record %u corrupted\n",
			slot);
	}
	d->fault = QACCEL_SIM_FAULT_NONE;
	mirror_fault(d);
}

static void arm_hang(struct device *d, uint32_t after)
{
	d->hang_left = after ? after : QACCEL_SIM_HANG_NOW;
	if (hung(d))
		fprintf(stderr, "qaccel-sim: fault injected: device hangs\n");
	mirror_fault(d);
}

static void mirror_all(struct device *d)
{
	for (uint32_t off = 0; off < QACCEL_REG_END; off += 4)
		mirror(d, off);
	mirror_fault(d);
}

static void mirror_live(struct device *d, bool counters)
{
	for (size_t i = 0; i < sizeof(live_regs) / sizeof(live_regs[0]); i++)
		mirror(d, live_regs[i]);
	/* Counters cost one register read each: only after cycles ran. */
	if (counters)
		for (uint32_t off = QACCEL_REG_CNT_CYCLES; off < QACCEL_REG_END; off += 4)
			mirror(d, off);
}

/* Raise MSI-X on a rising irq, or when irq stays high after an INT_STATUS write. */
static void update_irq(struct device *d, bool int_status_written)
{
	bool irq = qsim_irq(d->q);

	if (irq && (!d->irq || int_status_written)) {
		if (d->fault == QACCEL_SIM_FAULT_LOST_IRQ) {
			fprintf(stderr, "qaccel-sim: fault injected: interrupt not sent\n");
			d->fault = QACCEL_SIM_FAULT_NONE;
			mirror_fault(d);
		} else {
			ivshmem_notify(&d->srv, QACCEL_MSIX_IRQ);
			d->irqs_sent++;
			served(d);
		}
	}
	d->irq = irq;
}

/* Perform the guest's queued register writes, in order. */
static void apply_mailbox(struct device *d)
{
	uint32_t head = __atomic_load_n(&d->mbox->head, __ATOMIC_ACQUIRE);
	bool ctrl_written = false, int_status_written = false;

	if (head == d->tail)
		return;
	if (head - d->tail > QACCEL_MBOX_ENTRIES) {
		/* The guest overran the ring: its entries are gone. */
		d->mbox_ignored += head - d->tail;
		d->tail = head;
	}
	while (d->tail != head) {
		const volatile struct qaccel_mbox_entry *e =
			&d->mbox->entry[d->tail % QACCEL_MBOX_ENTRIES];
		uint32_t offset = e->offset, value = e->value;

		d->tail++;
		if (offset == QACCEL_SIM_REG_HANG_AFTER && d->fault_injection) {
			arm_hang(d, value);
			continue;
		}
		if (offset == QACCEL_SIM_REG_FAULT && d->fault_injection) {
			arm_fault(d, value);
			continue;
		}
		if (offset >= QACCEL_WIN_MBOX || offset % 4) {
			d->mbox_ignored++;
			continue;
		}
		if (offset == QACCEL_REG_SQ_TAIL && !d->submit_at && qsim_idle(d->q))
			d->submit_at = now_s();
		qsim_reg_write(d->q, offset, value);
		d->mbox_writes++;
		ctrl_written |= offset == QACCEL_REG_CTRL;
		/* A reset is what ends a hang. */
		if (offset == QACCEL_REG_CTRL && (value & QACCEL_CTRL_RESET) && hung(d))
			d->hang_left = QACCEL_SIM_HANG_OFF;
		int_status_written |= offset == QACCEL_REG_INT_STATUS;
		if (offset < QACCEL_REG_END)
			mirror(d, offset);
	}
	/* A doorbell that gave the device nothing to do is no submission. */
	if (qsim_idle(d->q))
		d->submit_at = 0;
	/* A reset changes every register. */
	if (ctrl_written)
		mirror_all(d);
	else
		mirror_live(d, false);
	/* The mirror is current before the guest sees its writes consumed. */
	__atomic_store_n(&d->mbox->tail, d->tail, __ATOMIC_RELEASE);
	update_irq(d, int_status_written);
}

static uint32_t jobs_done(struct device *d)
{
	return qsim_reg_read(d->q, QACCEL_REG_CNT_JOBS);
}

/* Run up to @cycles; stop as soon as an armed hang's count runs out. */
static void run_armed(struct device *d, unsigned int cycles)
{
	for (unsigned int done = 0; done < cycles && !qsim_idle(d->q); done += FAULT_STEP_CYCLES) {
		uint32_t before = jobs_done(d), n;

		qsim_run(d->q, FAULT_STEP_CYCLES);
		n = jobs_done(d) - before;
		if (n >= d->hang_left) {
			arm_hang(d, 0);
			return;
		}
		d->hang_left -= n;
	}
	mirror_fault(d);
}

/* BAD_CQE armed: run in short steps until a record is written, corrupt it. */
static void run_bad_cqe(struct device *d, unsigned int cycles)
{
	for (unsigned int done = 0; done < cycles && !qsim_idle(d->q); done += FAULT_STEP_CYCLES) {
		uint32_t tail = qsim_reg_read(d->q, QACCEL_REG_CQ_TAIL);

		qsim_run(d->q, FAULT_STEP_CYCLES);
		if (qsim_reg_read(d->q, QACCEL_REG_CQ_TAIL) != tail) {
			corrupt_last_cqe(d);
			return;
		}
	}
}

static void run_bounded(struct qsim *q, unsigned int cycles)
{
	double start = now_s();

	for (unsigned int done = 0; done < cycles; done += SLICE_STEP) {
		unsigned int step = cycles - done < SLICE_STEP ? cycles - done : SLICE_STEP;

		if (qsim_run(q, step) != QSIM_STOP_LIMIT || now_s() - start >= SLICE_SECONDS)
			return;
	}
}

static void run_slice(struct device *d)
{
	struct qsim_stats before, after;

	qsim_get_stats(d->q, &before);
	if (d->hang_left != QACCEL_SIM_HANG_OFF)
		run_armed(d, SLICE_CYCLES);
	else if (d->fault == QACCEL_SIM_FAULT_BAD_CQE)
		run_bad_cqe(d, SLICE_CYCLES);
	else
		run_bounded(d->q, SLICE_CYCLES);
	if (d->fault == QACCEL_SIM_FAULT_DMA_ERROR && !qsim_read_error_pending(d->q)) {
		fprintf(stderr, "qaccel-sim: fault injected: read answered with SLVERR\n");
		d->fault = QACCEL_SIM_FAULT_NONE;
		mirror_fault(d);
	}
	qsim_get_stats(d->q, &after);
	mirror_live(d, after.cycles != before.cycles);
	update_irq(d, false);
	if (qsim_idle(d->q))
		served(d);
}

static void print_stats(struct device *d)
{
	struct qsim_stats st;
	uint64_t jobs;

	qsim_get_stats(d->q, &st);
	jobs = qsim_reg_read(d->q, QACCEL_REG_CNT_JOBS) |
	       (uint64_t)qsim_reg_read(d->q, QACCEL_REG_CNT_JOBS + 4) << 32;
	fprintf(stderr,
		"qaccel-sim stats: array %ux%u%s\n"
		"  cycles          %" PRIu64 "%s\n"
		"  jobs            %" PRIu64 "\n"
		"  dma read bytes  %" PRIu64 " (%" PRIu64 " bursts)\n"
		"  dma write bytes %" PRIu64 " (%" PRIu64 " bursts)\n"
		"  axi errors      %" PRIu64 "\n"
		"  wakeups         %" PRIu64 "\n"
		"  register writes %" PRIu64 " (%" PRIu64 " ignored)\n"
		"  interrupts      %" PRIu64 "\n"
		"  service time    %.1f us mean, %.1f us max: host time from a doorbell to\n"
		"                  an idle device until its interrupt (%" PRIu64 " timed)\n",
		qsim_rows(), qsim_cols(), d->functional ? ", functional model" : "",
		st.cycles, d->functional ? " (estimated)" : "", jobs, st.rd_bytes, st.rd_bursts,
		st.wr_bytes, st.wr_bursts, st.axi_errors, d->wakeups, d->mbox_writes,
		d->mbox_ignored, d->irqs_sent,
		d->submits ? d->submit_sum / d->submits * 1e6 : 0.0, d->submit_max * 1e6,
		d->submits);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: qaccel-sim --socket PATH [options]\n"
"The qaccel device (%ux%u array): an ivshmem-doorbell server for one QEMU.\n"
"  --socket PATH           UNIX socket to listen on (QEMU: -chardev socket,path=PATH)\n"
"  --functional            serve the device from its functional C model instead of\n"
"                          the RTL: the same registers, rings, results and errors,\n"
"                          CAPS bit 31 (functional) set, cycle counts estimated\n"
"                          (sim/qsim_func.c); for fast software work\n"
"  --guest-mem PATH        the guest RAM file (QEMU memory-backend-file, share=on);\n"
"                          the device's DMA reaches offsets below its size\n"
"  --guest-mem-size SIZE   create PATH with this size (K/M/G suffix) before QEMU\n"
"                          starts; without it PATH must exist\n"
"  --latency N             memory latency in cycles (default %u)\n"
"  --bytes-per-cycle N     memory bandwidth, 1..64 (default %u)\n"
"  --trace FILE.fst        waveform trace (model built with tracing only)\n"
"  --trace-job N           trace only the N-th job since start (from the previous\n"
"                          job's completion record to this one's, and %u cycles)\n"
"  --trace-start CYCLE     trace from this device cycle on ...\n"
"  --trace-cycles N        ... for N cycles (with --trace-job: after its record)\n"
"  --stats                 print cycles, jobs, DMA bytes, wakeups on exit\n"
"  --pidfile FILE          write the process id there\n"
"  --ready-fd N            write \"ready\\n\" to fd N and close it once listening\n"
"  --verbose               say when QEMU connects and leaves\n"
"  --fault-injection       let the guest inject faults: a write of N to the\n"
"                          window offset QACCEL_SIM_REG_HANG_AFTER (0x%x) makes\n"
"                          the device hang after N more completions, until\n"
"                          CTRL.RESET (the driver's debugfs fault_hang_after);\n"
"                          a write of a QACCEL_SIM_FAULT_* code to 0x808 arms a\n"
"                          one-shot lost interrupt (1), DMA error (2), corrupted\n"
"                          completion record (3) or device exit (4)\n"
"  --fault hang-after=N    inject that hang from the start (implies\n"
"                          --fault-injection)\n"
"It exits when QEMU disconnects, or on SIGTERM/SIGINT, removing the socket.\n",
		qsim_rows(), qsim_cols(), QSIM_DEFAULT_LATENCY, QSIM_DEFAULT_BYTES_PER_CYCLE,
		QSIM_TRACE_JOB_TAIL, QACCEL_SIM_REG_HANG_AFTER);
}

static bool parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > 0xffffffffu)
		return false;
	*out = v;
	return true;
}

static bool parse_count(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return false;
	*out = v;
	return true;
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || v == 0 || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { O_SOCKET = 256, O_MEM, O_MEM_SIZE, O_LATENCY, O_BPC, O_TRACE,
	       O_TRACE_JOB, O_TRACE_START, O_TRACE_CYCLES,
	       O_STATS, O_PIDFILE, O_READY, O_VERBOSE, O_FAULT_INJ, O_FAULT, O_FUNCTIONAL,
	       O_HELP };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "guest-mem", required_argument, NULL, O_MEM },
		{ "guest-mem-size", required_argument, NULL, O_MEM_SIZE },
		{ "latency", required_argument, NULL, O_LATENCY },
		{ "bytes-per-cycle", required_argument, NULL, O_BPC },
		{ "trace", required_argument, NULL, O_TRACE },
		{ "trace-job", required_argument, NULL, O_TRACE_JOB },
		{ "trace-start", required_argument, NULL, O_TRACE_START },
		{ "trace-cycles", required_argument, NULL, O_TRACE_CYCLES },
		{ "stats", no_argument, NULL, O_STATS },
		{ "pidfile", required_argument, NULL, O_PIDFILE },
		{ "ready-fd", required_argument, NULL, O_READY },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "fault-injection", no_argument, NULL, O_FAULT_INJ },
		{ "fault", required_argument, NULL, O_FAULT },
		{ "functional", no_argument, NULL, O_FUNCTIONAL },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int fd;
	int c, idx = 0;

	memset(o, 0, sizeof(*o));
	o->ready_fd = -1;
	o->hang_after = QACCEL_SIM_HANG_OFF;
	while ((c = getopt_long(argc, argv, "hv", longopts, &idx)) != -1) {
		bool ok = true;

		switch (c) {
		case O_SOCKET: o->socket_path = optarg; break;
		case O_MEM: o->mem_path = optarg; break;
		case O_MEM_SIZE: ok = parse_size(optarg, &o->mem_size); break;
		case O_LATENCY: ok = parse_uint(optarg, &o->latency); break;
		case O_BPC:
			ok = parse_uint(optarg, &o->bytes_per_cycle) &&
			     o->bytes_per_cycle >= 1 && o->bytes_per_cycle <= 64;
			break;
		case O_TRACE: o->trace_path = optarg; break;
		case O_TRACE_JOB: ok = parse_uint(optarg, &o->trace_job) && o->trace_job; break;
		case O_TRACE_START: ok = parse_count(optarg, &o->trace_start); break;
		case O_TRACE_CYCLES:
			ok = parse_count(optarg, &o->trace_cycles) && o->trace_cycles;
			break;
		case O_STATS: o->stats = true; break;
		case O_PIDFILE: o->pidfile = optarg; break;
		case O_READY:
			ok = parse_uint(optarg, &fd) && fd <= 1023;
			o->ready_fd = fd;
			break;
		case 'v': case O_VERBOSE: o->verbose = true; break;
		case O_FAULT_INJ: o->fault_injection = true; break;
		case O_FUNCTIONAL: o->functional = true; break;
		case O_FAULT:
			ok = !strncmp(optarg, "hang-after=", 11) &&
			     parse_uint(optarg + 11, &o->hang_after) &&
			     o->hang_after < QACCEL_SIM_HANG_NOW;
			o->fault_injection = true;
			break;
		case 'h': case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
		if (!ok) {
			fprintf(stderr, "qaccel-sim: bad value for --%s: %s\n",
				longopts[idx].name, optarg);
			exit(2);
		}
	}
	if (optind != argc || !o->socket_path) {
		usage(stderr);
		exit(2);
	}
	if (o->mem_size && !o->mem_path) {
		fprintf(stderr, "qaccel-sim: --guest-mem-size needs --guest-mem\n");
		exit(2);
	}
	if ((o->trace_job || o->trace_start || o->trace_cycles) && !o->trace_path) {
		fprintf(stderr, "qaccel-sim: --trace-job, --trace-start and --trace-cycles need --trace\n");
		exit(2);
	}
	if (o->trace_job && o->trace_start) {
		fprintf(stderr, "qaccel-sim: --trace-job and --trace-start exclude each other\n");
		exit(2);
	}
	if (o->functional && o->trace_path) {
		fprintf(stderr, "qaccel-sim: --trace needs the RTL; the functional model has no waveform\n");
		exit(2);
	}
}

static void *map_guest_mem(const struct options *o, uint64_t *size)
{
	struct stat st;
	void *p;
	int fd;

	fd = open(o->mem_path, O_RDWR | O_CLOEXEC | (o->mem_size ? O_CREAT : 0), 0600);
	if (fd < 0 || (o->mem_size && ftruncate(fd, o->mem_size) < 0) || fstat(fd, &st) < 0) {
		fprintf(stderr, "qaccel-sim: %s: %s\n", o->mem_path, strerror(errno));
		exit(1);
	}
	if (st.st_size == 0) {
		fprintf(stderr, "qaccel-sim: %s is empty (give --guest-mem-size)\n", o->mem_path);
		exit(1);
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "qaccel-sim: mmap %s: %s\n", o->mem_path, strerror(errno));
		exit(1);
	}
	close(fd);
	*size = st.st_size;
	return p;
}

static void *map_window(int *fd_out)
{
	int fd = memfd_create("qaccel-bar2", MFD_CLOEXEC);
	void *p;

	if (fd < 0 || ftruncate(fd, QACCEL_WIN_SIZE) < 0) {
		perror("qaccel-sim: memfd");
		exit(1);
	}
	p = mmap(NULL, QACCEL_WIN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("qaccel-sim: mmap window");
		exit(1);
	}
	*fd_out = fd;
	return p;
}

static void epoll_add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("qaccel-sim: epoll_ctl");
		exit(1);
	}
}

static void announce_ready(const struct options *o)
{
	if (o->pidfile) {
		FILE *f = fopen(o->pidfile, "w");

		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
			fprintf(stderr, "qaccel-sim: %s: %s\n", o->pidfile, strerror(errno));
			exit(1);
		}
	}
	if (o->ready_fd >= 0) {
		if (write(o->ready_fd, "ready\n", 6) != 6)
			perror("qaccel-sim: --ready-fd");
		close(o->ready_fd);
	}
}

int main(int argc, char **argv)
{
	struct qsim_config cfg = { 0 };
	struct epoll_event evs[8];
	struct options o;
	struct device d = { 0 };
	sigset_t sigs;
	int ep, sfd, shm_fd, err;
	uint8_t *win;

	parse_options(argc, argv, &o);

	/* Signals arrive through epoll so that cleanup happens in one place. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);

	if (o.mem_path)
		cfg.mem = map_guest_mem(&o, &cfg.mem_size);
	d.mem = cfg.mem;
	d.mem_size = cfg.mem_size;
	cfg.mem_latency = o.latency;
	cfg.mem_bytes_per_cycle = o.bytes_per_cycle;
	cfg.trace_path = o.trace_path;
	cfg.trace_job = o.trace_job;
	cfg.trace_start = o.trace_start;
	cfg.trace_cycles = o.trace_cycles;
	cfg.functional = o.functional;
	d.functional = o.functional;
	d.q = qsim_new(&cfg);
	if (!d.q) {
		perror("qaccel-sim: qsim_new");
		return 1;
	}
	win = map_window(&shm_fd);
	d.regs = (volatile uint32_t *)(win + QACCEL_WIN_REGS);
	d.mbox = (struct qaccel_mbox *)(win + QACCEL_WIN_MBOX);

	/* The driver's probe reads the ID magic as soon as the guest boots. */
	d.fault_injection = o.fault_injection;
	d.hang_left = o.hang_after;
	if (!d.hang_left)
		d.hang_left = QACCEL_SIM_HANG_NOW;
	qsim_reset(d.q);
	mirror_all(&d);
	d.irq = qsim_irq(d.q);

	err = ivshmem_listen(&d.srv, o.socket_path, shm_fd);
	if (err) {
		fprintf(stderr, "qaccel-sim: %s: %s\n", o.socket_path, strerror(-err));
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || sfd < 0) {
		perror("qaccel-sim: epoll/signalfd");
		ivshmem_close(&d.srv);
		return 1;
	}
	epoll_add(ep, sfd);
	epoll_add(ep, d.srv.listen_fd);
	announce_ready(&o);
	if (o.verbose)
		fprintf(stderr, "qaccel-sim: %ux%u array%s, listening on %s\n",
			qsim_rows(), qsim_cols(), o.functional ? " (functional model)" : "",
			o.socket_path);

	for (;;) {
		bool connected = d.srv.client_fd >= 0;
		bool busy = connected && !hung(&d) && !qsim_idle(d.q);
		int n = epoll_wait(ep, evs, 8, busy ? 0 : -1);

		if (n < 0 && errno != EINTR) {
			perror("qaccel-sim: epoll_wait");
			break;
		}
		if (n > 0 && !busy)
			d.wakeups++;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				if (o.verbose)
					fprintf(stderr, "qaccel-sim: signal, exiting\n");
				goto out;
			} else if (fd == d.srv.listen_fd) {
				err = ivshmem_accept(&d.srv);
				if (err < 0) {
					fprintf(stderr, "qaccel-sim: handshake: %s\n", strerror(-err));
				} else if (err == 0) {
					fprintf(stderr, "qaccel-sim: refused a second client\n");
				} else {
					epoll_add(ep, d.srv.client_fd);
					for (unsigned int v = 0; v < QACCEL_NUM_VECTORS; v++)
						epoll_add(ep, d.srv.doorbell_fd[v]);
					if (o.verbose)
						fprintf(stderr, "qaccel-sim: QEMU connected\n");
				}
			} else if (fd == d.srv.client_fd) {
				if (ivshmem_client_gone(&d.srv)) {
					if (o.verbose)
						fprintf(stderr, "qaccel-sim: QEMU left\n");
					goto out;
				}
			} else {
				ivshmem_drain_doorbells(&d.srv);
			}
		}
		if (d.srv.client_fd < 0)
			continue;
		apply_mailbox(&d);
		if (d.die) {
			/* Really gone: QEMU sees the socket close, the guest nothing more. */
			fprintf(stderr, "qaccel-sim: fault injected: device gone, exiting\n");
			break;
		}
		if (!hung(&d) && !qsim_idle(d.q))
			run_slice(&d);
	}
out:
	ivshmem_close(&d.srv);
	if (o.stats)
		print_stats(&d);
	qsim_free(d.q);
	return 0;
}
