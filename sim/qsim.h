/* SPDX-License-Identifier: MIT */
/*
 * qsim: the qaccel device as a C library.
 *
 * One struct qsim is one device: the Verilated qaccel_top (behind the thin
 * C++ shim in qsim_model.cpp), an AXI4-Lite master that performs register
 * accesses, and an AXI4 memory slave with a timing model that serves the
 * device's DMA from a host memory range.  qaccel-sim (the ivshmem server)
 * and the host RTL tests are both built on it.
 *
 * The same API also serves a functional model of the device (set
 * qsim_config.functional): a C model (qsim_func.c) with the RTL's
 * registers, rings, validation, page-table DMA and error codes, computing C
 * with qaccel_ref_gemm().  Results and completion records match the RTL's;
 * cycle counts are an estimate, and CAPS has QACCEL_CAP_FUNCTIONAL set.
 * Every call below works the same in both modes (see docs/simulation.md,
 * "Functional mode").
 */
#ifndef QSIM_H
#define QSIM_H

#include <stdint.h>
#include <stdbool.h>

struct qsim;

struct qsim_config {
	/* Memory the device's DMA reaches: device address x is mem + x for
	 * x < mem_size; any other access gets an AXI error response. */
	void *mem;
	uint64_t mem_size;
	/* Timing model: cycles from accepting a request to its first data
	 * beat (reads) or its response (writes), and sustained bytes per
	 * cycle over reads and writes together.  0 means the default. */
	unsigned int mem_latency;		/* default 200 */
	unsigned int mem_bytes_per_cycle;	/* default 64, at most 64 */
	unsigned int mem_max_outstanding;	/* default 16 requests */
	/* FST waveform file, or NULL; needs a model built with tracing. */
	const char *trace_path;
	/*
	 * The trace's window.  With trace_job N > 0: only the N-th job since
	 * the device was created, from the first SQ_TAIL write (N = 1) or the
	 * acceptance of job N-1's completion-record write, to the acceptance
	 * of job N's record plus trace_cycles (QSIM_TRACE_JOB_TAIL when 0:
	 * its write response and the interrupt).  Otherwise cycles
	 * [trace_start, trace_start + trace_cycles), trace_cycles 0 meaning
	 * to the end.  Time in the file is in half cycles (2 per clock).
	 */
	uint64_t trace_start, trace_cycles;
	unsigned int trace_job;
	/*
	 * The functional C model instead of the RTL (trace_path must be
	 * NULL).  The memory timing fields feed its cycle estimate.
	 */
	bool functional;
};

#define QSIM_DEFAULT_LATENCY		200u
#define QSIM_DEFAULT_BYTES_PER_CYCLE	64u
#define QSIM_DEFAULT_OUTSTANDING	16u
#define QSIM_TRACE_JOB_TAIL		1000u

enum qsim_stop {
	QSIM_STOP_IDLE,		/* idle_o high: nothing to do until a write */
	QSIM_STOP_IRQ,		/* irq_o rose during this run */
	QSIM_STOP_LIMIT,	/* max_cycles elapsed */
};

struct qsim_stats {
	uint64_t cycles;		/* clock edges simulated (functional: estimated) */
	uint64_t rd_bytes, wr_bytes;	/* served by the memory model */
	uint64_t rd_bursts, wr_bursts;
	uint64_t axi_errors;		/* requests answered with SLVERR */
	/* Bursts breaking the port contract (size, INCR, alignment, 4 KiB,
	 * 64 beats, wlast), reported on stderr; always a device bug. */
	uint64_t protocol_errors;
	uint64_t reg_timeouts;		/* register accesses the slave never answered */
};

/* Build a device and hold it through reset.  NULL on error (errno set). */
struct qsim *qsim_new(const struct qsim_config *cfg);
void qsim_free(struct qsim *q);

/* Pulse rst_ni: the hardware reset of the whole device. */
void qsim_reset(struct qsim *q);

/* One AXI4-Lite access; the clock runs (DMA included) while it completes. */
uint32_t qsim_reg_read(struct qsim *q, uint32_t offset);
void qsim_reg_write(struct qsim *q, uint32_t offset, uint32_t value);

/* Clock the device until idle, an irq rising edge, or max_cycles. */
enum qsim_stop qsim_run(struct qsim *q, uint64_t max_cycles);

bool qsim_irq(const struct qsim *q);
bool qsim_idle(const struct qsim *q);
void qsim_get_stats(const struct qsim *q, struct qsim_stats *st);
/*
 * Fault injection: answer the next read burst whose address is outside
 * [skip_lo, skip_hi) with SLVERR (one burst, then disarmed).
 */
void qsim_inject_read_error(struct qsim *q, uint64_t skip_lo, uint64_t skip_hi);
bool qsim_read_error_pending(const struct qsim *q);

/* The array size this model was built with. */
unsigned int qsim_rows(void);
unsigned int qsim_cols(void);

#endif /* QSIM_H */
