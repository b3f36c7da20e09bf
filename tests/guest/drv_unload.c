// SPDX-License-Identifier: MIT
/*
 * Unloading the driver under load.
 *
 * rmmod while another process has io_uring jobs in flight is refused: every
 * open render-node fd holds a module reference (file_operations.owner), and
 * an in-flight io_uring command holds its fd, so delete_module() fails with
 * EAGAIN (EWOULDBLOCK: "module in use") and nothing changes; the jobs keep
 * completing.  Once that process is gone the module unloads, loads again and
 * computes correct results.  Unbinding the device through sysfs with jobs in
 * flight fails them (-ENODEV) and the module then unloads and reloads.
 *
 * Each test leaves qaccel loaded and bound: later tests need it.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "drv_common.h"

/* One GEMM through a fresh open of the device; 0 when it matches. */
static int one_gemm(uint64_t seed)
{
	return drv_one_gemm(23, 17, 41, seed);
}

/* rmmod without waiting: 0, or -errno (-EAGAIN while the module is in use). */
static int try_rmmod(void)
{
	return syscall(SYS_delete_module, "qaccel", O_NONBLOCK) ? -errno : 0;
}

/*
 * rmmod, retrying while fds are still being released (io_uring exit is
 * async, and a killed process's jobs in flight run to completion first:
 * 64 jobs of 64^3 are 2.4 M cycles at 4x4, seconds on a quiet host and
 * much longer on a loaded one, hence 180 s).
 */
static int rmmod_when_free(void)
{
	int ret = -EAGAIN;

	for (int i = 0; i < 1800 && ret == -EAGAIN; i++) {
		ret = try_rmmod();
		if (ret == -EAGAIN)
			usleep(100000);
	}
	return ret;
}

/*
 * The module the VM loaded: $QVM_MODULE when the VM exports it, else the
 * tree's build/kmod/driver/qaccel.ko next to this program's build tree.
 */
static int module_path(char *out, size_t len)
{
	const char *env = getenv("QVM_MODULE");
	char build[PATH_MAX - 64];

	if (env && *env && !access(env, R_OK)) {
		snprintf(out, len, "%s", env);
		return 0;
	}
	if (gc_build_dir(build, sizeof(build)))
		return -1;
	snprintf(out, len, "%s/kmod/driver/qaccel.ko", build);
	return access(out, R_OK) ? -1 : 0;
}

/* insmod the module again and wait for its render node; 0 on success. */
static int reload(void)
{
	char ko[PATH_MAX];
	int fd, ret;

	if (module_path(ko, sizeof(ko)))
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	/* Probe is synchronous; the node appears through devtmpfs. */
	for (int i = 0; i < 100; i++) {
		int dev = uj_open();

		if (dev >= 0) {
			close(dev);
			return 0;
		}
		usleep(50000);
	}
	return -ENODEV;
}

/*
 * Child: keep 64 io_uring jobs in flight, resubmitting each as its CQE
 * arrives, until killed or until a job fails with -ENODEV (device gone:
 * exit 0).  Writes one byte to @ready once the first 64 are queued.
 */
static void __attribute__((noreturn)) keep_64_in_flight(int ready, uint64_t seed)
{
	struct drm_qaccel_gemm job;
	struct io_uring ring;
	struct uj_case t;
	int fd = uj_open();

	if (fd < 0 || raw_ring(&ring, 64, true) ||
	    uj_case_init(fd, &t, 64, 64, 64, QACCEL_GEMM_OUT_INT32, seed))
		_exit(1);
	uj_case_job(&t, &job);
	for (int i = 0; i < 64; i++)
		raw_prep_cmd(&ring, fd, DRM_QACCEL_URING_CMD_GEMM, &job, i);
	if (io_uring_submit(&ring) != 64)
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		struct io_uring_cqe *cqe;
		int res;

		if (io_uring_wait_cqe(&ring, &cqe))
			_exit(2);
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (res == -ENODEV)
			_exit(0);
		if (res)
			_exit(3);
		raw_prep_cmd(&ring, fd, DRM_QACCEL_URING_CMD_GEMM, &job, 0);
		if (io_uring_submit(&ring) != 1) {
			/* Submission itself is refused once the device is gone. */
			_exit(errno == ENODEV ? 0 : 4);
		}
	}
}

static pid_t start_load(uint64_t seed)
{
	int pipefd[2];
	pid_t pid;
	char c;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		keep_64_in_flight(pipefd[1], seed);
	}
	close(pipefd[1]);
	if (pid > 0 && read(pipefd[0], &c, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(pipefd[0]);
	return pid;
}

/*
 * TEST() has the harness's 30 s: 64 jobs on the RTL device take longer on a
 * loaded host or under the debug kernel (make check-debug).
 */
FIXTURE(inflight) {
	int unused;
};

FIXTURE_SETUP(inflight)
{
}

FIXTURE_TEARDOWN(inflight)
{
}

TEST_F_TIMEOUT(inflight, rmmod_refused_while_uring_jobs_in_flight_then_unload_reload_works, 300)
{
	long long before, after;
	int status;
	pid_t pid;

	pid = start_load(11);
	ASSERT_GT(pid, 0);

	/* Refused, and nothing torn down: the jobs keep completing. */
	before = drv_stat("completed");
	EXPECT_EQ(-EAGAIN, try_rmmod());
	EXPECT_EQ(0, access("/sys/module/qaccel", F_OK));
	for (int i = 0; i < 100 && drv_stat("completed") <= before; i++)
		usleep(50000);
	after = drv_stat("completed");
	EXPECT_LT(before, after);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG)) TH_LOG("load died: %d", status);
	EXPECT_EQ(0, one_gemm(12));

	/* The process goes, killed with its jobs in flight: now it unloads. */
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, rmmod_when_free());
	EXPECT_NE(0, access("/sys/module/qaccel", F_OK));
	ASSERT_EQ(0, reload());
	EXPECT_EQ(0, one_gemm(13));
}

TEST_F_TIMEOUT(inflight, unbind_with_uring_jobs_in_flight_then_rmmod_insmod_works, 300)
{
	char pci[64];
	int status;
	pid_t pid;

	ASSERT_EQ(0, drv_pci_name(pci, sizeof(pci)));

	pid = start_load(21);
	ASSERT_GT(pid, 0);
	/* The jobs in flight fail -ENODEV; the load process sees it and exits. */
	ASSERT_EQ(0, drv_write_str("/sys/bus/pci/drivers/qaccel/unbind", pci));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("load %d", status);

	ASSERT_EQ(0, rmmod_when_free());
	EXPECT_NE(0, access("/sys/module/qaccel", F_OK));
	/* Loading binds the device again. */
	ASSERT_EQ(0, reload());
	EXPECT_EQ(0, one_gemm(22));
}

TEST_HARNESS_MAIN
