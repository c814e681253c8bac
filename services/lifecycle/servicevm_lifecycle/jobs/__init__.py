"""lifecycle's periodic work, run beside the consumer for the life of the process.

Each job is a callable ``job(store, settings)`` that ``bootstrap`` builds and lists in the
ServiceDefinition's ``background``; none is a module-level object.
"""
