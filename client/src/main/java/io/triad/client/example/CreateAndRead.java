package io.triad.client.example;

import io.triad.client.ApiClient;
import io.triad.client.ApiException;
import io.triad.client.api.ItemsApi;
import io.triad.client.model.Item;
import io.triad.client.model.ItemInput;

/**
 * README's example of the generated client, compiled with it (so the README cannot drift from
 * what the generator makes): `java -cp ... io.triad.client.example.CreateAndRead http://localhost:9999`.
 */
public final class CreateAndRead {
    private CreateAndRead() {
    }

    public static void main(String[] args) throws ApiException {
        ApiClient client = new ApiClient();
        client.updateBaseUri(args.length > 0 ? args[0] : "http://localhost:9999");
        ItemsApi items = new ItemsApi(client);
        Item created = items.createItem(new ItemInput().name("widget").quantity(3), "readme-example-1");
        Item read = items.getItem(created.getId(), null);   // no If-None-Match
        System.out.println(read.getName() + " version " + read.getVersion());
    }
}
