"""Platform services every engine shares: the event outbox and its dispatcher, one job table and
its workers, working calendars, notifications, to-dos and the inbox."""
