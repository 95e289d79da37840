"""Rule summarise_defense: one branch's post_averaging.csv and adaptive.csv -> results/defense/{branch}/{summary,adaptive}.csv."""

from signal_robustness.io import save_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.defense import adaptive_with_checks, defense_summary

with log_to_file(snakemake.log[0], snakemake.output) as log:
    adaptive = adaptive_with_checks(snakemake.input.adaptive)
    summary = defense_summary(snakemake.input.post_averaging, adaptive)
    log.info("%d rows, %d adaptive rows", len(summary), len(adaptive))
    save_csv(snakemake.output.summary, summary)
    save_csv(snakemake.output.adaptive, adaptive)
