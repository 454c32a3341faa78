package io.triad.http;

import java.util.Set;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.logging.common.HelidonMdc;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Answers the requests Helidon refuses itself, outside the routing (a malformed request line,
 * header or %-escape, an HTTP version it does not speak, an oversized request line), the way
 * the contract answers every error: problem+json with X-Request-Id and X-Instance. Helidon's
 * own answer is an empty body with neither header.
 * <p>
 * On the public socket such a request is counted and logged like any other, under the route
 * {@link RequestMetrics#UNROUTED}, with no latency (there was no handling to time). The same
 * handler also runs for a RequestException raised inside routing; then the public filter has
 * already given the request its id and will count it, which the id in the MDC tells.
 * <p>
 * The admin socket's routes are Helidon's observers, whose misses come here as a 404: a
 * made-up method becomes 501 and another method on an observer's path 405, as on the public
 * socket.
 */
public final class RefusedRequests implements DirectHandler {
    private static final Set<String> ADMIN_PATHS = Set.of("/health", "/health/live", "/health/ready", "/health/started",
            "/metrics");

    private final String instanceId;
    private final Runnable countRequest;
    private final RequestMetrics metrics;
    private final Set<String> getOnlyPaths;
    private final String served;

    RefusedRequests(String instanceId, Runnable countRequest, RequestMetrics metrics, Set<String> getOnlyPaths,
                    String served) {
        this.instanceId = instanceId;
        this.countRequest = countRequest;
        this.metrics = metrics;
        this.getOnlyPaths = getOnlyPaths;
        this.served = served;
    }

    /** For the public socket: refused requests are counted, measured and logged. */
    public static DirectHandlers publicSocket(String instanceId, Runnable countRequest, RequestMetrics metrics) {
        return handlers(new RefusedRequests(instanceId, countRequest, metrics, Set.of(),
                "/api/items, /api/instance, /api/cluster and the dashboard under /"));
    }

    /** For the admin socket: the same answers, outside the public request metrics. */
    public static DirectHandlers adminSocket(String instanceId) {
        return handlers(new RefusedRequests(instanceId, () -> { }, null, ADMIN_PATHS,
                "/health, /health/live, /health/ready, /health/started and /metrics"));
    }

    private static DirectHandlers handlers(DirectHandler handler) {
        DirectHandlers.Builder builder = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            builder.addHandler(type, handler);
        }
        return builder.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders responseHeaders, String message) {
        String routedId = HelidonMdc.get(PublicRequestFilter.MDC_REQUEST_ID).orElse(null);
        String method = request.method();
        String path = request.path();
        String instance = path.startsWith("/") ? path : "/";
        Status status = defaultStatus;
        String allow = null;
        String detail;
        if (eventType == EventType.INTERNAL_ERROR && routedId == null && request == TransportRequest.empty()) {
            // Helidon 4.5 reads a method with a character outside the token set ("G(T /") as an
            // IllegalArgumentException outside its bad-request handling, and answers 500 with a
            // WARNING stack trace per request. Outside routing, with not even a request line
            // read, only the client's bytes can have failed: a 400, and no log line.
            status = Status.BAD_REQUEST_400;
            detail = "the request line is malformed; send a valid HTTP/1.1 request";
        } else if (status == Status.NOT_FOUND_404 && RequestMetrics.methodLabel(method).equals(RequestMetrics.OTHER)) {
            status = Status.NOT_IMPLEMENTED_501;
            detail = "method '" + Echo.quote(method) + "' is not supported by this service; use GET";
        } else if (status == Status.NOT_FOUND_404 && getOnlyPaths.contains(path)) {
            status = Status.METHOD_NOT_ALLOWED_405;
            allow = "GET";
            detail = Echo.quote(method) + " is not allowed on " + Echo.quote(instance) + ": use GET";
        } else {
            detail = detail(status, instance);
        }
        String requestId = routedId != null ? routedId : PublicRequestFilter.requestId(request.headers());
        byte[] body = Problem.body(status, detail, instance);
        TransportResponse.Builder response = TransportResponse.builder()
                .status(status)
                .headers(responseHeaders)
                .header(HeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .header(PublicRequestFilter.X_INSTANCE, instanceId)
                .header(PublicRequestFilter.X_REQUEST_ID, requestId)
                .keepAlive(eventType.keepAlive())
                .entity(body);
        PublicRequestFilter.SECURITY_HEADERS.forEach((name, value) -> response.header(HeaderNames.create(name), value));
        if (allow != null) {
            response.header(HeaderNames.ALLOW, allow);
        }
        if (routedId == null && metrics != null) {
            countRequest.run();
            metrics.record(RequestMetrics.UNROUTED, method, status.code(), 0);
            HelidonMdc.set(PublicRequestFilter.MDC_REQUEST_ID, requestId);
            try {
                PublicRequestFilter.logAccess(method, path, status.code(), 0, instanceId, "-");
            } finally {
                HelidonMdc.remove(PublicRequestFilter.MDC_REQUEST_ID);
            }
        }
        return response.build();
    }

    /**
     * One line naming the cause and the fix. Helidon's own message is not used: it is either
     * withheld (it may echo request bytes) or a generic "see server log".
     */
    private String detail(Status status, String path) {
        return switch (status.code()) {
            case 400 -> "the request line or a header is malformed (an invalid %-escape, a control character, "
                    + "a bad header name or value, or a bad Content-Length); send a valid HTTP/1.1 request";
            case 404 -> "no resource at " + Echo.quote(path) + "; this port serves " + served;
            case 413 -> "request body is larger than " + JsonBody.MAX_BYTES + " bytes (64 KiB)";
            case 414 -> "the request line is too long; shorten the path and query";
            case 431 -> "the request headers are too large; send fewer or shorter headers";
            case 501 -> "the request uses a transfer encoding this service does not support; send Content-Length or chunked";
            case 503 -> "this instance is at capacity; retry in a second";
            case 505 -> "only HTTP/1.1 is supported; send the request as HTTP/1.1";
            default -> status.code() >= 500
                    ? "internal error; it has been logged under this request's X-Request-Id"
                    : "the request was refused before routing: " + status.reasonPhrase();
        };
    }
}
