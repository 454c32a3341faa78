package io.triad.faults;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import io.triad.Triad;
import io.triad.config.Settings;
import io.triad.support.Api;
import io.triad.support.Await;
import io.triad.support.TestStack;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/** Every pooled connection busy: the next request is shed with 503 quickly, not queued forever. */
class SaturationTest {

    private static int waitingOnLock(Connection c) {
        try (Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity "
                     + "WHERE application_name = 'triad-saturated-1' AND wait_event_type = 'Lock'")) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aSaturatedPoolShedsLoadWith503AndRecovers() throws Exception {
        Map<String, String> env = TestStack.get().env("saturated-1");
        env.put("DB_POOL_SIZE", "1");
        Triad triad = Triad.create(Settings.load(Config.create(), env));
        WebServer server = triad.start();
        Api api = new Api(server.port());
        Api admin = new Api(server.port(Triad.ADMIN_SOCKET));
        try {
            Await.until(java.time.Duration.ofSeconds(10), "ready", () -> admin.get("/health/ready").statusCode() == 200);
            long id = Api.json(api.post("/api/items", "{\"name\":\"busy\"}")).getJsonNumber("id").longValue();
            try (Connection lock = TestStack.get().jdbc()) {
                lock.setAutoCommit(false);
                try (Statement s = lock.createStatement()) {
                    s.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
                }
                // Eight reads at once on one connection: the first holds it while it waits on the
                // lock (until PostgreSQL's lock_timeout), the others are refused within the pool's
                // wait, saying why.
                var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
                List<CompletableFuture<HttpResponse<String>>> reads = new ArrayList<>();
                List<CompletableFuture<Long>> millis = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    long start = System.nanoTime();
                    CompletableFuture<HttpResponse<String>> read =
                            CompletableFuture.supplyAsync(() -> api.get("/api/items/" + id), threads);
                    reads.add(read);
                    millis.add(read.thenApply(r -> (System.nanoTime() - start) / 1_000_000));
                }
                Await.until(java.time.Duration.ofSeconds(5), "the only connection waiting on the lock",
                        () -> waitingOnLock(lock) == 1);
                assertThat("readiness is not starved by the saturated request pool",
                        admin.get("/health/ready").statusCode(), is(200));
                int shed = 0;
                for (int i = 0; i < reads.size(); i++) {
                    HttpResponse<String> read = reads.get(i).join();
                    assertThat(read.statusCode(), is(503));
                    assertThat(millis.get(i).join(), lessThan(2000L));
                    if (Api.json(read).getString("detail").contains("capacity")) {
                        assertThat(read.headers().firstValue("Retry-After").orElseThrow(), is("1"));
                        shed++;
                    }
                }
                assertThat("requests refused for want of a connection", shed > 0, is(true));
                threads.close();
                lock.rollback();
            }
            Await.until(java.time.Duration.ofSeconds(5), "served again",
                    () -> api.get("/api/items/" + id).statusCode() == 200);
        } finally {
            triad.drainAndStop(server);
        }
    }
}
