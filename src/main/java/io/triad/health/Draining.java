package io.triad.health;

import java.util.concurrent.atomic.AtomicBoolean;

/** Set once on SIGTERM: readiness goes DOWN and responses ask the proxy to close connections. */
public final class Draining {
    private final AtomicBoolean draining = new AtomicBoolean();

    public boolean isDraining() {
        return draining.get();
    }

    public void start() {
        draining.set(true);
    }
}
