"""SOL003 subscriptions to VNF lifecycle change notifications (``/vnflcm/v1/subscriptions``,
SOL003 5.4.18-19).

mgmt makes the notifications and delivers them, so mgmt owns the subscriptions (with their
secrets, encrypted here at once); the api keeps the view clients read (no secret) with the
delivery state mgmt reports, and sends mgmt the commands, as for ``/v1.0/subscriptions``.

- ``schemas``: LccnSubscriptionRequest (pydantic);
- ``probe``: the test GET of a new callback (204 expected);
- ``service``: create (303 for a duplicate), read, list, delete, re-send (no HTTP request);
- ``rendering``: a row as LccnSubscription (pure);
- ``handlers``: the delivery state mgmt reports;
- ``routes``: the HTTP interface.
"""
