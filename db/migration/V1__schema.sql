-- triad schema, version 1: what db/init.sql created before Flyway. `migrate` (io.triad.migrate)
-- applies it as triad_owner, which then owns everything below; on a database that the old
-- db/init.sql created, `migrate` records this version as the baseline instead of running it.
-- Never edit an applied migration (Flyway refuses a changed checksum): add V2__….sql.
--
-- The service's role triad gets DML on these tables and nothing else: it cannot create, alter,
-- drop or truncate.

CREATE TABLE IF NOT EXISTS items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    quantity    integer NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    version     bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- Millisecond precision: the JSON shows milliseconds, and a cached copy must equal the row.
    created_at  timestamptz(3) NOT NULL DEFAULT now(),
    updated_at  timestamptz(3) NOT NULL DEFAULT now()
);

-- One row per Idempotency-Key: the fingerprint of the first body and the first answer, so a
-- repeat within 24 h gets the same 201 and a different body gets 422.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key         text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
    fingerprint text NOT NULL,
    item_id     bigint REFERENCES items (id) ON DELETE SET NULL,
    response    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);
CREATE INDEX IF NOT EXISTS idempotency_keys_item_id ON idempotency_keys (item_id);

-- The cache fence (io.triad.items.CacheFence, where the argument is written down): one row
-- that says whether the Redis item cache may be trusted. A write that could not invalidate its
-- cached copy bumps `generation`; an instance trusts the cache only while
-- `clean_generation = generation` and its Redis connection reaches the Redis process
-- `redis_run_id` (a restart, or an older copy of the data restored, is a new process). The
-- instance that cleans the cache records both.
CREATE TABLE IF NOT EXISTS cache_fence (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation       bigint NOT NULL DEFAULT 1,
    clean_generation bigint NOT NULL DEFAULT 0,
    redis_run_id     text NOT NULL DEFAULT ''
);
INSERT INTO cache_fence DEFAULT VALUES ON CONFLICT DO NOTHING;

-- The service's privileges: what its queries need, on these tables only. The identity
-- sequence is used through the column; USAGE lets a query call nextval() on it too.
GRANT SELECT, INSERT, UPDATE, DELETE ON items, idempotency_keys, cache_fence TO triad;
GRANT USAGE ON SEQUENCE items_id_seq TO triad;
