/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: register access over the ivshmem transport, reset, queue setup
 * and the interrupt line.
 */
#ifndef QACCEL_DRV_HW_H
#define QACCEL_DRV_HW_H

#include <linux/io.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/* The shared hardware interface, not this file. */
#include "../include/qaccel_hw.h"

struct qaccel_device;

/* Entries of each hardware ring; the SQ holds at most one less. */
#define QACCEL_RING_ENTRIES	256u

/**
 * struct qaccel_hw - the device's registers, rings and identity
 * @db: BAR0, the ivshmem doorbell registers
 * @win: BAR2, the shared register window (mirror and write mailbox)
 * @mbox_lock: serialises writers of the mailbox and @mbox_head
 * @mbox_head: next mailbox entry to fill, a free-running count
 * @mbox_dead: qaccel-sim stopped draining the mailbox; writes fail fast
 * @doorbell: value that rings the device's mailbox vector
 * @version: QACCEL_REG_VERSION
 * @caps: QACCEL_REG_CAPS
 * @rows: rows of the systolic array
 * @cols: columns of the systolic array
 * @max_dim: largest M, N or K the device takes
 * @sq: submission ring, QACCEL_RING_ENTRIES descriptors
 * @sq_dma: device address of @sq
 * @cq: completion ring, QACCEL_RING_ENTRIES records
 * @cq_dma: device address of @cq
 * @cq_head: next completion record to read (slot number)
 * @cq_phase: phase bit a new record in slot @cq_head carries
 * @irq: Linux interrupt number of MSI-X vector QACCEL_MSIX_IRQ
 *
 * The rings and @cq_head/@cq_phase belong to the job queue: they are only
 * touched under &qaccel_queue.lock once the device is enabled.
 */
struct qaccel_hw {
	void __iomem *db;
	void __iomem *win;
	spinlock_t mbox_lock; /* guards mailbox writes */
	u32 mbox_head;
	bool mbox_dead;
	u32 doorbell;

	u32 version;
	u32 caps;
	u32 rows;
	u32 cols;
	u32 max_dim;

	struct qaccel_hw_desc *sq;
	dma_addr_t sq_dma;
	struct qaccel_hw_cqe *cq;
	dma_addr_t cq_dma;
	u32 cq_head;
	u32 cq_phase;

	int irq;
};

/* Registers are read from the mirror qaccel-sim keeps in the window. */
static inline u32 qaccel_reg_read(struct qaccel_hw *hw, u32 reg)
{
	return readl(hw->win + QACCEL_WIN_REGS + reg);
}

u64 qaccel_reg_read64(struct qaccel_hw *hw, u32 reg);
int qaccel_reg_write(struct qaccel_hw *hw, u32 reg, u32 value);
int qaccel_reg_write_sync(struct qaccel_hw *hw, u32 reg, u32 value);

int qaccel_hw_init(struct qaccel_device *qdev);
int qaccel_hw_start(struct qaccel_device *qdev);
void qaccel_hw_stop(struct qaccel_device *qdev);
int qaccel_hw_irq_init(struct qaccel_device *qdev);
void qaccel_hw_irq_fini(struct qaccel_device *qdev);

struct qaccel_hw_cqe *qaccel_hw_cq_next(struct qaccel_hw *hw);
void qaccel_hw_cq_pop(struct qaccel_hw *hw);

#endif /* QACCEL_DRV_HW_H */
