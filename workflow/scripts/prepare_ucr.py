"""Rule prepare_ucr: one UCR dataset -> data.npz (z-normalised, labels 0..K-1)."""

from signal_robustness.data import load_ucr
from signal_robustness.io import save_npz
from signal_robustness.runtime import log_to_file

with log_to_file(snakemake.log[0]) as log:
    splits = load_ucr(snakemake.wildcards.dataset, snakemake.params.archive_dir, snakemake.params.download_dir)
    log.info("%s from %s: train %s, test %s, %d classes", splits.name, splits.source,
             splits.x_train.shape, splits.x_test.shape, splits.n_classes)
    save_npz(snakemake.output[0], **splits.arrays())
