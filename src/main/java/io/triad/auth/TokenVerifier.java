package io.triad.auth;

import java.net.MalformedURLException;
import java.text.ParseException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;

/**
 * Checks an OAuth 2.0 access token in JWT form (RFC 9068) against the issuer's published keys.
 * Every piece of JOSE is Nimbus': parsing, the signature, the claims, fetching and caching the
 * key set. What this class decides, and why:
 * <ul>
 * <li>Algorithms: RS256 and ES256 only, checked before any key is looked up. {@code none} is an
 *     unsigned token; an HMAC algorithm would let anyone who has the public key (everyone) sign
 *     with it as the "secret". Nimbus' key selector would refuse both; checking the header first
 *     gives the client a detail that says which rule it broke.</li>
 * <li>Claims: {@code iss} equal to AUTH_ISSUER, {@code aud} containing AUTH_AUDIENCE,
 *     {@code exp} required, {@code nbf} and {@code exp} with {@link #CLOCK_SKEW} of allowance for
 *     clocks that drift between the issuer and the instances.</li>
 * <li>Keys: fetched when first needed and cached ({@link Timing#cacheTtl}); a token naming a key
 *     id the cache lacks triggers a refresh (a rotated key works at once), at most two
 *     retrievals per {@link Timing#rateLimit}, so tokens with made-up key ids cannot make the
 *     instances hammer the issuer. When the issuer cannot be reached, the last key set it served
 *     stays in use (Nimbus' outage tolerance): tokens signed by known keys keep working through
 *     an outage of the issuer; a key the issuer withdrew disappears at the first successful
 *     retrieval after that.</li>
 * </ul>
 * A refused token ends in {@link Refused}: an outcome label from a fixed set and a detail of our
 * own wording (never the token, nor the library's message, which can quote claim values).
 */
public final class TokenVerifier {
    /** Longer than any access token an identity provider issues; beyond it nothing is parsed. */
    public static final int MAX_TOKEN_CHARS = 8192;
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    /** JWTs in general, RFC 9068's access-token type, or none (many issuers send "JWT" or nothing). */
    private static final DefaultJOSEObjectTypeVerifier<SecurityContext> TYPES = new DefaultJOSEObjectTypeVerifier<>(
            JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null);

    /**
     * How long the key set is trusted before it is fetched again, and the window in which at most
     * two retrievals happen (the initial one or a periodic one, plus one for an unknown kid).
     */
    public record Timing(Duration cacheTtl, Duration rateLimit) {
        public static final Timing DEFAULT = new Timing(Duration.ofMinutes(5), Duration.ofSeconds(30));
    }

    /** A token that was refused: what to count, and what to tell the client. */
    public static final class Refused extends Exception {
        private final Outcome outcome;

        Refused(Outcome outcome, String detail) {
            super(detail, null, false, false);
            this.outcome = outcome;
        }

        public Outcome outcome() {
            return outcome;
        }
    }

    /** An accepted token's claims, as far as the service uses them. */
    public record Verified(String subject, String client, Set<String> scopes) {
    }

    private final DefaultJWTProcessor<SecurityContext> processor;

    public TokenVerifier(AuthSettings settings) {
        this(settings, Timing.DEFAULT);
    }

    public TokenVerifier(AuthSettings settings, Timing timing) {
        processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(TYPES);
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys(settings, timing)));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                settings.audience(),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).build(),
                Set.of("exp"));
        claims.setMaxClockSkew((int) CLOCK_SKEW.toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    private static JWKSource<SecurityContext> keys(AuthSettings settings, Timing timing) {
        JWKSourceBuilder<SecurityContext> builder;
        if (settings.jwksUrl().isPresent()) {
            try {
                // 2 s to connect and to read, 256 KiB at most: a slow or hostile issuer holds a
                // request (the one that needed new keys) briefly and never fills the heap.
                builder = JWKSourceBuilder.create(settings.jwksUrl().get().toURL(),
                        new DefaultResourceRetriever(2000, 2000, 256 * 1024));
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("AUTH_JWKS_URL is not a URL", e);
            }
        } else {
            builder = JWKSourceBuilder.create(new JwksFileSource(settings.jwksFile().orElseThrow()));
        }
        return builder
                // How long other requests wait for one that is fetching: under the cache's life.
                .cache(timing.cacheTtl().toMillis(), Math.min(JWKSourceBuilder.DEFAULT_CACHE_REFRESH_TIMEOUT,
                        timing.cacheTtl().toMillis() / 2))
                // No background refresh thread: once per cache life one request fetches the
                // key set itself (milliseconds; at most the retriever's 2 s timeouts).
                .refreshAheadCache(false)
                .rateLimited(timing.rateLimit().toMillis())
                .outageTolerantForever()
                .retrying(false)
                .build();
    }

    /** The token's claims when it is valid; {@link Refused} with the reason otherwise. */
    public Verified verify(String token) throws Refused {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new Refused(Outcome.INVALID, "the bearer token is longer than " + MAX_TOKEN_CHARS + " characters");
        }
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw new Refused(Outcome.INVALID, "the bearer token is not a JWT (header.payload.signature, base64url-encoded)");
        }
        if (!(jwt instanceof SignedJWT signed)) {
            throw new Refused(Outcome.INVALID, "the bearer token is not signed (alg none) or is encrypted: "
                    + "send a token signed with RS256 or ES256");
        }
        if (!ALGORITHMS.contains(signed.getHeader().getAlgorithm())) {
            throw new Refused(Outcome.INVALID, "the bearer token is signed with "
                    + safe(signed.getHeader().getAlgorithm().getName()) + ": only RS256 and ES256 are accepted");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(signed, null);
        } catch (ExpiredJWTException e) {
            throw new Refused(Outcome.EXPIRED, "the bearer token has expired: get a new one from the issuer");
        } catch (BadJWTException e) {
            throw new Refused(Outcome.INVALID, claimProblem(e.getMessage()));
        } catch (BadJWSException e) {
            throw new Refused(Outcome.INVALID, "the bearer token's signature does not verify with the issuer's key");
        } catch (BadJOSEException e) {
            String message = String.valueOf(e.getMessage());
            throw new Refused(Outcome.INVALID, message.contains("typ")
                    ? "the bearer token's typ is neither JWT nor at+jwt"
                    : "the bearer token is signed by a key the issuer does not publish (unknown kid)");
        } catch (com.nimbusds.jose.jwk.source.RateLimitReachedException e) {
            throw new Refused(Outcome.INVALID, "the bearer token is signed by a key the issuer does not publish (unknown kid)");
        } catch (JOSEException e) {
            // The key set could not be retrieved and none is known yet, or a key is unusable.
            throw new Refused(Outcome.INVALID, "the bearer token cannot be checked: the issuer's keys are unavailable");
        }
        return new Verified(claims.getSubject(), client(claims), scopes(claims));
    }

    /** Nimbus' claim messages quote values; ours name the rule only. */
    private static String claimProblem(String message) {
        String m = String.valueOf(message);
        if (m.contains("missing required claims")) {
            return "the bearer token has no expiry (exp)";
        }
        if (m.contains("before use time")) {
            return "the bearer token is not valid yet (nbf is in the future)";
        }
        if (m.contains("iss")) {
            return "the bearer token was issued by another issuer (iss)";
        }
        if (m.contains("aud")) {
            return "the bearer token is meant for another audience (aud)";
        }
        return "the bearer token's claims are invalid";
    }

    /** The client the token was issued to: azp (OpenID Connect, Keycloak, Entra ID) or client_id (RFC 9068). */
    private static String client(JWTClaimsSet claims) {
        for (String name : List.of("client_id", "azp")) {
            Object value = claims.getClaim(name);
            if (value instanceof String s) {
                return s;
            }
        }
        return null;
    }

    /** {@code scope} (RFC 9068: space-separated), or {@code scp} (a string like Entra ID's, or an array like Okta's). */
    static Set<String> scopes(JWTClaimsSet claims) {
        Set<String> scopes = new HashSet<>();
        for (String name : List.of("scope", "scp")) {
            Object value = claims.getClaim(name);
            if (value instanceof String s) {
                scopes.addAll(Arrays.asList(s.strip().split("\\s+")));
            } else if (value instanceof List<?> list) {
                list.forEach(v -> {
                    if (v instanceof String s) {
                        scopes.add(s);
                    }
                });
            }
        }
        return scopes;
    }

    /** A header value quoted in a detail: short and printable ASCII only. */
    static String safe(String value) {
        if (value == null) {
            return "-";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < 64; i++) {
            char c = value.charAt(i);
            out.append(c > 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
        }
        return out.isEmpty() ? "-" : out.toString();
    }
}
