// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: register access, reset, queue setup and the interrupt line.
 *
 * The device lives in qaccel-sim, a host process behind QEMU's
 * ivshmem-doorbell function.  BAR2 is memory both sides share, so a store
 * to it is not a bus write anybody sees: qaccel-sim keeps a mirror of every
 * register there (reads are plain loads), and writes go through a mailbox
 * in the same window followed by a doorbell on BAR0 that wakes qaccel-sim.
 * Doorbells coalesce, so the mailbox head and tail indices, not the number
 * of doorbells, say what is pending.
 */

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/pci.h>

#include "qaccel_drv.h"
#include "qaccel_hw.h"
#include "qaccel_queue.h"

#ifdef __BIG_ENDIAN
#error "qaccel: rings and page tables are little-endian; only LE hosts are handled"
#endif

/* QEMU ivshmem BAR0 registers (the PCI function, not the qaccel device). */
#define IVSHMEM_REG_IVPOSITION	0x08
#define IVSHMEM_REG_DOORBELL	0x0c
#define IVSHMEM_BAR_REGS	0
#define IVSHMEM_BAR_SHM		2

#define QACCEL_MBOX_HEAD	(QACCEL_WIN_MBOX + offsetof(struct qaccel_mbox, head))
#define QACCEL_MBOX_TAIL	(QACCEL_WIN_MBOX + offsetof(struct qaccel_mbox, tail))
#define QACCEL_MBOX_ENTRY(i)	(QACCEL_WIN_MBOX + offsetof(struct qaccel_mbox, entry) + \
				 ((i) % QACCEL_MBOX_ENTRIES) * sizeof(struct qaccel_mbox_entry))

/*
 * A full mailbox means qaccel-sim has not run for this long; spinning is
 * acceptable because 1024 entries fill only when it is gone.
 */
#define QACCEL_MBOX_ROOM_US	100000
/*
 * qaccel-sim applies a write within one wakeup (milliseconds); the bound is
 * for a host so loaded that the simulator is not scheduled for seconds.
 * Past it the device is taken for gone, for good, so it must not be tight.
 */
#define QACCEL_MBOX_APPLY_US	5000000
#define QACCEL_MBOX_POLL_US	10

static_assert(!(QACCEL_RING_ENTRIES & (QACCEL_RING_ENTRIES - 1)), "rings are a power of two");
static_assert(QACCEL_MAX_QUEUE >= QACCEL_RING_ENTRIES, "ring size the device takes");
static_assert(PAGE_SIZE >= QACCEL_PAGE_SIZE, "device pages split CPU pages");

u64 qaccel_reg_read64(struct qaccel_hw *hw, u32 reg)
{
	u32 hi, lo, hi2;

	/* The mirror is updated word by word: retry if LO wrapped under us. */
	hi = qaccel_reg_read(hw, reg + 4);
	do {
		hi2 = hi;
		lo = qaccel_reg_read(hw, reg);
		hi = qaccel_reg_read(hw, reg + 4);
	} while (hi != hi2);

	return (u64)hi << 32 | lo;
}

static u32 qaccel_mbox_tail(struct qaccel_hw *hw)
{
	return readl(hw->win + QACCEL_MBOX_TAIL);
}

/*
 * Append one register write to the mailbox and ring the device.  Returns the
 * mailbox head after the entry, which the entry is applied by once the tail
 * reaches it, or a negative errno.
 */
static s64 qaccel_mbox_post(struct qaccel_hw *hw, u32 reg, u32 value)
{
	unsigned int waited = 0;
	void __iomem *entry;
	s64 ret;

	spin_lock(&hw->mbox_lock);
	if (hw->mbox_dead) {
		ret = -EIO;
		goto out;
	}
	while (hw->mbox_head - qaccel_mbox_tail(hw) >= QACCEL_MBOX_ENTRIES) {
		if (waited++ >= QACCEL_MBOX_ROOM_US) {
			hw->mbox_dead = true;
			dev_err(hw_to_qdev(hw)->drm.dev,
				"qaccel-sim stopped draining the mailbox\n");
			ret = -ETIMEDOUT;
			goto out;
		}
		udelay(1);
	}

	entry = hw->win + QACCEL_MBOX_ENTRY(hw->mbox_head);
	writel(reg, entry + offsetof(struct qaccel_mbox_entry, offset));
	writel(value, entry + offsetof(struct qaccel_mbox_entry, value));
	/* qaccel-sim reads the entry once it sees the new head. */
	wmb();
	hw->mbox_head++;
	writel(hw->mbox_head, hw->win + QACCEL_MBOX_HEAD);
	writel(hw->doorbell, hw->db + IVSHMEM_REG_DOORBELL);
	ret = hw->mbox_head;
out:
	spin_unlock(&hw->mbox_lock);
	return ret;
}

/**
 * qaccel_reg_write() - queue a register write to the device
 * @hw: the device
 * @reg: QACCEL_REG_* offset
 * @value: value to write
 *
 * Writes are applied in order, some time after this returns.
 *
 * Return: 0, or a negative errno if qaccel-sim stopped answering.
 */
int qaccel_reg_write(struct qaccel_hw *hw, u32 reg, u32 value)
{
	s64 ret = qaccel_mbox_post(hw, reg, value);

	return ret < 0 ? ret : 0;
}

/**
 * qaccel_reg_write_sync() - write a register and wait until it is applied
 * @hw: the device
 * @reg: QACCEL_REG_* offset
 * @value: value to write
 *
 * Sleeps.  When this returns 0, this write and every earlier one have been
 * performed and the register mirror shows their effect.
 *
 * Return: 0, or a negative errno if qaccel-sim stopped answering.
 */
int qaccel_reg_write_sync(struct qaccel_hw *hw, u32 reg, u32 value)
{
	s64 ticket = qaccel_mbox_post(hw, reg, value);
	u32 tail;
	int ret;

	if (ticket < 0)
		return ticket;

	ret = readl_poll_timeout(hw->win + QACCEL_MBOX_TAIL, tail,
				 (s32)(tail - (u32)ticket) >= 0,
				 QACCEL_MBOX_POLL_US, QACCEL_MBOX_APPLY_US);
	if (ret) {
		dev_err(hw_to_qdev(hw)->drm.dev,
			"qaccel-sim did not apply register write 0x%03x\n", reg);
		spin_lock(&hw->mbox_lock);
		hw->mbox_dead = true;
		spin_unlock(&hw->mbox_lock);
	}
	return ret;
}

/**
 * qaccel_hw_init() - map the device and read what it is
 * @qdev: the device, with @pdev set
 *
 * Return: 0; -ENODEV if the ivshmem function is not a qaccel device;
 * another negative errno on failure.
 */
int qaccel_hw_init(struct qaccel_device *qdev)
{
	struct qaccel_hw *hw = &qdev->hw;
	struct pci_dev *pdev = qdev->pdev;
	struct device *dev = &pdev->dev;
	u32 id, array;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	if (pci_resource_len(pdev, IVSHMEM_BAR_SHM) < QACCEL_WIN_SIZE)
		return -ENODEV;

	ret = pcim_iomap_regions(pdev, BIT(IVSHMEM_BAR_REGS) | BIT(IVSHMEM_BAR_SHM),
				 QACCEL_DRIVER_NAME);
	if (ret)
		return ret;
	hw->db = pcim_iomap_table(pdev)[IVSHMEM_BAR_REGS];
	hw->win = pcim_iomap_table(pdev)[IVSHMEM_BAR_SHM];

	/* Other ivshmem users exist: stay quiet unless this is ours. */
	id = qaccel_reg_read(hw, QACCEL_REG_ID);
	if (id != QACCEL_ID_MAGIC)
		return -ENODEV;

	hw->version = qaccel_reg_read(hw, QACCEL_REG_VERSION);
	if (hw->version >> 16 != QACCEL_VERSION_MAJOR) {
		dev_err(dev, "device version %u.%u, driver speaks %u.x\n",
			hw->version >> 16, hw->version & 0xffff, QACCEL_VERSION_MAJOR);
		return -ENODEV;
	}
	hw->caps = qaccel_reg_read(hw, QACCEL_REG_CAPS);
	array = qaccel_reg_read(hw, QACCEL_REG_ARRAY);
	hw->rows = array & 0xffff;
	hw->cols = array >> 16;
	hw->max_dim = min(qaccel_reg_read(hw, QACCEL_REG_MAX_DIM), QACCEL_MAX_DIM);

	spin_lock_init(&hw->mbox_lock);
	/* Carry on from whatever a previous driver instance left. */
	hw->mbox_head = readl(hw->win + QACCEL_MBOX_HEAD);
	hw->doorbell = QACCEL_IVSHMEM_DEVICE_ID << 16 | QACCEL_DB_MBOX;
	dev_dbg(dev, "ivshmem peer id %u\n", readl(hw->db + IVSHMEM_REG_IVPOSITION));

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	pci_set_master(pdev);

	hw->sq = dmam_alloc_coherent(dev, QACCEL_RING_ENTRIES * sizeof(*hw->sq),
				     &hw->sq_dma, GFP_KERNEL);
	hw->cq = dmam_alloc_coherent(dev, QACCEL_RING_ENTRIES * sizeof(*hw->cq),
				     &hw->cq_dma, GFP_KERNEL);
	if (!hw->sq || !hw->cq)
		return -ENOMEM;

	return 0;
}

/**
 * qaccel_hw_start() - reset the device, set up its rings and enable it
 * @qdev: the device
 *
 * Abandons whatever the device was doing; the caller owns the jobs that
 * were on the rings.  Sleeps.
 *
 * Return: 0 or a negative errno.
 */
int qaccel_hw_start(struct qaccel_device *qdev)
{
	struct qaccel_hw *hw = &qdev->hw;
	u32 status;
	int ret;

	ret = qaccel_reg_write_sync(hw, QACCEL_REG_CTRL, QACCEL_CTRL_RESET);
	if (ret)
		return ret;

	/* Phase 0 everywhere: no slot looks like a first-pass record. */
	memset(hw->cq, 0, QACCEL_RING_ENTRIES * sizeof(*hw->cq));
	hw->cq_head = 0;
	hw->cq_phase = QACCEL_CQE_PHASE;

	qaccel_reg_write(hw, QACCEL_REG_SQ_BASE_LO, lower_32_bits(hw->sq_dma));
	qaccel_reg_write(hw, QACCEL_REG_SQ_BASE_HI, upper_32_bits(hw->sq_dma));
	qaccel_reg_write(hw, QACCEL_REG_CQ_BASE_LO, lower_32_bits(hw->cq_dma));
	qaccel_reg_write(hw, QACCEL_REG_CQ_BASE_HI, upper_32_bits(hw->cq_dma));
	qaccel_reg_write(hw, QACCEL_REG_SQ_SIZE, QACCEL_RING_ENTRIES);
	qaccel_reg_write(hw, QACCEL_REG_CQ_SIZE, QACCEL_RING_ENTRIES);
	qaccel_reg_write(hw, QACCEL_REG_SQ_TAIL, 0);
	qaccel_reg_write(hw, QACCEL_REG_CQ_HEAD, 0);
	qaccel_reg_write(hw, QACCEL_REG_INT_STATUS, QACCEL_INT_CQ | QACCEL_INT_FATAL);
	qaccel_reg_write(hw, QACCEL_REG_INT_ENABLE, QACCEL_INT_CQ | QACCEL_INT_FATAL);
	/* Earlier writes fail the same way as this one, so one check covers them. */
	ret = qaccel_reg_write_sync(hw, QACCEL_REG_CTRL, QACCEL_CTRL_ENABLE);
	if (ret)
		return ret;

	status = qaccel_reg_read(hw, QACCEL_REG_STATUS);
	if ((status & QACCEL_STATUS_FATAL) || !(status & QACCEL_STATUS_ENABLED)) {
		dev_err(qdev->drm.dev, "device did not start: status 0x%x error %u\n",
			status, qaccel_reg_read(hw, QACCEL_REG_ERR_CODE));
		return -EIO;
	}
	return 0;
}

/**
 * qaccel_hw_stop() - quiesce the device: no more DMA, no more interrupts
 * @qdev: the device
 */
void qaccel_hw_stop(struct qaccel_device *qdev)
{
	struct qaccel_hw *hw = &qdev->hw;

	qaccel_reg_write(hw, QACCEL_REG_INT_ENABLE, 0);
	qaccel_reg_write_sync(hw, QACCEL_REG_CTRL, QACCEL_CTRL_RESET);
}

/**
 * qaccel_hw_cq_next() - the next unread completion record, if any
 * @hw: the device
 *
 * Caller holds the queue lock.
 *
 * Return: the record in slot @hw->cq_head if the device has written it on
 * this pass, else NULL.
 */
struct qaccel_hw_cqe *qaccel_hw_cq_next(struct qaccel_hw *hw)
{
	struct qaccel_hw_cqe *cqe = &hw->cq[hw->cq_head];

	if ((READ_ONCE(cqe->info) & QACCEL_CQE_PHASE) != hw->cq_phase)
		return NULL;
	/* The phase is written last: read the rest of the record after it. */
	dma_rmb();
	return cqe;
}

/**
 * qaccel_hw_cq_pop() - step past the record qaccel_hw_cq_next() returned
 * @hw: the device
 */
void qaccel_hw_cq_pop(struct qaccel_hw *hw)
{
	hw->cq_head = (hw->cq_head + 1) % QACCEL_RING_ENTRIES;
	if (!hw->cq_head)
		hw->cq_phase ^= QACCEL_CQE_PHASE;
}

static irqreturn_t qaccel_irq_thread(int irq, void *arg)
{
	struct qaccel_device *qdev = arg;

	qaccel_job_irq(qdev);
	return IRQ_HANDLED;
}

/**
 * qaccel_hw_irq_init() - set up MSI-X and the device interrupt handler
 * @qdev: the device
 *
 * Return: 0 or a negative errno.
 */
int qaccel_hw_irq_init(struct qaccel_device *qdev)
{
	struct pci_dev *pdev = qdev->pdev;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, QACCEL_NUM_VECTORS, QACCEL_NUM_VECTORS,
				    PCI_IRQ_MSIX);
	if (ret < 0)
		return ret;

	qdev->hw.irq = pci_irq_vector(pdev, QACCEL_MSIX_IRQ);
	/*
	 * Threaded: completing a job drops buffer references, and the
	 * interrupt acknowledge waits for qaccel-sim to apply it.
	 */
	ret = request_threaded_irq(qdev->hw.irq, NULL, qaccel_irq_thread,
				   IRQF_ONESHOT, QACCEL_DRIVER_NAME, qdev);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return ret;
	}
	return 0;
}

/**
 * qaccel_hw_irq_fini() - undo qaccel_hw_irq_init(); the handler has finished
 * @qdev: the device
 */
void qaccel_hw_irq_fini(struct qaccel_device *qdev)
{
	free_irq(qdev->hw.irq, qdev);
	pci_free_irq_vectors(qdev->pdev);
}
