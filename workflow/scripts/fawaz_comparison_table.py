"""Rule fawaz_comparison_table: summary.csv + published numbers -> tidy CSV, Markdown, LaTeX, HTML."""

from signal_robustness.joblog import log_to_file
from signal_robustness.report.summaries import read_summary
from signal_robustness.report.tables import (
    FAWAZ_SOURCE,
    SUMMARY_COLUMNS,
    above_clean_caption,
    comparison_layout,
    fawaz_comparison,
    load_published,
    write_table,
)

with log_to_file(snakemake.log[0], snakemake.output):
    table = fawaz_comparison(
        read_summary(snakemake.input.summary, snakemake.params.runs, SUMMARY_COLUMNS),
        load_published(snakemake.input.published, FAWAZ_SOURCE),
    )
    n_seeds = int(table["n_seeds"].max())
    recipe = (
        "Fawaz et al.'s recipe (Adam lr 1e-3, no weight decay)"
        if table["method"].iloc[0] == "fawaz"
        else "sarkar2020's recipe (Adam lr 2e-4, weight decay 1e-3), not Fawaz et al.'s: add method fawaz to compare like with like"
    )
    caption = (
        f"Baseline ResNet accuracy (%) on clean, FGSM and BIM test sets: ours (mean ± std over {n_seeds} seeds, "
        f"{snakemake.params.epochs} epochs, {recipe}) beside Fawaz et al. 2019 (1500 epochs, UCR 2015 archive); "
        "Δ = ours − published."
    )
    output = snakemake.output
    caption += above_clean_caption(table)
    write_table(table, comparison_layout(table), caption, output.csv, output.markdown, output.latex, output.html)
