"""Charts the plugin draws itself, as HTML a screen reader reads as a list: bars sorted by count, names beside them.

datasette-vega's fragments cannot sort bars, size a chart or colour it (its `g.*` keys are mark, columns, types,
colour and size columns only), so the plugin's pages draw their own, in the plugin's colours (ofsted.css).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

# The narrowest bar drawn for a count above zero, in percent of the track, so that a 1 is still seen beside a 40.
MIN_BAR_PERCENT = 2.0


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str | None = None
    title: str | None = None  # the bar's count in words, read out and shown on hover


def bar_chart(bars: list[Bar], caption: str, unit: str, colour: str, chart_id: str) -> Markup:
    """Horizontal bars, largest first (ties in the caller's order), each named on the axis, its count at its end.

    `colour` is a colour of the plugin's palette: a status's (`Status.colour`).
    """
    if not bars:
        return Markup("")
    ordered = sorted(bars, key=lambda b: -b.value)  # stable: ties keep the caller's order
    top = max(b.value for b in ordered) or 1
    items = []
    for bar in ordered:
        percent = max(MIN_BAR_PERCENT, 100 * bar.value / top) if bar.value else 0
        name = escape(bar.label)
        if bar.href:
            label = Markup('<a class="bar-label" href="{}">{}</a>').format(bar.href, name)
        else:
            label = Markup('<span class="bar-label">{}</span>').format(name)
        words = bar.title or f"{bar.value} {unit}"
        items.append(
            Markup(
                '<li data-value="{value}">{label}<span class="bar-track"><span class="bar bar-{colour}" '
                'style="width: {percent:.1f}%"></span><span class="bar-value" title="{words}">{value}'
                '<span class="visually-hidden"> {unit}</span></span></span></li>'
            ).format(value=bar.value, label=label, colour=colour, percent=percent, words=words, unit=unit)
        )
    return Markup(
        '<figure class="bar-chart" id="{id}" aria-labelledby="{id}-caption"><figcaption id="{id}-caption">{caption}'
        '</figcaption><ol class="bars">{items}</ol></figure>'
    ).format(id=chart_id, caption=caption, items=Markup("").join(items))


@dataclass(frozen=True)
class Stack:
    """One stacked bar: a label (a pair of inspections), its link, and its count of each status."""

    label: str
    href: str | None
    counts: dict[str, int]


def stacked_chart(
    stacks: list[Stack], order: tuple[str, ...], names: dict[str, str], caption: str, chart_id: str
) -> Markup:
    """Horizontal bars of counts by status, one a pair in the caller's (time) order, each status in its badge colour,
    scaled to the largest total, each segment's count written in it and named in words for a screen reader.

    datasette-vega draws the status_counts query in its own colours, 300 px wide and with the pair names cut; this is
    the same count, read from the same comparisons, as the pages draw it.
    """
    if not stacks:
        return Markup("")
    top = max(sum(s.counts.values()) for s in stacks) or 1
    items = []
    for stack in stacks:
        segments = []
        for status in order:
            n = stack.counts.get(status, 0)
            if not n:
                continue
            segments.append(
                Markup(
                    '<span class="segment bar-{status}" style="width: {percent:.1f}%" title="{name}: {n}">{n}'
                    '<span class="visually-hidden"> {name}</span></span>'
                ).format(status=status, percent=100 * n / top, name=names[status], n=n)
            )
        name = escape(stack.label)
        label = (
            Markup('<a class="bar-label" href="{}">{}</a>').format(stack.href, name)
            if stack.href
            else Markup('<span class="bar-label">{}</span>').format(name)
        )
        items.append(
            Markup('<li>{label}<span class="stack">{segments}</span></li>').format(
                label=label, segments=Markup("").join(segments)
            )
        )
    key = Markup("").join(
        Markup('<li><span class="swatch bar-{}"></span>{}</li>').format(status, names[status]) for status in order
    )
    return Markup(
        '<figure class="bar-chart stacked-chart" id="{id}" aria-labelledby="{id}-caption"><figcaption id="{id}-caption">'
        '{caption}</figcaption><ul class="key" aria-hidden="true">{key}</ul><ol class="bars">{items}</ol></figure>'
    ).format(id=chart_id, caption=caption, key=key, items=Markup("").join(items))
