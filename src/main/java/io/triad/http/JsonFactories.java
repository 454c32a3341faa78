package io.triad.http;

import java.util.Map;

import jakarta.json.Json;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonReaderFactory;
import jakarta.json.stream.JsonParserFactory;

/**
 * The JSON-P factories, created once. Every static {@code Json.createX()} looks the provider
 * up with a ServiceLoader scan; JFR showed that lookup as half of the list endpoint's CPU.
 */
public final class JsonFactories {
    public static final JsonBuilderFactory BUILDERS = Json.createBuilderFactory(Map.of());
    public static final JsonReaderFactory READERS = Json.createReaderFactory(Map.of());
    public static final JsonParserFactory PARSERS = Json.createParserFactory(Map.of());

    private JsonFactories() {
    }
}
