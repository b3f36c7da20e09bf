// SPDX-License-Identifier: MIT
/*
 * qsim_host: the kernel driver's part for host programs that drive a qsim
 * device directly (see qsim_host.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "qsim_host.h"

/* The device must go idle or complete well before this; see cq_wait. */
#define CQ_POLL_CYCLES	4096u

int qsim_host_open(struct qsim_host *h, const struct qsim_host_config *cfg)
{
	struct qsim_config sim = { 0 };
	unsigned int local_seed = 1;
	unsigned int *seed = cfg->seed ? cfg->seed : &local_seed;
	uint32_t npages;
	int ret;

	memset(h, 0, sizeof(*h));
	h->mem_size = cfg->mem_size ? cfg->mem_size : QSIM_HOST_DEFAULT_MEM;
	h->ring_size = cfg->ring_size ? cfg->ring_size : QSIM_HOST_DEFAULT_RING;
	if (h->mem_size % QACCEL_PAGE_SIZE || h->mem_size >> QACCEL_PAGE_SHIFT > UINT32_MAX ||
	    h->ring_size < 2 || h->ring_size > QACCEL_MAX_QUEUE ||
	    (h->ring_size & (h->ring_size - 1)) ||
	    h->ring_size * sizeof(struct qaccel_hw_desc) > QACCEL_PAGE_SIZE)
		return -EINVAL;
	npages = (uint32_t)(h->mem_size >> QACCEL_PAGE_SHIFT);

	h->mem = mmap(NULL, h->mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->mem == MAP_FAILED) {
		h->mem = NULL;
		return -ENOMEM;
	}
	h->pool = malloc(npages * sizeof(*h->pool));
	if (!h->pool) {
		ret = -ENOMEM;
		goto err;
	}
	/* Page 0 stays unused so that address 0 is never valid data. */
	for (uint32_t i = 1; i < npages; i++)
		h->pool[h->pool_len++] = i;
	for (uint32_t i = h->pool_len - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rand_r(seed) % (i + 1)), t = h->pool[i];

		h->pool[i] = h->pool[j];
		h->pool[j] = t;
	}

	sim.mem = h->mem;
	sim.mem_size = h->mem_size;
	sim.mem_latency = cfg->mem_latency;
	sim.mem_bytes_per_cycle = cfg->mem_bytes_per_cycle;
	sim.trace_path = cfg->trace_path;
	sim.trace_start = cfg->trace_start;
	sim.trace_cycles = cfg->trace_cycles;
	sim.trace_job = cfg->trace_job;
	sim.functional = cfg->functional;
	h->q = qsim_new(&sim);
	if (!h->q) {
		ret = errno ? -errno : -ENOMEM;
		goto err;
	}
	h->sq = qsim_host_page_alloc(h);
	h->cq = qsim_host_page_alloc(h);
	h->caps = qsim_reg_read(h->q, QACCEL_REG_CAPS);
	qsim_host_rings_start(h);
	return 0;
err:
	qsim_host_close(h);
	return ret;
}

void qsim_host_close(struct qsim_host *h)
{
	if (h->q)
		qsim_free(h->q);
	if (h->mem)
		munmap(h->mem, h->mem_size);
	free(h->pool);
	memset(h, 0, sizeof(*h));
}

uint64_t qsim_host_page_alloc(struct qsim_host *h)
{
	if (!h->pool_len)
		return 0;
	return (uint64_t)h->pool[--h->pool_len] << QACCEL_PAGE_SHIFT;
}

void qsim_host_page_free(struct qsim_host *h, uint64_t addr)
{
	h->pool[h->pool_len++] = (uint32_t)(addr >> QACCEL_PAGE_SHIFT);
}

int qsim_host_buf_alloc(struct qsim_host *h, struct qsim_host_buf *b, uint32_t size)
{
	uint32_t nl0;
	uint64_t *l1;

	memset(b, 0, sizeof(*b));
	if (size > QACCEL_MAX_BUF_SIZE)
		return -EINVAL;
	b->size = size;
	b->npages = (size + QACCEL_PAGE_SIZE - 1) / QACCEL_PAGE_SIZE;
	if (!b->npages)
		b->npages = 1;
	b->page = calloc(b->npages, sizeof(*b->page));
	b->table = qsim_host_page_alloc(h);
	if (!b->page || !b->table)
		return -ENOMEM;
	l1 = qsim_host_ptr(h, b->table);
	memset(l1, 0, QACCEL_PAGE_SIZE);
	nl0 = (b->npages + QACCEL_PT_ENTRIES - 1) / QACCEL_PT_ENTRIES;
	for (uint32_t t = 0; t < nl0; t++) {
		uint64_t l0 = qsim_host_page_alloc(h);

		if (!l0)
			return -ENOMEM;
		memset(qsim_host_ptr(h, l0), 0, QACCEL_PAGE_SIZE);
		l1[t] = l0 | QACCEL_PTE_VALID;
	}
	for (uint32_t p = 0; p < b->npages; p++) {
		uint64_t *l0 = qsim_host_ptr(h, l1[p / QACCEL_PT_ENTRIES] & QACCEL_PTE_ADDR_MASK);

		b->page[p] = qsim_host_page_alloc(h);
		if (!b->page[p])
			return -ENOMEM;
		l0[p % QACCEL_PT_ENTRIES] = b->page[p] | QACCEL_PTE_VALID;
	}
	return 0;
}

void qsim_host_buf_free(struct qsim_host *h, struct qsim_host_buf *b)
{
	if (b->table) {
		uint64_t *l1 = qsim_host_ptr(h, b->table);

		/* Tests may clear VALID bits; a cleared L0 leaks one page, fine. */
		for (uint32_t t = 0; t < QACCEL_PT_ENTRIES; t++)
			if (l1[t] & QACCEL_PTE_VALID)
				qsim_host_page_free(h, l1[t] & QACCEL_PTE_ADDR_MASK);
		qsim_host_page_free(h, b->table);
	}
	for (uint32_t p = 0; b->page && p < b->npages; p++)
		if (b->page[p])
			qsim_host_page_free(h, b->page[p]);
	free(b->page);
	memset(b, 0, sizeof(*b));
}

static void buf_copy(struct qsim_host *h, const struct qsim_host_buf *b, uint32_t off,
		     uint8_t *p, uint32_t len, bool to_buf)
{
	while (len) {
		uint32_t in_page = off % QACCEL_PAGE_SIZE;
		uint32_t n = QACCEL_PAGE_SIZE - in_page;
		uint8_t *m = qsim_host_ptr(h, b->page[off / QACCEL_PAGE_SIZE] + in_page);

		if (n > len)
			n = len;
		if (to_buf)
			memcpy(m, p, n);
		else
			memcpy(p, m, n);
		off += n;
		p += n;
		len -= n;
	}
}

void qsim_host_buf_write(struct qsim_host *h, const struct qsim_host_buf *b,
			 uint32_t off, const void *src, uint32_t len)
{
	buf_copy(h, b, off, (uint8_t *)src, len, true);
}

void qsim_host_buf_read(struct qsim_host *h, const struct qsim_host_buf *b,
			uint32_t off, void *dst, uint32_t len)
{
	buf_copy(h, b, off, dst, len, false);
}

static struct qaccel_hw_buf hw_buf(const struct qsim_host_buf *b, uint32_t off)
{
	return b ? qsim_host_hw_buf(b, off) : (struct qaccel_hw_buf){ 0 };
}

void qsim_host_gemm_desc(struct qaccel_hw_desc *d, uint32_t tag,
			 const struct qaccel_gemm_params *p,
			 const struct qsim_host_gemm_bufs *bufs)
{
	*d = (struct qaccel_hw_desc){
		.opcode = QACCEL_OP_GEMM,
		.flags = (uint16_t)p->flags,
		.tag = tag,
		.m = p->m, .n = p->n, .k = p->k,
		.lda = p->lda, .ldb = p->ldb, .ldc = p->ldc,
		.a = hw_buf(bufs->a, bufs->a_off),
		.b = hw_buf(bufs->b, bufs->b_off),
		.c = hw_buf(bufs->c, bufs->c_off),
		.bias = hw_buf(bufs->bias, bufs->bias_off),
		.quant = hw_buf(bufs->quant, bufs->quant_off),
		.out_multiplier = p->out_multiplier,
		.out_shift = (int8_t)p->out_shift,
		.a_zero_point = (int16_t)p->a_zero_point,
		.b_zero_point = (int16_t)p->b_zero_point,
		.c_zero_point = (int16_t)p->c_zero_point,
		.clamp_min = (int16_t)p->clamp_min,
		.clamp_max = (int16_t)p->clamp_max,
	};
}

uint64_t qsim_host_reg_read64(struct qsim_host *h, uint32_t lo)
{
	uint64_t v = qsim_reg_read(h->q, lo);

	return v | (uint64_t)qsim_reg_read(h->q, lo + 4) << 32;
}

void qsim_host_reg_write64(struct qsim_host *h, uint32_t lo, uint64_t v)
{
	qsim_reg_write(h->q, lo, (uint32_t)v);
	qsim_reg_write(h->q, lo + 4, (uint32_t)(v >> 32));
}

void qsim_host_rings_start(struct qsim_host *h)
{
	memset(qsim_host_ptr(h, h->sq), 0, h->ring_size * sizeof(struct qaccel_hw_desc));
	memset(qsim_host_ptr(h, h->cq), 0, h->ring_size * sizeof(struct qaccel_hw_cqe));
	h->sq_tail = h->cq_head = 0;
	h->phase = 1;
	qsim_host_reg_write64(h, QACCEL_REG_SQ_BASE_LO, h->sq);
	qsim_host_reg_write64(h, QACCEL_REG_CQ_BASE_LO, h->cq);
	qsim_reg_write(h->q, QACCEL_REG_SQ_SIZE, h->ring_size);
	qsim_reg_write(h->q, QACCEL_REG_CQ_SIZE, h->ring_size);
	qsim_reg_write(h->q, QACCEL_REG_INT_ENABLE, QACCEL_INT_CQ | QACCEL_INT_FATAL);
	qsim_reg_write(h->q, QACCEL_REG_CTRL, QACCEL_CTRL_ENABLE);
}

uint32_t qsim_host_sq_free(struct qsim_host *h)
{
	uint32_t head = qsim_reg_read(h->q, QACCEL_REG_SQ_HEAD);

	return (head + h->ring_size - h->sq_tail - 1) % h->ring_size;
}

void qsim_host_sq_push(struct qsim_host *h, const struct qaccel_hw_desc *desc)
{
	memcpy(qsim_host_ptr(h, h->sq + (uint64_t)h->sq_tail * sizeof(*desc)), desc,
	       sizeof(*desc));
	h->sq_tail = (h->sq_tail + 1) % h->ring_size;
}

void qsim_host_sq_ring(struct qsim_host *h)
{
	qsim_reg_write(h->q, QACCEL_REG_SQ_TAIL, h->sq_tail);
}

int qsim_host_cq_wait(struct qsim_host *h, struct qaccel_hw_cqe *out, uint64_t max_cycles)
{
	volatile struct qaccel_hw_cqe *cqe =
		qsim_host_ptr(h, h->cq + (uint64_t)h->cq_head * sizeof(*out));
	uint64_t spent = 0;

	while ((cqe->info & QACCEL_CQE_PHASE) != h->phase) {
		enum qsim_stop stop;

		if (spent >= max_cycles)
			return -ETIMEDOUT;
		stop = qsim_run(h->q, CQ_POLL_CYCLES);
		spent += CQ_POLL_CYCLES;
		/* Idle without the record: the device dropped the job. */
		if (stop == QSIM_STOP_IDLE && (cqe->info & QACCEL_CQE_PHASE) != h->phase)
			return -ETIMEDOUT;
	}
	memcpy(out, (const void *)cqe, sizeof(*out));
	h->cq_head = (h->cq_head + 1) % h->ring_size;
	if (!h->cq_head)
		h->phase ^= 1;
	qsim_reg_write(h->q, QACCEL_REG_CQ_HEAD, h->cq_head);
	qsim_reg_write(h->q, QACCEL_REG_INT_STATUS, QACCEL_INT_CQ);
	return 0;
}

int qsim_host_run_until_idle(struct qsim_host *h, uint64_t max_cycles)
{
	struct qsim_stats st;
	uint64_t end;

	qsim_get_stats(h->q, &st);
	end = st.cycles + max_cycles;
	while (st.cycles < end) {
		if (qsim_run(h->q, end - st.cycles) == QSIM_STOP_IDLE)
			return 0;
		qsim_get_stats(h->q, &st);
	}
	return qsim_idle(h->q) ? 0 : -ETIMEDOUT;
}

int qsim_host_run_desc(struct qsim_host *h, const struct qaccel_hw_desc *desc,
		       struct qaccel_hw_cqe *out, uint64_t max_cycles)
{
	qsim_host_sq_push(h, desc);
	qsim_host_sq_ring(h);
	return qsim_host_cq_wait(h, out, max_cycles);
}
