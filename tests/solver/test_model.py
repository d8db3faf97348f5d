"""The routing model's own pieces, apart from a whole solve."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.constraint_solver import pywrapcp

from solver.model import register_matrix


@settings(max_examples=25, deadline=None)
@given(data=st.data(), nodes=st.integers(3, 7), vehicles=st.integers(1, 3))
def test_a_registered_matrix_reads_node_to_node_at_every_routing_index(
    data: st.DataObject, nodes: int, vehicles: int
) -> None:
    """Routing indices are not nodes once vehicles start and end apart; the transit must map them."""
    node = st.integers(0, nodes - 1)
    starts = [data.draw(node) for _ in range(vehicles)]
    ends = [data.draw(node) for _ in range(vehicles)]
    matrix = [[data.draw(st.integers(0, 10_000)) for _ in range(nodes)] for _ in range(nodes)]
    leaving = [data.draw(st.integers(0, 500)) for _ in range(nodes)]
    manager = pywrapcp.RoutingIndexManager(nodes, vehicles, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    plain = register_matrix(routing, manager, matrix)
    with_leaving = register_matrix(routing, manager, matrix, leaving)
    routing.AddDimension(plain, 0, 10**9, True, "plain")
    routing.AddDimension(with_leaving, 0, 10**9, True, "leaving")
    first, second = routing.GetDimensionOrDie("plain"), routing.GetDimensionOrDie("leaving")
    indices = range(routing.Size() + routing.vehicles())
    for i in indices:
        for j in indices:
            a, b = manager.IndexToNode(i), manager.IndexToNode(j)
            assert first.GetTransitValue(i, j, 0) == matrix[a][b]
            assert second.GetTransitValue(i, j, 0) == leaving[a] + matrix[a][b]
