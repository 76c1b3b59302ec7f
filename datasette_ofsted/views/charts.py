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

    `colour` is a status of the plugin's palette (`recurring`, `resolved`, `new`, `not_revisited`).
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
