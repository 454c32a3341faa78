import java.nio.charset.StandardCharsets;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;

/**
 * Bench-only: the framework floor. A Helidon SE 4 server that answers every GET with the same
 * item-sized constant the ceiling's Nginx upstreams answer (bench/ceiling/upstream.conf), in the
 * triad image's JVM with the image's flags. bench/run.py starts three of these as web1-web3 of a
 * throwaway copy of the edge: what that copy does is the best any Helidon service in this JVM can
 * do on this machine, so the gap between it and the stack is the project's, and the gap between
 * it and the proxy ceiling is the runtime's and the machine's.
 */
public final class Floor {
    private static final byte[] BODY = ("{\"id\":1,\"name\":\"bench-seed-constant\",\"description\":\"bench item\","
            + "\"quantity\":1,\"version\":1,\"createdAt\":\"2026-12-02T20:00:00.000Z\","
            + "\"updatedAt\":\"2026-12-02T20:00:00.000Z\"}").getBytes(StandardCharsets.UTF_8);

    private Floor() {
    }

    public static void main(String[] args) {
        WebServer.builder()
                .port(8080)
                .routing(r -> r.get("/*", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "application/json");
                    res.send(BODY);
                }))
                .build()
                .start();
    }
}
