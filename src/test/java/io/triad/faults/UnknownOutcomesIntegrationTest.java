package io.triad.faults;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;

import io.triad.support.Api;
import io.triad.support.Await;
import io.triad.support.RunningTriad;
import io.triad.support.TestStack;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;

/**
 * Writes whose outcome the instance can't know answer 504 "outcome unknown", never 503; a 503
 * means not applied; readiness follows PostgreSQL within 2 s (issue 18, points 4 and 5).
 */
@ServerTest
class UnknownOutcomesIntegrationTest {
    private final Api api;
    private final Api admin;

    UnknownOutcomesIntegrationTest(WebServer server) {
        this.api = RunningTriad.publicApi(server);
        this.admin = RunningTriad.adminApi(server);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        RunningTriad.configure(server, "outcomes-1");
    }

    @AfterAll
    static void close() {
        RunningTriad.close();
    }

    /**
     * A synchronous standby that never confirms (synchronous_standby_names names one that does
     * not exist): the COMMIT is applied on the primary and unconfirmed, so it is a 504, and so is
     * a replay of its key until the standby confirms; then the replay answers the first 201, and
     * one item exists. No backend is left waiting for the standby.
     */
    @Test
    void unconfirmedCommitAnswers504AndTheKeyedRetryAnswersTheFirstOutcome() throws Exception {
        String key = "unconfirmed-" + UUID.randomUUID();
        String name = "sync-" + UUID.randomUUID();
        String body = "{\"name\":\"" + name + "\"}";
        setSynchronousStandby("ghost");
        try {
            for (int attempt = 0; attempt < 2; attempt++) {
                long start = System.nanoTime();
                HttpResponse<String> r = api.post("/api/items", body, "Idempotency-Key", key);
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(r.body(), r.statusCode(), is(504));
                assertThat(millis, lessThan(2000L));
                assertThat(r.headers().firstValue("Content-Type").orElseThrow(), startsWith("application/problem+json"));
                assertThat(Api.json(r).getString("detail"), startsWith("outcome unknown"));
            }
            // Applied on the primary (not acknowledged): the outcome really was unknown.
            assertThat(count(name), is(1));
            Await.until(Duration.ofSeconds(5), "no backend waiting for the standby", () -> syncRepWaiters() == 0);
            HttpResponse<String> unkeyed = api.post("/api/items", "{\"name\":\"" + name + "-unkeyed\"}");
            assertThat(unkeyed.statusCode(), is(504));
        } finally {
            setSynchronousStandby("");
        }
        HttpResponse<String> replay = api.post("/api/items", body, "Idempotency-Key", key);
        assertThat(replay.body(), replay.statusCode(), is(201));
        assertThat(replay.headers().firstValue("Idempotent-Replayed").orElse(""), is("true"));
        JsonObject first = Api.json(replay);
        assertThat(first.getString("name"), is(name));
        assertThat(count(name), is(1));
        assertThat(admin.get("/metrics").body(), containsString("triad_write_failures_total{outcome=\"unknown\""));
    }

    /**
     * PostgreSQL frozen (docker pause: TCP open, nothing answers) under writes: every answer
     * within 2 s, a 503 or a 504; no write answered 503 is in the database afterwards; readiness
     * DOWN within 2 s of the freeze and UP within 2 s of the thaw.
     */
    @Test
    void frozenPostgresNeverAnswers503ForAnAppliedWrite() throws Exception {
        assertThat(api.post("/api/items", "{\"name\":\"before-freeze\"}").statusCode(), is(201));
        String prefix = "freeze-" + UUID.randomUUID() + "-";
        List<Future<String[]>> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        long frozenAt;
        long downAfter;
        TestStack.get().pausePostgres();
        frozenAt = System.nanoTime();
        try (ExecutorService writers = Executors.newVirtualThreadPerTaskExecutor()) {
            // Paced writes through the freeze, while this thread watches readiness.
            Future<?> pacer = writers.submit(() -> {
                for (int i = 0; i < 20; i++) {
                    String name = prefix + i;
                    boolean keyed = i % 2 == 0;
                    answers.add(writers.submit(() -> {
                        long start = System.nanoTime();
                        HttpResponse<String> r = keyed
                                ? api.post("/api/items", "{\"name\":\"" + name + "\"}", "Idempotency-Key", name)
                                : api.post("/api/items", "{\"name\":\"" + name + "\"}");
                        return new String[] {name, Integer.toString(r.statusCode()),
                                Long.toString((System.nanoTime() - start) / 1_000_000)};
                    }));
                    Thread.sleep(150);
                }
                return null;
            });
            Await.until(Duration.ofSeconds(2), "readiness DOWN", () -> admin.get("/health/ready").statusCode() == 503);
            downAfter = (System.nanoTime() - frozenAt) / 1_000_000;
            pacer.get();
        } finally {
            TestStack.get().unpausePostgres();
        }
        long thawedAt = System.nanoTime();
        Await.until(Duration.ofSeconds(2), "readiness UP", () -> admin.get("/health/ready").statusCode() == 200);
        long upAfter = (System.nanoTime() - thawedAt) / 1_000_000;
        List<String> appliedAfter503 = new ArrayList<>();
        int unknown = 0;
        for (Future<String[]> f : answers) {
            String[] a = f.get();
            assertThat(a[0] + " answered " + a[1], Integer.parseInt(a[1]), anyOf(is(201), is(503), is(504)));
            assertThat(a[0] + " took " + a[2] + " ms", Long.parseLong(a[2]), lessThan(2000L));
            if (a[1].equals("503") && count(a[0]) > 0) {
                appliedAfter503.add(a[0]);
            }
            unknown += a[1].equals("504") ? 1 : 0;
        }
        System.out.printf("freeze: readiness DOWN %d ms after the pause, UP %d ms after the thaw; %d of %d writes 504%n",
                downAfter, upAfter, unknown, answers.size());
        assertThat(appliedAfter503, is(empty()));
        assertThat(api.post("/api/items", "{\"name\":\"after-thaw\"}").statusCode(), is(201));
    }

    /** Readiness reports PostgreSQL gone (stopped) within 2 s, and a request is refused at once then. */
    @Test
    void readinessDownWithin2sAndRequestsRefusedAtOnce() {
        TestStack.get().stopPostgres();
        try {
            Await.until(Duration.ofSeconds(2), "readiness DOWN", () -> admin.get("/health/ready").statusCode() == 503);
            long start = System.nanoTime();
            HttpResponse<String> r = api.post("/api/items", "{\"name\":\"refused\"}");
            assertThat(r.statusCode(), is(503));
            assertThat((System.nanoTime() - start) / 1_000_000, lessThan(300L));
            assertThat(admin.get("/health/ready").body(), containsString("\"reachable\":false"));
        } finally {
            TestStack.get().startPostgres();
        }
        Await.until(Duration.ofSeconds(30), "readiness UP", () -> admin.get("/health/ready").statusCode() == 200);
    }

    private static void setSynchronousStandby(String names) throws SQLException {
        try (Connection c = TestStack.get().jdbc(); Statement s = c.createStatement()) {
            s.execute("ALTER SYSTEM SET synchronous_standby_names = '" + names + "'");
            s.execute("SELECT pg_reload_conf()");
        }
    }

    private static int syncRepWaiters() {
        try (Connection c = TestStack.get().jdbc(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int count(String name) throws SQLException {
        try (Connection c = TestStack.get().jdbc();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM items WHERE name = ?")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
