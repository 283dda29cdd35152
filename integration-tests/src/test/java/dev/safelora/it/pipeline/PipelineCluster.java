package dev.safelora.it.pipeline;

import dev.safelora.kafka.ClientSettings;

/**
 * Where the end-to-end tests run the pipeline: a Kafka cluster with every pipeline topic created and a
 * schema registry speaking the Confluent REST API. The stages and the tests reach it by configuration
 * alone, as they would a production cluster.
 */
interface PipelineCluster extends AutoCloseable {

    /** Bootstrap servers and registry URL for clients in this JVM and in stage processes. */
    ClientSettings clientSettings();

    /** One line for logs and failure messages: what broker and registry these are. */
    String describe();

    @Override
    void close();
}
