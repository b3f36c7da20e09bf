#!/bin/sh
# Run every guest test program in sequence, then check the kernel log.
# Executed inside the QEMU guest:  sim/qaccel-vm -- tests/guest/run.sh [NAME...]
# With NAMEs (tests/guest/NAME.c), only those programs run.
# Each program prints its own KTAP; a program that dies without its
# "# Totals:" line gets one written for it, and the dmesg check is a KTAP
# program of its own, so the host runner's sum covers everything.
# Exit status: 0 when everything passed.
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/build/tests/guest
status=0

# Wrap a command that has no watchdog of its own; the harness has per-test
# timeouts, this only catches a hang outside a test.
run_limited() {
	if command -v timeout >/dev/null 2>&1; then
		timeout 900 "$@"
	else
		"$@"
	fi
}

# Programs that take the device away for good (rel_device_gone makes
# qaccel-sim exit, so no rebind or reload brings it back): they run after
# every other program, also when named.  Every other program leaves the
# driver loaded and bound, so their order does not matter.
last="rel_device_gone"

# Every tests/guest/*.c is one program; with NAMEs only those run.
if [ $# -gt 0 ]; then
	names="$*"
else
	names=
	for src in "$top"/tests/guest/*.c; do
		names="$names $(basename "$src" .c)"
	done
fi
srcs=
for name in $names; do
	case " $last " in *" $name "*) continue ;; esac
	srcs="$srcs $top/tests/guest/$name.c"
done
for name in $last; do
	case " $names " in *" $name "*) srcs="$srcs $top/tests/guest/$name.c" ;; esac
done
for src in $srcs; do
	name=$(basename "$src" .c)
	prog=$bin/$name
	echo "# ==== $name"
	if [ ! -x "$prog" ]; then
		echo "# $prog is missing (build with make)"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
		status=1
		continue
	fi
	out=$(mktemp)
	run_limited "$prog" >"$out" 2>&1
	rc=$?
	cat "$out"
	if ! grep -q '^# Totals: pass:' "$out"; then
		echo "# $name ended without its totals (exit $rc)"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	fi
	rm -f "$out"
	[ "$rc" -eq 0 ] || status=1
done

# The kernel log: any warning, bug or oops fails the suite.
echo "# ==== dmesg"
echo "TAP version 13"
echo "1..1"
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection')
if [ -z "$bad" ]; then
	echo "ok 1 dmesg_has_no_warning_bug_or_oops"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
else
	echo "$bad" | sed 's/^/# /'
	echo "not ok 1 dmesg_has_no_warning_bug_or_oops"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	status=1
fi
exit $status
