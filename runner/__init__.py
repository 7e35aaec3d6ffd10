"""Everything that touches Docker or git, and nothing that knows about HTTP.

The runner owns containers (``containers``), git worktrees (``worktrees``), the
accept pipeline (``merge``) and the agent adapters that turn CLI output into
neutral events (``agents``). Its API is synchronous: the server calls it from
its one executor and hands it plain values and callbacks, never server types.
"""
