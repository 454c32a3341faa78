package io.triad.http;

import java.util.concurrent.atomic.AtomicInteger;

import io.helidon.http.DirectHandler;
import io.helidon.http.DirectHandler.EventType;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;
import io.helidon.logging.common.HelidonMdc;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * The branch the wire can hardly reach: a RequestException raised inside routing, after the
 * public filter gave the request its id and before it counts it.
 */
class RefusedRequestsTest {
    private final MeterRegistry registry = Metrics.createMeterRegistry();
    private final AtomicInteger counted = new AtomicInteger();
    private final RefusedRequests handler = new RefusedRequests("unit-1", counted::incrementAndGet,
            new RequestMetrics(registry), java.util.Set.of(), "/");

    @AfterEach
    void clean() {
        HelidonMdc.remove(PublicRequestFilter.MDC_REQUEST_ID);
        registry.meters(m -> m.id().name().equals("triad.http.requests")).forEach(registry::remove);
    }

    @Test
    void insideRoutingTheFiltersIdIsKeptAndTheFilterCounts() {
        HelidonMdc.set(PublicRequestFilter.MDC_REQUEST_ID, "routed-1");
        DirectHandler.TransportResponse response = handler.handle(request("routed-2"), EventType.BAD_REQUEST,
                Status.BAD_REQUEST_400, ServerResponseHeaders.create(), (String) null);
        assertThat(response.headers().get(PublicRequestFilter.X_REQUEST_ID).get(), is("routed-1"));
        assertThat(response.headers().get(HeaderNames.CONTENT_TYPE).get(), is(Problem.MEDIA_TYPE));
        assertThat(counted.get(), is(0));
        assertThat(series(), is(0));
    }

    @Test
    void outsideRoutingTheClientsIdIsUsedAndTheRefusalCounted() {
        DirectHandler.TransportResponse response = handler.handle(request("client-1"), EventType.BAD_REQUEST,
                Status.BAD_REQUEST_400, ServerResponseHeaders.create(), (String) null);
        assertThat(response.headers().get(PublicRequestFilter.X_REQUEST_ID).get(), is("client-1"));
        assertThat(response.status(), is(Status.BAD_REQUEST_400));
        assertThat(counted.get(), is(1));
        assertThat(series(), is(1));
    }

    private int series() {
        return registry.meters(m -> m.id().name().equals("triad.http.requests")).size();
    }

    private static DirectHandler.TransportRequest request(String requestId) {
        ServerRequestHeaders headers = ServerRequestHeaders.create(WritableHeaders.create()
                .add(PublicRequestFilter.X_REQUEST_ID, requestId));
        return new DirectHandler.TransportRequest() {
            @Override
            public String protocolVersion() {
                return "1.1";
            }

            @Override
            public String method() {
                return "POST";
            }

            @Override
            public String path() {
                return "/api/items";
            }

            @Override
            public ServerRequestHeaders headers() {
                return headers;
            }
        };
    }
}
