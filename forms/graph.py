"""The dependency graph of an app's fields, across entities: an edge a -> b means b is computed from
a. Nodes are "entity.field" or "entity.subtable.field". networkx finds cycles (a load-time error
naming the fields) and the order computed fields are worked out in.
"""
from __future__ import annotations

import networkx as nx


class DependencyGraph:
    def __init__(self) -> None:
        self.g = nx.DiGraph()

    def field(self, scope: str, name: str, computed: bool = False) -> str:
        node = f"{scope}.{name}"
        if computed or node not in self.g:
            self.g.add_node(node, computed=computed or self.g.nodes.get(node, {}).get("computed", False))
        return node

    def edge(self, a: str, b: str) -> None:
        self.g.add_edge(a, b)

    def cycles(self) -> list[list[str]]:
        """Each cycle once (a strongly connected component of several fields, or a field reading itself)."""
        out = []
        for comp in nx.strongly_connected_components(self.g):
            if len(comp) > 1:
                sub = self.g.subgraph(comp)
                out.append([a for a, _ in nx.find_cycle(sub)])
            else:
                (n,) = comp
                if self.g.has_edge(n, n):
                    out.append([n])
        return sorted(out)

    def order(self) -> list[str]:
        """Computed nodes in an order where each comes after everything it reads (stable by name)."""
        return [n for n in nx.lexicographical_topological_sort(self.g) if self.g.nodes[n].get("computed")]

    def computed_from(self, node: str) -> set[str]:
        """The computed nodes that read ``node``, directly or through others."""
        return {n for n in nx.descendants(self.g, node) if self.g.nodes[n].get("computed")}
