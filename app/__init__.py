"""The shell a user starts: the command line now; the tray and native window later.

It turns flags and environment into ``server.settings.Settings`` and runs
``server.app``. It knows nothing of Docker or git beyond validating repo paths.
"""

import warnings

# The bundle leaves out requests' charset detection (see build.spec); say nothing about it.
warnings.filterwarnings("ignore", message="Unable to find acceptable character detection")
