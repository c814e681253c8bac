"""HTTP subscriptions to notifications, and their deliveries (the HTTP outbox).

``rules`` (pure) says which subscriptions a notification goes to and when a failed delivery
is tried again; ``notifier`` writes a notification with the deliveries it owes; ``delivery``
sends one; ``handlers`` records the api's subscription commands; ``rotation`` re-encrypts
their secrets; ``repository`` is the tables; ``state`` reports the SOL003 subscriptions'
delivery state to the api. The deliverer and state jobs are in ``jobs``; the SOL003
notifications themselves are made in ``sol003``.
"""
