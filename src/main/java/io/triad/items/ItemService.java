package io.triad.items;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import io.triad.http.JsonFactories;
import io.triad.http.ApiException;
import io.triad.http.Echo;
import io.triad.http.Ids;
import io.triad.http.JsonBody;
import io.triad.http.JsonResponse;
import io.triad.http.MethodNotAllowed;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

/** The items API of the contract: CRUD, pagination, ETag/If-Match, idempotent creates. */
public final class ItemService implements HttpService {
    static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");
    static final HeaderName X_CACHE = HeaderNames.create("X-Cache");
    private static final Pattern VISIBLE_ASCII = Pattern.compile("[\\x21-\\x7E]{1,200}");
    private static final Pattern LIMIT = Pattern.compile("[1-9][0-9]{0,2}");
    private static final Pattern ENTITY_TAG = Pattern.compile("\\s*(W/)?\"([^\"]*)\"\\s*");
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");
    private static final int DEFAULT_LIMIT = 50;
    private static final int MAX_LIMIT = 200;

    private final ItemRepository repository;
    private final ItemCache cache;

    public ItemService(ItemRepository repository, ItemCache cache) {
        this.repository = repository;
        this.cache = cache;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list)
                .post("/", this::create)
                .any("/", MethodNotAllowed.allow(Method.GET, Method.POST))
                .get("/{id}", this::read)
                .put("/{id}", this::replace)
                .delete("/{id}", this::delete)
                .any("/{id}", MethodNotAllowed.allow(Method.GET, Method.PUT, Method.DELETE));
    }

    /**
     * Oldest first from {@code after} (the default), or with {@code order=desc} newest first
     * from {@code before}; either way {@code next} is the cursor for the following page and
     * null exactly when no further item exists (one row more than asked is read to know).
     */
    private void list(ServerRequest req, ServerResponse res) {
        int limit = req.query().first("limit").asOptional().map(ItemService::limit).orElse(DEFAULT_LIMIT);
        boolean newestFirst = switch (req.query().first("order").asOptional().orElse("asc")) {
            case "asc" -> false;
            case "desc" -> true;
            default -> throw ApiException.badRequest("order must be asc or desc");
        };
        String cursorName = newestFirst ? "before" : "after";
        String otherCursor = newestFirst ? "after" : "before";
        if (req.query().contains(otherCursor)) {
            throw ApiException.badRequest(otherCursor + " goes with order=" + (newestFirst ? "asc" : "desc")
                    + "; with order=" + (newestFirst ? "desc" : "asc") + " page with " + cursorName);
        }
        long cursor = req.query().first(cursorName).asOptional()
                .map(raw -> "0".equals(raw) ? 0L : Ids.parse(raw, cursorName))
                .orElse(0L);
        List<Item> page = newestFirst ? repository.pageBefore(cursor, limit) : repository.pageAfter(cursor, limit);
        boolean more = page.size() > limit;
        List<Item> items = more ? page.subList(0, limit) : page;
        JsonArrayBuilder array = JsonFactories.BUILDERS.createArrayBuilder();
        items.forEach(item -> array.add(item.toJson()));
        JsonObjectBuilder body = JsonFactories.BUILDERS.createObjectBuilder().add("items", array);
        if (more) {
            body.add("next", items.getLast().id());
        } else {
            body.addNull("next");
        }
        JsonResponse.send(res, Status.OK_200, body.build().toString());
    }

    private void read(ServerRequest req, ServerResponse res) {
        long id = id(req);
        ItemCache.Lookup cached = cache.get(id);
        if (cached.state() == ItemCache.Lookup.State.HIT) {
            answer(req, res, cached.state(), cached.version(), cached.json());
            return;
        }
        Item item = repository.find(id).orElseThrow(() -> notFound(id));
        cache.fill(cached, item);
        answer(req, res, cached.state(), item.version(), item.toJson().toString().getBytes(StandardCharsets.UTF_8));
    }

    private void answer(ServerRequest req, ServerResponse res, ItemCache.Lookup.State state, long version, byte[] json) {
        String etag = Item.etag(version);
        res.header(X_CACHE, state.name());
        res.header(HeaderNames.ETAG, etag);
        // Weak comparison (RFC 9110 13.1.2): W/"3" matches "3".
        boolean notModified = req.headers().first(HeaderNames.IF_NONE_MATCH)
                .map(header -> header.strip().equals("*") || versions(header, true).contains(version))
                .orElse(false);
        if (notModified) {
            res.status(Status.NOT_MODIFIED_304).send();
        } else {
            JsonResponse.send(res, Status.OK_200, json);
        }
    }

    private void create(ServerRequest req, ServerResponse res) {
        String body = JsonBody.read(req);
        Optional<String> key = req.headers().first(IDEMPOTENCY_KEY);
        if (key.isPresent() && !VISIBLE_ASCII.matcher(key.get()).matches()) {
            throw ApiException.badRequest("Idempotency-Key must be 1–200 visible ASCII characters");
        }
        ItemInput input = ItemInput.parse(body);
        if (key.isEmpty()) {
            created(res, repository.insert(input));
            return;
        }
        switch (repository.insertOnce(key.get(), input)) {
            case ItemRepository.IdempotentCreate.Created c -> created(res, c.item());
            case ItemRepository.IdempotentCreate.Replayed r -> {
                JsonObject first = JsonFactories.READERS.createReader(new StringReader(r.response())).readObject();
                res.header(HeaderNames.LOCATION, "/api/items/" + first.getJsonNumber("id").longValue());
                // The body is the first answer, so its ETag is the version that answer carried.
                res.header(HeaderNames.ETAG, Item.etag(first.getJsonNumber("version").longValue()));
                res.header("Idempotent-Replayed", "true");
                JsonResponse.send(res, Status.CREATED_201, r.response());
            }
            case ItemRepository.IdempotentCreate.Conflict ignored -> throw new ApiException(
                    Status.create(422, "Unprocessable Content"),
                    "Idempotency-Key '" + Echo.quote(key.get()) + "' was already used with a different body; "
                            + "use a new key for a different item");
        }
    }

    private void created(ServerResponse res, Item item) {
        res.header(HeaderNames.LOCATION, "/api/items/" + item.id());
        res.header(HeaderNames.ETAG, item.etag());
        JsonResponse.send(res, Status.CREATED_201, item.toJson().toString());
    }

    /**
     * One statement whether or not If-Match is given (the version is checked by the UPDATE
     * itself), so a PUT PostgreSQL cancels for time left nothing, and a concurrent write between
     * a check and the update can't slip through.
     */
    private void replace(ServerRequest req, ServerResponse res) {
        String body = JsonBody.read(req);
        long id = id(req);
        ItemInput input = ItemInput.parse(body);
        Optional<String> ifMatch = ifMatch(req);
        Optional<Item> replaced = repository.replace(id, input, expectedVersions(ifMatch));
        if (replaced.isEmpty()) {
            throw notReplaced(id, ifMatch);
        }
        Item item = replaced.get();
        cache.invalidate(id);
        res.header(HeaderNames.ETAG, item.etag());
        JsonResponse.send(res, Status.OK_200, item.toJson().toString());
    }

    private void delete(ServerRequest req, ServerResponse res) {
        long id = id(req);
        Optional<String> ifMatch = ifMatch(req);
        if (!repository.delete(id, expectedVersions(ifMatch))) {
            throw notReplaced(id, ifMatch);
        }
        cache.invalidate(id);
        res.status(Status.NO_CONTENT_204).send();
    }

    /** If-Match, unless absent or "*" (any current version will do). */
    private static Optional<String> ifMatch(ServerRequest req) {
        return req.headers().first(HeaderNames.IF_MATCH).map(String::strip).filter(h -> !h.equals("*"));
    }

    /** The versions If-Match allows (compared strongly), or null for any. */
    private static List<Long> expectedVersions(Optional<String> ifMatch) {
        return ifMatch.map(h -> versions(h, false)).orElse(null);
    }

    /** Nothing was written: the item does not exist (404), or If-Match named another version (412). */
    private ApiException notReplaced(long id, Optional<String> ifMatch) {
        Item current = repository.find(id).orElseThrow(() -> notFound(id));
        return preconditionFailed(ifMatch.orElse(""), current.etag());
    }

    private static long id(ServerRequest req) {
        return Ids.parse(req.path().pathParameters().get("id"), "id");
    }

    private static int limit(String raw) {
        if (LIMIT.matcher(raw).matches()) {
            int n = Integer.parseInt(raw);
            if (n <= MAX_LIMIT) {
                return n;
            }
        }
        throw ApiException.badRequest("limit must be an integer from 1 to 200, got '" + Echo.quote(raw) + "'");
    }

    /**
     * The versions named by an If-Match / If-None-Match list. If-Match compares strongly, so a
     * weak tag never matches there; If-None-Match compares weakly (W/"3" names version 3). A
     * tag that is not one of our versions names nothing.
     */
    private static List<Long> versions(String header, boolean weakComparison) {
        List<Long> versions = new ArrayList<>();
        for (String part : header.split(",")) {
            Matcher m = ENTITY_TAG.matcher(part);
            if (m.matches() && (weakComparison || m.group(1) == null) && VERSION.matcher(m.group(2)).matches()) {
                versions.add(Long.parseLong(m.group(2)));
            }
        }
        return versions;
    }

    private static ApiException notFound(long id) {
        return ApiException.notFound("item " + id + " does not exist");
    }

    private static ApiException preconditionFailed(String ifMatch, String current) {
        return new ApiException(Status.PRECONDITION_FAILED_412,
                "If-Match " + Echo.quote(ifMatch) + " does not match the current version " + current
                        + ": read the item again and retry with its ETag",
                Map.of(HeaderNames.ETAG.defaultCase(), current));
    }
}
