/// The schema of SessionService's state. Append migrations; never edit one
/// that has shipped.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "jobs, tasks, artifacts, events") { dialect in
            let bytes = dialect == .postgres ? "BYTEA" : "BLOB"
            return """
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY,
                    status TEXT NOT NULL,
                    stage TEXT NOT NULL DEFAULT '',
                    progress DOUBLE PRECISION NOT NULL DEFAULT 0,
                    input_key TEXT NOT NULL,
                    input_content_type TEXT NOT NULL DEFAULT '',
                    input_size BIGINT NOT NULL DEFAULT 0,
                    input_sha256 TEXT NOT NULL DEFAULT '',
                    input_filename TEXT NOT NULL DEFAULT '',
                    audio_duration DOUBLE PRECISION,
                    audio_sample_rate BIGINT,
                    audio_channels BIGINT,
                    audio_format TEXT,
                    audio_frames BIGINT,
                    metadata TEXT NOT NULL DEFAULT '{}',
                    error_message TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    started_at_ms BIGINT,
                    completed_at_ms BIGINT,
                    updated_at_ms BIGINT NOT NULL);
                CREATE INDEX jobs_newest ON jobs (created_at_ms DESC, id DESC);
                CREATE INDEX jobs_status_newest ON jobs (status, created_at_ms DESC, id DESC);
                CREATE INDEX jobs_finished ON jobs (completed_at_ms) WHERE completed_at_ms IS NOT NULL;

                CREATE TABLE tasks (
                    id TEXT PRIMARY KEY,
                    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    stage TEXT NOT NULL,
                    status TEXT NOT NULL,
                    depends_on TEXT NOT NULL DEFAULT '',
                    weight DOUBLE PRECISION NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    lease_owner TEXT,
                    lease_token TEXT,
                    lease_expires_at_ms BIGINT,
                    available_at_ms BIGINT NOT NULL,
                    progress DOUBLE PRECISION NOT NULL DEFAULT 0,
                    last_error TEXT NOT NULL DEFAULT '',
                    result TEXT,
                    queued_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    UNIQUE (job_id, stage));
                CREATE INDEX tasks_runnable ON tasks (stage, status, queued_at_ms);
                CREATE INDEX tasks_leases ON tasks (status, lease_expires_at_ms);

                CREATE TABLE artifacts (
                    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    stage TEXT NOT NULL,
                    blob_key TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    size BIGINT NOT NULL,
                    sha256 TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (job_id, name));

                CREATE TABLE events (
                    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    sequence BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    stage TEXT NOT NULL DEFAULT '',
                    status TEXT NOT NULL DEFAULT '',
                    message TEXT NOT NULL DEFAULT '',
                    payload \(bytes),
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (job_id, sequence));
                """
        },
        Migration(version: 2, name: "similarity sessions") { _ in
            """
            CREATE TABLE similarity_sessions (
                id TEXT PRIMARY KEY,
                reference_text TEXT NOT NULL,
                metadata TEXT NOT NULL DEFAULT '{}',
                audio_key TEXT,
                audio_content_type TEXT NOT NULL DEFAULT '',
                audio_size BIGINT NOT NULL DEFAULT 0,
                audio_sha256 TEXT NOT NULL DEFAULT '',
                audio_duration DOUBLE PRECISION,
                audio_sample_rate BIGINT,
                audio_channels BIGINT,
                audio_format TEXT,
                audio_frames BIGINT,
                result TEXT NOT NULL DEFAULT '',
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL);
            """
        },
        Migration(version: 3, name: "job options") { _ in
            "ALTER TABLE jobs ADD COLUMN options TEXT NOT NULL DEFAULT '{}';"
        },
    ]
}
