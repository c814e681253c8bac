"""VIMs seen from lifecycle: the cloud accounts the nova and heat drivers build in.

``credentials`` decrypts a VIM's secret for a driver, ``checks`` asks its Keystone whether
it is usable, ``checker`` runs those checks beside the consumer, ``handlers`` records the
api's VIM commands, ``rotation`` re-encrypts the stored secrets, ``repository`` is the table.
"""
