"""Rule evaluate_post_averaging: attacked sets + radius.json -> post_averaging.csv."""

import pandas as pd
import torch

from signal_robustness.defenses.evaluation import load_attacked_sets, post_averaging_rows
from signal_robustness.io import load_json, save_csv
from signal_robustness.report.tables import run_identity
from signal_robustness.runtime import log_to_file, select_device, set_threads
from signal_robustness.train import load_trained_run

wildcards, params = snakemake.wildcards, snakemake.params
with log_to_file(snakemake.log[0]) as log:
    set_threads(snakemake.threads)
    device = select_device(params.device)
    splits, model = load_trained_run(wildcards.dataset, snakemake.input.data, snakemake.input.model)
    radius = load_json(snakemake.input.radius)["selected_radius"]
    attacked = {}
    for attack, path in zip(params.attacks, snakemake.input.attacked):
        indices, attacked[attack] = load_attacked_sets(path)
    x, y = splits.x_test[indices], splits.y_test[indices]
    rows = post_averaging_rows(
        model, torch.from_numpy(x), torch.from_numpy(y), attacked, params.n_directions, params.n_directions_grid,
        radius, params.radius_grid, params.eps, params.defense_seed, device,
    )
    identity = run_identity(wildcards.dataset, wildcards.method, wildcards.regulariser, wildcards.seed)
    table = pd.DataFrame([{**identity, **row, "selected_radius": radius} for row in rows])
    log.info("%d rows", len(table))
    save_csv(snakemake.output[0], table)
