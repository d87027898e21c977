"""The expression language (rules.expr) and, later, the rule engine."""
