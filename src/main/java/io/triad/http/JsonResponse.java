package io.triad.http;

import java.nio.charset.StandardCharsets;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/** Sends a JSON body that is already serialized (a cached item is sent as Redis holds it). */
public final class JsonResponse {
    private JsonResponse() {
    }

    public static void send(ServerResponse res, Status status, String json) {
        send(res, status, json.getBytes(StandardCharsets.UTF_8));
    }

    /** The same, for JSON that is already UTF-8 bytes (a cache hit). */
    public static void send(ServerResponse res, Status status, byte[] json) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(json);
    }
}
