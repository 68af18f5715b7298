"""Plain-text and Markdown reports for planners."""

from __future__ import annotations

from siege.network.source import SCHEMATIC_NOTE
from siege.network.summary import NetworkSummary


def format_network_summary(s: NetworkSummary, *, top_refs: int = 30) -> str:
    """The text ``siege network info`` prints."""
    lines = [f"Network: {s.source}"]
    if s.schematic:
        lines.append(SCHEMATIC_NOTE)
    lines += [
        "",
        f"nodes {s.nodes:,}   edges {s.edges:,}   road {s.road_km:,.1f} km",
        f"components: {s.weak_components} weakly connected, {s.strong_components} strongly connected "
        f"(largest: {s.largest_strong_component_nodes:,} nodes)",
        *(
            [
                f"clipped extract: {s.dropped_node_refs:,} node references point outside the file; "
                "the ways were cut there and what lies inside kept"
            ]
            if s.dropped_node_refs
            else []
        ),
        *(
            [
                "other modes: "
                + ", ".join(f"{m} {km:,.1f} km" for m, km in s.km_by_mode.items() if m != "road")
                + (f"; {len(s.airports)} airports: {', '.join(s.airports)}" if s.airports else "")
            ]
            if any(m != "road" for m in s.km_by_mode)
            else []
        ),
        "",
        "km of road per class:",
        *(f"  {cls:<16}{km:>10,.1f}" for cls, km in s.km_by_class.items()),
        "",
        f"km of road per ref ({min(top_refs, len(s.km_by_ref))} of {len(s.km_by_ref)}; "
        "a road carrying two numbers counts for both):",
        *(f"  {ref:<16}{km:>10,.1f}" for ref, km in list(s.km_by_ref.items())[:top_refs]),
        "",
    ]
    snapped = [p for p in s.places if p.snapped]
    far = [p for p in s.places if p.place.located and not p.snapped]
    unlocated = [p for p in s.places if not p.place.located]
    lines.append(f"places snapped to the network ({len(snapped)}; snap distance in km):")
    lines += [f"  {p.place.name:<28}{p.place.kind.replace('_', ' '):<22}{p.snap_km:>8.2f}" for p in snapped]
    if far:
        lines += ["", f"places further than {s.max_snap_km:g} km from any road node (NOT snapped, {len(far)}):"]
        lines += [f"  {p.place.name:<28}{p.place.kind.replace('_', ' '):<22}{p.snap_km:>8.1f}" for p in far]
    if unlocated:
        lines += [
            "",
            f"places with no known position ({len(unlocated)}): " + ", ".join(p.place.name for p in unlocated),
        ]
    return "\n".join(lines)
