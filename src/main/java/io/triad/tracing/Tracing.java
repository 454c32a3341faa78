package io.triad.tracing;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import io.helidon.dbclient.DbClientService;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * W3C trace context for every public request, and OpenTelemetry spans when an exporter is set.
 * <p>
 * Always: an incoming {@code traceparent} is continued (otherwise a trace starts here), its
 * trace id goes into every log line of the request and into the {@code X-Trace-Id} answer.
 * Without {@code OTEL_EXPORTER_OTLP_ENDPOINT} that is all: no SDK, no span object, no context
 * switch; the PostgreSQL and Redis calls run as they are. With it, each request is a SERVER
 * span (named by its route template), and each PostgreSQL statement and Redis call made while
 * it runs is a CLIENT child span, exported over OTLP/HTTP in batches. Background work (the
 * heartbeat, the cache fence) has no request, hence no span.
 */
public final class Tracing implements AutoCloseable {
    public static final String ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT";
    private static final Tracing DISABLED = new Tracing(null, null);
    private static volatile Tracing installed = DISABLED;
    private static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system");
    private static final AttributeKey<String> DB_STATEMENT = AttributeKey.stringKey("db.query.text");
    private static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
    private static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private Tracing(SdkTracerProvider provider, Tracer tracer) {
        this.provider = provider;
        this.tracer = tracer;
    }

    /** Spans exported to OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP, /v1/traces) when it is set; otherwise none. */
    public static Tracing fromEnvironment(Map<String, String> env, String instanceId) {
        String endpoint = env.getOrDefault(ENDPOINT_VARIABLE, "").strip();
        if (endpoint.isEmpty()) {
            return DISABLED;
        }
        String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        SpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(base + "/v1/traces").build();
        return exportingTo(BatchSpanProcessor.builder(exporter).build(), instanceId);
    }

    /** Every span handed to exporter as it ends (tests: the SDK's InMemorySpanExporter). */
    public static Tracing exportingTo(SpanExporter exporter, String instanceId) {
        return exportingTo(SimpleSpanProcessor.create(exporter), instanceId);
    }

    private static Tracing exportingTo(SpanProcessor processor, String instanceId) {
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), "triad",
                AttributeKey.stringKey("service.instance.id"), instanceId)));
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(resource)
                .addSpanProcessor(processor)
                .build();
        return new Tracing(provider, provider.get("io.triad"));
    }

    /** The tracing of this process: set once by Main (or a test) before the service starts. */
    public static Tracing installed() {
        return installed;
    }

    public static void install(Tracing tracing) {
        installed = tracing == null ? DISABLED : tracing;
    }

    public boolean exporting() {
        return tracer != null;
    }

    /** Starts the request's trace: continues traceparent when it is valid, else starts one. */
    public Request request(String traceparent, String method) {
        TraceParent incoming = TraceParent.parse(traceparent);
        if (tracer == null) {
            return new Request(incoming != null ? incoming.traceId() : TraceParent.random().traceId(), null, null);
        }
        Context parent = incoming == null ? Context.root()
                : W3CTraceContextPropagator.getInstance().extract(Context.root(), Map.of("traceparent", incoming.header()), GETTER);
        Span span = tracer.spanBuilder(method)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(HTTP_METHOD, method)
                .startSpan();
        return new Request(span.getSpanContext().getTraceId(), span, span.makeCurrent());
    }

    /** A call to system (redis) as a child span of the request's, when there is one to export. */
    public <T> T client(String system, String operation, Supplier<T> call) {
        if (tracer == null || !Span.current().getSpanContext().isValid()) {
            return call.get();
        }
        Span span = tracer.spanBuilder(operation).setSpanKind(SpanKind.CLIENT).setAttribute(DB_SYSTEM, system).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return call.get();
        } catch (RuntimeException e) {
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            throw e;
        } finally {
            span.end();
        }
    }

    /**
     * For DbClient: each statement run during a request as a CLIENT span with its SQL (bind
     * parameters stay out: they are user data). Empty when not exporting, so DbClient has
     * nothing to call.
     */
    public Optional<DbClientService> dbClientService() {
        if (tracer == null) {
            return Optional.empty();
        }
        return Optional.of(context -> {
            if (!Span.current().getSpanContext().isValid()) {
                return context;
            }
            Span span = tracer.spanBuilder(context.statementType().name())
                    .setSpanKind(SpanKind.CLIENT)
                    .setAttribute(DB_SYSTEM, "postgresql")
                    .setAttribute(DB_STATEMENT, context.statement())
                    .startSpan();
            context.statementFuture().whenComplete((ok, error) -> {
                if (error != null) {
                    span.setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
                }
                span.end();
            });
            return context;
        });
    }

    /** Flushes what is still batched (a graceful stop) and stops the exporter. */
    @Override
    public void close() {
        if (provider != null) {
            provider.close();
        }
    }

    /** One public request's trace: its id always, its span when exporting. */
    public static final class Request {
        private final String traceId;
        private final Span span;
        private final Scope scope;

        private Request(String traceId, Span span, Scope scope) {
            this.traceId = traceId;
            this.span = span;
            this.scope = scope;
        }

        public String traceId() {
            return traceId;
        }

        /** Ends the request's span, named by the route template, never the raw path. */
        public void end(String method, String route, int status) {
            if (span == null) {
                return;
            }
            scope.close();
            span.updateName(method + " " + route);
            span.setAttribute(HTTP_ROUTE, route);
            span.setAttribute(HTTP_STATUS, (long) status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        }
    }
}
