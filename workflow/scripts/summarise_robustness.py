"""Rule summarise_robustness: one branch's records -> summary.csv, tables/autoattack.*, tables/checks.csv."""

from signal_robustness.io import save_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.robustness import (
    autoattack_layout,
    autoattack_table,
    robustness_checks,
    robustness_summary,
)
from signal_robustness.report.tables import write_table

params, output = snakemake.params, snakemake.output
with log_to_file(snakemake.log[0], output) as log:
    summary = robustness_summary(snakemake.input.records, params.runs, params.norms)
    checks = robustness_checks(summary)
    flagged = checks[~checks.filter(like="check_").all(axis=1)]
    if len(flagged):
        log.warning("checks failed for %d model(s) and norm(s):\n%s", len(flagged), flagged.to_string())
    tidy = autoattack_table(summary)
    settings = params.settings
    caption = (
        f"Accuracy (%) at each norm's full budget on {settings['n_test'] or 'all'} test inputs per model, mean ± std "
        f"over seeds {sorted(int(s) for s in summary['seed'].unique())}: torchattacks' APGD-CE and APGD-DLR "
        f"({settings['apgd']['steps']} steps, {settings['apgd']['restarts']} restart(s); DLR targeted with 4+ classes, "
        f"untargeted with 3, not defined for 2) and Square ({settings['square']['queries']} queries). AutoAttack: a "
        "point is robust only if all three fail; worst case: if every attack run fails, the papers' FGSM and BIM "
        "included (series, L∞)."
    )
    write_table(
        tidy, autoattack_layout(tidy), caption, output.table_csv, output.table_md, output.table_tex, output.table_html
    )
    save_csv(output.summary, summary)
    save_csv(output.checks, checks)
