package io.triad.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import io.triad.http.MethodNotAllowed;

/**
 * The dashboard's static files from the classpath folder web/. The ETag is a hash of the
 * content: Jib gives every file the same timestamp, so a time-based validator would answer
 * 304 for a changed file after an upgrade.
 */
public final class DashboardService implements HttpService {
    private static final String ROOT = "web/";
    /** Letters, digits, dot, dash, underscore and slashes, no "..": nothing outside web/ is reachable. */
    private static final Pattern SAFE_PATH = Pattern.compile("(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=UTF-8",
            "css", "text/css; charset=UTF-8",
            "js", "text/javascript; charset=UTF-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json",
            "txt", "text/plain; charset=UTF-8");

    /** Only files that exist are kept: a miss is not cached, so probing paths cannot grow the map. */
    private final Map<String, Asset> assets = new ConcurrentHashMap<>();

    @Override
    public void routing(HttpRules rules) {
        rules.get("/*", this::serve)
                .any("/*", this::otherMethod);
    }

    private void serve(ServerRequest req, ServerResponse res) {
        Optional<Asset> asset = asset(req);
        if (asset.isEmpty()) {
            res.next();
            return;
        }
        Asset a = asset.get();
        // The page is revalidated on every load so a new version shows at once; its scripts and
        // styles may be reused for a few minutes.
        res.header(HeaderNames.CACHE_CONTROL, a.type().startsWith("text/html") ? "no-cache" : "public, max-age=300");
        res.header(HeaderNames.ETAG, a.etag());
        boolean fresh = req.headers().first(HeaderNames.IF_NONE_MATCH)
                .map(tags -> tags.contains(a.etag()) || tags.strip().equals("*"))
                .orElse(false);
        if (fresh) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, a.type());
        res.send(a.content());
    }

    /** A file that exists answers other methods 405 with Allow; anything else is not ours. */
    private void otherMethod(ServerRequest req, ServerResponse res) {
        if (req.prologue().method() == Method.GET || asset(req).isEmpty()) {
            res.next();
            return;
        }
        throw MethodNotAllowed.refusal(req, Method.GET);
    }

    private Optional<Asset> asset(ServerRequest req) {
        String path = req.path().path();
        if (path.equals("/")) {
            path = "/index.html";
        }
        return SAFE_PATH.matcher(path).matches() ? cached(path) : Optional.empty();
    }

    private Optional<Asset> cached(String path) {
        Asset known = assets.get(path);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<Asset> loaded = load(path);
        loaded.ifPresent(a -> assets.put(path, a));
        return loaded;
    }

    private static Optional<Asset> load(String path) {
        String extension = path.substring(path.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        String type = TYPES.get(extension);
        if (type == null) {
            return Optional.empty();
        }
        try (InputStream in = DashboardService.class.getClassLoader().getResourceAsStream(ROOT + path.substring(1))) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] content = in.readAllBytes();
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(content);
            return Optional.of(new Asset(content, type, "\"" + HexFormat.of().formatHex(hash, 0, 12) + "\""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Asset(byte[] content, String type, String etag) {
    }
}
