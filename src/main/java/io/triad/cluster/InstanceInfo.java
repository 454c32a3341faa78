package io.triad.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Properties;

import io.triad.config.Settings;

/** Who this instance is: its id, host, build version and start time. */
public record InstanceInfo(String instance, String hostname, String version, Instant startedAt) {

    public static InstanceInfo current(String instanceId) {
        return new InstanceInfo(instanceId, Settings.localHostname(), buildVersion(), Instant.now());
    }

    /** From build-info.properties, which Maven fills from the pom's version. */
    static String buildVersion() {
        try (InputStream in = InstanceInfo.class.getResourceAsStream("/build-info.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
