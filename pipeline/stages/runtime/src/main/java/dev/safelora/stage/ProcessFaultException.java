package dev.safelora.stage;

/**
 * A failure of this process's environment, not of the record (a CUDA error or an out-of-memory on the GPU,
 * which can leave the device context unusable): the loop stops without committing or dead-lettering the
 * record, the process exits non-zero and reports DOWN on {@code /health}, and a fresh process - on this node
 * or another - redoes the record (from the job's checkpoint). Retrying in the same process would run on a
 * poisoned context; dead-lettering would blame the job for the node.
 */
public class ProcessFaultException extends RuntimeException {

    public ProcessFaultException(String message, Throwable cause) {
        super(message, cause);
    }
}
