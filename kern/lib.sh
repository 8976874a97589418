# Shared by kern/fetch-headers.sh and kern/build.sh (sourced, bash): what a
# kernel headers tree lacks for building a module with BTF.
#
# Module BTF (CONFIG_DEBUG_INFO_BTF_MODULES) is made by kbuild's
# scripts/Makefile.modfinal from two things a full kernel build has and a
# headers package does not: `vmlinux` in the tree's top folder (the base
# BTF that `pahole -J --btf_base` and `resolve_btfids -b` work against)
# and `tools/bpf/resolve_btfids/resolve_btfids` (fills the kfunc ID sets
# of the module's .BTF_ids). Without vmlinux kbuild only warns ("Skipping
# BTF generation") and the module loads with kfuncs no program can call.

kern_die() { echo "kern: $*" >&2; exit 1; }

# kern_extract_vmlinux IMAGE OUT: the uncompressed ELF vmlinux inside a
# bzImage, the logic of the kernel's scripts/extract-vmlinux: find a
# compressed stream by its magic bytes, decompress from there, keep the
# first result that is an ELF file. (Debian's kernels are xz.)
kern_extract_vmlinux() {
  local img=$1 out=$2 magic_tool magic tool pos
  [ -s "$img" ] || kern_die "$img missing"
  for magic_tool in '\xfd7zXZ\x00:xz -dc' '\x1f\x8b\x08:gzip -dc' '(\xb5/\xfd:zstd -dc' \
                    'BZh:bzip2 -dc' '\x02!L\x18:lz4 -dc' '\x89LZ:lzop -dc' '\x5d\x00\x00\x00:xz --format=lzma -dc'; do
    magic=${magic_tool%%:*} tool=${magic_tool#*:}
    command -v "${tool%% *}" >/dev/null || continue
    while read -r pos; do
      # (the stream is followed by the rest of the image: the decompressor
      # complains and fails after writing everything; the ELF check decides)
      tail -c "+$((pos + 1))" "$img" | $tool >"$out.tmp" 2>/dev/null || true
      if readelf -h "$out.tmp" >/dev/null 2>&1; then
        mv "$out.tmp" "$out"
        return 0
      fi
    done < <(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1 | head -20)
  done
  rm -f "$out.tmp"
  kern_die "no vmlinux found inside $img"
}

# kern_build_resolve_btfids SRC OUT: build tools/bpf/resolve_btfids of a
# kernel source tree SRC (Debian's linux-source tarball, unpacked: only
# tools/ and scripts/bpf_doc.py are needed) into OUT (a file path).
kern_build_resolve_btfids() {
  local src=$1 out=$2 obj
  [ -f "$src/tools/bpf/resolve_btfids/main.c" ] || kern_die "$src has no tools/bpf/resolve_btfids"
  obj=$(mktemp -d "${TMPDIR:-/tmp}/resolve_btfids.XXXXXX")
  # its own libbpf and libsubcmd, host compiler; quiet unless it fails
  if ! make -s -C "$src/tools/bpf/resolve_btfids" OUTPUT="$obj/" -j"${KERN_JOBS:-2}" \
       >"$obj/build.log" 2>&1; then
    tail -30 "$obj/build.log" >&2
    rm -rf "$obj"
    kern_die "building resolve_btfids from $src failed"
  fi
  mkdir -p "$(dirname "$out")"
  install -m 0755 "$obj/resolve_btfids" "$out"
  rm -rf "$obj"
}

# kern_unpack_source_tools DEB_OR_TARBALL DIR: the parts of the kernel
# source that kern_build_resolve_btfids needs, from Debian's linux-source
# package (.deb) or its tarball (/usr/src/linux-source-X.Y.tar.xz), into
# DIR (its top folder, linux-source-X.Y, stripped). Echoes DIR.
kern_unpack_source_tools() {
  local in=$1 dir=$2
  mkdir -p "$dir"
  case $in in
    *.deb) dpkg-deb --fsys-tarfile "$in" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' ;;
    *) cat "$in" ;;
  esac | xz -dc | tar -x -C "$dir" --strip-components=1 --wildcards \
           'linux-source-*/tools/*' 'linux-source-*/scripts/bpf_doc.py' ||
    kern_die "cannot unpack tools/ from $in"
  echo "$dir"
}
