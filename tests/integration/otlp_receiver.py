#!/usr/bin/env python3
"""Minimal OTLP/HTTP traces receiver for zerotrace's integration tests (Python 3 stdlib only).

  otlp_receiver.py --port N --out FILE [--fail-first K --fail-status 503 --retry-after 1]
                   [--down-until-file PATH] [--verbose]
  otlp_receiver.py --decode REQUEST_FILE      (decode a saved, possibly gzipped, request)

Accepts POST /v1/traces with Content-Type application/x-protobuf (gzip or not), decodes the
ExportTraceServiceRequest with a small hand-written protobuf wire decoder and appends one JSON
object per span to FILE:

  {"trace_id", "span_id", "parent_span_id", "trace_state", "flags", "name", "kind", "start",
   "end", "status_code", "status_message", "attributes": {k: v}, "resource": {k: v},
   "scope": {"name", "version"}, "gzip": bool}

Ids are lower-case hex ("" when absent), times integers (ns), attribute values str/int/bool/
float/list. Answers 200 with an empty ExportTraceServiceResponse.

--fail-first K answers the first K requests with --fail-status (and Retry-After when
--retry-after is given) without recording them. --down-until-file keeps the port bound but not
listening, so connections are refused, until PATH exists: a collector that is down, then up.
Port 0 picks a free port. Prints "listening PORT" on stdout once the port is known.
"""

import argparse
import gzip
import json
import os
import signal
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class DecodeError(Exception):
    pass


# ---- protobuf wire format ----

WT_VARINT, WT_I64, WT_LEN, WT_I32 = 0, 1, 2, 5


def read_varint(buf, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise DecodeError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise DecodeError("varint too long")


def fields(buf):
    """Yields (field_number, wire_type, value): int for varints, bytes for everything else."""
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise DecodeError("field number 0")
        if wt == WT_VARINT:
            val, pos = read_varint(buf, pos)
        elif wt == WT_I64:
            val, pos = buf[pos:pos + 8], pos + 8
            if len(val) != 8:
                raise DecodeError("truncated 64-bit field")
        elif wt == WT_LEN:
            n, pos = read_varint(buf, pos)
            val, pos = buf[pos:pos + n], pos + n
            if len(val) != n:
                raise DecodeError("truncated length-delimited field")
        elif wt == WT_I32:
            val, pos = buf[pos:pos + 4], pos + 4
            if len(val) != 4:
                raise DecodeError("truncated 32-bit field")
        else:
            raise DecodeError("unsupported wire type %d" % wt)
        yield num, wt, val


def expect(wt, want, what):
    if wt != want:
        raise DecodeError("%s: wire type %d, expected %d" % (what, wt, want))


def to_int64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def text(b):
    return bytes(b).decode("utf-8", errors="replace")


# ---- OTLP messages (field numbers from opentelemetry-proto) ----

def any_value(buf):
    value = None
    for num, wt, v in fields(buf):
        if num == 1:
            expect(wt, WT_LEN, "string_value")
            value = text(v)
        elif num == 2:
            expect(wt, WT_VARINT, "bool_value")
            value = bool(v)
        elif num == 3:
            expect(wt, WT_VARINT, "int_value")
            value = to_int64(v)
        elif num == 4:
            expect(wt, WT_I64, "double_value")
            value = struct.unpack("<d", v)[0]
        elif num == 5:
            expect(wt, WT_LEN, "array_value")
            value = [any_value(e) for n, w, e in fields(v) if n == 1]
        elif num == 6:
            expect(wt, WT_LEN, "kvlist_value")
            value = key_values(e for n, w, e in fields(v) if n == 1)
        elif num == 7:
            expect(wt, WT_LEN, "bytes_value")
            value = bytes(v).hex()
    return value


def key_value(buf):
    key, value = "", None
    for num, wt, v in fields(buf):
        if num == 1:
            expect(wt, WT_LEN, "key")
            key = text(v)
        elif num == 2:
            expect(wt, WT_LEN, "value")
            value = any_value(v)
    return key, value


def key_values(bufs):
    return dict(key_value(b) for b in bufs)


def resource(buf):
    return key_values(v for num, wt, v in fields(buf) if num == 1)


def scope(buf):
    out = {"name": "", "version": ""}
    for num, wt, v in fields(buf):
        if num in (1, 2):
            expect(wt, WT_LEN, "scope")
            out["name" if num == 1 else "version"] = text(v)
    return out


def status(buf):
    code, message = 0, ""
    for num, wt, v in fields(buf):
        if num == 2:
            expect(wt, WT_LEN, "status.message")
            message = text(v)
        elif num == 3:
            expect(wt, WT_VARINT, "status.code")
            code = v
    return code, message


def span(buf):
    s = {"trace_id": "", "span_id": "", "parent_span_id": "", "trace_state": "", "flags": 0,
         "name": "", "kind": 0, "start": 0, "end": 0, "status_code": 0, "status_message": "",
         "attributes": {}, "dropped_attributes_count": 0}
    attrs = []
    for num, wt, v in fields(buf):
        if num in (1, 2, 4):
            expect(wt, WT_LEN, "span id")
            s[{1: "trace_id", 2: "span_id", 4: "parent_span_id"}[num]] = bytes(v).hex()
        elif num in (3, 5):
            expect(wt, WT_LEN, "span string")
            s["trace_state" if num == 3 else "name"] = text(v)
        elif num == 6:
            expect(wt, WT_VARINT, "kind")
            s["kind"] = v
        elif num in (7, 8):
            expect(wt, WT_I64, "span time")
            s["start" if num == 7 else "end"] = int.from_bytes(v, "little")
        elif num == 9:
            expect(wt, WT_LEN, "attributes")
            attrs.append(v)
        elif num == 10:
            expect(wt, WT_VARINT, "dropped_attributes_count")
            s["dropped_attributes_count"] = v
        elif num == 15:
            expect(wt, WT_LEN, "status")
            s["status_code"], s["status_message"] = status(v)
        elif num == 16:
            expect(wt, WT_I32, "flags")
            s["flags"] = int.from_bytes(v, "little")
    s["attributes"] = key_values(attrs)
    return s


def decode_request(buf):
    """ExportTraceServiceRequest -> list of flat span dicts with their resource and scope."""
    out = []
    for num, wt, rs in fields(buf):
        if num != 1:
            continue
        expect(wt, WT_LEN, "resource_spans")
        res, scope_spans = {}, []
        for n2, w2, v2 in fields(rs):
            if n2 == 1:
                expect(w2, WT_LEN, "resource")
                res = resource(v2)
            elif n2 == 2:
                expect(w2, WT_LEN, "scope_spans")
                scope_spans.append(v2)
        for ss in scope_spans:
            sc = {"name": "", "version": ""}
            spans = []
            for n3, w3, v3 in fields(ss):
                if n3 == 1:
                    expect(w3, WT_LEN, "scope")
                    sc = scope(v3)
                elif n3 == 2:
                    expect(w3, WT_LEN, "span")
                    spans.append(v3)
            for sp in spans:
                s = span(sp)
                s["resource"] = res
                s["scope"] = sc
                out.append(s)
    return out


# ---- HTTP ----

class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, opts):
        super().__init__(addr, Handler, bind_and_activate=False)
        self.opts = opts
        self.lock = threading.Lock()
        self.requests = 0
        self.out = open(opts.out, "a", encoding="utf-8")

    def record(self, spans, gzipped):
        with self.lock:
            for s in spans:
                s["gzip"] = gzipped
                self.out.write(json.dumps(s, sort_keys=True) + "\n")
            self.out.flush()

    def next_request(self):
        with self.lock:
            self.requests += 1
            return self.requests


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "otlp-receiver/1"

    def log_message(self, fmt, *args):
        if self.server.opts.verbose:
            sys.stderr.write("otlp_receiver: " + (fmt % args) + "\n")

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_POST(self):
        opts = self.server.opts
        body = self.read_body()
        if self.path.split("?")[0] != "/v1/traces":
            self.reply(404)
            return
        n = self.server.next_request()
        if n <= opts.fail_first:
            hdrs = [("Retry-After", str(opts.retry_after))] if opts.retry_after is not None else []
            self.reply(opts.fail_status, headers=hdrs)
            return
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/x-protobuf":
            self.reply(415)
            return
        gzipped = self.headers.get("Content-Encoding", "").strip().lower() == "gzip"
        try:
            raw = gzip.decompress(body) if gzipped else body
            spans = decode_request(raw)
        except (OSError, EOFError, DecodeError, ValueError, struct.error) as e:
            sys.stderr.write("otlp_receiver: bad request: %s\n" % e)
            self.reply(400)
            return
        self.server.record(spans, gzipped)
        self.reply(200)


class Stop(Exception):
    pass


def on_signal(signum, frame):
    raise Stop()


def wait_for_file(path):
    while not os.path.exists(path):
        time.sleep(0.05)


def serve(opts):
    srv = Receiver(("127.0.0.1", opts.port), opts)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        # Bound but not yet listening: the kernel refuses connections, like a collector that is
        # down, while the port stays reserved for us.
        srv.server_bind()
        print("listening %d" % srv.server_address[1], flush=True)
        if opts.down_until_file:
            wait_for_file(opts.down_until_file)
        srv.server_activate()
        srv.serve_forever(poll_interval=0.1)
    except Stop:
        pass
    finally:
        srv.server_close()
        srv.out.close()
    return 0


def decode_file(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    for s in decode_request(data):
        print(json.dumps(s, sort_keys=True))
    return 0


def main():
    ap = argparse.ArgumentParser(description="OTLP/HTTP traces receiver for tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--out", help="append one JSON object per span to this file")
    ap.add_argument("--fail-first", type=int, default=0, metavar="K")
    ap.add_argument("--fail-status", type=int, default=503)
    ap.add_argument("--retry-after", type=int, default=None, metavar="SECONDS")
    ap.add_argument("--down-until-file", metavar="PATH")
    ap.add_argument("--decode", metavar="FILE", help="decode a saved request and exit")
    ap.add_argument("--verbose", action="store_true")
    opts = ap.parse_args()
    if opts.decode:
        return decode_file(opts.decode)
    if not opts.out:
        ap.error("--out is required")
    return serve(opts)


if __name__ == "__main__":
    sys.exit(main())
