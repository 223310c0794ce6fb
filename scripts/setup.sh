#!/usr/bin/env bash
# capmin set-up on a fresh Debian machine (as root), then optionally the main job or the tests.
#   bash scripts/setup.sh           set up only
#   bash scripts/setup.sh run       set up, then `capmin run` on the built-in defaults
#   bash scripts/setup.sh test      set up, then the test suite
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v ngspice >/dev/null 2>&1 || need_pkgs+=(ngspice)
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || [ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte ] || need_pkgs+=(dataset-fashion-mnist)
[ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/cblas.h ] || need_pkgs+=(libopenblas-dev)
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
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

case "${1:-}" in
  run) shift; exec node dist/src/cli.js run "$@" ;;
  test) shift; export CAPMIN_QUIET=1; exec npx --no-install vitest run "$@" ;;
  "") ;;
  *) echo "capmin setup: unknown action '$1'; allowed: run, test" >&2; exit 2 ;;
esac
