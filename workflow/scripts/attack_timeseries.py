"""Rule attack_timeseries: every model.pt of a dataset and seed -> its metrics.json (clean/FGSM/BIM accuracy) +
adversarial.npz, and the dataset's accuracy against eps (one CSV for all its classifiers)."""

from pathlib import Path

import pandas as pd
import torch

from signal_robustness.data import TimeSeriesSplits
from signal_robustness.device import job_device
from signal_robustness.evaluate import accuracy_against_eps, evaluate_attacks
from signal_robustness.evaluate.accuracies import stratified_subset
from signal_robustness.io import save_csv, save_json, save_npz
from signal_robustness.joblog import log_to_file
from signal_robustness.precision import with_precision
from signal_robustness.report.figures import ACCURACY_VS_EPS_COLUMNS
from signal_robustness.runs import run_identity
from signal_robustness.train import load_timeseries_classifier

with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    splits = TimeSeriesSplits.load(snakemake.input.data, snakemake.wildcards.dataset)
    x, y = torch.from_numpy(splits.x_test), torch.from_numpy(splits.y_test)
    params = snakemake.params
    # The curve's series: a stratified subsample, the same for every classifier (and budget).
    curve_at, curve_eps, curves = None, [], []
    if params.eps_curve is not None:
        curve_at = torch.from_numpy(stratified_subset(splits.y_test, params.eps_curve["n_test"], params.subset_seed))
        curve_eps = sorted({*params.eps_curve["eps"], *(attack["eps"] for attack in params.attacks.values())})
    for weights, metrics_path, adversarial_path in zip(
        snakemake.input.models, snakemake.output.metrics, snakemake.output.adversarial, strict=True
    ):
        model = with_precision(load_timeseries_classifier(weights, splits), params.precision, device)
        metrics, adversarial = evaluate_attacks(model, x, y, params.attacks, device, params.batch_size, params.labels)
        run = Path(weights).parent.relative_to("results").as_posix()  # its run path
        if curve_at is not None:
            known = {name: tensor[curve_at] for name, tensor in adversarial.items()}  # the configured budgets'
            curve = accuracy_against_eps(
                model,
                x[curve_at],
                y[curve_at],
                params.attacks,
                curve_eps,
                device,
                params.batch_size,
                params.labels,
                known,
            )
            curves += [{**run_identity(run), **row} for row in curve]
        metrics.update(run_identity(run), device=str(device))
        log.info("%s: %s", run, {k: round(v, 2) for k, v in metrics.items() if k.endswith("_acc")})
        save_npz(adversarial_path, **{name: tensor.numpy() for name, tensor in adversarial.items()})
        save_json(metrics_path, metrics)
    # (empty, with its header, where no curve is configured)
    save_csv(snakemake.output.accuracy_vs_eps, pd.DataFrame(curves, columns=ACCURACY_VS_EPS_COLUMNS))
