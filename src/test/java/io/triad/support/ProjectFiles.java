package io.triad.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.yaml.snakeyaml.Yaml;

/** Facts the tests read from the project's own files instead of repeating them. */
public final class ProjectFiles {
    /** Maven runs tests from the project directory. */
    public static final Path ROOT = Path.of("").toAbsolutePath();
    public static final Path MIGRATIONS = ROOT.resolve("db/migration");
    private static final Path COMPOSE = ROOT.resolve("compose/compose.yaml");

    private ProjectFiles() {
    }

    /** The image a Compose service runs: the one place where image names are written. */
    @SuppressWarnings("unchecked")
    public static String composeImage(String service) {
        try {
            Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE));
            Map<String, Object> services = (Map<String, Object>) compose.get("services");
            Map<String, Object> definition = (Map<String, Object>) services.get(service);
            return (String) definition.get("image");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
