package io.triad.items;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;

import io.triad.support.Api;
import io.triad.support.RunningTriad;
import io.triad.support.TestStack;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;

/** The items API end to end on one instance, against a real PostgreSQL and Redis. */
@ServerTest
class ItemsIntegrationTest {
    private final Api api;

    ItemsIntegrationTest(WebServer server) {
        this.api = RunningTriad.publicApi(server);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        RunningTriad.configure(server, "items-1");
    }

    @AfterAll
    static void close() {
        RunningTriad.close();
    }

    @Test
    void createReadReplaceDelete() {
        HttpResponse<String> created = api.post("/api/items", "{\"name\":\"  widget \\t\",\"description\":\"blue\",\"quantity\":7}");
        assertThat(created.statusCode(), is(201));
        JsonObject item = Api.json(created);
        long id = item.getJsonNumber("id").longValue();
        assertThat(created.headers().firstValue("Location").orElseThrow(), is("/api/items/" + id));
        assertThat(item.getString("name"), is("widget"));
        assertThat(item.getString("description"), is("blue"));
        assertThat(item.getInt("quantity"), is(7));
        assertThat(item.getInt("version"), is(1));
        assertThat(item.getString("createdAt"), is(item.getString("updatedAt")));

        HttpResponse<String> read = api.get("/api/items/" + id);
        assertThat(read.statusCode(), is(200));
        assertThat(Api.json(read), is(item));
        assertThat(read.headers().firstValue("ETag").orElseThrow(), is("\"1\""));

        HttpResponse<String> replaced = api.put("/api/items/" + id, "{\"name\":\"gadget\"}");
        assertThat(replaced.statusCode(), is(200));
        JsonObject v2 = Api.json(replaced);
        assertThat(v2.getString("name"), is("gadget"));
        assertThat("full replacement: absent fields take their defaults", v2.getString("description"), is(""));
        assertThat(v2.getInt("quantity"), is(0));
        assertThat(v2.getInt("version"), is(2));
        assertThat(v2.getString("createdAt"), is(item.getString("createdAt")));
        assertThat(replaced.headers().firstValue("ETag").orElseThrow(), is("\"2\""));

        assertThat(api.delete("/api/items/" + id).statusCode(), is(204));
        assertThat(api.get("/api/items/" + id).statusCode(), is(404));
        assertThat(api.delete("/api/items/" + id).statusCode(), is(404));
        assertThat(api.put("/api/items/" + id, "{\"name\":\"x\"}").statusCode(), is(404));
    }

    @Test
    void nullOptionalFieldsTakeDefaultsAndNullNameIs400() {
        JsonObject item = Api.json(api.post("/api/items", "{\"name\":\"n\",\"description\":null,\"quantity\":null}"));
        assertThat(item.getString("description"), is(""));
        assertThat(item.getInt("quantity"), is(0));
        assertThat(api.post("/api/items", "{\"name\":null}").statusCode(), is(400));
    }

    @Test
    void cacheMissThenHitThenInvalidatedByWriteAndDelete() {
        long id = create("cached");
        assertThat(cacheState(api.get("/api/items/" + id)), is("MISS"));
        assertThat(cacheState(api.get("/api/items/" + id)), is("HIT"));
        HttpResponse<String> hit = api.get("/api/items/" + id);
        assertThat(Api.json(hit).getString("name"), is("cached"));

        api.put("/api/items/" + id, "{\"name\":\"changed\"}");
        HttpResponse<String> afterWrite = api.get("/api/items/" + id);
        assertThat(cacheState(afterWrite), is("MISS"));
        assertThat(Api.json(afterWrite).getString("name"), is("changed"));
        assertThat(afterWrite.headers().firstValue("ETag").orElseThrow(), is("\"2\""));
        assertThat(cacheState(api.get("/api/items/" + id)), is("HIT"));

        api.delete("/api/items/" + id);
        assertThat(api.get("/api/items/" + id).statusCode(), is(404));
    }

    @Test
    void noReadAfterAnAcknowledgedWriteReturnsOlderData() throws Exception {
        long id = create("v");
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int version = 2; version <= 30; version++) {
                // Readers keep filling the cache while the write happens.
                List<Future<?>> readers = new ArrayList<>();
                for (int r = 0; r < 4; r++) {
                    readers.add(pool.submit(() -> api.get("/api/items/" + id)));
                }
                HttpResponse<String> written = api.put("/api/items/" + id, "{\"name\":\"v" + version + "\"}");
                assertThat(written.statusCode(), is(200));
                for (Future<?> reader : readers) {
                    reader.get();
                }
                for (int check = 0; check < 3; check++) {
                    JsonObject seen = Api.json(api.get("/api/items/" + id));
                    assertThat("read after acknowledged write of version " + version,
                            seen.getInt("version"), is(version));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void etagAndIfMatch() {
        long id = create("guarded");
        String etag = api.get("/api/items/" + id).headers().firstValue("ETag").orElseThrow();
        assertThat(etag, is("\"1\""));

        HttpResponse<String> stale = api.put("/api/items/" + id, "{\"name\":\"x\"}", "If-Match", "\"7\"");
        assertThat(stale.statusCode(), is(412));
        assertThat(stale.headers().firstValue("Content-Type").orElseThrow(), startsWith("application/problem+json"));
        assertThat(Api.json(api.get("/api/items/" + id)).getString("name"), is("guarded"));

        assertThat(api.put("/api/items/" + id, "{\"name\":\"x\"}", "If-Match", "W/\"1\"").statusCode(), is(412));
        HttpResponse<String> ok = api.put("/api/items/" + id, "{\"name\":\"y\"}", "If-Match", etag);
        assertThat(ok.statusCode(), is(200));
        assertThat(Api.json(ok).getInt("version"), is(2));
        assertThat("the old tag no longer matches",
                api.put("/api/items/" + id, "{\"name\":\"z\"}", "If-Match", etag).statusCode(), is(412));
        assertThat(api.put("/api/items/" + id, "{\"name\":\"z\"}", "If-Match", "\"1\", \"2\"").statusCode(), is(200));
        assertThat(api.put("/api/items/" + id, "{\"name\":\"w\"}", "If-Match", "*").statusCode(), is(200));
        assertThat(api.get("/api/items/" + id, "If-None-Match", "\"4\"").statusCode(), is(304));
        assertThat("If-None-Match compares weakly", api.get("/api/items/" + id, "If-None-Match", "W/\"4\"").statusCode(), is(304));
        assertThat(api.get("/api/items/" + id, "If-None-Match", "W/\"3\", \"5\"").statusCode(), is(200));
    }

    @Test
    void deleteHonoursIfMatch() {
        long id = create("kept");
        HttpResponse<String> refused = api.delete("/api/items/" + id, "If-Match", "\"2\"");
        assertThat(refused.statusCode(), is(412));
        assertThat(refused.headers().firstValue("Content-Type").orElseThrow(), startsWith("application/problem+json"));
        assertThat(refused.headers().firstValue("ETag").orElseThrow(), is("\"1\""));
        assertThat("the item stays", api.get("/api/items/" + id).statusCode(), is(200));
        assertThat("a weak tag never matches If-Match", api.delete("/api/items/" + id, "If-Match", "W/\"1\"").statusCode(), is(412));
        assertThat(api.delete("/api/items/" + id, "If-Match", "\"1\"").statusCode(), is(204));
        assertThat(api.get("/api/items/" + id).statusCode(), is(404));
        assertThat(api.delete("/api/items/" + id, "If-Match", "\"1\"").statusCode(), is(404));
    }

    @Test
    void paginationWalksEveryItemOnceInIdOrder() {
        long before = lastId();
        List<Long> mine = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            mine.add(create("page-" + i));
        }
        List<Long> seen = new ArrayList<>();
        String after = Long.toString(before);
        int pages = 0;
        while (after != null) {
            JsonObject page = Api.json(api.get("/api/items?limit=3&after=" + after));
            page.getJsonArray("items").forEach(v -> seen.add(v.asJsonObject().getJsonNumber("id").longValue()));
            JsonValue next = page.get("next");
            after = next.getValueType() == JsonValue.ValueType.NULL ? null : next.toString();
            pages++;
        }
        assertThat(seen, is(mine));
        assertThat("7 items in pages of 3, and next is null exactly on the last page", pages, is(3));

        JsonObject exact = Api.json(api.get("/api/items?limit=1&after=" + mine.get(5)));
        assertThat(exact.getJsonArray("items").size(), is(1));
        assertThat(exact.get("next"), is(JsonValue.NULL));
        JsonObject empty = Api.json(api.get("/api/items?after=" + mine.get(6)));
        assertThat(empty.getJsonArray("items").size(), is(0));
        assertThat(empty.get("next"), is(JsonValue.NULL));
    }

    @Test
    void newestFirstPagesDownWithBefore() {
        List<Long> mine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mine.add(create("newest-" + i));
        }
        JsonObject first = Api.json(api.get("/api/items?order=desc&limit=2"));
        List<Long> ids = new ArrayList<>();
        first.getJsonArray("items").forEach(v -> ids.add(v.asJsonObject().getJsonNumber("id").longValue()));
        assertThat(ids, is(List.of(mine.get(4), mine.get(3))));
        assertThat(first.getJsonNumber("next").longValue(), is(mine.get(3)));
        JsonObject second = Api.json(api.get("/api/items?order=desc&limit=3&before=" + mine.get(3)));
        List<Long> more = new ArrayList<>();
        second.getJsonArray("items").forEach(v -> more.add(v.asJsonObject().getJsonNumber("id").longValue()));
        assertThat(more, is(List.of(mine.get(2), mine.get(1), mine.get(0))));
        JsonObject oldest = Api.json(api.get("/api/items?order=desc&limit=200&before=" + (oldestId() + 1)));
        assertThat("next is null exactly on the last page", oldest.get("next"), is(JsonValue.NULL));
        assertThat(api.get("/api/items?order=asc&after=" + (mine.get(4) - 1)).statusCode(), is(200));
    }

    @Test
    void pagingBoundsAndDefaults() {
        for (int i = 0; i < 3; i++) {
            create("bounds");
        }
        assertThat(Api.json(api.get("/api/items?limit=1")).getJsonArray("items").size(), is(1));
        assertThat(api.get("/api/items?limit=200").statusCode(), is(200));
        assertThat(api.get("/api/items?limit=201").statusCode(), is(400));
        assertThat(api.get("/api/items?after=0").statusCode(), is(200));
        JsonObject first = Api.json(api.get("/api/items"));
        assertThat(first.getJsonArray("items").size() <= 50, is(true));
        assertThat(first.getJsonArray("items").getJsonObject(0).getJsonNumber("id").longValue() >= 1, is(true));
    }

    @Test
    void idempotentRepeatAnswersTheFirstResponseAndCreatesNothing() throws SQLException {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> first = api.post("/api/items", "{\"name\":\"once\",\"quantity\":2}", "Idempotency-Key", key);
        assertThat(first.statusCode(), is(201));
        // Same item after trimming and defaults: key order, spaces, padding, explicit null.
        HttpResponse<String> repeat = api.post("/api/items",
                "{ \"quantity\" : 2 , \"description\" : null, \"name\":\"  once \" }", "Idempotency-Key", key);
        assertThat(repeat.statusCode(), is(201));
        assertThat(repeat.body(), is(first.body()));
        assertThat("the replay carries the ETag of the version it shows",
                repeat.headers().firstValue("ETag").orElseThrow(), is(first.headers().firstValue("ETag").orElseThrow()));
        assertThat(repeat.headers().firstValue("Location"), is(first.headers().firstValue("Location")));
        assertThat(rowsNamed("once", key), is(1));
        api.put(first.headers().firstValue("Location").orElseThrow(), "{\"name\":\"changed since\"}");
        HttpResponse<String> later = api.post("/api/items", "{\"name\":\"once\",\"quantity\":2}", "Idempotency-Key", key);
        assertThat(later.body(), is(first.body()));
        assertThat(later.headers().firstValue("ETag").orElseThrow(), is("\"1\""));

        HttpResponse<String> other = api.post("/api/items", "{\"name\":\"different\"}", "Idempotency-Key", key);
        assertThat(other.statusCode(), is(422));
        assertThat(other.headers().firstValue("Content-Type").orElseThrow(), startsWith("application/problem+json"));
        assertThat(countByName("different"), is(0));
    }

    @Test
    void twentyConcurrentCreatesWithOneKeyMakeOneItem() throws Exception {
        String key = "race-" + UUID.randomUUID();
        String name = "raced-" + UUID.randomUUID();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 20; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return api.post("/api/items", "{\"name\":\"" + name + "\"}", "Idempotency-Key", key);
                }));
            }
            start.countDown();
            Set<String> bodies = new HashSet<>();
            for (Future<HttpResponse<String>> result : results) {
                HttpResponse<String> response = result.get();
                assertThat(response.body(), response.statusCode(), is(201));
                bodies.add(response.body());
            }
            assertThat("every answer is the same item", bodies.size(), is(1));
        }
        assertThat(countByName(name), is(1));
    }

    @Test
    void idempotencyKeyMustBeVisibleAscii() {
        assertThat(api.post("/api/items", "{\"name\":\"k\"}", "Idempotency-Key", "a".repeat(201)).statusCode(), is(400));
        assertThat(api.post("/api/items", "{\"name\":\"k\"}", "Idempotency-Key", "has space").statusCode(), is(400));
        assertThat(api.post("/api/items", "{\"name\":\"k\"}", "Idempotency-Key", "a".repeat(200)).statusCode(), is(201));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Robert'); DROP TABLE items;--",
            "\\\" OR 1=1 --",
            "%_\\\\ LIKE wildcards",
            "emoji 🚀👩‍💻 and ünïcödé 漢字",
            "$1 $$quoted$$ ; -- /* */"})
    void unusualTextRoundTripsExactly(String name) {
        String json = Json.createObjectBuilder().add("name", name).add("description", name).build().toString();
        HttpResponse<String> created = api.post("/api/items", json);
        assertThat(created.statusCode(), is(201));
        long id = Api.json(created).getJsonNumber("id").longValue();
        for (int i = 0; i < 2; i++) { // MISS from PostgreSQL, then HIT from Redis
            JsonObject read = Api.json(api.get("/api/items/" + id));
            assertThat(read.getString("name"), is(name.strip()));
            assertThat(read.getString("description"), is(name));
        }
        assertThat(api.get("/api/items/1").statusCode(), lessThan(500));
    }

    @Test
    void lengthLimitsCountCodePoints() {
        String twoHundredEmoji = "😀".repeat(200);
        assertThat(api.post("/api/items", "{\"name\":\"" + twoHundredEmoji + "\"}").statusCode(), is(201));
        assertThat(api.post("/api/items", "{\"name\":\"" + twoHundredEmoji + "x\"}").statusCode(), is(400));
        assertThat(api.post("/api/items", "{\"name\":\"x\",\"description\":\"" + "é".repeat(2000) + "\"}").statusCode(),
                is(201));
        assertThat(api.post("/api/items", "{\"name\":\"x\",\"description\":\"" + "é".repeat(2001) + "\"}").statusCode(),
                is(400));
        assertThat(api.post("/api/items", "{\"name\":\"x\",\"quantity\":2147483647}").statusCode(), is(201));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"name\":", "not json", "[]", "\"name\"", "{}", "{\"name\":\"\"}", "{\"name\":\"   \"}",
            "{\"name\":1}", "{\"name\":true}", "{\"name\":[\"a\"]}", "{\"name\":{}}",
            "{\"name\":\"a\",\"description\":5}", "{\"name\":\"a\",\"quantity\":\"3\"}",
            "{\"name\":\"a\",\"quantity\":1.5}", "{\"name\":\"a\",\"quantity\":5.0}", "{\"name\":\"a\",\"quantity\":1e2}",
            "{\"name\":\"a\",\"quantity\":-1}", "{\"name\":\"a\",\"quantity\":2147483648}",
            "{\"name\":\"a\",\"quantity\":99999999999999999999999999}",
            "{\"name\":\"a\",\"extra\":1}", "{\"name\":\"a\",\"name\":\"b\"}", "{\"name\":\"a\"} {}",
            "{\"name\":\"a\\u0000b\"}", "{\"name\":\"\\ud800\"}", "{\"name\":\"a\",\"quantity\":true}",
            "{\"name\":\"a\",\"quantity\":[]}", ""})
    void badBodiesAre400NamingTheProblem(String body) {
        HttpResponse<String> created = api.post("/api/items", body);
        assertThat(body, created.statusCode(), is(400));
        assertThat(created.headers().firstValue("Content-Type").orElseThrow(), startsWith("application/problem+json"));
        assertThat(Api.json(created).getString("detail").isBlank(), is(false));
        long id = create("target");
        HttpResponse<String> replaced = api.put("/api/items/" + id, body);
        assertThat(body, replaced.statusCode(), is(400));
        assertThat("a refused write changes nothing", Api.json(api.get("/api/items/" + id)).getInt("version"), is(1));
    }

    @Test
    void detailNamesTheField() {
        assertThat(detail(api.post("/api/items", "{\"name\":\"a\",\"quantity\":-1}")), containsString("quantity"));
        assertThat(detail(api.post("/api/items", "{\"name\":\"a\",\"description\":7}")), containsString("description"));
        assertThat(detail(api.post("/api/items", "{\"description\":\"a\"}")), containsString("name"));
        assertThat(detail(api.post("/api/items", "{\"name\":\"a\",\"colour\":\"red\"}")), containsString("colour"));
    }

    @Test
    void invalidUtf8Is400() {
        byte[] body = {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThat(api.raw("POST", "/api/items", "application/json", body).statusCode(), is(400));
    }

    private static String detail(HttpResponse<String> response) {
        assertThat(response.statusCode(), is(400));
        return Api.json(response).getString("detail");
    }

    private long create(String name) {
        HttpResponse<String> response = api.post("/api/items", Json.createObjectBuilder().add("name", name).build().toString());
        assertThat(response.body(), response.statusCode(), is(201));
        return Api.json(response).getJsonNumber("id").longValue();
    }

    private static String cacheState(HttpResponse<String> response) {
        assertThat(response.statusCode(), is(200));
        return response.headers().firstValue("X-Cache").orElseThrow();
    }

    /** The oldest item's id, for a page that must be the last. */
    private static long oldestId() {
        return query("SELECT coalesce(min(id), 0) FROM items", null);
    }

    private static long lastId() {
        return query("SELECT coalesce(max(id), 0) FROM items", null);
    }

    private static int countByName(String name) {
        return (int) query("SELECT count(*) FROM items WHERE name = ?", name);
    }

    private static int rowsNamed(String name, String key) {
        return (int) query("SELECT count(*) FROM items i JOIN idempotency_keys k ON k.item_id = i.id "
                + "WHERE i.name = ? AND k.key = '" + key.replace("'", "''") + "'", name);
    }

    private static long query(String sql, String param) {
        try (Connection c = TestStack.get().jdbc(); PreparedStatement s = c.prepareStatement(sql)) {
            if (param != null) {
                s.setString(1, param);
            }
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
