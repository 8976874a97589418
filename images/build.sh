#!/usr/bin/env bash
# Builds the boot images into build/images from Debian packages, reproducibly
# (the same packages give the same bytes: build twice, same SHA256SUMS):
#   undionly.kpxe ipxe.efi snponly.efi  iPXE, from the installed `ipxe` package
#   vmlinuz       Debian's kernel (the package linux-image-amd64 depends on),
#                 downloaded with apt-get download, never installed here
#   initrd.img    a busybox initramfs (busybox from `busybox-static`, also only
#                 downloaded: it conflicts with the `busybox` package the tests
#                 use) whose /init prints a RACKBOOT-MARKER line and powers off
#   boot.ipxe     the script rackbootd serves when no profile applies
#   rackboot.conf the same boot as a rackbootd profile (default-profile)
# Downloaded packages are kept in build/images/debs and reused while apt still
# names the same versions. SOURCE_DATE_EPOCH (default 0) is every mtime.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/images
debs=$out/debs
sde=${SOURCE_DATE_EPOCH:-0}
mkdir -p "$out" "$debs"
die() { echo "images: $*" >&2; exit 1; }

# -- iPXE ---------------------------------------------------------------------
for f in undionly.kpxe ipxe.efi snponly.efi; do
  src=/usr/lib/ipxe/$f
  [ -f "$src" ] || die "$src missing (run make deps: package ipxe)"
  install -m 0644 "$src" "$out/$f"
done

# -- Debian packages, downloaded only -------------------------------------------
# deb PACKAGE: the path of PACKAGE's candidate .deb in $debs, downloaded unless
# that exact version is there already. A stale package list (the security
# archive keeps only its newest kernel) gets one apt-get update and a retry.
deb() {
  local p=$1 v f
  v=$(apt-cache policy "$p" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
  [ -n "$v" ] && [ "$v" != "(none)" ] || die "no candidate version of $p (apt-get update?)"
  f=$debs/${p}_${v//:/%3a}_amd64.deb
  if [ ! -s "$f" ]; then
    rm -f "$debs/${p}_"*.deb
    # apt drops privileges to _apt for downloads: give it a directory it may write
    local tmp
    tmp=$(mktemp -d "$debs/.dl.XXXXXX"); chmod 777 "$tmp"
    if ! (cd "$tmp" && apt-get download -qq "$p=$v" >/dev/null 2>&1); then
      apt-get update -qq >/dev/null 2>&1 || true
      v=$(apt-cache policy "$p" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
      f=$debs/${p}_${v//:/%3a}_amd64.deb
      (cd "$tmp" && apt-get download -qq "$p=$v") >&2 || { rm -rf "$tmp"; die "cannot download $p=$v"; }
    fi
    mv "$tmp"/*.deb "$f"; rm -rf "$tmp"
  fi
  echo "$f"
}
# the file at PATH (./...) inside a .deb, on stdout
deb_file() { dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards "$2"; }

# -- kernel -----------------------------------------------------------------------
# linux-image-amd64 is a metapackage; the kernel is the package it depends on
# (linux-image-6.1.0-N-amd64). Its virtio_net/e1000 drivers are modules
# (CONFIG_E1000=m, CONFIG_VIRTIO_NET=m): the marker init needs no network, so
# the initramfs carries no modules.
kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ]; then   # no package lists yet (a fresh machine)
  apt-get update -qq >/dev/null 2>&1 || true
  kpkg=$(kernel_pkg)
fi
[ -n "$kpkg" ] || die "cannot resolve the kernel package linux-image-amd64 depends on"
kdeb=$(deb "$kpkg")
kver=${kpkg#linux-image-}
deb_file "$kdeb" "./boot/vmlinuz-$kver" >"$out/vmlinuz.tmp" || die "no ./boot/vmlinuz-$kver in $kdeb"
deb_file "$kdeb" "./boot/config-$kver" >"$out/kernel.config.tmp" || die "no ./boot/config-$kver in $kdeb"
chmod 0644 "$out/vmlinuz.tmp" "$out/kernel.config.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"; mv "$out/kernel.config.tmp" "$out/kernel.config"

# -- busybox initramfs --------------------------------------------------------------
bdeb=$(deb busybox-static)
stage=$(mktemp -d "$out/.initramfs.XXXXXX")
trap 'rm -rf "$stage" "$out"/*.tmp' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
deb_file "$bdeb" ./bin/busybox >"$stage/bin/busybox" || die "no ./bin/busybox in $bdeb"
chmod 0755 "$stage/bin/busybox"
# the initramfs has no libc or loader: busybox must be static
! readelf -l "$stage/bin/busybox" 2>/dev/null | grep -q 'program interpreter' ||
  die "busybox from $bdeb is not static"
# one symlink per applet, where busybox itself says it belongs (bin/sh, sbin/poweroff, ...)
"$stage/bin/busybox" --list-full | LC_ALL=C sort | while read -r a; do
  [ "$a" = bin/busybox ] || [ -e "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
done
install -m 0755 images/initramfs-init "$stage/init"
# deterministic archive: sorted names, owner 0:0, fixed mtimes, no inode or
# device numbers (--reproducible), gzip without name and timestamp
find "$stage" -exec touch -h -d "@$sde" {} +
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
   cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$out/initrd.img.tmp"
chmod 0644 "$out/initrd.img.tmp"; mv "$out/initrd.img.tmp" "$out/initrd.img"

# -- scripts and config ---------------------------------------------------------------
install -m 0644 images/boot.ipxe "$out/boot.ipxe"
install -m 0644 images/rackboot.conf "$out/rackboot.conf"

# What went in, for the record (no timestamps: same inputs, same file).
{
  echo "kernel $kpkg $(dpkg-deb -f "$kdeb" Version)"
  echo "busybox-static $(dpkg-deb -f "$bdeb" Version)"
  echo "ipxe $(dpkg-query -W -f='${Version}' ipxe 2>/dev/null || echo unknown)"
  echo "source-date-epoch $sde"
} >"$out/MANIFEST"
files=(undionly.kpxe ipxe.efi snponly.efi vmlinuz initrd.img boot.ipxe rackboot.conf MANIFEST)
( cd "$out" && sha256sum "${files[@]}" > SHA256SUMS )
echo "images: ${files[*]} (kernel $kver, $(stat -c %s "$out/initrd.img") byte initrd)"
