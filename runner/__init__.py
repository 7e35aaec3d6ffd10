"""Everything that touches Docker or git, and nothing that knows about HTTP.

Owns containers (``containers``, through the engine's socket, ``sockets``;
what each is made of, ``runspec``; ``egress``; where the host reaches one,
``reach``) and the backends that run them (``backends``: this machine's
engine, or a cluster whose runs' files are shipped, ``shipping``, ``remote``:
a Swarm, ``swarm``, with its proxy, ``swarmnet``, and its nodes' engines,
``swarmnodes``; Kubernetes, ``kube``, ``kubemanifests``, ``kubeegress``),
the user's repositories (``repos``), each
task's own workspace and home (``workspaces``, ``homes``, ``trees``), the
accept pipeline (``merge``; across repositories, ``landall``), sandbox images
(``images``) and the agent adapters that turn CLI output into neutral events
(``agents``).
Typed failures are in ``errors``.

Its API is synchronous: ``server`` calls it from worker threads and hands it
plain values and callbacks, never server types. Imports neither ``server``
nor ``app`` (nor ``aiohttp``); the import-linter contract in pyproject.toml
checks that.
"""
