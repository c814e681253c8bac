"""VNF lifecycle management, ETSI SOL003 (``/vnflcm/v1``), as one feature package.

- ``schemas``: the request bodies (CreateVnfRequest, VnfInfoModificationRequest and each
  task's request), pydantic;
- ``states``: the op occ states and where each action is allowed (pure);
- ``rendering``: rows as VnfInstance / VnfLcmOpOcc, snapshots as instantiatedVnfInfo (pure);
- ``repository``: the ``api.vnf_instances`` and ``api.vnf_lcm_op_occs`` queries;
- ``instances`` / ``tasks`` / ``opoccs``: the use cases (no HTTP request);
- ``handlers``: the projection of lifecycle's ``vnf_lcm_op_occ.changed`` and
  ``vnf_instance.changed`` events;
- ``routes`` / ``task_routes`` / ``opocc_routes``: the HTTP interface;
- ``announce``: the facts mgmt turns into SOL003 notifications (instance created or
  deleted, op occ started), published in the transaction of the change;
- ``subscriptions``: ``/vnflcm/v1/subscriptions`` (its own package).

The api owns the VNF instance record and decides every 409: a task locks the instance row,
checks its instantiationState and that no op occ is in progress, inserts the op occ
STARTING, sets ``operation_in_progress`` and publishes ``RunVnfLcmOperation``, all in one
transaction. A unique partial index (one op occ per VNF outside COMPLETED, FAILED,
ROLLED_BACK) makes the rule hold even if two api replicas raced past the check.
"""
