// SPDX-License-Identifier: MIT
/*
 * qsim: clocks the Verilated qaccel_top, plays the AXI4-Lite master for
 * register accesses and the AXI4 memory slave for the device's DMA.
 *
 * One call to cycle() is one clock period.  The testbench's own outputs are
 * Moore-style (a function of its state at the start of the cycle), so the
 * order is: drive inputs, evaluate with clk low (the RTL's combinational
 * outputs settle), note which valid/ready pairs are high (they fire on this
 * edge), raise clk (the RTL sees the same handshakes), then update the
 * testbench state from the fired handshakes.
 *
 * Memory timing model: a read's first beat is offered mem_latency cycles
 * after its AR is accepted; a write's B response mem_latency cycles after its
 * last W beat.  Every 64-byte beat in either direction spends 64 bytes of a
 * credit that grows by mem_bytes_per_cycle each cycle, so reads and writes
 * share the bandwidth.  At most mem_max_outstanding requests (reads plus
 * writes, from accept to last R beat or B) are in flight; responses come in
 * request order.
 *
 * With qsim_config.functional there is no Verilated model: every call is
 * handed to the functional model in qsim_func.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel_hw.h"
#include "qsim.h"
#include "qsim_func.h"
#include "qsim_model.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qsim copies AXI data words straight from host memory: little-endian only"
#endif

#ifndef QSIM_ROWS
#error "build qsim.c with -DQSIM_ROWS=R -DQSIM_COLS=C matching the model"
#endif

#define BEAT		QACCEL_AXI_DATA_BYTES
#define AXI_SIZE_64B	6
#define AXI_BURST_INCR	1
#define AXI_RESP_OKAY	0
#define AXI_RESP_SLVERR	2
#define RESET_CYCLES	8
/* A register access that takes this long means the RTL's slave is stuck. */
#define REG_TIMEOUT	1000000
/* Protocol violations are reported on stderr this many times, then counted. */
#define MAX_PROTO_REPORTS 10

struct mem_req {
	uint64_t addr;
	uint64_t ready_at;	/* cycle the first beat / response may go out */
	unsigned int beats, done;
	uint8_t id;
	bool err;
};

/* A FIFO of requests in acceptance order (one for reads, one for writes). */
struct req_fifo {
	struct mem_req *e;
	unsigned int cap, head, count;
};

struct qsim {
	struct qsim_config cfg;
	/* Functional mode: the C model; nothing below is used. */
	struct qsim_func *func;
	struct qsim_model *model;
	struct qsim_model_in in;
	struct qsim_model_out pre;	/* outputs before the edge: handshakes */
	struct qsim_model_out post;	/* outputs after the edge: idle, irq */
	uint64_t cycle;
	bool irq_rose;

	struct req_fifo rd, wr;
	unsigned int wr_data_idx;	/* writes [0, idx) have all their W beats */
	unsigned int credit;
	bool prefer_write;		/* round robin when credit allows one beat */
	bool prefer_aw;			/* and when one request slot is left */

	struct qsim_stats st;
	unsigned int proto_reports;

	/* qsim_inject_read_error(): armed, and the range it leaves alone. */
	bool rd_fault;
	uint64_t rd_fault_lo, rd_fault_hi;

	/*
	 * The trace window (qsim_config.trace_*).  For a job window the
	 * completion ring is known from the register writes, and a write
	 * burst into it is a record: jobs_done counts them.
	 */
	bool tracing;			/* dumping now */
	bool trace_opened, trace_closed;
	uint64_t trace_close_at;
	uint64_t cq_base;
	uint32_t cq_entries;
	uint64_t jobs_done;
	bool sq_tail_written;
};

unsigned int qsim_rows(void)
{
	return QSIM_ROWS;
}

unsigned int qsim_cols(void)
{
	return QSIM_COLS;
}

static struct mem_req *fifo_at(struct req_fifo *f, unsigned int i)
{
	return &f->e[(f->head + i) % f->cap];
}

static void fifo_pop(struct req_fifo *f)
{
	f->head = (f->head + 1) % f->cap;
	f->count--;
}

static unsigned int in_flight(const struct qsim *q)
{
	return q->rd.count + q->wr.count;
}

/* Whether this cycle is inside the trace window; says when it opens and closes. */
static bool trace_window(struct qsim *q)
{
	const struct qsim_config *c = &q->cfg;
	bool open;

	if (q->trace_closed)
		return false;
	if (!c->trace_job) {
		open = q->cycle >= c->trace_start &&
		       (!c->trace_cycles || q->cycle - c->trace_start < c->trace_cycles);
	} else if (!q->trace_opened) {
		open = q->jobs_done == c->trace_job - 1u &&
		       (c->trace_job > 1 || q->sq_tail_written);
	} else {
		open = !q->trace_close_at || q->cycle < q->trace_close_at;
	}
	if (open && !q->trace_opened) {
		q->trace_opened = true;
		if (c->trace_job)
			fprintf(stderr, "qsim: trace window opens at cycle %llu (job %u)\n",
				(unsigned long long)q->cycle, c->trace_job);
	}
	if (!open && q->trace_opened) {
		q->trace_closed = true;
		fprintf(stderr, "qsim: trace window closed at cycle %llu\n",
			(unsigned long long)q->cycle);
	}
	return open;
}

static void protocol_error(struct qsim *q, const char *what, uint64_t addr)
{
	q->st.protocol_errors++;
	if (q->proto_reports++ < MAX_PROTO_REPORTS)
		fprintf(stderr, "qsim: cycle %llu: AXI protocol error: %s (addr 0x%llx)\n",
			(unsigned long long)q->cycle, what, (unsigned long long)addr);
}

/*
 * Check a burst against the port contract and the memory range.  Returns
 * true when it must be answered with SLVERR.
 */
static bool check_burst(struct qsim *q, uint64_t addr, unsigned int beats,
			unsigned int size, unsigned int burst)
{
	bool bad = false;

	if (size != AXI_SIZE_64B || burst != AXI_BURST_INCR || addr % BEAT) {
		protocol_error(q, "size, burst type or alignment", addr);
		bad = true;
	}
	if (beats > QACCEL_AXI_MAX_BURST ||
	    (addr % QACCEL_PAGE_SIZE) + (uint64_t)beats * BEAT > QACCEL_PAGE_SIZE)
		protocol_error(q, "burst longer than 64 beats or crossing 4 KiB", addr);
	if (addr >= q->cfg.mem_size || (uint64_t)beats * BEAT > q->cfg.mem_size - addr)
		bad = true;
	if (bad)
		q->st.axi_errors++;
	return bad;
}

static void accept_request(struct qsim *q, struct req_fifo *f, uint64_t addr,
			   unsigned int len, unsigned int size,
			   unsigned int burst, unsigned int id, bool is_read)
{
	struct mem_req *r = fifo_at(f, f->count);

	r->addr = addr;
	r->beats = len + 1;
	r->done = 0;
	r->id = id;
	r->err = check_burst(q, addr, r->beats, size, burst);
	if (is_read && q->rd_fault && !r->err &&
	    (addr < q->rd_fault_lo || addr >= q->rd_fault_hi)) {
		q->rd_fault = false;
		q->st.axi_errors++;
		r->err = true;
	}
	r->ready_at = is_read ? q->cycle + q->cfg.mem_latency : UINT64_MAX;
	f->count++;
	if (!is_read && q->cq_entries && addr >= q->cq_base &&
	    addr - q->cq_base < (uint64_t)q->cq_entries * sizeof(struct qaccel_hw_cqe)) {
		q->jobs_done++;
		if (q->cfg.trace_job && q->jobs_done == q->cfg.trace_job)
			q->trace_close_at = q->cycle + 1 + (q->cfg.trace_cycles ?
					    q->cfg.trace_cycles : QSIM_TRACE_JOB_TAIL);
	}
	if (is_read)
		q->st.rd_bursts++;
	else
		q->st.wr_bursts++;
}

static void write_beat(struct qsim *q, struct mem_req *r)
{
	uint8_t *dst = (uint8_t *)q->cfg.mem + r->addr + (uint64_t)r->done * BEAT;
	const uint8_t *src = (const uint8_t *)q->pre.m_wdata;
	uint64_t strb = q->pre.m_wstrb;

	if (r->err)
		return;
	if (strb == ~0ull) {
		memcpy(dst, src, BEAT);
		q->st.wr_bytes += BEAT;
		return;
	}
	for (unsigned int i = 0; i < BEAT; i++) {
		if (strb >> i & 1) {
			dst[i] = src[i];
			q->st.wr_bytes++;
		}
	}
}

/* Set the testbench's memory-side outputs for this cycle from its state. */
static void drive_memory(struct qsim *q)
{
	struct qsim_model_in *in = &q->in;
	unsigned int max = q->cfg.mem_max_outstanding;
	unsigned int limit = q->cfg.mem_bytes_per_cycle + BEAT - 1;
	unsigned int free_slots;
	bool can_read, can_write;

	q->credit += q->cfg.mem_bytes_per_cycle;
	if (q->credit > limit)
		q->credit = limit;

	/* A presented R beat stays until it is taken (AXI); else offer the next. */
	can_read = !in->m_rvalid && q->rd.count &&
		   fifo_at(&q->rd, 0)->ready_at <= q->cycle && q->credit >= BEAT;
	can_write = q->wr_data_idx < q->wr.count;
	if (can_read && can_write && q->credit < 2 * BEAT) {
		if (q->prefer_write)
			can_read = false;
		q->prefer_write = !q->prefer_write;
	}
	if (can_read) {
		struct mem_req *r = fifo_at(&q->rd, 0);

		q->credit -= BEAT;
		in->m_rvalid = 1;
		in->m_rid = r->id;
		in->m_rlast = r->done + 1 == r->beats;
		if (r->err) {
			in->m_rresp = AXI_RESP_SLVERR;
			memset(in->m_rdata, 0, BEAT);
		} else {
			in->m_rresp = AXI_RESP_OKAY;
			memcpy(in->m_rdata, (const uint8_t *)q->cfg.mem + r->addr +
			       (uint64_t)r->done * BEAT, BEAT);
		}
	}
	/* wready only with credit in hand; the credit is spent if W fires. */
	in->m_wready = can_write && q->credit >= BEAT;

	if (!in->m_bvalid && q->wr_data_idx > 0 &&
	    fifo_at(&q->wr, 0)->ready_at <= q->cycle) {
		struct mem_req *w = fifo_at(&q->wr, 0);

		in->m_bvalid = 1;
		in->m_bid = w->id;
		in->m_bresp = w->err ? AXI_RESP_SLVERR : AXI_RESP_OKAY;
	}

	/* Keep reads + writes within max even if AR and AW fire together. */
	free_slots = max - in_flight(q);
	in->m_arready = free_slots >= 2 || (free_slots == 1 && !q->prefer_aw);
	in->m_awready = free_slots >= 2 || (free_slots == 1 && q->prefer_aw);
	q->prefer_aw = !q->prefer_aw;
}

/* Update the memory side from the handshakes of the edge just taken. */
static void update_memory(struct qsim *q)
{
	struct qsim_model_in *in = &q->in;
	const struct qsim_model_out *o = &q->pre;

	if (in->m_arready && o->m_arvalid)
		accept_request(q, &q->rd, o->m_araddr, o->m_arlen, o->m_arsize,
			       o->m_arburst, o->m_arid, true);
	if (in->m_awready && o->m_awvalid)
		accept_request(q, &q->wr, o->m_awaddr, o->m_awlen, o->m_awsize,
			       o->m_awburst, o->m_awid, false);

	if (in->m_rvalid && o->m_rready) {
		struct mem_req *r = fifo_at(&q->rd, 0);

		if (!r->err)
			q->st.rd_bytes += BEAT;
		in->m_rvalid = 0;
		if (++r->done == r->beats)
			fifo_pop(&q->rd);
	}

	if (in->m_wready && o->m_wvalid) {
		struct mem_req *w = fifo_at(&q->wr, q->wr_data_idx);

		q->credit -= BEAT;
		write_beat(q, w);
		w->done++;
		if (!!o->m_wlast != (w->done == w->beats))
			protocol_error(q, "wlast does not match awlen", w->addr);
		if (o->m_wlast || w->done == w->beats) {
			w->ready_at = q->cycle + q->cfg.mem_latency;
			q->wr_data_idx++;
		}
	}

	if (in->m_bvalid && o->m_bready) {
		in->m_bvalid = 0;
		fifo_pop(&q->wr);
		q->wr_data_idx--;
	}
}

static void cycle(struct qsim *q)
{
	bool irq_before = q->post.irq;

	if (q->cfg.trace_path) {
		bool on = trace_window(q);

		if (on != q->tracing) {
			q->tracing = on;
			qsim_model_trace_enable(q->model, on);
		}
	}

	drive_memory(q);
	qsim_model_eval(q->model, 0, &q->in, &q->pre, 2 * q->cycle);
	qsim_model_eval(q->model, 1, &q->in, &q->post, 2 * q->cycle + 1);
	update_memory(q);
	q->irq_rose = q->post.irq && !irq_before;
	q->cycle++;
	q->st.cycles++;
}

static void clear_memory_side(struct qsim *q)
{
	q->rd.head = q->rd.count = 0;
	q->wr.head = q->wr.count = 0;
	q->wr_data_idx = 0;
	q->credit = 0;
	q->in.m_rvalid = 0;
	q->in.m_bvalid = 0;
	q->in.m_wready = 0;
}

void qsim_reset(struct qsim *q)
{
	if (q->func) {
		qsim_func_reset(q->func);
		return;
	}
	q->in.rst_ni = 0;
	q->in.s_awvalid = q->in.s_wvalid = q->in.s_arvalid = 0;
	q->in.s_bready = q->in.s_rready = 0;
	/* A hardware reset also resets the interconnect: drop what was in flight. */
	clear_memory_side(q);
	for (int i = 0; i < RESET_CYCLES; i++) {
		cycle(q);
		clear_memory_side(q);
	}
	q->in.rst_ni = 1;
	cycle(q);
}

struct qsim *qsim_new(const struct qsim_config *cfg)
{
	struct qsim *q;

	if (!cfg || (!cfg->mem && cfg->mem_size) ||
	    cfg->mem_bytes_per_cycle > QSIM_DEFAULT_BYTES_PER_CYCLE ||
	    (cfg->functional && cfg->trace_path)) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->cfg = *cfg;
	if (!q->cfg.mem_latency)
		q->cfg.mem_latency = QSIM_DEFAULT_LATENCY;
	if (!q->cfg.mem_bytes_per_cycle)
		q->cfg.mem_bytes_per_cycle = QSIM_DEFAULT_BYTES_PER_CYCLE;
	if (!q->cfg.mem_max_outstanding)
		q->cfg.mem_max_outstanding = QSIM_DEFAULT_OUTSTANDING;
	if (q->cfg.functional) {
		q->func = qsim_func_new(&q->cfg, QSIM_ROWS, QSIM_COLS);
		if (!q->func) {
			free(q);
			errno = ENOMEM;
			return NULL;
		}
		return q;
	}
	q->rd.cap = q->wr.cap = q->cfg.mem_max_outstanding;
	q->rd.e = calloc(q->rd.cap, sizeof(*q->rd.e));
	q->wr.e = calloc(q->wr.cap, sizeof(*q->wr.e));
	q->model = qsim_model_new(cfg->trace_path);
	if (!q->rd.e || !q->wr.e || !q->model) {
		int err = errno ? errno : ENOMEM;

		qsim_free(q);
		errno = err;
		return NULL;
	}
	/* The window decides from the first cycle on. */
	q->tracing = true;
	qsim_reset(q);
	return q;
}

void qsim_free(struct qsim *q)
{
	if (!q)
		return;
	qsim_func_free(q->func);
	qsim_model_free(q->model);
	free(q->rd.e);
	free(q->wr.e);
	free(q);
}

uint32_t qsim_reg_read(struct qsim *q, uint32_t offset)
{
	uint32_t data = ~0u;
	bool addr_done = false;

	if (q->func)
		return qsim_func_reg_read(q->func, offset);
	q->in.s_arvalid = 1;
	q->in.s_araddr = offset;
	q->in.s_rready = 1;
	for (int n = 0; n < REG_TIMEOUT; n++) {
		cycle(q);
		if (!addr_done && q->pre.s_arready) {
			addr_done = true;
			q->in.s_arvalid = 0;
		}
		/* A response seen with the address (same edge) is still in order. */
		if (addr_done && q->pre.s_rvalid) {
			data = q->pre.s_rdata;
			q->in.s_rready = 0;
			return data;
		}
	}
	q->st.reg_timeouts++;
	fprintf(stderr, "qsim: register read 0x%03x timed out\n", offset);
	q->in.s_arvalid = q->in.s_rready = 0;
	return data;
}

void qsim_reg_write(struct qsim *q, uint32_t offset, uint32_t value)
{
	bool aw_done = false, w_done = false;

	if (q->func) {
		qsim_func_reg_write(q->func, offset, value);
		return;
	}
	/* What a job trace window needs to know of the rings. */
	switch (offset) {
	case QACCEL_REG_CQ_BASE_LO:
		q->cq_base = (q->cq_base & ~0xffffffffull) | value;
		break;
	case QACCEL_REG_CQ_BASE_HI:
		q->cq_base = (q->cq_base & 0xffffffffull) | (uint64_t)value << 32;
		break;
	case QACCEL_REG_CQ_SIZE:
		q->cq_entries = value;
		break;
	case QACCEL_REG_SQ_TAIL:
		q->sq_tail_written = true;
		break;
	}
	q->in.s_awvalid = 1;
	q->in.s_awaddr = offset;
	q->in.s_wvalid = 1;
	q->in.s_wdata = value;
	q->in.s_wstrb = 0xf;
	q->in.s_bready = 1;
	for (int n = 0; n < REG_TIMEOUT; n++) {
		cycle(q);
		if (!aw_done && q->pre.s_awready) {
			aw_done = true;
			q->in.s_awvalid = 0;
		}
		if (!w_done && q->pre.s_wready) {
			w_done = true;
			q->in.s_wvalid = 0;
		}
		if (aw_done && w_done && q->pre.s_bvalid) {
			q->in.s_bready = 0;
			return;
		}
	}
	q->st.reg_timeouts++;
	fprintf(stderr, "qsim: register write 0x%03x timed out\n", offset);
	q->in.s_awvalid = q->in.s_wvalid = q->in.s_bready = 0;
}

enum qsim_stop qsim_run(struct qsim *q, uint64_t max_cycles)
{
	if (q->func)
		return qsim_func_run(q->func, max_cycles);
	for (uint64_t n = 0; n < max_cycles; n++) {
		if (q->post.idle)
			return QSIM_STOP_IDLE;
		cycle(q);
		if (q->irq_rose)
			return QSIM_STOP_IRQ;
	}
	return QSIM_STOP_LIMIT;
}

bool qsim_irq(const struct qsim *q)
{
	return q->func ? qsim_func_irq(q->func) : q->post.irq;
}

bool qsim_idle(const struct qsim *q)
{
	return q->func ? qsim_func_idle(q->func) : q->post.idle;
}

void qsim_get_stats(const struct qsim *q, struct qsim_stats *st)
{
	if (q->func)
		qsim_func_get_stats(q->func, st);
	else
		*st = q->st;
}

void qsim_inject_read_error(struct qsim *q, uint64_t skip_lo, uint64_t skip_hi)
{
	if (q->func) {
		qsim_func_inject_read_error(q->func, skip_lo, skip_hi);
		return;
	}
	q->rd_fault = true;
	q->rd_fault_lo = skip_lo;
	q->rd_fault_hi = skip_hi;
}

bool qsim_read_error_pending(const struct qsim *q)
{
	return q->func ? qsim_func_read_error_pending(q->func) : q->rd_fault;
}
