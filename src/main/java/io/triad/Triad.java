package io.triad;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.helidon.health.checks.HealthChecks;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import io.triad.auth.AuthFilter;
import io.triad.auth.AuthSettings;
import io.triad.auth.TokenVerifier;
import io.triad.cluster.Cluster;
import io.triad.cluster.ClusterService;
import io.triad.cluster.InstanceInfo;
import io.triad.config.Settings;
import io.triad.dashboard.DashboardService;
import io.triad.db.Database;
import io.triad.health.DatabaseReadiness;
import io.triad.health.Draining;
import io.triad.health.SchemaStartup;
import io.triad.http.ErrorHandling;
import io.triad.http.PublicRequestFilter;
import io.triad.http.RequestMetrics;
import io.triad.items.CacheFence;
import io.triad.items.ItemCache;
import io.triad.items.ItemRepository;
import io.triad.items.ItemService;
import io.triad.redis.Redis;

/**
 * The application: its resources (pool, Redis client, background heartbeat), its two sockets
 * and its orderly stop. Main runs it; tests build their servers from the same pieces.
 */
public final class Triad implements AutoCloseable {
    public static final String ADMIN_SOCKET = "admin";
    /** How long a draining instance keeps answering (with Connection: close) before it stops listening. */
    static final Duration DRAIN_WINDOW = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger(Triad.class.getName());

    private final Settings settings;
    private final Database database;
    private final Redis redis;
    private final Cluster cluster;
    private final Draining draining = new Draining();
    private final ItemRepository items;
    private final ItemCache cache;
    private final RequestMetrics requestMetrics;
    /** Built once: its key cache is shared by every request (and by a routing built twice). */
    private final Optional<AuthFilter> auth;
    private final ScheduledExecutorService background;
    /** Its own thread: a heartbeat stalled on Redis must not let the fence's lease run out. */
    private final ScheduledExecutorService fenceReader;
    private volatile WebServer server;

    private Triad(Settings settings) {
        this.settings = settings;
        MeterRegistry registry = Metrics.globalRegistry();
        this.database = Database.open(settings);
        this.database.registerMetrics(registry);
        this.redis = Redis.connect(settings);
        this.cluster = new Cluster(InstanceInfo.current(settings.instanceId()), redis);
        this.items = new ItemRepository(database.client());
        CacheFence fence = new CacheFence(database, redis);
        // Before the first request, so an instance that starts into a clean cache uses it at once.
        fence.poll();
        this.cache = new ItemCache(redis, fence, settings.cacheTtl(), registry);
        this.requestMetrics = new RequestMetrics(registry);
        this.auth = settings.auth().map(a -> new AuthFilter(a, new TokenVerifier(a), registry));
        registerClusterMetrics(registry);
        io.triad.metrics.JvmMetrics.register(registry);
        this.background = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("triad-heartbeat").daemon(true).factory());
        background.scheduleWithFixedDelay(cluster::heartbeat, 0, 1, TimeUnit.SECONDS);
        background.scheduleWithFixedDelay(this::deleteExpiredKeys, 1, 60, TimeUnit.MINUTES);
        this.fenceReader = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("triad-cache-fence").daemon(true).factory());
        fenceReader.scheduleWithFixedDelay(fence::poll, CacheFence.POLL_EVERY.toMillis(),
                CacheFence.POLL_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    public static Triad create(Settings settings) {
        return new Triad(settings);
    }

    /**
     * Both sockets, the observe feature on the admin socket only, and the public routing. On
     * both, the requests Helidon refuses before routing are answered as problem+json too.
     */
    public void configure(WebServerConfig.Builder server) {
        server.port(settings.serverPort())
                .shutdownHook(false)
                .featuresDiscoverServices(false)
                .shutdownGracePeriod(inFlightGrace())
                .directHandlers(io.triad.http.RefusedRequests.publicSocket(settings.instanceId(), cluster::countRequest, requestMetrics))
                .putSocket(ADMIN_SOCKET, admin -> admin
                        .host(server.host())
                        .port(settings.adminPort())
                        .shutdownGracePeriod(inFlightGrace())
                        .directHandlers(io.triad.http.RefusedRequests.adminSocket(settings.instanceId())))
                .addFeature(observe())
                .routing(this::routing);
    }

    /** The drain window, but never more than half of SHUTDOWN_GRACE. */
    private Duration drainWindow() {
        Duration half = settings.shutdownGrace().dividedBy(2);
        return half.compareTo(DRAIN_WINDOW) < 0 ? half : DRAIN_WINDOW;
    }

    /** What is left of SHUTDOWN_GRACE for in-flight requests once the drain window has passed. */
    private Duration inFlightGrace() {
        return settings.shutdownGrace().minus(drainWindow());
    }

    ObserveFeature observe() {
        return ObserveFeature.builder()
                .endpoint("/")
                .sockets(List.of(ADMIN_SOCKET))
                .observersDiscoverServices(false)
                .addObserver(HealthObserver.builder()
                        .details(true)
                        .useSystemServices(false)
                        .addCheck(HealthChecks.deadlockCheck())
                        .addCheck(HealthChecks.heapMemoryCheck())
                        .addCheck(new DatabaseReadiness(database, draining))
                        .addCheck(new SchemaStartup(database))
                        .build())
                .addObserver(MetricsObserver.create())
                .build();
    }

    public void routing(HttpRouting.Builder routing) {
        routing.addFilter(new PublicRequestFilter(settings.instanceId(), draining::isDraining,
                        cluster::countRequest, requestMetrics));
        // After the public filter: a refusal has its request id, instance header and metrics.
        auth.ifPresent(routing::addFilter);
        routing.register("/api/items", new ItemService(items, cache))
                .register("/api/stats", new io.triad.metrics.StatsService(cluster, requestMetrics,
                        Metrics.globalRegistry(), io.triad.metrics.StatsService.prometheusFrom(System.getenv())))
                .register("/api", new ClusterService(cluster))
                .register("/openapi", new io.triad.openapi.OpenApiService())
                .register("/", new DashboardService())
                .any(ErrorHandling::notFound);
        ErrorHandling.register(routing);
    }

    public WebServer start() {
        WebServerConfig.Builder builder = WebServer.builder();
        configure(builder);
        server = builder.build().start();
        LOG.log(System.Logger.Level.INFO, "triad " + cluster.self().version() + " instance " + settings.instanceId()
                + " serving on :" + server.port() + ", admin on :" + server.port(ADMIN_SOCKET));
        LOG.log(System.Logger.Level.INFO, settings.auth()
                .map(a -> "authentication on: item writes need a bearer token with scope " + AuthSettings.WRITE_SCOPE
                        + " from issuer " + a.issuer() + " for audience " + a.audience() + ", keys from "
                        + a.jwksUrl().map(Object::toString).orElseGet(() -> a.jwksFile().orElseThrow().toString())
                        + (a.tokenForReads() ? "; item reads need a token too" : "; item reads are public"))
                .orElse("authentication off: anyone who reaches this port can create, change and delete items "
                        + "(set AUTH_ISSUER and AUTH_AUDIENCE to require bearer tokens)"));
        return server;
    }

    /**
     * SIGTERM: readiness DOWN at once; keep answering for the drain window (with Connection:
     * close) so the proxy and Kubernetes stop sending; then stop listening, let in-flight
     * requests finish within the grace period, and close the pool and the Redis client.
     */
    public void drainAndStop(WebServer server) {
        long start = System.nanoTime();
        draining.start();
        LOG.log(System.Logger.Level.INFO, "draining: readiness DOWN, stopping in " + drainWindow().toMillis() + " ms");
        try {
            Thread.sleep(drainWindow());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (server != null) {
            server.stop();
        }
        close();
        LOG.log(System.Logger.Level.INFO, "stopped in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    /** Heartbeat health: plotted per instance, and a cache bypass has its cause beside it. */
    private void registerClusterMetrics(MeterRegistry registry) {
        registry.getOrCreate(io.helidon.metrics.api.Gauge.builder("triad.heartbeat.last.success.timestamp.seconds",
                        cluster, c -> c.lastHeartbeatMillis() / 1000.0)
                .description("Unix time of the last heartbeat Redis accepted (0: none yet)"));
        registry.getOrCreate(io.helidon.metrics.api.FunctionalCounter.builder("triad.heartbeat.failures",
                        cluster, Cluster::heartbeatFailures)
                .description("Heartbeats that could not reach Redis"));
    }

    private void deleteExpiredKeys() {
        try {
            long n = items.deleteExpiredKeys();
            if (n > 0) {
                LOG.log(System.Logger.Level.INFO, "removed " + n + " idempotency keys older than 24 h");
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "idempotency key cleanup skipped: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        background.shutdownNow();
        fenceReader.shutdownNow();
        cluster.leave();
        database.close();
        redis.close();
    }
}
