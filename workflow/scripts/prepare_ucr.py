"""Rule prepare_ucr: one UCR dataset's train and test files -> data.npz (z-normalised, labels 0..K-1)."""

from signal_robustness.data.ucr import load_ucr_files
from signal_robustness.io import save_npz
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    splits = load_ucr_files(
        snakemake.wildcards.dataset,
        snakemake.input.train,
        snakemake.input.test,
        missing_values=snakemake.params.missing_values,
    )
    log.info(
        "%s from %s and %s: train %s, test %s, classes %s",
        splits.name,
        snakemake.input.train,
        snakemake.input.test,
        splits.x_train.shape,
        splits.x_test.shape,
        [str(c) for c in splits.classes],
    )
    adjustment = splits.adjustment()
    if adjustment["padded_series"] or adjustment["filled_values"]:
        log.info(
            "adjusted: %d series padded to length %d (shortest %d), %d missing values filled",
            adjustment["padded_series"],
            adjustment["length"],
            adjustment["shortest_series"],
            adjustment["filled_values"],
        )
    save_npz(snakemake.output[0], **splits.arrays())
