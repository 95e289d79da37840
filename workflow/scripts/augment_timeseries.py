"""Rule augment_timeseries: data.npz (+ odenet.pt, baseline model.pt) -> aug/{method}/seed{seed}.npz."""

import torch

from signal_robustness.augment import augment_series
from signal_robustness.data import TimeSeriesSplits
from signal_robustness.io import load_npz, load_state_dict, save_npz
from signal_robustness.models.odenet import ODENet
from signal_robustness.runtime import log_to_file, set_threads
from signal_robustness.train import load_timeseries_classifier

wildcards, inputs = snakemake.wildcards, snakemake.input
with log_to_file(snakemake.log[0]) as log:
    set_threads(snakemake.threads)
    splits = TimeSeriesSplits.from_arrays(wildcards.dataset, load_npz(inputs.data))
    series, labels = torch.from_numpy(splits.x_train), torch.from_numpy(splits.y_train)
    dzdt = load_state_dict(inputs.odenet, ODENet()).derivative(series) if "odenet" in inputs.keys() else None
    classifier = load_timeseries_classifier(inputs.classifier, splits) if "classifier" in inputs.keys() else None
    augmented = augment_series(
        wildcards.method, series, labels, snakemake.params.augment,
        torch.Generator().manual_seed(int(wildcards.seed)), dzdt=dzdt, classifier=classifier,
    )
    change = (augmented - series).abs()
    log.info("%s: mean |change| %.4f, max %.4f", wildcards.method, float(change.mean()), float(change.max()))
    save_npz(snakemake.output[0], x_augmented=augmented.numpy().astype("float32"))
