"""Rule attack_audio: the selected fold model + test clips -> one attack's budget search (.npz, .json)."""

from signal_robustness.device import job_device
from signal_robustness.evaluate.budget_search import (
    BudgetGrid,
    attack_samples,
    budget_search,
    search_rows,
    search_summary,
)
from signal_robustness.io import load_json, load_npy, read_csv, save_json, save_npz
from signal_robustness.joblog import log_to_file
from signal_robustness.precision import with_precision
from signal_robustness.train.audio import IMAGE_BOUNDS, held_out_test_arrays, role_arrays, selected_fold_model

with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    wildcards, settings = snakemake.wildcards, snakemake.params.settings
    seed = int(wildcards.seed)
    table = read_csv(snakemake.input.clips)
    fold = load_json(snakemake.input.metrics)["selected_fold"]
    model = selected_fold_model(
        wildcards.model, int(table["label"].nunique()), fold, snakemake.input.trainings, snakemake.input.models
    )
    model = with_precision(model, snakemake.params.precision, device)
    features = {base: load_npy(snakemake.input[base]) for base in snakemake.params.bases}
    split = read_csv(snakemake.input.split)
    x_test, y_test = held_out_test_arrays(features, wildcards.representation, table, split)
    positions = attack_samples(model, x_test, y_test, settings["samples"], seed, device)
    if len(positions) == 0:
        raise RuntimeError(
            f"the {wildcards.model} model of fold {fold} classifies no test clip correctly: nothing to attack"
        )
    x, y = x_test[positions], y_test[positions]
    search = BudgetGrid.from_config(wildcards.attack, snakemake.params.search)
    log.info(
        "%s on %d correctly classified test clips (fold %d model); %s over %s",
        wildcards.attack,
        len(positions),
        fold,
        search.budget,
        list(search.grid),
    )
    # The attacker holds the development clips: PIA starts from one of its target class.
    donors = role_arrays(features, wildcards.representation, table, split, "development")
    result = budget_search(
        model, x, y, search, settings["threshold"], seed, device, IMAGE_BOUNDS, settings["batch_size"], donors=donors
    )
    identity = {
        "dataset": wildcards.dataset,
        "representation": wildcards.representation,
        "model": wildcards.model,
        "adversarial_training": wildcards.training == "adversarial",
        "seed": seed,
    }
    summary = search_summary(result, search, settings["threshold"], settings["l2_bound"])
    clips = x_test.clips[positions]
    arrays = {
        "clips": clips,
        "labels": y.numpy(),
        "budgets": result.budgets,
        "success": result.success,
        "misclassified": result.misclassified,
        "l2": result.l2,
        "linf": result.linf,
        "l0": result.l0,
        "example_clean": x[0].numpy(),
        "example_adversarial": result.example_adversarial,
    }
    if result.targets is not None:
        arrays["targets"] = result.targets
    if result.queries is not None:
        arrays["queries"] = result.queries
    save_npz(snakemake.output.search, **arrays)
    save_json(
        snakemake.output.summary,
        {
            **identity,
            **summary,
            "params": dict(search.params),
            "selected_fold": fold,
            "example_clip": int(clips[0]),
            "budgets": [{**identity, **row} for row in search_rows(result, search, settings["l2_bound"])],
        },
    )
    log.info(
        "AUC %.3f; threshold %s; ε at threshold %s",
        summary["auc"],
        "reached" if summary["threshold_reached"] else "not reached",
        summary["epsilon_at_threshold"],
    )
