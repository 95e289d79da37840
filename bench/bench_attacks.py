"""Audio attack costs on the default run's models, and our BIM / JSMA beside reference implementations.

Needs the trained audio models of a default run (`make run`, or
`snakemake --cores 2 results/audio/summary.csv`). Prints and writes bench/out/attacks_<device>.json:

- seconds per clip of each configured attack (config/config.yaml, `audio.attacks`) at
  the first and the last budget of its grid, with the fooling rate there, on every
  original model of the first seed (the selected fold);
- on the first of those models, in one run on the same clips and targets:
  - BIM, L2, targeted, the last eps of the grid: our BIM-a (per-clip early stop), foolbox's
    L2 BIM (our BIM-b) and the adversarial-robustness-toolbox's PGD with norm 2 and no random start;
  - JSMA, the last gamma of the grid, theta 1: ours and ART's SaliencyMapMethod;
  with time per clip, the share of targets reached and the mean L2 / L0 of the successes.

Usage: python bench/bench_attacks.py [--threads 2] [--results results] [--samples 16]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

from signal_robustness.attacks import run_attack
from signal_robustness.attacks.targets import seeded_targets
from signal_robustness.device import select_device
from signal_robustness.evaluate.accuracies import predict
from signal_robustness.evaluate.budget_search import BudgetGrid, attack_samples, perturbation_norms
from signal_robustness.io import load_json, load_npy, load_state_dict
from signal_robustness.models import build_model
from signal_robustness.train.audio import IMAGE_BOUNDS, held_out_test_arrays

REPO = Path(__file__).resolve().parents[1]


def trained_models(results: Path, config: dict) -> list[dict]:
    """The default run's original models of the first seed: their test clips and selected weights."""
    audio, seed = config["audio"], config["seeds"][0]
    runs = []
    for dataset in audio["datasets"]:
        table = pd.read_csv(results / "audio" / dataset / "clips.csv")
        split = pd.read_csv(results / "audio" / dataset / "splits" / f"seed{seed}.csv")
        features = {path.stem: load_npy(path) for path in (results / "audio" / dataset / "features").glob("*.npy")}
        for representation in audio["representations"]:
            for name in audio["models"]:
                run = results / "audio" / dataset / representation / name / "original" / f"seed{seed}"
                fold = load_json(run / "metrics.json")["selected_fold"]
                model = load_state_dict(
                    run / f"fold{fold}" / "model.pt", build_model(name, 1, int(table["label"].nunique()))
                )
                x, y = held_out_test_arrays(features, representation, table, split)
                runs.append({"label": f"{dataset}/{representation}/{name}", "model": model.eval(), "x": x, "y": y})
    return runs


def timed(function) -> tuple[object, float]:
    started = time.perf_counter()
    out = function()
    return out, time.perf_counter() - started


def outcome(model, x, y, targets, adversarial, seconds, device) -> dict:
    predicted = predict(model, adversarial, device)
    success = (predicted == targets) if targets is not None else (predicted != y)
    norms = perturbation_norms(x, adversarial)
    mask = success.numpy()
    return {
        "seconds_per_clip": seconds / len(x),
        "fooling_rate": float(success.float().mean()),
        "l2_mean": float(norms["l2"][mask].mean()) if mask.any() else None,
        "l0_mean": float(norms["l0"][mask].mean()) if mask.any() else None,
    }


def attack_costs(run: dict, searches: dict[str, BudgetGrid], samples: int, device, batch_size: int) -> dict:
    model = run["model"]
    positions = attack_samples(model, run["x"], run["y"], samples, 0, device)
    x, y = run["x"][positions], run["y"][positions]
    targets = seeded_targets(model, x, y, 0)
    costs = {}
    for name, search in searches.items():
        for budget in sorted({search.grid[0], search.grid[-1]}):
            attack = search.build(budget, 0, IMAGE_BOUNDS)
            aims = targets if attack.targeted else None
            out, seconds = timed(lambda: run_attack(attack, model, x, y, batch_size, device, targets=aims))
            costs[f"{name}@{search.budget}={budget:g}"] = outcome(model, x, y, aims, out.adversarial, seconds, device)
            print(f"  {name:9s} {search.budget}={budget:<8g} {costs[f'{name}@{search.budget}={budget:g}']}")
    return {"clips": len(positions), "costs": costs, "x": x, "y": y, "targets": targets}


def reference_comparison(run: dict, inputs: dict, searches: dict[str, BudgetGrid], device) -> dict:
    """Our BIM-a / BIM-b / JSMA against ART on the same clips and targets."""
    from art.attacks.evasion import ProjectedGradientDescent, SaliencyMapMethod
    from art.estimators.classification import PyTorchClassifier

    model, x, y, targets = run["model"].to(device), inputs["x"], inputs["y"], inputs["targets"]
    n_classes = int(model(x[:1].to(device)).shape[1])
    classifier = PyTorchClassifier(
        model=model,
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=tuple(x.shape[1:]),
        nb_classes=n_classes,
        clip_values=IMAGE_BOUNDS,
        device_type="gpu" if device.type == "cuda" else "cpu",
    )
    comparison = {}
    bim = searches["bim_a"]
    eps, steps, rel = bim.grid[-1], int(bim.params.get("max_steps", 20)), float(bim.params.get("rel_step_size", 0.2))
    for label, search in (
        ("ours bim_a (early stop)", BudgetGrid("bim_a", "eps", (eps,), {"max_steps": steps, "rel_step_size": rel})),
        ("foolbox L2 BIM (ours bim_b)", BudgetGrid("bim_b", "eps", (eps,), {"steps": steps, "rel_step_size": rel})),
    ):
        attack = search.build(eps, 0, IMAGE_BOUNDS)
        out, seconds = timed(lambda: run_attack(attack, model, x, y, len(x), device, targets=targets))
        comparison[label] = outcome(model, x, y, targets, out.adversarial, seconds, device)
    art_bim = ProjectedGradientDescent(
        classifier,
        norm=2,
        eps=eps,
        eps_step=rel * eps,
        max_iter=steps,
        targeted=True,
        num_random_init=0,
        batch_size=len(x),
        verbose=False,
    )
    adversarial, seconds = timed(lambda: torch.from_numpy(art_bim.generate(x.numpy(), y=targets.numpy())))
    comparison["ART PGD L2 (no random start)"] = outcome(model, x, y, targets, adversarial, seconds, device)
    jsma = searches["jsma"]
    gamma, theta = jsma.grid[-1], float(jsma.params.get("theta", 1.0))
    attack = jsma.build(gamma, 0, IMAGE_BOUNDS)
    out, seconds = timed(lambda: run_attack(attack, model, x, y, len(x), device, targets=targets))
    comparison[f"ours jsma (gamma {gamma:g})"] = outcome(model, x, y, targets, out.adversarial, seconds, device)
    art_jsma = SaliencyMapMethod(classifier, theta=theta, gamma=gamma, batch_size=len(x), verbose=False)
    adversarial, seconds = timed(lambda: torch.from_numpy(art_jsma.generate(x.numpy(), y=targets.numpy())))
    comparison[f"ART SaliencyMapMethod (gamma {gamma:g})"] = outcome(model, x, y, targets, adversarial, seconds, device)
    for label, values in comparison.items():
        print(f"  {label:40s} {values}")
    return comparison


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--samples", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = select_device("auto")
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    searches = {
        name: BudgetGrid.from_config(name, spec) for name, spec in config["audio"]["attacks"]["methods"].items()
    }
    try:
        runs = trained_models(args.results, config)
    except FileNotFoundError as error:
        raise SystemExit(
            f"no trained audio model under {args.results} ({error.filename}): run `make run` first"
        ) from None
    result: dict = {"device": str(device), "threads": args.threads, "models": {}}
    first = None
    for run in runs:
        print(f"{run['label']} ({device}, {args.threads} threads)")
        costs = attack_costs(run, searches, args.samples, device, config["audio"]["attacks"]["batch_size"])
        result["models"][run["label"]] = {"clips": costs["clips"], "costs": costs["costs"]}
        first = first or (run, costs)
    if first is not None and {"bim_a", "jsma"} <= set(searches):
        print(f"reference implementations on {first[0]['label']}, {first[1]['clips']} clips, same targets")
        result["reference"] = {"model": first[0]["label"], **reference_comparison(first[0], first[1], searches, device)}
    out = REPO / "bench" / "out" / f"attacks_{device.type}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
