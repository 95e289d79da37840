"""Rule adaptive_attack: EOT-PGD and EOT-APGD through the defence -> adaptive.csv."""

import pandas as pd

from signal_robustness.defenses.protocol import adaptive_rows, load_attacked_sets
from signal_robustness.device import job_device
from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.io import load_json, save_csv
from signal_robustness.joblog import log_to_file

params = snakemake.params
with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(params.device, snakemake.threads)
    run = load_run(snakemake.params.run, dict(snakemake.input.items())).in_precision(snakemake.params.precision, device)
    radius = load_json(snakemake.input.radius)["selected_radius"]
    indices, pgd = load_attacked_sets(snakemake.input.pgd)
    n = params.adaptive["n_test"] or len(indices)
    x, y = run.test_at(indices[:n])
    transferred = {eps: (adversarial[:n], replaced[:n]) for eps, (adversarial, replaced) in pgd.items()}
    rows = adaptive_rows(
        run.model,
        x,
        y,
        transferred,
        params.n_directions,
        radius,
        params.defense_seed,
        params.adaptive["steps"],
        params.adaptive["eot_samples"],
        run.attack_bounds(1.0 + max(transferred)),
        device,
    )
    table = pd.DataFrame([{**run.identity, **row} for row in rows])
    log.info("\n%s", table.to_string())
    save_csv(snakemake.output[0], table)
