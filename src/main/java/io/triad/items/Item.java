package io.triad.items;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import io.triad.http.JsonFactories;
import jakarta.json.JsonObject;

/** A stored item, as PostgreSQL holds it. Timestamps have millisecond precision (timestamptz(3)). */
public record Item(long id, String name, String description, int quantity, long version,
                   Instant createdAt, Instant updatedAt) {

    /** Always three fraction digits, so an item reads the same from PostgreSQL and from the cache. */
    public static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    public JsonObject toJson() {
        return JsonFactories.BUILDERS.createObjectBuilder()
                .add("id", id)
                .add("name", name)
                .add("description", description)
                .add("quantity", quantity)
                .add("version", version)
                .add("createdAt", TIMESTAMP.format(createdAt))
                .add("updatedAt", TIMESTAMP.format(updatedAt))
                .build();
    }

    public String etag() {
        return etag(version);
    }

    static String etag(long version) {
        return "\"" + version + "\"";
    }
}
