package io.triad.logging;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.LongAdder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.ErrorManager;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import io.helidon.logging.common.HelidonMdc;

import io.triad.http.PublicRequestFilter;

/**
 * Console logging that never blocks a request's virtual thread inside a monitor.
 * JUL's console handlers write to stdout inside synchronized methods; on JDK 21 a virtual
 * thread that blocks there (a full pipe to the container runtime) pins its carrier, and with
 * one access line per request that happened under load (seen with -Djdk.tracePinnedThreads).
 * Here the caller only formats (so the request id from the MDC is still its own) and queues;
 * one platform thread writes. Logging never makes a request wait: when the queue is full
 * (standard output stalled, 16,384 lines behind) a line is dropped and counted, and the writer
 * reports the count in a line of its own as soon as it catches up.
 * <p>
 * The line is {@code <UTC time> <level> <logger> [<request id>] <message>}. It is built
 * directly rather than with SimpleFormatter's pattern: JFR showed String.format and the stack
 * walk that finds a record's source class as a quarter of a cached GET's CPU, one access line
 * per request.
 */
public final class AsyncConsoleHandler extends Handler {
    private static final int CAPACITY = 16_384;
    private static final String STOP = new String("stop");

    private final BlockingQueue<String> lines;
    private final Writer out;
    private final LongAdder dropped = new LongAdder();
    private final Thread writer;

    public AsyncConsoleHandler() {
        this(System.out, CAPACITY);
    }

    AsyncConsoleHandler(OutputStream stream, int capacity) {
        lines = new ArrayBlockingQueue<>(capacity);
        out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
        setFormatter(new LineFormatter());
        writer = Thread.ofPlatform().name("log-writer").daemon(true).start(this::writeLoop);
    }

    @Override
    public void publish(LogRecord record) {
        if (!isLoggable(record)) {
            return;
        }
        String line;
        try {
            line = getFormatter().format(record);
        } catch (RuntimeException e) {
            reportError(null, e, ErrorManager.FORMAT_FAILURE);
            return;
        }
        if (!lines.offer(line)) {
            dropped.increment();
        }
    }

    private void writeLoop() {
        List<String> batch = new ArrayList<>(256);
        try {
            while (true) {
                batch.add(lines.take());
                lines.drainTo(batch, 255);
                for (String line : batch) {
                    if (line == STOP) {
                        out.flush();
                        return;
                    }
                    out.write(line);
                }
                batch.clear();
                long lost = dropped.sumThenReset();
                if (lost > 0) {
                    out.write(LineFormatter.TIME.format(Instant.now()) + " WARNING " + AsyncConsoleHandler.class.getName() + " [] " + lost
                            + " log lines dropped: standard output did not keep up (is the container runtime's log driver blocked?)"
                            + System.lineSeparator());
                }
                if (lines.isEmpty()) {
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            reportError(null, e, ErrorManager.WRITE_FAILURE);
        }
    }

    /** One line per record; the request and trace ids come from the MDC of the thread that logs. */
    static final class LineFormatter extends Formatter {
        private static final DateTimeFormatter TIME =
                DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

        @Override
        public String format(LogRecord record) {
            StringBuilder line = new StringBuilder(160)
                    .append(TIME.format(record.getInstant())).append(' ')
                    .append(record.getLevel().getName()).append(' ')
                    .append(record.getLoggerName()).append(" [")
                    .append(HelidonMdc.get(PublicRequestFilter.MDC_REQUEST_ID).orElse(""));
            // The W3C trace id beside the request id: the key to the request's spans.
            HelidonMdc.get(PublicRequestFilter.MDC_TRACE_ID).ifPresent(id -> line.append(" trace=").append(id));
            line.append("] ").append(formatMessage(record));
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append(System.lineSeparator()).append(trace);
            }
            return line.append(System.lineSeparator()).toString();
        }
    }

    @Override
    public void flush() {
        // The writer flushes whenever the queue runs empty.
    }

    /** Called by JUL at JVM exit: write what is queued, then stop. */
    @Override
    public void close() {
        try {
            // The one put that may wait: at exit, the queued lines matter more than a second.
            lines.put(STOP);
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
