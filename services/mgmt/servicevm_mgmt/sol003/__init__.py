"""The SOL003 VNF lifecycle change notifications (``/vnflcm/v1/subscriptions``).

``filters`` (pure) says whether a subscription's LifecycleChangeNotificationsFilter lets a
notification through; ``notices`` (pure) builds the notifications from the api's and
lifecycle's events; ``records`` keeps what mgmt knows of VNF instances (for the filters)
and the last state notified of each op occ; ``fanout`` publishes a notification on AMQP
and writes one delivery per matching subscription, in the caller's transaction;
``handlers`` ties them to the events. The HTTP deliveries are the same as servicevm's own
(``subscriptions``, ``jobs.deliverer``).
"""
