"""Rule fit_odenet: data.npz -> odenet/seed{seed}.pt (state dict), its history and its test scores."""

import pandas as pd
import torch

from signal_robustness.data import TimeSeriesSplits
from signal_robustness.device import job_device, seed_everything
from signal_robustness.io import save_csv, save_json, save_state_dict
from signal_robustness.joblog import log_to_file
from signal_robustness.models.odenet import ODEFitSettings, evaluate_odenet, fit_odenet

with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    splits = TimeSeriesSplits.load(snakemake.input.data, snakemake.wildcards.dataset)
    generator = seed_everything(int(snakemake.wildcards.seed))
    settings = ODEFitSettings(**snakemake.params.odenet)
    odenet, report = fit_odenet(torch.from_numpy(splits.x_train), settings, generator, device)
    scores = evaluate_odenet(odenet.cpu(), torch.from_numpy(splits.x_test), settings.method, settings.rollout_window)
    log.info(
        "final training MSE %.6f (dz/dt = 0: %.6f); on the test series %s",
        report.history[-1]["mse"],
        report.zero_derivative_mse,
        scores,
    )
    save_state_dict(snakemake.output.model, odenet)
    save_csv(snakemake.output.history, pd.DataFrame(report.history))
    save_json(
        snakemake.output.scores, {"training": settings.training, "rollout_window": settings.rollout_window, **scores}
    )
