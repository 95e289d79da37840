"""Rule audio_representations_figure: one clip -> its STFT, CWT, tonnetz and stacked images (PNG)."""

from signal_robustness.features import (
    BASE_REPRESENTATIONS,
    REPRESENTATIONS,
    RepresentationSettings,
    base_representation,
    compose_representation,
)
from signal_robustness.io import load_npy, read_csv, save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.audio import DATASET_LABELS, REPRESENTATION_LABELS
from signal_robustness.report.figures import representation_panels

with log_to_file(snakemake.log[0], snakemake.output):
    settings = RepresentationSettings(**snakemake.params.settings)
    table = read_csv(snakemake.input.clips)
    samples = load_npy(snakemake.input.waveforms)[0, 0]  # the first clip, unshifted
    bases = {
        name: base_representation(name, samples, snakemake.params.sample_rate, settings)
        for name in BASE_REPRESENTATIONS
    }
    images = {name: compose_representation(name, bases) for name in REPRESENTATIONS}
    dataset = snakemake.params.dataset
    title = (
        f"{DATASET_LABELS.get(dataset, dataset)} clip {table['path'][0]} ({table['category'][0]}): "
        f"STFT n_fft {settings.n_fft} hop {settings.hop_length}; CWT {settings.wavelet} at {settings.cwt_sample_rate} Hz; "
        f"{settings.height} × {settings.width} images"
    )
    save_figure(snakemake.output[0], representation_panels(images, title, REPRESENTATION_LABELS))
