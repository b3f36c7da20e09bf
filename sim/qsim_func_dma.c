// SPDX-License-Identifier: MIT
/*
 * qsim_func_dma: qaccel_dma in the functional model (qsim_func_priv.h).
 * Each request is bounds checked, split into the RTL's bursts (reads to the
 * range's end, the page's end or QACCEL_AXI_MAX_BURST beats; writes to the
 * range's end or the page's end) and translated through the same per-stream cache: one level-1
 * entry and QACCEL_UARCH_DMA_WAYS lines of level-0 entries, replaced round
 * robin but never the way just used, plus GEMV's stream buffer.  So page
 * faults, AXI errors (outside memory, or injected), their err_detail and
 * every page-table read (dma_rd_bytes) come out as the RTL's.
 */
#include <string.h>

#include "qsim_func_priv.h"

/* ------------------------------------------------------------------ */
/* The memory port (the AXI4 master and qsim.c's memory slave)         */
/* ------------------------------------------------------------------ */

bool qf_in_memory(const struct qsim_func *f, uint64_t addr, uint64_t len)
{
	return addr < f->mem_size && len <= f->mem_size - addr;
}

/*
 * One read burst of beats 64-byte beats at a 64-byte aligned address:
 * counted like the RTL counts them, answered with an error when it reaches
 * outside memory or when qsim_func_inject_read_error() is armed for it.
 */
static bool burst_read(struct qsim_func *f, uint64_t addr, unsigned int beats)
{
	uint64_t bytes = (uint64_t)beats * BEAT;
	bool bad = !qf_in_memory(f, addr, bytes);

	f->st.rd_bursts++;
	f->cnt[CNT_DMA_RD] += bytes;
	f->job_rd += bytes;
	f->job_bursts++;
	if (!bad && f->rd_fault && (addr < f->rd_fault_lo || addr >= f->rd_fault_hi)) {
		f->rd_fault = false;
		bad = true;
	}
	if (bad)
		f->st.axi_errors++;
	else
		f->st.rd_bytes += bytes;
	return !bad;
}

/*
 * One beat of a write burst: len bytes of the block at addr (64-byte
 * aligned); first: the burst's first beat (a write burst ends at the range's
 * or the page's end).
 */
static bool block_write(struct qsim_func *f, uint64_t addr, uint32_t len, bool first)
{
	bool bad = !qf_in_memory(f, addr, BEAT);

	if (first) {
		f->st.wr_bursts++;
		f->job_bursts++;
	}
	f->cnt[CNT_DMA_WR] += len;
	if (bad)
		f->st.axi_errors++;
	else
		f->st.wr_bytes += len;
	return !bad;
}

/* Bursts of a read range: to the range's end, the page's end or the longest burst. */
static unsigned int burst_beats(uint64_t blk, uint64_t end)
{
	uint64_t left = (end - blk + BEAT - 1) / BEAT;
	uint64_t to_page = BEATS_PER_PAGE - (blk / BEAT) % BEATS_PER_PAGE;

	return (unsigned int)min_u64(min_u64(left, to_page), QACCEL_AXI_MAX_BURST);
}

/* A device-physical read (a descriptor batch) into dst; false on an AXI error. */
bool qf_phys_read(struct qsim_func *f, uint64_t addr, void *dst, uint32_t len)
{
	uint64_t end = addr + len;

	/* A ring at the top of the address space: no memory answers there. */
	if (end < addr) {
		burst_read(f, addr & ~(uint64_t)(BEAT - 1), 1);
		return false;
	}
	for (uint64_t blk = addr & ~(uint64_t)(BEAT - 1); blk < end;) {
		unsigned int beats = burst_beats(blk, end);

		if (!burst_read(f, blk, beats))
			return false;
		blk += (uint64_t)beats * BEAT;
	}
	memcpy(dst, f->mem + addr, len);
	return true;
}

/* A device-physical write (a completion record); false on an AXI error. */
bool qf_phys_write(struct qsim_func *f, uint64_t addr, const void *src, uint32_t len)
{
	const uint8_t *p = src;
	uint64_t end = addr + len;
	bool ok = true;

	if (end < addr) {
		block_write(f, addr & ~(uint64_t)(BEAT - 1), 0, true);
		return false;
	}
	for (uint64_t blk = addr & ~(uint64_t)(BEAT - 1); blk < end; blk += BEAT) {
		uint64_t lo = blk > addr ? blk : addr, hi = min_u64(end, blk + BEAT);

		if (block_write(f, blk, (uint32_t)(hi - lo),
				blk <= addr || !(blk & (QACCEL_PAGE_SIZE - 1))))
			memcpy(f->mem + lo, p + (lo - addr), hi - lo);
		else
			ok = false;
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* Translation (qaccel_dma's page walk and its cache)                  */
/* ------------------------------------------------------------------ */

void qf_dma_flush(struct qsim_func *f)
{
	for (int s = 0; s < NUM_STREAMS; s++) {
		f->tlb[s].l1_valid = false;
		memset(f->tlb[s].line_valid, 0, sizeof(f->tlb[s].line_valid));
	}
	for (unsigned int e = 0; e < QACCEL_UARCH_DMA_PF_LINES; e++)
		f->sb[e].valid = false;
}

/* rst_ni: a flush, and the replacement pointers back to way 0 (CTRL.RESET keeps them). */
void qf_dma_reset(struct qsim_func *f)
{
	qf_dma_flush(f);
	for (int s = 0; s < NUM_STREAMS; s++)
		f->tlb[s].victim = 0;
}

/* The way holding line_tag, or -1; as the RTL's mux, the highest that hits. */
static int tlb_way(const struct tlb *t, uint32_t line_tag)
{
	for (int w = QACCEL_UARCH_DMA_WAYS - 1; w >= 0; w--)
		if (t->line_valid[w] && t->line_tag[w] == line_tag)
			return w;
	return -1;
}

/* Put a line of level-0 entries into the victim way; the next way is the next victim. */
static int tlb_fill(struct tlb *t, uint32_t line_tag, const void *line)
{
	int way = (int)t->victim;

	t->line_valid[way] = true;
	t->line_tag[way] = line_tag;
	memcpy(t->line[way], line, BEAT);
	t->victim = (t->victim + 1) % QACCEL_UARCH_DMA_WAYS;
	return way;
}

/* Whether stream buffer line e holds line_tag of stream s (or is reading it). */
static bool sb_holds(const struct qsim_func *f, const bool *pend, unsigned int e, enum stream s,
		     uint32_t line_tag)
{
	return (f->sb[e].valid || pend[e]) && f->sb[e].stream == s && f->sb[e].tag == line_tag;
}

/* The stream buffer line holding line_tag of stream s (or one being read), or -1. */
static int sb_find(const struct qsim_func *f, const bool *pend, enum stream s, uint32_t line_tag)
{
	for (unsigned int e = 0; e < QACCEL_UARCH_DMA_PF_LINES; e++)
		if (sb_holds(f, pend, e, s, line_tag))
			return (int)e;
	return -1;
}

/*
 * The stream buffer, for sequential requests (GEMV's B): a burst that hits
 * line L first reads each of L+1 .. L+DMA_PF_LINES that is in no way nor
 * the buffer, and lies under the same cached level-1 entry, into the first
 * buffer line that holds none of them.  A failed read just leaves its line
 * empty.  (In the RTL the reads are in flight while the data burst goes, and
 * a line being read counts as held, as pend[] does here for this burst;
 * here they land at once.)
 */
static void prefetch_ahead(struct qsim_func *f, enum stream s, uint32_t line_tag)
{
	struct tlb *t = &f->tlb[s];
	bool pend[QACCEL_UARCH_DMA_PF_LINES] = { false };

	for (uint32_t d = 1; d <= QACCEL_UARCH_DMA_PF_LINES; d++) {
		uint32_t next = (line_tag + d) & LINE_TAG_MASK;
		uint64_t addr = t->l1_ptr + (uint64_t)(next % LINES_PER_TABLE) * BEAT;
		int e = -1;

		if (tlb_way(t, next) >= 0 || sb_find(f, pend, s, next) >= 0 ||
		    !t->l1_valid || t->l1_tag != next / LINES_PER_TABLE)
			continue;
		for (unsigned int i = 0; i < QACCEL_UARCH_DMA_PF_LINES && e < 0; i++) {
			bool ahead = false;

			for (uint32_t a = 1; a <= QACCEL_UARCH_DMA_PF_LINES; a++)
				if (sb_holds(f, pend, i, s, (line_tag + a) & LINE_TAG_MASK))
					ahead = true;
			if (!ahead)
				e = (int)i;
		}
		if (e < 0)
			return;
		pend[e] = true;
		f->sb[e].valid = burst_read(f, addr, 1);
		f->sb[e].stream = s;
		f->sb[e].tag = next;
		if (f->sb[e].valid)
			memcpy(f->sb[e].line, f->mem + addr, BEAT);
	}
}

/*
 * Translate buffer byte x (x < 1 GiB, 64-byte aligned) of stream s as the
 * DMA does before a data burst: a level-0 line hit needs no read; a miss
 * takes the line from the stream buffer if it holds it, or else reads the
 * level-1 entry (unless cached) and the level-0 line, into the victim way.
 * An AXI error on either read, an invalid level-1 entry or an invalid
 * level-0 entry is a fault.  Using the victim way moves the victim on, so
 * the way just used is never the next one replaced.
 */
static bool translate(struct qsim_func *f, enum stream s, uint64_t table, uint64_t x,
		      bool seq, uint64_t *addr)
{
	struct tlb *t = &f->tlb[s];
	uint32_t line_tag = (uint32_t)(x >> LINE_SHIFT) & LINE_TAG_MASK;
	uint32_t l1_idx = (uint32_t)(x >> QACCEL_PT_L1_SHIFT) & L1_INDEX_MASK;
	int way = tlb_way(t, line_tag);
	uint64_t pte;

	if (way < 0) {
		bool none[QACCEL_UARCH_DMA_PF_LINES] = { false };
		int e = sb_find(f, none, s, line_tag);

		if (e >= 0) {
			f->sb[e].valid = false;
			way = tlb_fill(t, line_tag, f->sb[e].line);
		}
	}
	if (way < 0) {
		uint64_t line_addr;

		if (!t->l1_valid || t->l1_tag != l1_idx) {
			uint64_t pte_addr = (table & ~7ull) + (uint64_t)l1_idx * 8;

			f->job_walks++;
			if (!burst_read(f, pte_addr & ~(uint64_t)(BEAT - 1), 1))
				return false;
			memcpy(&pte, f->mem + pte_addr, sizeof(pte));
			if (!(pte & QACCEL_PTE_VALID))
				return false;
			t->l1_valid = true;
			t->l1_tag = l1_idx;
			t->l1_ptr = pte & QACCEL_PTE_ADDR_MASK;
		}
		line_addr = t->l1_ptr + (line_tag % LINES_PER_TABLE) * BEAT;
		f->job_walks++;
		if (!burst_read(f, line_addr, 1))
			return false;
		way = tlb_fill(t, line_tag, f->mem + line_addr);
	}
	pte = t->line[way][(x >> QACCEL_PAGE_SHIFT) % PTES_PER_LINE];
	if (!(pte & QACCEL_PTE_VALID))
		return false;
	if (seq)
		prefetch_ahead(f, s, line_tag);
	if ((unsigned int)way == t->victim)
		t->victim = (t->victim + 1) % QACCEL_UARCH_DMA_WAYS;
	*addr = (pte & QACCEL_PTE_ADDR_MASK) | (x & (QACCEL_PAGE_SIZE - 1));
	return true;
}

/* The walk itself, without the cache or the bus: for moving operands. */
static bool lookup(const struct qsim_func *f, uint64_t table, uint64_t x, uint64_t *addr)
{
	uint64_t at = (table & ~7ull) + ((x >> QACCEL_PT_L1_SHIFT) & L1_INDEX_MASK) * 8, pte;

	if (!qf_in_memory(f, at, 8))
		return false;
	memcpy(&pte, f->mem + at, 8);
	if (!(pte & QACCEL_PTE_VALID))
		return false;
	at = (pte & QACCEL_PTE_ADDR_MASK) + ((x >> QACCEL_PAGE_SHIFT) & (QACCEL_PT_ENTRIES - 1)) * 8;
	if (!qf_in_memory(f, at, 8))
		return false;
	memcpy(&pte, f->mem + at, 8);
	if (!(pte & QACCEL_PTE_VALID))
		return false;
	*addr = (pte & QACCEL_PTE_ADDR_MASK) | (x & (QACCEL_PAGE_SIZE - 1));
	return true;
}

/* Copy bytes [x, x + len) of a buffer out (to_buf false) or in. */
bool qf_buf_copy(struct qsim_func *f, const struct qaccel_hw_buf *b, uint64_t x, uint8_t *p,
		 uint64_t len, bool to_buf)
{
	if (x + len > b->size || x + len > QACCEL_MAX_BUF_SIZE)
		return false;
	while (len) {
		uint64_t n = min_u64(len, QACCEL_PAGE_SIZE - (x & (QACCEL_PAGE_SIZE - 1))), addr;

		if (!lookup(f, b->table, x, &addr) || !qf_in_memory(f, addr, n))
			return false;
		if (to_buf)
			memcpy(f->mem + addr, p, n);
		else
			memcpy(p, f->mem + addr, n);
		x += n;
		p += n;
		len -= n;
	}
	return true;
}

/*
 * One operand request: bounds, then bursts, each translated first.  A
 * write carries its bytes in src and lands block by block, so a fault
 * part-way leaves the blocks before it written, as in the RTL; seq marks
 * GEMV's B for the stream buffer.
 */
uint16_t qf_dma_request(struct qsim_func *f, enum stream s, const struct qaccel_hw_buf *b,
			uint64_t x, uint32_t len, bool seq, const uint8_t *src)
{
	uint64_t end = x + len;

	if (end > b->size || end > QACCEL_MAX_BUF_SIZE)
		return QACCEL_ERR_DMA_BOUNDS;
	for (uint64_t blk = x & ~(uint64_t)(BEAT - 1); blk < end;) {
		unsigned int beats = src ? 1 : burst_beats(blk, end);
		uint64_t addr;

		if (!translate(f, s, b->table, blk, seq, &addr))
			return QACCEL_ERR_DMA_FAULT;
		if (src) {
			uint64_t lo = blk > x ? blk : x, hi = min_u64(end, blk + BEAT);

			f->job_wr += hi - lo;
			if (!block_write(f, addr, (uint32_t)(hi - lo),
					 blk <= x || !(blk & (QACCEL_PAGE_SIZE - 1))))
				return QACCEL_ERR_DMA_FAULT;
			memcpy(f->mem + addr + (lo - blk), src + (lo - x), hi - lo);
		} else if (!burst_read(f, addr, beats)) {
			return QACCEL_ERR_DMA_FAULT;
		}
		blk += (uint64_t)beats * BEAT;
	}
	return QACCEL_ERR_OK;
}
