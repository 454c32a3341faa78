package io.triad.dashboard;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.staticcontent.StaticContentService;

/** The dashboard's static files from the classpath folder web/, with cache headers per kind. */
public final class DashboardService implements HttpService {
    private final StaticContentService files = StaticContentService.builder("web")
            .welcomeFileName("index.html")
            .build();

    @Override
    public void routing(HttpRules rules) {
        rules.get("/*", (req, res) -> {
            String path = req.path().path();
            // The page itself is revalidated on every load so a new version shows at once;
            // its scripts and styles may be reused for a few minutes.
            boolean page = path.equals("/") || path.endsWith(".html");
            res.header(HeaderNames.CACHE_CONTROL, page ? "no-cache" : "public, max-age=300");
            res.next();
        });
        rules.register("/", files);
    }
}
