package io.triad.metrics;

import java.io.IOException;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import io.helidon.metrics.api.Metrics;

import com.sun.net.httpserver.HttpServer;
import io.triad.cluster.Cluster;
import io.triad.cluster.InstanceInfo;
import io.triad.http.JsonFactories;
import io.triad.http.RequestMetrics;
import io.triad.redis.Redis;
import io.triad.support.TestStack;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/** GET /api/stats: Prometheus' recorded series when it answers, the instance's counters otherwise. */
class StatsServiceTest {
    private static final String MATRIX = """
            {"status":"success","data":{"resultType":"matrix","result":[
              {"metric":{"instance":"web1"},"values":[[1700000000,"2.5"],[1700000015,"NaN"]]},
              {"metric":{"instance":"web2"},"values":[[1700000000,"1"]]}]}}""";
    private final List<String> queries = new CopyOnWriteArrayList<>();
    private HttpServer prometheus;
    private Redis redis;
    private Cluster cluster;
    private final RequestMetrics requests = new RequestMetrics(Metrics.createMeterRegistry());

    @BeforeEach
    void start() throws IOException {
        prometheus = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        prometheus.createContext("/api/v1/query_range", exchange -> {
            queries.add(exchange.getRequestURI().getQuery());
            byte[] body = MATRIX.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        prometheus.start();
        redis = Redis.connect(TestStack.get().settings("stats-1"));
        cluster = new Cluster(InstanceInfo.current("stats-1"), redis);
        cluster.heartbeat();
    }

    @AfterEach
    void stop() {
        prometheus.stop(0);
        redis.close();
    }

    @Test
    void withPrometheusTheRecordedSeriesOfTheLast15MinutesAreServed() {
        URI uri = URI.create("http://127.0.0.1:" + prometheus.getAddress().getPort() + "/");
        JsonObject answer = json(new StatsService(cluster, requests, Metrics.globalRegistry(), Optional.of(uri)).answer());
        assertThat(answer.getString("source"), is("prometheus"));
        JsonObject rps = answer.getJsonObject("series").getJsonObject("requestsPerSecond");
        assertThat(rps.getJsonArray("web1").getJsonArray(0).getJsonNumber(1).doubleValue(), is(2.5));
        assertThat(rps.getJsonArray("web1").getJsonArray(0).getJsonNumber(0).longValue(), is(1_700_000_000_000L));
        assertThat("0/0 (no traffic) is a gap, not a zero", rps.getJsonArray("web1").getJsonArray(1).isNull(1), is(true));
        assertThat(queries.size(), is(5));
        assertThat(queries, everyItem(containsString("step=15")));
        assertThat(queries.toString(), containsString("query=instance:triad_http_requests:rate1m&"));
    }

    @Test
    void withoutPrometheusTheInstanceCountersAreServed() {
        requests.record("/api/items/{id}", "GET", 200, 3_000_000);
        requests.record("/api/items/{id}", "GET", 503, 300_000_000);
        prometheus.stop(0);
        URI gone = URI.create("http://127.0.0.1:" + prometheus.getAddress().getPort() + "/");
        for (Optional<URI> url : List.of(Optional.<URI>empty(), Optional.of(gone))) {
            JsonObject answer = json(new StatsService(cluster, requests, Metrics.globalRegistry(), url).answer());
            assertThat(answer.getString("source"), is("instance"));
            assertThat(answer.getString("instance"), is("stats-1"));
            JsonObject counters = answer.getJsonObject("counters");
            assertThat(counters.getJsonNumber("requests").longValue(), is(2L));
            assertThat(counters.getJsonNumber("serverErrors").longValue(), is(1L));
            assertThat(counters.getJsonArray("buckets").size(), is(RequestMetrics.BUCKETS.length));
            assertThat(answer.getJsonObject("served").containsKey("stats-1"), is(true));
        }
    }

    @Test
    void aPrometheusUrlThatIsNotHttpIsIgnored() {
        assertThat(StatsService.prometheusFrom(java.util.Map.of("PROMETHEUS_URL", "file:///etc/passwd")).orElse(null), is(nullValue()));
        assertThat(StatsService.prometheusFrom(java.util.Map.of()).isPresent(), is(false));
        assertThat(StatsService.prometheusFrom(java.util.Map.of("PROMETHEUS_URL", "http://prometheus:9090")).orElseThrow(),
                is(URI.create("http://prometheus:9090/")));
    }

    private static JsonObject json(String body) {
        return JsonFactories.READERS.createReader(new StringReader(body)).readObject();
    }
}
