"""Rule evaluate_post_averaging: attacked sets + radius.json -> post_averaging.csv."""

import pandas as pd

from signal_robustness.defenses.protocol import load_attacked_sets, post_averaging_rows
from signal_robustness.device import job_device
from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.io import load_json, save_csv
from signal_robustness.joblog import log_to_file

params = snakemake.params
with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(params.device, snakemake.threads)
    run = load_run(snakemake.params.run, dict(snakemake.input.items())).in_precision(snakemake.params.precision, device)
    radius = load_json(snakemake.input.radius)["selected_radius"]
    attacked = {}
    for attack, path in zip(params.attacks, snakemake.input.attacked):
        indices, attacked[attack] = load_attacked_sets(path)
    x, y = run.test_at(indices)
    rows = post_averaging_rows(
        run.model,
        x,
        y,
        attacked,
        params.n_directions,
        params.n_directions_grid,
        radius,
        params.radius_grid,
        params.eps,
        params.defense_seed,
        device,
    )
    table = pd.DataFrame([{**run.identity, **row, "selected_radius": radius} for row in rows])
    log.info("%d rows", len(table))
    save_csv(snakemake.output[0], table)
