package io.triad.auth;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import io.triad.http.ApiException;

/**
 * Bearer tokens on the items API (RFC 6750): POST, PUT and DELETE under /api/items need a valid
 * token with the scope items:write; GET and HEAD need a valid token only with AUTH_READS=token.
 * Everything else (the dashboard, /api/instance, /api/cluster, /api/stats, the admin port) is
 * untouched.
 * <p>
 * Refusals are ApiExceptions, so they are answered like every other error (problem+json with
 * X-Request-Id, the body drained first): 401 with {@code WWW-Authenticate: Bearer}, with
 * {@code error="invalid_token"} when a token was sent; 403 with {@code error="insufficient_scope"}.
 * <p>
 * The token itself is never logged, traced or counted: the outcome counter's only label is
 * {@link Outcome}, the audit line carries the verified {@code sub} and client, and a refused
 * token's claims (unverified, so anyone's words) are not written at all.
 * <p>
 * Audit: one line per write that reaches this filter, accepted or refused, on the logger
 * {@code io.triad.audit} (through the root handler, AsyncConsoleHandler, which queues and never
 * blocks the request; the access-log policy does not apply to it). The line format gives time
 * and request id; the message gives method, item id (for a POST, the created one, from Location),
 * outcome, final status, subject and client.
 */
public final class AuthFilter implements Filter {
    public static final String REALM = "triad";
    private static final Logger AUDIT = Logger.getLogger("io.triad.audit");
    private static final HeaderName WWW_AUTHENTICATE = HeaderNames.WWW_AUTHENTICATE;
    private static final String ITEMS = "/api/items";

    private final TokenVerifier verifier;
    private final boolean tokenForReads;
    private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);

    public AuthFilter(AuthSettings settings, TokenVerifier verifier, MeterRegistry registry) {
        this.verifier = verifier;
        this.tokenForReads = settings.tokenForReads();
        for (Outcome outcome : Outcome.values()) {
            // Every series exists from the start (a zero is a fact too), and no other ever will.
            outcomes.put(outcome, registry.getOrCreate(Counter.builder("triad.auth.requests")
                    .description("Requests whose bearer token was checked, by outcome")
                    .tags(List.of(Tag.create("outcome", outcome.label())))));
        }
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (!path.equals(ITEMS) && !path.startsWith(ITEMS + "/")) {
            chain.proceed();
            return;
        }
        Method method = req.prologue().method();
        boolean write = method == Method.POST || method == Method.PUT || method == Method.DELETE;
        boolean read = method == Method.GET || method == Method.HEAD;
        if (!write && !(read && tokenForReads)) {
            chain.proceed();
            return;
        }
        TokenVerifier.Verified verified;
        try {
            verified = check(req, write);
        } catch (Refusal refusal) {
            outcomes.get(refusal.outcome).increment();
            if (write) {
                audit(method, path, null, refusal.outcome, refusal.status().code(), null);
            }
            throw refusal;
        }
        outcomes.get(Outcome.OK).increment();
        if (!write) {
            chain.proceed();
            return;
        }
        try {
            chain.proceed();
        } finally {
            audit(method, path, res.headers().first(HeaderNames.LOCATION).orElse(null), Outcome.OK,
                    res.status().code(), verified);
        }
    }

    private TokenVerifier.Verified check(RoutingRequest req, boolean write) {
        List<String> values = req.headers().contains(HeaderNames.AUTHORIZATION)
                ? req.headers().get(HeaderNames.AUTHORIZATION).allValues() : List.of();
        if (values.isEmpty()) {
            throw Refusal.missing("send Authorization: Bearer <access token>");
        }
        if (values.size() > 1) {
            throw Refusal.invalid(Outcome.INVALID, "send one Authorization header, not " + values.size());
        }
        String value = values.getFirst().strip();
        int space = value.indexOf(' ');
        String scheme = space < 0 ? value : value.substring(0, space);
        if (!scheme.toLowerCase(Locale.ROOT).equals("bearer")) {
            throw Refusal.missing("the Authorization scheme must be Bearer: send Authorization: Bearer <access token>");
        }
        String token = space < 0 ? "" : value.substring(space + 1).strip();
        if (token.isEmpty()) {
            throw Refusal.invalid(Outcome.INVALID, "the Authorization header has no token after Bearer");
        }
        TokenVerifier.Verified verified;
        try {
            verified = verifier.verify(token);
        } catch (TokenVerifier.Refused e) {
            throw Refusal.invalid(e.outcome(), e.getMessage());
        }
        if (write && !verified.scopes().contains(AuthSettings.WRITE_SCOPE)) {
            throw Refusal.forbidden();
        }
        return verified;
    }

    private static void audit(Method method, String path, String location, Outcome outcome, int status,
                              TokenVerifier.Verified who) {
        if (!AUDIT.isLoggable(Level.INFO)) {
            return;
        }
        String item = location != null ? location.substring(location.lastIndexOf('/') + 1)
                : path.length() > ITEMS.length() + 1 ? path.substring(ITEMS.length() + 1) : "-";
        String line = "write " + method.text() + " item=" + TokenVerifier.safe(item)
                + " outcome=" + outcome.label() + " status=" + status
                + " sub=" + (who == null ? "-" : TokenVerifier.safe(who.subject()))
                + " client=" + (who == null ? "-" : TokenVerifier.safe(who.client()));
        AUDIT.logp(Level.INFO, AuthFilter.class.getName(), "audit", line);
    }

    /** A refused request: 401 or 403, with the WWW-Authenticate challenge of RFC 6750. */
    static final class Refusal extends ApiException {
        private final Outcome outcome;

        private Refusal(Status status, Outcome outcome, String detail, String challenge) {
            super(status, detail, Map.of(WWW_AUTHENTICATE.defaultCase(), challenge));
            this.outcome = outcome;
        }

        /** No token: a bare challenge, no error code (RFC 6750 §3.1). */
        static Refusal missing(String detail) {
            return new Refusal(Status.UNAUTHORIZED_401, Outcome.MISSING, detail, "Bearer realm=\"" + REALM + "\"");
        }

        /** Details are this service's fixed wording (no quote, no backslash), safe inside the quoted string. */
        static Refusal invalid(Outcome outcome, String detail) {
            return new Refusal(Status.UNAUTHORIZED_401, outcome, detail, "Bearer realm=\"" + REALM
                    + "\", error=\"invalid_token\", error_description=\"" + detail + "\"");
        }

        static Refusal forbidden() {
            return new Refusal(Status.FORBIDDEN_403, Outcome.FORBIDDEN,
                    "the bearer token lacks the scope " + AuthSettings.WRITE_SCOPE + ": ask the issuer for a token with it",
                    "Bearer realm=\"" + REALM + "\", error=\"insufficient_scope\", scope=\"" + AuthSettings.WRITE_SCOPE + "\"");
        }
    }
}
