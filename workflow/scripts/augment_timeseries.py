"""Rule augment_timeseries: data.npz (+ odenet, baseline model.pt) -> aug/{method}/seed{seed}.npz."""

import torch

from signal_robustness.augment import augmentation_arrays
from signal_robustness.data import TimeSeriesSplits
from signal_robustness.device import set_threads
from signal_robustness.io import load_state_dict, save_npz
from signal_robustness.joblog import log_to_file
from signal_robustness.models.odenet import ODENet
from signal_robustness.train import load_timeseries_classifier

wildcards, inputs = snakemake.wildcards, snakemake.input
with log_to_file(snakemake.log[0], snakemake.output) as log:
    set_threads(snakemake.threads)
    splits = TimeSeriesSplits.load(inputs.data, wildcards.dataset)
    series, labels = torch.from_numpy(splits.x_train), torch.from_numpy(splits.y_train)
    dzdt = load_state_dict(inputs.odenet, ODENet()).derivative(series) if "odenet" in inputs.keys() else None
    classifier = load_timeseries_classifier(inputs.classifier, splits) if "classifier" in inputs.keys() else None
    arrays = augmentation_arrays(
        wildcards.method,
        series,
        labels,
        snakemake.params.augment,
        torch.Generator().manual_seed(int(wildcards.seed)),
        dzdt=dzdt,
        classifier=classifier,
    )
    change = (arrays["x_augmented"] - series).abs() if "x_augmented" in arrays else arrays["magnitude"]
    log.info(
        "%s (%s): mean |change| %.4f, max %.4f",
        wildcards.method,
        ", ".join(arrays),
        float(change.mean()),
        float(change.max()),
    )
    save_npz(snakemake.output[0], **{name: array.numpy().astype("float32") for name, array in arrays.items()})
