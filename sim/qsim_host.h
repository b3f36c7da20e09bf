/* SPDX-License-Identifier: MIT */
/*
 * qsim_host: a minimal host-side driver for a qsim device, for programs
 * that run the RTL without a kernel (tests/hw/test_gemm, bench/bench_hw).
 *
 * It plays the kernel driver's part: guest memory is an anonymous mapping
 * handed out in 4 KiB pages in shuffled order (so no buffer is physically
 * contiguous and the DMA's page walks are exercised), every buffer gets its
 * own two-level page table, and jobs go through the submission ring and come
 * back through the completion ring, found by their phase bit.  Device
 * addresses are byte offsets into the memory, as qsim_config.mem says.
 *
 * Functions returning int give 0 or a negative errno value.
 */
#ifndef QSIM_HOST_H
#define QSIM_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "qaccel_hw.h"
#include "qaccel_ref.h"
#include "qsim.h"

struct qsim_host_config {
	uint64_t mem_size;		/* bytes, a multiple of 4 KiB; 0: 64 MiB */
	uint32_t ring_size;		/* SQ and CQ entries, power of two; 0: 16 */
	/*
	 * Seed of the page shuffle (rand_r); advanced as it is used, so a
	 * caller sharing its own random stream stays reproducible.
	 */
	unsigned int *seed;
	/* Memory timing model, trace file, functional model: as in struct qsim_config. */
	unsigned int mem_latency;
	unsigned int mem_bytes_per_cycle;
	const char *trace_path;
	uint64_t trace_start, trace_cycles;	/* the trace window (struct qsim_config) */
	unsigned int trace_job;
	bool functional;
};

#define QSIM_HOST_DEFAULT_MEM	(64ull << 20)
#define QSIM_HOST_DEFAULT_RING	16u

struct qsim_host {
	struct qsim *q;
	uint8_t *mem;
	uint64_t mem_size;
	uint32_t *pool;			/* free page numbers, shuffled */
	uint32_t pool_len;
	uint64_t sq, cq;		/* ring device addresses (one page each) */
	uint32_t ring_size;
	uint32_t sq_tail, cq_head;
	uint16_t phase;			/* phase bit the next record will carry */
	uint32_t caps;			/* QACCEL_REG_CAPS */
	uint32_t tag;			/* last tag handed out by qsim_host_next_tag */
};

/* A buffer object: scattered data pages behind its own page table. */
struct qsim_host_buf {
	uint64_t table;			/* level-1 table, device address */
	uint32_t size;
	uint32_t npages;
	uint64_t *page;			/* device address of each data page */
};

/*
 * Map the memory, build the device (held through reset), allocate the rings
 * and start them (qsim_host_rings_start).  On error nothing is left behind.
 */
int qsim_host_open(struct qsim_host *h, const struct qsim_host_config *cfg);
void qsim_host_close(struct qsim_host *h);

/* Host pointer of a device address. */
static inline void *qsim_host_ptr(const struct qsim_host *h, uint64_t addr)
{
	return h->mem + addr;
}

/* One page (device address), or 0 when the memory is exhausted. */
uint64_t qsim_host_page_alloc(struct qsim_host *h);
void qsim_host_page_free(struct qsim_host *h, uint64_t addr);

/*
 * A buffer of size bytes (at least one page) with zeroed page tables; its
 * data is not cleared.  On -ENOMEM, qsim_host_buf_free() releases what was
 * taken.  Freed pages are reused in their shuffled order.
 */
int qsim_host_buf_alloc(struct qsim_host *h, struct qsim_host_buf *b, uint32_t size);
void qsim_host_buf_free(struct qsim_host *h, struct qsim_host_buf *b);

/* Copy between a buffer (through its pages) and contiguous host memory. */
void qsim_host_buf_write(struct qsim_host *h, const struct qsim_host_buf *b,
			 uint32_t off, const void *src, uint32_t len);
void qsim_host_buf_read(struct qsim_host *h, const struct qsim_host_buf *b,
			uint32_t off, void *dst, uint32_t len);

/* The descriptor's view of an operand at byte offset off of b. */
static inline struct qaccel_hw_buf qsim_host_hw_buf(const struct qsim_host_buf *b,
						    uint32_t off)
{
	return (struct qaccel_hw_buf){ .table = b->table, .offset = off, .size = b->size };
}

/*
 * A GEMM's operands: each buffer with the byte offset of its first element.
 * bias and quant may be NULL when the job's flags do not use them (their
 * descriptor fields are then zero).
 */
struct qsim_host_gemm_bufs {
	const struct qsim_host_buf *a, *b, *c, *bias, *quant;
	uint32_t a_off, b_off, c_off, bias_off, quant_off;
};

/*
 * The hardware descriptor of GEMM p over bufs, tagged tag: the one
 * descriptor builder of every program without a kernel (the driver builds
 * its own from the uapi job).  Fields of p a job's flags do not use are
 * copied all the same, as the device ignores them.
 */
void qsim_host_gemm_desc(struct qaccel_hw_desc *d, uint32_t tag,
			 const struct qaccel_gemm_params *p,
			 const struct qsim_host_gemm_bufs *bufs);

/* 64-bit registers (counters, ring bases): LO then HI. */
uint64_t qsim_host_reg_read64(struct qsim_host *h, uint32_t lo);
void qsim_host_reg_write64(struct qsim_host *h, uint32_t lo, uint64_t v);

/* Clear and program both rings, enable interrupts and the device. */
void qsim_host_rings_start(struct qsim_host *h);

/* Free submission slots (NVMe style: at most ring_size - 1 outstanding). */
uint32_t qsim_host_sq_free(struct qsim_host *h);
/* Put a descriptor in the ring; nothing reaches the device before sq_ring. */
void qsim_host_sq_push(struct qsim_host *h, const struct qaccel_hw_desc *desc);
/* Write SQ_TAIL (the doorbell). */
void qsim_host_sq_ring(struct qsim_host *h);

static inline uint32_t qsim_host_next_tag(struct qsim_host *h)
{
	return ++h->tag;
}

/*
 * Clock the device until the next completion record appears, copy it to
 * *out, consume it (CQ_HEAD, INT_STATUS W1C).  -ETIMEDOUT when the device
 * went idle without it, or after max_cycles.
 */
int qsim_host_cq_wait(struct qsim_host *h, struct qaccel_hw_cqe *out, uint64_t max_cycles);

/*
 * Clock the device until it is idle (irq edges do not stop it).  A record is
 * in memory one write round trip before the device counts its job (CNT_*,
 * CQ_TAIL and INT_STATUS.CQ advance on the record's write response), so read
 * counters after this.  -ETIMEDOUT if still busy after max_cycles.
 */
int qsim_host_run_until_idle(struct qsim_host *h, uint64_t max_cycles);

/* Push, ring and wait for one descriptor's record. */
int qsim_host_run_desc(struct qsim_host *h, const struct qaccel_hw_desc *desc,
		       struct qaccel_hw_cqe *out, uint64_t max_cycles);

#endif /* QSIM_HOST_H */
