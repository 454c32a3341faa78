package io.triad.support;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;

import io.triad.Triad;

/**
 * The application as a @ServerTest runs it: the real Triad wiring against the shared
 * {@link TestStack}. A test class calls {@link #configure} from its @SetUpServer method and
 * {@link #close} from @AfterAll.
 */
public final class RunningTriad {
    private static Triad triad;

    private RunningTriad() {
    }

    public static synchronized void configure(WebServerConfig.Builder server, String instanceId) {
        triad = Triad.create(TestStack.get().settings(instanceId));
        triad.configure(server);
    }

    public static Api publicApi(WebServer server) {
        return new Api(server.port());
    }

    public static Api adminApi(WebServer server) {
        return new Api(server.port(Triad.ADMIN_SOCKET));
    }

    public static synchronized void close() {
        if (triad != null) {
            triad.close();
            triad = null;
        }
    }
}
