"""Rule augmentation_examples_figure: data.npz + aug/*.npz -> Figure 3 (PNG)."""

from signal_robustness.io import load_npz, save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.figures import augmentation_examples

params = snakemake.params
with log_to_file(snakemake.log[0], snakemake.output):
    examples = {}
    augmented = iter(snakemake.input.augmented)  # expand order: dataset, then method
    for dataset, data_path in zip(params.datasets, snakemake.input.data):
        original = load_npz(data_path)["x_train"][0, 0]
        examples[dataset] = {"original": original}
        for method in params.methods:
            examples[dataset][method] = load_npz(next(augmented))["x_augmented"][0, 0]
    save_figure(
        snakemake.output[0],
        augmentation_examples(examples, "The first training series of each dataset and its augmented copies"),
    )
