"""Not an MCP server: prints noise on stdout and never answers; ends when its stdin closes."""

import sys

for _ in range(3):
    print("this is not JSON-RPC", flush=True)
sys.stdin.read()
