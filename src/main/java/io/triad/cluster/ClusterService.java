package io.triad.cluster;

import java.time.Duration;
import java.time.Instant;

import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import io.triad.http.JsonFactories;
import io.triad.http.JsonResponse;
import io.triad.http.MethodNotAllowed;
import io.triad.items.Item;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;

/** GET /api/instance (this instance, no I/O) and GET /api/cluster (every live instance). */
public final class ClusterService implements HttpService {
    private final Cluster cluster;

    public ClusterService(Cluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/instance", this::instance)
                .any("/instance", MethodNotAllowed.allow(Method.GET))
                .get("/cluster", this::cluster)
                .any("/cluster", MethodNotAllowed.allow(Method.GET));
    }

    private void instance(ServerRequest req, ServerResponse res) {
        InstanceInfo self = cluster.self();
        String body = JsonFactories.BUILDERS.createObjectBuilder()
                .add("instance", self.instance())
                .add("hostname", self.hostname())
                .add("version", self.version())
                .add("startedAt", Item.TIMESTAMP.format(self.startedAt()))
                .add("uptimeSeconds", Duration.between(self.startedAt(), Instant.now()).toSeconds())
                .add("requestsServed", cluster.requestsServed())
                .build().toString();
        JsonResponse.send(res, Status.OK_200, body);
    }

    private void cluster(ServerRequest req, ServerResponse res) {
        Cluster.View view = cluster.view();
        JsonArrayBuilder instances = JsonFactories.BUILDERS.createArrayBuilder();
        view.instances().forEach(m -> instances.add(JsonFactories.BUILDERS.createObjectBuilder()
                .add("instance", m.instance())
                .add("version", m.version())
                .add("startedAt", m.startedAt())
                .add("lastSeen", m.lastSeen())
                .add("requestsServed", m.requestsServed())));
        JsonObjectBuilder body = JsonFactories.BUILDERS.createObjectBuilder().add("instances", instances);
        if (view.totalRequests() == null) {
            body.addNull("totalRequests");
        } else {
            body.add("totalRequests", view.totalRequests());
        }
        body.add("degraded", view.degraded());
        JsonResponse.send(res, Status.OK_200, body.build().toString());
    }
}
