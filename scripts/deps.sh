#!/usr/bin/env bash
# Install every Debian package the build, tests, demo and benchmarks need.
# Idempotent and non-interactive; run as root on a fresh Debian 12 machine.
set -euo pipefail

PKGS=(
  # build
  build-essential clang llvm pkg-config libbpf-dev liburing-dev libsqlite3-dev
  bpftool libelf-dev zlib1g-dev
  libcmocka-dev libclang-rt-14-dev sqlite3
  # real TFTP clients and peer servers for integration tests and benchmarks
  atftp tftp-hpa tftpd-hpa curl busybox dnsmasq-base iproute2 procps python3
  # real DHCP clients, peer DHCP servers and perfdhcp (kea-admin) for tests and benchmarks
  isc-dhcp-client dhcpcd5 python3-scapy kea-dhcp4-server kea-admin
  # HTTP load and the peer HTTP server for tests and benchmarks
  wrk nginx-light
  # boot images (iPXE binaries for the demo)
  ipxe
  # end-to-end boots (tests/e2e, make images): QEMU without KVM, its iPXE NIC
  # ROMs, UEFI firmware, and cpio for the initramfs. The kernel and
  # busybox-static are only downloaded by images/build.sh, never installed
  # (busybox-static conflicts with busybox, which the tests use).
  qemu-system-x86 ipxe-qemu ovmf cpio
  # the kernel module (kern/, issue 13): pahole for module BTF, xz for the
  # vmlinux inside Debian's vmlinuz. The kernel headers and source are only
  # downloaded into build/kern by kern/fetch-headers.sh, never installed.
  dwarves xz-utils
  # benchmark plots
  gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages (${missing[*]}); run 'make deps' as root" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start the peer daemons (tftpd-hpa on port 69) on
# the host: tests start their own copies inside private network namespaces.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; own_policy=1
fi
trap '[ $own_policy = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# tftpd-hpa's init script may have started anyway on systems without policy-rc.d support.
pkill -x in.tftpd 2>/dev/null || true
pkill -x kea-dhcp4 2>/dev/null || true
pkill -x nginx 2>/dev/null || true
echo "deps: done"
