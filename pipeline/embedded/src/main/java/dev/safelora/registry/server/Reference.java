package dev.safelora.registry.server;

/** A schema reference as Confluent's API spells it: the referenced type's full name, and where it is registered. */
record Reference(String name, String subject, int version) {
}
