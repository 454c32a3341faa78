package io.triad.http;

import java.util.Map;

import io.helidon.http.Status;

/** A request that ends in a problem+json answer: the status and a detail a user can act on. */
public class ApiException extends RuntimeException {
    private final Status status;
    private final Map<String, String> headers;

    public ApiException(Status status, String detail) {
        this(status, detail, Map.of());
    }

    public ApiException(Status status, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.headers = headers;
    }

    public Status status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public static ApiException badRequest(String detail) {
        return new ApiException(Status.BAD_REQUEST_400, detail);
    }

    public static ApiException notFound(String detail) {
        return new ApiException(Status.NOT_FOUND_404, detail);
    }
}
