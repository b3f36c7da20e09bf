/* SPDX-License-Identifier: MIT */
/*
 * vgem, the guest tests' foreign dma-buf exporter and fence source.  The
 * guest kernel (Debian 6.1) has no udmabuf but builds vgem as a module: its
 * dumb buffers are exported as dma-bufs and imported into qaccel, and its
 * fences (DRM_IOCTL_VGEM_FENCE_ATTACH / _SIGNAL) are another driver's
 * fences in those buffers' reservation objects.  vgem signals a fence
 * itself 10 s after attaching it; the tests' waits are far shorter.
 */
#ifndef QACCEL_VGEM_H
#define QACCEL_VGEM_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <xf86drm.h>

#include "guest_util.h"

/* vgem's fence uapi (include/uapi/drm/vgem_drm.h; libdrm has no copy). */
struct vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
	uint32_t out_fence;
	uint32_t pad;
};

struct vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define VGEM_FENCE_WRITE	0x1
#define VGEM_IOCTL_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_IOCTL_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

/*
 * Load vgem: modprobe when the guest's module tree has it, else insmod it
 * from the image tree the guest was built from (sim/qaccel-vm's initramfs
 * carries only the modules qaccel needs; vgem's dependencies, drm and
 * drm_shmem_helper, are among them).  The tree is the one this program was
 * built in: .../build/tests/guest/NAME -> .../build/guest/image.
 */
static inline int vgem_load(void)
{
	char build[PATH_MAX - 128], cmd[PATH_MAX + 64];
	struct utsname u;

	if (!system("modprobe vgem 2>/dev/null"))
		return 0;
	if (gc_build_dir(build, sizeof(build)) || uname(&u))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "insmod %s/guest/image/lib/modules/%s/kernel/drivers/gpu/drm/vgem/vgem.ko 2>/dev/null",
		 build, u.release);
	return system(cmd) ? -1 : 0;
}

/* A vgem node: load vgem, then find the card whose driver is "vgem"; or -1. */
static inline int vgem_open(void)
{
	struct dirent *de;
	DIR *d;
	int fd = -1;

	if (vgem_load())
		return -1;
	d = opendir("/dev/dri");
	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		char path[300];
		drmVersionPtr v;
		int f;

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		f = open(path, O_RDWR | O_CLOEXEC);
		if (f < 0)
			continue;
		v = drmGetVersion(f);
		if (v && !strcmp(v->name, "vgem"))
			fd = f;
		else
			close(f);
		drmFreeVersion(v);
	}
	closedir(d);
	return fd;
}

/*
 * A vgem dumb buffer of at least @size bytes, mapped, exported; 0 or -1.
 * Its vgem handle goes to @handle, or is closed when @handle is NULL.
 */
static inline int vgem_buf(int vfd, size_t size, void **map, size_t *len,
			   int *dmabuf, uint32_t *handle)
{
	struct drm_mode_create_dumb c = {
		.width = 1024, .height = (size + 1023) / 1024, .bpp = 8,
	};
	struct drm_mode_map_dumb m = { 0 };

	if (ioctl(vfd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		return -1;
	m.handle = c.handle;
	if (ioctl(vfd, DRM_IOCTL_MODE_MAP_DUMB, &m))
		return -1;
	*len = c.size;
	*map = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, m.offset);
	if (*map == MAP_FAILED)
		return -1;
	if (drmPrimeHandleToFD(vfd, c.handle, DRM_CLOEXEC | DRM_RDWR, dmabuf))
		return -1;
	/* The dma-buf and the mapping keep the buffer. */
	if (handle)
		*handle = c.handle;
	else
		drmCloseBufferHandle(vfd, c.handle);
	return 0;
}

/* An unsignalled vgem write fence on @handle's buffer: 0 or -errno. */
static inline int vgem_attach_write_fence(int vfd, uint32_t handle,
					  uint32_t *fence)
{
	struct vgem_fence_attach at = { .handle = handle, .flags = VGEM_FENCE_WRITE };

	if (ioctl(vfd, VGEM_IOCTL_FENCE_ATTACH, &at))
		return -errno;
	*fence = at.out_fence;
	return 0;
}

/* Signal a fence vgem_attach_write_fence() made: 0 or -errno. */
static inline int vgem_signal(int vfd, uint32_t fence)
{
	struct vgem_fence_signal sig = { .fence = fence };

	return ioctl(vfd, VGEM_IOCTL_FENCE_SIGNAL, &sig) ? -errno : 0;
}

#endif /* QACCEL_VGEM_H */
