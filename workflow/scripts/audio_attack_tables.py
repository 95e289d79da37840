"""Rule audio_attack_tables: searches.csv + the paper's numbers -> Tables II and III (tidy CSV, Markdown, LaTeX, HTML)."""

from signal_robustness.io import read_csv
from signal_robustness.joblog import log_to_file
from signal_robustness.report.attacks import ATTACK_LABELS, table2, table2_layout, table3, table3_layout
from signal_robustness.report.tables import write_table

with log_to_file(snakemake.log[0], snakemake.output):
    searches = read_csv(snakemake.input.searches)
    published = read_csv(snakemake.input.published)
    settings, image = snakemake.params.settings, snakemake.params.image
    attacks = ", ".join(ATTACK_LABELS.get(name, name) for name in snakemake.params.attacks)
    seeds = int(searches["seed"].nunique())
    common = (
        f"Ours: mean ± std over {seeds} seed(s), {settings['samples']} correctly classified test clips per model, "
        f"attacks {attacks}, {image['height']} × {image['width']} images in [0, 1]; paper: 768 × 1568 images. "
        "'not run' marks cells we did not run."
    )
    captions = {
        "table2": (
            "Table II (audio): adversarially trained models under attack with ‖δ‖₂ ≤ "
            f"{settings['l2_bound']}: the area (%) under the fooling-rate curve over each attack's budget grid, counting "
            "only perturbations within the bound, and in parentheses the best fooling rate (%) within the bound; both "
            f"averaged over the attacks. The paper's number is its 'average AUC%'. {common}"
        ),
        "table3": (
            "Table III (audio): ε_r = ε(adversarially trained) / ε(original), ε the mean L2 norm of the successful "
            f"perturbations at the first budget whose fooling rate reaches {settings['threshold']}; averaged over the "
            "attacks that reached it on both models (their number in parentheses). 'threshold not reached': no attack "
            f"reached it on both. {common}"
        ),
    }
    builders = {"table2": (table2, table2_layout), "table3": (table3, table3_layout)}
    for name, (build, layout) in builders.items():
        tidy = build(searches, published)
        write_table(
            tidy,
            layout(tidy),
            captions[name],
            *(snakemake.output[f"{name}_{kind}"] for kind in ("csv", "markdown", "latex", "html")),
        )
