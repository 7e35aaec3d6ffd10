"""``python -m app`` runs the same entry point as the ``wallfacer`` command."""

from app.main import main

raise SystemExit(main())
