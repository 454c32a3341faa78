package io.triad.metrics;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

import com.sun.management.GarbageCollectionNotificationInfo;

/**
 * JVM memory, threads and garbage collection under the names Prometheus' conventions ask for
 * (snake_case, base units, {@code _total} only on counters), in place of Helidon's system
 * meters (memory_usedHeap_bytes, thread_count, ...), which `promtool check metrics` rejects.
 * Collections and their pauses come from the collectors' notifications: one Timer per
 * collector, so the pause time is in seconds with a count, not a rounded counter.
 */
public final class JvmMetrics {
    private static final Duration[] PAUSE_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(10),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    private JvmMetrics() {
    }

    public static void register(MeterRegistry registry) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        memoryGauges(registry, "heap", memory, MemoryMXBean::getHeapMemoryUsage);
        memoryGauges(registry, "nonheap", memory, MemoryMXBean::getNonHeapMemoryUsage);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        registry.getOrCreate(Gauge.builder("jvm.threads.live", threads, ThreadMXBean::getThreadCount)
                .description("Live platform threads, daemon or not"));
        registry.getOrCreate(Gauge.builder("jvm.threads.peak", threads, ThreadMXBean::getPeakThreadCount)
                .description("Most live platform threads since the JVM started"));
        registry.getOrCreate(Gauge.builder("jvm.classes.loaded", ManagementFactory.getClassLoadingMXBean(),
                        c -> c.getLoadedClassCount())
                .description("Classes currently loaded"));
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            Timer pauses = registry.getOrCreate(Timer.builder("jvm.gc.pause")
                    .description("Time the collector ran (a pause for stop-the-world collectors), per collection")
                    .tags(List.of(Tag.create("gc", gc.getName())))
                    .publishPercentileHistogram(false)
                    .percentiles(new double[0])
                    .buckets(PAUSE_BUCKETS));
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener((notification, handback) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                        var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                        pauses.record(info.getGcInfo().getDuration(), TimeUnit.MILLISECONDS);
                    }
                }, null, null);
            }
        }
    }

    private static void memoryGauges(MeterRegistry registry, String area, MemoryMXBean memory,
                                     Function<MemoryMXBean, MemoryUsage> usage) {
        List<Tag> tags = List.of(Tag.create("area", area));
        registry.getOrCreate(Gauge.builder("jvm.memory.used.bytes", memory, m -> usage.apply(m).getUsed())
                .description("Memory in use").tags(tags));
        registry.getOrCreate(Gauge.builder("jvm.memory.committed.bytes", memory, m -> usage.apply(m).getCommitted())
                .description("Memory the JVM holds from the operating system").tags(tags));
        registry.getOrCreate(Gauge.builder("jvm.memory.max.bytes", memory, m -> usage.apply(m).getMax())
                .description("The most memory the JVM may use (-1: no bound)").tags(tags));
    }
}
