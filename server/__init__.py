"""The board: task state, its rules, and the HTTP face of both.

The server owns the SQLite store (``store``), the task lifecycle and its one
transition table (``states``, ``tasks``, ``runs``), the live event fan-out
(``events``) and the HTTP API (``routes``, ``api``, ``auth``). It reaches Docker
and git only through ``runner``, and is driven by ``app``.
"""
