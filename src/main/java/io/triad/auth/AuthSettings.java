package io.triad.auth;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Authentication as configured (read and checked in io.triad.config.Settings): the issuer and
 * audience a token must name, where the issuer's public keys are (exactly one of a JWKS URL and a
 * JWKS file), and whether item reads need a token too ({@code AUTH_READS=token}).
 */
public record AuthSettings(String issuer, String audience, Optional<URI> jwksUrl, Optional<Path> jwksFile,
                           boolean tokenForReads) {
    /** The scope a token needs to create, change or delete items. */
    public static final String WRITE_SCOPE = "items:write";
}
