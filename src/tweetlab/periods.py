"""Periods of time that tweets are counted in (``analyze --by day|week|month|hour``): the
pandas frequency of each, their names and how reports describe them.

>>> import numpy as np
>>> period_names(np.array(["2024-01-03T10:00"], dtype="datetime64[s]"), "week")
['2024-01-01']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# "auto" counts days, then weeks or months when the days span more than AUTO_MAX_PERIODS.
PERIODS = {"auto": "D", "hour": "h", "day": "D", "week": "W-SUN", "month": "M", "all": ""}


def describe_period(by: str) -> str:
    """How tweets were counted, for reports: ``per week``, or all together (no dates)."""
    return "all tweets together (no dates)" if by == "all" else f"per {by}"


def period_names(stamps: np.ndarray, by: str) -> list[str]:
    """Names of the ``by`` periods holding ``stamps`` (datetime64): ``2024-01-01`` (day),
    ``2024-01-01 13:00`` (hour), the Monday ``2024-01-01`` (week), ``2024-01`` (month)."""
    import pandas as pd  # lazy: pandas: slow to import

    names = pd.DatetimeIndex(stamps.astype("datetime64[s]")).to_period(PERIODS[by]).astype(str)
    if by == "week":
        return [p.split("/")[0] for p in names]
    return list(names)


def all_periods(names: Sequence[str], by: str | None, limit: int = 5000) -> list[str] | None:
    """Every ``by`` period from the first to the last of ``names`` (periods without tweets
    included, so that a time axis has no silent jumps); None when that is not possible
    (other names, or more than ``limit`` periods).

    >>> all_periods(["2024-01", "2024-03"], "month")
    ['2024-01', '2024-02', '2024-03']
    >>> all_periods(["2024-01-01", "2024-01-15"], "week")
    ['2024-01-01', '2024-01-08', '2024-01-15']
    """
    import pandas as pd  # lazy: pandas: slow to import

    if by not in ("hour", "day", "week", "month") or not len(names):
        return None
    try:
        periods = [pd.Period(str(x), freq=PERIODS[by]) for x in names]
    except (ValueError, TypeError):
        return None
    full = pd.period_range(min(periods), max(periods), freq=PERIODS[by])
    if len(full) > limit:
        return None
    return period_names(full.start_time.values, by)
