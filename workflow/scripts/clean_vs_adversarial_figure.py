"""Rule clean_vs_adversarial_figure: summary.csv + published numbers -> PNG."""

from signal_robustness.io import save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.figures import clean_vs_adversarial
from signal_robustness.report.summaries import read_summary
from signal_robustness.report.tables import FAWAZ_SOURCE, SUMMARY_COLUMNS, fawaz_comparison, load_published

with log_to_file(snakemake.log[0], snakemake.output):
    table = fawaz_comparison(
        read_summary(snakemake.input.summary, snakemake.params.runs, SUMMARY_COLUMNS),
        load_published(snakemake.input.published, FAWAZ_SOURCE),
    )
    fgsm, bim = snakemake.params.attacks["fgsm"], snakemake.params.attacks["bim"]
    title = (
        f"Baseline ResNet, {snakemake.params.epochs} epochs, mean ± std over {int(table['n_seeds'].max())} seeds; "
        f"FGSM ε={fgsm['eps']}, BIM ε={bim['eps']} step {bim['step_size']} × {bim['steps']}; ◆ Fawaz et al. 2019"
    )
    save_figure(snakemake.output[0], clean_vs_adversarial(table, title))
