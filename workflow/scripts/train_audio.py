"""Rule train_audio: features + split -> one fold's model.pt, history.csv and training.json."""

import pandas as pd

from signal_robustness.device import job_device
from signal_robustness.io import load_npy, read_csv, save_csv, save_json, save_state_dict
from signal_robustness.joblog import log_to_file
from signal_robustness.train.audio import IMAGE_BOUNDS, fit_audio_classifier, fold_arrays
from signal_robustness.train.classifier import audio_training_settings
from signal_robustness.train.losses import FGSMAdversarialLoss, GaussianNoiseLoss

with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    wildcards = snakemake.wildcards
    table = read_csv(snakemake.input.clips)
    features = {base: load_npy(snakemake.input[base]) for base in snakemake.params.bases}
    arrays = fold_arrays(
        features, wildcards.representation, table, read_csv(snakemake.input.split), int(wildcards.fold)
    )
    settings = audio_training_settings(snakemake.params.training, snakemake.params.precision, snakemake.threads)
    loss_fn = None
    if wildcards.training == "adversarial":
        params = snakemake.params.adversarial
        loss_fn = FGSMAdversarialLoss(params["epsilon"], params["alpha"], IMAGE_BOUNDS)
    elif wildcards.training == "gaussian_noise":
        loss_fn = GaussianNoiseLoss.seeded(snakemake.params.noise_sigma, int(wildcards.seed))
    log.info(
        "%s on %s, %d training / %d validation images, %s",
        wildcards.model,
        device,
        len(arrays.x_train),
        len(arrays.x_validation),
        settings,
    )
    model, result = fit_audio_classifier(
        wildcards.model,
        arrays,
        n_classes=int(table["label"].nunique()),
        settings=settings,
        seed=int(wildcards.seed),
        device=device,
        loss_fn=loss_fn,
        weights_path=snakemake.params.weights_path,
        fine_tuned_layers=snakemake.params.training["fine_tuned_layers"],
    )
    best = result.best
    log.info(
        "best validation accuracy %.3f at epoch %d of %d",
        best["validation_accuracy"],
        result.best_epoch,
        len(result.history),
    )
    save_state_dict(snakemake.output.model, model)
    save_csv(snakemake.output.history, pd.DataFrame(result.history))
    save_json(
        snakemake.output.summary,
        {
            "fold": int(wildcards.fold),
            "best_epoch": result.best_epoch,
            "epochs_trained": len(result.history),
            "stopped_early": result.stopped_early,
            "validation_accuracy": 100.0 * best["validation_accuracy"],
            "validation_loss": best["validation_loss"],
            "n_train": len(arrays.x_train),
            "n_validation": len(arrays.x_validation),
            "batch_size": result.batch_size,
            "device": str(device),
        },
    )
