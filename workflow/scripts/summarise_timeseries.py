"""Rule summarise_timeseries: every metrics.json -> results/timeseries/summary.csv."""

from signal_robustness.io import save_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.tables import collect_runs

with log_to_file(snakemake.log[0], snakemake.output) as log:
    summary = collect_runs(snakemake.input)
    log.info("%d runs", len(summary))
    save_csv(snakemake.output[0], summary)
