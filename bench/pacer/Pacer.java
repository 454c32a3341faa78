import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A constant-rate HTTP/1.1 load generator that measures latency from each request's intended
 * start, so a stall of the server is charged to every request that should have been sent
 * during it (no coordinated omission; wrk2, vegeta and oha are not in Debian).
 * <p>
 * Request k is due at t0 + k / rate. When it is due it goes out on an idle keep-alive
 * connection, or waits in a queue until one is free; either way its latency runs from the
 * moment it was due to the last byte of its answer. One thread and one selector: at 1,000
 * requests/s it uses a few percent of a core. A request not answered within --timeout counts
 * as an error (and is not in the percentiles); the run ends when every request is answered or
 * timed out.
 * <p>
 * Run with the JDK, no build step: {@code java bench/pacer/Pacer.java --url
 * http://127.0.0.1:9999/api/items/{id} --ids 1-100 --rate 1000 --duration 10}. It prints one
 * JSON object on standard output.
 */
public final class Pacer {
    private static final int MAX_RESPONSE = 1 << 20;

    private final String host;
    private final int port;
    private final String pathTemplate;
    private final String method;
    private final long firstId;
    private final long idCount;
    private final String run;
    private final long intervalNanos;
    private final long total;
    private final long timeoutNanos;
    private final Selector selector;
    private final ArrayDeque<Conn> idle = new ArrayDeque<>();
    private final ArrayDeque<Long> waiting = new ArrayDeque<>();
    private final long[] latencies;
    private int answered;
    private long errors;
    private long maxQueue;
    private final TreeMap<Integer, Long> statuses = new TreeMap<>();

    private Pacer(URI url, String method, String ids, String run, double rate, double seconds, int connections,
                  double timeoutSeconds) throws IOException {
        this.host = url.getHost();
        this.port = url.getPort() < 0 ? 80 : url.getPort();
        this.pathTemplate = url.getRawPath().replace("%7Bid%7D", "{id}")
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        this.method = method;
        String[] range = ids.split("-");
        this.firstId = Long.parseLong(range[0]);
        this.idCount = Long.parseLong(range[1]) - firstId + 1;
        this.run = run;
        this.intervalNanos = (long) (1e9 / rate);
        this.total = (long) (rate * seconds);
        this.timeoutNanos = (long) (timeoutSeconds * 1e9);
        this.latencies = new long[(int) total];
        this.selector = Selector.open();
        for (int i = 0; i < connections; i++) {
            idle.add(new Conn());
        }
    }

    public static void main(String[] args) throws Exception {
        String url = null;
        String method = "GET";
        String ids = "1-1";
        String run = Long.toString(System.currentTimeMillis(), 36);
        double rate = 1000;
        double duration = 10;
        double warmup = 3;
        int connections = 32;
        double timeout = 5;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--url" -> url = v;
                case "--method" -> method = v;
                case "--ids" -> ids = v;
                case "--run" -> run = v;
                case "--rate" -> rate = Double.parseDouble(v);
                case "--duration" -> duration = Double.parseDouble(v);
                case "--warmup" -> warmup = Double.parseDouble(v);
                case "--connections" -> connections = Integer.parseInt(v);
                case "--timeout" -> timeout = Double.parseDouble(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --url --method GET|POST --ids first-last --run --rate --duration --warmup --connections --timeout");
            }
        }
        if (url == null) {
            throw new IllegalArgumentException("--url is required, e.g. http://127.0.0.1:9999/api/items/{id}");
        }
        URI uri = URI.create(url.replace("{id}", "%7Bid%7D"));
        if (warmup > 0) {
            // The same load, thrown away: JIT of this generator and of the server, connections open.
            new Pacer(uri, method, ids, run + "w", rate, warmup, connections, timeout).run();
        }
        Pacer pacer = new Pacer(uri, method, ids, run, rate, duration, connections, timeout);
        long elapsed = pacer.run();
        System.out.println(pacer.json(rate, duration, connections, elapsed, url));
    }

    /** Runs the schedule; returns the nanoseconds from the first due time to the last answer. */
    private long run() throws IOException {
        long t0 = System.nanoTime() + 50_000_000;
        long next = 0;
        while (next < total || answered + errors < total) {
            long now = System.nanoTime();
            while (next < total && t0 + next * intervalNanos <= now) {
                waiting.add(t0 + next * intervalNanos);
                next++;
            }
            maxQueue = Math.max(maxQueue, waiting.size());
            dispatch(now);
            long wait = next < total ? t0 + next * intervalNanos - System.nanoTime() : 1_000_000;
            if (wait > 1_500_000) {
                selector.select(Math.max(1, (wait - 1_000_000) / 1_000_000));
            } else {
                selector.selectNow();
                if (selector.selectedKeys().isEmpty() && wait > 20_000) {
                    LockSupport.parkNanos(Math.min(wait, 50_000));
                }
            }
            long after = System.nanoTime();
            for (SelectionKey key : selector.selectedKeys()) {
                ((Conn) key.attachment()).ready(after);
            }
            selector.selectedKeys().clear();
            expire(after);
        }
        for (SelectionKey key : selector.keys()) {
            key.channel().close();
        }
        selector.close();
        return System.nanoTime() - t0;
    }

    private long sent;

    private void dispatch(long now) throws IOException {
        while (!waiting.isEmpty() && !idle.isEmpty()) {
            Conn c = idle.poll();
            c.send(waiting.poll(), sent++);
        }
    }

    private void expire(long now) throws IOException {
        for (SelectionKey key : selector.keys()) {
            Conn c = (Conn) key.attachment();
            if (c.due != 0 && now - c.due > timeoutNanos) {
                errors++;
                statuses.merge(-1, 1L, Long::sum);
                c.reset();
            }
        }
    }

    private void done(Conn c, long due, long now, int status) {
        statuses.merge(status, 1L, Long::sum);
        if (status >= 200 && status < 300) {
            latencies[answered++] = now - due;
        } else {
            errors++;
        }
        idle.add(c);
    }

    private String json(double rate, double seconds, int connections, long elapsedNanos, String url) {
        long[] sorted = Arrays.copyOf(latencies, answered);
        Arrays.sort(sorted);
        StringBuilder s = new StringBuilder("{");
        s.append("\"url\":\"").append(url).append("\",\"method\":\"").append(method)
                .append("\",\"target_rate\":").append(rate).append(",\"duration_s\":").append(seconds)
                .append(",\"connections\":").append(connections)
                .append(",\"requests\":").append(total).append(",\"ok\":").append(answered)
                .append(",\"errors\":").append(errors)
                .append(",\"achieved_rate\":").append(fmt(answered / (elapsedNanos / 1e9)))
                .append(",\"max_queue\":").append(maxQueue).append(",\"statuses\":{");
        String sep = "";
        for (var e : statuses.entrySet()) {
            s.append(sep).append('"').append(e.getKey() < 0 ? "timeout" : e.getKey().toString()).append("\":").append(e.getValue());
            sep = ",";
        }
        s.append("},\"latency_ms\":{");
        double[] ps = {50, 90, 99, 99.9, 100};
        String[] names = {"p50", "p90", "p99", "p99.9", "max"};
        for (int i = 0; i < ps.length; i++) {
            double v = sorted.length == 0 ? Double.NaN
                    : sorted[Math.min(sorted.length - 1, (int) Math.ceil(ps[i] / 100 * sorted.length) - 1)] / 1e6;
            s.append(i == 0 ? "" : ",").append('"').append(names[i]).append("\":").append(fmt(v));
        }
        return s.append("}}").toString();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** One keep-alive connection with at most one request outstanding. */
    private final class Conn {
        private SocketChannel channel;
        private SelectionKey key;
        private final ByteBuffer in = ByteBuffer.allocate(MAX_RESPONSE);
        private ByteBuffer out;
        private long due;

        void send(long dueAt, long n) throws IOException {
            if (channel == null) {
                channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.connect(new InetSocketAddress(host, port));
                key = channel.register(selector, SelectionKey.OP_CONNECT, this);
            }
            due = dueAt;
            out = ByteBuffer.wrap(request(n).getBytes(StandardCharsets.UTF_8));
            in.clear();
            if (channel.isConnected()) {
                write();
            }
        }

        private String request(long n) {
            String path = pathTemplate.replace("{id}", Long.toString(firstId + n % idCount));
            String head = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n";
            if (method.equals("POST")) {
                String body = "{\"name\":\"bench-" + run + "-" + n + "\",\"description\":\"load test item\",\"quantity\":"
                        + (n % 1000) + "}";
                return head + "Content-Type: application/json\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
            }
            return head + "\r\n";
        }

        void ready(long now) throws IOException {
            try {
                if (key.isConnectable()) {
                    channel.finishConnect();
                    write();
                    return;
                }
                if (key.isWritable()) {
                    write();
                }
                if (key.isReadable()) {
                    read(now);
                }
            } catch (IOException e) {
                errors++;
                statuses.merge(0, 1L, Long::sum);
                reset();
            }
        }

        private void write() throws IOException {
            channel.write(out);
            key.interestOps(out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        private void read(long now) throws IOException {
            if (channel.read(in) < 0) {
                throw new IOException("closed by the server");
            }
            byte[] a = in.array();
            int len = in.position();
            int end = headerEnd(a, len);
            if (end < 0) {
                return;
            }
            String head = new String(a, 0, end, StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(head.substring(9, 12));
            int bodyLength = 0;
            boolean close = false;
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    bodyLength = Integer.parseInt(value);
                } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
                    close = true;
                } else if (name.equals("transfer-encoding")) {
                    throw new IOException("chunked answers are not supported by this generator");
                }
            }
            if (len < end + 4 + bodyLength) {
                return;
            }
            long dueAt = due;
            due = 0;
            key.interestOps(0);
            if (close) {
                closeChannel();
            }
            done(this, dueAt, now, status);
        }

        private int headerEnd(byte[] a, int len) {
            for (int i = 3; i < len; i++) {
                if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                    return i - 3;
                }
            }
            return -1;
        }

        /** After an error or a timeout: a fresh connection for the next request. */
        void reset() throws IOException {
            due = 0;
            closeChannel();
            idle.add(this);
        }

        private void closeChannel() throws IOException {
            if (key != null) {
                key.cancel();
            }
            if (channel != null) {
                channel.close();
            }
            channel = null;
            key = null;
        }
    }
}
