// SPDX-License-Identifier: MIT
/*
 * The Fashion-MNIST example end to end on a slice of the test set: the
 * int8 MLP (build/fashion/model-int8.bin, trained and quantized on the host
 * by `make`) runs layer by layer on the accelerator, every output byte of
 * every layer must equal the CPU reference's, and the accuracy must clear
 * a floor well below the full run's (about 89%).
 */
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "qaccel.h"
#include "../../examples/fashion/fashion_net.h"

#define SLICE_IMAGES	200
#define SLICE_BATCH	64	/* 4 chunks, the last one short */
#define ACCURACY_FLOOR	80	/* percent */

FIXTURE(fashion)
{
	struct qaccel_dev *dev;
	struct fashion_qmodel model;
	struct fashion_set test;
	struct fashion_net net;
};

FIXTURE_SETUP(fashion)
{
	char dir[4096], path[4200];
	ssize_t len;
	int ret;

	memset(self, 0, sizeof(*self));
	/* The binary is build/tests/guest/fashion_slice, the model in build/fashion. */
	len = readlink("/proc/self/exe", dir, sizeof(dir) - 32);
	ASSERT_GT(len, 0);
	dir[len] = 0;
	*strrchr(dir, '/') = 0;
	strcat(dir, "/../../fashion");
	snprintf(path, sizeof(path), "%s/model-int8.bin", dir);
	ret = fashion_qmodel_load(path, &self->model);
	ASSERT_EQ(0, ret) TH_LOG("no model %s (make builds it): %s", path, strerror(-ret));
	ASSERT_EQ(0, fashion_load_test(dir, &self->test));
	ASSERT_EQ(0, qaccel_open(NULL, 0, &self->dev));
	ASSERT_EQ(0, fashion_net_init(&self->net, self->dev, &self->model,
				      self->test.images, SLICE_IMAGES, SLICE_BATCH));
}

FIXTURE_TEARDOWN(fashion)
{
	fashion_net_fini(&self->net);
	qaccel_close(self->dev);
	fashion_qmodel_free(&self->model);
	fashion_set_free(&self->test);
}

TEST_F_TIMEOUT(fashion, slice_matches_reference_and_clears_accuracy_floor, 600)
{
	uint32_t dev_correct, ref_correct;

	ASSERT_EQ(0, fashion_net_run(&self->net, 1, NULL, NULL));
	EXPECT_EQ(3u * 4, self->net.jobs);
	EXPECT_EQ(0, fashion_net_mismatches(&self->net));
	dev_correct = fashion_net_correct(&self->net, 0, self->test.labels);
	ref_correct = fashion_net_correct(&self->net, 1, self->test.labels);
	EXPECT_EQ(ref_correct, dev_correct);
	TH_LOG("%u/%u correct (%.1f%%), %llu device cycles", dev_correct, SLICE_IMAGES,
	       100.0 * dev_correct / SLICE_IMAGES,
	       (unsigned long long)self->net.device_cycles);
	EXPECT_GE(dev_correct * 100, ACCURACY_FLOOR * SLICE_IMAGES);
}

TEST_HARNESS_MAIN
