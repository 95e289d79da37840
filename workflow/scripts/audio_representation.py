"""Rule audio_representation: waveforms.npy -> features/<base>.npy (clips x versions x rows x width)."""

from signal_robustness.device import set_threads
from signal_robustness.features import RepresentationSettings, fill_representation, representation_rows
from signal_robustness.io import load_npy, npy_writer
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    set_threads(1)  # parallel over clips (one process per thread), not inside a transform
    base = snakemake.wildcards.base
    settings = RepresentationSettings(**snakemake.params.settings)
    waveforms = load_npy(snakemake.input.waveforms)
    shape = (*waveforms.shape[:2], representation_rows(base, settings), settings.width)
    log.info("%s of %d clips x %d versions -> %s, stored as %s", base, *waveforms.shape[:2], shape, settings.storage)
    with npy_writer(snakemake.output[0], shape, dtype=settings.storage) as images:
        fill_representation(base, waveforms, snakemake.params.sample_rate, settings, images, workers=snakemake.threads)
