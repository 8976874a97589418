# /test.sh of tests/e2e/kmod_module.sh's guest (run by kmod-guest-init):
# rackboot.ko from insmod to rmmod (kmod_test), with bpf_verify run on the
# fast path's module variant (/bpf/kmod/*.bpf.o) while it is loaded.
set -- /bpf/kmod/*.bpf.o
if [ -e "$1" ]; then
  exec kmod_test /lib/rackboot.ko /bpf/kmod_test.bpf.o -- bpf_verify "$@"
fi
exec kmod_test /lib/rackboot.ko /bpf/kmod_test.bpf.o
