package io.triad.observe;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;

import io.triad.support.Api;
import io.triad.support.ProjectFiles;
import io.triad.support.RunningTriad;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

/**
 * A live instance's /metrics, as Prometheus scrapes it, passes `promtool check metrics` (the
 * promtool of the Prometheus image that compose.yaml names) and carries what the rules and the
 * dashboard plot.
 */
@ServerTest
class MetricsLintTest {
    private final Api api;
    private final Api admin;

    MetricsLintTest(WebServer server) {
        this.api = RunningTriad.publicApi(server);
        this.admin = RunningTriad.adminApi(server);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        RunningTriad.configure(server, "lint-1");
    }

    @AfterAll
    static void close() {
        RunningTriad.close();
    }

    @Test
    void promtoolFindsNoProblemInTheMetricsOfALiveInstance() throws Exception {
        api.get("/api/items/1");
        api.get("/api/instance");
        api.get("/no/such/page");
        String metrics = admin.get("/metrics", "Accept", "text/plain; version=0.0.4").body();

        Process promtool = new ProcessBuilder("docker", "run", "--rm", "-i", "--network", "none",
                "--entrypoint", "promtool", ProjectFiles.composeImage("prometheus"), "check", "metrics")
                .redirectErrorStream(true)
                .start();
        try (OutputStream in = promtool.getOutputStream()) {
            in.write(metrics.getBytes(StandardCharsets.UTF_8));
        }
        String report = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat("promtool finished", promtool.waitFor(2, TimeUnit.MINUTES), is(true));
        assertThat("promtool check metrics:\n" + report, promtool.exitValue(), is(0));
    }

    @Test
    void requestsAreCountedByStatusClassWithTheSloBuckets() {
        api.get("/api/instance");
        api.get("/no/such/page");
        String metrics = admin.get("/metrics", "Accept", "text/plain").body();
        assertThat(metrics, matchesPattern("(?s).*triad_http_requests_seconds_count\\{[^}]*route=\"/api/instance\"[^}]*status=\"2xx\"[^}]*}.*"));
        assertThat(metrics, matchesPattern("(?s).*triad_http_requests_seconds_count\\{[^}]*route=\"unmatched\"[^}]*status=\"4xx\"[^}]*}.*"));
        // 250 ms, the p99 objective, is a bucket bound: "within 250 ms" is counted, not interpolated.
        assertThat(metrics, matchesPattern("(?s).*triad_http_requests_seconds_bucket\\{[^}]*route=\"/api/instance\"[^}]*le=\"0\\.25\".*"));
        assertThat("a fixed set of buckets, not Micrometer's 70-odd percentile buckets", metrics,
                not(containsString("le=\"0.001048576\"")));
    }

    @Test
    void heartbeatJvmAndGcAreExported() {
        String metrics = admin.get("/metrics", "Accept", "text/plain").body();
        assertThat(metrics, matchesPattern("(?s).*\ntriad_heartbeat_last_success_timestamp_seconds\\{[^}]*} [1-9][0-9.E]+\n.*"));
        assertThat(metrics, matchesPattern("(?s).*\njvm_memory_used_bytes\\{area=\"heap\"[^}]*} [1-9].*"));
        assertThat(metrics, containsString("jvm_gc_pause_seconds_count{gc="));
        assertThat(metrics, containsString("jvm_threads_live"));
        assertThat(metrics, containsString("triad_heartbeat_failures_total"));
        assertThat(metrics, containsString("triad_db_pool_active"));
        assertThat(metrics, containsString("triad_cache_bypasses_total"));
    }
}
