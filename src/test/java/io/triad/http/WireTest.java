package io.triad.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.helidon.logging.common.HelidonMdc;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;

import io.triad.Triad;
import io.triad.support.Api;
import io.triad.support.Await;
import io.triad.support.RunningTriad;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * What a client that writes its own bytes sees: made-up methods, requests Helidon refuses
 * before routing, methods a known path does not serve, and a client that hangs up mid-body.
 */
@ServerTest
class WireTest {
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    private static final Pattern SERIES = Pattern.compile("(?m)^triad_http_requests_seconds_count\\{((?:[^\"}]|\"[^\"]*\")*)}");

    private final int port;
    private final int adminPort;
    private final Api admin;

    WireTest(WebServer server) {
        this.port = server.port();
        this.adminPort = server.port(Triad.ADMIN_SOCKET);
        this.admin = RunningTriad.adminApi(server);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        RunningTriad.configure(server, "wire-1");
    }

    @AfterAll
    static void close() {
        RunningTriad.close();
    }

    /** Issue 9 point 3: 1,500 made-up methods grew /metrics from 65 KB to 5 MB. */
    @Test
    void thousandsOfMadeUpMethodsAddNoMetricSeries() {
        String[] paths = {"/api/items", "/api/items/7", "/api/instance", "/", "/no/such/page"};
        // Warm up: the first made-up method on each path may add its one "other" series. A request
        // is counted just after its answer is sent: wait for the counts before reading the series.
        double counted = otherCount();
        for (String path : paths) {
            RawHttp.exchange(port, RawHttp.request("ZWARMUP", path));
        }
        awaitOtherCount(counted + paths.length);
        List<String> before = series();
        int bytesBefore = metricsText().length();
        for (int i = 0; i < 3000; i++) {
            String method = madeUpMethod(i);
            String path = paths[i % paths.length];
            RawHttp.Answer answer = RawHttp.exchange(port, RawHttp.request(method, path, "X-Request-Id: m-" + i));
            String what = method + " " + path + " -> " + answer;
            if (path.equals("/no/such/page")) {
                assertThat(what, answer.status(), is(501));
            } else {
                assertThat(what, answer.status(), is(405));
                assertThat(what, answer.header("Allow").orElse(""), startsWith("GET"));
            }
            assertProblem(what, answer);
            assertThat(what, answer.header("X-Request-Id").orElse(""), is("m-" + i));
        }
        awaitOtherCount(counted + paths.length + 3000);
        List<String> after = series();
        assertThat("series added by 3000 made-up methods: " + after.stream().filter(s -> !before.contains(s)).toList(),
                after.size(), is(before.size()));
        assertThat(metricsText().length() - bytesBefore, lessThanOrEqualTo(4096));
        assertThat(after.stream().filter(s -> s.contains("method=\"ZA")).toList(), empty());
        assertThat(after.stream().anyMatch(s -> s.contains("method=\"other\"")), is(true));
    }

    @Test
    void everyLabelComesFromAFixedSet() {
        RawHttp.exchange(port, RawHttp.request("GET", "/api/items/9223372036854775807"));
        RawHttp.exchange(port, RawHttp.request("PATCH", "/some/path/" + System.nanoTime()));
        RawHttp.exchange(port, RawHttp.request("GET", "/%zz"));
        for (String s : series()) {
            assertThat(s, s, matchesPattern(".*method=\"(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS|TRACE|CONNECT|other)\".*"));
            assertThat(s, s, matchesPattern(".*status=\"[1-5]xx\".*"));
            assertThat(s, s, matchesPattern(".*route=\"(/|/\\*|/openapi|/api/[a-z]+(/\\{id})?|unmatched|unrouted)\".*"));
        }
    }

    /** Issue 9 point 4: refusals Helidon raises before routing are problem+json too. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "GET /api/items/%zz HTTP/1.1                 | 400",
            "GET /%zz HTTP/1.1                           | 400",
            "GET /api/items/%00 HTTP/1.1                 | 400",
            "GET /api/items?limit=%zz HTTP/1.1           | 400",
            "GET /api/items?limit=%zz&after=%G1 HTTP/1.1 | 400",
            "GET /api/items/%e2%82 HTTP/1.1              | 400",
            "GET  /api/items HTTP/1.1                    | 400",
            "GET /api/items HTTP/1.1 extra               | 400",
            "GET /api/items HTTP/1.0                     | 505",
            "GET /api/items HTTP/9.9                     | 400",
            "G(T /api/items HTTP/1.1                     | 400",
            "CONNECT example.com:443 HTTP/1.1            | 400",
            "GET example.com:80 HTTP/1.1                 | 400"})
    void requestLinesRefusedBeforeRoutingAreProblems(String requestLine, int status) {
        String request = requestLine.strip() + "\r\nHost: localhost\r\nX-Request-Id: pre-1\r\nConnection: close\r\n\r\n";
        RawHttp.Answer answer = RawHttp.exchange(port, request);
        assertThat(answer.toString(), answer.status(), is(status));
        assertProblem(requestLine, answer);
        // The request line is read before the headers: the id is ours or, if the headers were read, the client's.
        assertThat(answer.header("X-Request-Id").orElse(""), matchesPattern("pre-1|" + UUID));
        assertThat(answer.header("X-Instance").orElse(""), is("wire-1"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "Bad Name: x",
            "NoColonAtAll",
            "X-Ctl: a\u0001b",
            "Content-Length: 12x",
            "Content-Length: -1",
            "Transfer-Encoding: gzip"})
    void headersRefusedBeforeRoutingAreProblems(String header) {
        String request = "POST /api/items HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: hdr-1\r\n" + header
                + "\r\nConnection: close\r\n\r\n";
        RawHttp.Answer answer = RawHttp.exchange(port, request);
        assertThat(answer.toString(), answer.status(), is(400));
        assertProblem(header, answer);
        // A header that cannot be parsed loses the others with it; a bad framing header does not.
        assertThat(answer.header("X-Request-Id").orElse(""), matchesPattern("hdr-1|" + UUID));
    }

    @Test
    void aTargetInAbsoluteFormIsRouted() {
        RawHttp.Answer answer = RawHttp.exchange(port, RawHttp.request("GET", "http://localhost/api/instance"));
        assertThat(answer.toString(), answer.status(), is(200));
        RawHttp.Answer missing = RawHttp.exchange(port, RawHttp.request("GET", "http://localhost/api/items/0"));
        assertThat(missing.toString(), missing.status(), is(400));
        assertProblem("absolute form", missing);
    }

    @Test
    void aRefusalAfterTheHeadersKeepsTheClientsRequestId() {
        RawHttp.Answer answer = RawHttp.exchange(port, RawHttp.request("POST", "/api/items",
                "X-Request-Id: mine-7", "Content-Length: 12x"));
        assertThat(answer.toString(), answer.status(), is(400));
        assertProblem("Content-Length: 12x", answer);
        assertThat(answer.header("X-Request-Id").orElse(""), is("mine-7"));
    }

    @Test
    void refusalsBeforeRoutingAreCounted() {
        double before = count("unrouted", "GET", 400);
        RawHttp.exchange(port, RawHttp.request("GET", "/%zz"));
        RawHttp.exchange(port, RawHttp.request("GET", "/api/items/%zz"));
        assertThat(count("unrouted", "GET", 400), is(before + 2));
        double other = count("unrouted", "other", 400);
        RawHttp.exchange(port, RawHttp.request("ZQQQ", "/%zz"));
        assertThat(count("unrouted", "other", 400), is(other + 1));
    }

    @Test
    void aMalformedChunkedBodyIsAProblemUnderTheClientsRequestId() {
        String request = "POST /api/items HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: chunk-1\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "zz\r\n{}\r\n0\r\n\r\n";
        double before = count("/api/items", "POST", 400);
        RawHttp.Answer answer = RawHttp.exchange(port, request);
        assertThat(answer.toString(), answer.status(), is(400));
        assertProblem("bad chunk size", answer);
        assertThat(answer.header("X-Request-Id").orElse(""), is("chunk-1"));
        // Counted once (by the filter, not again by the direct handler), once the answer is out.
        Await.until(Duration.ofSeconds(5), "the refusal to be counted", () -> count("/api/items", "POST", 400) >= before + 1);
        assertThat(count("/api/items", "POST", 400), is(before + 1));
    }

    /**
     * Seeded random request lines and headers, valid and not: every answer is below 500 (or
     * 501/505, which name what the client asked for), every refusal problem+json with an id,
     * and nothing is logged at WARNING or above.
     */
    @Test
    void noRequestAtTheWireProducesA500OrALoudLog() {
        String[] methods = {"GET", "POST", "DELETE", "get", "ZQX", "G(T", "OPTIONS", "CONNECT", ""};
        String[] targets = {"/", "/api/items", "/api/items/1", "/%zz", "/%", "/api/items/%00", "*", "host:1",
                "http://h/api/instance", "/api/items?limit=%zz", "/a#frag", "/\u007f", "/api/items?after=1&&&", "//api//items"};
        String[] versions = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 x", "", "http/1.1"};
        String[] headers = {"Host: localhost", "Host: localhost", "X-Request-Id: fz", "Content-Length: 0", "Content-Length: x",
                "Transfer-Encoding: chunked", "Bad Header: 1", ": empty", "X-A:\u0000", "Content-Type: application/json",
                "Expect: 100-continue", "Host: a:b:c"};
        List<LogRecord> loud = new CopyOnWriteArrayList<>();
        Handler capture = loudRecords(loud);
        Logger.getLogger("").addHandler(capture);
        try {
            java.util.Random random = new java.util.Random(20261202);
            for (int i = 0; i < 300; i++) {
                StringBuilder request = new StringBuilder()
                        .append(methods[random.nextInt(methods.length)]).append(' ')
                        .append(targets[random.nextInt(targets.length)]).append(' ')
                        .append(versions[random.nextInt(versions.length)]).append("\r\n");
                for (int h = random.nextInt(4); h > 0; h--) {
                    request.append(headers[random.nextInt(headers.length)]).append("\r\n");
                }
                request.append("Connection: close\r\n\r\n");
                if (request.indexOf("chunked") >= 0) {
                    request.append("0\r\n\r\n");
                }
                RawHttp.Answer answer = RawHttp.exchange(port, request.toString());
                String what = request.toString().replace("\r\n", " | ") + " -> " + answer;
                assertThat(what, answer.status() < 500 || answer.status() == 501 || answer.status() == 505, is(true));
                if (answer.status() >= 400) {
                    assertProblem(what, answer);
                }
            }
        } finally {
            Logger.getLogger("").removeHandler(capture);
        }
        assertThat(describe(loud), empty());
    }

    /** Issue 9 point 5: every known path answers 405 with Allow for a method it does not serve. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "POST   | /              | GET",
            "DELETE | /              | GET",
            "PUT    | /index.html    | GET",
            "POST   | /app.css       | GET",
            "PATCH  | /js/main.js    | GET",
            "POST   | /api/instance  | GET",
            "PUT    | /api/cluster   | GET"})
    void knownPathsAnswer405WithAllow(String method, String path, String allow) {
        RawHttp.Answer answer = RawHttp.exchange(port, RawHttp.request(method, path, "Content-Length: 0"));
        assertThat(answer.toString(), answer.status(), is(405));
        assertThat(answer.header("Allow").orElse(""), is(allow));
        assertProblem(method + " " + path, answer);
    }

    @Test
    void aStandardMethodOnAnUnknownPathIsStill404() {
        RawHttp.Answer answer = RawHttp.exchange(port, RawHttp.request("POST", "/nothing.css", "Content-Length: 0"));
        assertThat(answer.toString(), answer.status(), is(404));
        assertProblem("POST /nothing.css", answer);
    }

    /** Issue 9 point 1: a client that hangs up mid-body is not a SEVERE stack trace. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "POST | /api/items       | 400",
            "PUT  | /api/items/1     | 400",
            "POST | /api/instance    | 405",
            "POST | /no/such/page    | 404"})
    void aClientThatHangsUpMidBodyLeavesNoStackTrace(String method, String path, int status) throws IOException {
        List<LogRecord> loud = new CopyOnWriteArrayList<>();
        List<String> access = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            private final Handler loudOnes = loudRecords(loud);

            @Override
            public void publish(LogRecord record) {
                loudOnes.publish(record);
                if ("io.triad.access".equals(record.getLoggerName())
                        && HelidonMdc.get(PublicRequestFilter.MDC_REQUEST_ID).orElse("").startsWith("hangup-")) {
                    access.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try {
            for (int i = 0; i < 3; i++) {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    OutputStream out = socket.getOutputStream();
                    out.write((method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "X-Request-Id: hangup-" + i + "\r\nContent-Length: 1000\r\n\r\n{\"name\":\"x")
                            .getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                int done = i + 1;
                Await.until(Duration.ofSeconds(10), "the server to finish request hangup-" + i, () -> access.size() >= done);
            }
        } finally {
            root.removeHandler(capture);
        }
        assertThat(describe(loud), empty());
        for (String line : access) {
            assertThat(line, startsWith(method + " " + path + " " + status + " "));
        }
    }

    @Test
    void adminPortAnswersProblemsToo() {
        RawHttp.Answer missing = RawHttp.exchange(adminPort, RawHttp.request("GET", "/no/such/thing"));
        assertThat(missing.toString(), missing.status(), is(404));
        assertProblem("admin GET /no/such/thing", missing);
        RawHttp.Answer bad = RawHttp.exchange(adminPort, RawHttp.request("GET", "/%zz"));
        assertThat(bad.toString(), bad.status(), is(400));
        assertProblem("admin /%zz", bad);
        RawHttp.Answer post = RawHttp.exchange(adminPort, RawHttp.request("POST", "/health", "Content-Length: 0"));
        assertThat(post.toString(), post.status(), is(405));
        assertThat(post.header("Allow").orElse(""), is("GET"));
        assertProblem("admin POST /health", post);
        RawHttp.Answer madeUp = RawHttp.exchange(adminPort, RawHttp.request("ZABC", "/metrics"));
        assertThat(madeUp.toString(), madeUp.status(), is(501));
        assertProblem("admin ZABC /metrics", madeUp);
    }

    /** Collects what an operator would be paged or puzzled by: WARNING and above, or any stack trace. */
    private static Handler loudRecords(List<LogRecord> loud) {
        return new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue() || record.getThrown() != null) {
                    loud.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }

    private static List<String> describe(List<LogRecord> records) {
        return records.stream().map(r -> r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage()
                + (r.getThrown() == null ? "" : " " + r.getThrown())).toList();
    }

    private static String madeUpMethod(int i) {
        StringBuilder method = new StringBuilder("ZA");
        for (int n = i; ; n /= 26) {
            method.append((char) ('A' + n % 26));
            if (n < 26) {
                return method.toString();
            }
        }
    }

    private static void assertProblem(String what, RawHttp.Answer answer) {
        assertThat(what + " -> " + answer, answer.header("Content-Type").orElse(""), startsWith(Problem.MEDIA_TYPE));
        JsonObject problem = Json.createReader(new StringReader(answer.body())).readObject();
        assertThat(what, problem.getString("type"), is("about:blank"));
        assertThat(what, problem.getInt("status"), is(answer.status()));
        assertThat(what, problem.getString("title").isBlank(), is(false));
        assertThat(what, problem.getString("detail").isBlank(), is(false));
        assertThat(what, problem.getString("instance"), startsWith("/"));
        assertThat(what, answer.body(), not(containsString("Exception")));
        assertThat(what, answer.header("X-Request-Id").isPresent(), is(true));
    }

    private String metricsText() {
        return admin.get("/metrics", "Accept", "text/plain").body();
    }

    private List<String> series() {
        Matcher m = SERIES.matcher(metricsText());
        List<String> all = new java.util.ArrayList<>();
        while (m.find()) {
            all.add(m.group(1));
        }
        return all;
    }

    /** Requests counted under method="other", refusals before routing aside. */
    private double otherCount() {
        Matcher m = Pattern.compile(SERIES.pattern() + " (\\S+)").matcher(metricsText());
        double sum = 0;
        while (m.find()) {
            if (m.group(1).contains("method=\"other\"") && !m.group(1).contains("route=\"unrouted\"")) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    private void awaitOtherCount(double expected) {
        Await.until(Duration.ofSeconds(10), expected + " requests counted as method=\"other\"", () -> otherCount() >= expected);
        assertThat(otherCount(), is(expected));
    }

    private double count(String route, String method, int status) {
        Pattern p = Pattern.compile(SERIES.pattern() + " (\\S+)");
        Matcher m = p.matcher(metricsText());
        while (m.find()) {
            String labels = m.group(1);
            if (labels.contains("route=\"" + route + "\"") && labels.contains("method=\"" + method + "\"")
                    && labels.contains("status=\"" + RequestMetrics.statusClass(status) + "\"")) {
                return Double.parseDouble(m.group(2));
            }
        }
        return 0;
    }
}
