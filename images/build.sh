#!/usr/bin/env bash
# Builds the boot images into build/images from Debian packages.
# Today: the iPXE network boot programs from Debian's `ipxe` package
# (undionly.kpxe for BIOS PXE, ipxe.efi and snponly.efi for UEFI x64).
# The kernel + busybox initramfs join them with the end-to-end boot work.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/images
mkdir -p "$out"
for f in undionly.kpxe ipxe.efi snponly.efi; do
  src=/usr/lib/ipxe/$f
  [ -f "$src" ] || { echo "images: $src missing (run make deps: package ipxe)" >&2; exit 1; }
  install -m 0644 "$src" "$out/$f"
done
( cd "$out" && sha256sum undionly.kpxe ipxe.efi snponly.efi > SHA256SUMS )
echo "images: $(ls "$out" | tr '\n' ' ')"
