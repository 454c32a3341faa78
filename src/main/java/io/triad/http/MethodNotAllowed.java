package io.triad.http;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;

/** 405 with the Allow header, for a known path asked with another method (made-up ones included). */
public final class MethodNotAllowed {
    private MethodNotAllowed() {
    }

    public static Handler allow(Method... methods) {
        return (req, res) -> {
            throw refusal(req, methods);
        };
    }

    public static ApiException refusal(ServerRequest req, Method... methods) {
        String allow = Arrays.stream(methods).map(Method::text).collect(Collectors.joining(", "));
        return new ApiException(Status.METHOD_NOT_ALLOWED_405,
                Echo.quote(req.prologue().method().text()) + " is not allowed on "
                        + Echo.quote(req.prologue().uriPath().rawPath()) + ": use " + allow,
                Map.of(HeaderNames.ALLOW.defaultCase(), allow));
    }
}
