package io.triad.metrics;

import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import io.triad.cluster.Cluster;
import io.triad.http.JsonFactories;
import io.triad.http.JsonResponse;
import io.triad.http.MethodNotAllowed;
import io.triad.http.RequestMetrics;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

/**
 * GET /api/stats: what the dashboard's metrics panel plots (README "Observability").
 * <p>
 * With PROMETHEUS_URL set and Prometheus answering (the Compose profile observe), the last 15
 * minutes of five fixed recorded series (observability/rules/triad.yml), so every instance
 * answers the same history: {@code source: "prometheus"}. Otherwise this instance's own
 * counters since it started, and every instance's request count from the cluster view: {@code
 * source: "instance"}; the page turns successive answers into rates. No query comes from the
 * client, so this endpoint cannot be used to run PromQL.
 */
public final class StatsService implements HttpService {
    static final Duration WINDOW = Duration.ofMinutes(15);
    static final Duration STEP = Duration.ofSeconds(15);
    /** Prometheus' answer is shared for this long: N open dashboards are not N x 5 queries. */
    private static final Duration REUSE = Duration.ofSeconds(5);
    /** After a failure, Prometheus is not asked again for this long (default stack: no Prometheus). */
    private static final Duration BACKOFF = Duration.ofSeconds(30);
    private static final Map<String, String> QUERIES = queries();
    private static final System.Logger LOG = System.getLogger(StatsService.class.getName());

    private final Cluster cluster;
    private final RequestMetrics requests;
    private final MeterRegistry registry;
    private final Optional<URI> prometheus;
    private final HttpClient http;
    private volatile Cached cached = new Cached(null, 0);
    private volatile long skipUntilNanos = System.nanoTime();

    public StatsService(Cluster cluster, RequestMetrics requests, MeterRegistry registry, Optional<URI> prometheus) {
        this.cluster = cluster;
        this.requests = requests;
        this.registry = registry;
        this.prometheus = prometheus;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    }

    /**
     * PROMETHEUS_URL (e.g. http://prometheus:9090), when set and an http(s) URL; a bad one is
     * logged and ignored: the panel then plots the instances' counters, nothing else depends on it.
     */
    public static Optional<URI> prometheusFrom(Map<String, String> env) {
        String url = env.getOrDefault("PROMETHEUS_URL", "").strip();
        if (url.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI uri = URI.create(url.endsWith("/") ? url : url + "/");
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        LOG.log(System.Logger.Level.WARNING, "PROMETHEUS_URL='" + url + "' is not an http(s) URL such as "
                + "http://prometheus:9090: ignored, the dashboard plots the instances' own counters");
        return Optional.empty();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::stats)
                .any("/", MethodNotAllowed.allow(Method.GET));
    }

    private void stats(ServerRequest req, ServerResponse res) {
        res.header("Cache-Control", "no-store");
        JsonResponse.send(res, Status.OK_200, answer());
    }

    /** The body of GET /api/stats. */
    String answer() {
        return fromPrometheus().orElseGet(this::fromInstance);
    }

    private Optional<String> fromPrometheus() {
        if (prometheus.isEmpty() || System.nanoTime() - skipUntilNanos < 0) {
            return Optional.empty();
        }
        Cached c = cached;
        if (c.body() != null && System.nanoTime() - c.atNanos() < REUSE.toNanos()) {
            return Optional.of(c.body());
        }
        try {
            String body = queryPrometheus(prometheus.get());
            cached = new Cached(body, System.nanoTime());
            return Optional.of(body);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            skipUntilNanos = System.nanoTime() + BACKOFF.toNanos();
            LOG.log(System.Logger.Level.DEBUG, "Prometheus unavailable, the panel uses this instance's counters: " + e);
            return Optional.empty();
        }
    }

    /** The five queries at once; any failure fails the whole answer (no half-drawn panel). */
    String queryPrometheus(URI base) throws Exception {
        long end = System.currentTimeMillis() / 1000;
        long start = end - WINDOW.toSeconds();
        Map<String, CompletableFuture<HttpResponse<String>>> answers = new LinkedHashMap<>();
        QUERIES.forEach((name, query) -> answers.put(name, http.sendAsync(HttpRequest.newBuilder(base.resolve(
                        "api/v1/query_range?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)
                                + "&start=" + start + "&end=" + end + "&step=" + STEP.toSeconds()))
                        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString())));
        JsonObjectBuilder series = JsonFactories.BUILDERS.createObjectBuilder();
        for (var entry : answers.entrySet()) {
            HttpResponse<String> answer = entry.getValue().get();
            if (answer.statusCode() != 200) {
                throw new IllegalStateException("Prometheus answered " + answer.statusCode() + " to " + entry.getKey());
            }
            JsonObject json = JsonFactories.READERS.createReader(new StringReader(answer.body())).readObject();
            series.add(entry.getKey(), matrix(entry.getKey(), json.getJsonObject("data").getJsonArray("result")));
        }
        return JsonFactories.BUILDERS.createObjectBuilder()
                .add("source", "prometheus")
                .add("instance", cluster.self().instance())
                .add("at", System.currentTimeMillis())
                .add("windowSeconds", WINDOW.toSeconds())
                .add("stepSeconds", STEP.toSeconds())
                .add("series", series)
                .build().toString();
    }

    /**
     * A query_range matrix as {label: [[epoch ms, value or null], ...]}: the rate per instance
     * is labelled by instance, every other series by its name. NaN (0/0: no traffic) is null.
     */
    private static JsonObject matrix(String name, JsonArray result) {
        JsonObjectBuilder lines = JsonFactories.BUILDERS.createObjectBuilder();
        for (JsonValue v : result) {
            JsonObject s = v.asJsonObject();
            String label = s.getJsonObject("metric").getString("instance", name);
            JsonArrayBuilder points = JsonFactories.BUILDERS.createArrayBuilder();
            for (JsonValue p : s.getJsonArray("values")) {
                JsonArray pair = p.asJsonArray();
                long ms = Math.round(pair.getJsonNumber(0).doubleValue() * 1000);
                double value = parse(pair.getString(1));
                JsonArrayBuilder point = JsonFactories.BUILDERS.createArrayBuilder().add(ms);
                if (Double.isFinite(value)) {
                    point.add(value);
                } else {
                    point.addNull();
                }
                points.add(point);
            }
            lines.add(label, points);
        }
        return lines.build();
    }

    private static double parse(String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private String fromInstance() {
        RequestMetrics.Totals totals = requests.totals();
        JsonArrayBuilder buckets = JsonFactories.BUILDERS.createArrayBuilder();
        for (int i = 0; i < RequestMetrics.BUCKETS.length; i++) {
            buckets.add(JsonFactories.BUILDERS.createArrayBuilder().add(RequestMetrics.BUCKETS[i]).add(totals.atOrUnder()[i]));
        }
        JsonObjectBuilder served = JsonFactories.BUILDERS.createObjectBuilder();
        cluster.view().instances().forEach(m -> served.add(m.instance(), m.requestsServed()));
        return JsonFactories.BUILDERS.createObjectBuilder()
                .add("source", "instance")
                .add("instance", cluster.self().instance())
                .add("at", System.currentTimeMillis())
                .add("counters", JsonFactories.BUILDERS.createObjectBuilder()
                        .add("requests", totals.requests())
                        .add("serverErrors", totals.serverErrors())
                        .add("buckets", buckets)
                        .add("cacheHits", counter("triad.cache.hits"))
                        .add("cacheMisses", counter("triad.cache.misses"))
                        .add("cacheBypasses", counter("triad.cache.bypasses")))
                .add("served", served)
                .build().toString();
    }

    private long counter(String name) {
        long sum = 0;
        for (io.helidon.metrics.api.Meter m : registry.meters(m -> m.id().name().equals(name))) {
            if (m instanceof Counter c) {
                sum += c.count();
            }
        }
        return sum;
    }

    private static Map<String, String> queries() {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("requestsPerSecond", "instance:triad_http_requests:rate1m");
        q.put("p50Seconds", "triad:http_request_duration_seconds:p50_1m");
        q.put("p99Seconds", "triad:http_request_duration_seconds:p99_1m");
        q.put("errorRatio", "triad:http_errors:ratio_rate1m");
        q.put("cacheHitRatio", "triad:cache_hit:ratio_rate1m");
        return Map.copyOf(q);
    }

    private record Cached(String body, long atNanos) {
    }
}
