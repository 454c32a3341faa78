package io.triad.faults;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
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
        try {
            long id = Api.json(api.post("/api/items", "{\"name\":\"busy\"}")).getJsonNumber("id").longValue();
            try (Connection lock = TestStack.get().jdbc()) {
                lock.setAutoCommit(false);
                try (Statement s = lock.createStatement()) {
                    s.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
                }
                // This request takes the only connection and waits on the lock...
                CompletableFuture<HttpResponse<String>> holder =
                        CompletableFuture.supplyAsync(() -> api.put("/api/items/" + id, "{\"name\":\"held\"}"));
                Await.until(java.time.Duration.ofSeconds(5), "the only connection waiting on the lock",
                        () -> waitingOnLock(lock) == 1);
                // ...so the next one is refused within the pool's timeout, saying why.
                long start = System.nanoTime();
                HttpResponse<String> shed = api.get("/api/items?limit=1");
                assertThat((System.nanoTime() - start) / 1_000_000, lessThan(2000L));
                assertThat(shed.statusCode(), is(503));
                assertThat(shed.headers().firstValue("Retry-After").orElseThrow(), is("1"));
                assertThat(Api.json(shed).getString("detail"), containsString("capacity"));
                assertThat("readiness is not starved by the saturated request pool",
                        new Api(server.port(Triad.ADMIN_SOCKET)).get("/health/ready").statusCode(), is(200));
                lock.rollback();
                holder.join();
            }
            Await.until(java.time.Duration.ofSeconds(5), "served again",
                    () -> api.get("/api/items/" + id).statusCode() == 200);
        } finally {
            triad.drainAndStop(server);
        }
    }
}
