package io.triad.openapi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import io.triad.http.MethodNotAllowed;

/**
 * GET /openapi: the OpenAPI 3.1 description of the public port, META-INF/openapi.yaml, as it is
 * in the repository (the file is the source; nothing is generated from the code, so what the
 * lint and the e2e validation check is byte for byte what clients get). Served by the public
 * routing, so it passes the PublicRequestFilter like any answer (X-Instance, X-Request-Id, one
 * metric series under its route) and other methods answer 405 with Allow.
 */
public final class OpenApiService implements HttpService {
    public static final String RESOURCE = "META-INF/openapi.yaml";
    private final byte[] document;

    public OpenApiService() {
        try (InputStream in = OpenApiService.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath: rebuild the jar");
            }
            this.document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::serve)
                .any("/", MethodNotAllowed.allow(Method.GET));
    }

    private void serve(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "application/yaml; charset=UTF-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.send(document);
    }
}
