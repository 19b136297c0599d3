#!/usr/bin/env bash
# hoare's checking benchmark: per model and thread count, prints states,
# transitions, seconds, states/s, peak memory (RSS) and bytes/state.
#   bench/bench.sh [MODEL...]       MODEL = butler:N | phil:N | pipe_ok:J:W | pipe_bug:J:W
# Default: butler:8 butler:9 phil:8. Uses target/release/hoare (built if missing).
# Needs GNU time (/usr/bin/time) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
hoare=${HOARE:-target/release/hoare}
[ -x "$hoare" ] || cargo build --release --quiet
jobs_list=${JOBS_LIST:-"1 2"}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(butler:8 butler:9 phil:8)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
printf '%-16s %4s %12s %13s %8s %12s %9s %11s\n' model jobs states transitions seconds states/s peak_MiB bytes/state
for m in "${models[@]}"; do
  IFS=: read -r kind a b <<<"$m"
  case $kind in
    butler|phil) sed "s/^N = .*/N = $a/" bench/models/phils.csp > "$work/m.csp"
      [ "$kind" = butler ] && proc=BSYSTEM || proc=SYSTEM ;;
    pipe_ok|pipe_bug) sed "s/^J = .*/J = $a/; s/^W = .*/W = $b/" bench/models/pipeline.csp > "$work/m.csp"
      [ "$kind" = pipe_ok ] && proc=SYSTEM || proc=BUGGY ;;
    *) echo "unknown model $m" >&2; exit 2 ;;
  esac
  for j in $jobs_list; do
    /usr/bin/time -f '%e %M' -o "$work/time" "$hoare" check --format json --jobs "$j" --deadlock "$proc" "$work/m.csp" > "$work/out" || true
    read -r secs kib < <(tail -n 1 "$work/time")
    python3 - "$m" "$j" "$secs" "$kib" "$work/out" <<'PY'
import json, sys
m, j, secs, kib, path = sys.argv[1:]
a = json.load(open(path))["assertions"][0]
s, t, sec = a["states"], a["transitions"], float(a["seconds"])
print(f"{m:<16} {j:>4} {s:>12,} {t:>13,} {sec:>8.2f} {s/max(sec,1e-9):>12,.0f} {int(kib)/1024:>9.0f} {int(kib)*1024/s:>11.1f}")
PY
  done
done
