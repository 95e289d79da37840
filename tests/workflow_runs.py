"""The tiny configuration and the Snakemake runner that the workflow tests share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TINY = {
    "seeds": [0, 1],
    "timeseries": {
        "datasets": ["GunPoint"],
        "methods": ["baseline", "gaussian_noise", "out_sign_grad"],
        "feat_sim": [True],
        "odenet": {
            "epochs": 2,
            "batch_size": 256,
            "learning_rate": 0.0003,
            "weight_decay": 0.001,
            "method": "rk4",
            "training": "teacher_forcing",
            "rollout_window": None,
        },
        "epochs": 2,
        "attacks": {
            "fgsm": {"eps": 0.1},
            "bim": {"eps": 0.1, "step_size": 0.05, "steps": 3},
            "eps_curve": {"eps": [0.2], "n_test": 12},
        },
    },
    "defense": {
        "seeds": [1],
        "n_test": 12,
        "eps": 0.1,
        "eps_grid": [0.0, 0.2],
        "n_directions": 2,
        "n_directions_grid": [1, 2],
        "radius_grid": [1.0, 4.0],
        "max_clean_drop": 2.0,
        "defense_seed": 0,
        "attacks": {
            "fgsm": {},
            "pgd": {"steps": 3, "rel_stepsize": 0.5},
            "deepfool": {"steps": 5, "candidates": 2, "overshoot": 0.02},
            "cw": {"binary_search_steps": 1, "steps": 5, "stepsize": 0.01, "confidence": 0.0, "initial_const": 0.001},
        },
        "adaptive": {"n_test": 6, "steps": 2, "eot_samples": 1},
    },
    "robustness": {
        "seeds": [1],
        "models": "baseline",
        "n_test": 8,
        "subset_seed": 0,
        "eps_fractions": [0.0, 1.0],
        "zero_budget_points": 4,
        "timeseries": {"eps": {"linf": 0.1}},
        "audio": {"eps": {"l2": 1.0}},
        "apgd": {"steps": 3, "restarts": 1},
        "square": {"queries": 20},
        "batch_size": 8,
        "smoothing": {"sigmas": [0.5], "n0": 8, "n": 64, "alpha": 0.01, "n_test": 6, "radii": [0.0, 0.5]},
    },
    "audio": {
        "seeds": [0, 1],
        "synthetic": {"clips_per_class": 6, "duration": 0.5, "seed": 0},
        "pitch_scales": [0.9, 1.15],
        # One representation, the stacked one: it runs the DWT, the tonnetz and their stacking;
        # every audio job is per representation, so a second would double the run's audio half.
        "representations": ["dwt_tonnetz"],
        "models": ["resnet56"],
        "noise_training": {"sigma": 0.25, "models": ["resnet56"]},
        "image": {"height": 16, "width": 16, "tonnetz_height": 4, "storage": "float16"},  # the paper's storage
        "split": {"protocol": "random", "test_fraction": 0.3, "cv_folds": 2, "train_folds": 2, "test_fold": 1},
        "training": {
            "epochs": 2,
            "batch_size": 16,
            "learning_rate": 0.001,
            "weight_decay": 0.0001,
            "early_stopping_patience": 2,
        },
        # The attack jobs are the bulk of this run's job count: one attacked seed, tiny grids.
        "attacks": {
            "seeds": [0],
            "samples": 4,
            "batch_size": 4,
            "threshold": 0.75,
            "l2_bound": 1.0,
            "methods": {
                "bim_a": {"budget": "eps", "grid": [0.5, 2.0, 8.0], "params": {"max_steps": 10}},
                "bim_b": {"budget": "eps", "grid": [0.5, 2.0], "params": {"steps": 5}},
                "jsma": {"budget": "gamma", "grid": [0.05, 0.2]},
                "deepfool": {"budget": "steps", "grid": [2, 10], "params": {"norm": "l2", "candidates": 3}},
                "cw": {"budget": "steps", "grid": [5, 20], "params": {"targeted": True, "binary_search_steps": 2}},
                "nes": {
                    "budget": "epsilon",
                    "grid": [0.05, 0.2],
                    "params": {"n_samples": 5, "epsilon_decay": 0.05, "max_queries": 400},
                },
            },
        },
    },
}


def snakemake(repo: Path, workdir: Path, *args: str, config: dict | None = None, timeout: int = 600):
    """Run the repository's workflow in ``workdir`` under umask 022; return the completed process."""
    command = [SNAKEMAKE, "-s", str(repo / "Snakefile"), "--directory", str(workdir), *args]
    if config is not None:
        config_path = workdir / "test_config.yaml"
        config_path.write_text(yaml.safe_dump(config))
        command += ["--configfile", str(config_path)]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout, umask=0o022)
