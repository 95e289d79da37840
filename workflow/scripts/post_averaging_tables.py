"""Rule post_averaging_tables: summary.csv + adaptive.csv -> Tables 1, 2 and the sanity checks."""

from signal_robustness.io import read_csv, save_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.defense import (
    layout,
    model_columns,
    model_keys,
    sanity_table,
    table1,
    table2,
    with_published,
)
from signal_robustness.report.summaries import read_summary
from signal_robustness.report.tables import write_table

params, output = snakemake.params, snakemake.output
with log_to_file(snakemake.log[0], snakemake.output):
    summary = read_summary(snakemake.input.summary, snakemake.params.runs)
    adaptive = read_csv(snakemake.input.adaptive)
    seeds = sorted(int(seed) for seed in summary["seed"].unique())
    published = read_csv(snakemake.input.published)
    first = table1(summary, params.eps, params.n_directions)
    models = model_columns(first)
    keys = model_keys(summary)[:-1]  # dataset and the model's columns, not the seed
    first = with_published(first, published, "table1", [*keys, "attack"])
    caption = (
        f"Post-averaging against attacks on the undefended model (ε = {params.eps}, K = {params.n_directions}, "
        f"r chosen on training data; accuracies and defence rate in %, mean ± std over seeds {seeds}). "
        f"The adaptive column attacks the defended model itself (per point, the worst of EOT-PGD, EOT-APGD-CE and EOT-APGD-DLR; {params.adaptive['steps']} steps, "
        f"{params.adaptive['eot_samples']} draw(s) per step, first {params.adaptive['n_test']} test inputs). "
        "Published: the paper's Table 1 (ImageNet and CIFAR-10, ε = 8/255, K = 15), which we do not run; "
        "its rows show the shape of the results, not a cell-by-cell comparison."
    )
    write_table(
        first,
        layout(first, ["source", "dataset", *models, "attack"]),
        caption,
        output.table1_csv,
        output.table1_md,
        output.table1_tex,
        output.table1_html,
    )
    second = table2(summary, params.eps)
    models = model_columns(second)
    second = with_published(second, published, "table2", [*keys, "n_directions"])
    caption = (
        f"Post-averaging with K directions against PGD (ε = {params.eps}); inference time per input in ms. "
        "Published: the paper's Table 2 (ImageNet, ε = 8/255, r = 30), which we do not run."
    )
    write_table(
        second,
        layout(second, ["source", "dataset", *models, "n_directions"]),
        caption,
        output.table2_csv,
        output.table2_md,
        output.table2_tex,
        output.table2_html,
    )
    save_csv(output.sanity_csv, sanity_table(adaptive))
