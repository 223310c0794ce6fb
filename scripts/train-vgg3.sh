#!/usr/bin/env bash
# Trains the shipped checkpoint models/vgg3-fashion.safetensors: the exact, reproducible command.
# Resume-safe: re-running it continues from the last finished epoch (state in runs/train-vgg3/).
# After every epoch that improves the test accuracy, models/vgg3-fashion.safetensors is rewritten (atomically)
# with int8 ±1 weights, float32 BatchNorm/scale and metadata (command, seed, epochs, engine test accuracy).
#   nohup bash scripts/train-vgg3.sh > runs/train-vgg3/train.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs/train-vgg3

# The OpenBLAS GEMM addon (the WebAssembly/TypeScript fallbacks work but are 3-15x slower per epoch).
if [ -f binding.gyp ] && [ ! -f build/Release/capmin_native.node ]; then
  nodedir=()
  # offline machines: build against the installed Node headers instead of downloading them
  [ -f /usr/include/node/common.gypi ] && nodedir=(--nodedir=/usr)
  npx --no-install node-gyp rebuild "${nodedir[@]}" --loglevel=error >runs/train-vgg3/node-gyp.log 2>&1 \
    || echo "train-vgg3: native addon build failed (runs/train-vgg3/node-gyp.log); training with the WebAssembly/TypeScript GEMM" >&2
fi

# A crash is retried from the last finished epoch, at most 3 times; user errors (exit 2) and kills
# (SIGINT/SIGTERM/SIGKILL: 130/143/137) stop the script.
for attempt in 1 2 3 4; do
  rc=0
  npx --no-install tsx src/cli.ts train --arch vgg3 --dataset fashion --epochs 30 --batch 256 --lr 1e-3 --seed 1 \
    --out runs/train-vgg3 --checkpoint models/vgg3-fashion.safetensors --resume || rc=$?
  case "$rc" in 0|2|130|137|143) exit "$rc" ;; esac
  [ "$attempt" -eq 4 ] && exit "$rc"
  echo "train-vgg3: trainer exited with $rc; resuming from the last finished epoch (attempt $((attempt + 1)) of 4)" >&2
  sleep 30
done
