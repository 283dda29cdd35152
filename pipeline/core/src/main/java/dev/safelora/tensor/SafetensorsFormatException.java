package dev.safelora.tensor;

/** A safetensors file (or sharded checkpoint) that breaks a rule of the format. */
public class SafetensorsFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(String message) {
        super(message);
    }

    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
