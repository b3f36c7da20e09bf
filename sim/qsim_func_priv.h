/* SPDX-License-Identifier: MIT */
/*
 * qsim_func's private header: the model's state and the calls between its
 * blocks.  Each block is one file that reads next to the RTL module it
 * stands for (docs/simulation.md, "Functional mode", has the table):
 *
 *   qsim_func.c          qaccel_top: building the device, the qsim API
 *   qsim_func_regs.c     qaccel_regs: the register file
 *   qsim_func_cmd.c      qaccel_core's command processor: descriptor
 *                        prefetch, decode, the job sequence, records
 *   qsim_func_engine.c   qaccel_core's loader and post engine: the tiles,
 *                        every request in the RTL's order, the cost model
 *   qsim_func_dma.c      qaccel_dma: bounds, bursts, the translation cache
 *                        and stream buffer; the memory port
 *   qsim_func_compute.c  qaccel_array + qaccel_post: a tile's result, with
 *                        qaccel_ref_gemm()
 *
 * Every microarchitecture number comes from include/qaccel_hw.h
 * (QACCEL_UARCH_*, the AXI and page-table constants), whose values
 * tests/hw/iface_check compares with hw/rtl/qaccel_pkg.sv; this model keeps
 * no copy of its own.
 */
#ifndef QSIM_FUNC_PRIV_H
#define QSIM_FUNC_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qaccel_hw.h"
#include "qaccel_ref.h"
#include "qsim_func.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qsim_func reads device structures straight from memory: little-endian only"
#endif

#define BEAT		QACCEL_AXI_DATA_BYTES
#define BEATS_PER_PAGE	(QACCEL_PAGE_SIZE / BEAT)
/* The AXI4-Lite slave decodes the 4 KiB register window. */
#define REG_ADDR_MASK	(QACCEL_PAGE_SIZE - 1)
/* Ring indices are registers just wide enough for the largest ring. */
#define INDEX_MASK	(QACCEL_MAX_QUEUE - 1)
#define NUM_COUNTERS	((QACCEL_REG_END - QACCEL_REG_CNT_CYCLES) / 8)

/*
 * qaccel_dma's translation cache: a line is one beat of level-0 entries,
 * so it maps PTES_PER_LINE pages; tags are x[29:LINE_SHIFT] (lines of one
 * table: x[29:21]), a line's place in its level-0 table x[20:LINE_SHIFT].
 */
#define PTES_PER_LINE	(BEAT / 8)
#define LINE_SHIFT	(QACCEL_PAGE_SHIFT + __builtin_ctz(PTES_PER_LINE))
#define L1_INDEX_MASK	(QACCEL_PT_ENTRIES - 1)
#define LINE_TAG_MASK	((QACCEL_MAX_BUF_SIZE >> LINE_SHIFT) - 1)
#define LINES_PER_TABLE	(QACCEL_PT_ENTRIES / PTES_PER_LINE)



/*
 * What the device reports: what qaccel_top builds in (GEMV needs
 * QACCEL_UARCH_GEMV_MIN_PES, see qf_gemv_lanes()), and that it is this model.
 */
#define FUNC_CAPS	(QACCEL_CAP_GEMM_I32 | QACCEL_CAP_REQUANT | QACCEL_CAP_PER_CHANNEL | \
			 QACCEL_CAP_BIAS | QACCEL_CAP_UINT8_IN | QACCEL_CAP_RQ_MODES | \
			 QACCEL_CAP_FUNCTIONAL)

/*
 * The package's rq_param_ok: a (multiplier, shift) the family of @flags can
 * use, per tensor (decode) and per channel (the post engine).  FP32 wants
 * the bits of a positive, normal, finite binary32 and shift 0.
 */
static inline bool qf_requant_ok(uint32_t flags, int32_t multiplier, int32_t shift)
{
	if ((flags & QACCEL_F_RQ_MASK) == QACCEL_F_RQ_FP32)
		return multiplier >= 0x00800000 && multiplier < 0x7f800000 && !shift;
	return shift >= QACCEL_SHIFT_MIN && shift <= QACCEL_SHIFT_MAX;
}

/*
 * Cost model, calibrated against the RTL's completion records (see
 * docs/simulation.md for the comparison): every job pays JOB_CYCLES (take,
 * decode, CQ check, record); the first of a descriptor batch also one
 * memory latency plus the batch's bytes; a GEMM also one latency before its
 * first step (its first reads) and one after its last (its last write's
 * answer), and for each step (qf_step_cycles)
 *   one latency per page-table read  a walk stalls the DMA until it returns
 * + max(array, memory) + min(array, memory) / 2
 * where array is the array's time (per K chunk of a tile: chunk length +
 * rows + cols, or GEMV's lines), memory the larger of the bytes moved over
 * the bytes per cycle and the bursts over the requests the memory keeps in
 * flight per latency, and the last term the part that does not overlap.
 */
#define JOB_CYCLES	16u

/* Operand streams: the DMA's translation cache slots; err_detail - 1. */
enum stream { STREAM_A, STREAM_B, STREAM_C, STREAM_BIAS, STREAM_QUANT, NUM_STREAMS };
_Static_assert(NUM_STREAMS == QACCEL_UARCH_DMA_STREAMS, "one translation cache per stream");
_Static_assert(QACCEL_DETAIL_QUANT == NUM_STREAMS && QACCEL_DETAIL_A == STREAM_A + 1,
	       "err_detail is the stream + 1");
_Static_assert(!(QACCEL_UARCH_DMA_WAYS & (QACCEL_UARCH_DMA_WAYS - 1)),
	       "qaccel_dma's Ways is a power of two");

/*
 * qaccel_dma's translation cache for one stream: the last level-1 entry
 * and QACCEL_UARCH_DMA_WAYS lines of level-0 entries, replaced round robin
 * but never the way just used.
 */
struct tlb {
	bool l1_valid;
	uint32_t l1_tag;			/* x[29:21] */
	uint64_t l1_ptr;			/* the level-0 table */
	bool line_valid[QACCEL_UARCH_DMA_WAYS];
	uint32_t line_tag[QACCEL_UARCH_DMA_WAYS];	/* x[29:15] */
	uint64_t line[QACCEL_UARCH_DMA_WAYS][PTES_PER_LINE];
	unsigned int victim;			/* the way the next fill replaces */
};

struct scratch {
	void *p;
	size_t size;
};

/* Which A block a scratchpad bank holds (the loader's A reuse). */
struct bank {
	bool valid;
	uint32_t m0, k0;
};

/* A tile whose last chunk is loaded, waiting for the post engine. */
struct tile {
	uint32_t m0, n0;
	uint64_t last_chunk;
};

/* Tiles loaded ahead of the posts: a bank's worth each, and a pair's first. */
#define POST_QUEUE	(QACCEL_UARCH_MAX_BANKS + 3)

/*
 * A GEMM in progress: the RTL's loop nest over its tile shape (rows x cols
 * x QACCEL_UARCH_K_CHUNK, or 1 x ch x slot in GEMV mode), one step at a
 * time.  A step is the loader's next chunk (bias and quant on a tile's last
 * chunk, A unless the bank still holds the same block, B; one request per
 * row, or one for all rows when the stride equals the chunk length) and the
 * posts it lets through: a tile's C rows follow the loads of the chunk
 * `banks` after its last one, because the RTL starts them when that last
 * chunk leaves the array, which frees the bank the loader fills next; a
 * tile that pairs with its right neighbour (arrays of
 * QACCEL_UARCH_PAIR_MIN_PES PEs or more) waits for the neighbour's.  The
 * post engine checks the tile's per-channel shifts, computes it with
 * qaccel_ref_gemm() and writes its rows (row r of a pair: both tiles' in one
 * write).  The first error ends the job.
 */
struct gemm {
	struct qaccel_hw_desc d;
	uint32_t esz;			/* bytes per C element */
	bool bias, per_channel, gemv;
	bool pair;			/* C rows of two neighbouring tiles go as one */
	uint32_t t_rows, t_cols, t_k;	/* qaccel_core's tile shape */
	uint32_t slot;			/* GEMV: bytes a channel's slot takes */
	uint32_t m0, n0, k0;		/* the loader's next chunk */
	uint64_t chunk;
	uint32_t banks;			/* in use, in turn (job_t.last_bank) */
	bool loaded;			/* every chunk requested */
	struct bank bank[QACCEL_UARCH_MAX_BANKS];
	struct tile queue[POST_QUEUE];
	unsigned int head, count;
	bool a_valid;			/* the A scratch holds row block a_m0 */
	uint32_t a_m0;
	uint16_t status;
	uint32_t detail;
	uint64_t busy, stall;		/* the array's cycles; its waits for data */
};

struct qsim_func {
	struct qsim_config cfg;
	unsigned int rows, cols;
	uint8_t *mem;
	uint64_t mem_size;

	/* qaccel_regs */
	bool enable, fatal;
	uint32_t sq_base_lo, sq_base_hi, cq_base_lo, cq_base_hi;
	uint32_t sq_size, cq_size;
	uint32_t sq_tail, sq_head, cq_head, cq_tail;	/* INDEX_MASK wide */
	bool phase;
	uint32_t int_status, int_enable;
	uint16_t err_code;
	uint64_t err_addr;
	uint64_t cnt[NUM_COUNTERS];	/* in register order: CNT_CYCLES first */
	uint32_t snap;			/* HI half latched by the last LO read */

	/* qaccel_core */
	struct qaccel_hw_desc batch[QACCEL_UARCH_DESC_BUF];
	unsigned int batch_left, batch_next;
	uint64_t fetch_cycles;		/* the next job pays for its batch's fetch */
	uint64_t job_rd, job_wr;	/* bytes moved since the last record */
	uint64_t job_bursts, job_walks;	/* bursts, of which page-table reads */
	bool running;			/* a job's cycles are elapsing */
	uint64_t done_at;		/* ...until this cycle (then its next step) */
	uint64_t started;		/* the cycle it began */
	bool in_gemm;			/* it is the GEMM below */
	struct gemm gemm;
	bool record_due;		/* its record is to be written (waits while the CQ is full) */
	struct qaccel_hw_cqe rec;

	/* qaccel_dma */
	struct tlb tlb[NUM_STREAMS];
	/* The stream buffer: prefetched level-0 lines for GEMV's B. */
	struct sb_line {
		bool valid;
		unsigned int stream;
		uint32_t tag;
		uint64_t line[PTES_PER_LINE];
	} sb[QACCEL_UARCH_DMA_PF_LINES];
	bool rd_fault;
	uint64_t rd_fault_lo, rd_fault_hi;

	uint64_t now;			/* the virtual clock */
	struct qsim_stats st;
	/* A tile's operands and result for qaccel_ref_gemm(), kept between jobs. */
	struct scratch a, b, c, bias, quant;
};

enum {
	CNT_CYCLES, CNT_BUSY, CNT_MACS, CNT_DMA_RD, CNT_DMA_WR, CNT_DMA_STALL,
	CNT_COMPUTE_STALL, CNT_JOBS,
};
_Static_assert(CNT_JOBS + 1 == NUM_COUNTERS, "a counter per register");

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Ring state both the registers and the command processor read. */
static inline uint32_t sq_mask(const struct qsim_func *f)
{
	return (f->sq_size - 1) & INDEX_MASK;
}

static inline uint32_t cq_mask(const struct qsim_func *f)
{
	return (f->cq_size - 1) & INDEX_MASK;
}

/* A descriptor is published and the device may take it. */
static inline bool can_start(const struct qsim_func *f)
{
	return f->enable && !f->fatal && f->sq_head != (f->sq_tail & sq_mask(f));
}

/* The next record's slot would reach CQ_HEAD. */
static inline bool cq_full(const struct qsim_func *f)
{
	uint32_t mask = cq_mask(f);

	return (((f->cq_tail & mask) + 1) & mask) == (f->cq_head & mask);
}

/* qsim_func_regs.c */
void qf_set_fatal(struct qsim_func *f, uint16_t code, uint64_t addr);

/* qsim_func_cmd.c */
void qf_ring_fault(struct qsim_func *f, uint64_t addr);

/* qsim_func_dma.c: the memory port, then operand requests through the cache. */
bool qf_in_memory(const struct qsim_func *f, uint64_t addr, uint64_t len);
bool qf_phys_read(struct qsim_func *f, uint64_t addr, void *dst, uint32_t len);
bool qf_phys_write(struct qsim_func *f, uint64_t addr, const void *src, uint32_t len);
void qf_dma_flush(struct qsim_func *f);
void qf_dma_reset(struct qsim_func *f);
/* QACCEL_ERR_OK, or the request's QACCEL_ERR_DMA_BOUNDS / _DMA_FAULT. */
uint16_t qf_dma_request(struct qsim_func *f, enum stream s, const struct qaccel_hw_buf *b,
			uint64_t x, uint32_t len, bool seq, const uint8_t *src);
bool qf_buf_copy(struct qsim_func *f, const struct qaccel_hw_buf *b, uint64_t x, uint8_t *p,
		 uint64_t len, bool to_buf);

/* qsim_func_engine.c */
bool qf_gemm_start(struct qsim_func *f, const struct qaccel_hw_desc *d);
bool qf_gemm_done(const struct gemm *g);
uint64_t qf_gemm_step(struct qsim_func *f);
uint32_t qf_gemv_lanes(const struct qsim_func *f);
bool qf_job_error(struct gemm *g, uint16_t status, enum stream s);

/* qsim_func_compute.c */
bool qf_scratch_reserve(struct qsim_func *f, const struct gemm *g);
bool qf_tile_result(struct qsim_func *f, struct gemm *g, const struct tile *t, uint32_t mv,
		    uint32_t nv, void *out);

#endif /* QSIM_FUNC_PRIV_H */
