"""Strict reading of delimited text tables, with one-line errors naming file and row."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..errors import DataError

# A UTF-8 byte-order mark, as read in UTF-8 and in Latin-1: spreadsheet exports start with one,
# and it would stay glued to the first cell (a gene called "\ufeffDusp2").
BYTE_ORDER_MARKS = ("\ufeff", "\xef\xbb\xbf")


def read_rows(path: Path, delimiter: str, encoding: str = "utf-8") -> list[list[str]]:
    """All rows of ``path`` (a leading byte-order mark dropped); every row must have as many
    cells as the first."""
    if not path.exists():
        raise DataError(f"data file not found: {path}; supply it or set data_dir=...")
    if not path.is_file():
        raise DataError(f"{path} is a directory, not a data file; supply the table itself")
    try:
        with open(path, newline="", encoding=encoding, errors="strict") as handle:
            rows = [row for row in csv.reader(handle, delimiter=delimiter) if row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot parse as '{delimiter}'-separated text ({exc})") from None
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    for mark in BYTE_ORDER_MARKS:
        rows[0][0] = rows[0][0].removeprefix(mark)
    width = len(rows[0])
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise DataError(
                f"{path}: row {number} has {len(row)} cells, the header has {width}; "
                "fix the ragged row"
            )
    return rows


def require_unique(names: list[str], what: str, path: Path) -> None:
    """Refuse a table whose ``what`` (feature names, sample ids) repeat: rows or columns would be
    silently conflated in every report that names them."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"{path}: {what} {name!r} appears more than once; make every one unique")
        seen.add(name)


def require_shared_labels(labels: list[str], path: Path, where: str) -> None:
    """Refuse labels that give every sample its own class: that is a row of ids or a header, not
    classes (and stratified splits and every class metric would be meaningless)."""
    if len(labels) > 2 and len(set(labels)) == len(labels):
        raise DataError(f"{path}: {where} gives each of the {len(labels)} samples its own class; "
                        "is it the label row? Labels must name classes that samples share")


def to_numbers(cells: list[list[str]], path: Path, first_row: int, decimal: str = ".") -> np.ndarray:
    """Convert a block of cells to float64; ``first_row`` is the file row of cells[0]."""
    block = np.array(cells, dtype=object)
    try:
        text = block.astype(str)
        if decimal != ".":
            text = np.char.replace(text, decimal, ".")
        values = text.astype(np.float64)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        row, col, cell = _first_bad_cell(block, decimal)
        raise DataError(
            f"{path}: row {first_row + row}, column {col + 2}: {cell!r} is not a finite number; "
            "fix or remove that value"
        )
    return values


def _first_bad_cell(block: np.ndarray, decimal: str) -> tuple[int, int, str]:
    for (row, col), cell in np.ndenumerate(block):
        try:
            if not np.isfinite(float(str(cell).replace(decimal, "."))):
                return row, col, cell
        except ValueError:
            return row, col, cell
    raise AssertionError("no bad cell found")  # pragma: no cover
