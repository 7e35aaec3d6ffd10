"""A free TCP port on 127.0.0.1 for a server a test starts, picked before it binds.

Below Linux's ephemeral range (32768 and up), where the outgoing connections of
the suite's parallel workers take their ports: a port picked there could be
taken by one of them between this pick and the server's bind.
"""

from __future__ import annotations

import random
import socket

LOW, HIGH = 20_000, 32_767


def free_port() -> int:
    while True:
        port = random.randint(LOW, HIGH)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
