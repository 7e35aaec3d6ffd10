"""The board: task state, its rules, and the HTTP face of both.

Owns the SQLite store (``store``), the task lifecycle and its one transition
table (``states``), the live event fan-out (``events``) and the HTTP API
(``routes``, ``api``, ``auth``). Its parts are built in one place
(``services``) and wired into aiohttp in ``app``:

- ``lifecycle``: the one door to a status change;
- ``tasks``: what a person can do (the API's verbs), the text they write checked in
  ``drafts``;
- ``runs`` (with ``launch``, ``output``, ``slots``): an agent's run in its container;
- ``outcomes``: where a run leaves its task, as pure functions;
- ``landing``: accept's commit, rebase and fast-forward, and what follows (across
  repositories, ``spans`` and ``runner.landall``);
- ``side``: sessions beside a task's run: the verifier (``verify``) and the
  helpers that write titles and commit messages (``helpers``);
- ``previews``: a running task's port the person names, on an origin of its own
  (the host names both servers answer to in ``hosts``);
- ``recovery``: truthful states after a restart;
- ``images``: each agent's sandbox image, prepared in the background;
- ``config`` (each setting checked in ``validation``), ``settings``: what a person may
  change, and what the command line fixed.

Talks to: ``runner`` (Docker and git, never HTTP). Driven by: ``app``.
Never imports ``app``.
"""
