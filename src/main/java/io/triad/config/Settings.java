package io.triad.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import io.helidon.config.Config;

import io.triad.auth.AuthSettings;

/**
 * The service's settings: the environment variables of the contract, with defaults from
 * {@code application.yaml} (key {@code triad.<variable in lower case>}).
 * Every value is checked here, once, so a bad deployment fails at start with one line that
 * names the variable and what it expects instead of failing later on first use.
 */
public record Settings(String instanceId,
                       String dbUrl,
                       String dbUser,
                       String dbPassword,
                       int dbPoolSize,
                       URI redisUrl,
                       Optional<String> redisPassword,
                       Optional<String> redisUser,
                       Duration cacheTtl,
                       int serverPort,
                       int adminPort,
                       Duration shutdownGrace,
                       List<String> redisSentinels,
                       String redisMasterName,
                       Optional<AuthSettings> auth) {

    public static Settings load(Config config, Map<String, String> env) {
        Source source = new Source(config.get("triad"), env);
        return new Settings(
                source.optional("INSTANCE_ID").orElseGet(Settings::localHostname),
                source.required("DB_URL", Settings::jdbcUrl, "a JDBC URL such as jdbc:postgresql://host:5432/triad"),
                source.required("DB_USER", Function.identity(), "a user name"),
                source.secret("DB_PASSWORD").orElse(""),
                source.required("DB_POOL_SIZE", v -> intIn(v, 1, 500), "an integer from 1 to 500"),
                source.required("REDIS_URL", Settings::redisUri, "a URL such as redis://host:6379"),
                source.secret("REDIS_PASSWORD"),
                source.optional("REDIS_USER").map(v -> source.parse("REDIS_USER", v, Settings::redisUser,
                        "a Redis ACL user name such as triad (letters, digits, '.', '_', '-')")),
                source.required("CACHE_TTL", v -> positive(Duration.parse(v)), "a positive ISO-8601 duration such as PT5M"),
                source.required("SERVER_PORT", v -> intIn(v, 0, 65535), "a port number from 0 to 65535"),
                source.required("ADMIN_PORT", v -> intIn(v, 0, 65535), "a port number from 0 to 65535"),
                source.required("SHUTDOWN_GRACE", v -> positive(Duration.parse(v)), "a positive ISO-8601 duration such as PT10S"),
                source.optional("REDIS_SENTINELS").map(v -> source.parse("REDIS_SENTINELS", v, Settings::sentinels,
                        "a comma-separated list of host:port, such as sentinel1:26379,sentinel2:26379,sentinel3:26379"))
                        .orElse(List.of()),
                source.required("REDIS_MASTER_NAME", Settings::masterName, "the master name the sentinels monitor, such as triad"),
                auth(source));
    }

    /** Redis is found through Sentinel (REDIS_SENTINELS set), and REDIS_URL's host and port are not used. */
    public boolean redisThroughSentinel() {
        return !redisSentinels.isEmpty();
    }

    private static List<String> sentinels(String value) {
        List<String> list = new ArrayList<>();
        for (String part : value.split(",")) {
            String hostPort = part.strip();
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException();
            }
            intIn(hostPort.substring(colon + 1), 1, 65535);
            list.add(hostPort);
        }
        return List.copyOf(list);
    }

    private static String redisUser(String value) {
        if (!value.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException();
        }
        return value;
    }

    private static String masterName(String value) {
        if (!value.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException();
        }
        return value;
    }

    /** This machine's (or container's, or pod's) host name: the default instance id. */
    public static String localHostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    private static String jdbcUrl(String value) {
        if (!value.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException();
        }
        return value;
    }

    private static URI redisUri(String value) {
        URI uri = URI.create(value);
        if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException();
        }
        return uri;
    }

    private static int intIn(String value, int min, int max) {
        int n = Integer.parseInt(value);
        if (n < min || n > max) {
            throw new IllegalArgumentException();
        }
        return n;
    }

    private static Duration positive(Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException();
        }
        return d;
    }

    /**
     * Bearer-token authentication (io.triad.auth): on when AUTH_ISSUER and AUTH_AUDIENCE are
     * set, which then need exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE; off when neither is
     * set, and then no other AUTH_ variable may be (a half-configured authentication must not
     * start as an open service).
     */
    private static Optional<AuthSettings> auth(Source source) {
        Optional<String> issuer = source.optional("AUTH_ISSUER");
        Optional<String> audience = source.optional("AUTH_AUDIENCE");
        Optional<String> url = source.optional("AUTH_JWKS_URL");
        Optional<String> file = source.optional("AUTH_JWKS_FILE");
        Optional<String> reads = source.optional("AUTH_READS");
        if (issuer.isEmpty() && audience.isEmpty()) {
            for (var other : Map.of("AUTH_JWKS_URL", url, "AUTH_JWKS_FILE", file, "AUTH_READS", reads).entrySet()) {
                if (other.getValue().isPresent()) {
                    throw new ConfigException(other.getKey() + " is set but AUTH_ISSUER and AUTH_AUDIENCE are not: "
                            + "set both to turn authentication on, or unset " + other.getKey());
                }
            }
            return Optional.empty();
        }
        if (issuer.isEmpty() || audience.isEmpty()) {
            String missing = issuer.isEmpty() ? "AUTH_ISSUER" : "AUTH_AUDIENCE";
            throw new ConfigException(missing + " is not set: expected " + (issuer.isEmpty()
                    ? "the issuer (iss) of the access tokens, such as https://idp.example.com/realms/triad"
                    : "the audience (aud) the access tokens name for this API, such as triad")
                    + " (" + (issuer.isEmpty() ? "AUTH_AUDIENCE" : "AUTH_ISSUER") + " is set: set both, or neither for no authentication)");
        }
        if (url.isPresent() == file.isPresent()) {
            throw new ConfigException((url.isPresent() ? "AUTH_JWKS_URL and AUTH_JWKS_FILE are both set" : "AUTH_JWKS_URL is not set")
                    + ": expected exactly one, the issuer's key set as an https:// URL (its jwks_uri) or a mounted JSON file");
        }
        Optional<java.net.URI> jwksUrl = url.map(v -> source.parse("AUTH_JWKS_URL", v, Settings::jwksUrl,
                "an https:// URL of the issuer's key set (its jwks_uri; http:// only for localhost), "
                        + "such as https://idp.example.com/realms/triad/protocol/openid-connect/certs"));
        Optional<Path> jwksFile = file.map(v -> {
            Path path = Path.of(v);
            try {
                com.nimbusds.jose.jwk.JWKSet set = com.nimbusds.jose.jwk.JWKSet.load(path.toFile());
                if (set.getKeys().stream().anyMatch(com.nimbusds.jose.jwk.JWK::isPrivate)) {
                    throw new ConfigException("AUTH_JWKS_FILE='" + v + "' holds a private key: mount the public key set only");
                }
                if (set.isEmpty()) {
                    throw new ConfigException("AUTH_JWKS_FILE='" + v + "' holds no key: expected the issuer's public keys, {\"keys\":[...]}");
                }
            } catch (IOException | java.text.ParseException e) {
                throw new ConfigException("AUTH_JWKS_FILE='" + v + "' cannot be read as a JWK set ("
                        + e.getClass().getSimpleName() + "): expected a readable JSON file {\"keys\":[...]}");
            }
            return path;
        });
        boolean tokenForReads = source.parse("AUTH_READS", reads.orElse("public"), v -> switch (v) {
            case "public" -> false;
            case "token" -> true;
            default -> throw new IllegalArgumentException();
        }, "public (item reads need no token, the default) or token");
        return Optional.of(new AuthSettings(issuer.get(), audience.get(), jwksUrl, jwksFile, tokenForReads));
    }

    private static java.net.URI jwksUrl(String value) {
        java.net.URI uri = java.net.URI.create(value);
        String host = uri.getHost();
        boolean local = "localhost".equals(host) || "127.0.0.1".equals(host) || "[::1]".equals(host);
        if (uri.getHost() == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()) && local)) {
            throw new IllegalArgumentException();
        }
        return uri;
    }

    /** Where a value comes from: the environment first, then application.yaml. */
    private record Source(Config defaults, Map<String, String> env) {

        Optional<String> optional(String name) {
            String fromEnv = env.get(name);
            if (fromEnv != null && !fromEnv.isBlank()) {
                return Optional.of(fromEnv.strip());
            }
            return defaults.get(name.toLowerCase(java.util.Locale.ROOT)).asString().asOptional()
                    .filter(v -> !v.isBlank());
        }

        <T> T required(String name, Function<String, T> parse, String expected) {
            String raw = optional(name).orElseThrow(
                    () -> new ConfigException(name + " is not set: expected " + expected));
            return parse(name, raw, parse, expected);
        }

        <T> T parse(String name, String raw, Function<String, T> parse, String expected) {
            try {
                return parse.apply(raw);
            } catch (RuntimeException e) {
                if (e instanceof DateTimeParseException || e instanceof IllegalArgumentException) {
                    throw new ConfigException(name + "='" + raw + "' is invalid: expected " + expected);
                }
                throw e;
            }
        }

        /** NAME, or the content of the file NAME_FILE names (Docker and Kubernetes secrets). */
        Optional<String> secret(String name) {
            Optional<String> file = optional(name + "_FILE");
            if (file.isPresent()) {
                try {
                    return Optional.of(Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).strip());
                } catch (IOException | RuntimeException e) {
                    throw new ConfigException(name + "_FILE='" + file.get() + "' cannot be read ("
                            + e.getClass().getSimpleName() + "): expected a readable file holding the secret");
                }
            }
            return optional(name);
        }
    }
}
