#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Design-space sweep on the RTL: every array size x memory bandwidth x
# memory latency of the grid runs the workload list through bench_hw, one
# bench_hw invocation per grid point, spread over the local cores (and other
# machines) by GNU parallel.  bench_report --sweep then merges the points into
# sweep.json, summary.md and the plots.  `make sweep` is the way in
# (bench/bench.mk, docs/performance.md); this script is what it runs.
#
#   bench/sweep.sh --build DIR [options]
#
#   --build DIR          build directory: bench_hw of RxC is DIR/bench/RxC/bench_hw
#                        and DIR/bench/bench_report; the results go to DIR/sweep
#   --arrays "RxC ..."   array sizes (default "4x4 8x8 16x16")
#   --bandwidths "N ..." memory bytes per cycle, 1..64 (default "8 16 32 64")
#   --latencies "N ..."  memory latencies in cycles (default "50 200 800")
#   --shapes MxNxK,...   the workload list, passed to every bench_hw --shapes
#   --jobs N             jobs at a time per machine (default: its cores)
#   --sshloginfile FILE  GNU parallel's --sshloginfile: run on these machines
#                        (":" in it is this one)
#   --command TEXT       the command recorded in sweep.json
#
# A grid point is one self-contained job: one bench_hw writing
# sweep/runs/RxC-bwB-latL.json (its records), .txt (its table), .err (its
# progress and messages) and .status (its exit code).  The jobs run from
# DIR, with paths relative to it.  On another machine GNU parallel runs
# them in the same directory path (--workdir .), copies each bench_hw there
# first (--basefile; nothing when the path is shared, e.g. NFS) and brings
# the four files back (--return).  That machine needs ssh access without a
# password, rsync, perl, the same Debian release (bench_hw links libjansson
# and libstdc++ dynamically), and must be able to create DIR's path.
#
# Exit status: 0 when every point ran every shape and every result was
# right; 1 otherwise (after all points ran; bench_report lists the bad
# ones); 2 on bad usage.
set -euo pipefail
shopt -s inherit_errexit

die() { printf 'sweep: %s\n' "$*" >&2; exit 2; }

build=
arrays="4x4 8x8 16x16"
bandwidths="8 16 32 64"
latencies="50 200 800"
shapes=
jobs=
sshloginfile=
command="bench/sweep.sh $*"

while [ $# -gt 0 ]; do
	case $1 in
	--build|--arrays|--bandwidths|--latencies|--shapes|--jobs|--sshloginfile|--command)
		[ $# -ge 2 ] || die "$1 needs a value"
		opt=${1#--}
		printf -v "$opt" '%s' "$2"
		shift 2
		;;
	--help)
		sed -n '4,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
		exit 0
		;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

[ -n "$build" ] || die "--build DIR is required"
build=$(cd "$build" && pwd)
for a in $arrays; do
	[[ $a =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || die "bad array '$a' (want RxC)"
	[ -x "$build/bench/$a/bench_hw" ] || die "$build/bench/$a/bench_hw is not built"
done
for b in $bandwidths; do
	[[ $b =~ ^[1-9][0-9]*$ ]] && [ "$b" -le 64 ] || die "bad bandwidth '$b' (1..64 bytes/cycle)"
done
for l in $latencies; do
	[[ $l =~ ^[0-9]+$ ]] || die "bad latency '$l' (cycles)"
done
[[ $shapes =~ ^[0-9]+x[0-9]+x[0-9]+(,[0-9]+x[0-9]+x[0-9]+)*$ ]] ||
	die "bad --shapes '$shapes' (want MxNxK,...)"
[ -z "$jobs" ] || [[ $jobs =~ ^[1-9][0-9]*$ ]] || die "bad --jobs '$jobs'"
[ -z "$sshloginfile" ] || [ -r "$sshloginfile" ] || die "cannot read $sshloginfile"
[ -x "$build/bench/bench_report" ] || die "$build/bench/bench_report is not built"
command -v parallel >/dev/null || die "GNU parallel is not installed (make setup)"
[ -z "$sshloginfile" ] || command -v rsync >/dev/null ||
	die "rsync is not installed (make setup): parallel copies files to other machines with it"
[ -n "$arrays" ] && [ -n "$bandwidths" ] && [ -n "$latencies" ] || die "an empty grid axis"

out=$build/sweep
rm -rf "$out"
mkdir -p "$out/runs"

# The grid for bench_report (one line per axis), and the job list: the
# slowest points first (most PEs simulate slowest, the lowest bandwidth
# takes the most cycles), so that the last jobs to start are short.
{
	echo "arrays $arrays"
	echo "bandwidths $bandwidths"
	echo "latencies $latencies"
	echo "shapes $shapes"
} >"$out/grid.txt"
for a in $arrays; do
	for b in $bandwidths; do
		for l in $latencies; do
			echo "$((${a%x*} * ${a#*x})) $b $l $a"
		done
	done
done | sort -k1,1nr -k2,2n -k3,3nr | awk '{ print $4, $2, $3 }' >"$out/points.txt"

# The job, run by parallel's shell from $build (or the same path remotely).
# Its exit code is bench_hw's: 1 for a wrong result, a hang or an AXI error.
# It prints its table rows (and on failure the end of its messages), which
# parallel prefixes with the point.
job='mkdir -p sweep/runs && p=sweep/runs/{1}-bw{2}-lat{3} &&
bench/{1}/bench_hw --array {1} --bytes-per-cycle {2} --latency {3} --shapes '"$shapes"' \
 --json $p.json >$p.txt 2>$p.err; s=$?; echo $s >$p.status; tail -n +2 $p.txt;
[ $s = 0 ] || { echo "bench_hw exit $s:"; tail -n 3 $p.err; }; exit $s'

popts=(--colsep ' ' --joblog "$out/joblog.txt" --halt never --tag --workdir .)
[ -z "$jobs" ] || popts+=(--jobs "$jobs")
if [ -n "$sshloginfile" ]; then
	popts+=(--sshloginfile "$sshloginfile")
	for a in $arrays; do
		popts+=(--basefile "bench/$a/bench_hw")
	done
	for f in json txt err status; do
		popts+=(--return "sweep/runs/{1}-bw{2}-lat{3}.$f")
	done
fi

npoints=$(wc -l <"$out/points.txt")
echo "== sweep: $npoints points (arrays: $arrays; bytes/cycle: $bandwidths;" \
	"latencies: $latencies) x shapes $shapes"
start=$(date +%s)
fail=0
# Every point runs whatever another one did; parallel's exit status is the
# number of failed jobs.  bench_report judges the points from their files.
(cd "$build" && parallel "${popts[@]}" "$job" :::: "$out/points.txt") || fail=1
wall=$(( $(date +%s) - start ))
echo "== sweep: $npoints points in $wall s"

"$build/bench/bench_report" --sweep "$out" "$command" "$wall" || fail=1
exit $fail
