/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: the one place where kernel versions differ.
 *
 * The driver builds against Debian's 6.1 and 6.12 kernels (docs/driver.md
 * has the table of what changed and why each entry is here).  Every other
 * file uses only what this header offers, so that a new kernel generation
 * is one more branch here, not #ifs across the driver.  Where a feature is
 * visible in the kernel's configuration, that decides, not the version.
 */
#ifndef QACCEL_COMPAT_H
#define QACCEL_COMPAT_H

#include <linux/version.h>
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>

/*
 * The node user space opens.  With the compute-accelerator subsystem
 * (6.2 on, when configured) a compute-only device registers there:
 * /dev/accel/accelN, its own minor range and debugfs root, the same DRM
 * ioctls (GEM, PRIME, syncobj, VERSION).  Without it, a render node.
 */
#if IS_ENABLED(CONFIG_DRM_ACCEL)
#include <drm/drm_accel.h>
#define QACCEL_DRIVER_NODE	DRIVER_COMPUTE_ACCEL
#define QACCEL_FOPS		DRM_ACCEL_FOPS
#else
#define QACCEL_DRIVER_NODE	DRIVER_RENDER
#define QACCEL_FOPS		DRM_GEM_FOPS
#endif

/*
 * The core calls &drm_driver.debugfs_init for primary and render minors
 * only.  An accel minor gets its directory (/sys/kernel/debug/accel/<PCI
 * name>/, minor->debugfs_root) but no callback, so the driver makes that
 * call itself once the device is registered.
 */
#if IS_ENABLED(CONFIG_DRM_ACCEL) && IS_ENABLED(CONFIG_DEBUG_FS)
static inline void qaccel_debugfs_register(struct drm_device *drm)
{
	drm->driver->debugfs_init(drm->accel);
}
#else
static inline void qaccel_debugfs_register(struct drm_device *drm)
{
}
#endif

/*
 * Before 6.6 a driver named the PRIME helpers itself; since then they are
 * the core's defaults and the fields are gone.  Used as the last entries
 * of the &drm_driver initializer, so it carries its own commas.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
#define QACCEL_PRIME_OPS						\
	.prime_handle_to_fd = drm_gem_prime_handle_to_fd,		\
	.prime_fd_to_handle = drm_gem_prime_fd_to_handle,		\
	.gem_prime_mmap = drm_gem_prime_mmap,
#else
#define QACCEL_PRIME_OPS
#endif

/*
 * io_uring commands: 6.7 moved them to <linux/io_uring/cmd.h> and replaced
 * the command-bytes pointer by the whole SQE (kernels between 6.1 and 6.12
 * are neither built nor tested); 6.12 has a size-checked accessor for the
 * driver's private area.  io_uring_cmd_done() and
 * io_uring_cmd_complete_in_task() keep their call form in both.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <linux/io_uring/cmd.h>

static inline const void *qaccel_uring_cmd_bytes(const struct io_uring_cmd *cmd)
{
	return io_uring_sqe_cmd(cmd->sqe);
}
#else
#include <linux/io_uring.h>

static inline const void *qaccel_uring_cmd_bytes(const struct io_uring_cmd *cmd)
{
	return cmd->cmd;
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define qaccel_uring_cmd_pdu(cmd, type)	io_uring_cmd_to_pdu(cmd, type)
#else
#define qaccel_uring_cmd_pdu(cmd, type)					\
	({								\
		BUILD_BUG_ON(sizeof(type) > sizeof_field(struct io_uring_cmd, pdu)); \
		(type *)(cmd)->pdu;					\
	})
#endif

/* 6.10 dropped the source argument of __assign_str() (__string() has it). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define qaccel_assign_str(dst, src)	__assign_str(dst)
#else
#define qaccel_assign_str(dst, src)	__assign_str(dst, src)
#endif

#endif /* QACCEL_COMPAT_H */
