// SPDX-License-Identifier: MIT
/*
 * The device-finding and statistics calls of libqaccel on the host, where
 * there is no qaccel device: argument checks, -ENODEV without a device,
 * and that submissions are counted (and cost no system call) before a
 * flush.  The device behaviour is proven in the guest (tests/guest/lib_*).
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "qaccel_internal.h"

TEST(open_index_checks_its_arguments)
{
	struct qaccel_dev *dev = (void *)1;

	EXPECT_EQ(-EINVAL, qaccel_open_index(0, 0, NULL));
	EXPECT_EQ(-EINVAL, qaccel_open_index(0, 0x80, &dev));
	EXPECT_EQ(NULL, dev);
}

TEST(open_too_long_path_is_enametoolong)
{
	char path[400];
	struct qaccel_dev *dev = (void *)1;

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	EXPECT_EQ(-ENAMETOOLONG, qaccel_open(path, 0, &dev));
	EXPECT_EQ(NULL, dev);
}

/* The host has no qaccel device (its render nodes, if any, are others'). */
TEST(no_device_on_the_host)
{
	struct qaccel_dev *dev = (void *)1;
	char path[64] = "unchanged";
	int ret;

	EXPECT_EQ(0, qaccel_device_count());
	ret = qaccel_open_index(0, 0, &dev);
	EXPECT_TRUE(ret == -ENODEV || ret == -EACCES);
	EXPECT_EQ(NULL, dev);
	ret = qaccel_device_path(3, path, sizeof(path));
	EXPECT_TRUE(ret == -ENODEV || ret == -EACCES);
	EXPECT_EQ(-EINVAL, qaccel_device_path(0, NULL, 10));
	EXPECT_EQ(-EINVAL, qaccel_device_path(0, path, 0));
}

TEST(stats_and_path_check_their_arguments)
{
	struct qaccel_stats st;
	struct qaccel_dev dev;

	memset(&dev, 0, sizeof(dev));
	EXPECT_EQ(-EINVAL, qaccel_get_stats(NULL, &st));
	EXPECT_EQ(-EINVAL, qaccel_get_stats(&dev, NULL));
	EXPECT_EQ(NULL, qaccel_dev_path(NULL));
	EXPECT_STREQ("path too long", qaccel_strerror(-ENAMETOOLONG));
}

/* Queued jobs are counted and make no system call until a flush. */
TEST(submits_are_counted_and_cost_no_syscall)
{
	struct qaccel_stats st;
	struct qaccel_dev dev;

	memset(&dev, 0, sizeof(dev));
	dev.fd = -1;
	dev.path = QACCEL_PATH_IOCTL;
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(0, qaccel_submit_nop(&dev, i));
	ASSERT_EQ(0, qaccel_get_stats(&dev, &st));
	EXPECT_EQ(10, st.submitted);
	EXPECT_EQ(0, st.ioctls);
	EXPECT_EQ(0, st.enters);
	EXPECT_EQ(0, st.completed);
	/* The flush reaches the (absent) kernel once for all ten. */
	EXPECT_EQ(-EBADF, qaccel_flush(&dev));
	ASSERT_EQ(0, qaccel_get_stats(&dev, &st));
	EXPECT_EQ(1, st.ioctls);
}

TEST_HARNESS_MAIN
