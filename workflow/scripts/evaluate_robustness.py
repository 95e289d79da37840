"""Rule evaluate_robustness: a trained model -> results/robustness/{run}/{norm}.csv (one row per test input and budget)."""

from signal_robustness.device import job_device, seed_everything
from signal_robustness.evaluate.autoattack import AutoAttackSettings, budget_records, robust_accuracies
from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.io import save_csv
from signal_robustness.joblog import log_to_file

params = snakemake.params
with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(params.device, snakemake.threads)
    run = load_run(params.run, dict(snakemake.input.items())).in_precision(snakemake.params.precision, device)
    indices, x, y = run.test_subset(params.n_test, params.subset_seed)
    seed = int(run.identity["seed"])
    seed_everything(seed)  # the papers' attacks' random starts
    records = budget_records(
        run.model,
        x,
        y,
        params.eps,
        params.eps_fractions,
        snakemake.wildcards.norm,
        run.attack_bounds(1.0 + params.eps),
        AutoAttackSettings(**params.settings),
        device,
        seed=seed,
        papers_attacks=params.papers_attacks,
        cascade=params.cascade,
        zero_budget_points=params.zero_budget_points,
    )
    records["index"] = indices[records["index"].to_numpy()]  # positions in the whole test set
    for budget, group in records.groupby("budget"):
        log.info("budget %.4g: %s", budget, {k: round(v, 1) for k, v in robust_accuracies(group).items()})
    save_csv(snakemake.output[0], records)
