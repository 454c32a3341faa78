package io.triad.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition a user would wait for, polling; fails with what was awaited. */
public final class Await {
    private Await() {
    }

    /** Returns how long it took; fails if the condition does not hold within the limit. */
    public static Duration until(Duration limit, String what, BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        while (true) {
            boolean holds;
            try {
                holds = condition.getAsBoolean();
            } catch (RuntimeException e) {
                holds = false;
            }
            if (holds) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit + ": " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }
}
