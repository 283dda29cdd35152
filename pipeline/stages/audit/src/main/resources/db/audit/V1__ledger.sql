-- The audit ledger. One set of migrations for SQLite and PostgreSQL: portable types only, plus the
-- ${bytes} placeholder (BLOB on SQLite, BYTEA on PostgreSQL). Times are epoch milliseconds (BIGINT).

-- Every stored event, in consumption order per partition, hash-chained:
-- hash = sha256(prev_hash || canonical bytes), see dev.safelora.audit.ledger.Canonical.
CREATE TABLE audit_events (
    event_key       VARCHAR(400) PRIMARY KEY,   -- <topic>/<partition>/<offset>
    topic           VARCHAR(255) NOT NULL,
    kafka_partition INTEGER      NOT NULL,
    kafka_offset    BIGINT       NOT NULL,
    chain_seq       BIGINT       NOT NULL,       -- 1-based position in the partition's chain
    kind            VARCHAR(40)  NOT NULL,       -- ALIGNMENT, LAYER_SELECTION, ADAPTER, EVALUATION, JOB_OUTCOME, DEAD_LETTER, UNDECODABLE
    event_id        VARCHAR(400) NOT NULL,       -- the event's own id (alignmentId, adapterId, ...)
    record_key      TEXT,
    record_timestamp BIGINT      NOT NULL,
    schema_id       INTEGER,
    payload_sha256  VARCHAR(64),                 -- of the record value bytes as consumed
    headers_json    TEXT         NOT NULL,
    event_json      TEXT,                        -- the value decoded with its writer schema, as JSON
    prev_hash       VARCHAR(64)  NOT NULL,
    hash            VARCHAR(64)  NOT NULL,
    consumed_at     BIGINT       NOT NULL,
    CONSTRAINT audit_events_position UNIQUE (topic, kafka_partition, kafka_offset),
    CONSTRAINT audit_events_chain UNIQUE (topic, kafka_partition, chain_seq),
    CONSTRAINT audit_events_event_id UNIQUE (kind, event_id)
);

-- The database is the source of truth for the consumer's position: updated in the same transaction as the rows.
CREATE TABLE consumer_positions (
    topic           VARCHAR(255) NOT NULL,
    kafka_partition INTEGER      NOT NULL,
    next_offset     BIGINT       NOT NULL,
    chain_seq       BIGINT       NOT NULL,
    head_hash       VARCHAR(64)  NOT NULL,
    updated_at      BIGINT       NOT NULL,
    PRIMARY KEY (topic, kafka_partition)
);

CREATE TABLE alignments (
    event_key           VARCHAR(400) PRIMARY KEY REFERENCES audit_events (event_key),
    alignment_id        VARCHAR(64)  NOT NULL,
    registration_id     VARCHAR(64)  NOT NULL,
    family              VARCHAR(255) NOT NULL,
    base_uri            TEXT         NOT NULL,
    aligned_uri         TEXT         NOT NULL,
    outcome             VARCHAR(16)  NOT NULL,   -- READY or FAILED
    alignment_uri       TEXT,
    base_fingerprint    VARCHAR(64),
    aligned_fingerprint VARCHAR(64),
    failure_reason      TEXT,
    error_code          VARCHAR(40),
    duration_ms         BIGINT,
    completed_at        BIGINT       NOT NULL
);
CREATE INDEX alignments_family ON alignments (family, completed_at);

CREATE TABLE alignment_modules (
    event_key      VARCHAR(400) NOT NULL REFERENCES audit_events (event_key),
    position       INTEGER      NOT NULL,
    module         VARCHAR(400) NOT NULL,
    rows_m         INTEGER      NOT NULL,
    columns_n      INTEGER      NOT NULL,
    frobenius_norm DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (event_key, position)
);

CREATE TABLE layer_selections (
    event_key    VARCHAR(400) PRIMARY KEY REFERENCES audit_events (event_key),
    selection_id VARCHAR(64)  NOT NULL,
    scope        VARCHAR(16)  NOT NULL,
    target       VARCHAR(400) NOT NULL,
    mode         VARCHAR(16)  NOT NULL,
    threshold    DOUBLE PRECISION,
    top_k        INTEGER,
    layers       TEXT,
    modules      TEXT,
    requested_by VARCHAR(255) NOT NULL,
    requested_at BIGINT       NOT NULL,
    reason       TEXT
);

CREATE TABLE adapters (
    event_key           VARCHAR(400) PRIMARY KEY REFERENCES audit_events (event_key),
    adapter_id          VARCHAR(400) NOT NULL,
    request_id          VARCHAR(400) NOT NULL,
    family              VARCHAR(255) NOT NULL,
    uri                 TEXT         NOT NULL,
    sha256              VARCHAR(64)  NOT NULL,
    raw_adapter_uri     TEXT         NOT NULL,
    base_uri            TEXT         NOT NULL,
    alignment_id        VARCHAR(64)  NOT NULL,
    alignment_uri       TEXT         NOT NULL,
    aligned_uri         TEXT         NOT NULL,
    lora_r              INTEGER      NOT NULL,
    lora_alpha          DOUBLE PRECISION NOT NULL,
    selection_mode      VARCHAR(16)  NOT NULL,
    selection_threshold DOUBLE PRECISION,
    selection_top_k     INTEGER,
    projected_modules   TEXT         NOT NULL,   -- comma separated, module order
    previous_adapter_id VARCHAR(400),
    lineage_reason      VARCHAR(40)  NOT NULL,
    report_uri          TEXT,
    published_at        BIGINT       NOT NULL
);
CREATE INDEX adapters_family ON adapters (family, published_at);
CREATE INDEX adapters_adapter ON adapters (adapter_id);

CREATE TABLE evaluations (
    event_key             VARCHAR(400) PRIMARY KEY REFERENCES audit_events (event_key),
    evaluation_id         VARCHAR(64)  NOT NULL,
    adapter_id            VARCHAR(400) NOT NULL,
    request_id            VARCHAR(400) NOT NULL,
    family                VARCHAR(255) NOT NULL,
    pdst                  DOUBLE PRECISION,
    train_loss            DOUBLE PRECISION,
    held_out_loss_before  DOUBLE PRECISION,
    held_out_loss_after   DOUBLE PRECISION,
    training_ms           BIGINT       NOT NULL,
    projection_ms         BIGINT       NOT NULL,
    evaluation_ms         BIGINT       NOT NULL,
    total_ms              BIGINT       NOT NULL,
    completed_at          BIGINT       NOT NULL
);
CREATE INDEX evaluations_adapter ON evaluations (adapter_id, completed_at);

CREATE TABLE evaluation_modules (
    event_key VARCHAR(400) NOT NULL REFERENCES audit_events (event_key),
    position  INTEGER      NOT NULL,
    module    VARCHAR(400) NOT NULL,
    cosine    DOUBLE PRECISION,            -- NULL when not finite
    projected BOOLEAN      NOT NULL,
    PRIMARY KEY (event_key, position)
);

CREATE TABLE evaluation_metrics (
    event_key VARCHAR(400) NOT NULL REFERENCES audit_events (event_key),
    category  VARCHAR(16)  NOT NULL,   -- task or safety
    phase     VARCHAR(16)  NOT NULL,   -- raw (before projection) or projected
    name      VARCHAR(255) NOT NULL,
    metric_value DOUBLE PRECISION,      -- NULL for NaN / infinities
    PRIMARY KEY (event_key, category, phase, name)
);

-- Terminal progress records (COMPLETED, FAILED) of training and projection jobs.
CREATE TABLE job_outcomes (
    event_key   VARCHAR(400) PRIMARY KEY REFERENCES audit_events (event_key),
    request_id  VARCHAR(400) NOT NULL,
    job_id      VARCHAR(64)  NOT NULL,
    adapter_id  VARCHAR(400) NOT NULL,
    phase       VARCHAR(16)  NOT NULL,
    step        BIGINT       NOT NULL,
    total_steps BIGINT       NOT NULL,
    loss        DOUBLE PRECISION,
    message     TEXT,
    reported_at BIGINT       NOT NULL
);

-- Dead letters: the original key and value bytes, their sha256, and the safelora.dlq.* reason headers.
CREATE TABLE dead_letters (
    event_key        VARCHAR(400) PRIMARY KEY REFERENCES audit_events (event_key),
    dlq_topic        VARCHAR(255) NOT NULL,
    source_topic     VARCHAR(255),
    source_partition INTEGER,
    source_offset    BIGINT,
    record_key       TEXT,
    payload          ${bytes},
    payload_sha256   VARCHAR(64),
    cause            VARCHAR(40),
    error_class      TEXT,
    error_message    TEXT,
    stage            VARCHAR(255),
    attempts         INTEGER,
    failed_at        BIGINT       NOT NULL
);
