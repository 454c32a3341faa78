package io.triad.auth;

/**
 * What became of a request's bearer token: the label values of the outcome counter, a fixed set
 * whatever the clients send (no token text, subject or error message ever becomes a label).
 */
public enum Outcome {
    /** Valid, and with the scope the request needs. */
    OK,
    /** No bearer token sent. */
    MISSING,
    /** Sent but refused: malformed, bad signature, unknown key, wrong issuer or audience, not yet valid. */
    INVALID,
    /** Valid once, now past its exp (beyond the clock-skew allowance). */
    EXPIRED,
    /** Valid, without the scope items:write. */
    FORBIDDEN;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
