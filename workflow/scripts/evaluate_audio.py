"""Rule evaluate_audio: the fold models -> metrics.json of the selected one on the test clips."""

from signal_robustness.device import job_device
from signal_robustness.evaluate.accuracies import accuracy
from signal_robustness.io import load_json, load_npy, read_csv, save_json
from signal_robustness.joblog import log_to_file
from signal_robustness.precision import with_precision
from signal_robustness.train.audio import held_out_test_arrays, select_fold, selected_fold_model

with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    wildcards = snakemake.wildcards
    table = read_csv(snakemake.input.clips)
    trainings = {summary["fold"]: summary for summary in map(load_json, snakemake.input.trainings)}
    fold = select_fold({f: summary["validation_accuracy"] for f, summary in trainings.items()})
    features = {base: load_npy(snakemake.input[base]) for base in snakemake.params.bases}
    x_test, y_test = held_out_test_arrays(features, wildcards.representation, table, read_csv(snakemake.input.split))
    # Pretrained or not, the adapted network has the same layers; the state dict holds every weight.
    model = selected_fold_model(
        wildcards.model, int(table["label"].nunique()), fold, snakemake.input.trainings, snakemake.input.models
    )
    model = with_precision(model, snakemake.params.precision, device)
    test_accuracy = accuracy(model, x_test, y_test, device)
    selected = trainings[fold]
    validation = [summary["validation_accuracy"] for summary in trainings.values()]
    log.info(
        "fold %d selected (validation %.1f %%); test accuracy %.1f %% on %d clips",
        fold,
        selected["validation_accuracy"],
        test_accuracy,
        len(y_test),
    )
    adversarial = wildcards.training == "adversarial"
    save_json(
        snakemake.output[0],
        {
            "dataset": wildcards.dataset,
            "representation": wildcards.representation,
            "model": wildcards.model,
            "adversarial_training": adversarial,
            "seed": int(wildcards.seed),
            "accuracy": test_accuracy,
            "n_test": len(y_test),
            "selected_fold": fold,
            "validation_accuracy": selected["validation_accuracy"],
            "cv_validation_accuracy_mean": sum(validation) / len(validation),
            "folds_trained": len(trainings),
            "epochs_trained": selected["epochs_trained"],
            "n_train": selected["n_train"],
            "image_height": int(x_test.shape[-2]),
            "image_width": int(x_test.shape[-1]),
            "fgsm_epsilon": snakemake.params.adversarial["epsilon"] if adversarial else None,
            "alpha": snakemake.params.adversarial["alpha"] if adversarial else None,
        },
    )
