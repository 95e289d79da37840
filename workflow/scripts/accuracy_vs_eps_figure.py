"""Rule accuracy_vs_eps_figure: every dataset's accuracy_vs_eps/seed*.csv -> the tidy table and the figure."""

import pandas as pd

from signal_robustness.io import read_csv, save_csv, save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.figures import accuracy_vs_eps
from signal_robustness.report.tables import mean_std

with log_to_file(snakemake.log[0], snakemake.output):
    curves = pd.concat([read_csv(path) for path in snakemake.input.curves], ignore_index=True)
    table = mean_std(curves, ["dataset", "method", "feat_sim", "attack", "eps", "n_test"], "accuracy")
    save_csv(snakemake.output.table, table)
    seeds = sorted(int(seed) for seed in curves["seed"].unique())
    sizes = ", ".join(f"{dataset} {n}" for dataset, n in curves.groupby("dataset", sort=False)["n_test"].max().items())
    title = f"Accuracy against the L-inf budget ε (z-units); test series per dataset: {sizes}; mean over seeds {seeds}"
    save_figure(snakemake.output.figure, accuracy_vs_eps(table, title))
