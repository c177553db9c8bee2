"""The reference the Edge is measured against: the same job-status endpoint
written the way Python backends usually are (FastAPI + uvicorn), reading the
same SQLite job row and returning the same JSON body.

    AURAL_DB=path/to/aural.db uvicorn fastapi_status:app --port 9000 --workers 2
"""
import datetime
import os
import sqlite3

from fastapi import FastAPI, HTTPException

app = FastAPI()
DB = os.environ["AURAL_DB"]


def iso(ms):
    if ms is None:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@app.get("/api/v1/jobs/{job_id}")
def job_status(job_id: str):
    # A connection per request, as a plain sync FastAPI handler would.
    with sqlite3.connect(DB) as db:
        row = db.execute(
            "SELECT id, status, stage, progress, created_at_ms, started_at_ms, completed_at_ms, error_message,"
            " input_filename, input_size, audio_duration, audio_sample_rate, audio_channels, audio_format"
            " FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="no such job")
    (id_, status, stage, progress, created, started, completed, error, filename, size,
     duration, rate, channels, fmt) = row
    return {
        "job_id": id_, "status": status, "stage": stage or None, "progress": int(progress),
        "created_at": iso(created), "started_at": iso(started), "completed_at": iso(completed),
        "error_message": error or None, "input_filename": filename, "file_size": size,
        "audio": None if rate is None else {"duration": duration, "sample_rate": rate, "channels": channels, "format": fmt},
        "eta_seconds": None,
    }
