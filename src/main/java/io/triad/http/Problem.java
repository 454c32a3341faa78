package io.triad.http;

import java.nio.charset.StandardCharsets;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** RFC 9457 problem details, the one shape of every error this service answers. */
public final class Problem {
    public static final String MEDIA_TYPE = "application/problem+json";

    private Problem() {
    }

    public static void send(ServerRequest req, ServerResponse res, ApiException e) {
        e.headers().forEach((name, value) -> res.header(name, value));
        send(req, res, e.status(), e.getMessage());
    }

    /** The path as the client wrote it; for a target in absolute or authority form, its path or "/". */
    private static String instance(ServerRequest req) {
        String raw = req.prologue().uriPath().rawPath();
        if (raw.startsWith("/")) {
            return raw;
        }
        try {
            String path = req.prologue().uriPath().path();
            return path != null && path.startsWith("/") ? path : "/";
        } catch (IllegalArgumentException e) {
            return "/";
        }
    }

    public static void send(ServerRequest req, ServerResponse res, Status status, String detail) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        res.send(body(status, detail, instance(req)));
    }

    /** The problem document itself, for answers sent outside the routing too. */
    static byte[] body(Status status, String detail, String instance) {
        return JsonFactories.BUILDERS.createObjectBuilder()
                .add("type", "about:blank")
                .add("title", status.reasonPhrase())
                .add("status", status.code())
                .add("detail", Echo.detail(detail))
                .add("instance", Echo.path(instance))
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }
}
