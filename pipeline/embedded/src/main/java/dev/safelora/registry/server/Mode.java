package dev.safelora.registry.server;

/**
 * A registry's or subject's mode, as Confluent's registry defines it: READWRITE (the default), READONLY
 * (registrations and deletes refused with 42205), IMPORT (registrations keep the ids they are given and skip
 * the compatibility check: how schemas are copied from another registry with their ids).
 */
enum Mode {
    READWRITE, READONLY, IMPORT
}
