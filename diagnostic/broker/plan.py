"""A plan of introductions for a round: each council in at most N, the total score as large as
possible. Pure (no database); the solvers are well-kept libraries, never a greedy loop.

- N = 1: a maximum-weight matching (rustworkx's Edmonds blossom algorithm, compiled): exact.
- N > 1: a maximum-weight b-matching written as an integer program, one 0/1 variable per
  mutual pair, one capacity row per council, solved by HiGHS through `scipy.optimize.milp`.
  HiGHS stops once it has proved its plan within REL_GAP (0.01 %) of the best possible, or at
  the time limit; the plan is called optimal only when the proven gap is 0, otherwise it says
  how far from the best it can be (`Plan.gap`).

At national scale there are millions of mutual pairs, so both solve a *pruned* problem: each
council's best pairs (`KEEP_PER_COUNCIL` × N of them), grown until a certificate shows that no
left-out pair can be in a better plan (`_certified`): the dual prices of the LP relaxation
(HiGHS) bound the total of any plan that uses a left-out pair; when that bound is no more than
the plan found, the plan is optimal for all the pairs, not only the kept ones. Pairs that fail
the test are added and the problem solved again. For N > 1, if time runs out first, the gap
reported is against a bound that covers the left-out pairs too, so it is never flattering.

`method="networkx"` (networkx's pure-Python matching) and `method="ip"` (the integer program
on every pair, no pruning) are the independent checks in the tests and the benchmark.

docs/decisions/0014-broker-plan-solvers.md and 0029 say why, and what is optimal.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

Pair = tuple[int, int]
REL_GAP = 1e-4
PRUNE_ABOVE = 100_000  # pairs; fewer are solved whole (the scale-1 round has about 13,000)
KEEP_PER_COUNCIL = 12  # each council's best pairs kept in the first pruned problem, for N = 1
KEEP_MORE_PER_N = 4  # and this many more for each introduction above one
WEIGHT_SCALE = 10**9  # the matching takes whole numbers: scores to 9 decimals (scoring.TIE_DIGITS)
TOL = 1e-9
CG_ROUNDS = 30  # column generation rounds at most (then the prices found so far serve)


@dataclass(frozen=True)
class Plan:
    pairs: list[Pair]  # (lower id, higher id), ordered by score, best first
    total: float
    capacity: int
    optimal: bool
    method: str
    gap: float = 0.0  # proven relative gap to the optimum when not optimal
    pairs_considered: int = 0  # mutual pairs in the round
    pairs_kept: int = 0  # pairs in the pruned problem solved last


@dataclass(frozen=True)
class Edges:
    a: np.ndarray  # council ids, a < b
    b: np.ndarray
    w: np.ndarray  # scores, all > 0

    @classmethod
    def of(cls, scores) -> Edges:
        """From {(a, b): score} or `scoring.PairArrays`; only pairs with a positive score."""
        if isinstance(scores, Mapping):
            pairs: dict[Pair, float] = {}
            for (x, y), w in scores.items():
                if w > 0 and x != y:
                    pairs.setdefault((min(x, y), max(x, y)), w)  # one pair once
            a = np.array([p[0] for p in pairs], dtype=np.int64)
            b = np.array([p[1] for p in pairs], dtype=np.int64)
            w = np.array(list(pairs.values()), dtype=np.float64)
        else:  # scoring.PairArrays: each pair once, a < b
            w = np.asarray(scores.score, dtype=np.float64)
            keep = w > 0
            a, b, w = scores.a[keep], scores.b[keep], w[keep]
        return cls(a, b, w)

    def __len__(self) -> int:
        return len(self.w)

    def pairs(self) -> list[Pair]:
        return list(zip(self.a.tolist(), self.b.tolist(), strict=True))

    def weights(self) -> dict[Pair, float]:
        return dict(zip(self.pairs(), self.w.tolist(), strict=True))

    def subset(self, mask: np.ndarray) -> Edges:
        return Edges(self.a[mask], self.b[mask], self.w[mask])


def solve(
    scores,
    capacity: int = 1,
    *,
    time_limit: float | None = None,
    method: str = "",
) -> Plan:
    """The pairs to introduce: every council in at most `capacity`, maximum total score.

    `scores`: {(a, b): score} or `scoring.PairArrays`. `method`: "matching" (rustworkx,
    capacity 1: the default for 1), "ip" (HiGHS on every pair, any capacity), "pruned-ip" (HiGHS
    on the certified pruned problem: the default above 1) or "networkx" (capacity 1)."""
    method = method or ("matching" if capacity == 1 else "pruned-ip")
    if capacity < 1:
        raise ValueError("Each council needs room for at least one introduction.")
    if method in ("matching", "networkx") and capacity != 1:
        raise ValueError("A matching gives each council at most one introduction.")
    edges = Edges.of(scores)
    if not len(edges):
        return Plan([], 0.0, capacity, True, "nothing to match")
    kept = len(edges)
    if method == "networkx":
        chosen, optimal, gap = _networkx(edges), True, 0.0
        label = "maximum-weight matching (networkx)"
    elif method == "ip":
        chosen, total, bound = _integer_program(edges, capacity, time_limit)
        gap = _gap(total, bound)
        optimal = gap <= TOL
        label = "integer program (HiGHS via scipy)"
    elif len(edges) <= PRUNE_ABOVE:
        if method == "matching":
            chosen, optimal, gap = _rustworkx(edges)[0], True, 0.0
            label = "maximum-weight matching (rustworkx)"
        else:
            chosen, total, bound = _integer_program(edges, capacity, time_limit)
            gap = _gap(total, bound)
            optimal = gap <= TOL
            label = "integer program (HiGHS via scipy)"
    else:
        exact = method == "matching"
        chosen, gap, kept = _certified(edges, capacity, time_limit, exact=exact)
        optimal = gap <= TOL
        label = (
            "maximum-weight matching (rustworkx)" if exact else "integer program (HiGHS via scipy)"
        ) + " on each council's best pairs, certified by LP prices"
    weight = edges.weights()
    chosen.sort(key=lambda p: (-weight[p], p))
    total = sum(weight[p] for p in chosen)
    return Plan(chosen, total, capacity, optimal, label, gap, len(edges), kept)


def _gap(total: float, bound: float) -> float:
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - total) / bound) if bound - total > TOL * max(1.0, bound) else 0.0


def _top_per_node(edges: Edges, k: int) -> np.ndarray:
    """A mask of the pairs that are among the k best of at least one of their councils."""
    m = len(edges)
    by_score = np.argsort(-edges.w, kind="stable")
    ends = np.concatenate([edges.a[by_score], edges.b[by_score]])
    idx = np.concatenate([by_score, by_score])
    order = np.argsort(ends, kind="stable")  # by council, best pair first within each
    ends, idx = ends[order], idx[order]
    starts = np.r_[0, np.flatnonzero(ends[1:] != ends[:-1]) + 1]
    rank = np.arange(len(ends)) - np.repeat(starts, np.diff(np.r_[starts, len(ends)]))
    mask = np.zeros(m, dtype=bool)
    mask[idx[rank < k]] = True
    return mask


def _nodes(edges: Edges) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The councils, and each pair's two ends as row numbers."""
    nodes, inverse = np.unique(np.concatenate([edges.a, edges.b]), return_inverse=True)
    return nodes, inverse[: len(edges)], inverse[len(edges) :]


def _lp_prices(
    edges: Edges, mask: np.ndarray, capacity: int, ends=None
) -> tuple[np.ndarray, np.ndarray]:
    """The dual prices y ≥ 0 of the councils' capacity rows in the LP relaxation over the
    pairs in `mask` (HiGHS), indexed like `_nodes(edges)[0]`; and the LP's solution x (0
    outside `mask`)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    nodes, ra, rb = ends or _nodes(edges)
    sub = np.flatnonzero(mask)
    rows = np.concatenate([ra[sub], rb[sub]])
    cols = np.concatenate([np.arange(len(sub)), np.arange(len(sub))])
    a_ub = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(sub))).tocsr()
    res = linprog(
        -edges.w[sub], A_ub=a_ub, b_ub=np.full(len(nodes), float(capacity)),
        bounds=(0, 1), method="highs",
    )  # fmt: skip
    if res.status != 0:
        raise RuntimeError(f"The LP relaxation was not solved: {res.message}")
    x = np.zeros(len(edges))
    x[sub] = res.x
    return np.maximum(0.0, -np.asarray(res.ineqlin.marginals)), x


def _certified(edges: Edges, capacity: int, time_limit: float | None, *, exact: bool):
    """Solve on each council's best pairs, then prove that no left-out pair could improve the
    plan; add the pairs that might and solve again (see the module's docstring).

    For any prices y ≥ 0, D = Σ capacity·y_v + Σ_pairs max(0, w − y_a − y_b) bounds the total
    of every plan (weak LP duality), and a plan that uses a pair e has total at most
    D + min(0, w_e − y_a − y_b). So once that is ≤ the plan found for every left-out pair, the
    plan is as good as any that uses all the pairs. Returns (pairs, proven gap, pairs kept)."""
    nodes, ra, rb = _nodes(edges)
    mask = _top_per_node(edges, KEEP_PER_COUNCIL + KEEP_MORE_PER_N * (capacity - 1))
    # Prices from the LP over the kept pairs, improved while a left-out pair is priced above its
    # score (column generation), so that the bound D is as tight as the LP relaxation allows.
    for _ in range(CG_ROUNDS):
        y, x = _lp_prices(edges, mask, capacity, (nodes, ra, rb))
        slack = edges.w - y[ra] - y[rb]
        priced_out = ~mask & (slack > TOL)
        if not priced_out.any():
            break
        mask |= priced_out
    bound_all = capacity * y.sum() + np.maximum(0.0, slack).sum()
    # With these prices fixed, at most two solves: on the kept pairs, then (when some left-out
    # pair could still be in a better plan) with those pairs added, after which none can be.
    # The time limit is HiGHS's, over both solves.
    left = time_limit or None
    for attempt in range(2):
        sub = edges.subset(mask)
        if exact:
            chosen, total = _rustworkx(sub)
            sub_bound = total
        else:
            started = time.monotonic()
            start = _rounded(edges, x, capacity, (nodes, ra, rb))[mask]
            chosen, total, sub_bound = _integer_program(sub, capacity, left, fallback=start)
            if left is not None:
                left -= time.monotonic() - started
        risky = ~mask & (bound_all + np.minimum(0.0, slack) > total + TOL * max(1.0, total))
        if not risky.any():
            bound = min(bound_all, max(sub_bound, total))
            return chosen, _gap(total, bound), int(mask.sum())
        if attempt == 1 or (left is not None and left < 1.0):
            worst = bound_all + np.minimum(0.0, slack[risky]).max()
            bound = min(bound_all, max(sub_bound, worst, total))
            return chosen, _gap(total, bound), int(mask.sum())
        mask |= risky
    raise AssertionError("unreachable")


def _rustworkx(edges: Edges) -> tuple[list[Pair], float]:
    """Exact maximum-weight matching; rustworkx takes whole-number weights, so the scores are
    counted in billionths (scores equal to 9 decimals are ties anyway)."""
    import rustworkx as rx

    nodes, ra, rb = _nodes(edges)
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(nodes.tolist())
    weights = np.rint(edges.w * WEIGHT_SCALE).astype(np.int64)
    graph.add_edges_from(list(zip(ra.tolist(), rb.tolist(), weights.tolist(), strict=True)))
    matched = rx.max_weight_matching(graph, max_cardinality=False, weight_fn=lambda w: w)
    chosen = [(int(min(nodes[u], nodes[v])), int(max(nodes[u], nodes[v]))) for u, v in matched]
    weight = edges.weights()
    return chosen, sum(weight[p] for p in chosen)


def _rounded(edges: Edges, x: np.ndarray, capacity: int, ends=None) -> np.ndarray:
    """A plan within capacity from the LP's solution: its whole pairs (x = 1), then pairs with
    room at both ends, best first. Only a fallback for when HiGHS ran out of time before it
    found any plan; its gap to the LP bound is reported, it is never called optimal."""
    nodes, ra, rb = ends or _nodes(edges)
    load = np.zeros(len(nodes), dtype=np.int64)
    take = np.zeros(len(edges), dtype=bool)
    candidates = np.flatnonzero(x > 1e-6)
    for k in candidates[np.lexsort((-edges.w[candidates], -x[candidates]))].tolist():
        if load[ra[k]] < capacity and load[rb[k]] < capacity:
            take[k] = True
            load[ra[k]] += 1
            load[rb[k]] += 1
    return take


def _networkx(edges: Edges) -> list[Pair]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_weighted_edges_from(
        zip(edges.a.tolist(), edges.b.tolist(), edges.w.tolist(), strict=True)
    )
    return [(min(a, b), max(a, b)) for a, b in nx.max_weight_matching(graph)]


def _integer_program(
    edges: Edges, capacity: int, time_limit: float | None, *, fallback: np.ndarray | None = None
):
    """HiGHS on the integer program (one 0/1 variable per pair, one capacity row per council).
    Returns (pairs, total, proven upper bound on the best total). When HiGHS has found no plan
    at all by the time limit, the `fallback` plan (a mask of `edges`) is returned with a bound
    of infinity (the caller's LP bound then gives the gap)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    nodes, ra, rb = _nodes(edges)
    m = len(edges)
    rows = np.concatenate([ra, rb])
    cols = np.concatenate([np.arange(m), np.arange(m)])
    a_ub = coo_matrix((np.ones(2 * m), (rows, cols)), shape=(len(nodes), m)).tocsr()
    options = {"mip_rel_gap": REL_GAP}
    if time_limit:
        options["time_limit"] = time_limit
    result = milp(
        c=-edges.w,
        constraints=[LinearConstraint(a_ub, -np.inf, np.full(len(nodes), float(capacity)))],
        integrality=np.ones(m),
        bounds=Bounds(0, 1),
        options=options,
    )
    if result.x is None:
        if fallback is not None:
            return edges.subset(fallback).pairs(), float(edges.w[fallback].sum()), np.inf
        raise RuntimeError(f"The solver found no plan: {result.message}")
    take = result.x > 0.5
    chosen = edges.subset(take).pairs()
    total = float(edges.w[take].sum())
    dual = getattr(result, "mip_dual_bound", None)
    if dual is None or not np.isfinite(dual):
        gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
        bound = total / (1 - gap) if gap < 1 else np.inf
    else:
        bound = -float(dual)
    if result.status == 0 and (getattr(result, "mip_gap", 0.0) or 0.0) <= TOL:
        bound = total
    return chosen, total, max(bound, total)


def exhaustive(scores: dict[Pair, float], capacity: int = 1) -> float:
    """The best total by trying every set of pairs: for checking the solvers on small cases."""
    edges = sorted(((min(a, b), max(a, b)), w) for (a, b), w in scores.items() if w > 0)
    best = 0.0

    def walk(i: int, load: dict[int, int], total: float):
        nonlocal best
        if i == len(edges):
            best = max(best, total)
            return
        (a, b), w = edges[i]
        walk(i + 1, load, total)
        if load.get(a, 0) < capacity and load.get(b, 0) < capacity:
            load[a] = load.get(a, 0) + 1
            load[b] = load.get(b, 0) + 1
            walk(i + 1, load, total + w)
            load[a] -= 1
            load[b] -= 1

    walk(0, {}, 0.0)
    return best
