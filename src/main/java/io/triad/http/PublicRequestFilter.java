package io.triad.http;

import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.Status;
import io.helidon.logging.common.HelidonMdc;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import io.triad.logging.AccessLogPolicy;
import io.triad.tracing.Tracing;

/**
 * Everything every public response gets: X-Instance, X-Request-Id, X-Trace-Id (the W3C trace
 * it continues or starts, see Tracing), security headers, one access-log line, a request count
 * and the per-route metrics; while draining, Connection: close, so a proxy stops reusing this
 * instance's connections before it closes its listener.
 */
public final class PublicRequestFilter implements Filter {
    public static final HeaderName X_INSTANCE = HeaderNames.create("X-Instance");
    public static final HeaderName X_REQUEST_ID = HeaderNames.create("X-Request-Id");
    public static final String MDC_REQUEST_ID = "requestId";
    public static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");
    public static final HeaderName X_TRACE_ID = HeaderNames.create("X-Trace-Id");
    public static final String MDC_TRACE_ID = "traceId";
    private static final HeaderName X_FORWARDED_FOR = HeaderNames.X_FORWARDED_FOR;
    private static final Pattern SANE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static final Logger ACCESS = Logger.getLogger("io.triad.access");
    private static final AccessLogPolicy ACCESS_POLICY = accessLogPolicy();
    /** Sent with every public answer, those refused before routing included. */
    static final Map<String, String> SECURITY_HEADERS = Map.of(
            HeaderNames.X_CONTENT_TYPE_OPTIONS.defaultCase(), "nosniff",
            "Content-Security-Policy", CSP,
            "Referrer-Policy", "no-referrer");

    private final String instanceId;
    private final BooleanSupplier draining;
    private final Runnable countRequest;
    private final RequestMetrics metrics;

    public PublicRequestFilter(String instanceId, BooleanSupplier draining, Runnable countRequest, RequestMetrics metrics) {
        this.instanceId = instanceId;
        this.draining = draining;
        this.countRequest = countRequest;
        this.metrics = metrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        String requestId = requestId(req.headers());
        HelidonMdc.set(MDC_REQUEST_ID, requestId);
        String method = req.prologue().method().text();
        Tracing.Request trace = Tracing.installed().request(req.headers().first(TRACEPARENT).orElse(null), method);
        HelidonMdc.set(MDC_TRACE_ID, trace.traceId());
        countRequest.run();
        res.header(X_INSTANCE, instanceId);
        res.header(X_REQUEST_ID, requestId);
        res.header(X_TRACE_ID, trace.traceId());
        SECURITY_HEADERS.forEach(res::header);
        if (draining.getAsBoolean()) {
            res.header(HeaderNames.CONNECTION, "close");
        }
        try {
            if (routable(req)) {
                chain.proceed();
            } else {
                Problem.send(req, res, Status.BAD_REQUEST_400, "the request target '"
                        + Echo.quote(req.prologue().uriPath().rawPath())
                        + "' has no path; this service is not a proxy: send a path starting with /");
            }
        } finally {
            long nanos = System.nanoTime() - start;
            int status = res.status().code();
            String route = routeOf(req);
            metrics.record(route, method, status, nanos);
            trace.end(RequestMetrics.methodLabel(method), route, status);
            logAccess(method, req.prologue().uriPath().rawPath(), status, nanos, instanceId, client(req));
            HelidonMdc.remove(MDC_REQUEST_ID);
            HelidonMdc.remove(MDC_TRACE_ID);
        }
    }

    /**
     * Whether the request target has a path. The authority form ("CONNECT host:443", or any
     * method with "host:port") has none, and Helidon's route matching then fails with a
     * NullPointerException: a 500 and a stack trace per request. The absolute form
     * ("http://host/api/items") has one and is routed as usual.
     */
    private static boolean routable(RoutingRequest req) {
        try {
            return req.prologue().uriPath().path() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The client's X-Request-Id when it is a sane token, otherwise a new one. */
    static String requestId(Headers headers) {
        return headers.first(X_REQUEST_ID)
                .filter(id -> SANE_REQUEST_ID.matcher(id).matches())
                .orElseGet(() -> UUID.randomUUID().toString());
    }

    /**
     * One access-log line for a request {@link AccessLogPolicy} picks (by default non-2xx and
     * slow ones: Nginx logs every request); the request id comes from the MDC, as on every line
     * of the request.
     */
    static void logAccess(String method, String rawPath, int status, long nanos, String instanceId, String client) {
        if (ACCESS_POLICY.logs(status, nanos) && ACCESS.isLoggable(Level.INFO)) {
            long tenthsOfMs = nanos / 100_000;
            String line = new StringBuilder(120)
                    .append(method).append(' ').append(rawPath).append(' ')
                    .append(status).append(' ')
                    .append(tenthsOfMs / 10).append('.').append(tenthsOfMs % 10).append("ms instance=")
                    .append(instanceId).append(" client=").append(client)
                    .toString();
            // With the source given, JUL does not walk the stack to find it.
            ACCESS.logp(Level.INFO, PublicRequestFilter.class.getName(), "filter", line);
        }
    }

    /** From the environment; a malformed value is reported once and the default (notable) kept. */
    private static AccessLogPolicy accessLogPolicy() {
        try {
            return AccessLogPolicy.from(System.getenv());
        } catch (IllegalArgumentException e) {
            ACCESS.warning(e.getMessage() + "; logging non-2xx and slow requests (the default)");
            return AccessLogPolicy.from(Map.of());
        }
    }

    /**
     * The client's address. X-Forwarded-For is believed only when the peer is a proxy on a
     * private or loopback network (Nginx on the Compose edge network, the ingress controller
     * in the cluster); anyone else could write any address there. The last entry is the one
     * that proxy saw itself.
     */
    static String client(RoutingRequest req) {
        String peer = req.remotePeer().host();
        if (!isPrivate(req.remotePeer().address())) {
            return peer;
        }
        return req.headers().first(X_FORWARDED_FOR)
                .map(list -> list.substring(list.lastIndexOf(',') + 1).strip())
                .filter(last -> !last.isEmpty() && last.length() <= 45)
                .orElse(peer);
    }

    private static boolean isPrivate(java.net.SocketAddress address) {
        if (address instanceof java.net.InetSocketAddress inet && inet.getAddress() != null) {
            java.net.InetAddress ip = inet.getAddress();
            return ip.isLoopbackAddress() || ip.isSiteLocalAddress() || ip.isLinkLocalAddress()
                    || (ip.getAddress().length == 16 && (ip.getAddress()[0] & 0xfe) == 0xfc);
        }
        return false;
    }

    /**
     * The routing pattern that answered (a registered pattern, never the request's path, so the
     * label set is fixed), without a doubled or trailing slash; "unmatched" for the 404 route.
     */
    private static String routeOf(RoutingRequest req) {
        String pattern = req.matchingPattern().orElse("").replace("//", "/");
        if (pattern.isEmpty()) {
            return "unmatched";
        }
        return pattern.length() > 1 && pattern.endsWith("/") ? pattern.substring(0, pattern.length() - 1) : pattern;
    }
}
