#!/usr/bin/env bash
# Run qaccel's tests and print one closing line: "N passed, N failed, N skipped".
#
#   [KERNELS="REL..."] tests/run-tests.sh [--no-guest] [--array RxC] [--timeout S]
#                       [--share DIR]... [HOST_PROGRAM...]
#   tests/run-tests.sh --debug-kernel [--array RxC] [--timeout S] [-- RUN_DEBUG_ARGS...]
#
# Each HOST_PROGRAM is a kselftest-harness program run on the host; then the
# guest suite (tests/guest/run.sh) runs in a QEMU guest through
# sim/qaccel-vm on the RTL device once per guest kernel (KERNELS: release
# names from build/guest/kernel-releases, e.g. KERNELS=6.1.0-57-amd64;
# default: all of them, Debian's 6.1 and 6.12), and on the functional
# device on the default kernel.  Every program prints KTAP; its "# Totals: pass:P fail:F
# xfail:X xpass:Y skip:S error:E" line is what counts.  A program that ends
# without that line (crash, hang, timeout) counts as one failure.  Logs are
# kept under build/tests/logs/.  --share DIR is passed on to every
# sim/qaccel-vm run (e.g. the target of a build/guest symlink, so that the
# vgem tests can load vgem.ko from it).  --debug-kernel (make check-debug)
# runs instead tests/guest/run-debug.sh, with RUN_DEBUG_ARGS, on the debug
# kernel (sim/qaccel-vm --debug-kernel): fuzzer with failing allocations,
# soak, the guest suite, kmemleak and the kernel log (docs/reliability.md).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
logs=$top/build/tests/logs
guest=1
array=4x4
timeout=900
progs=()
vm_opts=()
debug=0
debug_args=()

while [ $# -gt 0 ]; do
	case "$1" in
	--no-guest) guest=0 ;;
	--array) array=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--share) vm_opts+=(--share "$2"); shift ;;
	--debug-kernel) debug=1 ;;
	--) shift; debug_args=("$@"); break ;;
	-h|--help)
		sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
		exit 0 ;;
	*) progs+=("$1") ;;
	esac
	shift
done

mkdir -p "$logs"
passed=0 failed=0 skipped=0

# Add up every "# Totals:" line of a KTAP log; no such line is one failure.
count() {
	local name=$1 log=$2 status=$3 totals
	totals=$(grep -E '^# Totals: pass:' "$log")
	if [ -z "$totals" ]; then
		echo "FAIL: $name ended without a KTAP totals line (exit $status)"
		failed=$((failed + 1))
		return
	fi
	while read -r line; do
		local p f xf xp s e
		p=$(sed -n 's/.*Totals: pass:\([0-9]*\).*/\1/p' <<<"$line")
		f=$(sed -n 's/.*[^x]fail:\([0-9]*\).*/\1/p' <<<"$line")
		xf=$(sed -n 's/.*xfail:\([0-9]*\).*/\1/p' <<<"$line")
		xp=$(sed -n 's/.*xpass:\([0-9]*\).*/\1/p' <<<"$line")
		s=$(sed -n 's/.*skip:\([0-9]*\).*/\1/p' <<<"$line")
		e=$(sed -n 's/.*error:\([0-9]*\).*/\1/p' <<<"$line")
		passed=$((passed + ${p:-0} + ${xf:-0}))
		failed=$((failed + ${f:-0} + ${xp:-0} + ${e:-0}))
		skipped=$((skipped + ${s:-0}))
	done <<<"$totals"
	# A harness that counted no failure but exited non-zero still failed.
	if [ "$status" -ne 0 ] && ! grep -qE 'fail:[1-9]|error:[1-9]' <<<"$totals"; then
		echo "FAIL: $name exited with status $status"
		failed=$((failed + 1))
	fi
}

for prog in "${progs[@]}"; do
	name=${prog#"$top"/build/}
	log=$logs/$(tr '/' '_' <<<"$name").log
	echo "== $name"
	"$prog" 2>&1 | tee "$log"
	count "$name" "$log" "${PIPESTATUS[0]}"
done

# The guest suite in one VM: $1 names the run, the rest are qaccel-vm options.
guest_cmd=("$top/tests/guest/run.sh")
guest_suite() {
	local name=$1 log=$logs/guest-$1.log
	shift
	"$top/sim/qaccel-vm" --array "$array" --timeout "$timeout" "${vm_opts[@]}" "$@" \
		--dmesg-file "$logs/guest-$name.dmesg" \
		-- "${guest_cmd[@]}" 2>&1 | tee "$log"
	count "guest suite ($name)" "$log" "${PIPESTATUS[0]}"
}

if [ "$debug" = 1 ]; then
	echo "== debug kernel run on a $array array (sim/qaccel-vm --debug-kernel)"
	guest_cmd=("$top/tests/guest/run-debug.sh" "${debug_args[@]}")
	guest_suite "$array-debug" --debug-kernel
elif [ "$guest" = 1 ]; then
	default_kernel=$(cat "$top/build/guest/kernel-release" 2>/dev/null)
	read -r -a kernels <<<"${KERNELS:-$(cat "$top/build/guest/kernel-releases" 2>/dev/null | tr '\n' ' ')}"
	[ ${#kernels[@]} -gt 0 ] || kernels=("$default_kernel")
	for k in "${kernels[@]}"; do
		echo "== guest suite on a $array array, kernel $k (sim/qaccel-vm)"
		guest_suite "$array-$k" --kernel-release "$k"
	done
	# The same suite against qaccel-sim's functional model (about 30 s):
	# the device of the submission benchmark must behave like the RTL for
	# the driver and the library too.
	echo "== guest suite on the functional $array device, kernel $default_kernel (sim/qaccel-vm --functional)"
	guest_suite "$array-functional" --functional
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
