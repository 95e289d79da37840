"""Rule fooling_rate_figure: results/attacks/summary.csv -> fooling_rate.png."""

from signal_robustness.io import read_csv, save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.figures import fooling_curves

with log_to_file(snakemake.log[0], snakemake.output):
    summary = read_csv(snakemake.input.summary)
    seeds = sorted(int(seed) for seed in summary["seed"].unique())
    title = (
        f"Fooling rate against budget, {snakemake.params.samples} correctly classified test clips per model, "
        f"mean over seeds {seeds}"
    )
    save_figure(snakemake.output[0], fooling_curves(summary, title))
