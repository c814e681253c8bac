"""VNF lifecycle management (ETSI SOL003): a VNF instance is an aggregate owning its VNFCs,
each an ordinary device; an operation occurrence is a persisted plan of device steps.

``domain`` computes plans and the op occ state machine (pure), ``repository`` reads and
writes the tables, ``handlers`` runs the commands, ``hooks`` advances an op when one of its
devices changes (called by the device handlers in their own transaction).
"""
