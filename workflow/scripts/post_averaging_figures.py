"""Rule post_averaging_figures: summary.csv + adaptive.csv -> r sweep and eps sweep figures."""

from signal_robustness.io import read_csv, save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.figures import eps_sweep, radius_sweep
from signal_robustness.report.summaries import read_summary

params = snakemake.params
with log_to_file(snakemake.log[0], snakemake.output):
    summary = read_summary(snakemake.input.summary, snakemake.params.runs)
    adaptive = read_csv(snakemake.input.adaptive)
    seeds = sorted(int(seed) for seed in summary["seed"].unique())
    save_figure(
        snakemake.output.radius,
        radius_sweep(
            summary,
            params.eps,
            params.n_directions,
            f"Post-averaging, ε = {params.eps}, K = {params.n_directions}, seeds {seeds}; dashed: r chosen on training data",
        ),
    )
    save_figure(
        snakemake.output.eps,
        eps_sweep(
            summary,
            adaptive,
            params.n_directions,
            f"Post-averaging, K = {params.n_directions}, r chosen on training data, seeds {seeds}",
        ),
    )
