"""Rule split_audio: clips.csv -> splits/seed<seed>.csv (clip, role, cv_fold)."""

from signal_robustness.data.audio import audio_split
from signal_robustness.io import read_csv, save_csv
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    split_settings = snakemake.params.split
    split = audio_split(
        read_csv(snakemake.input.clips),
        protocol=split_settings["protocol"],
        seed=int(snakemake.wildcards.seed),
        test_fraction=split_settings["test_fraction"],
        cv_folds=split_settings["cv_folds"],
        test_fold=split_settings["test_fold"],
    )
    log.info("roles %s; folds %s", split["role"].value_counts().to_dict(), split["cv_fold"].value_counts().to_dict())
    save_csv(snakemake.output[0], split)
