"""HTTP subscriptions to notifications, and their deliveries (the HTTP outbox).

``rules`` (pure) says which subscriptions a notification goes to and when a failed delivery
is tried again; ``notifier`` writes a notification with the deliveries it owes; ``delivery``
sends one; ``handlers`` records the api's subscription commands; ``rotation`` re-encrypts
their secrets; ``repository`` is the tables. The deliverer job is in ``jobs``.
"""
