// SPDX-License-Identifier: MIT
/*
 * Buffers: GEM objects of the qaccel driver, mapped on demand, exported
 * and imported as dma-bufs.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "qaccel_internal.h"

static struct qaccel_buf *buf_new(struct qaccel_dev *dev, uint32_t handle,
				  size_t size)
{
	struct qaccel_buf *buf = calloc(1, sizeof(*buf));

	if (!buf)
		return NULL;
	buf->dev = dev;
	buf->handle = handle;
	buf->size = size;
	buf->next = dev->bufs;
	if (dev->bufs)
		dev->bufs->prev = buf;
	dev->bufs = buf;
	return buf;
}

int qaccel_buf_alloc(struct qaccel_dev *dev, size_t size,
		     struct qaccel_buf **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct drm_qaccel_bo_create req = { 0 };
	struct qaccel_buf *buf;

	if (!dev || !out)
		return -EINVAL;
	*out = NULL;
	if (size == 0 || size > dev->caps.max_bo_size || size > SIZE_MAX - page)
		return -EINVAL;
	req.size = (size + page - 1) / page * page;
	if (drmIoctl(dev->fd, DRM_IOCTL_QACCEL_BO_CREATE, &req))
		return -errno;
	buf = buf_new(dev, req.handle, (size_t)req.size);
	if (!buf) {
		drmCloseBufferHandle(dev->fd, req.handle);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

int qaccel_buf_map(struct qaccel_buf *buf, void **ptr)
{
	struct drm_qaccel_bo_mmap_offset req = { 0 };
	void *p;

	if (!buf || !ptr)
		return -EINVAL;
	if (!buf->map) {
		req.handle = buf->handle;
		if (drmIoctl(buf->dev->fd, DRM_IOCTL_QACCEL_BO_MMAP_OFFSET, &req))
			return -errno;
		p = mmap(NULL, buf->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 buf->dev->fd, (off_t)req.offset);
		if (p == MAP_FAILED)
			return -errno;
		buf->map = p;
	}
	*ptr = buf->map;
	return 0;
}

size_t qaccel_buf_size(const struct qaccel_buf *buf)
{
	return buf ? buf->size : 0;
}

uint32_t qaccel_buf_handle(const struct qaccel_buf *buf)
{
	return buf ? buf->handle : 0;
}

int qaccel_buf_export(struct qaccel_buf *buf, int *dmabuf_fd)
{
	if (!buf || !dmabuf_fd)
		return -EINVAL;
	if (drmPrimeHandleToFD(buf->dev->fd, buf->handle, DRM_CLOEXEC | DRM_RDWR,
			       dmabuf_fd))
		return -errno;
	return 0;
}

int qaccel_buf_import(struct qaccel_dev *dev, int dmabuf_fd,
		      struct qaccel_buf **out)
{
	struct qaccel_buf *buf;
	uint32_t handle;
	off_t size;

	if (!dev || !out || dmabuf_fd < 0)
		return -EINVAL;
	*out = NULL;
	/* A dma-buf reports its size through lseek. */
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	if (drmPrimeFDToHandle(dev->fd, dmabuf_fd, &handle))
		return -errno;
	/*
	 * Importing our own export gives back the existing handle; two
	 * qaccel_bufs must not own one handle, or freeing one breaks the other.
	 */
	for (buf = dev->bufs; buf; buf = buf->next)
		if (buf->handle == handle)
			return -EEXIST;
	buf = buf_new(dev, handle, (size_t)size);
	if (!buf) {
		drmCloseBufferHandle(dev->fd, handle);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

void qaccel_buf_free(struct qaccel_buf *buf)
{
	if (!buf)
		return;
	if (buf->map)
		munmap(buf->map, buf->size);
	drmCloseBufferHandle(buf->dev->fd, buf->handle);
	if (buf->prev)
		buf->prev->next = buf->next;
	else
		buf->dev->bufs = buf->next;
	if (buf->next)
		buf->next->prev = buf->prev;
	free(buf);
}
