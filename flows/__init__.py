"""The process engine: approval flows, instances, tasks, approver resolution, timers (to come)."""
