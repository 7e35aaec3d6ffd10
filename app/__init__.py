"""The shell a user starts: the command line, the tray and the native window.

Turns flags and their environment fallbacks into ``server.settings.Settings``
and serves ``server.app``, headless (``main``) or on a thread beside the tray
and window (``desktop``, ``server_thread``, ``tray``, ``window``); the
subcommands (``commands``) manage a data dir without serving.

Talks to: ``server`` only. It reaches Docker and git only through it.
"""

import warnings

# The bundle leaves out requests' charset detection (see build.spec); say nothing about it.
warnings.filterwarnings("ignore", message="Unable to find acceptable character detection")
