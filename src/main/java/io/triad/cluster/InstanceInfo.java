package io.triad.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.Properties;

/** Who this instance is: its id, host, build version and start time. */
public record InstanceInfo(String instance, String hostname, String version, Instant startedAt) {

    public static InstanceInfo current(String instanceId) {
        return new InstanceInfo(instanceId, localHostname(), buildVersion(), Instant.now());
    }

    private static String localHostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
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
