package io.triad.http;

import java.nio.charset.StandardCharsets;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.logging.common.HelidonMdc;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Answers the requests Helidon refuses itself, outside the routing (a malformed request line,
 * header or %-escape, an HTTP version it does not speak, an oversized prologue) as the
 * contract answers every error: problem+json with X-Request-Id and X-Instance. Helidon's own
 * answer is an empty or text/plain body with neither header.
 * <p>
 * On the public socket such a request is counted and logged like any other, under the route
 * {@link RequestMetrics#UNROUTED}. The same handler also runs for a RequestException raised
 * inside routing; then the filter has already given the request its id and will count it,
 * which the request id in the MDC tells.
 */
public final class RefusedRequests implements DirectHandler {
    private static final int MAX_INSTANCE_CHARS = 200;

    private final String instanceId;
    private final Runnable countRequest;
    private final RequestMetrics metrics;

    private RefusedRequests(String instanceId, Runnable countRequest, RequestMetrics metrics) {
        this.instanceId = instanceId;
        this.countRequest = countRequest;
        this.metrics = metrics;
    }

    /** For the public socket: refused requests are counted, measured and logged. */
    public static DirectHandlers publicSocket(String instanceId, Runnable countRequest, RequestMetrics metrics) {
        return handlers(new RefusedRequests(instanceId, countRequest, metrics));
    }

    /** For the admin socket: the same answers, outside the public request metrics. */
    public static DirectHandlers adminSocket(String instanceId) {
        return handlers(new RefusedRequests(instanceId, () -> { }, null));
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
        Status status = defaultStatus;
        if (eventType == EventType.INTERNAL_ERROR && routedId == null && request == TransportRequest.empty()) {
            // Helidon 4.5 reads a method with a character outside the token set ("G(T /") as an
            // IllegalArgumentException outside its bad-request handling, and answers 500 with a
            // WARNING stack trace per request. Outside routing, with not even a request line
            // read, only the client's bytes can have failed: a 400, and no log line.
            status = Status.BAD_REQUEST_400;
        }
        String requestId = routedId != null ? routedId : PublicRequestFilter.requestId(request.headers());
        String path = request.path();
        String instance = path.startsWith("/") ? Ids.shorten(path, MAX_INSTANCE_CHARS) : "/";
        byte[] body = JsonFactories.BUILDERS.createObjectBuilder()
                .add("type", "about:blank")
                .add("title", status.reasonPhrase())
                .add("status", status.code())
                .add("detail", detail(status))
                .add("instance", instance)
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);
        TransportResponse.Builder response = TransportResponse.builder()
                .status(status)
                .headers(responseHeaders)
                .header(HeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .header(PublicRequestFilter.X_INSTANCE, instanceId)
                .header(PublicRequestFilter.X_REQUEST_ID, requestId)
                .keepAlive(eventType.keepAlive())
                .entity(body);
        PublicRequestFilter.SECURITY_HEADERS.forEach((name, value) -> response.header(HeaderNames.create(name), value));
        if (routedId == null && metrics != null) {
            countRequest.run();
            metrics.record(RequestMetrics.UNROUTED, request.method(), status.code(), 0);
            HelidonMdc.set(PublicRequestFilter.MDC_REQUEST_ID, requestId);
            try {
                PublicRequestFilter.logAccess(request.method(), path, status.code(), 0, instanceId, "-");
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
    private static String detail(Status status) {
        return switch (status.code()) {
            case 400 -> "the request line or a header is malformed (an invalid %-escape, a control character, "
                    + "a bad header name or value, or a bad Content-Length); send a valid HTTP/1.1 request";
            case 413 -> "request body is larger than " + JsonBody.MAX_BYTES + " bytes (64 KiB)";
            case 414 -> "the request line is too long; shorten the path and query";
            case 431 -> "the request headers are too large; send fewer or shorter headers";
            case 501 -> "the request uses a transfer encoding this service does not support; send Content-Length or chunked";
            case 505 -> "only HTTP/1.1 is supported; send the request as HTTP/1.1";
            case 503 -> "this instance is at capacity; retry in a second";
            default -> status.code() >= 500
                    ? "internal error; it has been logged under this request's X-Request-Id"
                    : "the request was refused before routing: " + status.reasonPhrase();
        };
    }
}
