package io.triad.http;

import java.util.regex.Pattern;

/** Ids as the contract writes them: positive 64-bit integers in canonical decimal. */
public final class Ids {
    private static final Pattern CANONICAL = Pattern.compile("[1-9][0-9]{0,18}");

    private Ids() {
    }

    /** A path id; anything but a canonical positive long is a 400 naming the value. */
    public static long parse(String raw, String what) {
        if (raw != null && CANONICAL.matcher(raw).matches()) {
            try {
                return Long.parseLong(raw);
            } catch (NumberFormatException overflow) {
                // 19 digits above Long.MAX_VALUE: the same answer as any other bad id.
            }
        }
        throw ApiException.badRequest(what + " must be a positive integer up to 9223372036854775807 "
                + "without sign or leading zeros, got '" + Echo.quote(raw) + "'");
    }
}
