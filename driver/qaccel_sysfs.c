// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: introspection.  sysfs group "qaccel" on the PCI device with the
 * device's capabilities and the driver's job statistics; in debugfs, the
 * fault-injection knob of a qaccel-sim that offers it.
 */

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "qaccel_drv.h"
#include "qaccel_hw.h"
#include "qaccel_queue.h"

static struct qaccel_device *dev_to_qdev(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

#define QACCEL_HW_ATTR(name, fmt, ...)						\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct qaccel_hw *hw = &dev_to_qdev(dev)->hw;				\
										\
	return sysfs_emit(buf, fmt "\n", __VA_ARGS__);				\
}										\
static DEVICE_ATTR_RO(name)

QACCEL_HW_ATTR(version, "%u.%u", hw->version >> 16, hw->version & 0xffff);
QACCEL_HW_ATTR(caps, "0x%x", hw->caps);
QACCEL_HW_ATTR(array, "%ux%u", hw->rows, hw->cols);
QACCEL_HW_ATTR(max_dim, "%u", hw->max_dim);

static ssize_t qaccel_stat_emit(struct device *dev, char *buf, size_t offset)
{
	struct qaccel_stats *st = &dev_to_qdev(dev)->queue.stats;

	return sysfs_emit(buf, "%lld\n", atomic64_read((atomic64_t *)((char *)st + offset)));
}

/* @field is always @name; a separate argument keeps each used once. */
#define QACCEL_STAT_ATTR(name, field)						\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	return qaccel_stat_emit(dev, buf, offsetof(struct qaccel_stats, field));	\
}										\
static DEVICE_ATTR_RO(name)

QACCEL_STAT_ATTR(submitted, submitted);
QACCEL_STAT_ATTR(completed, completed);
QACCEL_STAT_ATTR(failed, failed);
QACCEL_STAT_ATTR(timeouts, timeouts);
QACCEL_STAT_ATTR(resets, resets);
QACCEL_STAT_ATTR(busy_cycles, busy_cycles);
QACCEL_STAT_ATTR(macs, macs);

/* Device counters restart at every reset; these read the current ones. */
static int qaccel_sysfs_counter(struct qaccel_device *qdev, u32 reg, u64 *value)
{
	int idx;

	if (!drm_dev_enter(&qdev->drm, &idx))
		return -ENODEV;
	*value = qaccel_reg_read64(&qdev->hw, reg);
	drm_dev_exit(idx);
	return 0;
}

/* Per mille of device cycles with a job in progress, since the last reset. */
static ssize_t utilization_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct qaccel_device *qdev = dev_to_qdev(dev);
	u64 cycles, busy;
	int ret;

	ret = qaccel_sysfs_counter(qdev, QACCEL_REG_CNT_CYCLES, &cycles);
	if (!ret)
		ret = qaccel_sysfs_counter(qdev, QACCEL_REG_CNT_BUSY, &busy);
	if (ret)
		return ret;
	return sysfs_emit(buf, "%llu\n", cycles ? div64_u64(min(busy, cycles) * 1000, cycles) : 0);
}
static DEVICE_ATTR_RO(utilization);

static ssize_t queued_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct qaccel_queue *q = &dev_to_qdev(dev)->queue;

	return sysfs_emit(buf, "%u %u\n", READ_ONCE(q->nr_running), READ_ONCE(q->nr_pending));
}
static DEVICE_ATTR_RO(queued);

/* Leak accounting: both return to their baseline when user space lets go. */
static ssize_t bos_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&dev_to_qdev(dev)->nr_bos));
}
static DEVICE_ATTR_RO(bos);

static ssize_t pinned_pages_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&dev_to_qdev(dev)->pinned_pages));
}
static DEVICE_ATTR_RO(pinned_pages);

static struct attribute *qaccel_attrs[] = {
	&dev_attr_version.attr,
	&dev_attr_caps.attr,
	&dev_attr_array.attr,
	&dev_attr_max_dim.attr,
	&dev_attr_submitted.attr,
	&dev_attr_completed.attr,
	&dev_attr_failed.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_resets.attr,
	&dev_attr_busy_cycles.attr,
	&dev_attr_macs.attr,
	&dev_attr_utilization.attr,
	&dev_attr_queued.attr,
	&dev_attr_bos.attr,
	&dev_attr_pinned_pages.attr,
	NULL,
};

static const struct attribute_group qaccel_attr_group = {
	.name = QACCEL_DRIVER_NAME,
	.attrs = qaccel_attrs,
};

/**
 * qaccel_sysfs_init() - add the "qaccel" attribute group to the PCI device
 * @qdev: the device
 *
 * Removed with the device (devres).
 *
 * Return: 0 or a negative errno.
 */
int qaccel_sysfs_init(struct qaccel_device *qdev)
{
	return devm_device_add_group(&qdev->pdev->dev, &qaccel_attr_group);
}

#ifdef CONFIG_DEBUG_FS
/* Pass a number written to a debugfs knob to a sim-only register. */
static ssize_t qaccel_fault_write(struct file *f, const char __user *ubuf,
				  size_t len, u32 reg)
{
	struct qaccel_device *qdev = file_inode(f)->i_private;
	unsigned int val;
	int ret, idx;

	ret = kstrtouint_from_user(ubuf, len, 0, &val);
	if (ret)
		return ret;
	if (!drm_dev_enter(&qdev->drm, &idx))
		return -ENODEV;
	ret = qaccel_reg_write_sync(&qdev->hw, reg, val);
	drm_dev_exit(idx);
	return ret ? ret : len;
}

static ssize_t qaccel_fault_hang_write(struct file *f, const char __user *ubuf,
				       size_t len, loff_t *pos)
{
	return qaccel_fault_write(f, ubuf, len, QACCEL_SIM_REG_HANG_AFTER);
}

static ssize_t qaccel_fault_inject_write(struct file *f, const char __user *ubuf,
					 size_t len, loff_t *pos)
{
	return qaccel_fault_write(f, ubuf, len, QACCEL_SIM_REG_FAULT);
}

static const struct file_operations qaccel_fault_hang_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = qaccel_fault_hang_write,
	.llseek = noop_llseek,
};

static const struct file_operations qaccel_fault_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = qaccel_fault_inject_write,
	.llseek = noop_llseek,
};

/**
 * qaccel_debugfs_init() - &drm_driver.debugfs_init
 * @minor: the DRM minor whose debugfs directory to fill
 *
 * fault_hang_after exists only when qaccel-sim takes fault injection:
 * writing N makes the device hang after N more completions, which the job
 * timeout then has to detect and recover from.  fault_inject takes a
 * QACCEL_SIM_FAULT_* code: a one-shot lost interrupt, DMA error, corrupted
 * completion record, or the device process exiting.
 */
void qaccel_debugfs_init(struct drm_minor *minor)
{
	struct qaccel_device *qdev = to_qaccel_device(minor->dev);

	if (qaccel_reg_read(&qdev->hw, QACCEL_SIM_REG_FAULT_ID) != QACCEL_SIM_FAULT_MAGIC)
		return;
	debugfs_create_file("fault_hang_after", 0200, minor->debugfs_root, qdev,
			    &qaccel_fault_hang_fops);
	debugfs_create_file("fault_inject", 0200, minor->debugfs_root, qdev,
			    &qaccel_fault_inject_fops);
}
#endif
