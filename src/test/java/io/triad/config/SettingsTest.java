package io.triad.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.helidon.config.Config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The contract's configuration table: defaults, overrides, secrets from files, one-line errors. */
class SettingsTest {

    @Test
    void defaultsComeFromApplicationYaml() {
        Settings settings = Settings.load(Config.create(), Map.of());
        assertThat(settings.dbUrl(), is("jdbc:postgresql://localhost:5432/triad"));
        assertThat(settings.dbUser(), is("triad"));
        assertThat(settings.dbPassword(), is(""));
        assertThat(settings.dbPoolSize(), is(10));
        assertThat(settings.redisUrl().toString(), is("redis://localhost:6379"));
        assertThat(settings.cacheTtl(), is(Duration.ofMinutes(5)));
        assertThat(settings.serverPort(), is(8080));
        assertThat(settings.adminPort(), is(8081));
        assertThat(settings.shutdownGrace(), is(Duration.ofSeconds(10)));
        assertThat(settings.instanceId().isBlank(), is(false));
    }

    @Test
    void environmentWins() {
        Settings settings = Settings.load(Config.create(), Map.of("INSTANCE_ID", "web2", "DB_POOL_SIZE", "4",
                "CACHE_TTL", "PT30S", "SERVER_PORT", "9090", "DB_PASSWORD", "s3cret"));
        assertThat(settings.instanceId(), is("web2"));
        assertThat(settings.dbPoolSize(), is(4));
        assertThat(settings.cacheTtl(), is(Duration.ofSeconds(30)));
        assertThat(settings.serverPort(), is(9090));
        assertThat(settings.dbPassword(), is("s3cret"));
    }

    @Test
    void secretsAreReadFromFiles(@TempDir Path dir) throws Exception {
        Path db = Files.writeString(dir.resolve("db"), "from-file\n");
        Path redis = Files.writeString(dir.resolve("redis"), "r3dis");
        Settings settings = Settings.load(Config.create(), Map.of("DB_PASSWORD_FILE", db.toString(),
                "DB_PASSWORD", "ignored", "REDIS_PASSWORD_FILE", redis.toString()));
        assertThat(settings.dbPassword(), is("from-file"));
        assertThat(settings.redisPassword().orElseThrow(), is("r3dis"));
    }

    @ParameterizedTest
    @CsvSource({
            "DB_POOL_SIZE, zero, 'DB_POOL_SIZE=''zero'' is invalid: expected an integer from 1 to 500'",
            "DB_POOL_SIZE, 0, 'DB_POOL_SIZE=''0'' is invalid'",
            "CACHE_TTL, 5m, 'CACHE_TTL=''5m'' is invalid: expected a positive ISO-8601 duration'",
            "SHUTDOWN_GRACE, PT0S, 'SHUTDOWN_GRACE=''PT0S'' is invalid'",
            "SERVER_PORT, 70000, 'SERVER_PORT=''70000'' is invalid: expected a port number'",
            "DB_URL, postgres://x/y, 'DB_URL=''postgres://x/y'' is invalid: expected a JDBC URL'",
            "REDIS_URL, localhost:6379, 'REDIS_URL=''localhost:6379'' is invalid: expected a URL such as redis://host:6379'",
            "DB_PASSWORD_FILE, /no/such/file, 'DB_PASSWORD_FILE=''/no/such/file'' cannot be read'",
            "REDIS_SENTINELS, sentinel1, 'REDIS_SENTINELS=''sentinel1'' is invalid: expected a comma-separated list of host:port'",
            "REDIS_SENTINELS, 's1:26379,s2:0', 'REDIS_SENTINELS=''s1:26379,s2:0'' is invalid'",
            "REDIS_MASTER_NAME, 'my master', 'REDIS_MASTER_NAME=''my master'' is invalid: expected the master name'",
            "REDIS_USER, 'triad admin', 'REDIS_USER=''triad admin'' is invalid: expected a Redis ACL user name'"})
    void badValuesFailWithOneLineNamingTheVariable(String name, String value, String message) {
        Map<String, String> env = new HashMap<>();
        env.put(name, value);
        ConfigException e = assertThrows(ConfigException.class, () -> Settings.load(Config.create(), env));
        assertThat(e.getMessage(), containsString(message));
        assertThat(e.getMessage(), not(containsString("\n")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "AUTH_ISSUER=https://idp.test | AUTH_AUDIENCE is not set: expected the audience (aud)",
            "AUTH_AUDIENCE=triad | AUTH_ISSUER is not set: expected the issuer (iss)",
            "AUTH_JWKS_URL=https://idp.test/certs | AUTH_JWKS_URL is set but AUTH_ISSUER and AUTH_AUDIENCE are not",
            "AUTH_READS=token | AUTH_READS is set but AUTH_ISSUER and AUTH_AUDIENCE are not",
            "AUTH_ISSUER=https://idp.test,AUTH_AUDIENCE=triad | AUTH_JWKS_URL is not set: expected exactly one",
            "AUTH_ISSUER=https://idp.test,AUTH_AUDIENCE=triad,AUTH_JWKS_URL=https://idp.test/certs,AUTH_JWKS_FILE=/k | AUTH_JWKS_URL and AUTH_JWKS_FILE are both set",
            "AUTH_ISSUER=https://idp.test,AUTH_AUDIENCE=triad,AUTH_JWKS_URL=http://idp.test/certs | AUTH_JWKS_URL='http://idp.test/certs' is invalid: expected an https:// URL",
            "AUTH_ISSUER=https://idp.test,AUTH_AUDIENCE=triad,AUTH_JWKS_FILE=/no/such/jwks.json | AUTH_JWKS_FILE='/no/such/jwks.json' cannot be read as a JWK set",
            "AUTH_ISSUER=https://idp.test,AUTH_AUDIENCE=triad,AUTH_JWKS_URL=https://idp.test/certs,AUTH_READS=private | AUTH_READS='private' is invalid: expected public"})
    void badAuthenticationSettingsFailWithOneLine(String assignments, String message) {
        Map<String, String> env = new HashMap<>();
        for (String assignment : assignments.split(",")) {
            env.put(assignment.substring(0, assignment.indexOf('=')).strip(), assignment.substring(assignment.indexOf('=') + 1).strip());
        }
        ConfigException e = assertThrows(ConfigException.class, () -> Settings.load(Config.create(), env));
        assertThat(e.getMessage(), containsString(message));
        assertThat(e.getMessage(), not(containsString("\n")));
    }

    @Test
    void authenticationIsOffUnlessConfiguredAndAKeySetFileMustBePublic(@TempDir Path dir) throws Exception {
        assertThat(Settings.load(Config.create(), Map.of()).auth().isPresent(), is(false));
        com.nimbusds.jose.jwk.ECKey key = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256)
                .keyID("k").generate();
        Path pub = dir.resolve("jwks.json");
        Files.writeString(pub, new com.nimbusds.jose.jwk.JWKSet(key).toPublicJWKSet().toString());
        Map<String, String> env = new HashMap<>(Map.of("AUTH_ISSUER", "https://idp.test", "AUTH_AUDIENCE", "triad",
                "AUTH_JWKS_FILE", pub.toString()));
        var auth = Settings.load(Config.create(), env).auth().orElseThrow();
        assertThat(auth.jwksFile().orElseThrow(), is(pub));
        assertThat(auth.tokenForReads(), is(false));
        Path priv = dir.resolve("private.json");
        Files.writeString(priv, new com.nimbusds.jose.jwk.JWKSet(key).toString(false));
        env.put("AUTH_JWKS_FILE", priv.toString());
        ConfigException e = assertThrows(ConfigException.class, () -> Settings.load(Config.create(), env));
        assertThat(e.getMessage(), containsString("holds a private key: mount the public key set only"));
    }

    @Test
    void redisThroughSentinelWhenSentinelsAreGiven() {
        Settings plain = Settings.load(Config.create(), Map.of());
        assertThat(plain.redisThroughSentinel(), is(false));
        assertThat(plain.redisMasterName(), is("triad"));
        Settings sentinel = Settings.load(Config.create(), Map.of(
                "REDIS_SENTINELS", "sentinel1:26379, sentinel2:26379,sentinel3:26379", "REDIS_MASTER_NAME", "cache"));
        assertThat(sentinel.redisThroughSentinel(), is(true));
        assertThat(sentinel.redisSentinels(), is(java.util.List.of("sentinel1:26379", "sentinel2:26379", "sentinel3:26379")));
        assertThat(sentinel.redisMasterName(), is("cache"));
    }
}
