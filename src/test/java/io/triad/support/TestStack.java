package io.triad.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import io.helidon.config.Config;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.triad.config.Settings;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * One real PostgreSQL (roles from db/roles.sh, loaded the way Compose loads it, and the schema
 * from db/migration, applied by io.triad.migrate as the migrate service does) and one real Redis
 * (compose/redis.sh: the service connects as its ACL user triad) for the whole test run. The service connects as the role
 * triad, which has DML on its tables only; {@link #jdbc()} is the superuser, for tests that lock
 * tables or look behind the service's back. Their host ports are fixed when created, so a fault test can
 * stop and start a container and the service finds it again on the same address.
 */
public final class TestStack {
    public static final String SERVICE_ROLE = "triad";
    public static final String OWNER_ROLE = "triad_owner";
    public static final String SUPERUSER = "postgres";

    private static TestStack instance;

    /** The service's role triad (DB_USER), as compose/compose.yaml's db_password secret. */
    private final String dbPassword = UUID.randomUUID().toString();
    private final String ownerPassword = UUID.randomUUID().toString();
    private final String superuserPassword = UUID.randomUUID().toString();
    /** The PostgreSQL exporter's role triad_monitor, as compose/compose.yaml's db_monitor_password. */
    private final String monitorPassword = UUID.randomUUID().toString().replace("-", "");
    /** The Redis users of compose/redis.sh: the service's (triad), the exporter's, the operator's. */
    private final String redisPassword = UUID.randomUUID().toString().replace("-", "");
    private final String redisMonitorPassword = UUID.randomUUID().toString().replace("-", "");
    private final String redisAdminPassword = UUID.randomUUID().toString().replace("-", "");
    private final int postgresPort = freePort();
    private final int redisPort = freePort();
    private final PostgreSQLContainer<?> postgres;
    private final GenericContainer<?> redis;

    @SuppressWarnings("resource")
    private TestStack() {
        DockerImageName pgImage = DockerImageName.parse(ProjectFiles.composeImage("postgres"))
                .asCompatibleSubstituteFor("postgres");
        // The same superuser, secret files, initdb arguments and init scripts (names, hence
        // order) as the postgres service of compose/compose.yaml.
        postgres = new PostgreSQLContainer<>(pgImage)
                .withDatabaseName("triad")
                .withUsername(SUPERUSER)
                .withPassword(superuserPassword)
                .withEnv("POSTGRES_INITDB_ARGS", "--auth-local=peer --auth-host=scram-sha-256")
                .withEnv("TRIAD_APP_PASSWORD_FILE", "/run/secrets/db_password")
                .withEnv("TRIAD_OWNER_PASSWORD_FILE", "/run/secrets/db_owner_password")
                .withEnv("TRIAD_MONITOR_PASSWORD_FILE", "/run/secrets/db_monitor_password")
                .withCopyToContainer(Transferable.of(dbPassword, 0444), "/run/secrets/db_password")
                .withCopyToContainer(Transferable.of(ownerPassword, 0444), "/run/secrets/db_owner_password")
                .withCopyToContainer(Transferable.of(monitorPassword, 0444), "/run/secrets/db_monitor_password")
                .withCopyFileToContainer(MountableFile.forHostPath(ProjectFiles.ROOT.resolve("db/roles.sh")),
                        "/docker-entrypoint-initdb.d/10-roles.sh")
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", postgresPort), ExposedPort.tcp(5432))))
                .withStartupTimeout(Duration.ofMinutes(2));
        redis = redisContainer(redisPort, redisPassword, redisMonitorPassword, redisAdminPassword)
                // DEBUG SLEEP (from inside the container) is one of the faults the cache is
                // tested against; compose/redis.sh refuses DEBUG unless told otherwise.
                .withCommand("--enable-debug-command", "local")
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*", 1))
                .withStartupTimeout(Duration.ofMinutes(1));
        postgres.start();
        redis.start();
        // The schema, as Compose's migrate service and the Kubernetes Job apply it.
        if (io.triad.migrate.Migrate.main(migrateEnv("triad")) != 0) {
            throw new IllegalStateException("the migrations in db/migration failed: see the output above");
        }
    }

    /**
     * A Redis as compose/redis.sh starts it (the same script, secret files, user and ACL users),
     * on 127.0.0.1:port; the caller adds redis-server options (withCommand).
     */
    @SuppressWarnings("resource")
    public static GenericContainer<?> redisContainer(int port, String service, String monitor, String admin) {
        return new GenericContainer<>(DockerImageName.parse(ProjectFiles.composeImage("redis")))
                .withCopyFileToContainer(MountableFile.forHostPath(ProjectFiles.ROOT.resolve("compose/redis.sh"), 0555),
                        "/usr/local/bin/triad-redis.sh")
                .withCopyToContainer(Transferable.of(service, 0444), "/run/secrets/redis_password")
                .withCopyToContainer(Transferable.of(monitor, 0444), "/run/secrets/redis_monitor_password")
                .withCopyToContainer(Transferable.of(admin, 0444), "/run/secrets/redis_admin_password")
                .withExposedPorts(6379)
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withEntrypoint("/usr/local/bin/triad-redis.sh").withUser("redis");
                    cmd.getHostConfig().withPortBindings(
                            new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", port), ExposedPort.tcp(6379)));
                })
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*", 1))
                .withStartupTimeout(Duration.ofMinutes(1));
    }

    /** The PostgreSQL exporter's role and password (db/roles.sh, TRIAD_MONITOR_PASSWORD_FILE). */
    public Connection jdbcAsMonitor() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), "triad_monitor", monitorPassword);
    }

    /** The environment of the migrate service for a database of this PostgreSQL, as the schema owner. */
    public Map<String, String> migrateEnv(String database) {
        Map<String, String> env = new HashMap<>();
        env.put("DB_URL", jdbcUrl(database));
        env.put("DB_USER", OWNER_ROLE);
        env.put("DB_PASSWORD", ownerPassword);
        return env;
    }

    /** The service's password (role triad), for a test that connects as the service elsewhere. */
    public String servicePassword() {
        return dbPassword;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + postgresPort + "/" + database;
    }

    public static synchronized TestStack get() {
        if (instance == null) {
            instance = new TestStack();
        }
        return instance;
    }

    /** The service's environment for this stack, as an operator would set it. */
    public Map<String, String> env(String instanceId) {
        Map<String, String> env = new HashMap<>();
        env.put("INSTANCE_ID", instanceId);
        env.put("DB_URL", "jdbc:postgresql://127.0.0.1:" + postgresPort + "/triad");
        env.put("DB_USER", SERVICE_ROLE);
        env.put("DB_PASSWORD", dbPassword);
        env.put("REDIS_URL", "redis://127.0.0.1:" + redisPort);
        env.put("REDIS_USER", "triad");
        env.put("REDIS_PASSWORD", redisPassword);
        env.put("SERVER_PORT", "0");
        env.put("ADMIN_PORT", "0");
        env.put("CACHE_TTL", "PT5M");
        env.put("SHUTDOWN_GRACE", "PT10S");
        return env;
    }

    public Settings settings(String instanceId) {
        return Settings.load(Config.create(), env(instanceId));
    }

    /** A superuser connection (not the service's role): for LOCK TABLE, clean-ups and checks. */
    public Connection jdbc() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), SUPERUSER, superuserPassword);
    }

    /** A superuser connection to another database of this PostgreSQL. */
    public Connection jdbc(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), SUPERUSER, superuserPassword);
    }

    /** A connection as the service's own role, with the service's privileges. */
    public Connection jdbcAsService() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), SERVICE_ROLE, dbPassword);
    }

    /** A connection as the schema owner, which migrations run as. */
    public Connection jdbcAsOwner() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), OWNER_ROLE, ownerPassword);
    }

    private String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgresPort + "/triad";
    }

    /** redis-cli inside the Redis container as the operator's user triad-admin (every command). */
    public String redisCli(String... args) {
        try {
            String[] command = new String[args.length + 4];
            command[0] = "sh";
            command[1] = "-c";
            command[2] = "REDISCLI_AUTH=\"$(cat /run/secrets/redis_admin_password)\" exec redis-cli --user triad-admin \"$@\"";
            command[3] = "redis-cli";
            System.arraycopy(args, 0, command, 4, args.length);
            return redis.execInContainer(command).getStdout().strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A shell command inside the Redis container (its data lives in /data). */
    public String redisShell(String command) {
        return exec(redis, "sh", "-c", command);
    }

    /**
     * Redis stops without saving and comes back with the RDB file at rdbPath as its data: an
     * operator restoring an older backup, or a crash that loses what the last save did not hold.
     */
    public void restartRedisWith(String rdbPath) {
        exec(redis, "sh", "-c", "cp " + rdbPath + " /data/dump.rdb && REDISCLI_AUTH=\"$(cat /run/secrets/redis_admin_password)\" "
                + "redis-cli --user triad-admin SHUTDOWN NOSAVE || true");
        Await.until(Duration.ofSeconds(10), "redis stopped",
                () -> !Boolean.TRUE.equals(docker().inspectContainerCmd(redis.getContainerId()).exec().getState().getRunning()));
        startRedis();
        Await.until(Duration.ofSeconds(10), "redis answers", () -> "PONG".equals(redisCli("PING")));
    }

    private static String exec(GenericContainer<?> container, String... command) {
        try {
            return container.execInContainer(command).getStdout().strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public void stopPostgres() {
        docker().stopContainerCmd(postgres.getContainerId()).withTimeout(10).exec();
    }

    public void startPostgres() {
        docker().startContainerCmd(postgres.getContainerId()).exec();
    }

    /** A frozen PostgreSQL: the process stops, its TCP connections stay open and unanswered. */
    public void pausePostgres() {
        docker().pauseContainerCmd(postgres.getContainerId()).exec();
    }

    public void unpausePostgres() {
        docker().unpauseContainerCmd(postgres.getContainerId()).exec();
    }

    public void stopRedis() {
        docker().stopContainerCmd(redis.getContainerId()).withTimeout(10).exec();
    }

    public void startRedis() {
        docker().startContainerCmd(redis.getContainerId()).exec();
    }

    private static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
