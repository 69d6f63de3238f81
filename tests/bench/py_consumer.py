#!/usr/bin/env python3
"""Reference consumer: Python `websockets` + `json.loads` per message, the way
a Python desk tool reads Upbit. Prints frames=N first_ns=F last_ns=L after
--idle-ms without data. Usage: py_consumer.py PORT [--idle-ms MS]"""
import asyncio
import json
import sys
import time

import websockets


async def main(port, idle):
    n, first, last = 0, 0, 0
    sub = '[{"ticket":"bench"},{"type":"ticker","codes":["KRW-BTC"]}]'
    async with websockets.connect("ws://127.0.0.1:%d/websocket/v1" % port, compression=None,
                                  max_size=None, ping_interval=None) as ws:
        await ws.send(sub)
        while True:
            try:
                msg = await asyncio.wait_for(ws.recv(), idle if n else 60)
            except asyncio.TimeoutError:
                break
            json.loads(msg)
            last = time.time_ns()
            if not n:
                first = last
            n += 1
    print("frames=%d first_ns=%d last_ns=%d" % (n, first, last))


if __name__ == "__main__":
    idle_ms = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--idle-ms" else 1500
    asyncio.run(main(int(sys.argv[1]), idle_ms / 1000))
