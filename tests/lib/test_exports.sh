#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A shared library's exported symbols agree three ways: the functions the
# public headers declare, the names its version script lists (by name: a
# wildcard would export whatever happens to match), and what the .so
# exports.  A public function left out of the map, a map entry without a
# declaration, or a symbol that leaks fails here.  Prints KTAP like the C
# tests.  As written it checks libqaccel; the build's copies have the lines
# below replaced (test_exports for libqaccel, test_exports_onnx for
# libqaccel_onnx: onnx/onnx.mk).
set -u
# The source tree (tests/lib/..) and the installed headers; the build's
# copy has these lines replaced.
top=$(cd "$(dirname "$0")/../.." && pwd)
headers="$top/lib/qaccel.h $top/lib/qaccel_ref.h $top/lib/qaccel_quant.h"
map=$top/lib/libqaccel.map
so=$top/build/lib/libqaccel.so
# Include path for headers that include another library's header.
cflags=
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
n=0 pass=0 fail=0

echo "TAP version 13"
echo "1..3"
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"; pass=$((pass + 1))
	else
		echo "not ok $n $2"; fail=$((fail + 1))
	fi
}

# True if the sorted lists A and B are equal; else their differences as
# KTAP comments.
same() {
	comm -3 "$1" "$2" | sed -e "s/^\t/# only in $(basename "$2"): /" \
		-e "t" -e "s/^/# only in $(basename "$1"): /"
	cmp -s "$1" "$2"
}

# The map's entries per section, comments dropped: "global NAME" / "local NAME".
sed -e 's|/\*.*\*/||g' -e '/\/\*/,/\*\//d' "$map" |
	tr -s ' \t\n;{}' '\n' | awk '
		/^global:$/ { sec = "global"; next }
		/^local:$/ { sec = "local"; next }
		/^QACCEL_([A-Z]+_)?[0-9.]+$/ { next }
		sec != "" && NF { print sec, $0 }' >"$stage/entries"
grep '^global ' "$stage/entries" | cut -d' ' -f2 | sort >"$stage/map"
bad=$(grep '^global ' "$stage/entries" | grep '[][*?]')
r=0
[ -z "$bad" ] || { echo "# wildcard in a global list: $bad"; r=1; }
[ -s "$stage/map" ] || { echo "# no global names in $map"; r=1; }
ok $r map_lists_every_export_by_name

# Every function the public headers declare extern, as the compiler sees them.
for h in $headers; do echo "#include \"$h\""; done >"$stage/all.c"
cc -std=gnu11 -D_GNU_SOURCE $cflags -fsyntax-only -aux-info "$stage/aux" "$stage/all.c" 2>&1 |
	sed 's/^/# /'
r=${PIPESTATUS[0]}
for h in $headers; do
	grep -F "/* $h:" "$stage/aux"
done | grep ' extern ' | sed -n 's/.*[ *]\([A-Za-z_][A-Za-z0-9_]*\) (.*/\1/p' |
	sort -u >"$stage/headers"
[ -s "$stage/headers" ] || { echo "# no declarations found in $headers"; r=1; }
same "$stage/headers" "$stage/map" || r=1
ok $r map_matches_public_header_declarations

# What the shared library exports, without the version node's own symbol.
nm -D --defined-only "$so" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort >"$stage/so"
r=${PIPESTATUS[0]}
[ -s "$stage/so" ] || { echo "# $so exports nothing"; r=1; }
same "$stage/so" "$stage/map" || r=1
ok $r shared_library_exports_exactly_the_map

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail -eq 0 ]
