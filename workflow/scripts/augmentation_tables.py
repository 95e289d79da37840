"""Rule augmentation_tables: summary.csv + the paper's numbers -> Tables I-III (CSV, Markdown, LaTeX, HTML)."""

from pathlib import Path

from signal_robustness.io import read_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.augmentation import paper_table, paper_table_layout
from signal_robustness.report.summaries import read_summary
from signal_robustness.report.tables import SUMMARY_COLUMNS, above_clean_caption, write_table

TITLES = {
    "table1": "Table I: baseline and the best augmentation of each kind",
    "table2": "Table II: augmentations trained with the Feat-Sim regulariser",
    "table3": "Table III: the input- and output-gradient augmentations",
}

with log_to_file(snakemake.log[0], snakemake.output):
    summary = read_summary(snakemake.input.summary, snakemake.params.runs, SUMMARY_COLUMNS)
    published = read_csv(snakemake.input.published)
    seeds = sorted(int(seed) for seed in summary["seed"].unique())
    fgsm, bim = snakemake.params.attacks["fgsm"], snakemake.params.attacks["bim"]
    folder = Path(snakemake.output.table1).parent
    for table, title in TITLES.items():
        tidy = paper_table(summary, published, table)
        caption = (
            f"{title}. Accuracy (%) on clean, FGSM (ε={fgsm['eps']}) and BIM (ε={bim['eps']}, {bim['steps']} steps) "
            f"test sets: ours, mean ± std over seeds {seeds} after {snakemake.params.epochs} epochs, and in brackets "
            "the paper's value (1500 epochs). 'not run': a cell of the paper that this configuration does not train."
        )
        caption += above_clean_caption(tidy)
        write_table(
            tidy,
            paper_table_layout(tidy),
            caption,
            *(folder / f"{table}.{extension}" for extension in ("csv", "md", "tex", "html")),
        )
