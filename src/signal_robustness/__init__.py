"""Adversarial robustness of signal classifiers: data, models, attacks, defences, reports.

The package knows nothing of Snakemake; ``workflow/scripts`` adapt it to rules.
"""

__version__ = "0.2.0"
