#!/usr/bin/env bash
# Every benchmark under bench/, one after the other (run on a quiet machine: nothing else loading the cores).
#   bash scripts/bench.sh            all of them
#   bash scripts/bench.sh NAME...    only bench/NAME.ts (e.g. engine montecarlo slurm)
set -euo pipefail
cd "$(dirname "$0")/.."
export CAPMIN_QUIET=1
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(runner rawfile montecarlo engine gemm slurm)
started_slurm=""
for n in "${names[@]}"; do
  [ -f "bench/$n.ts" ] || { echo "bench: no bench/$n.ts" >&2; exit 2; }
  if [ "$n" = slurm ] && ! SLURM_CONF=/tmp/capmin-slurm/slurm.conf sinfo -h >/dev/null 2>&1; then
    bash scripts/slurm-cluster.sh start; started_slurm=1
  fi
  echo "== bench/$n.ts (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  SLURM_CONF=/tmp/capmin-slurm/slurm.conf npx --no-install tsx "bench/$n.ts"
done
[ -z "$started_slurm" ] || bash scripts/slurm-cluster.sh stop
