"""A stand-in for the ORIGINAL Python ci server (FastAPI): only the original API, none of our extensions
(no `id:` lines, no keep-alive comments, no cancel, no list filters), Python's json.dumps spacing and
ASCII escaping in events, FastAPI's compact JSON and {"detail": ...} errors, chunked SSE responses.
Standard library only. Jobs are faked: no tests run.

A test asset: OriginalServerCompatTests runs our `ci` against it.

Usage: original_server.py --key KEY [--inactive-key KEY] [--port 0] [--uploads DIR] [--seed readme|microseconds]
Prints "listening on http://127.0.0.1:PORT" once it accepts connections.

A fake job logs the lines of LOGS (or FAILING_LOGS when the upload holds a file named EXPECT_FAILURE)
at a short interval, then completes. --uploads keeps each upload as DIR/<job_id>.zip. --seed starts
with the three jobs of the seed README's `ci list` example; `microseconds` gives their times
the fraction Pydantic v2 writes for a datetime.now(timezone.utc) ("2025-10-13T10:30:00.123456Z").
"""

import argparse
import email.parser
import email.policy
import io
import json
import os
import threading
import time
import uuid
import zipfile
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOGS = ["Installing dependencies...\n", "Running tests...\n", "test_x.py::test_a PASSED\n", "test_x.py::test_h\u00e9llo PASSED\n"]
FAILING_LOGS = ["Installing dependencies...\n", "Running tests...\n", "test_x.py::test_a FAILED\n"]
LOG_INTERVAL = 0.05

SEED_JOBS = [
    ("550e8400-e29b-41d4-a716-446655440000", "completed", True, "2025-10-13T10:30:00Z", "2025-10-13T10:30:15Z"),
    ("7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e", "running", None, "2025-10-13T10:35:00Z", None),
    ("9f8c1e2a-4b7d-4c89-a231-8e5f6d3c2b1a", "failed", False, "2025-10-13T10:25:00Z", "2025-10-13T10:25:08Z"),
]


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Job:
    def __init__(self, job_id, owner):
        self.job_id = job_id
        self.owner = owner
        self.status = "queued"
        self.success = None
        self.start_time = None
        self.end_time = None
        self.logs = []
        self.changed = threading.Condition()

    def summary(self):
        return {"job_id": self.job_id, "status": self.status, "success": self.success,
                "start_time": self.start_time, "end_time": self.end_time}

    def ended(self):
        return self.status in ("completed", "failed")

    def run(self, lines, success):
        with self.changed:
            self.status, self.start_time = "running", now()
            self.changed.notify_all()
        for line in lines:
            time.sleep(LOG_INTERVAL)
            with self.changed:
                self.logs.append(line)
                self.changed.notify_all()
        with self.changed:
            self.status, self.success, self.end_time = "completed", success, now()
            self.changed.notify_all()


class State:
    def __init__(self, key, inactive_key, uploads):
        self.key = key
        self.inactive_key = inactive_key
        self.uploads = uploads
        self.jobs = {}
        self.lock = threading.Lock()


def event(obj):
    # The original server: f"data: {json.dumps(event)}\n\n", so ", " / ": " spacing and \uXXXX escapes.
    return f"data: {json.dumps(obj)}\n\n".encode("ascii")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "uvicorn"

    def log_message(self, format, *args):
        pass

    # --- plumbing ---

    def send_json(self, status, body, headers=None):
        # FastAPI's JSONResponse: compact separators, UTF-8.
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def authenticate(self):
        """The caller's key, or None after answering 401/403 as the original did."""
        auth = self.headers.get("authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else None
        state = self.server.state
        if key is not None and key == state.inactive_key:
            self.send_json(403, {"detail": "User account is inactive"})
            return None
        if key is None or key != state.key:
            self.send_json(401, {"detail": "Invalid or missing API key"}, {"www-authenticate": "Bearer"})
            return None
        return key

    def start_stream(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n")
        self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def follow(self, job, from_beginning):
        """Streams a job's log as the original did: replay or forward-only, then one complete."""
        with job.changed:
            if job.ended() and not from_beginning:
                self.chunk(event({"type": "log", "data": "Job already completed.\n"}))
                self.chunk(event({"type": "complete", "success": bool(job.success)}))
                return
            sent = 0 if from_beginning else len(job.logs)
        while True:
            with job.changed:
                while sent == len(job.logs) and not job.ended():
                    job.changed.wait()
                pending, done, success = job.logs[sent:], job.ended(), job.success
            for line in pending:
                self.chunk(event({"type": "log", "data": line}))
            sent += len(pending)
            if done and sent == len(job.logs):
                self.chunk(event({"type": "complete", "success": bool(success)}))
                return

    # --- endpoints ---

    def do_GET(self):
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        if parts == ["health"]:
            return self.send_json(200, {"status": "ok"})
        if self.authenticate() is None:
            return
        state = self.server.state
        if parts == ["jobs"]:
            with state.lock:
                jobs = list(state.jobs.values())
            return self.send_json(200, [j.summary() for j in jobs])
        if len(parts) in (2, 3) and parts[0] == "jobs":
            job = state.jobs.get(parts[1])
            if job is None:
                return self.send_json(404, {"detail": "Job not found"})
            if len(parts) == 2:
                return self.send_json(200, job.summary())
            if parts[2] == "stream":
                from_beginning = parse_qs(url.query).get("from_beginning", ["false"])[0].lower() == "true"
                self.start_stream()
                self.follow(job, from_beginning)
                return self.end_stream()
        self.send_json(404, {"detail": "Not Found"})

    def do_POST(self):
        body = self.read_body()
        path = urlsplit(self.path).path
        if path not in ("/submit-stream", "/submit-async", "/submit"):
            return self.send_json(404 if not path.startswith("/jobs/") else 405, {"detail": "Not Found"})
        key = self.authenticate()
        if key is None:
            return
        upload = self.upload(body)
        if upload is None:
            return
        state = self.server.state
        job = Job(str(uuid.uuid4()), key)
        with state.lock:
            state.jobs[job.job_id] = job
        if state.uploads:
            with open(os.path.join(state.uploads, job.job_id + ".zip"), "wb") as f:
                f.write(upload)
        failing = "EXPECT_FAILURE" in zipfile.ZipFile(io.BytesIO(upload)).namelist()
        threading.Thread(target=job.run, args=(FAILING_LOGS if failing else LOGS, not failing), daemon=True).start()
        if path == "/submit-async":
            return self.send_json(200, {"job_id": job.job_id})
        self.start_stream()
        if path == "/submit-stream":
            self.chunk(event({"type": "job_id", "job_id": job.job_id}))
        self.follow(job, from_beginning=True)
        self.end_stream()

    def upload(self, body):
        """The zip from the multipart field `file`, or None after answering 422/400 as FastAPI would."""
        content_type = self.headers.get("content-type", "")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        data = None
        if message.is_multipart():
            for part in message.iter_parts():
                if part.get_param("name", header="content-disposition") == "file":
                    data = part.get_payload(decode=True)
        if data is None:
            self.send_json(422, {"detail": [{"type": "missing", "loc": ["body", "file"], "msg": "Field required", "input": None}]})
            return None
        if not zipfile.is_zipfile(io.BytesIO(data)):
            self.send_json(400, {"detail": "Uploaded file is not a valid zip archive"})
            return None
        return data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--inactive-key")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--uploads")
    parser.add_argument("--seed", choices=["readme", "microseconds"])
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.key, args.inactive_key, args.uploads)
    if args.seed:
        for job_id, status, success, start, end in SEED_JOBS:
            job = Job(job_id, args.key)
            if args.seed == "microseconds":
                start, end = (t and t.replace("Z", ".123456Z") for t in (start, end))
            job.status, job.success, job.start_time, job.end_time = status, success, start, end
            server.state.jobs[job_id] = job
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
