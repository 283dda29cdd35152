package dev.safelora.audit.ledger;

/** What kind of fact a ledger event records; decides its typed rows. */
public enum EventKind {
    ALIGNMENT, LAYER_SELECTION, ADAPTER, EVALUATION, JOB_OUTCOME, DEAD_LETTER, UNDECODABLE
}
