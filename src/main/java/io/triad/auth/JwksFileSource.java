package io.triad.auth;

import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;

/**
 * A key set mounted as a file (AUTH_JWKS_FILE: a Docker or Kubernetes secret). Read on each
 * retrieval, so a secret updated in place (Kubernetes refreshes mounted secrets) is picked up
 * the way a JWKS URL is: when a token names a key id the cache does not hold, within the same
 * rate limit. Parsing is Nimbus' own (JWKSet.load).
 */
final class JwksFileSource implements JWKSetSource<SecurityContext> {
    private final Path file;

    JwksFileSource(Path file) {
        this.file = file;
    }

    @Override
    public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refreshEvaluator, long currentTime, SecurityContext context)
            throws KeySourceException {
        try {
            return JWKSet.load(file.toFile()).toPublicJWKSet();
        } catch (IOException | ParseException e) {
            throw new KeySourceException("the key set " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
    }
}
