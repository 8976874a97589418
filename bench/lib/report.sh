# bench/lib/report.sh: writing results, the same way in every bench script.
# Provides: csv_blank (a CSV row whose figures are empty: unavailable,
# skipped, failed), AWK_MED (an awk median function to put in front of a
# report's awk program), report_show (print the tables file between blank
# lines, with a title and a "raw: ..." footer) and bench_plot (draw a
# gnuplot script over a CSV, when gnuplot is installed). Needs log()
# (bench/lib/common.sh).

# shellcheck shell=bash

# csv_blank PREFIX N STATUS [TAIL]: prints PREFIX, N empty fields, STATUS,
# then TAIL as given (e.g. ",,5" for more fields after the status).
csv_blank() {
  local empty=""
  [ "$2" -gt 0 ] && empty=$(printf ',%.0s' $(seq 1 "$2"))
  printf '%s%s,%s%s\n' "$1" "$empty" "$3" "${4:-}"
}

# med(list): the median of a space-separated list of numbers ("" if empty)
# shellcheck disable=SC2016,SC2034  # awk text, for the callers
AWK_MED='
    function med(list,   a, k, i, j, t) {
      k = split(list, a, " ")
      for (i = 2; i <= k; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      if (k == 0) return ""
      return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }'

# report_show MD FOOTER [TITLE]: a blank line, TITLE and a blank line (if
# given), the tables file MD, a blank line, FOOTER (on stdout).
report_show() {
  echo
  if [ -n "${3:-}" ]; then
    echo "$3"
    echo
  fi
  cat "$1"
  echo
  echo "$2"
}

# bench_plot SCRIPT CSV IMAGE: gnuplot -e "csv='CSV'; out='IMAGE'" SCRIPT,
# then "plot: IMAGE" on stdout, or the start of gnuplot's complaint in the
# log. Nothing when gnuplot or SCRIPT is missing.
bench_plot() {
  local gerr
  command -v gnuplot >/dev/null && [ -f "$1" ] || return 0
  if gerr=$(gnuplot -e "csv='$2'; out='$3'" "$1" 2>&1); then
    echo "plot: $3"
  else
    log "gnuplot failed: $(head -c 300 <<<"$gerr")"
  fi
}
