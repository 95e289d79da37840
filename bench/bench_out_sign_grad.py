"""sarkar2020's TwoLeadECG row at the paper's 1500 epochs under both readings of Out-Sign-Grad.

Out-Sign-Grad (eq. 9) takes its direction from dg(z)/dz without saying which network's
(`timeseries.augment.out_sign_grad_model`). This runs the workflow with config/paper.yaml
on TwoLeadECG from a local UCR archive, in three folders under --out:

- baseline/: the baseline and Out-Sign-Grad read with the fixed baseline network,
  with and without Feat-Sim, seeds 0-2;
- online/:   a copy of baseline/ rerun with the online reading (the baselines are reused);
- others/:   a copy of baseline/ rerun with the other augmentations, seed 0, without Feat-Sim;

then prints one Markdown table (mean ± std over seeds, clean / FGSM / BIM %) beside seed
000's published numbers. CPU: about 6 minutes per baseline and 10-20 per augmented model.

    .venv/bin/python bench/bench_out_sign_grad.py --archive ../shared/data/ucr/UCRArchive_2018 [--table-only]

--stages and --seeds run a part (for example `--stages online --seeds 0`); a stage folder
starts from a copy of baseline/ where one exists, so finished baselines are reused.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SUMMARY = "results/timeseries/summary.csv"
STAGES = {
    "baseline": {"seeds": [0, 1, 2], "timeseries": {"methods": ["baseline", "out_sign_grad"]}},
    "online": {
        "seeds": [0, 1, 2],
        "timeseries": {"methods": ["baseline", "out_sign_grad"], "augment": {"out_sign_grad_model": "online"}},
    },
    "others": {
        "seeds": [0],
        # Without Feat-Sim only: four augmented models at 10-20 CPU minutes each already.
        "timeseries": {
            "methods": ["baseline", "in_clamp_grad", "in_sign_grad", "rand_grad", "spec_den"],
            "feat_sim": [False],
        },
    },
}
# sarkar2020's TwoLeadECG numbers (config/published/sarkar2020_augmentation.csv), by (method, Feat-Sim).
PUBLISHED_KEYS = {
    "baseline": ("table1", "baseline"),
    "in_clamp_grad": ("table3", "in_clamp_grad"),
    "in_sign_grad": ("table3", "in_sign_grad"),
    "out_sign_grad": ("table3", "out_sign_grad"),
    "rand_grad": ("table3", "rand_grad"),
    "spec_den": ("table1", "spec_den"),
}


def run_stage(name: str, out: Path, archive: Path, cores: int, seeds: list[int] | None) -> None:
    folder = out / name
    if name != "baseline" and not folder.exists() and (out / "baseline").exists():
        shutil.copytree(out / "baseline", folder, symlinks=True)
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "missing_data": "stop",
        "ucr_archive_dir": str(archive.resolve()),
        "timeseries": {"datasets": ["TwoLeadECG"], "feat_sim": [False, True]},
        "defense": {"seeds": [0]},
        # Only the time-series branch runs; the audio keys are narrowed so no ImageNet weights are asked for.
        "audio": {"datasets": ["synthetic"], "models": ["resnet56"], "seeds": [0], "attacks": {"seeds": [0]}},
    }
    stage = STAGES[name]
    config["seeds"] = seeds if seeds is not None else stage["seeds"]
    # The other branches' seeds must lie within the run's; they do not run here.
    first = [config["seeds"][0]]
    config["defense"]["seeds"] = config["audio"]["seeds"] = config["audio"]["attacks"]["seeds"] = first
    if "robustness" in yaml.safe_load((REPO / "config" / "config.yaml").read_text()):
        config["robustness"] = {"seeds": first, "smoothing": None}
    config["timeseries"].update(stage["timeseries"])
    (folder / "stage.yaml").write_text(yaml.safe_dump(config))
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    command = [
        snakemake,
        "-s",
        str(REPO / "workflow" / "Snakefile"),
        "--directory",
        str(folder),
        "--cores",
        str(cores),
        SUMMARY,
        "--configfile",
        str(REPO / "config" / "paper.yaml"),
        str(folder / "stage.yaml"),
    ]
    subprocess.run(command, check=True)


def table(out: Path) -> str:
    published = pd.read_csv(REPO / "config" / "published" / "sarkar2020_augmentation.csv")
    published = published[published["dataset"] == "TwoLeadECG"]
    rows = []
    for name in STAGES:
        path = out / name / SUMMARY
        if not path.is_file():
            continue
        summary = pd.read_csv(path)
        for (method, feat_sim), runs in summary.groupby(["method", "feat_sim"]):
            if name != "baseline" and method == "baseline":
                continue  # the same models as in baseline/
            reading = (
                {"baseline": "fixed baseline", "online": "online"}.get(name, "") if method == "out_sign_grad" else ""
            )
            table_name, key = PUBLISHED_KEYS[method]
            table_name = "table2" if feat_sim and method != "baseline" else table_name
            paper = published[
                (published["table"] == table_name)
                & (published["method"] == key)
                & (published["feat_sim"].astype(str).str.lower() == str(bool(feat_sim)).lower())
            ]
            cells = []
            for metric in ("clean", "fgsm", "bim"):
                values = runs[f"{metric}_acc"]
                ours = f"{values.mean():.1f} ± {values.std():.1f}" if len(values) > 1 else f"{values.mean():.1f}"
                reference = paper[paper["metric"] == metric]["value"]
                cells.append(f"{ours} ({reference.iloc[0]:.2f})" if len(reference) else f"{ours} (–)")
            label = method + (" + Feat-Sim" if feat_sim else "") + (f", {reading}" if reading else "")
            rows.append(f"| {label} | {len(runs)} | " + " | ".join(cells) + " |")
    header = [
        "| model | seeds | clean % (paper) | FGSM % (paper) | BIM % (paper) |",
        "| --- | ---: | --- | --- | --- |",
    ]
    return "\n".join(header + rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=REPO.parent / "shared" / "data" / "ucr" / "UCRArchive_2018")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "out_sign_grad")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--stages", nargs="+", choices=list(STAGES), default=list(STAGES))
    parser.add_argument("--seeds", nargs="+", type=int, help="override each stage's seeds")
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args()
    if not args.table_only:
        for name in args.stages:
            run_stage(name, args.out, args.archive, args.cores, args.seeds)
    print(table(args.out))


if __name__ == "__main__":
    main()
