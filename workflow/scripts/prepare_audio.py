"""Rule prepare_audio: a dataset folder -> clips.csv + waveforms.npy (clips x [original, shifts] x samples)."""

from signal_robustness.augment.pitch import pitch_versions
from signal_robustness.data.audio import audio_spec, class_names, iter_clips, read_clip_table
from signal_robustness.io import npy_writer, save_csv
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    dataset, params = snakemake.wildcards.dataset, snakemake.params
    table = read_clip_table(dataset, snakemake.params.folder)
    n_samples = int(round(params.duration * params.sample_rate))
    shape = (len(table), 1 + len(params.pitch_scales), n_samples)
    log.info("%s: %d clips, %d versions each; classes by label: %s", dataset, len(table), shape[1], class_names(table))
    # Clip by clip into a memory-mapped array: a whole dataset need not fit in memory.
    with npy_writer(snakemake.output.waveforms, shape) as waveforms:
        clips = iter_clips(
            table, params.folder, params.sample_rate, params.duration, min_duration=audio_spec(dataset).min_duration
        )
        for index, samples in enumerate(clips):
            waveforms[index] = pitch_versions(samples, params.sample_rate, tuple(params.pitch_scales))
    save_csv(snakemake.output.clips, table)
