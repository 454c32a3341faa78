package io.triad.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import io.triad.support.Await;
import io.triad.support.TestStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisDataException;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Redis as compose/redis.sh starts it with compose/compose.yaml's options (issue 22, point 6):
 * each client logs in as its own ACL user and can do only what it needs. (The rest of the test
 * suite runs the service against the same script as the user triad, so every command the
 * service sends is shown to be granted.)
 */
class RedisAclTest {
    private static final String SERVICE = pw();
    private static final String MONITOR = pw();
    private static final String ADMIN = pw();
    private static final int PORT = TestStack.freePort();
    private static GenericContainer<?> redis;

    private static String pw() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    @BeforeAll
    static void start() {
        // compose/compose.yaml's redis options: no --enable-debug-command, so the script's `no` holds.
        redis = TestStack.redisContainer(PORT, SERVICE, MONITOR, ADMIN)
                .withCommand("--appendonly", "yes", "--maxmemory", "128mb", "--maxmemory-policy", "volatile-lru");
        redis.start();
    }

    @AfterAll
    static void stop() {
        redis.stop();
    }

    private static Jedis as(String user, String password) {
        Jedis jedis = new Jedis(new HostAndPort("127.0.0.1", PORT), DefaultJedisClientConfig.builder()
                .user(user).password(password).serverDefaultProtocol().build());
        jedis.ping();
        return jedis;
    }

    /** Sends a command as is and returns the error Redis answers (fails if it answers anything else). */
    private static String refused(Jedis jedis, String command, String... args) {
        JedisDataException e = assertThrows(JedisDataException.class,
                () -> jedis.sendCommand(raw(command), args), command + " was accepted");
        return e.getMessage();
    }

    private static ProtocolCommand raw(String command) {
        byte[] name = command.getBytes(StandardCharsets.US_ASCII);
        return () -> name;
    }

    @Test
    void theServiceUsesItsOwnKeysAndCommandsOnly() {
        try (Jedis triad = as("triad", SERVICE)) {
            assertThat(triad.set("triad:item:acl-test", "1"), is("OK"));
            assertThat(triad.get("triad:item:acl-test"), is("1"));
            assertThat(refused(triad, "SET", "other:key", "1"), startsWith("NOPERM"));
            assertThat(refused(triad, "GET", "session:42"), startsWith("NOPERM"));
            assertThat(refused(triad, "FLUSHALL"), startsWith("NOPERM"));
            assertThat(refused(triad, "FLUSHDB"), startsWith("NOPERM"));
            assertThat(refused(triad, "CONFIG", "SET", "maxmemory", "1"), startsWith("NOPERM"));
            assertThat(refused(triad, "KEYS", "*"), startsWith("NOPERM"));
            assertThat(refused(triad, "SHUTDOWN", "NOSAVE"), startsWith("NOPERM"));
            assertThat(refused(triad, "ACL", "SETUSER", "triad", "+@all"), startsWith("NOPERM"));
            assertThat(refused(triad, "DEBUG", "SLEEP", "0"), containsString("DEBUG"));
            // A script runs with the caller's rights: no way around the key patterns.
            assertThat(refused(triad, "EVAL", "return redis.call('SET', KEYS[1], '1')", "1", "other:key"),
                    containsString("No permissions to access a key"));
            triad.del("triad:item:acl-test");
        }
    }

    @Test
    void theExporterReadsStatisticsAndWritesNothing() {
        try (Jedis monitor = as("triad-monitor", MONITOR)) {
            assertThat(monitor.info("server"), containsString("redis_version:"));
            assertThat(monitor.configGet("maxmemory").get("maxmemory"), is(String.valueOf(128L * 1024 * 1024)));
            assertThat(refused(monitor, "SET", "triad:item:1", "x"), startsWith("NOPERM"));
            assertThat(refused(monitor, "GET", "triad:requests:total"), startsWith("NOPERM"));
            assertThat(refused(monitor, "DEL", "triad:heartbeats"), startsWith("NOPERM"));
            assertThat(refused(monitor, "CONFIG", "SET", "maxmemory", "1"), startsWith("NOPERM"));
            assertThat(refused(monitor, "FLUSHALL"), startsWith("NOPERM"));
        }
    }

    @Test
    void theDefaultUserLogsInNobody() {
        // The old shared password (requirepass), given without a user name, as before issue 22.
        for (String password : List.of(SERVICE, ADMIN)) {
            JedisAccessControlException e = assertThrows(JedisAccessControlException.class,
                    () -> new Jedis(new HostAndPort("127.0.0.1", PORT),
                            DefaultJedisClientConfig.builder().password(password).build()).ping());
            assertThat(e.getMessage(), startsWith("WRONGPASS"));
        }
        try (Jedis anonymous = new Jedis("127.0.0.1", PORT)) {
            assertThat(refused(anonymous, "PING"), startsWith("NOAUTH"));
        }
    }

    /**
     * Redis 8.0 replays the AOF as the default user and re-checks the ACL inside MULTI/EXEC
     * (redis/redis#14541): with the default user restricted, a transaction (or a script with
     * several writes) acknowledged before a restart was gone after it.
     */
    @Test
    void transactionsSurviveARestart() {
        try (Jedis admin = as("triad-admin", ADMIN)) {
            var multi = admin.multi();
            multi.set("triad:acl-test:tx1", "1");
            multi.set("triad:acl-test:tx2", "2");
            multi.exec();
        }
        try (Jedis triad = as("triad", SERVICE)) {
            triad.eval("redis.call('SET', KEYS[1], '3'); redis.call('SET', KEYS[2], '4'); return 1", 2,
                    "triad:acl-test:script1", "triad:acl-test:script2");
        }
        // A graceful restart: Redis writes the AOF to disk on SIGTERM and replays it at start.
        DockerClientFactory.instance().client().restartContainerCmd(redis.getContainerId()).withTimeout(10).exec();
        Await.until(Duration.ofSeconds(20), "redis answers after the restart", () -> {
            try (Jedis admin = as("triad-admin", ADMIN)) {
                return "PONG".equals(admin.ping());
            } catch (RuntimeException e) {
                return false;
            }
        });
        try (Jedis admin = as("triad-admin", ADMIN)) {
            assertThat(admin.mget("triad:acl-test:tx1", "triad:acl-test:tx2", "triad:acl-test:script1", "triad:acl-test:script2"),
                    is(List.of("1", "2", "3", "4")));
        }
    }

    @Test
    void debugIsRefusedEvenToTheOperatorAndFromInsideTheContainer() throws Exception {
        try (Jedis admin = as("triad-admin", ADMIN)) {
            assertThat(refused(admin, "DEBUG", "SLEEP", "0"), containsString("DEBUG command not allowed"));
            assertThat(admin.configGet("enable-debug-command").get("enable-debug-command"), is("no"));
        }
        var local = redis.execInContainer("sh", "-c",
                "REDISCLI_AUTH=\"$(cat /run/secrets/redis_admin_password)\" redis-cli --user triad-admin DEBUG SLEEP 0");
        assertThat(local.getStdout(), containsString("DEBUG command not allowed"));
    }
}
