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


rule post_averaging_tables:
    """The seed's Tables 1 and 2 on our models, and the adaptive attack's sanity checks."""
    input:
        summary="results/defense/summary.csv",
        adaptive="results/defense/adaptive.csv",
    output:
        table1_csv="results/defense/tables/table1.csv",
        table1_md="results/defense/tables/table1.md",
        table1_tex="results/defense/tables/table1.tex",
        table1_html=report(
            "results/defense/tables/table1.html",
            caption="../report/post_averaging_table1.rst",
            category="Post-averaging",
            labels={"table": "Table 1: attacks, defence rate, adaptive attack"},
        ),
        table2_csv="results/defense/tables/table2.csv",
        table2_md="results/defense/tables/table2.md",
        table2_tex="results/defense/tables/table2.tex",
        table2_html=report(
            "results/defense/tables/table2.html",
            caption="../report/post_averaging_table2.rst",
            category="Post-averaging",
            labels={"table": "Table 2: number of directions K"},
        ),
        sanity_csv=report(
            "results/defense/tables/adaptive_checks.csv",
            caption="../report/post_averaging_checks.rst",
            category="Post-averaging",
            labels={"table": "adaptive attack: sanity checks"},
        ),
    log:
        "logs/post_averaging_tables/tables.log",
    benchmark:
        "benchmarks/post_averaging_tables/tables.tsv"
    conda:
        "../../envs/pipeline.yaml"
    params:
        eps=DEF["eps"],
        n_directions=DEF["n_directions"],
        adaptive=DEF["adaptive"],
    script:
        "../scripts/post_averaging_tables.py"


rule post_averaging_figures:
    """The seed's Figures 2 (r sweep) and 3 (eps sweep, with the adaptive attack)."""
    input:
        summary="results/defense/summary.csv",
        adaptive="results/defense/adaptive.csv",
    output:
        radius=report(
            "results/defense/figures/radius_sweep.png",
            caption="../report/post_averaging_radius.rst",
            category="Post-averaging",
            labels={"figure": "Figure 2: radius r"},
        ),
        eps=report(
            "results/defense/figures/eps_sweep.png",
            caption="../report/post_averaging_eps.rst",
            category="Post-averaging",
            labels={"figure": "Figure 3: budget ε, adaptive attack"},
        ),
    log:
        "logs/post_averaging_figures/figures.log",
    benchmark:
        "benchmarks/post_averaging_figures/figures.tsv"
    conda:
        "../../envs/pipeline.yaml"
    params:
        eps=DEF["eps"],
        n_directions=DEF["n_directions"],
    script:
        "../scripts/post_averaging_figures.py"
