# Quick start: `make run` (set-up + default workflow) and `make test` (set-up + tests).
PYTHON ?= python3.11
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
CORES ?= all
TORCH := torch==2.13.0
# Where pip looks for torch first: its default index gives the CUDA build on Linux; a CPU-only
# machine saves gigabytes with TORCH_INDEX=https://download.pytorch.org/whl/cpu (README, Set-up).
TORCH_INDEX ?=

# Rules run their scripts with the interpreter found first on PATH.
export PATH := $(BIN):$(PATH)
export GIT_PYTHON_REFRESH := quiet

.PHONY: setup run report test lint format bench clean lock rehearsal rehearsal-data rehearsal-slurm rehearsal-check

setup: $(STAMP)

# torch first (the machine's build: see TORCH_INDEX), then every other package at the version
# and hash requirements.lock gives, then the package itself; pip check verifies the whole, and
# the last line fails if anything replaced torch.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	$(BIN)/python -c "import torch, sys; v = torch.__version__.split('+')[0]; sys.exit(0 if v == '2.13.0' else f'torch {v} replaced 2.13.0')"
	touch $(STAMP)

# Rewrite requirements.lock from pyproject.toml (pip's resolution today, with hashes).
lock: setup
	$(BIN)/python .ci/make_lock.py

run: setup
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --report results/report.html

# The paper config at small size (config/rehearsal.yaml shrinks its sizes only) on local data:
# every table, figure and the report under results/.
REHEARSAL_DATA := resources/rehearsal
REHEARSAL := --configfile config/paper.yaml config/rehearsal.yaml $(REHEARSAL_DATA)/data.yaml
# More config files, merged last, e.g. REHEARSAL_ARGS=.ci/rehearsal_slice.yaml
REHEARSAL_ARGS ?=
# The rehearsal through SLURM stops here at the latest: the plugin ignores SIGTERM while it
# waits on jobs, so the bound is a SIGKILL after a grace period.
SLURM_TIMEOUT ?= 60m

rehearsal-data: setup
	$(BIN)/python -m signal_robustness.rehearsal $(REHEARSAL_DATA)

rehearsal: rehearsal-data
	$(BIN)/snakemake --cores $(CORES) $(REHEARSAL) $(REHEARSAL_ARGS)
	$(BIN)/snakemake --report results/report.html $(REHEARSAL) $(REHEARSAL_ARGS)

# Through a SLURM cluster (.ci/slurm_cluster.sh starts one here): profiles/slurm as a user
# runs it, with squeue for the job states where the cluster keeps no accounting database.
rehearsal-slurm: rehearsal-data
	timeout --kill-after=30s $(SLURM_TIMEOUT) $(BIN)/snakemake --profile profiles/slurm \
		--slurm-status-command squeue --slurm-init-seconds-before-status-checks 5 \
		--seconds-between-status-checks 5 $(REHEARSAL) $(REHEARSAL_ARGS)
	$(BIN)/snakemake --report results/report.html $(REHEARSAL) $(REHEARSAL_ARGS)

# Done: every target of the rehearsal is there and up to date, and the report written.
rehearsal-check: setup
	$(BIN)/snakemake -n $(REHEARSAL) $(REHEARSAL_ARGS) | tee .rehearsal-check.log | tail -3
	grep -q "Nothing to be done" .rehearsal-check.log && rm .rehearsal-check.log
	test -s results/report.html
	@echo "rehearsal complete: $$(find results -path '*tables/*.md' | wc -l) tables, $$(find results -name '*.png' | wc -l) figures"

report: setup
	$(BIN)/snakemake --report results/report.html

# Style first (seconds), then one worker per core; a test file stays on one worker, so the
# end-to-end run's fixture runs once, and files go out in collection order, longest first
# (tests/conftest.py), so the other worker runs the rest beside the end-to-end run.
test: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check workflow/Snakefile workflow/rules
	$(BIN)/python -m pytest -ra -n auto --dist loadfile --no-loadscope-reorder

lint: setup
	$(BIN)/snakemake --lint

# Rewrite the files in the style `make test` checks.
format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/snakefmt workflow/Snakefile workflow/rules

bench: setup
	$(BIN)/python bench/bench_timeseries.py
	$(BIN)/python bench/bench_post_averaging.py
	$(BIN)/python bench/bench_augment.py $(if $(wildcard benchmarks),--benchmarks benchmarks)
	$(BIN)/python bench/bench_odenet.py
	$(BIN)/python bench/bench_audio.py
	$(BIN)/python bench/bench_attacks.py
	$(BIN)/python bench/bench_concurrent_training.py

clean:
	rm -rf results logs benchmarks .snakemake $(REHEARSAL_DATA)
