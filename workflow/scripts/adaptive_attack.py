"""Rule adaptive_attack: EOT-PGD through the defence -> adaptive.csv."""

import pandas as pd
import torch

from signal_robustness.defenses.evaluation import adaptive_rows, load_attacked_sets
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
    indices, pgd = load_attacked_sets(snakemake.input.pgd)
    n = params.adaptive["n_test"] or len(indices)
    x, y = torch.from_numpy(splits.x_test[indices[:n]]), torch.from_numpy(splits.y_test[indices[:n]])
    transferred = {eps: (adversarial[:n], replaced[:n]) for eps, (adversarial, replaced) in pgd.items()}
    rows = adaptive_rows(
        model, x, y, transferred, params.n_directions, radius, params.defense_seed,
        params.adaptive["steps"], params.adaptive["eot_samples"], device,
    )
    identity = run_identity(wildcards.dataset, wildcards.method, wildcards.regulariser, wildcards.seed)
    table = pd.DataFrame([{**identity, **row} for row in rows])
    log.info("\n%s", table.to_string())
    save_csv(snakemake.output[0], table)
