package io.triad.logging;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

class AccessLogPolicyTest {
    private static final long MS = 1_000_000;

    @Test
    void byDefaultOnlyNon2xxAndSlowRequestsAreLogged() {
        AccessLogPolicy policy = AccessLogPolicy.from(Map.of());
        assertThat("a fast 200", policy.logs(200, 2 * MS), is(false));
        assertThat("a fast 204", policy.logs(204, 2 * MS), is(false));
        assertThat("a 304", policy.logs(304, 2 * MS), is(true));
        assertThat("a 404", policy.logs(404, 2 * MS), is(true));
        assertThat("a 503", policy.logs(503, 2 * MS), is(true));
        assertThat("a 200 just under 500 ms", policy.logs(200, 500 * MS - 1), is(false));
        assertThat("a 200 of 500 ms", policy.logs(200, 500 * MS), is(true));
    }

    @Test
    void allLogsEveryRequestAndTheSlowBoundIsConfigurable() {
        assertThat(AccessLogPolicy.from(Map.of("ACCESS_LOG", "all")).logs(200, 0), is(true));
        AccessLogPolicy slow20 = AccessLogPolicy.from(Map.of("ACCESS_LOG_SLOW_MS", "20"));
        assertThat(slow20.logs(200, 19 * MS), is(false));
        assertThat(slow20.logs(201, 20 * MS), is(true));
    }

    @Test
    void aMalformedValueIsRefusedNamingTheVariable() {
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class,
                () -> AccessLogPolicy.from(Map.of("ACCESS_LOG", "everything")));
        assertThat(mode.getMessage().startsWith("ACCESS_LOG='everything' is invalid"), is(true));
        IllegalArgumentException slow = assertThrows(IllegalArgumentException.class,
                () -> AccessLogPolicy.from(Map.of("ACCESS_LOG_SLOW_MS", "0.5s")));
        assertThat(slow.getMessage().startsWith("ACCESS_LOG_SLOW_MS='0.5s' is invalid"), is(true));
    }
}
