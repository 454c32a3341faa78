package io.triad.tracing;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.triad.support.Api;
import io.triad.support.Await;
import io.triad.support.RunningTriad;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

/**
 * The service continues a W3C trace, answers its id, and (with an exporter, here the SDK's
 * in-memory one) exports a server span per request with PostgreSQL and Redis child spans.
 */
@ServerTest
class TracingTest {
    private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT = "00f067aa0ba902b7";
    private final Api api;

    TracingTest(WebServer server) {
        this.api = RunningTriad.publicApi(server);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        Tracing.install(Tracing.exportingTo(SPANS, "trace-1"));
        RunningTriad.configure(server, "trace-1");
    }

    @AfterAll
    static void close() {
        RunningTriad.close();
        Tracing.installed().close();
        Tracing.install(null);
    }

    @BeforeEach
    void forget() {
        SPANS.reset();
    }

    @Test
    void anIncomingTraceIsContinuedWithChildSpansForPostgresqlAndRedis() {
        String location = api.post("/api/items", "{\"name\":\"traced\"}").headers().firstValue("Location").orElseThrow();
        SPANS.reset();

        HttpResponse<String> read = api.get(location, "traceparent", "00-" + TRACE + "-" + PARENT + "-01");
        assertThat(read.statusCode(), is(200));
        assertThat(read.headers().firstValue("X-Trace-Id").orElseThrow(), is(TRACE));

        SpanData server = awaitServerSpan(TRACE);
        assertThat(server.getName(), is("GET /api/items/{id}"));
        assertThat(server.getParentSpanId(), is(PARENT));
        assertThat(server.getAttributes().get(AttributeKey.stringKey("http.route")), is("/api/items/{id}"));
        assertThat(server.getAttributes().get(AttributeKey.longKey("http.response.status_code")), is(200L));
        // A first read: a cache miss, so Redis (look-up, fill) and PostgreSQL (the row).
        List<SpanData> children = SPANS.getFinishedSpanItems().stream()
                .filter(s -> s.getParentSpanId().equals(server.getSpanId())).toList();
        assertThat(children.toString(), children.stream().allMatch(s -> s.getKind() == SpanKind.CLIENT
                && s.getTraceId().equals(TRACE)), is(true));
        assertThat(children.toString(), children.stream().anyMatch(s -> "postgresql".equals(system(s))), is(true));
        assertThat(children.toString(), children.stream().anyMatch(s -> "redis".equals(system(s))), is(true));
    }

    @Test
    void withoutATraceparentOrWithAnInvalidOneANewTraceStarts() {
        String started = api.get("/api/instance").headers().firstValue("X-Trace-Id").orElseThrow();
        assertThat(started, matchesPattern("[0-9a-f]{32}"));
        SpanData root = awaitServerSpan(started);
        assertThat(root.getParentSpanContext().isValid(), is(false));
        assertThat(root.getName(), is("GET /api/instance"));

        String bad = "00-" + "0".repeat(32) + "-" + PARENT + "-01";
        String replaced = api.get("/api/instance", "traceparent", bad).headers().firstValue("X-Trace-Id").orElseThrow();
        assertThat(replaced, matchesPattern("[0-9a-f]{32}"));
        assertThat(replaced, not("0".repeat(32)));
        awaitServerSpan(replaced);
    }

    @Test
    void aNotFoundIsNamedByItsRouteNeverItsPath() {
        String id = api.get("/no/such/" + System.nanoTime()).headers().firstValue("X-Trace-Id").orElseThrow();
        assertThat(awaitServerSpan(id).getName(), is("GET unmatched"));
    }

    @Test
    void withoutAnEndpointNothingIsExportedButTheTraceIsStillContinued() {
        Tracing off = Tracing.fromEnvironment(Map.of(), "x");
        assertThat(off.exporting(), is(false));
        assertThat(off.dbClientService().isPresent(), is(false));
        Tracing.Request request = off.request("00-" + TRACE + "-" + PARENT + "-01", "GET");
        assertThat(request.traceId(), is(TRACE));
        request.end("GET", "/api/instance", 200);
        assertThat(off.client("redis", "redis", () -> "answer"), is("answer"));
        assertThat(Tracing.fromEnvironment(Map.of(Tracing.ENDPOINT_VARIABLE, " "), "x").exporting(), is(false));
    }

    private static SpanData awaitServerSpan(String traceId) {
        Await.until(Duration.ofSeconds(5), "the server span of trace " + traceId, () -> serverSpan(traceId) != null);
        return serverSpan(traceId);
    }

    private static SpanData serverSpan(String traceId) {
        return SPANS.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == SpanKind.SERVER && s.getTraceId().equals(traceId))
                .findFirst().orElse(null);
    }

    private static String system(SpanData span) {
        return span.getAttributes().get(AttributeKey.stringKey("db.system"));
    }
}
