#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs each libFuzzer target of the library (build/fuzz/lib_*, built with
# clang -fsanitize=fuzzer,address,undefined) for a bounded time from an
# empty corpus and a fixed seed, and prints KTAP like the C tests: one
# result per target with its executions.  A crash leaves its input in
# build/fuzz/ (named in the output) for `build/fuzz/lib_X FILE` to replay.
#   FUZZ_SECONDS (default 10) per target.
set -u
# The source tree (fuzz/..); the build's copy has this line replaced.
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-10}
targets=("$top"/build/fuzz/lib_*_fuzz)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 pass=0 fail=0

echo "TAP version 13"
echo "1..${#targets[@]}"
for t in "${targets[@]}"; do
	name=$(basename "$t")
	n=$((n + 1))
	mkdir -p "$work/$name/corpus"
	"$t" -seed=1 -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$work/$name/" "$work/$name/corpus" \
		>"$work/$name/log" 2>&1
	r=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log")
	echo "# $name: ${runs:-?} executions in $secs s, $(ls "$work/$name/corpus" | wc -l) corpus inputs"
	if [ $r -eq 0 ]; then
		echo "ok $n ${name}_runs_${secs}s_without_a_finding"
		pass=$((pass + 1))
	else
		grep -E 'ERROR|runtime error|\.c:[0-9]+: ' "$work/$name/log" | head -5 | sed 's/^/# /'
		for a in "$work/$name"/crash-* "$work/$name"/leak-* "$work/$name"/timeout-*; do
			[ -e "$a" ] || continue
			cp "$a" "$top/build/fuzz/" && echo "# input: build/fuzz/$(basename "$a")"
		done
		echo "not ok $n ${name}_runs_${secs}s_without_a_finding"
		fail=$((fail + 1))
	fi
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail -eq 0 ]
