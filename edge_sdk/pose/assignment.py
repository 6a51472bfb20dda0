"""Maximum-weight matching of a small rows x columns weight table (tracks x detections).

Pure Python (the tables are a handful of people a side): the Hungarian algorithm with potentials,
O(n^2 m) for n <= m, on the negated weights.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["max_weight_pairs"]


def max_weight_pairs(w: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """(row, column) pairs, each row and column at most once, with the largest total weight; only
    pairs of positive weight are returned (a weight of 0 means "may not pair"). ``w``: rows of
    non-negative weights, all of one length."""
    n = len(w)
    m = len(w[0]) if n else 0
    if not n or not m:
        return []
    flip = n > m
    if flip:
        w = [list(c) for c in zip(*w)]
        n, m = m, n
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (m + 1)  # potentials of rows and columns (1-based, 0: a virtual one)
    match, way = [0] * (m + 1), [0] * (m + 1)  # match[column] = its row (0: none)
    for i in range(1, n + 1):
        match[0], j0 = i, 0
        minv, used = [inf] * (m + 1), [False] * (m + 1)
        while True:  # grow an alternating tree from row i until it reaches a free column
            used[j0] = True
            i0, delta, j1 = match[j0], inf, 0
            row, ui = w[i0 - 1], u[i0]
            for j in range(1, m + 1):
                if not used[j]:
                    cur = -row[j - 1] - ui - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[match[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if match[j0] == 0:
                break
        while j0:  # flip the path
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    pairs = [(match[j] - 1, j - 1) for j in range(1, m + 1) if match[j] and w[match[j] - 1][j - 1] > 0]
    return [(c, r) for r, c in pairs] if flip else pairs
