package io.triad.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;

/** Keys made for the test run, tokens signed with them, and a tiny issuer serving the key set. */
final class Tokens {
    static final String ISSUER = "https://issuer.test/realms/triad";
    static final String AUDIENCE = "triad";

    static final RSAKey RSA = generateRsa("rsa-1");
    static final ECKey EC = generateEc("ec-1");
    /** The issuer's next key, published only after a rotation. */
    static final RSAKey ROTATED = generateRsa("rsa-2");
    /** Someone else's key that claims the kid of the issuer's. */
    static final RSAKey IMPOSTOR = generateRsa("rsa-1");

    private Tokens() {
    }

    static RSAKey generateRsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static ECKey generateEc(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Claims of a valid token: the right issuer and audience, valid for 5 minutes, scope items:write. */
    static JWTClaimsSet.Builder claims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(List.of(AUDIENCE))
                .subject("alice")
                .claim("client_id", "cli")
                .claim("scope", "openid items:write")
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now.minusSeconds(5)))
                .expirationTime(Date.from(now.plusSeconds(300)));
    }

    static String sign(JWK key, JWTClaimsSet claims) {
        try {
            JWSAlgorithm alg = key instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
            JWSSigner signer = key instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) key);
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID())
                    .type(new JOSEObjectType("at+jwt")).build(), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An issuer's JWKS endpoint on 127.0.0.1 that counts how often it is asked. */
    static final class Issuer implements AutoCloseable {
        final AtomicReference<JWKSet> keys;
        final AtomicInteger fetches = new AtomicInteger();
        private final HttpServer server;

        Issuer(JWK... published) {
            keys = new AtomicReference<>(new JWKSet(List.of(published)).toPublicJWKSet());
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.createContext("/certs", exchange -> {
                fetches.incrementAndGet();
                byte[] body = keys.get().toString().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/certs";
        }

        void publish(JWK... published) {
            keys.set(new JWKSet(List.of(published)).toPublicJWKSet());
        }

        @Override
        public void close() {
            server.stop(0);
        }

        Map<String, String> env(Map<String, String> base) {
            Map<String, String> env = new java.util.HashMap<>(base);
            env.put("AUTH_ISSUER", ISSUER);
            env.put("AUTH_AUDIENCE", AUDIENCE);
            env.put("AUTH_JWKS_URL", url());
            return env;
        }
    }
}
