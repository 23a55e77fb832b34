"""The original Python system's client library (ci_client/client.py), re-implemented from the seed
README the way it was written: `requests`, naive SSE parsing that only looks at `data: ` lines.

A test asset: OriginalClientCompatTests runs it against our ci-server to prove the original client
works unchanged. Server URL and key come from CI_SERVER_URL and CI_API_KEY, as in the original CLI.

Usage: original_client.py stream DIR | async DIR | wait JOB_ID [--all] | list
Prints one JSON object per line (events, {"job_id": ...}, or the job list). A RuntimeError prints
{"error": "<message>"} and exits 1.
"""

import io
import json
import os
import sys
import zipfile
from pathlib import Path

import requests

DEFAULT_SERVER = "http://localhost:8000"


def create_project_zip(project_dir: Path) -> bytes:
    """Zips every file under project_dir except hidden files/folders and __pycache__."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(project_dir.rglob("*")):
            rel = path.relative_to(project_dir)
            if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                continue
            if path.is_file():
                zf.write(path, rel.as_posix())
    return buffer.getvalue()


def _headers(api_key):
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _check_auth(resp):
    if resp.status_code == 401:
        raise RuntimeError("Authentication failed: 401 Unauthorized")
    if resp.status_code == 403:
        raise RuntimeError("Authentication failed: 403 Forbidden")


def _events(resp):
    for line in resp.iter_lines(decode_unicode=True):
        if line and line.startswith("data: "):
            yield json.loads(line[6:])


def submit_tests_streaming(project_dir: Path, server_url: str = DEFAULT_SERVER, api_key=None):
    zip_bytes = create_project_zip(project_dir)
    try:
        resp = requests.post(
            f"{server_url}/submit-stream",
            files={"file": ("project.zip", zip_bytes, "application/zip")},
            headers=_headers(api_key),
            stream=True,
        )
        _check_auth(resp)
        resp.raise_for_status()
    except requests.RequestException as e:
        raise RuntimeError(f"Error submitting to CI server: {e}") from e
    yield from _events(resp)


def submit_tests_async(project_dir: Path, server_url: str = DEFAULT_SERVER, api_key=None) -> str:
    zip_bytes = create_project_zip(project_dir)
    try:
        resp = requests.post(
            f"{server_url}/submit-async",
            files={"file": ("project.zip", zip_bytes, "application/zip")},
            headers=_headers(api_key),
        )
        _check_auth(resp)
        resp.raise_for_status()
    except requests.RequestException as e:
        raise RuntimeError(f"Error submitting to CI server: {e}") from e
    return resp.json()["job_id"]


def wait_for_job(job_id: str, server_url: str = DEFAULT_SERVER, api_key=None, from_beginning: bool = False):
    try:
        resp = requests.get(
            f"{server_url}/jobs/{job_id}/stream",
            params={"from_beginning": "true" if from_beginning else "false"},
            headers=_headers(api_key),
            stream=True,
        )
        _check_auth(resp)
        resp.raise_for_status()
    except requests.RequestException as e:
        raise RuntimeError(f"Error waiting for job: {e}") from e
    yield from _events(resp)


def list_jobs(server_url: str = DEFAULT_SERVER, api_key=None) -> list:
    try:
        resp = requests.get(f"{server_url}/jobs", headers=_headers(api_key))
        _check_auth(resp)
        resp.raise_for_status()
    except requests.RequestException as e:
        raise RuntimeError(f"Error listing jobs: {e}") from e
    return resp.json()


def main(argv):
    server = os.environ.get("CI_SERVER_URL", DEFAULT_SERVER)
    key = os.environ.get("CI_API_KEY")
    command, args = argv[0], argv[1:]
    try:
        if command == "stream":
            for event in submit_tests_streaming(Path(args[0]), server, key):
                print(json.dumps(event), flush=True)
        elif command == "async":
            print(json.dumps({"job_id": submit_tests_async(Path(args[0]), server, key)}), flush=True)
        elif command == "wait":
            for event in wait_for_job(args[0], server, key, from_beginning="--all" in args):
                print(json.dumps(event), flush=True)
        elif command == "list":
            print(json.dumps(list_jobs(server, key)), flush=True)
        else:
            print(f"unknown command {command}", file=sys.stderr)
            return 2
    except RuntimeError as e:
        print(json.dumps({"error": str(e)}), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
