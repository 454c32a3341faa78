package io.triad.logging;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import io.triad.support.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class AsyncConsoleHandlerTest {
    /** Standard output that blocks every write until released, like a full pipe to the container runtime. */
    private static final class StalledOutput extends OutputStream {
        final CountDownLatch released = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                written.write(b, off, len);
            }
        }

        synchronized String text() {
            return written.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    @Timeout(10) // with a blocking queue the first publish past its capacity would wait for ever
    void aStalledOutputNeverMakesTheLoggerWaitAndTheDroppedLinesAreReported() throws Exception {
        StalledOutput stdout = new StalledOutput();
        AsyncConsoleHandler handler = new AsyncConsoleHandler(stdout, 8);
        long start = System.nanoTime();
        for (int i = 0; i < 1_000; i++) {
            handler.publish(new LogRecord(Level.INFO, "line " + i));
        }
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat("1,000 lines queued or dropped while stdout is stalled, in ms", tookMillis, lessThan(2_000L));

        stdout.released.countDown();
        Await.until(Duration.ofSeconds(5), "the writer to report the dropped lines",
                () -> stdout.text().contains("log lines dropped"));
        assertThat(stdout.text(), containsString("line 0"));
        handler.close();
    }
}
