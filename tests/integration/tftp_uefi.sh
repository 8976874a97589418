#!/usr/bin/env bash
# The EDK2 (UEFI) pattern end to end: tsize probe aborted with error 8, then
# the real request with blksize 1468 and windowsize 4; loss recovery within a
# window; duplicated ACKs never multiplying the stream (Sorcerer's Apprentice).
source "$(dirname "$0")/lib.sh"
need python3
netns_setup
R=$WORK/root; mkdir -p "$R"
mkrand "$R/ipxe.efi" 1000000
start_tftpd_logged "$TFTPD" 69 -s -u root "$R"
in_cli timeout 120 python3 "$(dirname "$0")/tftp_uefi.py" $SRV_IP 69 ipxe.efi "$R/ipxe.efi" || fail "tftp_uefi.py exited with status $?"
grep -q "client does not accept options" "$WORK/tftpd-69.log" && ok "the probe abort is logged as tftpd-hpa does" || fail "probe log: $(cat "$WORK/tftpd-69.log")"
kill -0 $SRV_PID && ok "server alive" || fail "server died"
finish
