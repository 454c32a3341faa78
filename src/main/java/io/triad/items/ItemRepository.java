package io.triad.items;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;

/**
 * Items and idempotency keys in PostgreSQL, the source of truth. Every write is one explicit
 * transaction, so a write PostgreSQL cancels for time (a 503) left nothing behind, and its
 * COMMIT is a statement of its own: bounded by statement_timeout, and checked for the warning
 * a synchronous standby's missing confirmation leaves (io.triad.db.CommitCheck, a 504).
 */
public final class ItemRepository {
    private static final String COLUMNS = "id, name, description, quantity, version, "
            + "(extract(epoch from created_at) * 1000)::bigint AS created_ms, "
            + "(extract(epoch from updated_at) * 1000)::bigint AS updated_ms";
    /** How long a key answers repeats (the contract's 24 h); older keys may be reused. */
    static final String KEY_LIFETIME = "interval '24 hours'";

    private final DbClient db;

    public ItemRepository(DbClient db) {
        this.db = db;
    }

    public Optional<Item> find(long id) {
        return db.execute().get("SELECT " + COLUMNS + " FROM items WHERE id = ?", id).map(ItemRepository::item);
    }

    /** Up to limit + 1 items after the given id, so the caller knows whether a next page exists. */
    public List<Item> pageAfter(long after, int limit) {
        return page("SELECT " + COLUMNS + " FROM items WHERE id > ? ORDER BY id LIMIT ?", after, limit + 1);
    }

    private List<Item> page(String sql, Object... params) {
        try (Stream<DbRow> rows = db.execute().query(sql, params)) {
            return rows.map(ItemRepository::item).toList();
        }
    }

    /** Up to limit + 1 items below the given id (0: from the newest), newest first. */
    public List<Item> pageBefore(long before, int limit) {
        String sql = "SELECT " + COLUMNS + " FROM items" + (before == 0 ? "" : " WHERE id < ?") + " ORDER BY id DESC LIMIT ?";
        Object[] params = before == 0 ? new Object[] {limit + 1} : new Object[] {before, limit + 1};
        return page(sql, params);
    }

    public Item insert(ItemInput input) {
        return inTransaction(tx -> tx.get("INSERT INTO items (name, description, quantity) VALUES (?, ?, ?) RETURNING "
                        + COLUMNS, input.name(), input.description(), input.quantity())
                .map(ItemRepository::item).orElseThrow());
    }

    /** work and its COMMIT; rolled back when either fails. */
    private <T> T inTransaction(Function<DbTransaction, T> work) {
        DbTransaction tx = db.transaction();
        try {
            T result = work.apply(tx);
            tx.commit();
            return result;
        } catch (RuntimeException e) {
            rollbackQuietly(tx, e);
            throw e;
        }
    }

    /**
     * Creates the item unless the key was used in the last 24 h; the key and the item are one
     * transaction, and a concurrent create with the same key waits on the key's row lock, so
     * exactly one item exists per key however many requests race.
     */
    public IdempotentCreate insertOnce(String key, ItemInput input) {
        return inTransaction(tx -> {
            boolean claimed = tx.get("INSERT INTO idempotency_keys (key, fingerprint) VALUES (?, ?) "
                            + "ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, item_id = NULL, "
                            + "response = NULL, created_at = now() "
                            + "WHERE idempotency_keys.created_at < now() - " + KEY_LIFETIME + " RETURNING key",
                    key, input.fingerprint()).isPresent();
            if (claimed) {
                Item item = tx.get("INSERT INTO items (name, description, quantity) VALUES (?, ?, ?) RETURNING "
                                + COLUMNS, input.name(), input.description(), input.quantity())
                        .map(ItemRepository::item).orElseThrow();
                String response = item.toJson().toString();
                tx.update("UPDATE idempotency_keys SET item_id = ?, response = ? WHERE key = ?", item.id(), response, key);
                return new IdempotentCreate.Created(item);
            }
            DbRow row = tx.get("SELECT fingerprint, item_id, response FROM idempotency_keys WHERE key = ?", key)
                    .orElseThrow();
            String fingerprint = row.column("fingerprint").get(String.class);
            if (!fingerprint.equals(input.fingerprint())) {
                return new IdempotentCreate.Conflict();
            }
            // A replay acknowledges the first write, which may be one whose COMMIT the
            // synchronous standby never confirmed (answered 504). An xid makes this transaction
            // write a commit record, and its COMMIT waits for the standby like any write: once
            // it is confirmed, every earlier commit is too; if not, the replay is a 504 as well.
            tx.get("SELECT pg_current_xact_id()");
            return new IdempotentCreate.Replayed(row.column("item_id").as(Long.class).asOptional().orElse(null),
                    row.column("response").get(String.class));
        });
    }

    /**
     * Replaces the item in one statement: with expectedVersions (an If-Match list) only if its
     * version is one of them. Empty when nothing was replaced: the id is unknown or no version
     * matched ({@link #find} tells which).
     */
    public Optional<Item> replace(long id, ItemInput input, List<Long> expectedVersions) {
        String sql = "UPDATE items SET name = ?, description = ?, quantity = ?, version = version + 1, updated_at = now() "
                + "WHERE id = ?" + (expectedVersions == null ? "" : " AND version = ANY(?)") + " RETURNING " + COLUMNS;
        Object[] params = expectedVersions == null
                ? new Object[] {input.name(), input.description(), input.quantity(), id}
                : new Object[] {input.name(), input.description(), input.quantity(), id, versions(expectedVersions)};
        return inTransaction(tx -> tx.get(sql, params).map(ItemRepository::item));
    }

    /** Deletes in one statement, with expectedVersions only if its version is one of them; false when nothing was deleted. */
    public boolean delete(long id, List<Long> expectedVersions) {
        return inTransaction(tx -> expectedVersions == null
                ? tx.delete("DELETE FROM items WHERE id = ?", id) > 0
                : tx.delete("DELETE FROM items WHERE id = ? AND version = ANY(?)", id, versions(expectedVersions)) > 0);
    }

    private static Long[] versions(List<Long> versions) {
        return versions.toArray(Long[]::new);
    }

    /** Keys past their 24 h answer nothing any more; dropping them keeps the table small. */
    public long deleteExpiredKeys() {
        return db.execute().delete("DELETE FROM idempotency_keys WHERE created_at < now() - " + KEY_LIFETIME);
    }

    private static Item item(DbRow row) {
        return new Item(row.column("id").get(Long.class),
                row.column("name").get(String.class),
                row.column("description").get(String.class),
                row.column("quantity").get(Integer.class),
                row.column("version").get(Long.class),
                Instant.ofEpochMilli(row.column("created_ms").get(Long.class)),
                Instant.ofEpochMilli(row.column("updated_ms").get(Long.class)));
    }

    private static void rollbackQuietly(DbTransaction tx, RuntimeException cause) {
        try {
            tx.rollback();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** What a create with an Idempotency-Key did. */
    public sealed interface IdempotentCreate {
        record Created(Item item) implements IdempotentCreate {
        }

        /** The first answer's body, stored with the key; itemId is null once the item was deleted. */
        record Replayed(Long itemId, String response) implements IdempotentCreate {
        }

        record Conflict() implements IdempotentCreate {
        }
    }
}
