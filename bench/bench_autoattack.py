"""Which maintained APGD and Square: torchattacks (the pipeline's) against ART, on one model.

A ResNet trained briefly on GunPoint, the first 60 test series, an L∞ eps in z-units:
accuracy under APGD-CE and Square from each library, and seconds per series. The AutoAttack
reference package is not on the package index, so it is not compared. Prints a Markdown table.

    .venv/bin/python bench/bench_autoattack.py [--eps 0.02] [--steps 100] [--queries 1000]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch
from art.attacks.evasion import AutoProjectedGradientDescent, SquareAttack
from art.estimators.classification import PyTorchClassifier

from signal_robustness.data import load_ucr
from signal_robustness.evaluate.autoattack import AutoAttackSettings, robust_accuracies, robust_records
from signal_robustness.train import TrainingSettings, fit_timeseries_classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--eps", type=float, default=0.02)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cpu = torch.device("cpu")
    data = load_ucr("GunPoint")
    model, _ = fit_timeseries_classifier(data, TrainingSettings(epochs=15), seed=0, device=cpu, progress=False)
    model.eval()
    x, y = torch.from_numpy(data.x_test[: args.n]), torch.from_numpy(data.y_test[: args.n])
    low, high = float(x.min()) - 1.0 - args.eps, float(x.max()) + 1.0 + args.eps
    rows = []
    for name, attacks in (("APGD-CE", ("apgd_ce",)), ("Square", ("square",))):
        settings = AutoAttackSettings(apgd_steps=args.steps, square_queries=args.queries, batch_size=args.n)
        start = time.perf_counter()
        records = robust_records(model, x, y, args.eps, "linf", (low, high), 2, settings, cpu, attacks=attacks)
        seconds = time.perf_counter() - start
        rows.append(("torchattacks 3.5.1", name, robust_accuracies(records)[f"{attacks[0]}_acc"], seconds / args.n))
    classifier = PyTorchClassifier(
        model, loss=torch.nn.CrossEntropyLoss(), input_shape=tuple(x.shape[1:]), nb_classes=2, clip_values=(low, high)
    )
    art_attacks = {
        "APGD-CE": AutoProjectedGradientDescent(
            classifier,
            norm=np.inf,
            eps=args.eps,
            eps_step=2 * args.eps,
            max_iter=args.steps,
            nb_random_init=1,
            batch_size=args.n,
            loss_type="cross_entropy",
            verbose=False,
        ),
        "Square": SquareAttack(
            classifier, norm=np.inf, eps=args.eps, max_iter=args.queries, batch_size=args.n, verbose=False
        ),
    }
    for name, attack in art_attacks.items():
        start = time.perf_counter()
        try:
            adversarial = attack.generate(x.numpy(), y=y.numpy())
        except ValueError as error:  # ART's Square takes images only
            rows.append(("ART 1.20.1", name, f"refused: {error}", None))
            continue
        seconds = time.perf_counter() - start
        accuracy = 100.0 * float((classifier.predict(adversarial).argmax(1) == y.numpy()).mean())
        rows.append(("ART 1.20.1", name, accuracy, seconds / args.n))
    print(
        f"GunPoint, {args.n} test series, L∞ eps {args.eps}, {args.steps} APGD steps, {args.queries} Square queries; "
    )
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, one thread\n")
    print("| library | attack | accuracy % | s per series |")
    print("| --- | --- | ---: | ---: |")
    for library, attack, accuracy, seconds in rows:
        if seconds is None:
            print(f"| {library} | {attack} | {accuracy} | – |")
        else:
            print(f"| {library} | {attack} | {accuracy:.1f} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
