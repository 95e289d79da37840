"""Rule summarise_audio: every metrics.json -> results/audio/summary.csv."""

from signal_robustness.io import save_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.audio import AUDIO_SUMMARY_COLUMNS
from signal_robustness.report.tables import collect_runs

with log_to_file(snakemake.log[0], snakemake.output):
    save_csv(snakemake.output[0], collect_runs(snakemake.input, AUDIO_SUMMARY_COLUMNS))
