"""A plan of introductions for a round: each council in at most N, the total score as large as
possible. Pure (no database); the solvers are well-kept libraries, never a greedy loop.

- Any N: a maximum-weight b-matching written as an integer program, one 0/1 variable per
  mutual pair, one capacity row per council, solved by HiGHS through `scipy.optimize.milp`.
  HiGHS stops once it has proved its plan within REL_GAP (0.01 %) of the best possible; the
  plan is called optimal only when the proven gap is 0 (as it was in every benchmark run),
  otherwise it says how far from the best it can be (`Plan.gap`). Asking HiGHS for a gap of
  exactly 0 found the same plans but spent up to six times longer proving it.
- N = 1 can also be solved as a maximum-weight matching (networkx, Edmonds' blossom
  algorithm, exact): `method="matching"`. It is the independent check of the integer program in
  the tests and the benchmark; HiGHS is used by default because it is several times faster on
  a whole round (docs/performance.md).

docs/decisions/0014-broker-plan-solvers.md says why, and what is optimal.
"""

from __future__ import annotations

from dataclasses import dataclass

Pair = tuple[int, int]
REL_GAP = 1e-4


@dataclass(frozen=True)
class Plan:
    pairs: list[Pair]  # (lower id, higher id), ordered by score, best first
    total: float
    capacity: int
    optimal: bool
    method: str
    gap: float = 0.0  # proven relative gap to the optimum when not optimal


def solve(
    scores: dict[Pair, float],
    capacity: int = 1,
    *,
    time_limit: float | None = None,
    method: str = "ip",
) -> Plan:
    """The pairs to introduce: every council in at most `capacity`, maximum total score.

    `method`: "ip" (HiGHS integer program, any capacity) or "matching" (networkx, capacity 1)."""
    if capacity < 1:
        raise ValueError("Each council needs room for at least one introduction.")
    if method == "matching" and capacity != 1:
        raise ValueError("A matching gives each council at most one introduction.")
    edges = {(min(a, b), max(a, b)): w for (a, b), w in scores.items() if w > 0 and a != b}
    if not edges:
        return Plan([], 0.0, capacity, True, "nothing to match")
    if capacity == 1:
        chosen, optimal, gap, method = (
            _matching(edges),
            True,
            0.0,
            "maximum-weight matching (networkx)",
        )
    else:
        chosen, optimal, gap = _integer_program(edges, capacity, time_limit)
        method = "integer program (HiGHS via scipy.optimize.milp)"
    chosen.sort(key=lambda p: (-edges[p], p))
    return Plan(chosen, sum(edges[p] for p in chosen), capacity, optimal, method, gap)


def _matching(edges: dict[Pair, float]) -> list[Pair]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in edges.items())
    return [(min(a, b), max(a, b)) for a, b in nx.max_weight_matching(graph)]


def _integer_program(edges: dict[Pair, float], capacity: int, time_limit: float | None):
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    pairs = list(edges)
    nodes = sorted({v for p in pairs for v in p})
    row = {v: i for i, v in enumerate(nodes)}
    rows = [row[v] for p in pairs for v in p]
    cols = [j for j in range(len(pairs)) for _ in range(2)]
    incidence = coo_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(pairs))
    ).tocsr()
    weights = np.array([edges[p] for p in pairs])
    options = {"mip_rel_gap": REL_GAP}
    if time_limit:
        options["time_limit"] = time_limit
    result = milp(
        c=-weights,
        constraints=[LinearConstraint(incidence, 0, capacity)],
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, 1),
        options=options,
    )
    if result.x is None:
        raise RuntimeError(f"The solver found no plan: {result.message}")
    chosen = [p for p, x in zip(pairs, result.x, strict=True) if x > 0.5]
    gap = max(0.0, float(getattr(result, "mip_gap", 0.0) or 0.0))
    return chosen, result.status == 0 and gap <= 1e-9, gap


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
