"""HTTP handlers, grouped by resource. They parse and validate requests, call
``server.tasks``, and shape JSON; they hold no lifecycle logic of their own."""
