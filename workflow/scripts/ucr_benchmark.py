"""Rule ucr_benchmark: the time-series and robustness summaries -> results/benchmark/ (docs/benchmark.md)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from signal_robustness.io import load_json, read_csv, save_csv, save_figure  # noqa: E402
from signal_robustness.joblog import log_to_file  # noqa: E402
from signal_robustness.report.benchmark import (  # noqa: E402
    METRIC_LABELS,
    benchmark_runs,
    certified_runs,
    clean_vs_worst_figure,
    conclusions,
    critical_difference_figure,
    fawaz_rows,
    flagged,
    leaderboard,
    leaderboard_layout,
    row_checks,
)
from signal_robustness.report.summaries import read_summary  # noqa: E402
from signal_robustness.report.tables import SUMMARY_COLUMNS, write_table  # noqa: E402


def write(frame, outputs, caption, layout=None):
    csv, markdown, latex, html = outputs
    if layout is None:
        layout = frame.set_index(frame.columns[0]).map(lambda v: f"{v:.3g}" if isinstance(v, float) else v)
    write_table(frame, layout, caption, csv, markdown, latex, html)


def figure_or_reason(draw, path):
    """The figure, or one that says why it cannot be drawn: never a missing or blank file."""
    try:
        figure = draw()
    except ValueError as error:
        figure, axes = plt.subplots(figsize=(5, 1.5))
        axes.axis("off")
        axes.text(0.5, 0.5, str(error), ha="center", va="center", wrap=True, fontsize=8)
    save_figure(path, figure)
    plt.close(figure)


with log_to_file(snakemake.log[0], snakemake.output) as log:
    params, output = snakemake.params, snakemake.output
    summary = read_summary(snakemake.input.summary, params.runs, SUMMARY_COLUMNS)
    robustness = (
        read_summary(
            snakemake.input.robustness[0], params.robustness_runs, ["worst_case_acc", "autoattack_acc", "grad_ok"]
        )
        if snakemake.input.robustness
        else None
    )
    certified = (
        certified_runs(
            pd.concat([read_csv(path) for path in snakemake.input.certificates], ignore_index=True),
            params.certified["radius"],
            params.certified["sigma"],
        )
        if snakemake.input.certificates
        else None
    )
    unbounded = (
        pd.DataFrame([load_json(path) for path in snakemake.input.unbounded]) if snakemake.input.unbounded else None
    )
    runs = benchmark_runs(summary, robustness, certified, unbounded)
    table = flagged(runs)
    board = leaderboard(table, params.baseline)
    n_sets, n_flagged = table["dataset"].nunique(), int((table["checks_failed"] != "").sum())
    write(
        board,
        output.leaderboard,
        f"Mean accuracy (%) of each method over {n_sets} UCR sets (seeds averaged first), its mean rank "
        f"(1 = best), and against {params.baseline}: wins / ties / losses per set (ties within 0.05 points) "
        "and two-sided Wilcoxon signed-rank p, Holm-corrected over the methods. worst = the per-point worst "
        f"case of the AutoAttack-grade attacks at the full budget. {params.epochs} epochs."
        + (
            f" certified L2 = certified accuracy of the smoothed model at L2 radius {params.certified['radius']:g} "
            f"(z-normalised units), sigma {params.certified['sigma']:g}, on the certified test points."
            if certified is not None
            else ""
        ),
        leaderboard_layout(board, params.baseline),
    )
    write(
        table,
        output.per_dataset,
        f"Per set and method, accuracies (%) averaged over seeds, with every check; {n_flagged} rows fail "
        "at least one (checks_failed names them) and are kept, not dropped.",
    )
    published = read_csv(snakemake.input.published)
    write(
        fawaz_rows(table, published),
        output.fawaz,
        "Our fawaz rows (their recipe) beside Fawaz et al. 2019's published ResNet (UCR 2015 archive), per set; "
        "difference = ours − published; checks_failed of each side.",
    )
    their_checks = row_checks(published)
    save_csv(output.published_checks, their_checks)
    ours = (
        table[table["method"] == "fawaz"]
        if (table["method"] == "fawaz").any()
        else table[table["method"] == params.baseline]
    )
    claims = conclusions(ours).assign(source="ours")
    theirs = conclusions(published[published["model"] == "resnet"]).assign(source="fawaz2019")
    save_csv(output.conclusions, pd.concat([claims, theirs], ignore_index=True))
    figure_or_reason(lambda: critical_difference_figure(table, "clean", "clean accuracy"), output.cd_clean)
    has_worst = "worst" in table and table["worst"].notna().any()

    def worst_diagram():
        if not has_worst:
            raise ValueError("no AutoAttack-grade worst case was run (config key robustness)")
        return critical_difference_figure(table, "worst", f"{METRIC_LABELS['worst']} accuracy")

    figure_or_reason(worst_diagram, output.cd_worst)
    figure_or_reason(lambda: clean_vs_worst_figure(table, "worst" if has_worst else "bim"), output.scatter)
    log.info(
        "%d sets, %d methods, %d rows flagged; published rows flagged: %d",
        n_sets,
        table["method"].nunique(),
        n_flagged,
        int((their_checks["checks_failed"] != "").sum()),
    )
