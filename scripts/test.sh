#!/usr/bin/env bash
# test.sh: sets up, builds and runs every test: the layout check (scripts/check-layout), the
# Release suite (CUDA tests skip without a GPU), then the same suite built with AddressSanitizer
# + UndefinedBehaviorSanitizer, then the lanes test (tests/test_lanes.cpp) built with
# ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="$(nproc)"
# ctest runs tests side by side; OpenMP threads that spin at barriers would then fight over the
# cores (a phased fleet-shared run slowed 30x before the CPU backend had its own thread team,
# common/thread_team.h; OpenMP still runs the evaluation's and the tools' loops). Passive
# waiting keeps the suite quick.
export OMP_WAIT_POLICY=PASSIVE

echo "== Layout: one include root, no include cycle between folders, no file over 700 lines"
/usr/bin/python3 scripts/check-layout

echo "== Release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DV2G_SANITIZE=ON -DV2G_CUDA=OFF -DV2G_TORCH=OFF -DV2G_BUILD_BENCH=OFF
cmake --build build-asan -j "$jobs"
# The slow end-to-end Python tests (label e2e) ran above; the C++ tests cover their code here.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE e2e

echo "== ThreadSanitizer build of the lanes test (the schedule shared by 1-64 host threads) and the thread team"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DV2G_SANITIZE_THREAD=ON -DV2G_CUDA=OFF -DV2G_TORCH=OFF \
  -DV2G_BUILD_BENCH=OFF -DV2G_PYTHON=OFF
cmake --build build-tsan -j "$jobs" --target test_lanes test_thread_team
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_lanes
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_thread_team
