package io.triad.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;

/**
 * Reads a request body that must be JSON of at most {@link #MAX_BYTES}.
 * A refused body is still read to its end before the answer goes out: answering 413 or 415
 * with unread bytes in the socket makes the kernel reset the connection, and a proxy then
 * counts the instance as failed.
 */
public final class JsonBody {
    /** The contract's limit; Nginx's client_max_body_size and the Ingress use the same. */
    public static final int MAX_BYTES = 64 * 1024;
    /** The framing of a body that could not be read is lost: the connection cannot carry another request. */
    private static final Map<String, String> CLOSE = Map.of(HeaderNames.CONNECTION.defaultCase(), "close");
    /** Beyond this the connection is not worth keeping: stop reading and let it close. */
    private static final long MAX_DRAIN_BYTES = 16L * 1024 * 1024;

    private JsonBody() {
    }

    public static String read(ServerRequest req) {
        String contentType = req.headers().value(HeaderNames.CONTENT_TYPE).orElse("");
        boolean json = isJson(contentType);
        byte[] body = readCapped(req);
        if (!json) {
            throw new ApiException(Status.UNSUPPORTED_MEDIA_TYPE_415,
                    contentType.isEmpty()
                            ? "request body must be JSON: send Content-Type: application/json"
                            : "Content-Type '" + Echo.quote(contentType) + "' is not supported: send application/json");
        }
        if (body == null) {
            throw new ApiException(Status.REQUEST_ENTITY_TOO_LARGE_413,
                    "request body is larger than " + MAX_BYTES + " bytes (64 KiB)");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("request body is not valid UTF-8");
        }
    }

    static boolean isJson(String contentType) {
        String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!type.equals("application/json")) {
            return false;
        }
        // JSON is UTF-8 (RFC 8259); a charset parameter may only say so.
        for (String param : contentType.split(";")) {
            String p = param.strip().toLowerCase(Locale.ROOT);
            if (p.startsWith("charset=") && !p.equals("charset=utf-8") && !p.equals("charset=\"utf-8\"")) {
                return false;
            }
        }
        return true;
    }

    /** The body, or null when it is over the limit (then the rest has been drained). */
    private static byte[] readCapped(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        byte[] buffer = new byte[8192];
        long total = 0;
        try (InputStream in = req.content().inputStream()) {
            int n;
            while ((n = in.read(buffer)) != -1) {
                total += n;
                if (total <= MAX_BYTES) {
                    out.write(buffer, 0, n);
                } else if (total > MAX_DRAIN_BYTES) {
                    break;
                }
            }
        } catch (IOException | UncheckedIOException | DataReader.InsufficientDataAvailableException e) {
            // The client hung up (or its proxy cut it off) before the whole body arrived: a
            // client's failure, not ours, so a 400 that likely reaches nobody and no stack trace.
            throw new ApiException(Status.BAD_REQUEST_400,
                    "the request body ended after " + total + " bytes, before its declared length; send the whole body",
                    CLOSE);
        } catch (RequestException | IllegalArgumentException | DataReader.IncorrectNewLineException e) {
            // Helidon parses the chunked framing while we read: a chunk size that is not hex
            // surfaces as a bare NumberFormatException, other framing errors as RequestException.
            Status status = e instanceof RequestException re && re.status().code() < 500 ? re.status() : Status.BAD_REQUEST_400;
            throw new ApiException(status, status == Status.BAD_REQUEST_400
                    ? "the chunked request body is malformed (chunk size or line ending); send Content-Length or valid chunks"
                    : "the request body was refused: " + status.reasonPhrase(), CLOSE);
        }
        return total <= MAX_BYTES ? out.toByteArray() : null;
    }
}
