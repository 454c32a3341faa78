-- Flyway runs this callback after every `migrate` (not a versioned migration: no checksum).
-- The service (role triad, DML only) reads the applied version at start, nothing more.
GRANT SELECT ON flyway_schema_history TO triad;
