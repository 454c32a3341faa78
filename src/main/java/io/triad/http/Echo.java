package io.triad.http;

/**
 * What of the client's own text an error may repeat: a short, printable excerpt, never the
 * whole value.
 *
 * <p>Why: an error answer must not grow with the request. A detail that quoted a 64 KiB field
 * name, a 60,000-digit "quantity" or an 8 KiB If-Match whole would make every refusal as large
 * as the request that caused it (and put it in each proxy buffer and log on the way), and a
 * control character in a detail reaches the terminal of whoever reads it. So:
 * <ul>
 *   <li>a value quoted in a detail ({@link #quote}): its first {@value #MAX_QUOTE} characters,
 *       control characters written as {@code \\uXXXX}, "…" when cut;</li>
 *   <li>a problem's {@code instance}, the request path ({@link #path}): its first
 *       {@value #MAX_PATH} characters;</li>
 *   <li>and {@link Problem#body}, the one place every problem document is made, cuts any detail
 *       at {@value #MAX_DETAIL} characters, so one that forgets to quote through here is still
 *       bounded.</li>
 * </ul>
 * docs/API.md ("Errors") states these bounds; {@code ContractTest} sends oversized input to each
 * place that quotes it.
 */
public final class Echo {
    public static final int MAX_QUOTE = 40;
    public static final int MAX_PATH = 200;
    public static final int MAX_DETAIL = 400;

    private Echo() {
    }

    /** A client's value quoted in a detail. */
    public static String quote(String raw) {
        return cut(raw, MAX_QUOTE);
    }

    /** The request path as a problem's instance. */
    public static String path(String raw) {
        return cut(raw, MAX_PATH);
    }

    /** A whole detail, the last bound. */
    static String detail(String detail) {
        return cut(detail, MAX_DETAIL);
    }

    /**
     * At most {@code max} code points of output, then "…" when cut: a control character counts
     * as the six of its escape, so escaping cannot grow the result past the bound.
     */
    private static String cut(String raw, int max) {
        if (raw == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(raw.length(), max) + 1);
        int written = 0;
        for (int i = 0; i < raw.length(); ) {
            int cp = raw.codePointAt(i);
            String escape = Character.isISOControl(cp) ? String.format("\\u%04x", cp) : null;
            int width = escape == null ? 1 : escape.length();
            if (written + width > max) {
                return out.append('…').toString();
            }
            if (escape == null) {
                out.appendCodePoint(cp);
            } else {
                out.append(escape);
            }
            written += width;
            i += Character.charCount(cp);
        }
        return out.toString();
    }
}
