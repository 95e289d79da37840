"""Rule download_ucr: aeon's download of one UCR set -> <download_dir>/<Name>/<Name>_{TRAIN,TEST}.ts."""

from signal_robustness.data.ucr import download_ucr
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    train, test = download_ucr(snakemake.wildcards.dataset, snakemake.params.download_dir)
    log.info("downloaded %s: %s, %s", snakemake.wildcards.dataset, train, test)
