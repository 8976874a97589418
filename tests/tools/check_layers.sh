#!/usr/bin/env bash
# The layering of user/ (Makefile: PARTS, PART_DEPS), checked on every
# #include: a file in user/<part>/ may include only headers of its own part
# or of the parts that part may use, so lib/ and proto/ never reach up into
# a server and no server includes another. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
declare -A allowed
while IFS=': ' read -r part deps; do
  allowed[$part]=" $part $deps "
done < <(make -s --no-print-directory layers | sed 's/: */ /')

bad=0; files=0
for dir in user/*/; do
  part=$(basename "$dir")
  [ "$part" = cmd ] && continue           # the mains tie parts together
  if [ -z "${allowed[$part]:-}" ]; then
    echo "not ok - user/$part/ is not a part in the Makefile's PARTS"; bad=$((bad + 1)); continue
  fi
  for f in "$dir"*.[ch]; do
    [ -e "$f" ] || continue
    files=$((files + 1))
    while IFS=: read -r line inc; do
      target=${inc%%/*}
      [ "$target" = "$inc" ] && continue  # same folder
      if [[ "${allowed[$part]}" != *" $target "* ]]; then
        echo "not ok - $f:$line includes \"$inc\": $part may use only${allowed[$part]}"
        bad=$((bad + 1))
      fi
    done < <(grep -noE '^#include "[^"]+"' "$f" | sed -E 's/#include "([^"]+)"/\1/')
  done
done
loose=$(find user -maxdepth 1 -name '*.c' | wc -l)
if [ "$loose" -gt 0 ]; then
  echo "not ok - $loose .c files directly in user/: each belongs in a part's folder"; bad=$((bad + 1))
fi
[ "$bad" = 0 ] && echo "ok - $files files in user/: every #include points down the layers"
[ "$bad" = 0 ]
