"""Rule certified_accuracy: one dataset's certificates (either branch) + post-averaging's adaptive_l2.csv -> table and figure."""

import pandas as pd

from signal_robustness.io import read_csv, save_csv, save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.figures import certified_vs_empirical
from signal_robustness.report.robustness import certified_curves, certified_networks

inputs, params = snakemake.input, snakemake.params
with log_to_file(snakemake.log[0], snakemake.output) as log:
    certificates = pd.concat([read_csv(path) for path in inputs.certificates], ignore_index=True)
    post_averaging = (
        pd.concat([read_csv(path) for path in inputs.post_averaging], ignore_index=True)
        if inputs.post_averaging
        else None
    )
    curves = certified_curves(certificates, post_averaging, params.radii)
    branch, dataset = snakemake.wildcards.branch, snakemake.wildcards.dataset
    log.info("\n%s", curves.to_string(index=False))
    save_csv(snakemake.output.table, curves.assign(dataset=dataset))
    seeds = sorted(int(seed) for seed in certificates["seed"].unique())
    defended = "" if post_averaging is None else "; post-averaging of the models trained without noise"
    points = certificates.groupby([*certified_networks(certificates), "seed", "sigma"]).size().max()
    inputs_name, unit = ("series", "z-units") if branch == "timeseries" else ("images", "images in [0, 1]")
    title = f"{dataset}: smoothing of the Gaussian-noise-trained models, {points} test {inputs_name}, seeds {seeds}{defended}"
    figure = certified_vs_empirical(curves, certified_networks(certificates), title, unit)
    save_figure(snakemake.output.figure, figure)
