"""The data of the paper config's rehearsal: ``config/paper.yaml`` run end to end at small size
(``make rehearsal``; config/rehearsal.yaml shrinks its sizes, nothing else).

The rehearsal reads what the paper run reads, through the same loaders, from local folders:

- UCR: Chinatown from the archive beside the project (``../shared/data/ucr``, read as a local
  archive is) where it is present; else ItalyPowerDemand, which aeon ships. Both are short
  series with few training ones: post-averaging's radius choice reads every training series
  and Table I's attacks every test series, at bf16 emulated on a CPU.
- ESC-50: the real ESC-10 clips beside the project (``../shared/data/esc50-mini``, in ESC-50's
  layout) where present; else the synthetic sound set written in ESC-50's layout.
- UrbanSound8K: the synthetic sound set written in UrbanSound8K's layout (ten fold folders,
  its metadata columns).
- Pretrained weights: each torchvision network's own initial state dict written to a file,
  so the fine-tuning path (load, hash in the provenance, summed first kernel) runs as with
  ImageNet's weights.

``prepare_rehearsal_data`` writes these under one folder and returns the config overlay that
points the paper config at them (data keys only: ``DATA_KEYS``); ``python -m
signal_robustness.rehearsal FOLDER`` writes it as FOLDER/data.yaml.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import yaml

from signal_robustness.io import atomic_path

# The keys the data overlay may set: where the data lie, never a setting of the papers.
DATA_KEYS = ("ucr_archive_dir", "timeseries.datasets", "audio.local_dirs", "audio.pretrained_weights")

# Beside the clone, as the tests find it (a user's clone has none).
SHARED_DATA = Path("..") / "shared" / "data"
# 20 training and 345 test series of length 24; 67 and 1,029 of length 24 (published by Fawaz et al.).
LOCAL_UCR_SET = "Chinatown"
BUNDLED_UCR_SET = "ItalyPowerDemand"
# Clips per class of the synthetic sets, and their length: UrbanSound8K's 4 s, ESC-50's 5 s.
SYNTHETIC_CLIPS_PER_CLASS = 6
SYNTHETIC_SAMPLE_RATE = 22050
PRETRAINED_MODELS = ("googlenet", "alexnet", "resnet18", "resnet34", "vgg16")


# The keys config/rehearsal.yaml may set: sizes (epochs, samples, steps, queries, test points,
# folds, image size, seeds), never a switch. ``*`` stands for any one key (an attack's name).
REHEARSAL_SIZE_KEYS = (
    "seeds",
    "timeseries.epochs",
    "timeseries.odenet.epochs",
    "timeseries.attacks.eps_curve.n_test",
    "defense.seeds",
    "defense.n_test",
    "defense.n_directions",
    "defense.n_directions_grid",
    "defense.attacks.pgd.steps",
    "defense.attacks.deepfool.steps",
    "defense.attacks.cw.binary_search_steps",
    "defense.attacks.cw.steps",
    "defense.adaptive.n_test",
    "defense.adaptive.steps",
    "defense.adaptive.eot_samples",
    "defense.audio.n_test",
    "audio.image.height",
    "audio.image.width",
    "audio.image.tonnetz_height",
    "audio.training.epochs",
    "audio.training.batch_norm_images",
    "audio.split.cv_folds",
    "audio.split.train_folds",
    "audio.attacks.samples",
    "audio.attacks.batch_size",
    "audio.attacks.methods.*.params.max_steps",
    "audio.attacks.methods.*.params.steps",
    "audio.attacks.methods.*.params.max_iterations",
    "audio.attacks.methods.*.params.binary_search_steps",
    "audio.attacks.methods.*.params.n_samples",
    "audio.attacks.methods.*.params.max_queries",
    "audio.attacks.methods.deepfool.grid",
    "audio.attacks.methods.cw.grid",
    "robustness.seeds",
    "robustness.n_test",
    "robustness.zero_budget_points",
    "robustness.apgd.steps",
    "robustness.square.queries",
    "robustness.batch_size",
    "robustness.smoothing.n0",
    "robustness.smoothing.n",
    "robustness.smoothing.n_test",
)


def _value_at(config: dict, dotted: str):
    for part in dotted.split("."):
        config = config[part]
    return config


def size_overlay_problems(overlay: dict, paper: dict, allowed: tuple[str, ...] = REHEARSAL_SIZE_KEYS) -> list[str]:
    """What makes ``overlay`` more than a shrinking of ``paper`` (the paper config, defaults merged):
    a key outside ``allowed``, a number above the paper's, a list longer than the paper's, or seeds
    (and step grids) not drawn from the paper's, or fewer than two top-level seeds."""
    import fnmatch

    problems = []
    for key in overlay_keys(overlay):
        if not any(fnmatch.fnmatchcase(key, pattern) and key.count(".") == pattern.count(".") for pattern in allowed):
            problems.append(f"{key}: not a size key (rehearsal.REHEARSAL_SIZE_KEYS)")
            continue
        value, theirs = _value_at(overlay, key), _value_at(paper, key)
        if isinstance(value, list):
            if not value or len(value) > len(theirs) or (key.endswith("seeds") and not set(value) <= set(theirs)):
                problems.append(f"{key}: {value} is not a shorter list than the paper's {theirs}")
            elif key.endswith("grid") and max(value) > max(theirs, default=max(value)):
                problems.append(f"{key}: {value} reaches beyond the paper's {theirs}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{key}: {value!r} is not a number")
        elif theirs is not None and value > theirs:
            problems.append(f"{key}: {value} is larger than the paper's {theirs}")
    if len(_value_at(overlay, "seeds") if "seeds" in overlay else paper["seeds"]) < 2:
        problems.append("seeds: keep at least two, so the tables' spread over seeds is computed")
    return problems


def _write_sound_set(folder: Path, layout: str, duration: float, seed: int) -> None:
    from signal_robustness.data.synthetic_audio import write_synthetic_sound_set

    if not (folder / ("meta/esc50.csv" if layout == "esc50" else "metadata/UrbanSound8K.csv")).is_file():
        write_synthetic_sound_set(
            folder, SYNTHETIC_CLIPS_PER_CLASS, SYNTHETIC_SAMPLE_RATE, duration, seed=seed, layout=layout
        )


def _write_initial_weights(path: Path, model: str) -> None:
    """torchvision's ``model`` at its own seeded initialisation, saved as a state dict."""
    import torch

    from signal_robustness.models.torchvision_compat import import_torchvision_models
    from signal_robustness.models.vision import _SPECS

    if path.is_file():
        return
    torch.manual_seed(0)
    spec = _SPECS[model]
    network = getattr(import_torchvision_models(), spec.constructor)(weights=None, **dict(spec.options))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(network.state_dict(), handle)


def prepare_rehearsal_data(
    folder: str | os.PathLike,
    shared_data: str | os.PathLike | None = SHARED_DATA,
    models: tuple[str, ...] = PRETRAINED_MODELS,
) -> dict:
    """Write the rehearsal's data under ``folder`` and return the overlay that points at it
    (stand-in pretrained weights for ``models``)."""
    folder = Path(folder).resolve()
    shared = Path(shared_data).resolve() if shared_data is not None else None
    ucr = shared / "ucr" / "UCRArchive_2018" if shared else None
    esc50 = shared / "esc50-mini" if shared else None
    overlay: dict = {"timeseries": {}, "audio": {"local_dirs": {}, "pretrained_weights": {}}}
    if ucr is not None and (ucr / LOCAL_UCR_SET / f"{LOCAL_UCR_SET}_TRAIN.tsv").is_file():
        overlay["ucr_archive_dir"] = str(ucr)
        overlay["timeseries"]["datasets"] = [LOCAL_UCR_SET]
    else:
        overlay["ucr_archive_dir"] = None  # aeon's bundled copy
        overlay["timeseries"]["datasets"] = [BUNDLED_UCR_SET]
    if esc50 is None or not (esc50 / "meta" / "esc50.csv").is_file():
        esc50 = folder / "esc50"
        _write_sound_set(esc50, "esc50", duration=5.0, seed=0)
    urbansound8k = folder / "urbansound8k"
    _write_sound_set(urbansound8k, "urbansound8k", duration=4.0, seed=1)
    overlay["audio"]["local_dirs"] = {"esc50": str(esc50), "urbansound8k": str(urbansound8k)}
    for model in models:
        path = folder / "pretrained" / f"{model}.pt"
        _write_initial_weights(path, model)
        overlay["audio"]["pretrained_weights"][model] = str(path)
    return overlay


def overlay_keys(overlay: dict, prefix: str = "") -> list[str]:
    """The dotted keys an overlay sets, down to its leaves (a list is a leaf)."""
    keys = []
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            keys.extend(overlay_keys(value, f"{dotted}."))
        else:
            keys.append(dotted)
    return keys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="where the data go; FOLDER/data.yaml is the config overlay")
    parser.add_argument("--shared-data", default=SHARED_DATA, help="the shared data folder, if any")
    args = parser.parse_args(argv)
    overlay = prepare_rehearsal_data(args.folder, args.shared_data)
    with atomic_path(Path(args.folder) / "data.yaml") as tmp:
        Path(tmp).write_text(
            "# Written by python -m signal_robustness.rehearsal: where the rehearsal's data lie.\n"
            + yaml.safe_dump(overlay, sort_keys=False)
        )
    print(
        f"rehearsal data in {args.folder}: UCR {overlay['timeseries']['datasets']}, audio {overlay['audio']['local_dirs']}"
    )


if __name__ == "__main__":
    main()
