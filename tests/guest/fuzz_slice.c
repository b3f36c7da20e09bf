// SPDX-License-Identifier: MIT
/*
 * A bounded slice of the guest fuzzer (fuzz/qaccel-fuzz.c) for make check:
 * FUZZ_SLICE_CALLS calls (default 20000) with a fixed seed.  No oops or
 * warning in the kernel log, every rejected call's errno documented, every
 * accepted job successful, and a GEMM checked against the reference after.
 * The long run is `make fuzz FUZZ_CALLS=N`.
 */
#define FUZZ_NO_MAIN
#include "../../fuzz/qaccel-fuzz.c"

#include "kselftest_harness.h"

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* The slice takes about 6 s on the 4x4 device; the harness default is 30 s. */
TEST_F_TIMEOUT(fuzz, slice_leaves_no_oops_and_a_working_device, 300)
{
	const char *env = getenv("FUZZ_SLICE_CALLS");
	uint64_t calls = env && *env ? strtoull(env, NULL, 0) : 20000;
	struct fz_result r;

	ASSERT_EQ(0, fz_run(calls, 1, false, false, &r));
	fz_print(&r);
	EXPECT_EQ(0, r.oops);
	EXPECT_EQ(0, r.warnings);
	EXPECT_EQ(0, r.undocumented);
	EXPECT_EQ(0, r.job_errors);
	EXPECT_TRUE(r.device_ok);
	EXPECT_GE(r.calls, calls);
}

TEST_HARNESS_MAIN
