// SPDX-License-Identifier: MIT
/*
 * A short slice of the soak (fuzz/qaccel-soak.c) for make check: 3
 * processes x 2 threads, each thread its own qaccel_dev, mixed GEMMs on
 * both submission paths for SOAK_SLICE_SECONDS (default 10) seconds.  Every
 * result bit-exact, every completion back to its submitter once, the
 * driver's live buffers and pinned pages back to baseline, its counters
 * adding up with nothing failed, and no kernel warning.  The long run is
 * `make soak SOAK_SECONDS=N`.
 */
#define SOAK_NO_MAIN
#define SOAK_PFX "# "
#include "../../fuzz/qaccel-soak.c"

#include "kselftest_harness.h"

FIXTURE(soak) {
	int unused;
};

FIXTURE_SETUP(soak)
{
}

FIXTURE_TEARDOWN(soak)
{
}

/* 10 s of load plus the drain; the harness default of 30 s is too tight. */
TEST_F_TIMEOUT(soak, slice_every_result_exact_nothing_lost_or_leaked, 300)
{
	const char *env = getenv("SOAK_SLICE_SECONDS");
	unsigned int secs = env && *env ? strtoul(env, NULL, 0) : 10;
	struct soak_result r;

	ASSERT_EQ(0, soak_run(3, 2, secs, 1, 0, &r));
	EXPECT_GT(r.tot.jobs, 0);
	EXPECT_EQ(r.tot.jobs, r.tot.checked);
	EXPECT_EQ(0, r.tot.wrong);
	EXPECT_EQ(0, r.tot.lost);
	EXPECT_EQ(0, r.tot.bad_tag);
	EXPECT_EQ(0, r.tot.failed);
	EXPECT_EQ(0, r.tot.errors);
	EXPECT_EQ(0, r.kernel_bad);
	EXPECT_TRUE(r.ok);
}

TEST_HARNESS_MAIN
