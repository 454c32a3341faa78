package io.triad.tracing;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A W3C Trace Context {@code traceparent} (https://www.w3.org/TR/trace-context/#traceparent-header):
 * {@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>}.
 */
public record TraceParent(String traceId, String parentId, boolean sampled) {
    private static final String ZERO_TRACE = "0".repeat(32);
    private static final String ZERO_SPAN = "0".repeat(16);

    /**
     * The header's value when it is a valid version-00 traceparent (or a later version, read as
     * 00 as the spec asks), otherwise null: an invalid one starts a new trace.
     */
    public static TraceParent parse(String header) {
        if (header == null || header.length() < 55) {
            return null;
        }
        String h = header.strip();
        if (h.length() < 55 || h.charAt(2) != '-' || h.charAt(35) != '-' || h.charAt(52) != '-'
                || (h.length() > 55 && (h.startsWith("00") || h.charAt(55) != '-'))) {
            return null;
        }
        String version = h.substring(0, 2);
        String traceId = h.substring(3, 35);
        String parentId = h.substring(36, 52);
        String flags = h.substring(53, 55);
        if (!hex(version) || "ff".equals(version) || !hex(traceId) || !hex(parentId) || !hex(flags)
                || ZERO_TRACE.equals(traceId) || ZERO_SPAN.equals(parentId)) {
            return null;
        }
        return new TraceParent(traceId, parentId, (Integer.parseInt(flags, 16) & 1) == 1);
    }

    /** A new trace: random trace and parent ids, sampled. */
    public static TraceParent random() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi;
        long lo;
        do {
            hi = r.nextLong();
            lo = r.nextLong();
        } while (hi == 0 && lo == 0);
        long span;
        do {
            span = r.nextLong();
        } while (span == 0);
        return new TraceParent(hex16(hi) + hex16(lo), hex16(span), true);
    }

    public String header() {
        return "00-" + traceId + "-" + parentId + (sampled ? "-01" : "-00");
    }

    private static String hex16(long v) {
        String s = Long.toHexString(v);
        return s.length() == 16 ? s : "0".repeat(16 - s.length()) + s;
    }

    /** Lower-case hex only, as the spec requires. */
    private static boolean hex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
