#!/usr/bin/env bash
# capmin set-up on a fresh Debian machine (as root), then optionally the main job or the tests.
#   bash scripts/setup.sh           set up only
#   bash scripts/setup.sh run       set up, then `capmin run` on the built-in defaults
#   bash scripts/setup.sh test      set up, then the linter, the type check and the test suite (starts a one-node
#                                   Slurm cluster for the cluster tests and stops it afterwards)
#   bash scripts/setup.sh bench     set up (plus PyTorch for the evaluator baseline), then every benchmark
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-}

need_pkgs=()
command -v ngspice >/dev/null 2>&1 || need_pkgs+=(ngspice)
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || [ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte ] || need_pkgs+=(dataset-fashion-mnist)
[ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/cblas.h ] || need_pkgs+=(libopenblas-dev)
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
if [ "$action" = test ] || [ "$action" = bench ]; then
  # the cluster tests and the executor benchmark run a real one-node Slurm (scripts/slurm-cluster.sh)
  command -v slurmctld >/dev/null 2>&1 || need_pkgs+=(slurm-wlm)
  [ -x /usr/sbin/munged ] || need_pkgs+=(munge)
fi
if [ "$action" = bench ]; then
  /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need_pkgs+=(python3-torch)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "capmin setup: installing Debian packages: ${need_pkgs[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "capmin setup: need root to install ${need_pkgs[*]} (run: sudo apt-get update && sudo apt-get install -y ${need_pkgs[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
if [ -f binding.gyp ]; then
  # Native GEMM/popcount kernels; capmin falls back to plain TypeScript if this fails.
  nodedir_arg=""; [ -f /usr/include/node/common.gypi ] && nodedir_arg="--nodedir=/usr"
  npx --no-install node-gyp rebuild $nodedir_arg --loglevel=error >/tmp/capmin-node-gyp.log 2>&1 || echo "capmin setup: native addon build failed (see /tmp/capmin-node-gyp.log); using the TypeScript kernels" >&2
fi

case "$action" in
  run) shift; exec node dist/src/cli.js run "$@" ;;
  test)
    shift
    export CAPMIN_QUIET=1
    started_slurm=""
    if ! SLURM_CONF=/tmp/capmin-slurm/slurm.conf sinfo -h >/dev/null 2>&1; then
      CAPMIN_APT_UPDATED=1 bash scripts/slurm-cluster.sh start
      started_slurm=1
    fi
    export SLURM_CONF=/tmp/capmin-slurm/slurm.conf
    status=0
    # the type check covers src, bench and test; the linter runs Biome's recommended rules (biome.json says why some are off)
    npm run --silent typecheck || status=$?
    [ $status -ne 0 ] || npm run --silent lint || status=$?
    [ $status -ne 0 ] || npx --no-install vitest run "$@" || status=$?
    [ -z "$started_slurm" ] || bash scripts/slurm-cluster.sh stop
    exit $status
    ;;
  bench) shift; exec bash scripts/bench.sh "$@" ;;
  "") ;;
  *) echo "capmin setup: unknown action '$1'; allowed: run, test, bench" >&2; exit 2 ;;
esac
