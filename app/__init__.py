"""The shell a user starts: the command line now; the tray and native window later.

It turns flags and environment into ``server.settings.Settings`` and runs
``server.app``. It knows nothing of Docker or git beyond validating repo paths.
"""
