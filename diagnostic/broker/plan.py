"""A plan of introductions for a round: each council in at most N, the total score as large as
possible. Pure (no database); the solvers are well-kept libraries, never a greedy loop.

- N = 1: a maximum-weight matching (networkx, Edmonds' blossom algorithm): always exact.
- N > 1: a maximum-weight b-matching written as an integer program, one 0/1 variable per
  mutual pair, one capacity row per council, solved by HiGHS through `scipy.optimize.milp`.
  HiGHS stops once it has proved its plan within REL_GAP (0.01 %) of the best possible; the
  plan is called optimal only when the proven gap is 0, otherwise it says how far from the
  best it can be (`Plan.gap`). The integer program also solves N = 1 (`method="ip"`), the
  independent check of the matching in the tests and the benchmark; for N = 1 its LP
  relaxation has fractional odd cycles that can take HiGHS minutes to close, so the matching
  is the default there.

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
    method: str = "",
) -> Plan:
    """The pairs to introduce: every council in at most `capacity`, maximum total score.

    `method`: "matching" (networkx, capacity 1: the default for 1) or "ip" (HiGHS integer
    program, any capacity: the default above 1)."""
    method = method or ("matching" if capacity == 1 else "ip")
    if capacity < 1:
        raise ValueError("Each council needs room for at least one introduction.")
    if method == "matching" and capacity != 1:
        raise ValueError("A matching gives each council at most one introduction.")
    edges = {(min(a, b), max(a, b)): w for (a, b), w in scores.items() if w > 0 and a != b}
    if not edges:
        return Plan([], 0.0, capacity, True, "nothing to match")
    if method == "matching":
        chosen, optimal, gap = _matching(edges), True, 0.0
        label = "maximum-weight matching (networkx)"
    else:
        chosen, optimal, gap = _integer_program(edges, capacity, time_limit)
        label = "integer program (HiGHS via scipy)"
    chosen.sort(key=lambda p: (-edges[p], p))
    return Plan(chosen, sum(edges[p] for p in chosen), capacity, optimal, label, gap)


def _matching(edges: dict[Pair, float]) -> list[Pair]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in edges.items())
    return [(min(a, b), max(a, b)) for a, b in nx.max_weight_matching(graph)]


def _integer_program(edges: dict[Pair, float], capacity: int, time_limit: float | None):
    """HiGHS on the integer program (one 0/1 variable per pair, one capacity row per council)."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    pairs = list(edges)
    nodes = sorted({v for p in pairs for v in p})
    row = {v: i for i, v in enumerate(nodes)}
    rows = [row[v] for p in pairs for v in p]
    cols = [j for j in range(len(pairs)) for _ in range(2)]
    a_ub = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(pairs))).tocsr()
    b_ub = np.full(len(nodes), float(capacity))
    weights = np.array([edges[p] for p in pairs])
    options = {"mip_rel_gap": REL_GAP}
    if time_limit:
        options["time_limit"] = time_limit
    result = milp(
        c=-weights,
        constraints=[LinearConstraint(a_ub, -np.inf, b_ub)],
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
