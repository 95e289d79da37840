#!/usr/bin/env bash
# Every CUDA check and GPU measurement the docs wait for, in one run on a GPU machine whose
# python3 has torch, torchvision, numpy, scipy and pandas but not the attack libraries.
#
#   bash bench/gpu_checks.sh --fetch      # here, with a package index: their wheels into .whl/
#   bash bench/gpu_checks.sh [OUT]        # there, with .whl/ beside the clone: results into OUT
#
# What runs (each under its own time limit, so one that hangs leaves the others their time):
#   bench_gpu.py               images/s of each network's training, attack and forward pass per precision
#   paper_gpu_hours.py --rates the GPU-hours table from those measured rates
#   bench_noise_draws.py       the samplers' CUDA paths (certification, PIA, noise training, EOT-PGD)
#   bench_read_ahead.py        batches decoded on the GPU equal the host's; the host's reading rate
#   bench_activation_memory.py each network's passes at the batch that fits, measured against the counts
# The limits add up to 520 s, inside one call's 600 (not yet run on a GPU: the times are guesses).
# docs/gpu_hours.md says where each result goes.
set -uo pipefail
cd "$(dirname "$0")/.."

# Not in a GPU image's python: the attack libraries and what they need. The versions are
# pyproject.toml's and, for what foolbox brings (GitPython, gitdb, smmap), the ones make installs.
WHEELS=(foolbox==3.3.4 eagerpy==0.30.0 torchattacks==3.5.1 GitPython==3.2.1 gitdb==4.0.12 smmap==5.0.3)

if [[ "${1:-}" == "--fetch" ]]; then
    mkdir -p .whl
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
    exec python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux2014_x86_64 -d .whl "${WHEELS[@]}"
fi

out="${1:-${OUT:-gpu_checks_out}}"
out="$(mkdir -p "$out" && cd "$out" && pwd)"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD/src" GIT_PYTHON_REFRESH=quiet PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/device.txt" 2>&1
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" >>"$out/device.txt" 2>&1

status=0
check() { # name, seconds, command...
    local name=$1 seconds=$2
    shift 2
    echo "== $name"
    timeout "$seconds" "$@" >"$out/$name.txt" 2>&1 || { echo "   failed ($?), see $name.txt"; status=1; }
    tail -n 3 "$out/$name.txt"
}
cd bench
check gpu_rates 200 python3 bench_gpu.py --device cuda --size paper
cp out/gpu_cuda_paper.json "$out/" 2>/dev/null
check gpu_hours 30 python3 paper_gpu_hours.py --rates out/gpu_cuda_paper.json
check noise_draws 70 python3 bench_noise_draws.py --device cuda --seconds 1
check read_ahead 70 python3 bench_read_ahead.py --device cuda --images 100 --read-ahead 0 2
check activation_memory 150 python3 bench_activation_memory.py --device cuda --precision bf16
exit $status
