"""HTTP handlers, grouped by resource.

They parse and validate requests, call a part of ``server.services`` (most
often ``tasks``), and shape JSON; they hold no lifecycle logic and never reach
``runner`` themselves. ``common`` has the parsing helpers and the app key for
the services; ``errors`` is the one middleware that turns exceptions into
``{"error": ...}`` responses; the route table in ``server.routes`` lists them.
``ship`` is the one that names ``runner``: it caps a remote run's upload by the
limit ``runner.shipping`` reads it with.
"""
