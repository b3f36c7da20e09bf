// SPDX-License-Identifier: MIT
/*
 * GEM buffer objects through the raw ioctls: create, mmap, write, read
 * back, close, PRIME export and import, and the errors of each.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi_job.h"

FIXTURE(gem) {
	int fd;
};

FIXTURE_SETUP(gem)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(gem)
{
	close(self->fd);
}

static int bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle)
{
	struct drm_qaccel_bo_create req = { .size = size, .flags = flags };

	*handle = 0;
	if (ioctl(fd, DRM_IOCTL_QACCEL_BO_CREATE, &req))
		return -errno;
	*handle = req.handle;
	return 0;
}

static int bo_offset(int fd, uint32_t handle, uint64_t *offset)
{
	struct drm_qaccel_bo_mmap_offset req = { .handle = handle };

	*offset = 0;
	if (ioctl(fd, DRM_IOCTL_QACCEL_BO_MMAP_OFFSET, &req))
		return -errno;
	*offset = req.offset;
	return 0;
}

static void *bo_map(int fd, uint32_t handle, size_t size)
{
	uint64_t offset = 0;

	if (bo_offset(fd, handle, &offset))
		return MAP_FAILED;
	return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)offset);
}

static int gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close req = { .handle = handle };

	return ioctl(fd, DRM_IOCTL_GEM_CLOSE, &req) ? -errno : 0;
}

TEST_F(gem, new_bo_reads_as_zero)
{
	uint32_t h = 0;
	uint8_t *p;

	ASSERT_EQ(0, bo_create(self->fd, 3 * 4096, 0, &h));
	p = bo_map(self->fd, h, 3 * 4096);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < 3 * 4096; i++)
		ASSERT_EQ(0, p[i]);
	munmap(p, 3 * 4096);
	EXPECT_EQ(0, gem_close(self->fd, h));
}

TEST_F(gem, write_unmap_remap_reads_back)
{
	const size_t size = 5 * 4096;
	uint32_t h = 0;
	uint8_t *p;

	ASSERT_EQ(0, bo_create(self->fd, size, 0, &h));
	p = bo_map(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	munmap(p, size);
	p = bo_map(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < size; i++)
		ASSERT_EQ((uint8_t)(i * 7 + 3), p[i]);
	munmap(p, size);
	EXPECT_EQ(0, gem_close(self->fd, h));
}

TEST_F(gem, size_rounds_up_to_a_page)
{
	uint32_t h = 0;
	uint8_t *p;

	ASSERT_EQ(0, bo_create(self->fd, 1, 0, &h));
	p = bo_map(self->fd, h, 4096);
	ASSERT_NE(MAP_FAILED, p);
	p[4095] = 0xab;
	EXPECT_EQ(0xab, p[4095]);
	munmap(p, 4096);
	EXPECT_EQ(0, gem_close(self->fd, h));
}

TEST_F(gem, two_bos_do_not_share_pages)
{
	uint32_t h1 = 0, h2 = 0;
	uint8_t *p1, *p2;

	ASSERT_EQ(0, bo_create(self->fd, 4096, 0, &h1));
	ASSERT_EQ(0, bo_create(self->fd, 4096, 0, &h2));
	EXPECT_NE(h1, h2);
	p1 = bo_map(self->fd, h1, 4096);
	p2 = bo_map(self->fd, h2, 4096);
	ASSERT_NE(MAP_FAILED, p1);
	ASSERT_NE(MAP_FAILED, p2);
	memset(p1, 0x11, 4096);
	memset(p2, 0x22, 4096);
	EXPECT_EQ(0x11, p1[100]);
	EXPECT_EQ(0x22, p2[100]);
	munmap(p1, 4096);
	munmap(p2, 4096);
	gem_close(self->fd, h1);
	gem_close(self->fd, h2);
}

TEST_F(gem, create_size_zero_is_einval)
{
	uint32_t h = 0;

	EXPECT_EQ(-EINVAL, bo_create(self->fd, 0, 0, &h));
}

TEST_F(gem, create_huge_is_einval)
{
	uint64_t max_bo_size = 0;
	uint32_t h = 0;

	ASSERT_EQ(0, uj_param(self->fd, DRM_QACCEL_PARAM_MAX_BO_SIZE, &max_bo_size));
	EXPECT_EQ(-EINVAL, bo_create(self->fd, max_bo_size + 1, 0, &h));
	EXPECT_EQ(-EINVAL, bo_create(self->fd, UINT64_MAX, 0, &h));
	EXPECT_EQ(-EINVAL, bo_create(self->fd, 1ull << 63, 0, &h));
}

TEST_F(gem, create_nonzero_flags_is_einval)
{
	uint32_t h = 0;

	EXPECT_EQ(-EINVAL, bo_create(self->fd, 4096, 1, &h));
	EXPECT_EQ(-EINVAL, bo_create(self->fd, 4096, 0x80000000u, &h));
}

TEST_F(gem, mmap_offset_of_unknown_handle_is_enoent)
{
	uint64_t off = 0;

	EXPECT_EQ(-ENOENT, bo_offset(self->fd, 0xdead, &off));
	EXPECT_EQ(-ENOENT, bo_offset(self->fd, 0, &off));
}

TEST_F(gem, mmap_offset_nonzero_pad_is_einval)
{
	struct drm_qaccel_bo_mmap_offset req = { .pad = 1 };
	uint32_t h = 0;

	ASSERT_EQ(0, bo_create(self->fd, 4096, 0, &h));
	req.handle = h;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QACCEL_BO_MMAP_OFFSET, &req));
	EXPECT_EQ(EINVAL, errno);
	gem_close(self->fd, h);
}

TEST_F(gem, closed_handle_is_enoent)
{
	uint64_t off = 0;
	uint32_t h = 0;

	ASSERT_EQ(0, bo_create(self->fd, 4096, 0, &h));
	ASSERT_EQ(0, gem_close(self->fd, h));
	EXPECT_EQ(-ENOENT, bo_offset(self->fd, h, &off));
	EXPECT_EQ(-EINVAL, gem_close(self->fd, h));
}

TEST_F(gem, mapping_outlives_handle_close)
{
	uint32_t h = 0;
	uint8_t *p;

	ASSERT_EQ(0, bo_create(self->fd, 4096, 0, &h));
	p = bo_map(self->fd, h, 4096);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, gem_close(self->fd, h));
	p[0] = 42;
	EXPECT_EQ(42, p[0]);
	munmap(p, 4096);
}

TEST_F(gem, mmap_beyond_bo_size_fails)
{
	uint64_t off = 0;
	uint32_t h = 0;
	void *p;

	ASSERT_EQ(0, bo_create(self->fd, 4096, 0, &h));
	ASSERT_EQ(0, bo_offset(self->fd, h, &off));
	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 (off_t)off);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, 2 * 4096);
	gem_close(self->fd, h);
}

TEST_F(gem, dmabuf_export_import_shares_pages)
{
	struct drm_qaccel_bo_info info = { 0 };
	uint32_t h = 0, imp = 0;
	uint8_t *p, *q;
	int dmabuf, fd2;

	ASSERT_EQ(0, bo_create(self->fd, 8192, 0, &h));
	p = bo_map(self->fd, h, 8192);
	ASSERT_NE(MAP_FAILED, p);
	dmabuf = uj_bo_export(self->fd, h);
	ASSERT_LE(0, dmabuf);
	fd2 = uj_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, uj_bo_import(fd2, dmabuf, &imp));
	info.handle = imp;
	ASSERT_EQ(0, ioctl(fd2, DRM_IOCTL_QACCEL_BO_INFO, &info));
	EXPECT_EQ(8192, info.size);
	q = bo_map(fd2, imp, 8192);
	ASSERT_NE(MAP_FAILED, q);
	p[8191] = 0x77;
	EXPECT_EQ(0x77, q[8191]);
	munmap(q, 8192);
	munmap(p, 8192);
	close(dmabuf);
	gem_close(fd2, imp);
	close(fd2);
	gem_close(self->fd, h);
}

TEST_HARNESS_MAIN
