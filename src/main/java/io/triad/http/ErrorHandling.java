package io.triad.http;

import java.util.List;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import io.triad.db.DatabaseFailure;

/**
 * Every failure becomes problem+json: contract errors with their status, a database outage
 * 503 with Retry-After (not applied), a write whose outcome can't be known 504
 * ({@link DatabaseFailure} says which is which), anything else a 500 that names the request id
 * and nothing internal.
 */
public final class ErrorHandling {
    private static final System.Logger LOG = System.getLogger(ErrorHandling.class.getName());
    private static final String RETRY_AFTER_SECONDS = "2";

    private ErrorHandling() {
    }

    public static void register(HttpRouting.Builder routing) {
        routing.error(ApiException.class, (req, res, e) -> answer(req, res, e))
                .error(Throwable.class, ErrorHandling::unexpected);
    }

    /**
     * The last route: any path nobody else answered. A method this service serves nowhere is
     * 501 (RFC 9110 §15.6.2) rather than 404, so a client learns that no path would help.
     */
    public static void notFound(ServerRequest req, ServerResponse res) {
        String method = req.prologue().method().text();
        String path = Echo.quote(req.prologue().uriPath().rawPath());
        if (RequestMetrics.methodLabel(method).equals(RequestMetrics.OTHER)) {
            answer(req, res, new ApiException(Status.NOT_IMPLEMENTED_501, "method '" + Echo.quote(method)
                    + "' is not supported by this service; use GET, POST, PUT or DELETE"));
            return;
        }
        answer(req, res, ApiException.notFound("no resource at " + method + " " + path));
    }

    private static void answer(ServerRequest req, ServerResponse res, ApiException e) {
        drain(req);
        Problem.send(req, res, e);
    }

    private static void unexpected(ServerRequest req, ServerResponse res, Throwable e) {
        drain(req);
        DatabaseFailure database = DatabaseFailure.of(e);
        if (database != null) {
            // A write that was sent and never answered may have been applied: 504, never 503.
            boolean unknown = database.inFlight() && isWrite(req);
            LOG.log(System.Logger.Level.WARNING, (unknown ? "write outcome unknown: "
                    : database == DatabaseFailure.SATURATED ? "shedding load: " : "database unavailable: ") + rootMessage(e));
            if (isWrite(req)) {
                countWriteFailure(unknown ? "unknown" : "not_applied");
            }
            res.header(HeaderNames.RETRY_AFTER, database == DatabaseFailure.SATURATED ? "1" : RETRY_AFTER_SECONDS);
            if (unknown) {
                Problem.send(req, res, Status.GATEWAY_TIMEOUT_504, database.detail());
            } else {
                // The detail says which: a statement PostgreSQL cancelled for time tells the client nothing was changed.
                Problem.send(req, res, Status.SERVICE_UNAVAILABLE_503,
                        database.inFlight() ? DatabaseFailure.UNAVAILABLE.detail() : database.detail());
            }
            return;
        }
        if (e instanceof HttpException he && he.status().code() < 500) {
            Problem.send(req, res, he.status(), he.getMessage());
            return;
        }
        if (e instanceof RequestException re && re.status().code() < 500) {
            Problem.send(req, res, re.status(), re.getMessage());
            return;
        }
        LOG.log(System.Logger.Level.ERROR, "unexpected failure", e);
        Problem.send(req, res, Status.INTERNAL_SERVER_ERROR_500,
                "internal error; it has been logged under this request's X-Request-Id");
    }

    /** Failed writes by what the client was told: 503 not_applied, 504 unknown (two series, no more). */
    private static void countWriteFailure(String outcome) {
        Metrics.globalRegistry().getOrCreate(Counter.builder("triad.write.failures")
                .description("Writes answered 503 (outcome not_applied) or 504 (outcome unknown)")
                .tags(List.of(Tag.create("outcome", outcome)))).increment();
    }

    /** Methods that change items: their failures are answered by what happened to the change. */
    private static boolean isWrite(ServerRequest req) {
        String method = req.prologue().method().text();
        return method.equals("POST") || method.equals("PUT") || method.equals("DELETE");
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    /** Answering with unread body bytes makes the kernel reset the connection; read them first. */
    private static void drain(ServerRequest req) {
        try {
            if (!req.content().consumed()) {
                req.content().consume();
            }
        } catch (RuntimeException ignored) {
            // The connection is beyond saving; the answer still goes out if it can.
        }
    }
}
