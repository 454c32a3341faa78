package io.triad.http;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;

import io.triad.support.Api;
import io.triad.support.RunningTriad;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/** The contract's sockets, headers and error rows, against the real routing on both sockets. */
@ServerTest
class ContractTest {
    private final Api api;
    private final Api admin;

    ContractTest(WebServer server) {
        this.api = RunningTriad.publicApi(server);
        this.admin = RunningTriad.adminApi(server);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        RunningTriad.configure(server, "contract-1");
    }

    @AfterAll
    static void close() {
        RunningTriad.close();
    }

    @Test
    void instanceAnswersWithIdentityHeaders() {
        HttpResponse<String> response = api.get("/api/instance");
        assertThat(response.statusCode(), is(200));
        assertThat(response.headers().firstValue("X-Instance").orElseThrow(), is("contract-1"));
        JsonObject body = Api.json(response);
        assertThat(body.getString("instance"), is("contract-1"));
        assertThat(body.getString("version"), is("1.0.0"));
        assertThat(body.getString("startedAt"), matchesPattern("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        assertThat(body.getJsonNumber("uptimeSeconds").longValue() >= 0, is(true));
        assertThat(body.getJsonNumber("requestsServed").longValue() >= 1, is(true));
    }

    @Test
    void saneRequestIdIsEchoedAndAnInsaneOneReplaced() {
        assertThat(api.get("/api/instance", "X-Request-Id", "abc.DEF_123-x").headers()
                .firstValue("X-Request-Id").orElseThrow(), is("abc.DEF_123-x"));
        String replaced = api.get("/api/instance", "X-Request-Id", "bad id;<script>").headers()
                .firstValue("X-Request-Id").orElseThrow();
        assertThat(replaced, matchesPattern("[0-9a-f-]{36}"));
        String tooLong = "a".repeat(129);
        assertThat(api.get("/api/instance", "X-Request-Id", tooLong).headers()
                .firstValue("X-Request-Id").orElseThrow(), not(tooLong));
        assertThat(api.get("/api/instance").headers().firstValue("X-Request-Id").orElseThrow(),
                matchesPattern("[0-9a-f-]{36}"));
    }

    @Test
    void accessLogLineNamesMethodPathStatusRequestIdInstanceAndForwardedClient() {
        java.util.List<String> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                // The MDC is read on the request's thread, as the console formatter reads it.
                records.add(record.getMessage() + " rid="
                        + io.helidon.logging.common.HelidonMdc.get(PublicRequestFilter.MDC_REQUEST_ID).orElse("-"));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger access = java.util.logging.Logger.getLogger("io.triad.access");
        access.addHandler(capture);
        try {
            // The test client is on loopback, a trusted proxy address: its X-Forwarded-For is believed.
            api.get("/api/items/0", "X-Request-Id", "log-check-1", "X-Forwarded-For", "203.0.113.9, 198.51.100.7");
            // The line is written once the response is on its way: wait for it.
            io.triad.support.Await.until(java.time.Duration.ofSeconds(5), "the access line",
                    () -> records.stream().anyMatch(m -> m.contains("/api/items/0")));
        } finally {
            access.removeHandler(capture);
        }
        String line = records.stream().filter(m -> m.contains("/api/items/0")).findFirst().orElseThrow();
        assertThat(line, matchesPattern(
                "GET /api/items/0 400 [0-9.]+ms instance=contract-1 client=198\\.51\\.100\\.7 rid=log-check-1"));
    }

    @Test
    void errorsCarryTheInstanceHeaderToo() {
        HttpResponse<String> response = api.get("/api/items/0");
        assertThat(response.headers().firstValue("X-Instance").orElseThrow(), is("contract-1"));
        assertThat(response.headers().firstValue("X-Request-Id").isPresent(), is(true));
    }

    @Test
    void healthAndMetricsLiveOnlyOnTheAdminSocket() {
        for (String path : new String[] {"/health", "/health/live", "/health/ready", "/health/started"}) {
            HttpResponse<String> health = admin.get(path);
            assertThat(path, health.statusCode(), is(200));
            assertThat(path, health.body(), containsString("\"status\":\"UP\""));
            assertProblem(api.get(path), 404);
        }
        HttpResponse<String> metrics = admin.get("/metrics");
        assertThat(metrics.statusCode(), is(200));
        assertThat(api.get("/metrics").statusCode(), is(404));
        assertThat(admin.get("/api/instance").statusCode(), is(404));
        assertThat(admin.get("/api/items").statusCode(), is(404));
    }

    @Test
    void livenessHoldsOnlyProcessChecks() {
        String live = admin.get("/health/live").body();
        assertThat(live, containsString("deadlock"));
        assertThat(live, not(containsString("postgresql")));
        String ready = admin.get("/health/ready").body();
        assertThat(ready, containsString("postgresql"));
        assertThat(admin.get("/health/started").body(), containsString("schema"));
    }

    @Test
    void metricsShowRequestsByRouteMethodAndStatusWithPoolAndCache() {
        api.get("/api/items/1");
        api.get("/api/instance");
        String metrics = admin.get("/metrics", "Accept", "text/plain").body();
        assertThat(metrics, containsString("triad_http_requests_seconds_count{method=\"GET\",route=\"/api/instance\""));
        assertThat(metrics, matchesPattern("(?s).*triad_http_requests_seconds_bucket\\{[^}]*route=\"/api/items/\\{id}\".*"));
        assertThat(metrics, containsString("triad_db_pool_active"));
        assertThat(metrics, containsString("triad_cache_hits_total"));
        assertThat(metrics, containsString("triad_cache_misses_total"));
        assertThat(metrics, containsString("triad_cache_bypasses_total"));
    }

    @Test
    void dashboardIsServedWithCacheHeadersAndRevalidates() {
        HttpResponse<String> page = api.get("/");
        assertThat(page.statusCode(), is(200));
        assertThat(page.headers().firstValue("Content-Type").orElseThrow(), startsWith("text/html"));
        assertThat(page.headers().firstValue("Cache-Control").orElseThrow(), is("no-cache"));
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow(), containsString("default-src 'none'"));
        String etag = page.headers().firstValue("ETag").orElseThrow();
        assertThat("a content hash, not a timestamp", etag, matchesPattern("\"[0-9a-f]{24}\""));
        assertThat(api.get("/app.css").headers().firstValue("ETag").orElseThrow(), not(etag));
        assertThat(api.get("/app.css").headers().firstValue("Cache-Control").orElseThrow(), is("public, max-age=300"));
        assertThat(api.get("/js/main.js").headers().firstValue("Content-Type").orElseThrow(),
                startsWith("text/javascript"));
        assertProblem(api.get("/../pom.xml"), 404);
        assertProblem(api.get("/js/../../application.yaml"), 404);
        assertProblem(api.get("/logging.properties"), 404);
        HttpResponse<String> again = api.get("/", "If-None-Match", etag);
        assertThat(again.statusCode(), is(304));
        assertThat(again.body(), is(""));
        assertThat(api.get("/", "If-None-Match", "\"other\"").statusCode(), is(200));
    }

    @Test
    void unknownRouteIs404Problem() {
        assertProblem(api.get("/api/nothing-here"), 404);
        assertProblem(api.get("/no/such/page"), 404);
    }

    @ParameterizedTest
    @CsvSource({
            "PATCH, /api/items, 'GET, POST'",
            "DELETE, /api/items, 'GET, POST'",
            "POST, /api/items/1, 'GET, PUT, DELETE'",
            "PATCH, /api/items/1, 'GET, PUT, DELETE'",
            "POST, /api/instance, GET",
            "DELETE, /api/cluster, GET"})
    void knownPathWithOtherMethodIs405WithAllow(String method, String path, String allow) {
        HttpResponse<String> response = api.raw(method, path, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        assertProblem(response, 405);
        assertThat(response.headers().firstValue("Allow").orElseThrow(), is(allow));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "01", "+1", "abc", "1.0", "9223372036854775808", "99999999999999999999", "1e3"})
    void badIdsAre400(String id) {
        JsonObject problem = assertProblem(api.get("/api/items/" + id), 400);
        assertThat(problem.getString("detail"), containsString("id"));
        assertProblem(api.put("/api/items/" + id, "{\"name\":\"x\"}"), 400);
        assertProblem(api.delete("/api/items/" + id), 400);
    }

    @Test
    void largestIdIsValidAndUnknown() {
        assertProblem(api.get("/api/items/9223372036854775807"), 404);
    }

    @ParameterizedTest
    @ValueSource(strings = {"limit=0", "limit=201", "limit=-1", "limit=abc", "limit=", "limit=1.5", "limit=050",
            "after=-1", "after=01", "after=x", "after=9223372036854775808", "after=+3",
            "order=up", "order=", "order=desc&after=3", "before=3", "order=desc&before=-1", "order=desc&before=01"})
    void badPagingParametersAre400(String query) {
        JsonObject problem = assertProblem(api.get("/api/items?" + query), 400);
        String lastParameter = query.substring(query.lastIndexOf('&') + 1, query.lastIndexOf('='));
        assertThat(problem.getString("detail"), containsString(lastParameter));
    }

    @Test
    void nonJsonBodyIs415AndTheConnectionSurvives() {
        assertProblem(api.raw("POST", "/api/items", "text/plain", "name=x".getBytes(StandardCharsets.UTF_8)), 415);
        assertProblem(api.raw("POST", "/api/items", null, "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8)), 415);
        assertProblem(api.raw("PUT", "/api/items/1", "application/xml", "<a/>".getBytes(StandardCharsets.UTF_8)), 415);
        assertProblem(api.raw("POST", "/api/items", "application/json; charset=latin1",
                "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8)), 415);
        // A big refused body is drained, not left in the socket: the next request still works.
        byte[] big = new byte[200_000];
        Arrays.fill(big, (byte) 'x');
        assertProblem(api.raw("POST", "/api/items", "text/plain", big), 415);
        assertThat(api.get("/api/instance").statusCode(), is(200));
    }

    /** The description is served as it is in the repository, through the public filter. */
    @Test
    void openApiDescriptionIsServed() throws java.io.IOException {
        HttpResponse<String> response = api.get("/openapi");
        assertThat(response.statusCode(), is(200));
        assertThat(response.headers().firstValue("Content-Type").orElseThrow(), startsWith("application/yaml"));
        assertThat(response.headers().firstValue("X-Instance").orElseThrow(), is("contract-1"));
        try (var in = getClass().getClassLoader().getResourceAsStream("META-INF/openapi.yaml")) {
            assertThat(response.body(), is(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        assertThat(response.body(), startsWith("openapi: 3.1."));
        HttpResponse<String> post = api.post("/openapi", "{}");
        assertProblem(post, 405);
        assertThat(post.headers().firstValue("Allow").orElseThrow(), is("GET"));
    }

    @Test
    void bodyOver64KiBIs413() {
        byte[] body = new byte[64 * 1024 + 1];
        Arrays.fill(body, (byte) ' ');
        body[0] = '{';
        body[body.length - 1] = '}';
        assertProblem(api.raw("POST", "/api/items", "application/json", body), 413);
        assertProblem(api.raw("PUT", "/api/items/1", "application/json", body), 413);
        assertThat(api.get("/api/instance").statusCode(), is(200));
    }

    @Test
    void bodyOfExactly64KiBIsRead() {
        String name = "{\"name\":\"limit\"}";
        byte[] body = new byte[64 * 1024];
        Arrays.fill(body, (byte) ' ');
        System.arraycopy(name.getBytes(StandardCharsets.UTF_8), 0, body, 0, name.length());
        assertThat(api.raw("POST", "/api/items", "application/json", body).statusCode(), is(201));
    }

    /**
     * An error repeats at most 40 characters of a value the client sent, and a problem's instance
     * at most 200 of the path (docs/API.md "Errors"): however large the input, the answer stays
     * small, and a control character comes back escaped.
     */
    @Test
    void errorsRepeatOnlyAShortExcerptOfTheClientsInput() {
        String big = "x".repeat(6_000);
        String key = "x".repeat(200);
        String longPath = "x".repeat(1_500); // under the 2 KiB request line Helidon reads
        String location = api.post("/api/items", "{\"name\":\"echo\"}").headers().firstValue("Location").orElseThrow();
        assertThat(api.post("/api/items", "{\"name\":\"echo-a\"}", "Idempotency-Key", key).statusCode(), is(201));
        java.util.Map<String, HttpResponse<String>> answers = new java.util.LinkedHashMap<>();
        answers.put("unknown field", api.post("/api/items", "{\"" + big + "\":1}"));
        answers.put("quantity literal", api.post("/api/items", "{\"name\":\"a\",\"quantity\":1." + "0".repeat(6_000) + "}"));
        answers.put("Content-Type", api.raw("POST", "/api/items", "application/" + big, "{}".getBytes(StandardCharsets.UTF_8)));
        answers.put("limit", api.get("/api/items?limit=" + longPath));
        answers.put("id", api.get("/api/items/" + longPath));
        answers.put("path", api.get("/api/" + longPath));
        answers.put("If-Match", api.put(location, "{\"name\":\"b\"}", "If-Match", "\"" + big + "\""));
        answers.put("Idempotency-Key", api.post("/api/items", "{\"name\":\"echo-b\"}", "Idempotency-Key", key));
        java.util.Map<String, Integer> statuses = java.util.Map.of("Content-Type", 415, "path", 404, "If-Match", 412,
                "Idempotency-Key", 422);
        answers.forEach((what, response) -> {
            JsonObject problem = assertProblem(response, statuses.getOrDefault(what, 400));
            assertThat(what + ": " + problem.getString("detail"), problem.getString("detail"),
                    not(containsString("x".repeat(41))));
            assertThat(what, problem.getString("instance").length() <= 201, is(true));
            assertThat(what + " answered " + response.body().length() + " bytes", response.body().length() < 1_000, is(true));
        });
        JsonObject control = assertProblem(api.post("/api/items", "{\"a\\u0007b\":1}"), 400);
        assertThat(control.getString("detail"), containsString("'a\\u0007b'"));
    }

    /** Seeded random requests: whatever a client sends, the answer is never a 500. */
    @Test
    void noInputProducesA500() {
        java.util.Random random = new java.util.Random(20261128);
        String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
        String[] paths = {"/api/items", "/api/items/", "/api/items/%d", "/api/items/%d/x", "/api/items?limit=%d&after=%d",
                "/api/items?after=%d", "/api/cluster", "/api/instance", "/%d", "/api/items/%%00", "/api//items"};
        String[] fragments = {"{", "}", "[", "]", "\"name\"", ":", ",", "\"quantity\"", "\"description\"", "null", "true",
                "-0", "1e400", "\"\\ud83d\"", "\"x\"", "9223372036854775808", " ", "\"\\u0000\"", "0.0", "\"\"", "{}"};
        for (int i = 0; i < 400; i++) {
            String method = methods[random.nextInt(methods.length)];
            String path = paths[random.nextInt(paths.length)].formatted(random.nextLong(), random.nextInt(300) - 50);
            StringBuilder body = new StringBuilder();
            for (int f = random.nextInt(12); f > 0; f--) {
                body.append(fragments[random.nextInt(fragments.length)]);
            }
            String type = random.nextInt(5) == 0 ? "text/plain" : "application/json";
            HttpResponse<String> response = api.raw(method, path, type, body.toString().getBytes(StandardCharsets.UTF_8));
            String request = method + " " + path + " " + body;
            assertThat(request + " -> " + response.body(), response.statusCode() < 500, is(true));
            if (response.statusCode() >= 400) {
                assertThat(request, response.headers().firstValue("Content-Type").orElse(""),
                        startsWith("application/problem+json"));
            }
        }
    }

    static JsonObject assertProblem(HttpResponse<String> response, int status) {
        assertThat(response.body(), response.statusCode(), is(status));
        assertThat(response.headers().firstValue("Content-Type").orElseThrow(), startsWith("application/problem+json"));
        JsonObject problem = Api.json(response);
        assertThat(problem.getString("type"), is("about:blank"));
        assertThat(problem.getInt("status"), is(status));
        assertThat(problem.getString("title").isBlank(), is(false));
        assertThat(problem.getString("detail").isBlank(), is(false));
        assertThat(problem.getString("instance"), startsWith("/"));
        assertThat(response.body(), not(containsString("Exception")));
        return problem;
    }
}
