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
 * from db/migration, applied by io.triad.migrate as the migrate service does) and one real Redis for the whole test run. The service connects as the role
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
                .withCopyToContainer(Transferable.of(dbPassword, 0444), "/run/secrets/db_password")
                .withCopyToContainer(Transferable.of(ownerPassword, 0444), "/run/secrets/db_owner_password")
                .withCopyFileToContainer(MountableFile.forHostPath(ProjectFiles.ROOT.resolve("db/roles.sh")),
                        "/docker-entrypoint-initdb.d/10-roles.sh")
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", postgresPort), ExposedPort.tcp(5432))))
                .withStartupTimeout(Duration.ofMinutes(2));
        redis = new GenericContainer<>(DockerImageName.parse(ProjectFiles.composeImage("redis")))
                // DEBUG SLEEP is one of the faults the cache is tested against.
                .withCommand("redis-server", "--enable-debug-command", "yes")
                .withExposedPorts(6379)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", redisPort), ExposedPort.tcp(6379))))
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*", 1))
                .withStartupTimeout(Duration.ofMinutes(1));
        postgres.start();
        redis.start();
        // The schema, as Compose's migrate service and the Kubernetes Job apply it.
        if (io.triad.migrate.Migrate.main(migrateEnv("triad")) != 0) {
            throw new IllegalStateException("the migrations in db/migration failed: see the output above");
        }
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

    public String redisCli(String... args) {
        try {
            String[] command = new String[args.length + 1];
            command[0] = "redis-cli";
            System.arraycopy(args, 0, command, 1, args.length);
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
        exec(redis, "sh", "-c", "cp " + rdbPath + " /data/dump.rdb && redis-cli SHUTDOWN NOSAVE || true");
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
