// SPDX-License-Identifier: MIT
/*
 * Finding and opening the device, capabilities, counters, error messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "qaccel_internal.h"

#define QA_DRIVER_NAME	"qaccel"
#define QA_MAX_DRM_DEVICES	64

const char *qaccel_strerror(int err)
{
	/* Negate in unsigned arithmetic: -INT_MIN would overflow. */
	unsigned int e = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;

	switch (e) {
	case 0:		return "success";
	case EINVAL:	return "invalid argument";
	case ENOMEM:	return "out of memory";
	case ENODEV:	return "no qaccel device";
	case ENOENT:	return "no such file or buffer handle";
	case EACCES:
	case EPERM:	return "permission denied";
	case EBUSY:	return "too many jobs outstanding, or jobs still in flight";
	case EAGAIN:	return "resource temporarily unavailable";
	case EINTR:	return "interrupted";
	case EIO:	return "device error";
	case EFAULT:	return "DMA fault or bad address";
	case ETIMEDOUT:	return "job hung; the device was reset";
	case ETIME:	return "timed out";
	case EOVERFLOW:	return "value too large";
	case ERANGE:	return "value out of range";
	case ENOTTY:
	case EOPNOTSUPP: return "operation not supported by the driver";
	case EMFILE:
	case ENFILE:	return "too many open files";
	case ENOSPC:	return "no space left";
	case EEXIST:	return "buffer already imported";
	case ENAMETOOLONG: return "path too long";
	default:	return "unknown error";
	}
}

static int get_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_qaccel_get_param gp = { .param = param };

	if (drmIoctl(fd, DRM_IOCTL_QACCEL_GET_PARAM, &gp))
		return -errno;
	*value = gp.value;
	return 0;
}

/* 0 if fd is a qaccel node (filling the driver fields of caps). */
static int check_driver(int fd, struct qaccel_caps *caps)
{
	drmVersionPtr v = drmGetVersion(fd);
	int ret = 0;

	if (!v)
		return -ENODEV;
	if (!v->name || strcmp(v->name, QA_DRIVER_NAME) != 0) {
		ret = -ENODEV;
	} else {
		strncpy(caps->driver, v->name, sizeof(caps->driver) - 1);
		caps->driver_major = v->version_major;
		caps->driver_minor = v->version_minor;
		caps->driver_patch = v->version_patchlevel;
	}
	drmFreeVersion(v);
	return ret;
}

static int read_caps(int fd, struct qaccel_caps *caps)
{
	static const struct {
		uint32_t param;
		size_t offset;
	} u32_params[] = {
		{ DRM_QACCEL_PARAM_HW_VERSION, offsetof(struct qaccel_caps, hw_version) },
		{ DRM_QACCEL_PARAM_CAPS, offsetof(struct qaccel_caps, caps) },
		{ DRM_QACCEL_PARAM_ARRAY_ROWS, offsetof(struct qaccel_caps, rows) },
		{ DRM_QACCEL_PARAM_ARRAY_COLS, offsetof(struct qaccel_caps, cols) },
		{ DRM_QACCEL_PARAM_MAX_DIM, offsetof(struct qaccel_caps, max_dim) },
		{ DRM_QACCEL_PARAM_QUEUE_DEPTH, offsetof(struct qaccel_caps, queue_depth) },
	};
	uint64_t v = 0;
	int ret;

	for (size_t i = 0; i < sizeof(u32_params) / sizeof(u32_params[0]); i++) {
		uint32_t v32;

		ret = get_param(fd, u32_params[i].param, &v);
		if (ret)
			return ret;
		v32 = (uint32_t)v;
		memcpy((char *)caps + u32_params[i].offset, &v32, sizeof(v32));
	}
	return get_param(fd, DRM_QACCEL_PARAM_MAX_BO_SIZE, &caps->max_bo_size);
}

/* fd of path if its driver is qaccel, else a negative errno. */
static int open_if_qaccel(const char *path, struct qaccel_caps *caps)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (check_driver(fd, caps) == 0)
		return fd;
	close(fd);
	return -ENODEV;
}

/*
 * The nodes a qaccel device may appear as: a DRM render node, or a
 * compute-accelerator node on kernels that have the accel subsystem (the
 * driver registers as one where it can).  Both answer DRM_IOCTL_VERSION,
 * which tells qaccel's from other drivers' nodes; the uapi is the same.
 */
static const struct {
	const char *prefix;
	int first;
} node_kinds[] = {
	{ DRM_DIR_NAME "/renderD", 128 },
	{ "/dev/accel/accel", 0 },
};

/*
 * Find the index-th node whose driver is qaccel, render nodes first, each
 * kind in minor order (the order libdrm lists them in, and stable across
 * calls), and return
 * its open fd with its path in path[len].  -ENODEV when there are fewer;
 * -EACCES when a node could not be opened and none qualified, so that a
 * permission problem is not reported as a missing device.  *count, when
 * not NULL, receives the number of qaccel nodes seen (the scan then goes
 * through every node).
 */
static int scan_nodes(unsigned int index, struct qaccel_caps *caps,
		      char *path, size_t len, unsigned int *count)
{
	unsigned int seen = 0;
	int denied = 0, found = -ENODEV;

	for (int i = 0; i < QA_MAX_DRM_DEVICES * 2; i++) {
		int kind = i / QA_MAX_DRM_DEVICES;
		int minor = node_kinds[kind].first + i % QA_MAX_DRM_DEVICES;
		char node[64];
		int fd;

		snprintf(node, sizeof(node), "%s%d", node_kinds[kind].prefix, minor);
		fd = open_if_qaccel(node, caps);
		if (fd == -EACCES || fd == -EPERM)
			denied = fd;
		if (fd < 0)
			continue;
		if (seen++ == index && found < 0) {
			found = fd;
			if (path)
				snprintf(path, len, "%s", node);
			if (!count)
				break;
		} else {
			close(fd);
		}
	}
	if (count)
		*count = seen;
	if (found < 0 && denied)
		return denied;
	return found;
}

int qaccel_device_count(void)
{
	struct qaccel_caps caps;
	unsigned int count = 0;
	int fd = scan_nodes(~0u, &caps, NULL, 0, &count);

	if (fd >= 0)
		close(fd);
	return (int)count;
}

int qaccel_device_path(unsigned int index, char *buf, size_t len)
{
	struct qaccel_caps caps;
	char node[64];
	int fd;

	if (!buf || !len)
		return -EINVAL;
	fd = scan_nodes(index, &caps, node, sizeof(node), NULL);
	if (fd < 0)
		return fd;
	close(fd);
	if (strlen(node) >= len)
		return -ENOSPC;
	memcpy(buf, node, strlen(node) + 1);
	return 0;
}

/* Open by path (path != NULL) or by index; the common tail of both. */
static int open_dev(const char *path, unsigned int index, unsigned int flags,
		    struct qaccel_dev **out)
{
	struct qaccel_dev *dev;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (flags & ~QACCEL_OPEN_IOCTL)
		return -EINVAL;
	if (path && strlen(path) >= sizeof(dev->node))
		return -ENAMETOOLONG;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->path = flags & QACCEL_OPEN_IOCTL ? QACCEL_PATH_IOCTL : QACCEL_PATH_URING;

	if (path) {
		dev->fd = open(path, O_RDWR | O_CLOEXEC);
		if (dev->fd < 0) {
			ret = -errno;
			goto err_free;
		}
		ret = check_driver(dev->fd, &dev->caps);
		if (ret)
			goto err_close;
		snprintf(dev->node, sizeof(dev->node), "%s", path);
	} else {
		dev->fd = scan_nodes(index, &dev->caps, dev->node,
				     sizeof(dev->node), NULL);
		if (dev->fd < 0) {
			ret = dev->fd;
			goto err_free;
		}
	}

	ret = read_caps(dev->fd, &dev->caps);
	if (ret)
		goto err_close;
	if (dev->path == QACCEL_PATH_URING) {
		ret = qa_uring_init(dev);
		if (ret)
			goto err_close;
	}
	*out = dev;
	return 0;

err_close:
	close(dev->fd);
err_free:
	free(dev);
	return ret;
}

int qaccel_open(const char *path, unsigned int flags, struct qaccel_dev **out)
{
	return open_dev(path, 0, flags, out);
}

int qaccel_open_index(unsigned int index, unsigned int flags,
		      struct qaccel_dev **out)
{
	return open_dev(NULL, index, flags, out);
}

const char *qaccel_dev_path(const struct qaccel_dev *dev)
{
	return dev ? dev->node : NULL;
}

int qaccel_get_stats(const struct qaccel_dev *dev, struct qaccel_stats *st)
{
	if (!dev || !st)
		return -EINVAL;
	*st = dev->stats;
	return 0;
}

void qaccel_close(struct qaccel_dev *dev)
{
	if (!dev)
		return;
	while (dev->bufs)
		qaccel_buf_free(dev->bufs);
	if (dev->ring_ready)
		io_uring_queue_exit(&dev->ring);
	close(dev->fd);
	free(dev);
}

int qaccel_fd(const struct qaccel_dev *dev)
{
	return dev ? dev->fd : -EINVAL;
}

int qaccel_poll_fd(const struct qaccel_dev *dev)
{
	if (!dev)
		return -EINVAL;
	if (dev->path != QACCEL_PATH_URING)
		return -EOPNOTSUPP;
	return dev->ring.ring_fd;
}

int qaccel_get_caps(const struct qaccel_dev *dev, struct qaccel_caps *caps)
{
	if (!dev || !caps)
		return -EINVAL;
	*caps = dev->caps;
	return 0;
}

int qaccel_get_counters(struct qaccel_dev *dev, struct qaccel_counters *cnt)
{
	static const struct {
		uint32_t param;
		size_t offset;
	} params[] = {
		{ DRM_QACCEL_PARAM_CNT_CYCLES, offsetof(struct qaccel_counters, cycles) },
		{ DRM_QACCEL_PARAM_CNT_BUSY, offsetof(struct qaccel_counters, busy_cycles) },
		{ DRM_QACCEL_PARAM_CNT_MACS, offsetof(struct qaccel_counters, macs) },
		{ DRM_QACCEL_PARAM_CNT_DMA_RD, offsetof(struct qaccel_counters, dma_read_bytes) },
		{ DRM_QACCEL_PARAM_CNT_DMA_WR, offsetof(struct qaccel_counters, dma_write_bytes) },
		{ DRM_QACCEL_PARAM_CNT_JOBS, offsetof(struct qaccel_counters, jobs) },
	};

	if (!dev || !cnt)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		uint64_t v = 0;
		int ret = get_param(dev->fd, params[i].param, &v);

		if (ret)
			return ret;
		memcpy((char *)cnt + params[i].offset, &v, sizeof(v));
	}
	return 0;
}

int qaccel_set_path(struct qaccel_dev *dev, enum qaccel_path path)
{
	if (!dev || (path != QACCEL_PATH_URING && path != QACCEL_PATH_IOCTL))
		return -EINVAL;
	if (path == dev->path)
		return 0;
	if (dev->outstanding)
		return -EBUSY;
	if (path == QACCEL_PATH_URING && !dev->ring_ready) {
		int ret = qa_uring_init(dev);

		if (ret)
			return ret;
	}
	dev->path = path;
	return 0;
}

enum qaccel_path qaccel_get_path(const struct qaccel_dev *dev)
{
	return dev ? dev->path : QACCEL_PATH_URING;
}
