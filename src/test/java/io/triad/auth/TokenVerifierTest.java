package io.triad.auth;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The key cache over time, with a cache that expires in milliseconds instead of minutes. */
class TokenVerifierTest {
    private static final TokenVerifier.Timing FAST = new TokenVerifier.Timing(Duration.ofMillis(1500), Duration.ofMillis(500));

    private static TokenVerifier verifier(Tokens.Issuer issuer) {
        return new TokenVerifier(new AuthSettings(Tokens.ISSUER, Tokens.AUDIENCE, Optional.of(URI.create(issuer.url())),
                Optional.empty(), false), FAST);
    }

    @Test
    void anUnreachableIssuerLeavesKnownKeysWorking() throws Exception {
        Tokens.Issuer issuer = new Tokens.Issuer(Tokens.RSA);
        TokenVerifier verifier = verifier(issuer);
        assertThat(verifier.verify(Tokens.sign(Tokens.RSA, Tokens.claims().build())).subject(), is("alice"));
        issuer.close();
        // Well past the cache's time to live and the rate limit's window: the key set must be
        // fetched again, the issuer does not answer, the last one it served is used.
        Thread.sleep(FAST.cacheTtl().plus(FAST.rateLimit()).toMillis() + 100);
        assertThat(verifier.verify(Tokens.sign(Tokens.RSA, Tokens.claims().build())).subject(), is("alice"));
        TokenVerifier.Refused unknown = assertThrows(TokenVerifier.Refused.class,
                () -> verifier.verify(Tokens.sign(Tokens.ROTATED, Tokens.claims().build())));
        assertThat(unknown.outcome(), is(Outcome.INVALID));
    }

    @Test
    void anIssuerNeverReachedRefusesEveryTokenWithAClearDetail() {
        Tokens.Issuer issuer = new Tokens.Issuer(Tokens.RSA);
        issuer.close();
        TokenVerifier.Refused refused = assertThrows(TokenVerifier.Refused.class,
                () -> verifier(issuer).verify(Tokens.sign(Tokens.RSA, Tokens.claims().build())));
        assertThat(refused.getMessage(), containsString("the issuer's keys are unavailable"));
    }

    @Test
    void aRotationIsPickedUpOnceTheRateLimitAllows() throws Exception {
        try (Tokens.Issuer issuer = new Tokens.Issuer(Tokens.RSA)) {
            TokenVerifier verifier = verifier(issuer);
            verifier.verify(Tokens.sign(Tokens.RSA, Tokens.claims().build()));
            for (int i = 0; i < 10; i++) {
                assertThrows(TokenVerifier.Refused.class,
                        () -> verifier.verify(Tokens.sign(Tokens.ROTATED, Tokens.claims().build())));
            }
            // Two retrievals per window: the first and one for an unknown kid, not one per token.
            assertThat(issuer.fetches.get(), is(2));
            issuer.publish(Tokens.RSA, Tokens.ROTATED);
            Thread.sleep(FAST.rateLimit().toMillis() + 50);
            assertThat(verifier.verify(Tokens.sign(Tokens.ROTATED, Tokens.claims().build())).client(), is("cli"));
        }
    }
}
