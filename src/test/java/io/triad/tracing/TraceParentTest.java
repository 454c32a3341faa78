package io.triad.tracing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;

/** W3C traceparent: what is continued, what starts a new trace. */
class TraceParentTest {
    @Test
    void aValidHeaderIsReadAndWrittenBack() {
        TraceParent p = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assertThat(p.traceId(), is("4bf92f3577b34da6a3ce929d0e0e4736"));
        assertThat(p.parentId(), is("00f067aa0ba902b7"));
        assertThat(p.sampled(), is(true));
        assertThat(p.header(), is("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        assertThat(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").sampled(), is(false));
        // A later version is read as 00, extra fields ignored (the spec's forward compatibility).
        assertThat(TraceParent.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what").traceId(),
                is("4bf92f3577b34da6a3ce929d0e0e4736"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"})
    void anInvalidHeaderIsNotContinued(String header) {
        assertThat(TraceParent.parse(header), is(nullValue()));
    }

    @Test
    void aNewTraceHasNonZeroRandomIds() {
        TraceParent p = TraceParent.random();
        assertThat(p.header(), matchesPattern("00-[0-9a-f]{32}-[0-9a-f]{16}-01"));
        assertThat(TraceParent.parse(p.header()), is(p));
    }
}
