#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build the debug guest kernel (make debug-kernel): Debian's linux-source-6.1,
# the same release as the production guest kernel, with Debian's own config
# trimmed to the modules the guest loads (localmodconfig) plus the kernel's
# bug finders: KASAN, KFENCE, lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP,
# DEBUG_OBJECTS (timers, work), kmemleak, UBSAN, and fault injection
# (failslab, fail_page_alloc; x86_64 has no stack-trace filter for them,
# so they are limited per task).  Built once and cached:
#
#   build/guest-debug/vmlinux          the kernel QEMU boots (PVH)
#   build/guest-debug/image/lib/modules/REL   its modules, depmod'ed
#   build/guest-debug/obj              the build tree (KDIR for qaccel.ko; it
#                                      needs linux-source-6.1/ beside it)
#   build/guest-debug/config-delta.txt what differs from Debian's config
#   build/guest-debug/build-time.txt   how long the build took
#
#   scripts/debug-kernel.sh [-j N]     (after scripts/setup.sh)
#
# The cache is reused while this script and the guest's module list are
# unchanged; remove build/guest-debug to rebuild.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QACCEL_BUILD:-$top/build}
out=$build/guest-debug
jobs=$(nproc)
[ "${1:-}" != -j ] || jobs=$2

say() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

krel=$(cat "$build/guest/kernel-release" 2>/dev/null) || die "run scripts/setup.sh first"
image=$build/guest/image
moddir=$image/lib/modules/$krel
debconfig=$image/boot/config-$krel
srcdeb=$(ls "$build"/dl/linux-source-6.1_*.deb 2>/dev/null | head -n 1)
[ -f "$debconfig" ] && [ -n "$srcdeb" ] || die "no guest image or linux-source in $build (run scripts/setup.sh)"

# The modules the guest loads (sim/vm/mkinitramfs, and vgem for the PRIME
# tests) with their dependencies: localmodconfig keeps these and drops every
# other module of Debian's config.
guest_modules=(virtio_pci 9pnet_virtio 9p virtio_console drm drm_shmem_helper
	gpu-sched drm_kms_helper vgem)

# Debug options on top of Debian's config.  DEBUG_INFO is off: kallsyms
# names every frame of a report, and the build is several times faster.
enable=(KASAN KASAN_GENERIC KASAN_INLINE KFENCE
	PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_LOCKDEP
	DEBUG_OBJECTS DEBUG_OBJECTS_TIMERS DEBUG_OBJECTS_WORK DEBUG_OBJECTS_RCU_HEAD
	DEBUG_KMEMLEAK UBSAN UBSAN_BOUNDS UBSAN_SHIFT
	FAULT_INJECTION FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS
	DEBUG_FS PVH)
disable=(DEBUG_INFO DEBUG_INFO_DWARF5 DEBUG_INFO_DWARF4 DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
	DEBUG_INFO_BTF MODULE_SIG MODULE_SIG_ALL DEBUG_KMEMLEAK_DEFAULT_OFF
	KASAN_OUTLINE UBSAN_TRAP RANDOMIZE_BASE)
values=("DEBUG_KMEMLEAK_MEM_POOL_SIZE 16000" "KFENCE_SAMPLE_INTERVAL 10")

# What building a kernel needs beyond scripts/setup.sh's packages.
build_deps=(flex bison bc libelf-dev libssl-dev)
missing=()
for p in "${build_deps[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run as root or install them"
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >"$build/debug-kernel-apt.log" 2>&1 ||
		{ tail -n 20 "$build/debug-kernel-apt.log" >&2; die "apt-get install failed"; }
fi

stamp=$( { cat "$0"; printf '%s\n' "$krel" "$srcdeb"; } | sha256sum | cut -c1-16)
if [ -f "$out/vmlinux" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	say "cached: $out/vmlinux ($(cat "$out/kernel-release")), built in $(cat "$out/build-time.txt")"
	exit 0
fi

t0=$SECONDS
src=$out/linux-source-6.1
log=$out/build.log
# The unpacked source is kept while it is the same linux-source package.
if [ "$(cat "$out/source.deb" 2>/dev/null)" != "$(basename "$srcdeb")" ] || [ ! -f "$src/Makefile" ]; then
	rm -rf "$out"
	mkdir -p "$out"
	say "extracting linux-source-6.1 from $(basename "$srcdeb") (log: $log)"
	dpkg-deb --fsys-tarfile "$srcdeb" | tar -xO ./usr/src/linux-source-6.1.tar.xz | tar -xJ -C "$out"
	basename "$srcdeb" >"$out/source.deb"
fi
rm -rf "$out/obj" "$out/image" "$out/vmlinux" "$out/stamp"
mkdir -p "$out/obj"
: >"$log"
kmake() { make -C "$src" O="$out/obj" "$@" >>"$log" 2>&1; }

# A fake lsmod listing the guest's modules for localmodconfig.
lsmod=$out/guest-modules.lsmod
{
	echo "Module                  Size  Used by"
	for m in "${guest_modules[@]}"; do
		modprobe -d "$image" -S "$krel" --show-depends "$m"
	done | sed -n 's|^insmod .*/\([^/]*\)\.ko.*|\1|p' | sort -u | tr - _ |
		while read -r name; do echo "$name 16384 0"; done
} >"$lsmod"
say "$(($(wc -l <"$lsmod") - 1)) guest modules kept: $(tail -n +2 "$lsmod" | cut -d' ' -f1 | tr '\n' ' ')"

cp "$debconfig" "$out/obj/.config"
# Debian's signing keys live in its packaging tree, not in linux-source.
"$src/scripts/config" --file "$out/obj/.config" --set-str SYSTEM_TRUSTED_KEYS "" \
	--set-str SYSTEM_REVOCATION_KEYS "" --set-str LOCALVERSION "" \
	--disable LOCALVERSION_AUTO
say "localmodconfig"
# New symbols take their defaults (yes '' answers every question; a
# process substitution, since yes ends with SIGPIPE under pipefail).
make -C "$src" O="$out/obj" LSMOD="$lsmod" localmodconfig >>"$log" 2>&1 < <(yes '') ||
	{ tail -n 20 "$log" >&2; die "localmodconfig failed"; }
args=()
for o in "${enable[@]}"; do args+=(--enable "$o"); done
for o in "${disable[@]}"; do args+=(--disable "$o"); done
for v in "${values[@]}"; do args+=(--set-val ${v% *} ${v#* }); done
"$src/scripts/config" --file "$out/obj/.config" "${args[@]}"
kmake olddefconfig || { tail -n 20 "$log" >&2; die "olddefconfig failed"; }
# Every option asked for must have survived olddefconfig's dependency checks.
missing=()
for o in "${enable[@]}"; do
	grep -q "^CONFIG_$o=y" "$out/obj/.config" || missing+=("$o")
done
[ ${#missing[@]} -eq 0 ] || die "options not enabled after olddefconfig: ${missing[*]}"
"$src/scripts/diffconfig" "$debconfig" "$out/obj/.config" >"$out/config-delta.txt"

say "building with $jobs jobs (bzImage, modules)"
kmake -j"$jobs" bzImage modules || { tail -n 30 "$log" >&2; die "kernel build failed"; }
rel=$(cat "$out/obj/include/config/kernel.release")
kmake INSTALL_MOD_PATH="$out/image" INSTALL_MOD_STRIP=1 modules_install ||
	die "modules_install failed"
depmod -b "$out/image" "$rel"
cp "$out/obj/vmlinux" "$out/vmlinux"
echo "$rel" >"$out/kernel-release"
# External modules build against the obj tree (which includes the source's
# Makefile): KDIR=build/guest-debug/obj.

secs=$((SECONDS - t0))
printf '%d min %d s with %d jobs on %s\n' $((secs / 60)) $((secs % 60)) "$jobs" \
	"$(nproc) cores" >"$out/build-time.txt"
echo "$stamp" >"$out/stamp"
say "built $rel in $(cat "$out/build-time.txt"); config delta in $out/config-delta.txt"
