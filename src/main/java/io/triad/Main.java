package io.triad;

import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;

import io.triad.config.ConfigException;
import io.triad.config.Settings;
import io.triad.tracing.Tracing;
import sun.misc.Signal;

/** Starts one triad instance; SIGTERM or SIGINT drains it and exits 0. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        // The same image runs the one-shot schema migration (Compose service and Kubernetes Job).
        if (args.length > 0 && "migrate".equals(args[0])) {
            System.exit(io.triad.migrate.Migrate.main(System.getenv()));
            return;
        }
        Settings settings;
        try {
            settings = Settings.load(Config.create(), System.getenv());
        } catch (ConfigException e) {
            System.err.println("triad: configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        // Before the pool and the Redis client are built: they look for it to add their spans.
        Tracing.install(Tracing.fromEnvironment(System.getenv(), settings.instanceId()));
        Triad triad = Triad.create(settings);
        WebServer server = triad.start();
        AtomicBoolean stopping = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopping.compareAndSet(false, true)) {
                triad.drainAndStop(server);
                Tracing.installed().close();
            }
        };
        // A signal handler instead of only a shutdown hook: the JVM would otherwise exit 143
        // on SIGTERM, and orchestrators read a non-zero exit as a crash. The stop runs on a
        // non-daemon thread: signal handler threads are daemons, and the JVM would exit as soon
        // as the server's threads ended (a thread inherits daemon status, hence daemon(false)), cutting the pool and Redis shutdown short.
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> Thread.ofPlatform().name("triad-stop").daemon(false).start(() -> {
                int status = 0;
                try {
                    stop.run();
                } catch (RuntimeException e) {
                    System.getLogger(Main.class.getName()).log(System.Logger.Level.ERROR, "unclean stop", e);
                    status = 1;
                }
                System.exit(status);
            }));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "triad-shutdown"));
    }
}
