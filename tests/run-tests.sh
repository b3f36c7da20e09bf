#!/usr/bin/env bash
# Run qaccel's tests and print one closing line: "N passed, N failed, N skipped".
#
#   tests/run-tests.sh [--no-guest] [--array RxC] [--timeout S] [--share DIR]... [HOST_PROGRAM...]
#
# Each HOST_PROGRAM is a kselftest-harness program run on the host; then the
# guest suite (tests/guest/run.sh) runs in a QEMU guest through
# sim/qaccel-vm, on the RTL device and again on the functional one.  Every program prints KTAP; its "# Totals: pass:P fail:F
# xfail:X xpass:Y skip:S error:E" line is what counts.  A program that ends
# without that line (crash, hang, timeout) counts as one failure.  Logs are
# kept under build/tests/logs/.  --share DIR is passed on to every
# sim/qaccel-vm run (e.g. the target of a build/guest symlink, so that the
# vgem tests can load vgem.ko from it).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
logs=$top/build/tests/logs
guest=1
array=4x4
timeout=900
progs=()
vm_opts=()

while [ $# -gt 0 ]; do
	case "$1" in
	--no-guest) guest=0 ;;
	--array) array=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--share) vm_opts+=(--share "$2"); shift ;;
	-h|--help)
		sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
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
guest_suite() {
	local name=$1 log=$logs/guest-$1.log
	shift
	"$top/sim/qaccel-vm" --array "$array" --timeout "$timeout" "${vm_opts[@]}" "$@" \
		--dmesg-file "$logs/guest-$name.dmesg" \
		-- "$top/tests/guest/run.sh" 2>&1 | tee "$log"
	count "guest suite ($name)" "$log" "${PIPESTATUS[0]}"
}

if [ "$guest" = 1 ]; then
	echo "== guest suite on a $array array (sim/qaccel-vm)"
	guest_suite "$array"
	# The same suite against qaccel-sim's functional model (about 30 s):
	# the device of the submission benchmark must behave like the RTL for
	# the driver and the library too.
	echo "== guest suite on the functional $array device (sim/qaccel-vm --functional)"
	guest_suite "$array-functional" --functional
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
