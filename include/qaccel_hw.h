/* SPDX-License-Identifier: MIT */
/*
 * qaccel hardware interface, C view.
 *
 * This header is the single C description of what the RTL exposes: the
 * AXI4-Lite register file, the submission descriptor, the completion record,
 * the per-buffer page tables the DMA engine walks, and (last section) the
 * ivshmem transport that carries register accesses between the guest and
 * qaccel-sim.  Its SystemVerilog twin is hw/rtl/qaccel_pkg.sv;
 * tests/hw/iface_check proves that both say the same thing.
 *
 * Everything the device reads or writes in host memory is little-endian.
 * It is included by the kernel driver, qaccel-sim and the tests, so it uses
 * only fixed-width types and no libc.
 */
#ifndef QACCEL_HW_H
#define QACCEL_HW_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#define QACCEL_HW_STATIC_ASSERT(e, m) static_assert(e, m)
#else
#include <stdint.h>
#include <stddef.h>
#define QACCEL_HW_STATIC_ASSERT(e, m) _Static_assert(e, m)
#endif

/* ------------------------------------------------------------------ */
/* Identification                                                      */
/* ------------------------------------------------------------------ */

#define QACCEL_ID_MAGIC		0x51414343u	/* "QACC" */
#define QACCEL_VERSION_MAJOR	0u
#define QACCEL_VERSION_MINOR	1u
#define QACCEL_VERSION		((QACCEL_VERSION_MAJOR << 16) | QACCEL_VERSION_MINOR)

/* Largest M, N or K a descriptor may carry. */
#define QACCEL_MAX_DIM		65535u
/* Largest submission/completion ring, in entries (a power of two). */
#define QACCEL_MAX_QUEUE	4096u

/* ------------------------------------------------------------------ */
/* Registers: 32-bit, on the AXI4-Lite slave, byte offsets             */
/* ------------------------------------------------------------------ */

#define QACCEL_REG_ID		0x000	/* RO: QACCEL_ID_MAGIC */
#define QACCEL_REG_VERSION	0x004	/* RO: major << 16 | minor */
#define QACCEL_REG_CAPS		0x008	/* RO: QACCEL_CAP_* */
#define QACCEL_REG_ARRAY	0x00c	/* RO: rows [15:0], cols [31:16] */
#define QACCEL_REG_MAX_DIM	0x010	/* RO: QACCEL_MAX_DIM */
#define QACCEL_REG_CTRL		0x014	/* RW: QACCEL_CTRL_* */
#define QACCEL_REG_STATUS	0x018	/* RO: QACCEL_STATUS_* */

#define QACCEL_REG_SQ_BASE_LO	0x020	/* RW: submission ring, 128-byte aligned */
#define QACCEL_REG_SQ_BASE_HI	0x024
#define QACCEL_REG_CQ_BASE_LO	0x028	/* RW: completion ring, 64-byte aligned */
#define QACCEL_REG_CQ_BASE_HI	0x02c
#define QACCEL_REG_SQ_SIZE	0x030	/* RW: entries, power of two, 2..QACCEL_MAX_QUEUE */
#define QACCEL_REG_CQ_SIZE	0x034	/* RW: entries, power of two, 2..QACCEL_MAX_QUEUE */
#define QACCEL_REG_SQ_TAIL	0x038	/* RW: host producer index (doorbell) */
#define QACCEL_REG_SQ_HEAD	0x03c	/* RO: device consumer index */
#define QACCEL_REG_CQ_HEAD	0x040	/* RW: host consumer index */
#define QACCEL_REG_CQ_TAIL	0x044	/* RO: device producer index */
/*
 * Ring indices (SQ_TAIL, SQ_HEAD, CQ_HEAD, CQ_TAIL, cqe.sq_head) are slot
 * numbers 0..size-1 that wrap to 0, as in NVMe: a ring is empty when head ==
 * tail, so the host keeps at most size-1 descriptors outstanding.
 */

#define QACCEL_REG_INT_STATUS	0x050	/* RW1C: QACCEL_INT_* */
#define QACCEL_REG_INT_ENABLE	0x054	/* RW: QACCEL_INT_*; irq = |(STATUS & ENABLE) */

#define QACCEL_REG_ERR_CODE	0x060	/* RO: QACCEL_ERR_* of the last fatal error */
#define QACCEL_REG_ERR_ADDR_LO	0x064	/* RO: address involved in the last fatal error */
#define QACCEL_REG_ERR_ADDR_HI	0x068

/* Free-running 64-bit performance counters, cleared by reset. LO then HI. */
#define QACCEL_REG_CNT_CYCLES		0x080	/* clock cycles since reset */
#define QACCEL_REG_CNT_BUSY		0x088	/* cycles with a job in progress */
#define QACCEL_REG_CNT_MACS		0x090	/* useful multiply-accumulates */
#define QACCEL_REG_CNT_DMA_RD		0x098	/* bytes read over AXI */
#define QACCEL_REG_CNT_DMA_WR		0x0a0	/* bytes written over AXI */
#define QACCEL_REG_CNT_DMA_STALL	0x0a8	/* busy cycles the array waited for DMA */
#define QACCEL_REG_CNT_COMPUTE_STALL	0x0b0	/* busy cycles DMA waited for the array */
#define QACCEL_REG_CNT_JOBS		0x0b8	/* completion records written */

/* One past the last register; the register window is 4 KiB. */
#define QACCEL_REG_END		0x0c0

#define QACCEL_CAP_GEMM_I32	(1u << 0)	/* raw int32 output */
#define QACCEL_CAP_REQUANT	(1u << 1)	/* int8/uint8 output, gemmlowp requant */
#define QACCEL_CAP_PER_CHANNEL	(1u << 2)
#define QACCEL_CAP_BIAS		(1u << 3)
#define QACCEL_CAP_UINT8_IN	(1u << 4)	/* uint8 operands and zero points */
/* Small-M jobs (M x cols < 64) run on the GEMV datapath at memory speed. */
#define QACCEL_CAP_GEMV		(1u << 5)
/* Flags bits 6..7 choose the requantization family (QACCEL_F_RQ_*). */
#define QACCEL_CAP_RQ_MODES	(1u << 6)
/*
 * Set only by qaccel-sim's functional C model (--functional), never by the
 * RTL: results are bit-exact, but the cycle counters are not the RTL's.
 */
#define QACCEL_CAP_FUNCTIONAL	(1u << 31)

#define QACCEL_CTRL_ENABLE	(1u << 0)	/* fetch and run descriptors */
#define QACCEL_CTRL_RESET	(1u << 1)	/* self-clearing: abandon everything */

#define QACCEL_STATUS_ENABLED	(1u << 0)
#define QACCEL_STATUS_BUSY	(1u << 1)	/* a job is in progress */
#define QACCEL_STATUS_FATAL	(1u << 2)	/* stopped; only a reset restarts */
#define QACCEL_STATUS_IDLE	(1u << 3)	/* nothing to do: no job, no DMA */

#define QACCEL_INT_CQ		(1u << 0)	/* completion records written */
#define QACCEL_INT_FATAL	(1u << 1)	/* device stopped, see ERR_CODE */

/* ------------------------------------------------------------------ */
/* Buffer references and page tables                                   */
/* ------------------------------------------------------------------ */

/*
 * Host buffers are not physically contiguous.  The kernel describes each
 * buffer object with a two-level page table that only it writes: a level-1
 * table (one 4 KiB page of 512 entries) points to level-0 tables (4 KiB, 512
 * entries) that point to the 4 KiB data pages.  Byte x of a buffer lives at
 *   L0 = L1[x >> 21], page = L0[(x >> 12) & 511], address = page + (x & 4095)
 * An entry is the 4 KiB-aligned device address with QACCEL_PTE_VALID set.
 * One table maps up to 1 GiB.
 */
#define QACCEL_PAGE_SHIFT	12
#define QACCEL_PAGE_SIZE	(1u << QACCEL_PAGE_SHIFT)
#define QACCEL_PT_ENTRIES	512u
#define QACCEL_PT_L1_SHIFT	21
#define QACCEL_PTE_VALID	1ull
#define QACCEL_PTE_ADDR_MASK	(~0xfffull)
#define QACCEL_MAX_BUF_SIZE	(1u << 30)

/*
 * An operand: the buffer's level-1 table, the byte offset of the operand's
 * first element, and the buffer size.  The device faults any byte it would
 * touch at or beyond size (QACCEL_ERR_DMA_BOUNDS).
 */
struct qaccel_hw_buf {
	uint64_t table;
	uint32_t offset;
	uint32_t size;
};

/* ------------------------------------------------------------------ */
/* Submission descriptor: 128 bytes, in the submission ring            */
/* ------------------------------------------------------------------ */

#define QACCEL_OP_NOP		0u
#define QACCEL_OP_GEMM		1u

#define QACCEL_F_A_UINT8	(1u << 0)	/* A elements are uint8 (else int8) */
#define QACCEL_F_B_UINT8	(1u << 1)	/* B elements are uint8 (else int8) */
#define QACCEL_F_OUT_SHIFT	2
#define QACCEL_F_OUT_MASK	(3u << QACCEL_F_OUT_SHIFT)
#define QACCEL_F_OUT_INT32	(0u << QACCEL_F_OUT_SHIFT)	/* C = acc + bias */
#define QACCEL_F_OUT_INT8	(1u << QACCEL_F_OUT_SHIFT)	/* requantized */
#define QACCEL_F_OUT_UINT8	(2u << QACCEL_F_OUT_SHIFT)	/* requantized */
#define QACCEL_F_BIAS		(1u << 4)	/* add int32 bias[N] */
#define QACCEL_F_PER_CHANNEL	(1u << 5)	/* multiplier/shift per column of C */
/*
 * Requantization family of an int8/uint8 output (docs/quantization.md):
 * GEMMLOWP is gemmlowp's two roundings, SINGLE one rounding of the exact
 * 64-bit product, FP32 a binary32 scale (its bits in the multiplier, shift
 * 0) rounded half to even.  Value 3 is QACCEL_ERR_BAD_FLAGS.
 */
#define QACCEL_F_RQ_SHIFT	6
#define QACCEL_F_RQ_MASK	(3u << QACCEL_F_RQ_SHIFT)
#define QACCEL_F_RQ_GEMMLOWP	(0u << QACCEL_F_RQ_SHIFT)
#define QACCEL_F_RQ_SINGLE	(1u << QACCEL_F_RQ_SHIFT)
#define QACCEL_F_RQ_FP32	(2u << QACCEL_F_RQ_SHIFT)
#define QACCEL_F_ALL		0x00ffu

/*
 * C[m][n] = requant(sum_k (A[m][k] - a_zp) * (B[n][k] - b_zp) + bias[n])
 * A is M x K (row stride lda bytes), B is N x K (one row per output channel,
 * stride ldb), C is M x N (stride ldc; 4-byte elements for int32 output).
 * Accumulation wraps modulo 2^32.  requant is the family QACCEL_F_RQ_*
 * chooses (gemmlowp's SaturatingRoundingDoublingHighMul and
 * RoundingDivideByPOT, the single-rounding Q31 product, or the binary32
 * scale), then + c_zp and clamp to [clamp_min, clamp_max].  Per-channel
 * parameters are N records of struct qaccel_hw_quant in the quant buffer;
 * a record the family cannot use fails the job with QACCEL_ERR_BAD_PARAM.
 * Fields a feature does not use are ignored by the device.
 */
struct qaccel_hw_desc {
	uint8_t  opcode;		/* 0x00 QACCEL_OP_* */
	uint8_t  reserved0;		/* 0x01 must be zero */
	uint16_t flags;			/* 0x02 QACCEL_F_* */
	uint32_t tag;			/* 0x04 copied to the completion */
	uint32_t m, n, k;		/* 0x08 1..QACCEL_MAX_DIM */
	uint32_t lda, ldb, ldc;		/* 0x14 row strides in bytes */
	struct qaccel_hw_buf a;		/* 0x20 */
	struct qaccel_hw_buf b;		/* 0x30 */
	struct qaccel_hw_buf c;		/* 0x40 */
	struct qaccel_hw_buf bias;	/* 0x50 int32[N] */
	struct qaccel_hw_buf quant;	/* 0x60 struct qaccel_hw_quant[N] */
	int32_t  out_multiplier;	/* 0x70 per-tensor; FP32: the scale's bits */
	int8_t   out_shift;		/* 0x74 per-tensor, > 0 shifts left; FP32: 0 */
	uint8_t  reserved1;		/* 0x75 must be zero */
	int16_t  a_zero_point;		/* 0x76 */
	int16_t  b_zero_point;		/* 0x78 */
	int16_t  c_zero_point;		/* 0x7a */
	int16_t  clamp_min;		/* 0x7c */
	int16_t  clamp_max;		/* 0x7e */
};

/* Per-output-channel requantization record (QACCEL_F_PER_CHANNEL). */
struct qaccel_hw_quant {
	int32_t multiplier;		/* FP32: positive normal binary32 bits */
	int32_t shift;			/* QACCEL_SHIFT_MIN..QACCEL_SHIFT_MAX; FP32: 0 */
};

#define QACCEL_SHIFT_MIN	(-31)
#define QACCEL_SHIFT_MAX	30

/* ------------------------------------------------------------------ */
/* Completion record: 64 bytes, in the completion ring                 */
/* ------------------------------------------------------------------ */

/*
 * The device writes records in submission order.  Bit 0 of info is the
 * phase: 1 on the first pass through the ring, flipped on every wrap, so the
 * host (which zeroes the ring at setup) sees a new record when the phase it
 * reads is the one it expects.
 */
struct qaccel_hw_cqe {
	uint32_t tag;			/* 0x00 the descriptor's tag */
	uint16_t status;		/* 0x04 QACCEL_ERR_* */
	uint16_t info;			/* 0x06 bit 0: phase */
	uint32_t sq_head;		/* 0x08 SQ consumer index after this job */
	uint32_t err_detail;		/* 0x0c status-specific (QACCEL_DETAIL_*) */
	uint64_t cycles;		/* 0x10 descriptor fetch to this record */
	uint64_t busy_cycles;		/* 0x18 cycles the array computed */
	uint64_t macs;			/* 0x20 */
	uint64_t dma_rd_bytes;		/* 0x28 */
	uint64_t dma_wr_bytes;		/* 0x30 */
	uint32_t dma_stall_cycles;	/* 0x38 */
	uint32_t compute_stall_cycles;	/* 0x3c */
};

#define QACCEL_CQE_PHASE	(1u << 0)

/* Status codes, in completion records and QACCEL_REG_ERR_CODE. */
#define QACCEL_ERR_OK		0u
#define QACCEL_ERR_BAD_OPCODE	1u	/* unknown opcode or reserved field set */
#define QACCEL_ERR_BAD_DIM	2u	/* M, N or K zero or above QACCEL_MAX_DIM */
#define QACCEL_ERR_BAD_FLAGS	3u	/* unknown flag bits or output type 3 */
#define QACCEL_ERR_UNSUPPORTED	4u	/* valid, but not built into this device */
#define QACCEL_ERR_BAD_PARAM	5u	/* shift, zero point or clamp out of range */
#define QACCEL_ERR_DMA_BOUNDS	6u	/* access at or beyond a buffer's size */
#define QACCEL_ERR_DMA_FAULT	7u	/* invalid PTE or AXI error response */
#define QACCEL_ERR_RING_FAULT	8u	/* fatal: SQ/CQ access failed */
#define QACCEL_ERR_BAD_QUEUE	9u	/* fatal: ring base/size invalid at enable */

/* err_detail for DMA errors: which operand (QACCEL_DETAIL_*). */
#define QACCEL_DETAIL_A		1u
#define QACCEL_DETAIL_B		2u
#define QACCEL_DETAIL_C		3u
#define QACCEL_DETAIL_BIAS	4u
#define QACCEL_DETAIL_QUANT	5u

/* ------------------------------------------------------------------ */
/* AXI4 master port                                                    */
/* ------------------------------------------------------------------ */

#define QACCEL_AXI_DATA_BYTES	64	/* 512-bit data bus */
#define QACCEL_AXI_ADDR_BITS	64
#define QACCEL_AXI_ID_BITS	4
#define QACCEL_AXI_MAX_BURST	64	/* beats; bursts never cross 4 KiB */

/* ------------------------------------------------------------------ */
/* Microarchitecture: block parameters that software depends on        */
/* ------------------------------------------------------------------ */

/*
 * Not part of the programming interface, but the functional model
 * (sim/qsim_func*.c) reproduces the requests, tiles and translation misses
 * they fix, so they are kept here and in qaccel_pkg.sv, compared by
 * iface_check, never copied by hand.
 */
#define QACCEL_UARCH_K_CHUNK		512u	/* bytes of K per scratchpad bank */
#define QACCEL_UARCH_MAX_BANKS		3u	/* scratchpad banks, used in turn */
#define QACCEL_UARCH_PAIR_MIN_PES	512u	/* arrays this big pair C rows of two tiles */
#define QACCEL_UARCH_DESC_BUF		16u	/* descriptors per prefetch read */
#define QACCEL_UARCH_GEMV_K		2048u	/* largest GEMV slot, bytes of K */
#define QACCEL_UARCH_GEMV_MIN_PES	64u	/* fewer PEs: no GEMV mode */
#define QACCEL_UARCH_GEMV_MAX_LANES	4u	/* GEMV lanes of 64 multipliers */
#define QACCEL_UARCH_CQ_PEND		16u	/* record writes in flight */
#define QACCEL_UARCH_DMA_DEPTH		16u	/* bursts in flight per direction */
#define QACCEL_UARCH_DMA_WAYS		8u	/* level-0 lines cached per stream */
#define QACCEL_UARCH_DMA_PF_LINES	2u	/* level-0 lines prefetched ahead (GEMV B) */
#define QACCEL_UARCH_DMA_STREAMS	5u	/* A, B, C, bias, per-channel */

/* ------------------------------------------------------------------ */
/* ivshmem transport (guest <-> qaccel-sim), not part of the RTL       */
/* ------------------------------------------------------------------ */

/*
 * BAR2 of the ivshmem-doorbell function is shared memory, so a guest store
 * to it is not a bus write the device can see.  The window therefore holds:
 *  - a register mirror at QACCEL_WIN_REGS: qaccel-sim writes the current
 *    value of every register (offset = register offset) whenever it may have
 *    changed; the guest only reads it;
 *  - a write mailbox at QACCEL_WIN_MBOX: the guest appends {offset, value}
 *    records, advances head and rings doorbell vector QACCEL_DB_MBOX;
 *    qaccel-sim performs each as an AXI4-Lite write, in order, and advances
 *    tail.  head and tail are free-running counts.
 * MSI-X vector QACCEL_MSIX_IRQ is raised when the RTL's irq output rises or
 * stays high after a write to INT_STATUS.
 */
#define QACCEL_WIN_SIZE		0x10000u	/* memfd size, a power of two */
#define QACCEL_WIN_REGS		0x0000u
#define QACCEL_WIN_MBOX		0x1000u
#define QACCEL_MBOX_ENTRIES	1024u

#define QACCEL_DB_MBOX		0u	/* doorbell vector: mailbox has writes */
#define QACCEL_MSIX_IRQ		0u	/* MSI-X vector: device interrupt */
#define QACCEL_NUM_VECTORS	2u

/*
 * Fault injection, qaccel-sim only (never reaches the RTL).  Offsets in the
 * register window past QACCEL_REG_END.  qaccel-sim started with
 * --fault-injection mirrors QACCEL_SIM_FAULT_MAGIC at QACCEL_SIM_REG_FAULT_ID
 * (otherwise it reads 0) and takes mailbox writes to QACCEL_SIM_REG_HANG_AFTER:
 * N arms a hang: N more completion records are written, then the device
 * stops running (the next job never completes) until CTRL.RESET.
 * QACCEL_SIM_HANG_OFF disarms.  The mirror shows the jobs left before the
 * hang, QACCEL_SIM_HANG_OFF when disarmed, QACCEL_SIM_HANG_NOW while hung.
 */
#define QACCEL_SIM_REG_FAULT_ID		0x800u
#define QACCEL_SIM_REG_HANG_AFTER	0x804u
/*
 * One-shot device faults (a mailbox write of a QACCEL_SIM_FAULT_* code; the
 * mirror shows the armed code, 0 once it has happened):
 *  LOST_IRQ  the next MSI-X the device would raise is not sent (the irq
 *            line stays high, so no later edge raises one either until
 *            the driver writes INT_STATUS);
 *  DMA_ERROR the next read burst outside the submission ring (the next
 *            job's page-table or operand read) is answered with SLVERR;
 *  BAD_CQE   the next completion record is written with a corrupted tag;
 *  DIE       qaccel-sim exits at once: the device is gone.
 */
#define QACCEL_SIM_REG_FAULT		0x808u
#define QACCEL_SIM_FAULT_NONE		0u
#define QACCEL_SIM_FAULT_LOST_IRQ	1u
#define QACCEL_SIM_FAULT_DMA_ERROR	2u
#define QACCEL_SIM_FAULT_BAD_CQE	3u
#define QACCEL_SIM_FAULT_DIE		4u
#define QACCEL_SIM_FAULT_MAGIC		0x51464931u	/* "QFI1" */
#define QACCEL_SIM_HANG_OFF		0xffffffffu
#define QACCEL_SIM_HANG_NOW		0xfffffffeu

/* ivshmem peer ids qaccel-sim hands out: the guest (QEMU) and the device. */
#define QACCEL_IVSHMEM_GUEST_ID		0u
#define QACCEL_IVSHMEM_DEVICE_ID	1u

struct qaccel_mbox_entry {
	uint32_t offset;
	uint32_t value;
};

struct qaccel_mbox {
	uint32_t head;			/* written by the guest */
	uint32_t pad0[15];
	uint32_t tail;			/* written by qaccel-sim */
	uint32_t pad1[15];
	struct qaccel_mbox_entry entry[QACCEL_MBOX_ENTRIES];
};

/* ------------------------------------------------------------------ */
/* Layout checks                                                       */
/* ------------------------------------------------------------------ */

QACCEL_HW_STATIC_ASSERT(sizeof(struct qaccel_hw_buf) == 16, "buf is 16 bytes");
QACCEL_HW_STATIC_ASSERT(sizeof(struct qaccel_hw_desc) == 128, "desc is 128 bytes");
QACCEL_HW_STATIC_ASSERT(sizeof(struct qaccel_hw_cqe) == 64, "cqe is 64 bytes");
QACCEL_HW_STATIC_ASSERT(sizeof(struct qaccel_hw_quant) == 8, "quant is 8 bytes");
QACCEL_HW_STATIC_ASSERT(offsetof(struct qaccel_hw_desc, quant) == 0x60, "desc quant");
QACCEL_HW_STATIC_ASSERT(offsetof(struct qaccel_hw_desc, clamp_max) == 0x7e, "desc clamp");
QACCEL_HW_STATIC_ASSERT(offsetof(struct qaccel_hw_cqe, compute_stall_cycles) == 0x3c, "cqe");
QACCEL_HW_STATIC_ASSERT(QACCEL_SIM_REG_FAULT_ID >= QACCEL_REG_END, "sim registers");
QACCEL_HW_STATIC_ASSERT(QACCEL_SIM_REG_FAULT + sizeof(uint32_t) <= QACCEL_WIN_MBOX,
			"sim registers before the mailbox");
QACCEL_HW_STATIC_ASSERT(QACCEL_WIN_MBOX + sizeof(struct qaccel_mbox) <= QACCEL_WIN_SIZE,
			"mailbox fits the window");

#endif /* QACCEL_HW_H */
