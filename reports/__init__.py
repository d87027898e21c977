"""The report engine: datasets, SQL-side aggregation, pivots, charts, dashboards, exports (to come)."""
