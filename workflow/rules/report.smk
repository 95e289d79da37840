# Tables and figures, each beside the published numbers.


rule fawaz_comparison_table:
    """Our baseline ResNet (mean +- std over seeds) beside Fawaz et al. 2019."""
    input:
        summary=rules.summarise_timeseries.output[0],
        published=PUBLISHED["fawaz2019"],
    output:
        csv=report(
            "results/timeseries/tables/fawaz_comparison.csv",
            caption="../report/fawaz_comparison.rst",
            category="Time series",
            labels={"table": "baseline vs Fawaz 2019 (tidy CSV)"},
        ),
        markdown="results/timeseries/tables/fawaz_comparison.md",
        latex="results/timeseries/tables/fawaz_comparison.tex",
        html=report(
            "results/timeseries/tables/fawaz_comparison.html",
            caption="../report/fawaz_comparison.rst",
            category="Time series",
            labels={"table": "baseline vs Fawaz 2019"},
        ),
    log:
        "logs/fawaz_comparison_table/table.log",
    benchmark:
        "benchmarks/fawaz_comparison_table/table.tsv"
    conda:
        "../../envs/pipeline.yaml"
    params:
        epochs=TS["epochs"],
    script:
        "../scripts/fawaz_comparison_table.py"


rule clean_vs_adversarial_figure:
    """Clean, FGSM and BIM accuracy per dataset, with Fawaz et al.'s values as markers."""
    input:
        summary=rules.summarise_timeseries.output[0],
        published=PUBLISHED["fawaz2019"],
    output:
        report(
            "results/timeseries/figures/clean_vs_adversarial.png",
            caption="../report/clean_vs_adversarial.rst",
            category="Time series",
            labels={"figure": "clean vs adversarial accuracy"},
        ),
    log:
        "logs/clean_vs_adversarial_figure/figure.log",
    benchmark:
        "benchmarks/clean_vs_adversarial_figure/figure.tsv"
    conda:
        "../../envs/pipeline.yaml"
    params:
        attacks=TS["attacks"],
        epochs=TS["epochs"],
    script:
        "../scripts/clean_vs_adversarial_figure.py"
