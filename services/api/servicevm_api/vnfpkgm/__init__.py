"""VNF package management, ETSI SOL005 subset (``/vnfpkgm/v1``), as one feature package.

- ``schemas``: request bodies (CreateVnfPkgInfoRequest, VnfPkgInfoModifications);
- ``rendering``: a package row as VnfPkgInfo, and the list's selectors (pure);
- ``onboarding``: what a parsed package becomes (templates, package info, failure) (pure);
- ``repository``: the ``api.vnf_packages`` table's queries;
- ``service``: the use cases (create, list, modify, delete, upload, fetch content);
- ``handlers``: the onboarding command's handler (the api consumes ``api.#`` commands);
- ``routes`` / ``content_routes``: the HTTP interface.

Onboarding runs in the background and survives crashes: ``PUT package_content`` stores the
zip, moves the package to UPLOADING and queues ``api.onboard_vnf_package`` in the same
transaction; the handler moves it to PROCESSING (one commit), then parses the VNFD, creates
one device template per flavour and VDU and marks it ONBOARDED, with the message recorded as
processed, in a second commit. A redelivery finds it ONBOARDED (or a newer upload) and stops.
"""
