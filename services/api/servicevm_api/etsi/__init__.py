"""Conventions of the ETSI NFV interfaces (``/vnflcm``, ``/vnfpkgm``), for their routers.

- ``problem``: ProblemDetails errors (``application/problem+json``) on those prefixes only;
- ``version``: the supported versions, ``Version`` negotiation and ``api_versions``;
- ``middleware``: 406 for an unsupported ``Version``, ``Version`` on every response,
  canonical header name case, inner middlewares' JSON errors as ProblemDetails;
- ``headers``: canonical header name case;
- ``selectors``: SOL013 attribute-based filtering (``filter=``);
- ``fields``: SOL013 attribute selectors (``all_fields``, ``fields``, ``exclude_*``);
- ``paging``: ``nextpage_opaque_marker`` paging, the ``Link`` header, list parameters;
- ``listing``: a list request end to end (parse the query, filter, page, select);
- ``pages``: the routes' absolute links and list pages, as HTTP responses.

Wiring (by the app's builder, after its own error handlers)::

    install_problem_handlers(app)
    app.add_middleware(EtsiHeadersMiddleware)
    app.include_router(api_versions_router())
"""
