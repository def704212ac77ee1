"""A loopback server that answers any POST with one Messages stream of about
SIZE bytes (text_delta events of 900 characters), for measuring end-to-end
stream throughput and memory by hand. Not part of `cargo test`.

    python3 scripts/big_sse_server.py PORT [SIZE]      # SIZE defaults to 100000000

then, in another shell:

    /usr/bin/time -f "%e s %M KB" claudetui send --base-url http://127.0.0.1:PORT --no-history body.json >/dev/null
    /usr/bin/time -f "%e s %M KB" curl -s -o /dev/null -X POST -d @body.json http://127.0.0.1:PORT/v1/messages
"""

import http.server
import json
import socketserver
import sys

SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000_000


def event(name, payload):
    return f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()


START = event("message_start", {"type": "message_start", "message": {
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
    "content": [], "stop_reason": None, "usage": {"input_tokens": 5, "output_tokens": 1}}}) + \
    event("content_block_start", {"type": "content_block_start", "index": 0,
                                  "content_block": {"type": "text", "text": ""}})
DELTA = event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": "x" * 900}})
END = event("content_block_stop", {"type": "content_block_stop", "index": 0}) + \
    event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                            "usage": {"output_tokens": 100}}) + \
    event("message_stop", {"type": "message_stop"})
BLOCK = DELTA * 64


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

        def chunk(data):
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

        chunk(START)
        sent = 0
        while sent < SIZE:
            chunk(BLOCK)
            sent += len(BLOCK)
        chunk(END)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
