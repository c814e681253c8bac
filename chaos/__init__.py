"""The fault suite (``make chaos``): the suite as replicas under a steady load, faults
injected one after another, and the figures that say whether anything was lost, stuck,
orphaned, booted twice or notified out of order.

Modules: servers (private RabbitMQ and PostgreSQL), stack (replicas, simulator), client
(REST over every api replica), setup (templates, VIM, package), load (the workers),
ledger (operations and outcomes), bus (duplicate delivery, poison), watch (notification
order, clouds' census), faults, report, run (one run start to end).
"""
