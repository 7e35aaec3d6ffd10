"""Sandbox images: the bundled Dockerfiles per agent, and making sure an image exists.

Bundled images are tagged ``wallfacer-<agent>:<app version>-<hash of the
Dockerfile>``, never ``latest``, so a tag always means the same build. An
image the user names from a registry is pulled instead. Both report progress
line by line through a callback.

Talks to the engine through ``runner.containers``; ``server.images`` runs it in
the background and shows its progress.
"""
