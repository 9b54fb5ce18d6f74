"""Numbers as people read them.

>>> percent(0.9996), percent(1.0), percent(0.4321), percent(0.99949, 0)
('>99.9%', '100.0%', '43.2%', '>99%')
"""

from __future__ import annotations


def percent(p: float, digits: int = 1) -> str:
    """``p`` as a percentage that never rounds a probability below 1 up to 100%: a
    confidence shown as "100%" reads as certainty, which a model never has."""
    floor = 1 - 0.5 * 10 ** -(digits + 2)  # the smallest p that would round to 100%
    if floor <= p < 1:
        return f">{100 - 10 ** -digits:.{digits}f}%" if digits else ">99%"
    return f"{p:.{digits}%}"
