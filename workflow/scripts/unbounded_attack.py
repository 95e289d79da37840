"""Rule unbounded_attack: a trained model -> results/robustness/{run}/unbounded.json (Carlini et al.'s unbounded check)."""

from signal_robustness.device import job_device, seed_everything
from signal_robustness.evaluate.autoattack import AutoAttackSettings, unbounded_accuracy
from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.io import save_json
from signal_robustness.joblog import log_to_file

params = snakemake.params
with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(params.device, snakemake.threads)
    run = load_run(params.run, dict(snakemake.input.items())).in_precision(params.precision, device)
    indices, x, y = run.test_subset(params.n_test, params.subset_seed)
    seed = int(run.identity["seed"])
    seed_everything(seed)
    result = unbounded_accuracy(
        run.model, x, y, run.attack_bounds(params.margin), AutoAttackSettings(**params.settings), device, seed=seed
    )
    log.info("%s", result)
    save_json(snakemake.output[0], {**run.identity, **result})
