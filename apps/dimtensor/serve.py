"""dimtensor inference API: unit conversion and dimension checks over HTTP.

GET /health   the process serves (liveness and startup probes)
GET /ready    dimtensor imports and computes (readiness probe)
GET /metrics  Prometheus text format
POST /api/v1/convert  {"value": 3.6, "from_unit": "km", "to_unit": "m"}
"""
import json
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = os.environ.get("HOST", "0.0.0.0")
PORT = int(os.environ.get("PORT", "8080"))
COUNTS = {"ok": 0, "error": 0}
LOCK = threading.Lock()


def dimtensor_ready():
    try:
        from dimtensor import DimArray, units

        DimArray([1.0], units.m)
        return True, "ready"
    except Exception as exc:  # any import or compute failure means not ready
        return False, str(exc)


def convert(body):
    from dimtensor import units

    source = getattr(units, body["from_unit"])
    target = getattr(units, body["to_unit"])
    if source.dimension != target.dimension:
        raise ValueError(f"incompatible dimensions: {source.dimension} vs {target.dimension}")
    return {"value": float(body["value"]) * source.scale / target.scale, "unit": body["to_unit"]}


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, payload, content_type="application/json"):
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def count(self, status):
        with LOCK:
            COUNTS["ok" if status < 400 else "error"] += 1

    def do_GET(self):
        if self.path == "/health":
            return self.reply(200, {"status": "healthy"})
        if self.path == "/ready":
            ok, detail = dimtensor_ready()
            return self.reply(200 if ok else 503, {"status": "ready" if ok else "not ready", "detail": detail})
        if self.path == "/metrics":
            with LOCK:
                lines = ["# TYPE dimtensor_requests_total counter"]
                lines += [f'dimtensor_requests_total{{outcome="{k}"}} {v}' for k, v in sorted(COUNTS.items())]
            return self.reply(200, "\n".join(lines) + "\n", "text/plain; version=0.0.4")
        self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/api/v1/convert":
            return self.reply(404, {"error": "not found"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
            result = convert(json.loads(self.rfile.read(length) or b"{}"))
            status = 200
        except (KeyError, AttributeError, ValueError, TypeError) as exc:
            result, status = {"error": str(exc)}, 400
        self.count(status)
        self.reply(status, result)

    def log_message(self, fmt, *args):
        pass


def main():
    server = ThreadingHTTPServer((HOST, PORT), Handler)
    # SIGTERM: finish in-flight requests, then exit (the pod's grace period covers it).
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


if __name__ == "__main__":
    main()
