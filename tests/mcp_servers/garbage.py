"""Not an MCP server: prints noise on stdout and never answers."""

import sys
import time

for _ in range(200):
    print("this is not JSON-RPC", flush=True)
    time.sleep(0.05)
sys.stdin.read()
