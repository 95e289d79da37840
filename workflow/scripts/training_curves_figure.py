"""Rule training_curves_figure: every time-series history.csv -> training_curves.png."""

import pandas as pd

from signal_robustness.io import read_csv, save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.figures import training_curves
from signal_robustness.runs import run_identity

with log_to_file(snakemake.log[0], snakemake.output):
    histories = pd.concat(
        [
            read_csv(path).assign(**run_identity(run))
            for path, run in zip(snakemake.input.histories, snakemake.params.runs, strict=True)
        ],
        ignore_index=True,
    )
    seeds = sorted(int(seed) for seed in histories["seed"].unique())
    title = f"Training loss, {snakemake.params.epochs} epochs, mean over seeds {seeds}"
    save_figure(snakemake.output[0], training_curves(histories, title))
