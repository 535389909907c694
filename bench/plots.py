"""PNG plots of a run, written next to its results (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


class Plot:
    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.figure, self.axes = plt.subplots(figsize=(7, 4), dpi=100)
        self.axes.set_title(title)
        self.axes.grid(True, alpha=0.3)

    def distributions(self, series: dict[str, Sequence[float]], unit: str = "ms") -> None:
        """Empirical CDFs, one line per series: how often a sample is at most x."""
        for label, values in series.items():
            ordered = sorted(values)
            if not ordered:
                continue
            fractions = [(i + 1) / len(ordered) for i in range(len(ordered))]
            self.axes.plot(ordered, fractions, label=f"{label} (n={len(ordered)})")
        self.axes.set_xscale("log")  # an overloaded series spans seconds, the rest milliseconds
        self.axes.set_xlabel(f"{unit} (log scale)")
        self.axes.set_ylabel("fraction of samples ≤ x")
        self.axes.legend(loc="lower right")

    def lines(self, series: dict[str, Sequence[tuple[float, float]]], xlabel: str) -> None:
        for label, points in series.items():
            self.axes.plot([x for x, _ in points], [y for _, y in points], marker="o", label=label)
        self.axes.set_xlabel(xlabel)
        self.axes.legend()

    def bars(self, values: dict[str, float], ylabel: str) -> None:
        self.axes.bar(list(values), list(values.values()))
        self.axes.set_ylabel(ylabel)

    def save(self, folder: str) -> Path:
        path = Path(folder) / f"{self.name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.figure.tight_layout()
        self.figure.savefig(path)
        plt.close(self.figure)
        return path
