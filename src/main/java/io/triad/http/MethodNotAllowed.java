package io.triad.http;

import java.util.Arrays;
import java.util.stream.Collectors;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;

/** 405 with the Allow header, for a known path asked with another method. */
public final class MethodNotAllowed {
    private MethodNotAllowed() {
    }

    public static Handler allow(Method... methods) {
        String allow = Arrays.stream(methods).map(Method::text).collect(Collectors.joining(", "));
        return (req, res) -> {
            throw new ApiException(Status.METHOD_NOT_ALLOWED_405,
                    req.prologue().method().text() + " is not allowed on " + req.prologue().uriPath().rawPath() + ": use " + allow,
                    java.util.Map.of(HeaderNames.ALLOW.defaultCase(), allow));
        };
    }
}
