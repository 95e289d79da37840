"""Rule attack_undefended: model.pt -> attacked/{attack}.npz (Attacked set per eps)."""

from signal_robustness.defenses.evaluation import data_bounds, defense_subset, save_attacked_sets
from signal_robustness.evaluate.protocol import attacked_sets
from signal_robustness.runtime import log_to_file, seed_everything, select_device, set_threads
from signal_robustness.train import load_trained_run

with log_to_file(snakemake.log[0]) as log:
    set_threads(snakemake.threads)
    device = select_device(snakemake.params.device)
    splits, model = load_trained_run(snakemake.wildcards.dataset, snakemake.input.data, snakemake.input.model)
    indices, x, y = defense_subset(splits.x_test, splits.y_test, snakemake.params.n_test, snakemake.params.subset_seed)
    eps_grid = snakemake.params.eps_grid
    seed_everything(int(snakemake.wildcards.seed))  # PGD's random start
    sets = attacked_sets(
        model, x, y, snakemake.wildcards.attack, snakemake.params.attack_params, eps_grid, device,
        snakemake.params.batch_size, bounds=data_bounds(splits.x_test, 1.0 + max(eps_grid)),
    )
    log.info("#Adv per eps: %s", {eps: int(replaced.sum()) for eps, (_, replaced) in sets.items()})
    save_attacked_sets(snakemake.output[0], indices, sets)
