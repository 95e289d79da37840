"""Forward and backward passes of sallo2020's budget searches, counted on a trained audio model.

    python bench/bench_budget_passes.py WORKDIR [--run audio/synthetic/stft/resnet18/original/seed0]

WORKDIR is the folder of a finished run (its results/ and config). For each attack of the run's
``audio.attacks``, the search is run through ``evaluate.counting.PassCounter`` three ways: every
budget from scratch until the fooling rate reaches the threshold (before ``one_run``), as the
pipeline runs it now (one run for the grid where that gives every budget:
``BudgetGrid.one_run``), and at the grid's largest budget alone. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import torch
import yaml

from signal_robustness.attacks.settings import BudgetGrid
from signal_robustness.evaluate.budget_search import attack_samples, budget_search
from signal_robustness.evaluate.counting import PassCounter
from signal_robustness.features import REPRESENTATIONS
from signal_robustness.io import load_json, load_npy, read_csv
from signal_robustness.runs import parse_run
from signal_robustness.train.audio import IMAGE_BOUNDS, held_out_test_arrays, role_arrays, selected_fold_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--run", default="audio/synthetic/stft/resnet18/original/seed0")
    args = parser.parse_args()
    torch.set_num_threads(2)
    device = torch.device("cpu")
    results, fields = args.workdir / "results", parse_run(args.run)
    config = yaml.safe_load((args.workdir / "config" / "config.yaml").read_text())["audio"]["attacks"]
    data = results / "audio" / fields["dataset"]
    table = read_csv(data / "clips.csv")
    split = read_csv(data / "splits" / f"seed{fields['seed']}.csv")
    features = {base: load_npy(data / "features" / f"{base}.npy") for base in REPRESENTATIONS[fields["representation"]]}
    folder = results / args.run
    fold = load_json(folder / "metrics.json")["selected_fold"]
    trainings = sorted(folder.glob("fold*/training.json"))
    models = sorted(folder.glob("fold*/model.pt"))
    network = selected_fold_model(fields["model"], int(table["label"].nunique()), fold, trainings, models)
    counted = PassCounter(network).eval()
    x_test, y_test = held_out_test_arrays(features, fields["representation"], table, split)
    seed = int(fields["seed"])
    positions = attack_samples(network, x_test, y_test, config["samples"], seed, device)
    x, y = x_test[positions], y_test[positions]
    donors = role_arrays(features, fields["representation"], table, split, "development")
    rows = []
    for attack, section in config["methods"].items():
        search = BudgetGrid.from_config(attack, section)
        counts = {}
        for one_run in (False, True):
            counted.reset()
            result = budget_search(
                counted,
                x,
                y,
                search,
                config["threshold"],
                seed,
                device,
                IMAGE_BOUNDS,
                config["batch_size"],
                donors,
                one_run=one_run,
            )
            counts[one_run] = counted.counts()
        last = BudgetGrid.from_config(attack, {**section, "grid": [search.grid[-1]]})
        counted.reset()
        budget_search(counted, x, y, last, 1.0, seed, device, IMAGE_BOUNDS, config["batch_size"], donors)
        alone = counted.counts()
        rows.append(
            {
                "attack": attack,
                "budget": search.budget,
                "budgets run": f"{len(result.budgets)} of {len(search.grid)}",
                "one run": "yes" if search.one_run(IMAGE_BOUNDS) else "no",
                "forward (every budget)": counts[False]["forward_samples"],
                "backward (every budget)": counts[False]["backward_samples"],
                "forward (now)": counts[True]["forward_samples"],
                "backward (now)": counts[True]["backward_samples"],
                "forward (largest alone)": alone["forward_samples"],
                "backward (largest alone)": alone["backward_samples"],
            }
        )
    print(f"{args.run}: {len(positions)} clips, threshold {config['threshold']}")
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
