#!/bin/sh
# The debug kernel's run (make check-debug), inside the guest that
#   sim/qaccel-vm --debug-kernel -- tests/guest/run-debug.sh [--fuzz-calls N]
#       [--fuzz-seed S] [--fail-percent P] [--soak-seconds S]
# boots (KASAN, KFENCE, lockdep, kmemleak, UBSAN, DEBUG_OBJECTS, failslab and
# fail_page_alloc: scripts/debug-kernel.sh).  In this order:
#   1. the kernel really is the debug kernel (every checker present);
#   2. qaccel-fuzz --fail-alloc: allocations fail at random (P percent of
#      slab and of page allocations, task-filter: only in the fuzzer, which
#      sets its own make-it-fail), and must have failed;
#   3. a soak (2 processes x 2 threads of checked GEMMs);
#   4. the whole guest suite (tests/guest/run.sh, device faults included;
#      it ends with rel_device_gone, which unloads the module);
#   5. kmemleak: two scans, then every unreferenced object allocated by
#      qaccel fails; the others are printed as notes with the reason;
#   6. the kernel log: any KASAN, KFENCE, lockdep, UBSAN, refcount_t, ODEBUG,
#      BUG:, WARNING: or sleep-in-atomic report fails.
# Every step prints KTAP with its "# Totals:" line (tests/run-tests.sh adds
# them up).  Exit status 0 when everything passed.
top=$(cd "$(dirname "$0")/../.." && pwd)
fuzz_calls=20000 fuzz_seed=1 fail_percent=5 soak_seconds=60
while [ $# -gt 0 ]; do
	case "$1" in
	--fuzz-calls) fuzz_calls=$2; shift ;;
	--fuzz-seed) fuzz_seed=$2; shift ;;
	--fail-percent) fail_percent=$2; shift ;;
	--soak-seconds) soak_seconds=$2; shift ;;
	*) echo "usage: $0 [--fuzz-calls N] [--fuzz-seed S] [--fail-percent P] [--soak-seconds S]" >&2
	   exit 2 ;;
	esac
	shift
done
dbg=/sys/kernel/debug
leak=$dbg/kmemleak
tmp=$(mktemp -d)
status=0

# One KTAP program per step: plan N, then ok/not_ok lines, then totals.
ktap_begin() {	# NAME N
	echo "# ==== $1"
	echo "TAP version 13"
	echo "1..$2"
	k_n=0 k_pass=0 k_fail=0
}
ktap() {	# RESULT(0 = pass) NAME
	k_n=$((k_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $k_n $2"
		k_pass=$((k_pass + 1))
	else
		echo "not ok $k_n $2"
		k_fail=$((k_fail + 1))
		status=1
	fi
}
ktap_end() {
	echo "# Totals: pass:$k_pass fail:$k_fail xfail:0 xpass:0 skip:0 error:0"
}
# A command's output as KTAP diagnostics.
diag() { sed 's/^/# /'; }

# --- 1. the debug kernel -------------------------------------------------------
ktap_begin debug_kernel 6
echo "# kernel $(uname -r), $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
dmesg | grep -q 'KernelAddressSanitizer initialized'
ktap $? kasan_is_on
dmesg | grep -q 'kfence: initialized'
ktap $? kfence_is_on
[ -e /proc/lockdep ]
ktap $? lockdep_is_on
# The automatic scan would report between our steps; we scan by hand (5.).
[ -e "$leak" ] && echo scan=off >"$leak"
ktap $? kmemleak_is_on_and_its_thread_off
[ -d "$dbg/failslab" ] && [ -d "$dbg/fail_page_alloc" ] && [ -w /proc/self/make-it-fail ]
ktap $? failslab_and_fail_page_alloc_are_there
[ -d /sys/module/qaccel ]
ktap $? qaccel_is_loaded
ktap_end
if [ "$k_fail" != 0 ]; then
	echo "# not the debug kernel (sim/qaccel-vm --debug-kernel): nothing else runs"
	exit 1
fi

# --- 2. the fuzzer with failing allocations ------------------------------------
# Both attributes fail only in tasks with make-it-fail set (the fuzzer sets
# its own while it makes its calls), in sleeping allocations too (GFP_KERNEL,
# which is what the driver uses), of any order, highmem-flagged ones (shmem
# pages of buffers) included.  "times" counts down once per injected
# failure: what is left tells how many there were.
times=1000000
fail_set() {	# ATTR PERCENT
	a=$dbg/$1
	echo 1 >"$a/task-filter"
	echo 1 >"$a/interval"
	echo 0 >"$a/space"
	echo "$times" >"$a/times"
	echo 1 >"$a/verbose"	# one line per failure, rate-limited
	echo N >"$a/ignore-gfp-wait"
	[ "$1" != fail_page_alloc ] || { echo N >"$a/ignore-gfp-highmem"; echo 0 >"$a/min-order"; }
	echo "$2" >"$a/probability"
}
ktap_begin fuzz_fail_alloc 4
fail_set failslab "$fail_percent"
fail_set fail_page_alloc "$fail_percent"
"$top/build/fuzz/qaccel-fuzz" --calls "$fuzz_calls" --seed "$fuzz_seed" --fail-alloc -v \
	>"$tmp/fuzz" 2>&1
rc=$?
echo 0 >"$dbg/failslab/probability"
echo 0 >"$dbg/fail_page_alloc/probability"
diag <"$tmp/fuzz"
slab=$((times - $(cat "$dbg/failslab/times")))
page=$((times - $(cat "$dbg/fail_page_alloc/times")))
enomem=$(sed -n 's/.* \([0-9]*\) ENOMEM under --fail-alloc.*/\1/p' "$tmp/fuzz")
echo "# injected: failslab $slab, fail_page_alloc $page (probability $fail_percent%);" \
	"the fuzzer saw ENOMEM ${enomem:-?} times"
[ "$rc" = 0 ] && grep -q ' device ok$' "$tmp/fuzz"
ktap $? fuzz_with_failing_allocations_documented_errnos_and_a_working_device
[ "$slab" -gt 0 ]
ktap $? failslab_injected_failures
[ "$page" -gt 0 ]
ktap $? fail_page_alloc_injected_failures
[ "${enomem:-0}" -gt 0 ]
ktap $? fuzzer_saw_enomem
ktap_end

# --- 3. soak -----------------------------------------------------------------
ktap_begin soak 1
"$top/build/fuzz/qaccel-soak" --seconds "$soak_seconds" --procs 2 --threads 2 --seed 1 \
	>"$tmp/soak" 2>&1
rc=$?
diag <"$tmp/soak"
[ "$rc" = 0 ] && grep -q ': ok$' "$tmp/soak"
ktap $? soak_every_job_checked_counters_and_buffers_back_to_baseline
ktap_end

# --- 4. the guest suite --------------------------------------------------------
"$top/tests/guest/run.sh" || status=1

# --- 5. kmemleak ---------------------------------------------------------------
# Two scans with a pause: an object is reported once it was unreferenced in
# two scans in a row (kmemleak's own rule against transient pointers).
ktap_begin kmemleak 1
echo scan >"$leak"
sleep 5
echo scan >"$leak"
cat "$leak" >"$tmp/leaks"
# One record per "unreferenced object"; it is qaccel's when a backtrace frame
# is in qaccel (a qaccel_ function or [qaccel]) or in no symbol at all: code
# of a module unloaded since (the suite unloads qaccel and vgem).
awk -v out="$tmp/leak-" '
	/^unreferenced object/ { n++ }
	n { print > (out n) }
' "$tmp/leaks"
ours=0 theirs=0
for rec in "$tmp"/leak-*; do
	[ -f "$rec" ] || continue
	frames=$(sed -n '/backtrace:/,$p' "$rec" | tail -n +2)
	if echo "$frames" | grep -qE 'qaccel|\] 0x[0-9a-f]+$'; then
		ours=$((ours + 1))
		echo "# qaccel's (a frame in qaccel or an unloaded module):"
		diag <"$rec"
	else
		theirs=$((theirs + 1))
		# Who allocated it: the task and the first three frames past the allocator.
		{
			printf '%s: ' "$(sed -n 's/^ *comm "\([^"]*\)".*/\1/p' "$rec")"
			echo "$frames" | grep -vE 'kmemleak|kmalloc|kmem_cache|__alloc|alloc_pages|slab|kasan|kzalloc|kvmalloc|krealloc|kstrdup|kcalloc' |
				head -n 3 | sed 's/.*\] //; s/+0x.*//' | tr '\n' ' '
			echo
		} >>"$tmp/theirs"
	fi
done
echo "# kmemleak: $ours unreferenced objects of qaccel, $theirs of other code"
if [ "$theirs" != 0 ]; then
	echo "# notes: not qaccel's (no frame in qaccel or an unloaded module), objects by task and allocation path:"
	sort "$tmp/theirs" | uniq -c | sort -rn | diag
fi
[ "$ours" = 0 ]
ktap $? kmemleak_finds_no_unreferenced_qaccel_object
ktap_end

# --- 6. the kernel log ---------------------------------------------------------
# Injected failures print "FAULT_INJECTION: forcing a failure" and "page
# allocation failure" with a stack: expected, and none of these patterns.
dmesg >"$tmp/dmesg"
ktap_begin kernel_log 11
check() {	# NAME ERE
	hits=$(grep -E "$2" "$tmp/dmesg")
	[ -z "$hits" ] || echo "$hits" | head -n 20 | diag
	[ -z "$hits" ]
	ktap $? "$1"
}
check no_kasan_report 'BUG: KASAN|KASAN:'
check no_kfence_report 'BUG: KFENCE|KFENCE:'
check no_lockdep_report 'possible circular locking|possible recursive locking|inconsistent lock state|WARNING: .*lock|INFO: trying to register non-static key|bad unlock balance|held lock freed|lock held when returning|turning off the locking correctness validator'
check no_ubsan_report 'UBSAN:'
check no_refcount_report 'refcount_t:'
check no_debugobjects_report 'ODEBUG: [a-z].*object'
check no_sleep_in_atomic 'sleeping function called from invalid context|scheduling while atomic'
check no_bug_or_oops 'BUG:|Oops|general protection|Kernel panic|INFO: task .* blocked'
check no_warning 'WARNING:'
check no_kmemleak_in_log 'unreferenced object|new suspected memory leaks'
# A checker that ran out of its own memory (its allocations can be failed
# too) stops checking: the run then proves nothing.
check checkers_stayed_on 'kmemleak: .*(Out of memory|disabled)|Kernel memory leak detector disabled|ODEBUG.*disabled|KASAN.*disabled'
ktap_end

rm -rf "$tmp"
exit $status
