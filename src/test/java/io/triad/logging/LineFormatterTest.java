package io.triad.logging;

import java.util.logging.Level;
import java.util.logging.LogRecord;

import io.helidon.logging.common.HelidonMdc;

import io.triad.http.PublicRequestFilter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;

/** Every log line of a request names its request id and, beside it, its trace id. */
class LineFormatterTest {
    private final AsyncConsoleHandler.LineFormatter formatter = new AsyncConsoleHandler.LineFormatter();

    @AfterEach
    void clear() {
        HelidonMdc.remove(PublicRequestFilter.MDC_REQUEST_ID);
        HelidonMdc.remove(PublicRequestFilter.MDC_TRACE_ID);
    }

    @Test
    void theTraceIdStandsBesideTheRequestId() {
        HelidonMdc.set(PublicRequestFilter.MDC_REQUEST_ID, "req-1");
        HelidonMdc.set(PublicRequestFilter.MDC_TRACE_ID, "4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(formatter.format(record()), containsString(" [req-1 trace=4bf92f3577b34da6a3ce929d0e0e4736] GET /x 200"));
    }

    @Test
    void outsideARequestThereIsNoTrace() {
        assertThat(formatter.format(record()), not(containsString("trace=")));
    }

    private static LogRecord record() {
        LogRecord r = new LogRecord(Level.INFO, "GET /x 200");
        r.setLoggerName("io.triad.access");
        return r;
    }
}
