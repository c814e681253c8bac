"""The api's use cases: one function per write (taking a unit of work and the caller) and
the queries beside it. Callable without an HTTP request; the routes only translate."""
