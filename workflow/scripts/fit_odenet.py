"""Rule fit_odenet: data.npz -> odenet.pt (state dict) + odenet_history.csv."""

import pandas as pd
import torch

from signal_robustness.data import TimeSeriesSplits
from signal_robustness.io import load_npz, save_csv, save_state_dict
from signal_robustness.models.odenet import ODEFitSettings, fit_odenet
from signal_robustness.runtime import log_to_file, seed_everything, select_device, set_threads

with log_to_file(snakemake.log[0]) as log:
    set_threads(snakemake.threads)
    device = select_device(snakemake.params.device)
    splits = TimeSeriesSplits.from_arrays(snakemake.wildcards.dataset, load_npz(snakemake.input.data))
    generator = seed_everything(snakemake.params.seed)
    odenet, report = fit_odenet(torch.from_numpy(splits.x_train), ODEFitSettings(**snakemake.params.odenet), generator, device)
    log.info("final MSE %.6f, zero-derivative MSE %.6f", report.history[-1]["mse"], report.zero_derivative_mse)
    save_state_dict(snakemake.output.model, odenet)
    save_csv(snakemake.output.history, pd.DataFrame(report.history))
