#!/usr/bin/env bash
# Builds MiniVmm's Linux guest from Debian packages into OUT_DIR:
#   bzImage            the installed Debian cloud kernel, as shipped (/boot/vmlinuz-*-cloud-amd64)
#   vmlinux            the ELF kernel inside it (its payload is lz4), for the fast 64-bit entry
#   initramfs.cpio.gz  busybox-static + the virtio_pci/virtio_net modules of that kernel + ./init
# Needs the packages build.sh installs (linux-image-cloud-amd64, busybox-static, lz4, cpio);
# no network. Quick when the outputs are newer than their inputs.
set -euo pipefail

OUT=${1:?usage: build-image.sh OUT_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
say() { echo "build-image.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# The newest installed cloud kernel, and its version (the /lib/modules directory name).
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] || die "no /boot/vmlinuz-*-cloud-amd64 (install linux-image-cloud-amd64)"
version=${kernel#/boot/vmlinuz-}
moddir=/lib/modules/$version
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep"
busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox (install busybox-static)"

mkdir -p "$OUT"
stamp=$OUT/linux-image.stamp
up_to_date() {
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] || return 1
    local input
    for input in "$kernel" "$HERE/build-image.sh" "$HERE/init" "$busybox"; do
        [ "$input" -nt "$stamp" ] && return 1
    done
    [ -f "$OUT/bzImage" ] && [ -f "$OUT/vmlinux" ] && [ -f "$OUT/initramfs.cpio.gz" ]
}
if up_to_date; then exit 0; fi
say "building the Linux guest for $version"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- bzImage: copied as shipped. ---
cp "$kernel" "$OUT/bzImage"

# --- vmlinux: the approach of the kernel's scripts/extract-vmlinux. The compressed payload
# starts with the lz4 legacy frame magic 02 21 4c 18; try each occurrence until one
# decompresses to an ELF. lz4 exits non-zero on the 4-byte size the kernel appends after the
# frame, so the exit status is ignored and the ELF magic decides.
extract_vmlinux() {
    local offset
    for offset in $(grep -obUaP '\x02\x21\x4c\x18' "$kernel" | cut -d: -f1); do
        tail -c "+$((offset + 1))" "$kernel" | lz4 -dc > "$work/vmlinux" 2>/dev/null || true
        if [ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
            say "vmlinux: lz4 payload at byte $offset of $(basename "$kernel")"
            mv "$work/vmlinux" "$OUT/vmlinux"
            return 0
        fi
    done
    return 1
}
extract_vmlinux || die "no lz4 payload that decompresses to an ELF in $kernel"

# --- initramfs ---
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$HERE/init" "$root/init"
# The kernel opens /dev/console for init's stdin/stdout before init can mount devtmpfs.
mknod -m 0600 "$root/dev/console" c 5 1 || die "mknod /dev/console failed (run as root)"

# Modules in load order: each module's dependencies (from modules.dep) before the module.
# modules.dep lines are "path/to/a.ko[.xz|.zst]: path/to/dep.ko ...".
declare -A queued=()
order=()
dep_line() { grep -E "(^|/)$1\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n 1; }
queue_module() {
    local name=$1 line path dep
    [ -n "${queued[$name]:-}" ] && return 0
    line=$(dep_line "$name") || die "module $name is not in $moddir/modules.dep"
    [ -n "$line" ] || die "module $name is not in $moddir/modules.dep"
    queued[$name]=1
    for dep in ${line#*:}; do
        dep=$(basename "$dep"); queue_module "${dep%%.ko*}"
    done
    path=${line%%:*}
    case "$path" in # busybox insmod cannot read compressed modules: decompress here
        *.ko.xz)  xz -dc "$moddir/$path" > "$root/lib/modules/$name.ko" ;;
        *.ko.zst) zstd -qdc "$moddir/$path" > "$root/lib/modules/$name.ko" ;;
        *.ko.gz)  gzip -dc "$moddir/$path" > "$root/lib/modules/$name.ko" ;;
        *)        cp "$moddir/$path" "$root/lib/modules/$name.ko" ;;
    esac
    order+=("$name")
}
queue_module virtio_pci
queue_module virtio_net
printf '%s\n' "${order[@]}" > "$root/lib/modules/load-order"
say "initramfs modules: ${order[*]}"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9n > "$OUT/initramfs.cpio.gz"

echo "$version" > "$stamp"
say "done: $OUT/bzImage, $OUT/vmlinux, $OUT/initramfs.cpio.gz"
