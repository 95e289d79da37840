"""Rule summarise_attacks: every search's .json -> results/attacks/summary.csv (per budget) and searches.csv."""

import pandas as pd

from signal_robustness.io import load_json, save_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.attacks import ATTACK_SUMMARY_COLUMNS, SEARCH_COLUMNS

with log_to_file(snakemake.log[0], snakemake.output) as log:
    searches = [load_json(path) for path in snakemake.input]
    budgets = pd.DataFrame([row for search in searches for row in search["budgets"]], columns=ATTACK_SUMMARY_COLUMNS)
    save_csv(snakemake.output.summary, budgets)
    save_csv(snakemake.output.searches, pd.DataFrame(searches).reindex(columns=SEARCH_COLUMNS))
    log.info("%d searches, %d budget rows", len(searches), len(budgets))
