package io.triad.items;

import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

import io.triad.http.Echo;
import io.triad.http.JsonFactories;
import io.triad.http.ApiException;
import jakarta.json.stream.JsonLocation;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;

/**
 * The body of POST and PUT, validated as the contract says: name 1–200 code points after
 * strip(), description 0–2000, quantity an integer literal 0–2147483647; null means absent for
 * the optional fields; unknown and duplicate fields are refused. Parsed with the streaming
 * parser because a tree model silently keeps the last of two duplicate keys and cannot tell
 * the literal 5.0 from 5.
 */
public record ItemInput(String name, String description, int quantity) {
    static final int NAME_MAX = 200;
    static final int DESCRIPTION_MAX = 2000;
    /** The JSON grammar's integer: no fraction, no exponent. */
    private static final Pattern INTEGER_LITERAL = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final BigInteger QUANTITY_MAX = BigInteger.valueOf(Integer.MAX_VALUE);

    public static ItemInput parse(String body) {
        if (body.isBlank()) {
            throw ApiException.badRequest("request body is empty: send a JSON object with at least \"name\"");
        }
        String name = null;
        String description = null;
        Integer quantity = null;
        Set<String> seen = new HashSet<>();
        try (JsonParser parser = JsonFactories.PARSERS.createParser(new StringReader(body))) {
            if (parser.next() != JsonParser.Event.START_OBJECT) {
                throw ApiException.badRequest("request body must be a JSON object");
            }
            JsonParser.Event event;
            while ((event = parser.next()) != JsonParser.Event.END_OBJECT) {
                String field = parser.getString();
                if (!seen.add(field)) {
                    throw ApiException.badRequest("duplicate field '" + Echo.quote(field) + "'");
                }
                JsonParser.Event value = parser.next();
                switch (field) {
                    case "name" -> name = string(parser, value, "name");
                    case "description" -> description = string(parser, value, "description");
                    case "quantity" -> quantity = quantity(parser, value);
                    default -> throw ApiException.badRequest("unknown field '" + Echo.quote(field)
                            + "': allowed fields are name, description, quantity");
                }
                assert event == JsonParser.Event.KEY_NAME;
            }
            if (parser.hasNext()) {
                parser.next();
                throw ApiException.badRequest("unexpected data after the JSON object");
            }
        } catch (JsonParsingException e) {
            throw ApiException.badRequest("malformed JSON" + at(e.getLocation()));
        } catch (java.util.NoSuchElementException e) {
            throw ApiException.badRequest("malformed JSON: the body ends early");
        } catch (jakarta.json.JsonException e) {
            throw ApiException.badRequest("malformed JSON");
        }
        if (name == null) {
            throw ApiException.badRequest("name is required: a string of 1–200 characters");
        }
        String stripped = name.strip();
        int nameLength = stripped.codePointCount(0, stripped.length());
        if (nameLength < 1 || nameLength > NAME_MAX) {
            throw ApiException.badRequest("name must be 1–200 characters after trimming, got " + nameLength);
        }
        String desc = description == null ? "" : description;
        int descriptionLength = desc.codePointCount(0, desc.length());
        if (descriptionLength > DESCRIPTION_MAX) {
            throw ApiException.badRequest("description must be at most 2000 characters, got " + descriptionLength);
        }
        return new ItemInput(stripped, desc, quantity == null ? 0 : quantity);
    }

    /**
     * What makes two creates "the same item" for Idempotency-Key: the values after trimming
     * and defaults, so key order, white space and an absent field versus its null don't matter.
     */
    public String fingerprint() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            // NUL cannot occur in a value (refused by parse), so it separates fields unambiguously.
            sha.update((name + '\0' + description + '\0' + quantity).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String string(JsonParser parser, JsonParser.Event value, String field) {
        switch (value) {
            case VALUE_NULL:
                return null;
            case VALUE_STRING:
                String s = parser.getString();
                checkStorable(s, field);
                return s;
            default:
                throw ApiException.badRequest(field + " must be a string, got " + describe(value));
        }
    }

    private static Integer quantity(JsonParser parser, JsonParser.Event value) {
        switch (value) {
            case VALUE_NULL:
                return null;
            case VALUE_NUMBER:
                String literal = parser.getString();
                if (!INTEGER_LITERAL.matcher(literal).matches()) {
                    throw ApiException.badRequest("quantity must be an integer literal (no fraction or exponent), got "
                            + Echo.quote(literal));
                }
                BigInteger n = new BigInteger(literal);
                if (n.signum() < 0 || n.compareTo(QUANTITY_MAX) > 0) {
                    throw ApiException.badRequest("quantity must be 0–2147483647, got " + Echo.quote(literal));
                }
                return n.intValue();
            default:
                throw ApiException.badRequest("quantity must be an integer, got " + describe(value));
        }
    }

    /** PostgreSQL text cannot hold NUL, and UTF-8 cannot encode a lone surrogate: refuse both. */
    private static void checkStorable(String s, String field) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\0') {
                throw ApiException.badRequest(field + " must not contain the NUL character (\\u0000)");
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.badRequest(field + " contains an unpaired UTF-16 surrogate escape");
            }
        }
    }

    private static String describe(JsonParser.Event event) {
        return switch (event) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            default -> event.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNumber() < 0 ? ""
                : " at line " + location.getLineNumber() + ", column " + location.getColumnNumber();
    }
}
