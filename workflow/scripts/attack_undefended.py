"""Rule attack_undefended: model.pt -> attacked/{attack}.npz (Attacked set per eps)."""

from signal_robustness.defenses.protocol import attacked_sets, save_attacked_sets
from signal_robustness.device import job_device, seed_everything
from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.joblog import log_to_file

with log_to_file(snakemake.log[0], snakemake.output) as log:
    device = job_device(snakemake.params.device, snakemake.threads)
    run = load_run(snakemake.params.run, dict(snakemake.input.items())).in_precision(snakemake.params.precision, device)
    indices, x, y = run.test_subset(snakemake.params.n_test, snakemake.params.subset_seed)
    eps_grid = snakemake.params.eps_grid
    seed_everything(int(run.identity["seed"]))  # PGD's random start
    sets = attacked_sets(
        run.model,
        x,
        y,
        snakemake.wildcards.attack,
        snakemake.params.attack_params,
        eps_grid,
        device,
        snakemake.params.batch_size,
        bounds=run.attack_bounds(1.0 + max(eps_grid)),
    )
    log.info("#Adv per eps: %s", {eps: int(replaced.sum()) for eps, (_, replaced) in sets.items()})
    save_attacked_sets(snakemake.output[0], indices, sets)
