"""Rule attack_timeseries: model.pt -> metrics.json (clean/FGSM/BIM accuracy) + adversarial.npz."""

import torch

from signal_robustness.evaluate import evaluate_attacks
from signal_robustness.io import save_json, save_npz
from signal_robustness.runs import run_identity, run_path
from signal_robustness.runtime import job_device, log_to_file
from signal_robustness.train import load_trained_run

wildcards = snakemake.wildcards
with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    splits, model = load_trained_run(wildcards.dataset, snakemake.input.data, snakemake.input.model)
    metrics, adversarial = evaluate_attacks(
        model,
        torch.from_numpy(splits.x_test),
        torch.from_numpy(splits.y_test),
        snakemake.params.attacks,
        device,
        snakemake.params.batch_size,
        snakemake.params.labels,
    )
    run = run_path("timeseries", **wildcards)
    metrics.update(run_identity(run), device=str(device))
    log.info("%s", {k: v for k, v in metrics.items() if k.endswith("_acc")})
    save_npz(snakemake.output.adversarial, **{name: x.numpy() for name, x in adversarial.items()})
    save_json(snakemake.output.metrics, metrics)
