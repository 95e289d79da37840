"""Rule train_timeseries: data.npz -> model.pt (state dict) + history.csv."""

import pandas as pd
import torch

from signal_robustness.data import TimeSeriesSplits
from signal_robustness.device import job_device
from signal_robustness.io import load_npz, save_csv, save_state_dict
from signal_robustness.joblog import log_to_file
from signal_robustness.train import fit_timeseries_classifier
from signal_robustness.train.classifier import timeseries_training_settings

with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    splits = TimeSeriesSplits.load(snakemake.input.data, snakemake.wildcards.dataset)
    settings = timeseries_training_settings(snakemake.params.training, snakemake.params.precision)
    log.info("training on %s with %s", device, settings)
    augmented, magnitude, feat_sim = None, None, None
    if "augmented" in snakemake.input.keys():
        arrays = load_npz(snakemake.input.augmented)
        augmented = torch.from_numpy(arrays["x_augmented"]) if "x_augmented" in arrays else None
        magnitude = torch.from_numpy(arrays["magnitude"]) if "magnitude" in arrays else None
    if snakemake.wildcards.regulariser == "feat_sim":
        feat_sim = (snakemake.params.feat_sim_loss["weight"], snakemake.params.feat_sim_loss["margin"])
    model, result = fit_timeseries_classifier(
        splits,
        settings,
        int(snakemake.wildcards.seed),
        device,
        augmented=augmented,
        feat_sim=feat_sim,
        online_magnitude=magnitude,
        noise_sigma=snakemake.params.noise_sigma,
    )
    log.info(
        "best training loss %.5f at epoch %d (batch size %d)", result.best_loss, result.best_epoch, result.batch_size
    )
    save_state_dict(snakemake.output.model, model)
    save_csv(snakemake.output.history, pd.DataFrame(result.history))
