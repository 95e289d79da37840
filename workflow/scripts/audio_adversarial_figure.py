"""Rule audio_adversarial_figure: the searches of one model -> Figure 1 (a clip and its adversarial versions, PNG)."""

from signal_robustness.io import load_json, load_npz, read_csv, save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.attacks import ATTACK_LABELS
from signal_robustness.report.audio import DATASET_LABELS, MODEL_LABELS, REPRESENTATION_LABELS
from signal_robustness.report.figures import image_panels

with log_to_file(snakemake.log[0], snakemake.output):
    params = snakemake.params
    table = read_csv(snakemake.input.clips)
    rows = {}
    for representation in params.representations:
        panels, clip = [], None
        for attack in params.attacks:
            key = f"{representation}/{attack}"
            search = load_npz(snakemake.input[f"{key}/npz"])
            summary = load_json(snakemake.input[f"{key}/json"])
            if clip is None:
                clip = summary["example_clip"]
                panels.append((search["example_clean"][0], f"clean: {table['category'][clip]}"))
            # The adversarial version at the threshold budget, else at the last budget run.
            index = summary["budgets_run"].index(summary["threshold_budget"]) if summary["threshold_reached"] else -1
            fooled = bool(search["success"][index][0])
            label = ATTACK_LABELS.get(attack, attack)
            caption = (
                f"{label}, {summary['budget_name']} {search['budgets'][index]:g}\n‖δ‖₂ = {search['l2'][index][0]:.2f}"
            )
            panels.append((search["example_adversarial"][index][0], caption + ("" if fooled else " (not fooled)")))
        rows[REPRESENTATION_LABELS.get(representation, representation)] = panels
    title = (
        f"{DATASET_LABELS.get(params.dataset, params.dataset)}, {MODEL_LABELS.get(params.model, params.model)} "
        f"(original training, seed {params.seed}): the first attacked test clip and its adversarial versions"
    )
    save_figure(snakemake.output[0], image_panels(rows, title))
