"""Rule audio_table1: summary.csv + the paper's numbers -> Table I (tidy CSV, Markdown, LaTeX, HTML)."""

from signal_robustness.io import read_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.audio import table1, table1_layout
from signal_robustness.report.summaries import read_summary
from signal_robustness.report.tables import write_table

with log_to_file(snakemake.log[0], snakemake.output):
    summary = read_summary(snakemake.input.summary, snakemake.params.runs, ["accuracy"])
    tidy = table1(summary, read_csv(snakemake.input.published))
    image, adversarial = snakemake.params.image, snakemake.params.adversarial
    caption = (
        "Table I (audio): test accuracy (%) of the original models and, in parentheses, its drop in points after "
        f"FGSM adversarial training (ε = {adversarial['epsilon']} on images in [0, 1], α = {adversarial['alpha']}); "
        f"ours: mean ± std over {int(summary['seed'].nunique())} seed(s), {snakemake.params.training['epochs']} epochs "
        f"at most, {image['height']} × {image['width']} images; paper: mean of 10 runs at 768 × 1568. "
        "'not run' marks cells we did not train."
    )
    output = snakemake.output
    write_table(tidy, table1_layout(tidy), caption, output.csv, output.markdown, output.latex, output.html)
