"""Rule attack_post_averaging_l2: a defended model -> results/defense/{run}/adaptive_l2.csv."""

import pandas as pd

from signal_robustness.defenses.protocol import post_averaging_l2_rows
from signal_robustness.device import job_device
from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.io import load_json, save_csv
from signal_robustness.joblog import log_to_file

params = snakemake.params
with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(params.device, snakemake.threads)
    run = load_run(params.run, dict(snakemake.input.items())).in_precision(snakemake.params.precision, device)
    # The points smoothing certifies (the same subsample), so both curves count the same series.
    _, x, y = run.test_subset(params.n_test, params.subset_seed)
    rows = post_averaging_l2_rows(
        run.model,
        x,
        y,
        params.radii,
        params.n_directions,
        load_json(snakemake.input.radius)["selected_radius"],
        params.defense_seed,
        params.adaptive["steps"],
        params.adaptive["eot_samples"],
        run.attack_bounds(1.0 + max(params.radii)),
        device,
    )
    table = pd.DataFrame([{**run.identity, **row} for row in rows])
    log.info("\n%s", table.to_string())
    save_csv(snakemake.output[0], table)
