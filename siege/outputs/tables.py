"""CSV tables: the admin columns of a town, and optionally an HXL hashtag row (``--hxl``) under the header.

HXL (the Humanitarian Exchange Language, https://hxlstandard.org/standard/1-1final/) adds one row of
hashtags under a table's header so that HDX and the humanitarian tools recognise its columns:
``#loc+name`` for a town, ``#adm2+code`` for a cercle's P-code, ``#date``, ``#item+name`` for a
commodity... Every column gets a tag: the known ones from :data:`TAGS`, any other number
``#indicator+<column>`` and any other text ``#meta+<column>`` (HXL attributes are lower-case
letters, digits and underscores, so the column name is one attribute). The CSV stays a plain CSV
when ``hxl`` is off.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from siege.network.admin import ADMIN_COLUMNS, NO_AREA, columns_of

#: hashtags of the columns siege writes, by column name
TAGS = {
    "town": "#loc+name",
    "kind": "#loc+type",
    "adm1_name": "#adm1+name",
    "adm1_pcode": "#adm1+code",
    "adm2_name": "#adm2+name",
    "adm2_pcode": "#adm2+code",
    "cod_version": "#meta+cod_version",
    "lat": "#geo+lat",
    "lon": "#geo+lon",
    "date": "#date",
    "commodity": "#item+name",
    "population": "#population",
    "population_on_network": "#population+on_network",
    "status": "#status",
    "baseline_status": "#status+baseline",
    "worst_status": "#status+worst",
    "access_severity": "#severity+access",
    "stockout_date": "#date+stockout",
    "first_day_short": "#date+first_short",
    "last_day_short": "#date+last_short",
    "recovered_date": "#date+recovered",
    "supplied_from": "#loc+name+origin",
    "town_names": "#loc+name+list",
    "segment": "#loc+name+segment",
    "segments": "#loc+name+segment+list",
    "towns_isolated": "#loc+name+isolated+list",
    "variant": "#meta+variant",
    "event_id_cnty": "#event+code",
}


def _attribute(column: str) -> str:
    text = re.sub(r"[^a-z0-9_]+", "_", column.lower()).strip("_") or "value"
    return text if text[0].isalpha() else f"x{text}"


def hashtag(column: str, values: pd.Series | None = None) -> str:
    """The HXL hashtag of a column: a known one, else ``#indicator+…`` for numbers, ``#meta+…`` for text."""
    if column in TAGS:
        return TAGS[column]
    numeric = values is not None and pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return f"#{'indicator' if numeric else 'meta'}+{_attribute(column)}"


def hashtags(frame: pd.DataFrame) -> list[str]:
    """The hashtag row of a table."""
    return [hashtag(str(c), frame[c]) for c in frame.columns]


def write_csv(frame: pd.DataFrame, path: str | Path, *, hxl: bool = False) -> Path:
    """Write ``frame`` as CSV (no index); with ``hxl``, the hashtag row under the header."""
    path = Path(path)
    if hxl:
        tagged = pd.concat([pd.DataFrame([hashtags(frame)], columns=frame.columns), frame.astype(object)])
        tagged.to_csv(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def with_admin(frame: pd.DataFrame, scenario) -> pd.DataFrame:
    """``frame`` with the admin columns of its ``town`` (region, cercle, P-codes, COD version) after it."""
    admin = {t.name: columns_of(t.admin) for t in scenario.towns}
    extra = pd.DataFrame([admin.get(name, NO_AREA) for name in frame["town"]], columns=list(ADMIN_COLUMNS))
    at = list(frame.columns).index("town") + 1
    out = frame.reset_index(drop=True)
    return pd.concat([out.iloc[:, :at], extra, out.iloc[:, at:]], axis=1)
