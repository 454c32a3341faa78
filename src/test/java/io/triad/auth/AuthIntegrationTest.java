package io.triad.auth;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.helidon.config.Config;
import io.helidon.logging.common.HelidonMdc;
import io.helidon.webserver.WebServer;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.triad.Triad;
import io.triad.config.Settings;
import io.triad.http.PublicRequestFilter;
import io.triad.support.Api;
import io.triad.support.TestStack;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * Bearer tokens against a real instance (PostgreSQL, Redis) whose issuer is a JWKS endpoint in
 * this test, with keys made here: each kind of token a client may send, with the status, the
 * problem body and the WWW-Authenticate challenge it gets; the audit lines; the outcome counts;
 * and that no token ever appears in a log line or in /metrics.
 */
class AuthIntegrationTest {
    private static final String BODY = "{\"name\":\"guarded\"}";
    private static final Tokens.Issuer ISSUER = new Tokens.Issuer(Tokens.RSA, Tokens.EC);
    private static final List<String> LOG_LINES = new CopyOnWriteArrayList<>();
    /** Audit lines with the request id the request's thread had when it logged. */
    private static final List<String[]> AUDIT = new CopyOnWriteArrayList<>();
    private static final List<String> TOKENS_SENT = new CopyOnWriteArrayList<>();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String message = record.getMessage() + (record.getThrown() == null ? "" : " " + record.getThrown());
            LOG_LINES.add(message);
            if ("io.triad.audit".equals(record.getLoggerName())) {
                AUDIT.add(new String[] {HelidonMdc.get(PublicRequestFilter.MDC_REQUEST_ID).orElse(""), message});
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private static final List<Running> RUNNING = new ArrayList<>();
    private static Api api;
    private static Api admin;
    private static Api readsNeedToken;

    private record Running(Triad triad, WebServer server) {
    }

    @BeforeAll
    static void start() {
        Logger.getLogger("").addHandler(CAPTURE);
        Running open = start("auth-public-reads", Map.of());
        api = new Api(open.server().port());
        admin = new Api(open.server().port(Triad.ADMIN_SOCKET));
        readsNeedToken = new Api(start("auth-token-reads", Map.of("AUTH_READS", "token")).server().port());
    }

    private static Running start(String id, Map<String, String> extra) {
        Map<String, String> env = ISSUER.env(TestStack.get().env(id));
        env.putAll(extra);
        Triad triad = Triad.create(Settings.load(Config.create(), env));
        Running running = new Running(triad, triad.start());
        RUNNING.add(running);
        return running;
    }

    @AfterAll
    static void stop() {
        RUNNING.forEach(r -> r.triad().drainAndStop(r.server()));
        ISSUER.close();
        Logger.getLogger("").removeHandler(CAPTURE);
    }

    private static String bearer(String token) {
        TOKENS_SENT.add(token);
        return "Bearer " + token;
    }

    private static HttpResponse<String> post(String token) {
        return token == null ? api.post("/api/items", BODY) : api.post("/api/items", BODY, "Authorization", bearer(token));
    }

    /** 401 problem+json with X-Request-Id and the challenge of RFC 6750 with invalid_token. */
    private static void assertInvalid(HttpResponse<String> response, String detail) {
        assertProblem(response, 401, detail);
        assertThat(response.headers().firstValue("WWW-Authenticate").orElse(""),
                startsWith("Bearer realm=\"triad\", error=\"invalid_token\", error_description=\""));
    }

    private static JsonObject assertProblem(HttpResponse<String> response, int status, String detail) {
        assertThat(response.body(), response.statusCode(), is(status));
        assertThat(response.headers().firstValue("Content-Type").orElse(""), is("application/problem+json"));
        assertThat(response.headers().firstValue("X-Request-Id").isPresent(), is(true));
        JsonObject problem = Api.json(response);
        assertThat(problem.getInt("status"), is(status));
        assertThat(problem.getString("detail"), containsString(detail));
        assertThat(problem.getString("instance"), startsWith("/api/items"));
        return problem;
    }

    @Test
    void validTokensWriteAndEachWriteIsAudited() {
        HttpResponse<String> created = post(Tokens.sign(Tokens.RSA, Tokens.claims().build()));
        assertThat(created.body(), created.statusCode(), is(201));
        String id = Api.json(created).getJsonNumber("id").toString();
        String requestId = created.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(auditLine(requestId), is("write POST item=" + id + " outcome=ok status=201 sub=alice client=cli"));

        // ES256, scope in an scp array (Okta's form), the client in azp (Keycloak's, Entra ID's).
        String es = Tokens.sign(Tokens.EC, Tokens.claims().claim("scope", null).claim("client_id", null)
                .claim("scp", List.of("items:write")).claim("azp", "dashboard").build());
        HttpResponse<String> replaced = api.put("/api/items/" + id, "{\"name\":\"changed\"}", "Authorization", bearer(es));
        assertThat(replaced.body(), replaced.statusCode(), is(200));
        assertThat(auditLine(replaced.headers().firstValue("X-Request-Id").orElseThrow()),
                is("write PUT item=" + id + " outcome=ok status=200 sub=alice client=dashboard"));

        HttpResponse<String> deleted = api.delete("/api/items/" + id, "Authorization", bearer(es));
        assertThat(deleted.statusCode(), is(204));
        assertThat(auditLine(deleted.headers().firstValue("X-Request-Id").orElseThrow()),
                is("write DELETE item=" + id + " outcome=ok status=204 sub=alice client=dashboard"));
        // Accepted by authentication, refused by the API: audited with the status it got.
        HttpResponse<String> gone = api.delete("/api/items/" + id, "Authorization", bearer(es));
        assertThat(gone.statusCode(), is(404));
        assertThat(auditLine(gone.headers().firstValue("X-Request-Id").orElseThrow()),
                is("write DELETE item=" + id + " outcome=ok status=404 sub=alice client=dashboard"));
    }

    @Test
    void missingTokenIs401WithABareChallenge() {
        HttpResponse<String> response = post(null);
        assertProblem(response, 401, "send Authorization: Bearer <access token>");
        assertThat(response.headers().firstValue("WWW-Authenticate").orElse(""), is("Bearer realm=\"triad\""));
        assertThat(auditLine(response.headers().firstValue("X-Request-Id").orElseThrow()),
                is("write POST item=- outcome=missing status=401 sub=- client=-"));
        HttpResponse<String> basic = api.delete("/api/items/7", "Authorization", "Basic YWxpY2U6c2VjcmV0");
        assertProblem(basic, 401, "the Authorization scheme must be Bearer");
        assertThat(auditLine(basic.headers().firstValue("X-Request-Id").orElseThrow()),
                is("write DELETE item=7 outcome=missing status=401 sub=- client=-"));
    }

    @Test
    void expiredIs401() {
        Instant past = Instant.now().minusSeconds(600);
        HttpResponse<String> response = post(Tokens.sign(Tokens.RSA, Tokens.claims()
                .issueTime(Date.from(past)).notBeforeTime(Date.from(past))
                .expirationTime(Date.from(Instant.now().minusSeconds(60))).build()));
        assertInvalid(response, "the bearer token has expired");
        assertThat(auditLine(response.headers().firstValue("X-Request-Id").orElseThrow()),
                is("write POST item=- outcome=expired status=401 sub=- client=-"));
    }

    @Test
    void withinTheClockSkewIsStillValid() {
        HttpResponse<String> response = post(Tokens.sign(Tokens.RSA, Tokens.claims()
                .expirationTime(Date.from(Instant.now().minusSeconds(10))).build()));
        assertThat(response.body(), response.statusCode(), is(201));
    }

    @Test
    void notYetValidIs401() {
        assertInvalid(post(Tokens.sign(Tokens.RSA, Tokens.claims()
                .notBeforeTime(Date.from(Instant.now().plusSeconds(120))).build())), "not valid yet");
    }

    @Test
    void wrongIssuerIs401() {
        assertInvalid(post(Tokens.sign(Tokens.RSA, Tokens.claims().issuer("https://evil.test").build())),
                "issued by another issuer");
    }

    @Test
    void wrongAudienceIs401() {
        assertInvalid(post(Tokens.sign(Tokens.RSA, Tokens.claims().audience("another-api").build())),
                "meant for another audience");
    }

    @Test
    void noExpiryIs401() {
        assertInvalid(post(Tokens.sign(Tokens.RSA, Tokens.claims().expirationTime(null).build())), "no expiry");
    }

    @Test
    void wrongKeyIs401() {
        assertInvalid(post(Tokens.sign(Tokens.IMPOSTOR, Tokens.claims().build())), "signature does not verify");
    }

    @Test
    void unknownKidIsFetchedOnceAfterARotationAndMadeUpKidsDoNotHammerTheIssuer() {
        // Known keys first (the key set is fetched now if no earlier test did).
        assertThat(post(Tokens.sign(Tokens.RSA, Tokens.claims().build())).statusCode(), is(201));
        int before = ISSUER.fetches.get();
        ISSUER.publish(Tokens.RSA, Tokens.EC, Tokens.ROTATED);
        HttpResponse<String> rotated = post(Tokens.sign(Tokens.ROTATED, Tokens.claims().build()));
        assertThat(rotated.body(), rotated.statusCode(), is(201));
        assertThat(ISSUER.fetches.get(), is(before + 1));
        int afterRotation = ISSUER.fetches.get();
        for (int i = 0; i < 20; i++) {
            assertInvalid(post(Tokens.sign(Tokens.generateRsa("made-up-" + i), Tokens.claims().build())),
                    "signed by a key the issuer does not publish");
        }
        // At most one more retrieval within the rate limit's window, however many unknown kids.
        assertThat(ISSUER.fetches.get() - afterRotation <= 1, is(true));
        // The known keys keep working meanwhile.
        assertThat(post(Tokens.sign(Tokens.EC, Tokens.claims().build())).statusCode(), is(201));
    }

    @Test
    void algNoneIs401() {
        String none = new PlainJWT(Tokens.claims().build()).serialize();
        assertInvalid(post(none), "not signed (alg none)");
    }

    @Test
    void hs256SignedWithThePublicKeyIs401() throws JOSEException {
        // The classic confusion: the public key's bytes used as an HMAC secret.
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(Tokens.RSA.getKeyID()).build(),
                Tokens.claims().build());
        jwt.sign(new MACSigner(Tokens.RSA.toRSAPublicKey().getEncoded()));
        assertInvalid(post(jwt.serialize()), "signed with HS256: only RS256 and ES256 are accepted");
        // The same with the key as the JWK text some libraries would use.
        SignedJWT jwk = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).build(), Tokens.claims().build());
        jwk.sign(new MACSigner(Tokens.RSA.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
        assertInvalid(post(jwk.serialize()), "signed with HS256");
    }

    @Test
    void missingScopeIs403() {
        HttpResponse<String> response = post(Tokens.sign(Tokens.RSA, Tokens.claims().claim("scope", "openid items:read").build()));
        assertProblem(response, 403, "lacks the scope items:write");
        assertThat(response.headers().firstValue("WWW-Authenticate").orElse(""),
                is("Bearer realm=\"triad\", error=\"insufficient_scope\", scope=\"items:write\""));
        assertThat(auditLine(response.headers().firstValue("X-Request-Id").orElseThrow()),
                is("write POST item=- outcome=forbidden status=403 sub=- client=-"));
    }

    @Test
    void malformedHeadersAre401() {
        assertInvalid(api.post("/api/items", BODY, "Authorization", "Bearer"), "no token after Bearer");
        assertInvalid(api.post("/api/items", BODY, "Authorization", "Bearer not-a-jwt"), "is not a JWT");
        assertInvalid(api.post("/api/items", BODY, "Authorization", "Bearer a.b.c"), "is not a JWT");
        String garbage = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":".getBytes(StandardCharsets.UTF_8));
        assertInvalid(api.post("/api/items", BODY, "Authorization", "Bearer " + garbage + ".e30.c2ln"), "is not a JWT");
    }

    @Test
    void oversizedTokensAreRefusedWithoutParsing() {
        // Over the service's limit, under the server's header limit: 401 naming the limit.
        assertInvalid(post("x".repeat(TokenVerifier.MAX_TOKEN_CHARS + 1)), "longer than 8192 characters");
        // 100 KB: refused by the HTTP layer before routing, still problem+json with a request id.
        HttpResponse<String> huge = post("a".repeat(100 * 1024));
        assertThat(huge.statusCode() >= 400 && huge.statusCode() < 500, is(true));
        assertThat(huge.headers().firstValue("Content-Type").orElse(""), is("application/problem+json"));
        assertThat(huge.headers().firstValue("X-Request-Id").isPresent(), is(true));
        assertThat(Api.json(huge).getInt("status"), is(huge.statusCode()));
    }

    @Test
    void readsArePublicUnlessAuthReadsIsToken() {
        assertThat(api.get("/api/items").statusCode(), is(200));
        assertThat(api.get("/api/items/1").statusCode() != 401, is(true));
        HttpResponse<String> refused = readsNeedToken.get("/api/items");
        assertProblem(refused, 401, "send Authorization: Bearer");
        // A read needs a valid token, not the write scope.
        String readOnly = Tokens.sign(Tokens.RSA, Tokens.claims().claim("scope", "items:read").build());
        assertThat(readsNeedToken.get("/api/items", "Authorization", bearer(readOnly)).statusCode(), is(200));
        assertInvalid(readsNeedToken.get("/api/items", "Authorization", "Bearer nope"), "is not a JWT");
        // The rest of the public port stays open.
        assertThat(readsNeedToken.get("/api/instance").statusCode(), is(200));
        assertThat(readsNeedToken.get("/").statusCode(), is(200));
    }

    @Test
    void outcomesAreCountedWithBoundedLabelsAndTokensAppearNowhere() {
        Map<String, Double> before = outcomes();
        post(null);
        post(Tokens.sign(Tokens.RSA, Tokens.claims().expirationTime(Date.from(Instant.now().minusSeconds(600))).build()));
        post("garbage");
        post(Tokens.sign(Tokens.RSA, Tokens.claims().claim("scope", "openid").build()));
        post(Tokens.sign(Tokens.RSA, Tokens.claims().build()));
        Map<String, Double> after = outcomes();
        assertThat(after.keySet(), is(java.util.Set.of("ok", "missing", "invalid", "expired", "forbidden")));
        for (String outcome : after.keySet()) {
            // Other tests may run beside this one on the same counters: at least one each.
            assertThat(outcome, after.get(outcome) - before.get(outcome) >= 1, is(true));
        }
        String metrics = admin.get("/metrics").body();
        for (String token : TOKENS_SENT) {
            String signature = token.substring(token.lastIndexOf('.') + 1);
            assertThat(metrics, not(containsString(token)));
            for (String line : LOG_LINES) {
                assertThat(line, not(containsString(token)));
                if (signature.length() > 20) {
                    assertThat(line, not(containsString(signature)));
                }
            }
        }
        assertThat(LOG_LINES, not(empty()));
    }

    private static Map<String, Double> outcomes() {
        Map<String, Double> counts = new java.util.TreeMap<>();
        Matcher m = Pattern.compile("(?m)^triad_auth_requests_total\\{outcome=\"([a-z]+)\"[^}]*} ([0-9.eE+]+)$")
                .matcher(admin.get("/metrics").body());
        while (m.find()) {
            counts.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
        }
        return counts;
    }

    /**
     * The one audit line logged under this request id. An accepted write's line is written once
     * the answer has gone out (it carries the final status), so it may trail the response.
     */
    private static String auditLine(String requestId) {
        io.triad.support.Await.until(java.time.Duration.ofSeconds(5), "the audit line of " + requestId,
                () -> AUDIT.stream().anyMatch(a -> a[0].equals(requestId)));
        List<String> lines = AUDIT.stream().filter(a -> a[0].equals(requestId)).map(a -> a[1]).toList();
        assertThat("audit lines of " + requestId + ": " + lines, lines.size(), is(1));
        assertThat(lines, hasItem(matchesPattern("write .*")));
        return lines.getFirst();
    }
}
