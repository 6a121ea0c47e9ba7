"""The chart of a run: one panel per measure, a bar for ours and one for each peer, the same run's medians.

A panel whose values are more than 20 times apart has a logarithmic axis (said in its title), so that the
short bars stay visible; every bar is labelled with its value."""

from collections.abc import Sequence
from pathlib import Path

from common.report import Figure

_OURS = "#1f77b4"
_PEER = "#9a9a9a"
_LOG_ABOVE = 20


def _label(value: float, unit: str) -> str:
    number = f"{value:,.0f}" if value >= 100 else f"{value:,.1f}" if value >= 1 else f"{value:.3g}"
    return f"{number} {unit}"


def draw(figures: Sequence[Figure], path: Path, caption: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not figures:
        raise ValueError("no figures to draw: did every program run?")
    heights = [len(figure.values) for figure in figures]
    fig, axes = plt.subplots(
        len(figures),
        1,
        figsize=(10, 1.2 + 0.42 * sum(heights) + 0.55 * len(figures)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for axis, figure in zip(axes[:, 0], figures, strict=True):
        names = list(figure.values)
        values = [figure.values[name] for name in names]
        positive = [value for value in values if value > 0]
        floor = min(positive) / 2 if positive else 1.0
        logarithmic = bool(positive) and max(positive) / min(positive) > _LOG_ABOVE
        shown = [max(value, floor) for value in values]
        colours = [_OURS if name == "ours" else _PEER for name in names]
        axis.barh(range(len(names)), shown, color=colours, height=0.7)
        axis.set_yticks(range(len(names)), names)
        axis.invert_yaxis()
        if logarithmic:
            axis.set_xscale("log")
        top = max(shown)
        axis.set_xlim(floor / 1.5 if logarithmic else 0, top * (6 if logarithmic else 1.3))
        for row, (value, bar) in enumerate(zip(values, shown, strict=True)):
            axis.text(
                bar * (1.08 if logarithmic else 1) + (0 if logarithmic else top * 0.01),
                row,
                _label(value, figure.unit),
                va="center",
                fontsize=8,
            )
        better = "higher is better" if figure.higher_is_better else "lower is better"
        scale = ", log scale" if logarithmic else ""
        command = f" — python bench/{figure.program}" if figure.program else ""
        axis.set_title(f"{figure.work} ({better}{scale}){command}", fontsize=9, loc="left")
        axis.tick_params(axis="both", labelsize=8)
        axis.spines[["top", "right"]].set_visible(False)
    fig.suptitle(
        "ios-backup-api (ours) beside the peer libraries, same data, same run", fontsize=11, x=0.01, ha="left"
    )
    fig.text(0.01, 0.005, caption, fontsize=7, ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.03, 1, 0.98))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
