"""Rule download_audio: soundata download + checksum validation -> <download_dir>/<folder>."""

from signal_robustness.data.audio import download_audio_dataset
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    folder = download_audio_dataset(snakemake.wildcards.folder, snakemake.output[0])
    log.info("downloaded and validated %s into %s", snakemake.wildcards.folder, folder)
