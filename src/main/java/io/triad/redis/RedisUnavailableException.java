package io.triad.redis;

/** Redis did not answer; callers degrade (cache BYPASS, paused heartbeats) instead of failing. */
public final class RedisUnavailableException extends RuntimeException {
    public RedisUnavailableException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
