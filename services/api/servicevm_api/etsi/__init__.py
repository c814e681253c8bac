"""Conventions of the ETSI NFV interfaces (``/vnflcm``, ``/vnfpkgm``), for their routers.

- ``problem``: ProblemDetails errors (``application/problem+json``) on those prefixes only;
- ``version``: the ``Version`` header (406 for an unsupported one) and ``api_versions``;
- ``headers``: canonical header name case on ETSI responses;
- ``selectors``: SOL013 attribute-based filtering (``filter=``);
- ``fields``: SOL013 attribute selectors (``all_fields``, ``fields``, ``exclude_*``);
- ``paging``: ``nextpage_opaque_marker`` paging, the ``Link`` header, list parameters.

Wiring (by the app's builder, after its own error handlers)::

    install_problem_handlers(app)
    app.add_middleware(EtsiHeadersMiddleware)
    app.include_router(api_versions_router())
"""
