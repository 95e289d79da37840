"""Rule generate_synthetic_audio: -> results/audio/synthetic/source (audio/*.wav, meta/synthetic.csv)."""

from signal_robustness.data.synthetic_audio import write_synthetic_sound_set
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    settings = snakemake.params.synthetic
    metadata = write_synthetic_sound_set(
        snakemake.output[0],
        clips_per_class=settings["clips_per_class"],
        sample_rate=snakemake.params.sample_rate,
        duration=settings["duration"],
        seed=settings["seed"],
    )
    log.info("wrote %d synthetic clips of %s s", len(metadata), settings["duration"])
