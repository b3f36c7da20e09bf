#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make install` into a temporary DESTDIR on the host, checked the way a
# user would use it: files in place, qaccel.pc usable, a program built
# against the installed headers and shared library (libqaccel's and the
# ONNX runtime's, each through its .pc), only qaccel_* exported,
# man pages that render without warnings, tools that answer --help, and an
# uninstall that leaves nothing behind.  Prints KTAP like the C tests.
set -u
# The source tree (tests/lib/..); the build's copy has this line replaced.
top=$(cd "$(dirname "$0")/../.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
prefix=/usr
d=$stage/root
n=0 pass=0 fail=0

echo "TAP version 13"
echo "1..9"
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"; pass=$((pass + 1))
	else
		echo "not ok $n $2"; fail=$((fail + 1))
	fi
}

# The test may run under make (make check): start a clean, quiet make.
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$top" install \
	DESTDIR="$d" PREFIX=$prefix >"$stage/install.log" 2>&1
r=$?; [ $r -eq 0 ] || sed 's/^/# /' "$stage/install.log"
ok $r install_into_destdir_succeeds

r=0
for f in lib/libqaccel.so lib/libqaccel.so.0 lib/libqaccel.a lib/pkgconfig/qaccel.pc \
	 include/qaccel.h include/qaccel_ref.h include/qaccel_quant.h \
	 lib/libqaccel_onnx.so lib/libqaccel_onnx.so.0 lib/libqaccel_onnx.a \
	 lib/pkgconfig/qaccel-onnx.pc include/qaccel_onnx.h bin/qaccel-run \
	 share/man/man3/qaccel_onnx.3 share/man/man3/qaccel_onnx_run.3 \
	 bin/qaccel-info bin/qaccel-bench share/man/man1/qaccel-info.1 \
	 share/man/man1/qaccel-bench.1 share/man/man3/qaccel_open.3 \
	 share/man/man3/qaccel_submit.3 share/man/man3/qaccel_wait.3 \
	 share/man/man3/qaccel_buf_alloc.3 share/man/man3/qaccel_ref_gemm.3 \
	 share/man/man3/qaccel_flush.3; do
	[ -e "$d$prefix/$f" ] || { echo "# missing $prefix/$f"; r=1; }
done
ok $r every_file_is_installed

# The .pc names the installed paths (the sysroot maps them into DESTDIR).
export PKG_CONFIG_PATH=$d$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d
flags=$(pkg-config --cflags --libs qaccel 2>&1)
r=$?; echo "# pkg-config: $flags"
grep -qx "libdir=$prefix/lib" "$d$prefix/lib/pkgconfig/qaccel.pc" || r=1
grep -qx "includedir=$prefix/include" "$d$prefix/lib/pkgconfig/qaccel.pc" || r=1
ok $r pkgconfig_file_points_at_the_installed_paths

# A user's program: the example, built with nothing but the installed files
# and the project's PRNG header, which the example uses and the library does
# not ship (include/qaccel_prng.h, copied alone).
mkdir -p "$stage/prng"
cp "$top/include/qaccel_prng.h" "$stage/prng/"
cc -Wall -Wextra -Werror -std=gnu11 -I"$stage/prng" -o "$stage/demo" \
	"$top/examples/qaccel-demo.c" $flags -Wl,-rpath,"$d$prefix/lib" >"$stage/cc.log" 2>&1
r=$?; [ $r -eq 0 ] || sed 's/^/# /' "$stage/cc.log"
if [ $r -eq 0 ]; then
	readelf -d "$stage/demo" | grep -q 'NEEDED.*libqaccel.so.0' || r=1
	# No device on the host: it must fail cleanly, not crash.
	"$stage/demo" >/dev/null 2>&1; s=$?
	[ $s -gt 0 ] && [ $s -lt 128 ] || { echo "# demo exit $s"; r=1; }
fi
ok $r example_builds_and_links_against_installed_library

# A user of the ONNX runtime: qaccel-onnx.pc pulls in qaccel's flags; the
# program needs both shared libraries and, with no model file, gets the
# runtime's -ENOENT and its message (no device is needed to fail there).
cat >"$stage/onnx.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <qaccel_onnx.h>
int main(void)
{
	struct qaccel_onnx_model *m;
	int r = qaccel_onnx_load_file(NULL, "/nonexistent/model.onnx", &m);

	printf("%d %s\n", r, qaccel_onnx_error());
	return r == -ENOENT && *qaccel_onnx_error() ? 0 : 1;
}
C
flags=$(pkg-config --cflags --libs qaccel-onnx 2>&1)
r=$?; echo "# pkg-config qaccel-onnx: $flags"
if [ $r -eq 0 ]; then
	cc -Wall -Wextra -Werror -std=gnu11 -o "$stage/onnx" "$stage/onnx.c" $flags \
		-Wl,-rpath,"$d$prefix/lib" >"$stage/cc.log" 2>&1
	r=$?; [ $r -eq 0 ] || sed 's/^/# /' "$stage/cc.log"
fi
if [ $r -eq 0 ]; then
	readelf -d "$stage/onnx" | grep -q 'NEEDED.*libqaccel_onnx.so.0' || r=1
	# The rpath reaches only the program's own NEEDED entries, not
	# libqaccel_onnx's libqaccel.so.0; an installed /usr/lib needs neither.
	out=$(LD_LIBRARY_PATH="$d$prefix/lib" "$stage/onnx" 2>&1) || r=1
	echo "# $out"
fi
ok $r onnx_runtime_builds_and_links_against_installed_library

# The installed header stands alone, in C and C++.
printf '#include <qaccel.h>\nint main(void) { return qaccel_strerror(0) == 0; }\n' >"$stage/h.c"
cc -Wall -Wextra -Werror -std=c99 -I"$d$prefix/include" -c "$stage/h.c" -o "$stage/h.o" 2>&1 | sed 's/^/# /'
r=${PIPESTATUS[0]}
if command -v c++ >/dev/null; then
	cp "$stage/h.c" "$stage/h.cc"
	c++ -Wall -Wextra -Werror -I"$d$prefix/include" -c "$stage/h.cc" -o "$stage/hh.o" 2>&1 | sed 's/^/# /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || r=1
fi
ok $r installed_header_compiles_alone_in_c_and_cxx

bad=$(nm -D --defined-only "$d$prefix/lib/libqaccel.so" "$d$prefix/lib/libqaccel_onnx.so" |
	awk 'NF == 3 {print $3}' | grep -v '^qaccel_' | grep -v '^QACCEL_1.0$' |
	grep -v '^QACCEL_ONNX_1.0$')
r=0; [ -z "$bad" ] || { echo "# exported: $bad"; r=1; }
ok $r shared_library_exports_only_qaccel_symbols

r=0
for p in "$d$prefix"/share/man/man1/*.1 "$d$prefix"/share/man/man3/*.3; do
	if grep -q '^\.so ' "$p"; then
		t=$(sed -n 's/^\.so //p' "$p")
		[ -f "$d$prefix/share/man/$t" ] || { echo "# $p: no $t"; r=1; }
		continue
	fi
	w=$(groff -man -Tutf8 -ww -z "$p" 2>&1)
	[ -z "$w" ] || { echo "# $p: $w"; r=1; }
done
for t in qaccel-info qaccel-bench; do
	"$d$prefix/bin/$t" --help | grep -q "usage: $t" || { echo "# $t --help"; r=1; }
done
ok $r man_pages_render_cleanly_and_tools_answer_help

env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$top" uninstall DESTDIR="$d" PREFIX=$prefix >/dev/null 2>&1
left=$(find "$d" -type f -o -type l)
r=0; [ -z "$left" ] || { echo "# left: $left"; r=1; }
ok $r uninstall_removes_every_file

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail -eq 0 ]
