"""Reader for the UEA/UCR time-series archive `.ts` text format (classification files).

A `.ts` file is a header followed by one case per line:

```
# comments start with '#'
@problemName BasicMotions
@timeStamps false
@missing false
@univariate false
@dimensions 6
@equalLength true
@seriesLength 100
@classLabel true Standing Running Walking Badminton
@data
0.07,0.08,...,0.12:0.30,...,-0.02:...:Standing
```

Each data line holds the dimensions (channels) of one case separated by `:`, the values of a
dimension separated by `,`, and the class label last. The format is described in Bagnall et al.,
"The UEA multivariate time series classification archive, 2018" (arXiv 1811.00075).

This reader is strict: it accepts labelled series without time stamps (the layout of the UEA/UCR
classification archives) and names the file and line of anything else it finds. `load_uea_ts`
returns one array and needs equal-length series; `load_uea_series` also reads variable-length
files (`@equalLength false`, e.g. PickupGestureWiimoteZ) as one array per case.
"""

import math
import os

import numpy as np

__all__ = ["load_uea_series", "load_uea_ts"]

_BOOLEAN_TAGS = ("timestamps", "missing", "univariate", "equallength")


def load_uea_ts(path, allow_missing=False):
    """Load a UEA/UCR `.ts` classification file as a channels-last array.

    Args:
        path: str or `os.PathLike`. The `.ts` file.
        allow_missing: bool. Whether missing values (`?` or `NaN`) are loaded as `NaN`. When
            `False`, a missing value raises a `ValueError` naming its line. Defaults to `False`.

    Returns:
        A tuple `(x, y, class_names)`: `x` is a float32 array of shape
        `(cases, series_length, dimensions)` (channels last), `y` an int64 array of shape
        `(cases,)` holding indices into `class_names`, and `class_names` the list of labels in the
        order of the header's `@classLabel` line.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file breaks the format: empty file, no `@data` line, no `@classLabel`,
            unsupported header (`@timeStamps true`), wrong number of dimensions, ragged series,
            missing or non-numeric values, or a label not declared in `@classLabel`. The message
            names the file and the line number.

    Example:
    ```python
    from core.data import samples
    x, y, class_names = load_uea_ts(samples.fetch("har.basicmotions_train"))
    x.shape       # (40, 100, 6)
    class_names   # ['Standing', 'Running', 'Walking', 'Badminton']
    ```
    """
    cases, labels, class_names = _read_cases(path, allow_missing, equal_length=True)
    x = np.stack(cases).transpose(0, 2, 1).astype(np.float32)
    return x, labels, class_names


def load_uea_series(path, allow_missing=False):
    """Load a UEA/UCR `.ts` classification file whose series may differ in length.

    Within one case every dimension has the same length; cases may differ (`@equalLength false`).
    `domains.har.data.fit_length` brings such series to one length (resampling or padding).

    Args:
        path: str or `os.PathLike`. The `.ts` file.
        allow_missing: bool. Whether missing values (`?` or `NaN`) are loaded as `NaN`. Defaults
            to `False`.

    Returns:
        A tuple `(series, y, class_names)`: `series` a list of float32 arrays of shape
        `(length_i, dimensions)` (channels last), `y` an int64 array of class indices into
        `class_names`, in the order of the header's `@classLabel` line.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file breaks the format (see `load_uea_ts`), naming the file and line.

    Example:
    ```python
    from core.data import samples
    series, y, class_names = load_uea_series(samples.fetch("har.pickupgesture_train"))
    [s.shape for s in series[:2]]   # [(324, 1), (361, 1)]
    ```
    """
    cases, labels, class_names = _read_cases(path, allow_missing, equal_length=False)
    return [case.T.astype(np.float32) for case in cases], labels, class_names


def _read_cases(path, allow_missing, equal_length):
    """(list of (dimensions, length) float64 arrays, int64 labels, class names) of a `.ts` file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"UEA .ts file not found: {path}. Expected a text file in the UEA/UCR .ts format.")
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    if not any(line.strip() for line in lines):
        raise ValueError(f"{path}: the file is empty. Expected a UEA .ts header followed by `@data` and one case per line.")

    header, data_start = _parse_header(path, lines)
    dimensions = header["dimensions"]
    series_length = header.get("serieslength")
    class_names = header["class_names"]
    class_index = {name: i for i, name in enumerate(class_names)}

    cases, labels = [], []
    first_length_line = None
    for lineno in range(data_start + 1, len(lines) + 1):
        line = lines[lineno - 1].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            raise ValueError(f"{path}:{lineno}: header tag after `@data`. Received: {line[:60]!r}")
        fields = line.split(":")
        if dimensions is None:  # neither @dimensions nor @univariate: the first case decides
            dimensions = len(fields) - 1
        if len(fields) != dimensions + 1:
            raise ValueError(
                f"{path}:{lineno}: expected {dimensions} dimension(s) and a label ({dimensions + 1} fields "
                f"separated by ':'). Received: {len(fields)} fields."
            )
        label = fields[-1].strip()
        if label not in class_index:
            raise ValueError(
                f"{path}:{lineno}: label {label!r} is not declared in @classLabel {class_names}. Received: {label!r}"
            )
        channels = [_parse_values(path, lineno, d, field, allow_missing) for d, field in enumerate(fields[:-1])]
        lengths = {len(c) for c in channels}
        if len(lengths) != 1:
            raise ValueError(
                f"{path}:{lineno}: the dimensions of one case have different lengths; every dimension of a case must "
                f"have the same length. Received: lengths {[len(c) for c in channels]}"
            )
        length = lengths.pop()
        if series_length is not None and length != series_length:
            raise ValueError(
                f"{path}:{lineno}: the header says @seriesLength {series_length}. Received: {length} values per dimension"
            )
        if equal_length and cases and length != cases[0].shape[1]:
            reason = (
                "the header says @equalLength true"
                if header["equallength"]
                else "load_uea_ts needs equal-length series (load_uea_series reads variable-length files)"
            )
            raise ValueError(
                f"{path}:{lineno}: {reason}, but this case has {length} values per dimension while the case on "
                f"line {first_length_line} has {cases[0].shape[1]}. Received: length {length}"
            )
        if not cases:
            first_length_line = lineno
        cases.append(np.stack(channels))
        labels.append(class_index[label])

    if not cases:
        raise ValueError(f"{path}: no cases after `@data` (line {data_start}). Expected one case per line.")
    return cases, np.asarray(labels, dtype=np.int64), list(class_names)




def _parse_header(path, lines):
    """Read the header up to `@data`; returns (header dict, 1-based line number of `@data`)."""
    header = {"dimensions": None, "equallength": True}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("@"):
            raise ValueError(
                f"{path}:{lineno}: data before the `@data` line; the header must end with `@data`. "
                f"Received: {line[:60]!r}"
            )
        parts = line.split()
        tag = parts[0][1:].lower()
        values = parts[1:]
        if tag == "data":
            _check_header(path, lineno, header)
            return header, lineno
        if tag in _BOOLEAN_TAGS:
            header[tag] = _parse_bool(path, lineno, parts)
        elif tag in ("dimensions", "serieslength"):
            if len(values) != 1 or not values[0].isdigit() or int(values[0]) < 1:
                raise ValueError(f"{path}:{lineno}: {parts[0]} needs one positive integer. Received: {line!r}")
            header[tag] = int(values[0])
        elif tag == "classlabel":
            if not values or values[0].lower() not in ("true", "false"):
                raise ValueError(f"{path}:{lineno}: expected `@classLabel true <labels...>`. Received: {line!r}")
            if values[0].lower() == "false":
                raise ValueError(
                    f"{path}:{lineno}: the file has no class labels; load_uea_ts reads classification files only. "
                    f"Received: {line!r}"
                )
            names = values[1:]
            if not names or len(set(names)) != len(names):
                raise ValueError(
                    f"{path}:{lineno}: @classLabel true needs a list of distinct labels. Received: {line!r}"
                )
            header["class_names"] = names
        # Other tags (@problemName, @targetLabel, ...) carry nothing this reader needs.
    raise ValueError(
        f"{path}: no `@data` line found; a .ts file is a header ending with `@data`, then one case per line."
    )


def _check_header(path, lineno, header):
    if header.get("timestamps"):
        raise ValueError(
            f"{path}:{lineno}: series with time stamps are not supported. Received: @timeStamps true"
        )
    if "class_names" not in header:
        raise ValueError(
            f"{path}:{lineno}: the header has no `@classLabel true <labels...>` line before `@data`."
        )
    if header.get("univariate"):
        if header["dimensions"] not in (None, 1):
            raise ValueError(
                f"{path}:{lineno}: @univariate true contradicts @dimensions. Received: @dimensions {header['dimensions']}"
            )
        header["dimensions"] = 1


def _parse_bool(path, lineno, parts):
    if len(parts) != 2 or parts[1].lower() not in ("true", "false"):
        raise ValueError(f"{path}:{lineno}: {parts[0]} takes `true` or `false`. Received: {' '.join(parts)!r}")
    return parts[1].lower() == "true"


def _parse_values(path, lineno, dimension, field, allow_missing):
    """Parse one comma-separated dimension into float64, with errors naming the bad value."""
    tokens = [t.strip() for t in field.split(",")]
    values = np.empty(len(tokens), dtype=np.float64)
    for i, token in enumerate(tokens):
        if token == "?" or token.lower() == "nan":
            if not allow_missing:
                raise ValueError(
                    f"{path}:{lineno}: missing value in dimension {dimension} at position {i}; pass "
                    f"allow_missing=True to load missing values as NaN. Received: {token!r}"
                )
            values[i] = np.nan
            continue
        try:
            value = float(token)
        except ValueError:
            raise ValueError(
                f"{path}:{lineno}: non-numeric value in dimension {dimension} at position {i}. Received: {token!r}"
            ) from None
        if math.isinf(value):
            raise ValueError(
                f"{path}:{lineno}: infinite value in dimension {dimension} at position {i}. Received: {token!r}"
            )
        values[i] = value
    return values
