package io.triad.faults;

import java.net.http.HttpResponse;
import java.time.Duration;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;

import io.triad.support.Api;
import io.triad.support.Await;
import io.triad.support.RunningTriad;
import io.triad.support.TestStack;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/** Redis and PostgreSQL stopped under a running instance, and recovery without a restart. */
@ServerTest
class OutagesIntegrationTest {
    private final Api api;
    private final Api admin;

    OutagesIntegrationTest(WebServer server) {
        this.api = RunningTriad.publicApi(server);
        this.admin = RunningTriad.adminApi(server);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        RunningTriad.configure(server, "outage-1");
    }

    @AfterAll
    static void close() {
        RunningTriad.close();
    }

    @Test
    void redisDownBypassesTheCacheAndNothingGoesStale() {
        long id = Api.json(api.post("/api/items", "{\"name\":\"before\"}")).getJsonNumber("id").longValue();
        api.get("/api/items/" + id);
        assertThat(api.get("/api/items/" + id).headers().firstValue("X-Cache").orElseThrow(), is("HIT"));
        Await.until(Duration.ofSeconds(5), "this instance in the cluster view",
                () -> !cluster().getBoolean("degraded") && cluster().getJsonArray("instances").size() >= 1);

        TestStack.get().stopRedis();
        try {
            Await.until(Duration.ofSeconds(10), "reads bypass the cache", () -> "BYPASS".equals(
                    api.get("/api/items/" + id).headers().firstValue("X-Cache").orElse("")));
            HttpResponse<String> read = api.get("/api/items/" + id);
            assertThat(read.statusCode(), is(200));
            assertThat("while Redis is down, a write is acknowledged",
                    api.put("/api/items/" + id, "{\"name\":\"during\"}").statusCode(), is(200));
            assertThat(api.post("/api/items", "{\"name\":\"created while redis is down\"}").statusCode(), is(201));
            Await.until(Duration.ofSeconds(10), "cluster view degraded", () -> cluster().getBoolean("degraded"));
            JsonObject degraded = cluster();
            assertThat(degraded.get("totalRequests"), is(JsonValue.NULL));
            assertThat(degraded.getJsonArray("instances").size(), is(1));
            assertThat(degraded.getJsonArray("instances").getJsonObject(0).getString("instance"), is("outage-1"));
            assertThat("readiness does not depend on Redis", admin.get("/health/ready").statusCode(), is(200));
        } finally {
            TestStack.get().startRedis();
        }
        Await.until(Duration.ofSeconds(10), "cache used again", () -> !"BYPASS".equals(
                api.get("/api/items/" + id).headers().firstValue("X-Cache").orElse("BYPASS")));
        Await.until(Duration.ofSeconds(10), "cluster view recovered", () -> !cluster().getBoolean("degraded"));
        // Redis came back with the copy it saved before the outage; the write made during the
        // outage must still win.
        for (int i = 0; i < 3; i++) {
            assertThat(api.json("/api/items/" + id).getString("name"), is("during"));
        }
        assertThat(cluster().getJsonNumber("totalRequests").longValue() > 0, is(true));
    }

    @Test
    void postgresDownAnswers503QuicklyAndRecoversWithoutRestart() {
        long id = Api.json(api.post("/api/items", "{\"name\":\"survivor\"}")).getJsonNumber("id").longValue();
        TestStack.get().stopPostgres();
        try {
            Await.until(Duration.ofSeconds(10), "readiness DOWN", () -> admin.get("/health/ready").statusCode() == 503);
            for (String path : new String[] {"/api/items/999999999", "/api/items?limit=5"}) {
                long start = System.nanoTime();
                HttpResponse<String> response = api.get(path);
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(path + " answered in " + millis + " ms", millis, lessThan(2000L));
                assertThat(response.statusCode(), is(503));
                assertThat(response.headers().firstValue("Content-Type").orElseThrow(),
                        startsWith("application/problem+json"));
                assertThat(response.headers().firstValue("Retry-After").isPresent(), is(true));
                assertThat(response.body(), not(org.hamcrest.Matchers.containsString("Exception")));
            }
            long start = System.nanoTime();
            assertThat(api.post("/api/items", "{\"name\":\"lost?\"}").statusCode(), is(503));
            assertThat((System.nanoTime() - start) / 1_000_000, lessThan(2000L));
            assertThat(api.get("/api/instance").statusCode(), is(200));
            assertThat(admin.get("/health/live").statusCode(), is(200));
        } finally {
            TestStack.get().startPostgres();
        }
        Await.until(Duration.ofSeconds(30), "readiness UP again", () -> admin.get("/health/ready").statusCode() == 200);
        Await.until(Duration.ofSeconds(10), "item calls work again",
                () -> api.get("/api/items/" + id).statusCode() == 200);
        assertThat(api.post("/api/items", "{\"name\":\"after\"}").statusCode(), is(201));
    }

    private JsonObject cluster() {
        HttpResponse<String> response = api.get("/api/cluster");
        assertThat(response.statusCode(), is(200));
        return Api.json(response);
    }
}
