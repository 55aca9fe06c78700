#!/usr/bin/env bash
# setup.sh: installs every Debian package v2g needs to build, test and benchmark.
# Idempotent: installs only what is missing, runs `apt-get update` at most once, never asks.
# CUDA (nvcc) is not a Debian package here: the build uses /usr/local/cuda when present.
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config            # toolchain
  libgtest-dev libgmock-dev            # tests
  libbenchmark-dev                     # bench/
  libcli11-dev                         # command line
  libtomlplusplus-dev                  # config files
  nlohmann-json3-dev                   # JSON output (--summary, bench --json)
  libssl-dev                           # ledger: OpenSSL SHA-256 (SHA-NI) on the CPU
  libhdf5-dev hdf5-tools               # results files (C API 1.10), h5dump/h5clear
  zlib1g-dev                           # the final Q-tables deflated on several threads
  coinor-libclp-dev                    # the LP oracle of `v2g eval` (COIN-OR Clp)
  pybind11-dev                         # the _v2g Python module
  python3-numpy python3-h5py python3-pandas python3-matplotlib   # the v2g Python package
  python3-xarray                       # Run.evaluation_dataset(): the evaluation as a labelled xarray Dataset
  python3-jinja2                       # the HTML pages (report, compare, sweep-report): python/v2g/templates/
  python3-cryptography   # tests: the ledger's Ed25519 signatures checked independently
  python3 python3-pytest               # ledger: the Python hashlib cross-check (tests/)
  chromium                             # the HTML report's rendering test (headless)
  libtorch-dev                         # the DQN learner (LibTorch 1.13, CPU)
  python3-torch                        # experiments/ppo.py, an outside agent on v2g.VectorEnv (PyTorch, CPU)
  slurmctld slurmd slurm-client        # tests/test_sweep_slurm.py: a real one-node Slurm cluster runs a sweep
                                       # as a job array (the test starts and stops its own daemons)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
