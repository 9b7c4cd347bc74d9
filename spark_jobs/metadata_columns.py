"""Reserved names of the hidden per-row metadata columns.

Wrangle recipes can read ``$filepath`` (the source file of a row) and ``$sourcerownumber`` (its
position in that file, from 1). The reader adds these as hidden columns when a recipe uses them;
the runner drops every column with the reserved prefix before writing outputs.
"""

from __future__ import annotations

HIDDEN_PREFIX = "__sj_"
FILEPATH = f"{HIDDEN_PREFIX}filepath"
SOURCE_ROW_NUMBER = f"{HIDDEN_PREFIX}sourcerownumber"

#: Wrangle spelling -> hidden column name
BY_WRANGLE_NAME: dict[str, str] = {
    "$filepath": FILEPATH,
    "$sourcerownumber": SOURCE_ROW_NUMBER,
}


def is_hidden(column_name: str) -> bool:
    return column_name.startswith(HIDDEN_PREFIX)
