#!/usr/bin/env bash
# build.sh: configures and builds v2g in build/ (Release; CUDA when nvcc is found).
# Extra arguments go to CMake, e.g. scripts/build.sh -DV2G_CUDA=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$(nproc)"
