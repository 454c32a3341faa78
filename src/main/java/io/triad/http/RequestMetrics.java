package io.triad.http;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/** Requests by route, method and status, with latency, as one Prometheus timer family. */
public final class RequestMetrics {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(String route, String method, int status, long nanos) {
        // Routes are patterns (/api/items/{id}), never raw paths, so the series stay few.
        String key = route + ' ' + method + ' ' + status;
        timers.computeIfAbsent(key, k -> registry.getOrCreate(Timer.builder("triad.http.requests")
                        .description("Public HTTP requests by route, method and status")
                        .tags(java.util.List.of(Tag.create("route", route),
                                Tag.create("method", method),
                                Tag.create("status", Integer.toString(status))))
                        .publishPercentileHistogram(true)))
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
