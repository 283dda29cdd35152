package dev.safelora.audit.ledger;

/** The end of one partition's hash chain: how many events it holds, the last hash, and the next offset to consume. */
public record ChainHead(String topic, int partition, long chainSeq, String headHash, long nextOffset) {

    /** The chain of a partition nothing was stored from yet. */
    public static ChainHead genesis(String topic, int partition) {
        return new ChainHead(topic, partition, 0, Canonical.GENESIS, 0);
    }
}
