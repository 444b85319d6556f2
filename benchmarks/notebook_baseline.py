"""The usual notebook approach to customer segmentation, as one script: the benchmark's baseline.

It does what a typical tutorial notebook does, on every row, with library defaults:

1. read the CSV with pandas and drop rows with missing values;
2. the elbow: default ``KMeans(n_clusters=k)`` fitted on all rows for k = 1..10;
3. the silhouette score of each of those fits (k = 2..10) on all rows;
4. the final K-Means with the best silhouette's k, and a seaborn pairplot of every
   point (all numeric columns but the ID, as notebooks explore them) coloured by cluster;
5. a few figures (elbow, silhouette, segments scatter, counts per segment);
6. an HTML page embedding those figures and a table of segment means, turned into a
   PDF by WeasyPrint.

Every step prints ``baseline: <step> took N.NNs`` on stderr as it ends, so when the
benchmark kills it at its time cap the last lines say how far it got.

    python benchmarks/notebook_baseline.py customers.csv -o out/ [--feature COL ...]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import sys
import time
from collections.abc import Iterator
from pathlib import Path

_started = time.perf_counter()

import matplotlib  # noqa: E402 - the import cost is part of what the baseline measures

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from weasyprint import HTML  # noqa: E402

K_RANGE = range(1, 11)
SEED = 42


def main(argv: list[str] | None = None) -> int:
    """Run the notebook pipeline on one CSV file; write figures and report.pdf."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="the customer CSV")
    parser.add_argument("-o", "--output-dir", type=Path, required=True)
    parser.add_argument(
        "--feature",
        action="append",
        dest="features",
        help="a column to cluster on (repeatable); default: every numeric column but the ID",
    )
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    _report("imports", _started)

    with _step("loading"):
        df = pd.read_csv(args.input).dropna().drop_duplicates()
        numeric = [
            column
            for column in df.select_dtypes("number").columns
            if not column.lower().endswith("id")
        ]
        features = args.features or numeric
        x = StandardScaler().fit_transform(df[features])

    inertias, models = [], {}
    for k in K_RANGE:
        with _step(f"elbow k={k}"):
            models[k] = KMeans(n_clusters=k, random_state=SEED).fit(x)
            inertias.append(models[k].inertia_)

    silhouettes = {}
    for k in K_RANGE[1:]:
        with _step(f"silhouette k={k}"):
            silhouettes[k] = silhouette_score(x, models[k].labels_)
    best_k = max(silhouettes, key=lambda k: silhouettes[k])
    df["Cluster"] = models[best_k].labels_ + 1

    figures = {}
    with _step("pairplot"):
        grid = sns.pairplot(df[[*numeric, "Cluster"]], hue="Cluster", palette="tab10")
        figures["Pairplot"] = _png(grid.figure)
    with _step("figures"):
        figures.update(_figures(df, features, inertias, silhouettes))

    with _step("pdf"):
        means = df.groupby("Cluster")[features].mean().round(1)
        images = "".join(
            f'<h2>{title}</h2><img src="data:image/png;base64,{png}" style="width:100%">'
            for title, png in figures.items()
        )
        html = (
            "<html><body><h1>Customer segmentation</h1>"
            f"<p>{len(df)} customers, {best_k} clusters.</p>{means.to_html()}{images}"
            "</body></html>"
        )
        HTML(string=html).write_pdf(args.output_dir / "report.pdf")
    _report("total", _started)
    return 0


def _figures(
    df: pd.DataFrame, features: list[str], inertias: list[float], silhouettes: dict[int, float]
) -> dict[str, str]:
    figures = {}
    plt.figure(figsize=(8, 4))
    plt.plot(list(K_RANGE), inertias, marker="o")
    plt.title("Elbow method")
    figures["Elbow"] = _png(plt.gcf())

    plt.figure(figsize=(8, 4))
    plt.plot(list(silhouettes), list(silhouettes.values()), marker="o")
    plt.title("Silhouette score")
    figures["Silhouette"] = _png(plt.gcf())

    plt.figure(figsize=(8, 6))
    sns.scatterplot(data=df, x=features[0], y=features[-1], hue="Cluster", palette="tab10")
    plt.title("Segments")
    figures["Segments"] = _png(plt.gcf())

    plt.figure(figsize=(8, 4))
    if "Gender" in df.columns:
        sns.countplot(data=df, x="Cluster", hue="Gender")
    else:
        sns.countplot(data=df, x="Cluster")
    plt.title("Customers per segment")
    figures["Counts"] = _png(plt.gcf())
    return figures


def _png(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@contextlib.contextmanager
def _step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    _report(name, started)


def _report(name: str, started: float) -> None:
    print(
        f"baseline: {name} took {time.perf_counter() - started:.2f}s", file=sys.stderr, flush=True
    )


if __name__ == "__main__":
    sys.exit(main())
