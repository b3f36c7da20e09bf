#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Install what qaccel needs on a Debian bookworm host, and prepare the guest
# kernel.  Idempotent: a second run only checks, and takes about a second.
#
#   scripts/setup.sh            (as root, or through sudo: make setup)
#
# It installs the missing Debian packages (apt-get update only when something
# is missing), resolves the guest kernel releases from their linux-headers
# metapackages (linux-headers-amd64 for 6.1, the default;
# linux-headers-6.12-amd64 for 6.12), installs each one's headers, downloads
# the matching unsigned images and linux-source into build/dl, unpacks each
# image (depmod'ed) and extracts its uncompressed vmlinux (QEMU boots it
# through PVH, about 2x faster than the bzImage under TCG), and takes the
# kselftest harness and checkpatch from linux-source into
# build/src/linux-source-6.1.
#
# build/guest/kernel-release names the default release, whose files stay at
# build/guest/image and build/guest/vmlinux; build/guest/kernel-releases
# lists every prepared release, the default first; the others' files are in
# build/guest/RELEASE/{image,vmlinux}.
#
# ONNX Runtime, one of the outside oracles of tests/lib/test_requant_oracles.c,
# is not in Debian: npm installs onnxruntime-node (its CPU library inside)
# into build/onnxruntime-node once; later runs find it there and do not go to
# the network.
#
# What the commands print goes to build/setup.log; the terminal gets one line
# per step, and the log's tail when a step fails.
#
# Environment:
#   QACCEL_BUILD=DIR   build directory (default: <repo>/build)
#   KDIR=DIR           your own kernel build tree: no linux-headers package,
#                      the release is read from its include/generated/utsrelease.h;
#                      it is then the only release
#   QACCEL_KERNELS="META..."  the linux-headers metapackages of the guest
#                      kernels, default first (default: linux-headers-amd64
#                      linux-headers-6.12-amd64)
#   GUEST_KERNEL=FILE  your own guest kernel (vmlinux or bzImage): no image
#                      package; give sim/qaccel-vm GUEST_MODULES=DIR (its
#                      lib/modules/REL, depmod'ed) as well
set -euo pipefail
shopt -s inherit_errexit

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QACCEL_BUILD:-$top/build}
dl=$build/dl
guest=$build/guest
ksrc=$build/src/linux-source-6.1

packages=(build-essential pkg-config verilator liburing-dev libdrm-dev parallel rsync
	qemu-system-x86 busybox-static cpio sparse gnuplot-nox libgemmlowp-dev
	dataset-fashion-mnist xz-utils kmod clang libdnnl-dev zlib1g-dev
	groff-base libclang-rt-14-dev libjansson-dev tmux gtkwave xvfb xauth libxnnpack-dev
	libpthreadpool-dev nodejs protobuf-c-compiler libprotobuf-c-dev libonnx-dev
	python3-onnx python3-torch)
# The npm package of ONNX Runtime's CPU library (oracle of the FP32 family).
ort_version=1.20.1
# Files taken from linux-source, relative to its top directory.
ksrc_files=(tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	scripts/checkpatch.pl scripts/spelling.txt
	scripts/const_structs.checkpatch scripts/extract-vmlinux)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# step "WHAT" CMD...: run CMD with its output in the log, say WHAT and how
# long it took on one line; on failure show the log's tail and stop.
log=$build/setup.log
step() {
	local what=$1 t0=$SECONDS rc=0
	shift
	printf 'setup: %s ... ' "$what" >&2
	printf '\n== %s: %s\n' "$(date '+%F %T')" "$*" >>"$log"
	"$@" >>"$log" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		echo "failed (exit $rc)" >&2
		echo "setup: the last lines of $log:" >&2
		tail -n 25 "$log" | sed 's/^/  /' >&2
		die "$what failed"
	fi
	echo "done ($((SECONDS - t0)) s)" >&2
}

[ "$(id -u)" = 0 ] || die "run as root or through sudo (apt-get needs it)"

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

updated=0
apt_update() {
	if [ "$updated" = 0 ]; then
		step "apt-get update" apt-get update -q
		updated=1
	fi
}

# Kernel lines, by their headers metapackage; the first is the default.
read -r -a kernel_metas <<<"${QACCEL_KERNELS:-linux-headers-amd64 linux-headers-6.12-amd64}"

# The release a linux-headers metapackage points at, e.g. 6.1.0-56-amd64:
# image, headers and modules must all be this one.
resolve_release() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1
}

# Candidate version of a package (the image and source must match the headers).
candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' || true
}

# Files under build/ belong to whoever ran `make`, not to root.
owner=
if [ -n "${SUDO_USER:-}" ] && [ "${SUDO_UID:-0}" != 0 ]; then
	owner="$SUDO_UID:$SUDO_GID"
fi
as_user_mkdir() {
	mkdir -p "$@"
	[ -z "$owner" ] || chown "$owner" "$@"
}
trap '[ -z "$owner" ] || chown -R "$owner" "$dl" "$guest" "$build/src" 2>/dev/null || true' EXIT

as_user_mkdir "$build" "$dl" "$guest" "$build/src"
: >>"$log"
[ -z "$owner" ] || chown "$owner" "$log"

# --- Debian packages --------------------------------------------------------
missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done

# --- guest kernel release ---------------------------------------------------
if [ -n "${KDIR:-}" ]; then
	# The release modules built against KDIR carry in their vermagic.
	krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$KDIR/include/generated/utsrelease.h" 2>/dev/null || true)
	[ -n "$krel" ] || die "KDIR=$KDIR has no include/generated/utsrelease.h"
	kver=
	krels=("$krel")
else
	# Releases prepared before, by metapackage, are kept while their
	# headers are installed: a second run needs no apt-get update.
	read -r -a old_krels <<<"$(cat "$guest/kernel-releases" 2>/dev/null | tr '\n' ' ')"
	krels=()
	for i in "${!kernel_metas[@]}"; do
		rel=${old_krels[$i]:-}
		if [ -z "$rel" ] || ! installed "linux-headers-$rel"; then
			rel=$(resolve_release "${kernel_metas[$i]}")
			if [ -z "$rel" ]; then
				apt_update
				rel=$(resolve_release "${kernel_metas[$i]}")
			fi
			[ -n "$rel" ] || die "cannot resolve ${kernel_metas[$i]} to a kernel release"
		fi
		installed "linux-headers-$rel" || missing+=("linux-headers-$rel")
		krels+=("$rel")
	done
	krel=${krels[0]}
fi

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	step "installing ${#missing[@]} Debian packages (${missing[*]})" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$(cat "$guest/kernel-release" 2>/dev/null)" != "$krel" ]; then
	echo "$krel" >"$guest/kernel-release"
fi
if [ "$(cat "$guest/kernel-releases" 2>/dev/null)" != "$(printf '%s\n' "${krels[@]}")" ]; then
	printf '%s\n' "${krels[@]}" >"$guest/kernel-releases"
fi
say "guest kernel releases ${krels[*]} (default $krel)"

# The exact Debian version of the headers: the image and source must match.
if [ -z "${KDIR:-}" ]; then
	kver=$(dpkg-query -W -f='${Version}' "linux-headers-$krel")
fi

# Fetch a package's .deb into build/dl unless a matching one is there.
download() {
	local pkg=$1 ver=$2 f debs t0
	if [ -n "$ver" ]; then
		debs=("$dl/${pkg}_${ver}_"*.deb)
	else
		debs=("$dl/${pkg}_"*.deb)
	fi
	f=${debs[0]}
	if [ -e "$f" ]; then
		echo "$f"
		return
	fi
	[ -n "$ver" ] || ver=$(candidate "$pkg")
	if [ -z "$ver" ]; then
		apt_update >&2
		ver=$(candidate "$pkg")
	fi
	# The package lists may be older than the archive: update once, retry.
	t0=$SECONDS
	if (cd "$dl" && apt-get download -q "$pkg=$ver") >>"$log" 2>&1; then
		say "downloaded $pkg $ver ($((SECONDS - t0)) s)" >&2
	else
		apt_update
		step "downloading $pkg $ver" \
			sh -c 'cd "$1" && apt-get download -q "$2"' sh "$dl" "$pkg=$ver"
	fi
	debs=("$dl/${pkg}_${ver}_"*.deb)
	f=${debs[0]}
	[ -e "$f" ] || die "apt-get download $pkg=$ver left no .deb in $dl"
	[ -z "$owner" ] || chown "$owner" "$f"
	echo "$f"
}

# --- kselftest harness, checkpatch, extract-vmlinux from linux-source -------
need_src=0
for f in "${ksrc_files[@]}"; do
	[ -e "$ksrc/$f" ] || need_src=1
done
if [ "$need_src" = 1 ]; then
	src_ver=$kver
	# With KDIR, take the source package apt offers for 6.1.
	src_deb=$(download linux-source-6.1 "$src_ver")
	tmp=$(mktemp -d "$build/src/.extract.XXXXXX")
	extract_src() {
		dpkg-deb --fsys-tarfile "$src_deb" |
			tar -xO ./usr/src/linux-source-6.1.tar.xz |
			tar -xJ -C "$tmp" "${ksrc_files[@]/#/linux-source-6.1/}"
	}
	step "extracting the kselftest harness and checkpatch from $(basename "$src_deb")" extract_src
	mkdir -p "$ksrc"
	cp -a "$tmp/linux-source-6.1/." "$ksrc/"
	rm -rf "$tmp"
fi

# --- guest kernel images and modules ---------------------------------------
# prepare_image REL DIR: REL's image unpacked into DIR/image (depmod'ed),
# its vmlinux in DIR/vmlinux.
prepare_image() {
	local rel=$1 dir=$2 ver deb
	local image=$dir/image
	if [ -f "$image/lib/modules/$rel/modules.dep" ] && [ -f "$dir/vmlinux" ] &&
	   [ "$(cat "$dir/image.release" 2>/dev/null)" = "$rel" ]; then
		return
	fi
	as_user_mkdir "$dir"
	ver=$(dpkg-query -W -f='${Version}' "linux-headers-$rel" 2>/dev/null || true)
	deb=$(download "linux-image-$rel-unsigned" "$ver")
	rm -rf "$image" "$dir/vmlinux"
	step "unpacking the guest kernel $(basename "$deb")" dpkg -x "$deb" "$image"
	step "depmod $rel" depmod -b "$image" "$rel"
	step "extracting vmlinux from vmlinuz-$rel" \
		sh -c '"$1" "$2" >"$3"' sh "$ksrc/scripts/extract-vmlinux" \
		"$image/boot/vmlinuz-$rel" "$dir/vmlinux.tmp"
	mv "$dir/vmlinux.tmp" "$dir/vmlinux"
	echo "$rel" >"$dir/image.release"
}

if [ -n "${GUEST_KERNEL:-}" ]; then
	[ -r "$GUEST_KERNEL" ] || die "GUEST_KERNEL=$GUEST_KERNEL is not readable"
	say "guest kernel $GUEST_KERNEL (GUEST_KERNEL)"
else
	# The default release where it always was; the others beside it.
	prepare_image "$krel" "$guest"
	for rel in "${krels[@]:1}"; do
		prepare_image "$rel" "$guest/$rel"
	done
fi

# --- ONNX Runtime for node (an oracle of tests/lib) ------------------------
ort=$build/onnxruntime-node
if [ ! -e "$ort/node_modules/onnxruntime-node/bin/napi-v3/linux/x64/libonnxruntime.so.$ort_version" ]; then
	if ! command -v npm >/dev/null; then
		apt_update
		step "installing npm" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends npm
	fi
	as_user_mkdir "$ort"
	# The CPU library ships in the package; CUDA's would be a download.
	step "npm install onnxruntime-node@$ort_version into $ort" \
		sh -c 'cd "$1" && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install --no-audit --no-fund "onnxruntime-node@$2"' \
		sh "$ort" "$ort_version"
	[ -z "$owner" ] || chown -R "$owner" "$ort"
fi

say "ready (kernels ${krels[*]})"
